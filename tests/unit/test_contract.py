"""The structured message shape (knowledge/contract.py) as the knowledge layer fills it and the
chat API's schema declares it."""

from __future__ import annotations

import typing

import pytest

from gateway import schemas
from knowledge import contract, render

ALLOWED_SCHEMES = ("tel:", "mailto:", "https://")


def test_the_api_schema_knows_exactly_the_contract_kinds():
    kinds = typing.get_args(schemas.Message.model_fields["kind"].annotation)
    assert set(kinds) == set(contract.KINDS)


def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError):
        contract.message("x", kind="bubble")


@pytest.mark.parametrize(
    ("phone", "href"),
    [("112", "tel:112"), ("114 14", "tel:11414"), ("010-730 90 00", "tel:0107309000"), ("+46 8 123", "tel:+468123")],
)
def test_tel_href_keeps_only_what_is_dialled(phone, href):
    assert contract.tel_href(phone) == href


def test_a_gift_answer_is_lead_steps_contacts_sources(kb):
    article = kb.articles["gavor"]
    messages = render.article_messages(kb, "gavor")
    assert [m["kind"] for m in messages] == ["lead", "steps", "contacts", "sources"]
    lead, steps, contacts, sources = messages
    assert lead["text"] == article.summary and lead["items"] == []
    assert [i["text"] for i in steps["items"]] == list(article.steps)
    assert steps["title"] == kb.phrases["part_titles"]["steps"]
    assert contacts["title"] == kb.phrases["part_titles"]["contacts"]
    assert len(contacts["items"]) == len(article.channels)
    hrefs = [i["href"] for i in contacts["items"] if i["href"]]
    assert hrefs and all(h.startswith(ALLOWED_SCHEMES) for h in hrefs)
    assert f"mailto:{kb.channel('sakerhetsfunktion').email}" in hrefs
    assert sources["title"] == kb.phrases["part_titles"]["sources"]
    assert [i["href"] for i in sources["items"]] == [s.url for s in article.sources]
    assert all(i["href"].startswith("https://") and "https://" not in i["text"] for i in sources["items"])
    # Every message is valid in the chat API's schema.
    for message in messages:
        schemas.Message.model_validate(message)


def test_phone_numbers_are_tel_links(kb):
    contacts = next(m for m in render.article_messages(kb, "hot") if m["kind"] == "contacts")
    hrefs = [i["href"] for i in contacts["items"]]
    assert "tel:112" in hrefs and "tel:11414" in hrefs


def test_an_emergency_answer_starts_with_the_112_part(kb):
    first = render.article_messages(kb, "gavor", emergency=True)[0]
    assert first["kind"] == "emergency" and first["text"] == kb.phrases["emergency_line"]
    assert first["items"] == [{"text": kb.phrases["emergency_call"], "href": "tel:112"}]


def test_the_old_text_still_carries_everything(kb):
    """A client that reads only `text` still gets the steps, contacts and source URLs."""
    for message in render.article_messages(kb, "hot"):
        for entry in message["items"]:
            assert entry["text"] in message["text"]
            if entry["href"] and entry["href"].startswith("https://"):
                assert entry["href"] in message["text"]
