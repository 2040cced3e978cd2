"""After a bribe attempt: decline, document, tell the chef, police – the first step follows the answer."""

from __future__ import annotations

import pytest

from actions.flows import flow_action
from actions.settings import knowledge_base
from knowledge import contract
from tests.engine.builders import Conversation, meta, payloads, texts


def outcome(status: str):
    return (
        Conversation(slots={"bribe_status": status})
        .say("bribe", entities={"bribe_status": status})
        .run(flow_action("action_bribe_outcome"))[0]
    )


@pytest.mark.parametrize("status", ["tackat_nej", "inte_svarat", "tagit_emot"])
def test_every_answer_leads_to_document_chef_and_police_with_the_anti_corruption_group(status):
    kb = knowledge_base()
    messages = outcome(status)
    assert payloads(messages)[:3] == ["/dokumentera", "/informera_chef", "/polisanmalan"]
    nkg = kb.channel("polisen_korruption")
    assert nkg.url in texts(messages)[0]
    assert {"title": nkg.name, "url": nkg.url} in contract.answer(messages)["messages"][0]["links"]
    assert meta(messages)["topic"] == "mutor"


def test_the_first_step_depends_on_what_the_person_has_done():
    firsts = {
        status: texts(outcome(status))[0].split("\n")[0] for status in ("tackat_nej", "inte_svarat", "tagit_emot")
    }
    assert len(set(firsts.values())) == 3
    assert "nej" in firsts["inte_svarat"].lower()
