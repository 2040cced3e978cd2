"""Matrix: answers → message contents, what a person wrote → a turn, and the configuration."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from gateway.matrix import messages
from gateway.matrix.config import (
    MatrixConfigError,
    MatrixStrings,
    invitation_allowed,
    matrix_configuration,
    pickle_key,
)
from gateway.settings import Settings
from knowledge import render

BUTTONS = [{"title": "Gåvor och representation", "payload": "/gavor"}, {"title": "Hot och våld", "payload": "/hot"}]
NUMBERED = dict(enumerate(BUTTONS, 1))


@pytest.fixture(scope="module")
def strings():
    return MatrixStrings.load()


def test_buttons_become_a_numbered_list_in_html_and_in_the_plain_body(strings):
    content = messages.content({"text": "Välj <ett> ämne", "buttons": BUTTONS, "links": []}, strings)
    assert content["format"] == "org.matrix.custom.html"
    assert content["body"] == f"Välj <ett> ämne\n\n{strings.choices_hint}\n1. Gåvor och representation\n2. Hot och våld"
    assert "<ol><li>Gåvor och representation</li><li>Hot och våld</li></ol>" in content["formatted_body"]
    assert "Välj &lt;ett&gt; ämne" in content["formatted_body"]


def test_links_are_real_links_once_each(strings):
    text = "Läs mer:\n- Guiden (Brå, 2024): https://bra.se/guide?a=1&b=2"
    links = [
        {"title": "Guiden", "url": "https://bra.se/guide?a=1&b=2"},
        {"title": "Säkerhetsfunktionen", "url": "https://intra.example.se/sak"},
    ]
    content = messages.content({"text": text, "buttons": [], "links": links}, strings)
    html = content["formatted_body"]
    # Linked by its title, never with the raw address as link text (issue 20).
    assert '<a href="https://bra.se/guide?a=1&amp;b=2">Guiden</a>' in html
    assert html.count("bra.se/guide") == 1  # the one inline link, no second list item
    assert '<li><a href="https://intra.example.se/sak">Säkerhetsfunktionen</a></li>' in html
    assert "- Säkerhetsfunktionen: https://intra.example.se/sak" in content["body"]


def test_links_to_our_pages_start_with_the_page_base_in_both_bodies(strings, kb):
    # The incident record's link under a threat answer is relative ("/kunskap/dokumentera#…").
    steps = next(m for m in render.article_messages(kb, "hot") if m["kind"] == "steps")
    record = next(link for link in steps["links"] if link["url"].startswith("/"))
    content = messages.content(steps, strings, page_base="https://lotsen.example.se")
    absolute = "https://lotsen.example.se" + record["url"]
    assert f'<a href="{absolute}">' in content["formatted_body"]
    assert f": {absolute}" in content["body"]
    assert 'href="/' not in content["formatted_body"] and ": /" not in content["body"]
    # Other addresses stay as they are.
    sources = next(m for m in render.article_messages(kb, "hot") if m["kind"] == "sources")
    html = messages.content(sources, strings, page_base="https://lotsen.example.se")["formatted_body"]
    assert all(f'<a href="{link["url"]}">' in html for link in sources["links"])


def test_emergency_part_is_bold_with_a_tel_link(strings, emergency_part):
    content = messages.content(emergency_part, strings)
    assert content["body"] == "Är du i fara just nu? Ring 112."
    assert (
        content["formatted_body"]
        == '<p><strong>Är du i fara just nu? Ring 112.</strong></p><p><a href="tel:112">Ring 112</a></p>'
    )


def test_steps_are_an_ordered_list(strings, steps_part):
    content = messages.content(steps_part, strings)
    assert content["formatted_body"] == "<p><strong>Gör så här nu</strong></p><ol><li>Gå undan</li><li>Larma</li></ol>"
    assert content["body"] == steps_part["text"]


def test_contacts_are_a_list_with_tel_and_mailto_links_and_no_raw_url(strings, contacts_part):
    html = messages.content(contacts_part, strings)["formatted_body"]
    assert html.startswith("<p><strong>Vem kontaktar jag?</strong></p><ul><li>")
    assert '<li><a href="tel:0101234567">HR</a> – stöd.' in html
    assert '<a href="mailto:hr@example.se">hr@example.se</a>' in html
    assert '<a href="https://intra.example.se/hr">HR-sidan</a>.' in html
    assert '<li><a href="tel:11414">Polisen 114 14</a></li>' in html
    assert ">https://" not in html and strings.links_heading not in html


def test_sources_are_titled_links(strings):
    url = "https://bra.se/guide"
    sources = {
        "text": f"Läs mer:\n- Guiden (Brå, 2024): {url}",
        "buttons": [],
        "kind": "sources",
        "title": "Källor",
        "links": [{"title": "Guiden", "url": url}],
        "items": [{"text": "Guiden (Brå, 2024)", "href": url}],
    }
    html = messages.content(sources, strings)["formatted_body"]
    assert html == f'<p><strong>Källor</strong></p><ul><li><a href="{url}">Guiden (Brå, 2024)</a></li></ul>'


def test_every_topic_renders_without_a_raw_url_as_link_text(kb, strings):
    for topic in kb.articles:
        first, *rest = [messages.content(m, strings) for m in render.article_messages(kb, topic, emergency=True)]
        assert '<a href="tel:112">' in first["formatted_body"]
        for content in [first, *rest]:
            assert not re.search(r">https?://", content["formatted_body"]), (topic, content["formatted_body"])


def test_lines_stay_lines(strings):
    html = messages.content({"text": "Gör så här nu:\n1. Tacka nej\n2. Berätta", "buttons": [], "links": []}, strings)[
        "formatted_body"
    ]
    assert html == "<p>Gör så här nu:<br>1. Tacka nej<br>2. Berätta</p>"


@pytest.mark.parametrize(
    ("body", "formatted", "clean"),
    [
        (
            "Lotsen: får jag ta emot en gåva?",
            '<a href="https://matrix.to/#/@lotsen:example.se">Lotsen</a>: får jag ta emot en gåva?',
            ": får jag ta emot en gåva?",
        ),
        ("x", "<mx-reply><blockquote>gammalt</blockquote></mx-reply>2", "2"),
        (
            "x",
            'min chef <a href="https://matrix.to/#/@anna.berg:example.se">Anna Berg</a> fick&nbsp;en gåva<br>rad två',
            "min chef fick en gåva\nrad två",
        ),
        ("> <@lotsen:example.se> Välj ett ämne\n\n2", None, "2"),
        ("  hot   och våld \n\n", None, "hot och våld"),
    ],
)
def test_what_the_person_wrote_without_quotes_and_mentions(body, formatted, clean):
    assert messages.plain_text(body, formatted) == clean


def test_a_typed_name_at_the_start_is_not_part_of_the_question():
    names = ["Påverkanslotsen", "@lotsen:example.se", "@lotsen"]
    assert messages.strip_name("Påverkanslotsen: hot i receptionen", names) == "hot i receptionen"
    assert messages.strip_name("@lotsen hot", names) == "hot"
    assert messages.strip_name("hot mot Påverkanslotsen", names) == "hot mot Påverkanslotsen"


@pytest.mark.parametrize(
    ("text", "choice"),
    [
        ("1", messages.Choice(payload="/gavor")),
        (" 2. ", messages.Choice(payload="/hot")),
        ("nr 2", messages.Choice(payload="/hot")),
        ("gåvor och REPRESENTATION!", messages.Choice(payload="/gavor")),
        ("3", messages.Choice(missing_number=3)),
        ("0", messages.Choice(missing_number=0)),
        ("Jag fick en gåva", messages.Choice()),
        ("1 gåva till mig", messages.Choice()),
    ],
)
def test_a_number_or_a_title_is_a_click(text, choice):
    assert messages.choose(text, NUMBERED) == choice


def test_a_number_without_a_list_is_just_text():
    assert messages.choose("3", {}) == messages.Choice()


def test_numbers_run_on_through_an_answer(strings):
    later = messages.content({"text": "Var svaret till hjälp?", "buttons": BUTTONS, "links": []}, strings, first=4)
    assert '<ol start="4"><li>Gåvor och representation</li>' in later["formatted_body"]
    assert later["body"].endswith("4. Gåvor och representation\n5. Hot och våld")
    assert messages.choose("5", dict(enumerate(BUTTONS, 4))) == messages.Choice(payload="/hot")


# --- configuration ----------------------------------------------------------------------------
def settings(tmp_path: Path, **matrix) -> Settings:
    return Settings(data_dir=tmp_path, **{f"matrix_{k}": v for k, v in matrix.items()})


def test_without_configuration_there_is_no_bot(tmp_path):
    assert matrix_configuration(settings(tmp_path)) is None


@pytest.mark.parametrize(
    ("fields", "variable"),
    [
        ({"user_id": "@lotsen:example.se", "access_token": "syt_x"}, "LOTSEN_MATRIX_HOMESERVER"),
        ({"homeserver": "https://matrix.example.se", "access_token": "syt_x"}, "LOTSEN_MATRIX_USER_ID"),
        ({"homeserver": "https://matrix.example.se", "user_id": "@lotsen:example.se"}, "LOTSEN_MATRIX_ACCESS_TOKEN"),
        (
            {"homeserver": "matrix.example.se", "user_id": "@lotsen:example.se", "password": "p"},
            "LOTSEN_MATRIX_HOMESERVER",
        ),
        ({"homeserver": "https://m.example.se", "user_id": "lotsen", "password": "p"}, "LOTSEN_MATRIX_USER_ID"),
        (
            {"homeserver": "https://m.example.se", "user_id": "@l:example.se", "password": "p", "access_token": "t"},
            "LOTSEN_MATRIX_ACCESS_TOKEN",
        ),
        ({"allowed_servers": "example.se"}, "LOTSEN_MATRIX_HOMESERVER"),
        (
            {
                "homeserver": "https://m.example.se",
                "user_id": "@l:example.se",
                "password": "p",
                "allowed_servers": "exa mple.se",
            },
            "LOTSEN_MATRIX_ALLOWED_SERVERS",
        ),
        (
            {"homeserver": "https://m.example.se", "user_id": "@l:example.se", "password": "p"},
            "LOTSEN_MATRIX_PAGE_BASE",
        ),
        (
            {
                "homeserver": "https://m.example.se",
                "user_id": "@l:example.se",
                "password": "p",
                "page_base": "lotsen.se",
            },
            "LOTSEN_MATRIX_PAGE_BASE",
        ),
        ({"page_base": "https://lotsen.example.se"}, "LOTSEN_MATRIX_HOMESERVER"),
    ],
)
def test_half_a_configuration_stops_the_start_naming_the_variable(tmp_path, fields, variable):
    with pytest.raises(MatrixConfigError, match=variable):
        matrix_configuration(settings(tmp_path, **fields))


def test_full_configuration_defaults(tmp_path):
    config = matrix_configuration(
        settings(
            tmp_path,
            homeserver="https://matrix.example.se/",
            user_id="@lotsen:example.se",
            access_token="syt_x",
            page_base="https://lotsen.example.se/",
        )
    )
    assert config.homeserver == "https://matrix.example.se"
    assert config.page_base == "https://lotsen.example.se"
    assert config.store_dir == tmp_path / "matrix"
    assert config.allowed == ("example.se",)


def test_invitations_from_allowed_servers_or_users_only(tmp_path):
    own = matrix_configuration(
        settings(
            tmp_path,
            homeserver="https://m.example.se",
            user_id="@lotsen:example.se",
            password="p",
            page_base="https://lotsen.example.se",
        )
    )
    assert invitation_allowed(own, "@anna:Example.se")
    assert not invitation_allowed(own, "@anna:example.se.evil.org")
    assert not invitation_allowed(own, "@example.se:other.org")
    listed = matrix_configuration(
        settings(
            tmp_path,
            homeserver="https://m.example.se",
            user_id="@lotsen:example.se",
            password="p",
            allowed_servers="myndighet.se, @it:kommun.se",
            page_base="https://lotsen.example.se",
        )
    )
    assert invitation_allowed(listed, "@x:myndighet.se") and invitation_allowed(listed, "@it:kommun.se")
    assert not invitation_allowed(listed, "@y:kommun.se") and not invitation_allowed(listed, "@z:example.se")


def test_the_store_key_is_derived_from_the_server_secret():
    assert pickle_key(b"a" * 32) == pickle_key(b"a" * 32) != pickle_key(b"b" * 32)


def test_library_log_lines_lose_matrix_ids_and_tracebacks():
    from gateway.matrix.bot import _HideMatrixIds, quiet_library_logs

    try:
        raise ValueError("secret text")
    except ValueError:
        import sys

        record = logging.LogRecord(
            "mau.crypto",
            logging.WARNING,
            __file__,
            1,
            "no session for @anna:example.se in %s",
            ("!abc:example.se",),
            sys.exc_info(),
        )
    assert _HideMatrixIds().filter(record)
    formatted = logging.Formatter("%(message)s").format(record)
    assert formatted == "no session for <matrix-id> in <matrix-id>"
    quiet_library_logs()
    library = logging.getLogger("mau")
    # Their debug and trace lines quote decrypted events: never emitted.
    assert library.getEffectiveLevel() == logging.WARNING and not library.propagate
    assert not logging.getLogger("mau.crypto").isEnabledFor(logging.INFO)


def test_half_configured_matrix_stops_the_gateway_start_and_none_starts_no_bot(tmp_path):
    from fastapi.testclient import TestClient

    from gateway.main import create_app

    app = create_app(settings(tmp_path, homeserver="https://matrix.example.se"))
    with pytest.raises(MatrixConfigError, match="LOTSEN_MATRIX_USER_ID"):
        with TestClient(app):
            pass
    unconfigured = create_app(settings(tmp_path))
    with TestClient(unconfigured) as client:
        assert client.get("/healthz").status_code == 200
        assert getattr(unconfigured.state, "matrix", None) is None
