"""Answer parts as the chat API hands them to the channels (gateway/schemas.py: text, buttons,
links, kind, title, items), shared by the Matrix and Teams rendering tests so both render the
same input. Each test gets fresh dicts: a test may change its copy.
"""

from __future__ import annotations

import pytest

CONTACT_LINE = "HR – stöd. Telefon: 010-123 45 67. E-post: hr@example.se. Webb: https://intra.example.se/hr."


def _part(text: str, kind: str = "text", title: str | None = None, items=(), links=(), buttons=()) -> dict:
    return {
        "text": text,
        "buttons": list(buttons),
        "links": list(links),
        "kind": kind,
        "title": title,
        "items": list(items),
    }


@pytest.fixture
def emergency_part() -> dict:
    return _part(
        "Är du i fara just nu? Ring 112.",
        kind="emergency",
        title="Akut fara",
        items=[{"text": "Ring 112", "href": "tel:112"}],
    )


@pytest.fixture
def steps_part() -> dict:
    return _part(
        "Gör så här nu:\n1. Gå undan\n2. Larma",
        kind="steps",
        title="Gör så här nu",
        items=[{"text": "Gå undan", "href": None}, {"text": "Larma", "href": None}],
    )


@pytest.fixture
def contacts_part() -> dict:
    """A contact line with a phone number, an e-mail address and a web page, then the police."""
    return _part(
        f"Vänd dig till:\n- {CONTACT_LINE}\n- Polisen 114 14",
        kind="contacts",
        title="Vem kontaktar jag?",
        items=[{"text": CONTACT_LINE, "href": "tel:0101234567"}, {"text": "Polisen 114 14", "href": "tel:11414"}],
        links=[{"title": "HR-sidan", "url": "https://intra.example.se/hr"}],
    )
