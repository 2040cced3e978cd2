"""Granska en process end to end through POST /api/chat (issue 18 §4): started by words or from
the riskanalys answer, every process and every answer of every question on some path, the
ranked risks with their measures, and the link to the printable page prefilled with the
choices."""

from __future__ import annotations

import httpx
import pytest

from knowledge.flows import load_flows
from tests.e2e.test_flows import Chat

pytestmark = pytest.mark.e2e

ANSWERS = ("ja", "delvis", "nej")
# How each path starts: the flow's own words, or the riskanalys topic, whose answer offers it.
# Some name the process, which then is not asked (the path's process all the same).
STARTS = (
    "Jag vill granska en process",
    "riskanalys av upphandlingen",
    "Hur gör vi en riskanalys för otillåten påverkan?",
    "granska vår process för utbetalningar",
    "Som verksamhetsutvecklare, vilka risker finns i vår rekryteringsprocess?",
    "processgranskning",
)


@pytest.fixture(scope="module")
def flow():
    return load_flows().flows["process_review"]


def path(flow, n: int) -> dict[str, str]:
    """Path n: the n-th process, and the answers rotated so that three paths give each question
    each answer."""
    processes = list(flow.questions["review_process"].options)
    areas = [slot for slot in flow.questions if slot != "review_process"]
    return {"review_process": processes[n], **{slot: ANSWERS[(n + i) % 3] for i, slot in enumerate(areas)}}


@pytest.mark.parametrize("n", range(6))
def test_every_path_ranks_the_risks_and_links_the_printable_list(stack, flow, kb, n):
    answers = path(flow, n)
    chat = Chat(stack, "review")
    chat.say(STARTS[n])
    if n == 0:  # the flow's own words start it (NLU), no detour through an offer
        assert flow.questions["review_process"].text in chat.texts(), chat.texts()
    if not any(q.text in chat.texts() for q in flow.questions.values()):
        # Understood as a question about riskanalys: its answer asks the role, and the
        # verksamhetsutvecklare's role offers the review.
        assert chat.last["topic"] == "riskanalys", chat.last
        chat.click('"role": "verksamhetsutvecklare"')
        chat.click("/process_review")
    for slot, value in answers.items():
        if flow.questions[slot].text not in chat.texts():
            # Already answered by the words that started the flow ("… av handläggning").
            assert flow.questions[slot].answer_from_text(STARTS[n]) == value, (slot, chat.texts())
            continue
        chat.click(f'"{slot}": "{value}"')
    ranked = flow.ranked(answers)
    assert ranked and chat.last["topic"] == "riskanalys" and chat.last["emergency"] is False
    text = chat.text()
    positions = [text.index(f"{row['level']}: {row['risk']}") for row in ranked]
    assert positions == sorted(positions)  # most serious first
    assert all(row["measure"] in text for row in ranked)
    assert flow.questions["review_process"].options[answers["review_process"]].title in text
    [link] = [url for url in chat.links() if url.startswith("/kunskap/granska?")]
    page = httpx.get(f"{stack.url}{link}", timeout=30)
    assert page.status_code == 200 and f'value="{answers["review_process"]}" selected' in page.text
    assert page.text.count(" checked>") == len(answers) - 1
