"""Teams activities → engine turns and answers → Teams activities: the pure mapping."""

from __future__ import annotations

import re

import pytest
from microsoft_agents.activity import Activity

from gateway.teams import activities, cards
from knowledge import render


def message(**fields) -> Activity:
    base = {
        "type": "message",
        "channelId": "msteams",
        "conversation": {"id": "a:1x", "conversationType": "personal", "tenantId": "tenant-1"},
        "from": {"id": "29:user"},
        "recipient": {"id": "28:bot"},
    }
    return Activity.model_validate({**base, **fields})


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("<at>Påverkanslotsen</at> Får jag ta emot en gåva?", "Får jag ta emot en gåva?"),
        ('Hej <at>Lotsen</at>, min chef <at id="1">Anna Berg</at> fick en gåva', "Hej , min chef fick en gåva"),
        ("<AT>Lotsen</AT>&nbsp;hot &amp; våld", "hot & våld"),
        ("<at>Lotsen</at>\n\nrad ett\n  rad   två ", "rad ett\nrad två"),
        ("<at>Lotsen</at>", ""),
        ("1 < 2 men <at>x</at> 3 > 2", "1 < 2 men 3 > 2"),
    ],
)
def test_mentions_are_stripped_colleagues_too(raw, clean):
    assert activities.strip_mentions(raw) == clean


def test_typed_text_becomes_a_text_turn_without_mentions():
    turn = activities.message_turn(message(text="<at>Lotsen</at> Någon hotar mig"))
    assert turn == activities.Turn(text="Någon hotar mig")


def test_card_submit_becomes_the_button_payload():
    # Teams sends an Action.Submit click as a message without text, the data in value.
    turn = activities.message_turn(message(value={"payload": "/mutor"}))
    assert turn == activities.Turn(payload="/mutor")
    # The payload wins over any text Teams adds (messageBack, older clients).
    assert activities.message_turn(message(text="Mutor", value={"payload": "/mutor"})).payload == "/mutor"


@pytest.mark.parametrize("value", [{"payload": 5}, {"payload": ""}, {"payload": "/" + "x" * 600}, {"payload": None}])
def test_malformed_card_submit_is_an_unknown_button(value):
    assert activities.message_turn(message(value=value)).problem == "unknown_button"


@pytest.mark.parametrize(
    "fields",
    [
        {"text": "<at>Lotsen</at>"},
        {"text": "   "},
        {},
        {"value": {"other": 1}},
        {"attachments": [{"contentType": "image/png"}]},
    ],
)
def test_message_without_words_is_answered_with_a_hint(fields):
    assert activities.message_turn(message(**fields)).problem == "no_text"


def test_overlong_text_is_refused_as_for_the_chat_api():
    assert activities.message_turn(message(text="a" * 1000)).text == "a" * 1000
    assert activities.message_turn(message(text="a" * 1001)).problem == "too_long"


SECRET = b"k" * 32


def test_each_conversation_is_its_own_stable_session():
    first = activities.session_id(message(), SECRET)
    assert first == activities.session_id(message(text="again"), SECRET)
    assert re.fullmatch(r"[A-Za-z0-9_-]{8,64}", first) and first.startswith("teams-")
    other = message(conversation={"id": "a:2y", "conversationType": "personal", "tenantId": "tenant-1"})
    other_tenant = message(conversation={"id": "a:1x", "conversationType": "personal", "tenantId": "tenant-2"})
    thread = message(conversation={"id": "19:abc@thread.tacv2;messageid=1", "conversationType": "channel"})
    assert (
        len(
            {
                first,
                activities.session_id(other, SECRET),
                activities.session_id(other_tenant, SECRET),
                activities.session_id(thread, SECRET),
            }
        )
        == 4
    )
    # Teams' ids name people and tenants: they must not reach the engine.
    assert "a:1x" not in first and "tenant" not in first


def test_session_ids_are_keyed_by_the_server_secret():
    """Whoever knows a conversation id (everyone in it) cannot compute its session id."""
    import hashlib

    activity = message()
    assert activities.session_id(activity, SECRET) != activities.session_id(activity, b"other" * 7)
    conversation = activity.conversation
    for key in (f"msteams\n{conversation.tenant_id or ''}\n{conversation.id}", conversation.id):
        assert hashlib.sha256(key.encode()).hexdigest()[:40] not in activities.session_id(activity, SECRET)


def test_welcome_only_when_the_bot_joins_a_personal_chat():
    added = {"type": "conversationUpdate", "membersAdded": [{"id": "29:user"}, {"id": "28:bot"}]}
    assert activities.is_personal(message(**added)) and activities.bot_was_added(message(**added))
    assert not activities.bot_was_added(message(type="conversationUpdate", membersAdded=[{"id": "29:user"}]))
    group = message(**added, conversation={"id": "19:g", "conversationType": "groupChat"})
    assert not activities.is_personal(group)


