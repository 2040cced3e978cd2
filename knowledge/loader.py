"""Load and validate the knowledge base: articles, taxonomy, channels and phrases.

Pure Python (standard library + PyYAML) on purpose: the engine's action server runs on
Python 3.10 with Rasa's pinned libraries, the gateway on 3.11+ with pydantic 2, and both
must read exactly the same data through exactly the same rules.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml

ROOT = Path(__file__).resolve().parent
AUDIENCES = ("medarbetare", "chef", "verksamhetsutvecklare")
AUDIENCE_HEADINGS = {
    "medarbetare": "För dig som medarbetare",
    "chef": "För dig som chef",
    "verksamhetsutvecklare": "För dig som verksamhetsutvecklare",
}
REQUIRED_HEADINGS = ("Bakgrund", "Vanliga misstag")
# Politicians are no role of the chat, but an article may speak to them in this section.
ELECTED_HEADING = "För dig som förtroendevald"
SIGNS_HEADING = "Tecken att känna igen"  # the gateway's topic API returns it as "signs"
OPTIONAL_HEADINGS = (SIGNS_HEADING, ELECTED_HEADING)
SUMMARY_MAX_WORDS = 60
SIMPLE_MAX_WORDS = 30
MAX_STEPS = 5
# Search words (`search_words`): the words people use for the topic that the article may not
# (synonyms, everyday words, the law's words, compounds). Short phrases, not questions: a
# question would weigh its filler words in the search as much as the topic's.
SEARCH_WORDS_MIN = 5
SEARCH_WORDS_MAX = 120
SEARCH_WORD_MAX_WORDS = 5
CHANNEL_FIELDS = ("name", "phone", "url", "email", "text", "hours")
T = TypeVar("T")
_WORD = re.compile(r"[0-9A-Za-zÅÄÖåäöÉéÜü]+(?:[-–][0-9A-Za-zÅÄÖåäöÉéÜü]+)*")


def safe_load(text: str) -> Any:
    """yaml.safe_load through libyaml when PyYAML has it (its wheels do): the same data, about
    ten times faster, which matters for the ~90 files every gateway start and test app reads."""
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


class KnowledgeError(Exception):
    """The knowledge base is invalid; the message lists every problem by file and field."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("Kunskapsbasen är ogiltig:\n" + "\n".join(f"- {p}" for p in problems))


@dataclass(frozen=True)
class Topic:
    id: str
    title: str
    group: str
    audiences: tuple[str, ...]
    scope: str
    # A topic about a danger to a person: its answer must start with 112 (content brief §0a).
    danger: bool = False


@dataclass(frozen=True)
class Source:
    title: str
    publisher: str
    year: int
    url: str


@dataclass(frozen=True)
class Channel:
    key: str
    name: str
    phone: str | None = None
    url: str | None = None
    email: str | None = None
    text: str | None = None
    hours: str | None = None
    national: bool = False

    def how_to_reach(self) -> str:
        """One Swedish line: name – text. Telefon, e-post, webb, when it can be reached."""
        parts = [self.name + (f" – {self.text.rstrip('.')}." if self.text else ".")]
        for label, value in (("Telefon", self.phone), ("E-post", self.email), ("Webb", self.url), ("Nås", self.hours)):
            if value:
                parts.append(f"{label}: {value.rstrip('.')}.")
        return " ".join(parts)


@dataclass(frozen=True)
class Article:
    id: str
    title: str
    group: str
    audiences: tuple[str, ...]
    summary: str
    simple: str
    steps: tuple[str, ...]
    channels: tuple[str, ...]
    related: tuple[str, ...]
    sources: tuple[Source, ...]
    reviewed: dt.date
    owner: str
    body: str
    sections: dict[str, str] = field(hash=False)
    search_words: tuple[str, ...] = ()

    def audience_section(self, audience: str) -> str | None:
        return self.sections.get(AUDIENCE_HEADINGS.get(audience, ""))


@dataclass(frozen=True)
class Organisation:
    name: str
    example: bool
    channels: dict[str, Channel] = field(hash=False)
    source: Path


@dataclass(frozen=True)
class KnowledgeBase:
    topics: dict[str, Topic]
    articles: dict[str, Article]
    organisation: Organisation
    national: dict[str, Channel]
    phrases: dict[str, Any]

    def channel(self, key: str) -> Channel:
        """A channel by key; national channels win because they are fixed."""
        return self.national.get(key) or self.organisation.channels[key]

    def channels_for(self, article: Article) -> list[Channel]:
        return [self.channel(k) for k in article.channels]

    def groups(self) -> dict[str, list[Article]]:
        out: dict[str, list[Article]] = {}
        for topic in self.topics.values():
            out.setdefault(topic.group, []).append(self.articles[topic.id])
        return out


