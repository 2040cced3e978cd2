"""Guided conversations end to end, through POST /api/chat only: each flow is completed by
clicking the button payloads the assistant offered, as the widget does."""

from __future__ import annotations

import itertools

import httpx
import pytest

from knowledge.flows import load_flows

pytestmark = pytest.mark.e2e

_sessions = itertools.count(1)


@pytest.fixture(scope="module")
def flows():
    return load_flows()


class Chat:
    """One conversation with the running assistant."""

    def __init__(self, stack, name: str) -> None:
        self.stack = stack
        self.session = f"e2e-flows-{name}-{next(_sessions):03d}"
        self.last: dict = {}

    def _post(self, body: dict) -> dict:
        r = httpx.post(f"{self.stack.url}/api/chat", json={"session_id": self.session, **body}, timeout=30)
        assert r.status_code == 200, r.text
        self.last = r.json()
        if self.last["late_answer"]:
            # Danger right now: the 112 answer at once, then the engine's answer to the same
            # turn, shown below it as the widget does (docs/adr/0003-…).
            late = httpx.post(
                f"{self.stack.url}/api/chat/late-answer", json={"session_id": self.session}, timeout=30
            ).json()
            assert late["engine"] == "rasa" and late["late_answer"] is False, late
            self.last = {**self.last, "messages": self.last["messages"] + late["messages"]}
        else:
            assert self.last["engine"] == "rasa", self.last
        return self.last

    def say(self, text: str) -> dict:
        return self._post({"text": text})

    def click(self, payload_part: str) -> dict:
        """Click the offered button whose payload contains `payload_part` (exactly one must)."""
        matches = [b["payload"] for b in self.buttons() if payload_part in b["payload"]]
        assert len(matches) == 1, (payload_part, self.buttons())
        return self._post({"payload": matches[0]})

    def buttons(self) -> list[dict]:
        return [b for m in self.last["messages"] for b in m["buttons"]]

    def texts(self) -> list[str]:
        return [m["text"] for m in self.last["messages"]]

    def text(self) -> str:
        return "\n".join(self.texts())

    def has(self, text: str) -> bool:
        """Whether the answer says `text`; the REST channel may split it at blank lines."""
        return " ".join(text.split()) in " ".join(self.text().split())

    def links(self) -> list[str]:
        return [link["url"] for m in self.last["messages"] for link in m["links"]]


def assess_gift(stack, flows, giver: str, kind: str, case: str) -> Chat:
    gift = flows.flows["gift_assessment"]
    chat = Chat(stack, "gift")
    assert chat.say("Jag har fått en gåva på jobbet, får jag ta emot den?")["topic"] == "gavor"
    chat.click("/gift_assessment")
    for slot, value in (("gift_giver", giver), ("gift_kind", kind), ("gift_case", case)):
        assert gift.questions[slot].text in chat.texts()
        chat.click(f'"{slot}": "{value}"')
    return chat


def test_gift_verdicts_differ_for_a_relatives_cake_and_a_suppliers_gift_card(stack, flows, kb):
    verdicts = flows.flows["gift_assessment"].extra["verdicts"]
    cake = assess_gift(stack, flows, "brukare_anhorig", "symbolisk_grupp", "nej")
    card = assess_gift(stack, flows, "leverantor", "pengar_presentkort_rabatt", "ja")
    assert verdicts["kan_vara_acceptabelt"]["title"] in cake.texts()[0]
    assert verdicts["tacka_nej"]["title"] in card.texts()[0]
    for chat in (cake, card):
        assert kb.phrases["reason_heading"] in chat.texts()[0]  # one bubble: verdict, reason, next step
        assert kb.phrases["next_step_heading"] in chat.texts()[0]
        assert kb.articles["gavor"].sources[0].url in chat.links()
        assert chat.last["topic"] == "gavor" and chat.last["emergency"] is False
    # The answers are remembered: one follow-up changes the giver and gives a new verdict.
    cake.say("och om det är en leverantör?")
    assert verdicts["radgor_med_chefen"]["title"] in cake.text()


def test_threat_not_in_danger_leads_to_next_steps_as_topic_buttons(stack):
    chat = Chat(stack, "threat-no")
    assert chat.say("En klient skrev i ett mejl att han vet var jag bor")["topic"] == "hot"
    chat.click('"in_danger": "nej"')
    assert [b["payload"] for b in chat.buttons()][:4] == [
        "/dokumentera",
        "/informera_chef",
        "/polisanmalan",
        "/stod_efter_handelse",
    ]
    assert chat.click("/polisanmalan")["topic"] == "polisanmalan"


def test_threat_in_danger_gives_112_first(stack, kb):
    chat = Chat(stack, "threat-yes")
    chat.say("En klient skrev i ett mejl att han vet var jag bor")
    body = chat.click('"in_danger": "ja"')
    assert body["emergency"] is True and body["messages"][0]["text"] == kb.phrases["emergency_line"]


def test_bribe_attempt_gives_decline_document_chef_and_police(stack, kb):
    chat = Chat(stack, "bribe")
    assert chat.say("En sökande erbjöd mig pengar om jag beviljade hans ansökan")["topic"] == "mutor"
    chat.click("/bribe")
    chat.click('"bribe_status": "inte_svarat"')
    assert [b["payload"] for b in chat.buttons()][:3] == ["/dokumentera", "/informera_chef", "/polisanmalan"]
    assert kb.channel("polisen_korruption").url in chat.links()
    assert chat.last["topic"] == "mutor"


