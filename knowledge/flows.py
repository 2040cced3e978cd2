"""Guided conversations as data: roles, questions, typed-answer cues and outcome rules.

Pure Python (PyYAML only) like the rest of knowledge/: the engine's actions use it, and the
unit tests check the decisions without Rasa. The Swedish text lives in knowledge/flows.yml,
its shape in knowledge/flows.schema.json (checked on every load). Each flow's Rasa domain and
rules are derived here (`Flows.rasa_domain`, `Flows.rasa_rules`) and added to the training data by
bot/flows_importer.py; actions/flows.py makes its action classes (docs/adr/0004).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jsonschema
import yaml

from knowledge.loader import AUDIENCES, FileCache, KnowledgeBase, safe_load

FLOWS_FILE = Path(__file__).resolve().parent / "flows.yml"
SCHEMA_FILE = Path(__file__).resolve().parent / "flows.schema.json"
# The intent that leaves any flow at once (the emergency answer); a form never reads it as an answer.
EMERGENCY_INTENT = "akut_fara"


class FlowsError(Exception):
    """flows.yml is invalid; the message lists every problem."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("Flödena är ogiltiga:\n" + "\n".join(f"- {p}" for p in problems))


def normalise(text: str) -> str:
    """Lower case without diacritics or punctuation: "Leverantören!" → "leverantoren"."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.findall(r"[a-z0-9]+", plain))


def _cue_pattern(cue: str) -> re.Pattern:
    prefix = cue.endswith("*")
    words = normalise(cue.rstrip("*"))
    return re.compile(r"\b" + re.escape(words) + (r"[a-z0-9]*" if prefix else r"\b"))


@dataclass(frozen=True)
class Cues:
    """Phrases that recognise one of several values in free text."""

    by_value: dict[str, tuple[str, ...]]
    _patterns: dict[str, tuple[tuple[int, re.Pattern], ...]] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        # Specificity is the number of words: "prata med min chef" says more than "chef".
        patterns = {
            v: tuple((len(normalise(c.rstrip("*")).split()), _cue_pattern(c)) for c in cues)
            for v, cues in self.by_value.items()
        }
        object.__setattr__(self, "_patterns", patterns)

    def match(self, text: str) -> str | None:
        """The value whose most specific matching cue has the most words; None if nothing or a tie."""
        plain = normalise(text)
        best: dict[str, int] = {}
        for value, patterns in self._patterns.items():
            lengths = [length for length, pattern in patterns if pattern.search(plain)]
            if lengths:
                best[value] = max(lengths)
        if not best:
            return None
        ranked = sorted(best.items(), key=lambda item: -item[1])
        if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
            return None
        return ranked[0][0]


@dataclass(frozen=True)
class Option:
    value: str
    title: str
    label: str


@dataclass(frozen=True)
class Question:
    slot: str
    label: str
    text: str
    options: dict[str, Option]
    cues: Cues
    affirm: str | None = None
    deny: str | None = None
    topic: str | None = None
    # In a ranked flow (`ranking`): the risk, its measure and how serious it is.
    risk: str | None = None
    measure: str | None = None
    weight: int = 0

    def answer_from_text(self, text: str) -> str | None:
        return self.cues.match(text)


@dataclass(frozen=True)
class OfferButton:
    title: str
    answers: dict[str, str]


@dataclass(frozen=True)
class Flow:
    name: str
    topic: str
    offer_text: str
    offer_buttons: tuple[OfferButton, ...]
    questions: dict[str, Question]
    rules: tuple[dict[str, Any], ...]
    extra: dict[str, Any]

    @property
    def what_if(self) -> bool:
        """Whether "och om …?" may change an answer (a checklist has nothing to ask about)."""
        return bool(self.extra.get("what_if", True))

    @property
    def form(self) -> str:
        return f"{self.name}_form"

    @property
    def validate_action(self) -> str:
        return f"validate_{self.form}"

    @property
    def outcome_action(self) -> str:
        return f"action_{self.name}_outcome"

    @property
    def ask_actions(self) -> dict[str, str]:
        """The action that asks each question, by slot (Rasa's form calls `action_ask_<slot>`)."""
        return {slot: f"action_ask_{slot}" for slot in self.questions}

    def rasa_domain(self) -> dict[str, Any]:
        """The flow's part of the Rasa domain: intent, one slot and entity per question, the form.

        The answers stay in their slots after the outcome (influence_conversation false: they
        never steer the rules), so that "och om det är en leverantör?" can change one of them.
        """
        slots = {
            slot: {
                "type": "categorical",
                "values": list(q.options),
                "influence_conversation": False,
                "mappings": [{"type": "from_entity", "entity": slot}],
            }
            for slot, q in self.questions.items()
        }
        return {
            "intents": [self.name],
            "entities": list(self.questions),
            "slots": slots,
            "forms": {self.form: {"ignored_intents": [EMERGENCY_INTENT], "required_slots": list(self.questions)}},
            "actions": [self.validate_action, *self.ask_actions.values(), self.outcome_action],
        }

    def rasa_rules(self) -> list[dict[str, Any]]:
        """Start the flow, give the outcome when the form is done, leave it on an emergency."""
        return [
            {
                "rule": f"start the flow {self.name}",
                "steps": [
                    {"intent": self.name},
                    {"action": "action_start_flow"},
                    {"action": self.form},
                    {"active_loop": self.form},
                ],
            },
            # Without a condition on purpose: the form may also finish at once, when the button
            # that started it carried every answer (e.g. "Är du i fara just nu? Ja").
            {
                "rule": f"give the outcome of the flow {self.name} when every question is answered",
                "steps": [
                    {"action": self.form},
                    {"active_loop": None},
                    {"slot_was_set": [{"requested_slot": None}]},
                    {"action": self.outcome_action},
                ],
            },
            {
                "rule": f"an emergency leaves the flow {self.name} at once",
                "condition": [{"active_loop": self.form}],
                "steps": [
                    {"intent": EMERGENCY_INTENT},
                    {"action": "action_answer_topic"},
                    {"action": "action_deactivate_loop"},
                    {"active_loop": None},
                ],
            },
        ]

    def payload(self, answers: Mapping[str, str] | None = None) -> str:
        """The button payload that starts (or answers) this flow: '/flow{"slot": "value"}'."""
        return start_payload(self.name, answers)

    def ranked(self, answers: Mapping[str, Any]) -> list[dict[str, Any]]:
        """A ranked flow's risks, most serious first: likelihood (the answer) × the question's
        weight; ties keep the questions' order; a score below every level is no risk."""
        ranking = self.extra.get("ranking") or {}
        rows = []
        for slot, q in self.questions.items():
            score = int((ranking.get("likelihood") or {}).get(answers.get(slot), 0)) * q.weight
            level = next((lv["title"] for lv in ranking.get("levels") or [] if score >= lv["min"]), None)
            if score and level:
                rows.append({"id": slot, "score": score, "level": level, "risk": q.risk, "measure": q.measure})
        return sorted(rows, key=lambda r: -r["score"])

    def print_link(self, answers: Mapping[str, Any]) -> dict[str, str] | None:
        """The link to the flow's printable page, with the chosen options as its query.

        Only option keys go in the query, never typed text: nothing personal leaves the chat.
        """
        page = self.extra.get("print_page")
        if not page:
            return None
        chosen = {slot: str(answers[slot]) for slot, q in self.questions.items() if answers.get(slot) in q.options}
        return {"title": page["title"], "url": f"{page['path']}?{urlencode(chosen)}" if chosen else page["path"]}

    def answers_from_query(self, query: Mapping[str, str]) -> dict[str, str]:
        """The chosen options a print page's query gives; anything else is left out."""
        return {slot: query[slot] for slot, q in self.questions.items() if query.get(slot) in q.options}

    @property
    def audiences(self) -> tuple[str, ...]:
        return tuple(self.extra.get("audiences") or ())

    def offered_to(self, role: str | None, asking_role: bool = False) -> bool:
        """Whether an answer on the flow's topic offers it to an asker with `role` (None: unknown).

        A flow for every role is always offered; a flow for some roles (the risk level for
        managers) to those roles. To an asker of unknown role it is offered only when the answer
        does not ask for the role (`asking_role`): then choosing a role offers it
        (`Flows.unlocked_by`), and one offer fewer keeps the first answer on one phone screen."""
        if not self.audiences:
            return True
        if role is None:
            return not asking_role
        return role in self.audiences

    def is_complete(self, answers: Mapping[str, Any]) -> bool:
        return all(answers.get(slot) in q.options for slot, q in self.questions.items())

    def outcome(self, answers: Mapping[str, Any]) -> dict[str, Any]:
        """The first rule whose `when` matches all given answers (a rule without `when` always does)."""
        for rule in self.rules:
            if all(answers.get(slot) in values for slot, values in (rule.get("when") or {}).items()):
                return rule
        raise LookupError(f"no rule in flow {self.name} matches {dict(answers)}")


@dataclass(frozen=True)
class Flows:
    role_cues: Cues
    role_names: Cues
    flows: dict[str, Flow]

    def infer_role(self, text: str, about_role: bool = False) -> str | None:
        """The role a message shows ("som chef"); with `about_role`, a role's name is enough."""
        if not text:
            return None
        return self.role_cues.match(text) or (self.role_names.match(text) if about_role else None)

    def rasa_domain(self) -> dict[str, Any]:
        """Every flow's domain in one Rasa domain dict (bot/flows_importer.py adds it)."""
        domain: dict[str, Any] = {"intents": [], "entities": [], "slots": {}, "forms": {}, "actions": []}
        for flow in self.flows.values():
            for key, value in flow.rasa_domain().items():
                if isinstance(value, dict):
                    domain[key].update(value)
                else:
                    domain[key].extend(value)
        return domain

    def rasa_rules(self) -> list[dict[str, Any]]:
        return [rule for flow in self.flows.values() for rule in flow.rasa_rules()]

    def for_topic(self, topic: str | None) -> Flow | None:
        return next((f for f in self.flows.values() if f.topic == topic), None)

    def all_for_topic(self, topic: str | None) -> list[Flow]:
        """Every flow a topic's answer offers, in the file's order (`hot`: danger now, then the risk level)."""
        return [f for f in self.flows.values() if f.topic == topic]

    def offered(self, topic: str | None, role: str | None, asking_role: bool = False) -> list[Flow]:
        """The flows an answer on `topic` offers to an asker with `role` (`Flow.offered_to`)."""
        return [f for f in self.all_for_topic(topic) if f.offered_to(role, asking_role)]

    def unlocked_by(self, topic: str | None, role: str) -> list[Flow]:
        """The flows of `topic` that choosing `role` offers: those for the role that an answer
        asking for the role held back (the flows for every role came with the answer)."""
        return [f for f in self.all_for_topic(topic) if f.offered_to(role) and not f.offered_to(None, asking_role=True)]

    def for_slot(self, slot: str) -> Flow | None:
        return next((f for f in self.flows.values() if slot in f.questions), None)

    def question(self, slot: str) -> Question:
        flow = self.for_slot(slot)
        if flow is None:
            raise KeyError(slot)
        return flow.questions[slot]

    def check(self, kb: KnowledgeBase) -> list[str]:
        """Cross-references into the knowledge base: topics and channels must exist."""
        problems = []
        for flow in self.flows.values():
            where = f"flows.{flow.name}"
            topics = [flow.topic] + [q.topic for q in flow.questions.values() if q.topic]
            for rule in flow.rules:
                topics += [s["topic"] for s in rule.get("steps") or [] if s.get("topic")]
                topics += list(rule.get("related") or [])
            for topic in topics:
                if topic not in kb.articles:
                    problems.append(f"{where}: ämnet {topic!r} finns inte")
            channels = [s["channel"] for r in flow.rules for s in r.get("steps") or [] if s.get("channel")]
            channels += [c for r in flow.rules for c in r.get("channels") or []]
            for key in channels:
                try:
                    kb.channel(key)
                except KeyError:
                    problems.append(f"{where}: kanalen {key!r} finns inte")
        return problems


def start_payload(intent: str, answers: Mapping[str, str] | None = None) -> str:
    # Rasa reads '/intent{"entity": "value"}' as that intent with those entities; the gateway
    # accepts it back because the bot offered it as a button.
    if not answers:
        return f"/{intent}"
    body = ", ".join(f'"{k}": "{v}"' for k, v in answers.items())
    return f"/{intent}{{{body}}}"


def _expect(cond: bool, problem: str, problems: list[str]) -> bool:
    if not cond:
        problems.append(problem)
    return cond


def _question(slot: str, raw: Any, where: str, problems: list[str]) -> Question | None:
    if not _expect(isinstance(raw, dict), f"{where}: frågan är inte en tabell", problems):
        return None
    options: dict[str, Option] = {}
    cues: dict[str, tuple[str, ...]] = {}
    for value, opt in (raw.get("options") or {}).items():
        if not _expect(
            isinstance(opt, dict) and isinstance(opt.get("title"), str),
            f"{where}.options.{value}: 'title' saknas",
            problems,
        ):
            continue
        options[str(value)] = Option(str(value), opt["title"], opt.get("label") or opt["title"])
        cues[str(value)] = tuple(str(c) for c in opt.get("cues") or [])
    _expect(len(options) >= 2, f"{where}: minst två svarsalternativ behövs", problems)
    for key in ("label", "text"):
        _expect(isinstance(raw.get(key), str) and raw[key].strip(), f"{where}: '{key}' saknas", problems)
    for key in ("affirm", "deny"):
        if raw.get(key) is not None:
            _expect(raw[key] in options, f"{where}: '{key}' ({raw[key]}) är inget svarsalternativ", problems)
    return Question(
        slot=slot,
        label=str(raw.get("label", "")),
        text=str(raw.get("text", "")),
        options=options,
        cues=Cues(cues),
        affirm=raw.get("affirm"),
        deny=raw.get("deny"),
        topic=raw.get("topic"),
        risk=raw.get("risk"),
        measure=raw.get("measure"),
        weight=int(raw.get("weight") or 0),
    )


def _flow(name: str, raw: Any, problems: list[str]) -> Flow | None:
    where = f"flows.{name}"
    if not _expect(isinstance(raw, dict), f"{where}: flödet är inte en tabell", problems):
        return None
    questions = {}
    for slot, q in (raw.get("questions") or {}).items():
        question = _question(str(slot), q, f"{where}.questions.{slot}", problems)
        if question:
            questions[question.slot] = question
    _expect(bool(questions), f"{where}: 'questions' saknas", problems)
    offer = raw.get("offer") or {}
    _expect(isinstance(offer.get("text"), str), f"{where}.offer: 'text' saknas", problems)
    buttons = []
    for i, b in enumerate(offer.get("buttons") or []):
        answers = {str(k): str(v) for k, v in (b.get("answers") or {}).items()}
        for slot, value in answers.items():
            _expect(
                slot in questions and value in questions[slot].options,
                f"{where}.offer.buttons[{i}]: svaret {slot}={value} finns inte",
                problems,
            )
        buttons.append(OfferButton(str(b.get("title", "")), answers))
    _expect(bool(buttons), f"{where}.offer: 'buttons' saknas", problems)
    rules = tuple(raw.get("rules") or ())
    for i, rule in enumerate(rules):
        for slot, values in (rule.get("when") or {}).items():
            ok = slot in questions and all(v in questions[slot].options for v in values)
            _expect(ok, f"{where}.rules[{i}]: villkoret {slot}={values} finns inte bland frågorna", problems)
    if rules:
        _expect(not rules[-1].get("when"), f"{where}.rules: sista regeln ska gälla alltid (utan 'when')", problems)
    verdicts = raw.get("verdicts") or {}
    for i, rule in enumerate(rules):
        if "verdict" in rule:
            _expect(rule["verdict"] in verdicts, f"{where}.rules[{i}]: domen {rule['verdict']!r} saknas", problems)
    ranking = raw.get("ranking")
    if ranking:
        for slot, q in questions.items():
            if q.weight:
                _expect(
                    set(q.options) <= set(ranking["likelihood"]) and bool(q.risk and q.measure),
                    f"{where}.questions.{slot}: en fråga med 'weight' behöver 'risk', 'measure' och en sannolikhet per svar",
                    problems,
                )
        _expect(any(q.weight for q in questions.values()), f"{where}.ranking: ingen fråga har 'weight'", problems)
    extra = {k: v for k, v in raw.items() if k not in ("topic", "offer", "questions", "rules")}
    return Flow(
        name=name,
        topic=str(raw.get("topic", "")),
        offer_text=str(offer.get("text", "")),
        offer_buttons=tuple(buttons),
        questions=questions,
        rules=rules,
        extra=extra,
    )


def schema_problems(data: Any) -> list[str]:
    """Where flows.yml does not have the shape knowledge/flows.schema.json describes."""
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    return [
        f"{'.'.join(str(p) for p in error.absolute_path) or '(filen)'}: {error.message}"
        for error in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    ]


_LOADED = FileCache()


def load_flows(path: Path | None = None) -> Flows:
    """Read and validate flows.yml (schema, then cross-references); raise FlowsError naming every problem.

    Read once per process while the file and its schema are unchanged (loader.FileCache): the
    schema check is most of building a gateway's pages."""
    path = Path(path) if path else FLOWS_FILE
    return _LOADED.get((path, SCHEMA_FILE), lambda: _read_flows(path))


def _read_flows(path: Path) -> Flows:
    problems: list[str] = []
    try:
        data = safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise FlowsError([f"{path}: {exc}".replace("\n", " ")]) from exc
    # The shape first: the checks below assume tables and lists where the schema says so.
    shape = schema_problems(data)
    if shape:
        raise FlowsError(shape)
    roles = {}
    for key in ("cues", "names"):
        raw = (data.get("roles") or {}).get(key) or {}
        for role in raw:
            _expect(role in AUDIENCES, f"roles.{key}: {role!r} är ingen målgrupp", problems)
        roles[key] = Cues({str(r): tuple(str(c) for c in cs or []) for r, cs in raw.items()})
    flows = {}
    for name, raw in (data.get("flows") or {}).items():
        flow = _flow(str(name), raw, problems)
        if flow:
            flows[flow.name] = flow
    slots = [s for f in flows.values() for s in f.questions]
    for slot in {s for s in slots if slots.count(s) > 1}:
        problems.append(f"frågan {slot!r} finns i flera flöden")
    if problems:
        raise FlowsError(problems)
    return Flows(role_cues=roles["cues"], role_names=roles["names"], flows=flows)


def answers_in_text(
    flow: Flow, text: str, requested: str | None = None, yes: bool | None = None, include_yes_no: bool = False
) -> dict[str, str]:
    """The answers a typed message gives.

    The requested question is answered by its cues or, failing those, by a plain yes/no
    (`yes`). Multiple-choice questions are also read from the cues, because people often
    answer two at once ("ett presentkort från en leverantör"). Yes/no questions are read
    only when asked (or with `include_yes_no`): "klart" or "just nu" mean little elsewhere.
    """
    found: dict[str, str] = {}
    for slot, question in flow.questions.items():
        yes_no = question.affirm is not None or question.deny is not None
        if slot != requested and yes_no and not include_yes_no:
            continue
        value = question.answer_from_text(text) if text else None
        if value is None and slot == requested and yes is not None:
            value = question.affirm if yes else question.deny
        if value:
            found[slot] = value
    return found


def answers_from(slots: Mapping[str, Any], flow: Flow) -> dict[str, Any]:
    return {slot: slots.get(slot) for slot in flow.questions}


def known_values(flow: Flow, answers: Mapping[str, Any]) -> Iterable[tuple[Question, Option]]:
    """The answered questions in order, with the chosen option (for "Dina svar")."""
    for slot, question in flow.questions.items():
        option = question.options.get(answers.get(slot) or "")
        if option:
            yield question, option