def word_count(text: str) -> int:
    return len(_WORD.findall(text))


def _read_yaml(path: Path, problems: list[str]) -> Any:
    try:
        return safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        problems.append(f"{path}: filen saknas")
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        problems.append(f"{path}: ogiltig YAML ({exc})".replace("\n", " "))
    return None


def load_topics(path: Path, problems: list[str]) -> dict[str, Topic]:
    data = _read_yaml(path, problems) or {}
    topics: dict[str, Topic] = {}
    for group, items in data.items():
        for item in items or []:
            tid = item.get("id")
            if tid in topics:
                problems.append(f"{path}: id {tid!r} finns två gånger")
                continue
            danger = item.get("danger", False)
            if not isinstance(danger, bool):
                problems.append(f"{path}: {tid}: fältet 'danger' ska vara true eller false")
            topics[tid] = Topic(
                tid, item["title"], group, tuple(item["audiences"]), item.get("scope", ""), danger is True
            )
    return topics


def _channel(key: str, raw: Any, where: str, problems: list[str], national: bool) -> Channel | None:
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str) or not raw["name"].strip():
        problems.append(f"{where}: kanal {key!r}: fältet 'name' saknas")
        return None
    unknown = set(raw) - set(CHANNEL_FIELDS)
    if unknown:
        problems.append(f"{where}: kanal {key!r}: okända fält {sorted(unknown)}")
    if not any(raw.get(f) for f in ("phone", "url", "email", "text")):
        problems.append(f"{where}: kanal {key!r}: ange minst ett av phone, url, email, text")
    url = raw.get("url")
    if url is not None and not str(url).startswith("https://"):
        problems.append(f"{where}: kanal {key!r}: fältet 'url' måste börja med https://")
    values: dict[str, Any] = {f: (str(raw[f]).strip() if raw.get(f) is not None else None) for f in CHANNEL_FIELDS}
    return Channel(key=key, national=national, **values)


def load_channels(path: Path, problems: list[str], national: bool) -> dict[str, Channel]:
    data = _read_yaml(path, problems)
    if not isinstance(data, dict):
        problems.append(f"{path}: förväntade en tabell med kanaler")
        return {}
    out = {}
    for key, raw in data.items():
        ch = _channel(str(key), raw, str(path), problems, national)
        if ch:
            out[ch.key] = ch
    return out


def load_organisation(path: Path, problems: list[str]) -> Organisation | None:
    data = _read_yaml(path, problems)
    if data is None:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("name"), str):
        problems.append(f"{path}: fältet 'name' saknas")
        return None
    raw_channels = data.get("channels")
    if not isinstance(raw_channels, dict):
        problems.append(f"{path}: fältet 'channels' saknas eller är inte en tabell")
        return None
    channels = {}
    for key, raw in raw_channels.items():
        ch = _channel(str(key), raw, str(path), problems, national=False)
        if ch:
            channels[ch.key] = ch
    return Organisation(name=data["name"], example=bool(data.get("example", False)), channels=channels, source=path)


def split_front_matter(text: str) -> tuple[str, str] | None:
    if not text.startswith("---"):
        return None
    parts = text.split("\n---", 1)
    if len(parts) != 2:
        return None
    front = parts[0][3:]
    body = parts[1].split("\n", 1)[1] if "\n" in parts[1] else ""
    return front, body


def split_sections(body: str) -> tuple[list[str], dict[str, str]]:
    """Split the body on level-2 headings; returns the heading order and heading → text."""
    order: list[str] = []
    sections: dict[str, str] = {}
    current = None
    lines: list[str] = []
    for line in body.splitlines():
        if line.startswith("## "):
            if current is not None:
                sections[current] = "\n".join(lines).strip()
            current = line[3:].strip()
            order.append(current)
            lines = []
        elif current is not None:
            lines.append(line)
    if current is not None:
        sections[current] = "\n".join(lines).strip()
    return order, sections


def _expect_str(meta: dict, key: str, where: str, problems: list[str]) -> str:
    value = meta.get(key)
    if not isinstance(value, str) or not value.strip():
        problems.append(f"{where}: fältet '{key}' saknas eller är tomt")
        return ""
    return value.strip()


def _expect_list(meta: dict, key: str, where: str, problems: list[str]) -> list:
    value = meta.get(key)
    if not isinstance(value, list):
        problems.append(f"{where}: fältet '{key}' måste vara en lista")
        return []
    return value