def test_colleague_suspicion_says_do_not_investigate_and_offers_the_whistleblowing_channel(stack, kb):
    chat = Chat(stack, "colleague")
    assert chat.say("Jag misstänker att en kollega tar emot mutor")["topic"] == "misstanke_kollega"
    chat.click("/colleague_suspicion")
    chat.click('"suspicion_route": "chef_inblandad"')
    assert chat.texts()[0].startswith("Utred inte själv")
    assert kb.channel("visselblasarkanal").name in chat.text()
    assert "/visselblasning" in [b["payload"] for b in chat.buttons()]


def test_manager_ticks_off_the_checklist_with_buttons(stack, flows):
    checklist = flows.flows["manager_checklist"]
    chat = Chat(stack, "checklist")
    assert (
        chat.say("Jag är chef och en medarbetare har blivit hotad, vad ska jag göra?")["topic"]
        == "chef_stod_medarbetare"
    )
    chat.click("/manager_checklist")
    answers = {
        "check_safety": "klart",
        "check_support": "klart",
        "check_documentation": "klart",
        "check_reports": "senare",
        "check_police": "ej_aktuellt",
        "check_followup": "klart",
    }
    for slot, value in answers.items():
        assert checklist.questions[slot].text in chat.texts()
        chat.click(f'"{slot}": "{value}"')
    assert checklist.extra["checklist"]["later_heading"] in chat.texts()[0]
    assert chat.buttons()[0]["payload"] == "/arbetsskada"


def test_an_emergency_in_the_middle_of_a_flow_answers_112_at_once_and_leaves_the_flow(stack, flows, kb):
    gift = flows.flows["gift_assessment"]
    chat = Chat(stack, "preempt")
    chat.say("Jag har fått en gåva på jobbet, får jag ta emot den?")
    chat.click("/gift_assessment")
    chat.click('"gift_giver": "leverantor"')
    assert gift.questions["gift_kind"].text in chat.texts()
    body = chat.say("han står här med en kniv nu")
    assert body["emergency"] is True and body["messages"][0]["text"] == kb.phrases["emergency_line"]
    assert gift.questions["gift_kind"].text not in chat.texts()
    # The form is gone: a typed answer is now an ordinary question, not the next answer.
    chat.say("ett presentkort")
    assert gift.questions["gift_case"].text not in chat.texts()


def test_a_question_in_the_middle_is_answered_and_the_flow_goes_on(stack, flows, kb):
    gift = flows.flows["gift_assessment"]
    chat = Chat(stack, "interrupt")
    chat.say("Jag har fått en gåva på jobbet, får jag ta emot den?")
    chat.click("/gift_assessment")
    chat.say("Vad är jäv?")
    assert chat.texts()[0].startswith(kb.articles["jav"].summary)
    assert chat.texts()[-1] == gift.questions["gift_giver"].text  # and the question again
    chat.click('"gift_giver": "kollega_annan"')
    assert gift.questions["gift_kind"].text in chat.texts()


def test_stop_leaves_the_flow(stack, kb):
    chat = Chat(stack, "stop")
    chat.say("Jag har fått en gåva på jobbet, får jag ta emot den?")
    chat.click("/gift_assessment")
    chat.say("avbryt")
    assert chat.texts()[0] == kb.phrases["flow_stopped"]


def test_the_role_is_asked_once_remembered_and_used(stack, kb):
    chat = Chat(stack, "role")
    chat.say("Jag har fått en gåva på jobbet, får jag ta emot den?")
    assert kb.phrases["role_question"] in chat.texts()
    chat.click('"role": "chef"')
    assert chat.texts()[0] == kb.phrases["role_confirmed"].format(role="chef")
    assert chat.has(kb.articles["gavor"].audience_section("chef"))
    chat.say("Vad gäller om någon vill muta mig?")
    assert kb.phrases["role_question"] not in chat.texts()
    assert chat.has(kb.articles["mutor"].audience_section("chef"))


def test_a_question_as_manager_gets_the_managers_section(stack, kb):
    chat = Chat(stack, "role-inferred")
    chat.say("Som chef, hur ska vi hantera gåvor som skickas till enheten?")
    assert chat.has(kb.articles["gavor"].audience_section("chef"))


def test_follow_ups_are_about_the_current_topic(stack, kb):
    chat = Chat(stack, "followups")
    chat.say("Får jag ta emot en gåva från en brukare?")
    assert chat.say("vem ska jag ringa?")["topic"] == "gavor"
    assert kb.channel("jurist").how_to_reach() in chat.text()
    assert chat.say("kan du förklara enklare?")["topic"] == "gavor"
    assert chat.has(kb.articles["gavor"].simple)
    assert chat.say("var kan jag läsa mer?")["topic"] == "gavor"
    assert kb.articles["gavor"].sources[0].url in chat.links()


def test_asking_for_a_human_gives_the_organisations_contacts_with_hours(stack, kb):
    chat = Chat(stack, "handoff")
    chat.say("jag vill prata med en människa")
    assert chat.texts()[0].startswith(kb.phrases["handoff_intro"])
    assert kb.channel("chef").hours in chat.text() and kb.channel("sakerhetsfunktion").hours in chat.text()


def test_feedback_buttons_pass_through_the_gateway_harmlessly(stack, kb):
    chat = Chat(stack, "feedback")
    chat.say("Vad är jäv?")
    body = chat.click('"helpful": "nej"')
    assert body["topic"] is None and body["emergency"] is False
    assert body["messages"][0]["text"] == kb.phrases["feedback_sorry"]
    assert chat.click("/handoff")["messages"][0]["text"].startswith(kb.phrases["handoff_intro"])