def test_text_alone_is_a_plain_markdown_message_with_its_lines_kept():
    [activity] = cards.reply_activities(
        [{"text": "Gör så här nu:\n1. Ring 112.\n2. Larma.", "buttons": [], "links": []}]
    )
    assert activity.type == "message" and not activity.attachments
    assert activity.text == "Gör så här nu:\n\n1. Ring 112.\n\n2. Larma."


def test_buttons_and_links_become_an_adaptive_card_whose_clicks_carry_the_payload():
    msg = {
        "text": "Läs mer:",
        "buttons": [{"title": "Mutförsök och otillbörliga förmåner", "payload": "/mutor"}],
        "links": [{"title": "Om mutor och jäv [2006]", "url": "https://example.se/a (b)"}],
    }
    [activity] = cards.reply_activities([msg])
    [attachment] = activity.attachments
    assert attachment.content_type == "application/vnd.microsoft.card.adaptive"
    card = attachment.content
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.5"
    text, links, row = card["body"]
    assert text == {"type": "TextBlock", "text": "Läs mer:", "wrap": True}
    assert links["text"] == "- [Om mutor och jäv (2006)](https://example.se/a%20(b%29)"
    assert row == {
        "type": "ActionSet",
        "actions": [
            {"type": "Action.Submit", "title": "Mutförsök och otillbörliga förmåner", "data": {"payload": "/mutor"}}
        ],
    }
    assert activity.summary == "Läs mer:"


def test_our_page_links_open_at_the_address_teams_used():
    """Teams opens only absolute links: the printable summary's relative link gets the gateway's
    address; outside a Teams request (no address known) links stay as they are."""
    msg = {
        "text": "Risknivå",
        "buttons": [],
        "links": [{"title": "Skriv ut", "url": "/kunskap/hotniva?risk_acute=nej"}],
    }
    token = cards.PAGE_BASE.set("https://lotsen.example.se/")
    try:
        [activity] = cards.reply_activities([msg])
    finally:
        cards.PAGE_BASE.reset(token)
    assert activity.attachments[0].content["body"][1]["text"] == (
        "- [Skriv ut](https://lotsen.example.se/kunskap/hotniva?risk_acute=nej)"
    )
    [plain] = cards.reply_activities([msg])
    assert plain.attachments[0].content["body"][1]["text"] == "- [Skriv ut](/kunskap/hotniva?risk_acute=nej)"


def test_the_112_line_comes_first_and_plain():
    line = "Är du i fara just nu? Ring 112. Ta dig i säkerhet och larma kolleger."
    answer = [
        {"text": line, "buttons": [], "links": []},
        {"text": "Gör så här nu:", "buttons": [{"title": "Hot", "payload": "/hot"}], "links": []},
    ]
    first, second = cards.reply_activities(answer)
    assert first.text == line and not first.attachments
    assert second.attachments


def test_structured_emergency_part_is_plain_text_first(emergency_part):
    lead = {"text": "Gå undan.", "buttons": [], "links": [], "kind": "lead", "title": None, "items": []}
    first, second = cards.reply_activities([emergency_part, lead])
    assert first.text == emergency_part["text"] and not first.attachments
    assert second.text == "Gå undan." and not second.attachments


def test_steps_become_a_card_with_a_numbered_list(steps_part):
    [activity] = cards.reply_activities([steps_part])
    heading, items = activity.attachments[0].content["body"]
    assert heading == {"type": "TextBlock", "text": "Gör så här nu", "weight": "Bolder", "wrap": True}
    assert items["text"] == "1. Gå undan\n2. Larma"
    assert activity.summary == "Gör så här nu"


def test_contacts_have_tel_and_mailto_links_and_addresses_by_title(contacts_part):
    [activity] = cards.reply_activities([contacts_part])
    body = activity.attachments[0].content["body"]
    assert len(body) == 2  # the title and the list: the web page's link is in the list already
    assert body[1]["text"] == (
        "- [HR](tel:0101234567) – stöd. Telefon: 010-123 45 67. E-post: "
        "[hr@example.se](mailto:hr@example.se). Webb: [HR-sidan](https://intra.example.se/hr).\n"
        "- [Polisen 114 14](tel:11414)"
    )


def test_every_topic_renders_without_a_raw_url_as_link_text(kb):
    """Over the real knowledge base: 112 first and plain, and each link shows words, not an address."""
    for topic in kb.articles:
        first, *rest = cards.reply_activities(render.article_messages(kb, topic, emergency=True))
        assert first.text == kb.phrases["emergency_line"] and not first.attachments
        for activity in rest:
            for attachment in activity.attachments or []:
                text = "\n".join(b.get("text", "") for b in attachment.content["body"])
                assert not re.search(r"\[https?://", text), (topic, text)