def _search_words(meta: dict, where: str, problems: list[str]) -> tuple[str, ...]:
    if not isinstance(meta.get("search_words"), list):
        _expect_list(meta, "search_words", where, problems)
        return ()
    raw = meta["search_words"]
    words: list[str] = []
    seen: set[str] = set()
    for i, value in enumerate(raw):
        if not isinstance(value, str) or not value.strip():
            problems.append(f"{where}: search_words[{i}] ska vara en text")
            continue
        value = " ".join(value.split())
        if word_count(value) > SEARCH_WORD_MAX_WORDS or any(c in value for c in "?!.:;"):
            problems.append(
                f"{where}: search_words[{i}] ({value!r}) ska vara ett ord eller en kort fras "
                f"(högst {SEARCH_WORD_MAX_WORDS} ord, inga meningar)"
            )
        elif value.lower() in seen:
            problems.append(f"{where}: search_words[{i}] ({value!r}) finns redan i listan")
        seen.add(value.lower())
        words.append(value)
    if not SEARCH_WORDS_MIN <= len(raw) <= SEARCH_WORDS_MAX:
        problems.append(f"{where}: fältet 'search_words' ska ha {SEARCH_WORDS_MIN}–{SEARCH_WORDS_MAX} sökord")
    return tuple(words)


def parse_article(path: Path, topics: dict[str, Topic], problems: list[str]) -> Article | None:
    where = str(path)
    split = split_front_matter(path.read_text(encoding="utf-8"))
    if split is None:
        problems.append(f"{where}: front matter (---) saknas")
        return None
    try:
        meta = safe_load(split[0])
    except yaml.YAMLError as exc:
        problems.append(f"{where}: ogiltig YAML i front matter ({exc})".replace("\n", " "))
        return None
    if not isinstance(meta, dict):
        problems.append(f"{where}: front matter är inte en tabell")
        return None
    body = split[1].strip()
    n_before = len(problems)

    aid = _expect_str(meta, "id", where, problems)
    if aid and aid != path.stem:
        problems.append(f"{where}: fältet 'id' ({aid}) ska vara samma som filnamnet")
    topic = topics.get(aid)
    if aid and topic is None:
        problems.append(f"{where}: fältet 'id': {aid!r} finns inte i taxonomin")
    title = _expect_str(meta, "title", where, problems)
    summary = _expect_str(meta, "summary", where, problems)
    if summary and word_count(summary) > SUMMARY_MAX_WORDS:
        problems.append(f"{where}: fältet 'summary' har {word_count(summary)} ord (högst {SUMMARY_MAX_WORDS})")
    simple = _expect_str(meta, "simple", where, problems)
    if simple and word_count(simple) > SIMPLE_MAX_WORDS:
        problems.append(f"{where}: fältet 'simple' har {word_count(simple)} ord (högst {SIMPLE_MAX_WORDS})")
    owner = _expect_str(meta, "owner", where, problems)

    audiences = _expect_list(meta, "audiences", where, problems)
    if topic and tuple(audiences) != topic.audiences:
        problems.append(f"{where}: fältet 'audiences' ska vara {list(topic.audiences)} som i taxonomin")
    steps = _expect_list(meta, "steps", where, problems)
    if not 1 <= len(steps) <= MAX_STEPS or not all(isinstance(s, str) and s.strip() for s in steps):
        problems.append(f"{where}: fältet 'steps' ska ha 1–{MAX_STEPS} korta steg som text")
    channels = _expect_list(meta, "channels", where, problems)
    if not channels:
        problems.append(f"{where}: fältet 'channels' är tomt")
    related = _expect_list(meta, "related", where, problems)
    search_words = _search_words(meta, where, problems)

    sources = []
    for i, raw in enumerate(_expect_list(meta, "sources", where, problems)):
        if not isinstance(raw, dict) or not all(raw.get(k) for k in ("title", "publisher", "year", "url")):
            problems.append(f"{where}: sources[{i}]: title, publisher, year och url krävs")
            continue
        if not str(raw["url"]).startswith("https://"):
            problems.append(f"{where}: sources[{i}].url måste börja med https://")
        if not isinstance(raw["year"], int):
            problems.append(f"{where}: sources[{i}].year måste vara ett årtal")
            continue
        sources.append(Source(str(raw["title"]), str(raw["publisher"]), raw["year"], str(raw["url"])))
    if not sources:
        problems.append(f"{where}: fältet 'sources' behöver minst en källa")

    reviewed = meta.get("reviewed")
    if not isinstance(reviewed, dt.date):
        problems.append(f"{where}: fältet 'reviewed' måste vara ett datum ÅÅÅÅ-MM-DD")

    order, sections = split_sections(body)
    if any(line.startswith("# ") for line in body.splitlines()):
        problems.append(f"{where}: brödtexten får inte ha en rubrik på nivå 1")
    expected = [AUDIENCE_HEADINGS[a] for a in AUDIENCES if a in audiences]
    for heading in expected + list(REQUIRED_HEADINGS):
        if not sections.get(heading):
            problems.append(f"{where}: avsnittet '## {heading}' saknas eller är tomt")
    allowed = set(AUDIENCE_HEADINGS.values()) | set(REQUIRED_HEADINGS) | set(OPTIONAL_HEADINGS)
    for heading in order:
        if heading not in allowed:
            problems.append(f"{where}: okänd rubrik '## {heading}'")
        elif heading in AUDIENCE_HEADINGS.values() and heading not in expected:
            problems.append(f"{where}: avsnittet '## {heading}' hör till en målgrupp som inte finns i 'audiences'")

    if len(problems) > n_before or topic is None or not isinstance(reviewed, dt.date):
        return None
    return Article(
        id=aid,
        title=title,
        group=topic.group,
        audiences=tuple(audiences),
        summary=summary,
        simple=simple,
        steps=tuple(s.strip() for s in steps),
        channels=tuple(channels),
        related=tuple(related),
        sources=tuple(sources),
        reviewed=reviewed,
        owner=owner,
        body=body,
        sections=sections,
        search_words=search_words,
    )


