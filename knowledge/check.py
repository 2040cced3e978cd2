"""Validate the knowledge base from the command line: `python -m knowledge.check [ORG_FILE]`.

Beyond what the loader refuses (schema, references), this checks what makes an answer safe
and usable in a stressful moment (content-brief.md §0a, issue 14):
- a danger topic names 112 in the first sentence of its `summary` and its `simple` text;
- the first message (the lead + the steps, as `knowledge.render` sends it) is one lead
  sentence and at most 60 words, and no step says again what the lead already says;
- every article stays readable (LIX);
- knowledge/flows.yml has the shape of knowledge/flows.schema.json and names topics and
  channels that exist (the engine derives the flows' domain, rules and actions from it).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from knowledge import contract, render
from knowledge.flows import FlowsError, load_flows
from knowledge.loader import Article, KnowledgeBase, KnowledgeError, load, word_count
from knowledge.readability import lix

LIX_MAX = 45
FIRST_MESSAGE_MAX_WORDS = 60
FIRST_ANSWER_TARGET_WORDS = 150
# A step repeats the lead when this share of its content words is already in the lead.
REPEAT_SHARE = 0.6

# A sentence ends at . ! or ? followed by space and a capital letter, digit or quote.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'”»A-ZÅÄÖ0-9])")
_LIST_NUMBER = re.compile(r"^\d+\.\s", flags=re.M)
_TOKEN = re.compile(r"[0-9]+(?:\s[0-9]{2})*|[a-zåäöéü]+")
# Small words that say nothing on their own; two sentences sharing them do not repeat each other.
_FILLER = frozenset(
    "och att det den din ditt dina du dig med som för från till på av om inte eller men när är har kan ska "
    "så här nu en ett vad vem hur var hos efter innan också även just direkt alltid sedan annars".split()
)


def sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(text.strip()) if s]


def first_sentence(text: str) -> str:
    parts = sentences(text)
    return parts[0] if parts else ""


def readable_words(text: str) -> int:
    """Words a person reads: list numbers ("1.") are not words."""
    return word_count(_LIST_NUMBER.sub("", text))


def first_message_words(kb: KnowledgeBase, topic_id: str) -> int:
    """The lead and the steps: what a client shows at once (the rest sits behind controls)."""
    return sum(
        readable_words(m["text"])
        for m in render.article_messages(kb, topic_id)
        if m["kind"] in (contract.KIND_LEAD, contract.KIND_STEPS)
    )


def first_answer_words(kb: KnowledgeBase, topic_id: str) -> int:
    """Everything sent for one question about the topic, before the person asks for more."""
    return sum(readable_words(m["text"]) for m in render.article_messages(kb, topic_id))


def _content_words(text: str) -> set[str]:
    """Numbers whole, other words cut to four letters: a crude stem, so "chef" meets "chefen"."""
    return {
        t if t[0].isdigit() else t[:4]
        for t in _TOKEN.findall(text.lower())
        if t not in _FILLER and (t[0].isdigit() or len(t) > 2)
    }


def repeats(lead: str, step: str) -> bool:
    """Does the step say again what the lead says? A phone number in both counts as a repeat."""
    lead_words, step_words = _content_words(lead), _content_words(step)
    if not step_words:
        return False
    if any(w[0].isdigit() for w in lead_words & step_words):
        return True
    return len(lead_words & step_words) / len(step_words) >= REPEAT_SHARE


def article_problems(kb: KnowledgeBase, article: Article) -> list[str]:
    where = f"knowledge/articles/{article.id}.md"
    problems = []
    if kb.topics[article.id].danger:
        for field in ("summary", "simple"):
            if "112" not in first_sentence(getattr(article, field)):
                problems.append(f"{where}: ämnet gäller fara för en person: första meningen i '{field}' ska nämna 112")
    if len(sentences(article.summary)) != 1:
        problems.append(f"{where}: 'summary' är första meddelandets inledning och ska vara en enda mening")
    for i, step in enumerate(article.steps, 1):
        if repeats(article.summary, step):
            problems.append(f"{where}: steg {i} upprepar det som inledningen ('summary') redan säger")
    words = first_message_words(kb, article.id)
    if words > FIRST_MESSAGE_MAX_WORDS:
        problems.append(f"{where}: första meddelandet har {words} ord (högst {FIRST_MESSAGE_MAX_WORDS})")
    value = lix(article.body)
    if value > LIX_MAX:
        problems.append(f"{where}: LIX {value} > {LIX_MAX}")
    return problems


def problems(kb: KnowledgeBase) -> list[str]:
    return [p for topic_id in kb.topics for p in article_problems(kb, kb.articles[topic_id])]


def flow_problems(kb: KnowledgeBase, path: Path | None = None) -> list[str]:
    """The guided flows: schema, internal references, then topics and channels in the knowledge base."""
    try:
        flows = load_flows(path)
    except FlowsError as exc:
        return [f"flows.yml: {p}" for p in exc.problems]
    return [f"flows.yml: {p}" for p in flows.check(kb)]


def main(argv: list[str]) -> int:
    org = Path(argv[0]) if argv else None
    try:
        kb = load(organisation_file=org)
    except KnowledgeError as exc:
        print(exc, file=sys.stderr)
        return 1
    found = problems(kb) + flow_problems(kb)
    for problem in found:
        print(problem, file=sys.stderr)
    if found:
        return 1
    print(f"OK: {len(kb.articles)} artiklar, organisation {kb.organisation.name!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