class FileCache:
    """What was built from files, kept per process while the files stay unchanged.

    Every app the unit tests build (and each benchmark round) reads the same knowledge files
    again; parsing and checking them is most of building a gateway. The key is each file's
    path, size and modification time, so an edited, added or removed file is another entry.
    Nothing is cached when a file is missing or the build raises: an error is reported every
    time, never served from before. What is cached must not be changed by its users."""

    def __init__(self, max_entries: int = 8) -> None:
        self.max_entries = max_entries
        self._entries: dict[tuple, Any] = {}

    def get(self, paths: Iterable[Path], build: Callable[[], T]) -> T:
        try:
            key = tuple((str(p), st.st_size, st.st_mtime_ns) for p in paths for st in [Path(p).stat()])
        except OSError:
            return build()  # it reports the missing file
        if key not in self._entries:
            value = build()
            if len(self._entries) >= self.max_entries:
                self._entries.clear()
            self._entries[key] = value
        return self._entries[key]


_LOADED = FileCache()


def load(root: Path | None = None, organisation_file: Path | None = None) -> KnowledgeBase:
    """Load everything and validate cross-references; raise KnowledgeError naming every problem.

    Loaded once per process while the files are unchanged (FileCache); nothing changes a
    loaded knowledge base, so sharing it is safe."""
    root = Path(root) if root else ROOT
    org_file = Path(organisation_file) if organisation_file else root / "organisation.yml"
    paths = [root / "topics.yml", root / "national_channels.yml", org_file, root / "phrases.yml"]
    paths += sorted((root / "articles").glob("*.md"))
    return _LOADED.get(paths, lambda: _load(root, org_file))


def _load(root: Path, organisation_file: Path) -> KnowledgeBase:
    problems: list[str] = []
    topics = load_topics(root / "topics.yml", problems)
    national = load_channels(root / "national_channels.yml", problems, national=True)
    organisation = load_organisation(organisation_file, problems)
    phrases = _read_yaml(root / "phrases.yml", problems) or {}

    articles: dict[str, Article] = {}
    for path in sorted((root / "articles").glob("*.md")):
        article = parse_article(path, topics, problems)
        if article:
            articles[article.id] = article
    for tid in topics:
        if tid not in articles and not any(f"articles/{tid}.md:" in p for p in problems):
            problems.append(f"{root / 'articles' / (tid + '.md')}: artikel saknas för ämnet {tid!r}")

    known_channels = set(national) | set(organisation.channels if organisation else ())
    if organisation:
        overlap = set(organisation.channels) & set(national)
        for key in sorted(overlap):
            problems.append(f"{organisation.source}: kanal {key!r} är nationell och kan inte ändras")
    for article in articles.values():
        where = str(root / "articles" / f"{article.id}.md")
        for key in article.channels:
            if key not in known_channels:
                problems.append(
                    f"{where}: fältet 'channels': kanalen {key!r} finns inte i organisationsfilen eller bland de nationella"
                )
        for rid in article.related:
            if rid not in topics:
                problems.append(f"{where}: fältet 'related': {rid!r} är inget ämnes-id")
            elif rid == article.id:
                problems.append(f"{where}: fältet 'related' pekar på sig själv")
    if problems or organisation is None:
        raise KnowledgeError(problems or ["organisationsfilen saknas"])
    return KnowledgeBase(
        topics=topics, articles=articles, organisation=organisation, national=national, phrases=phrases
    )
