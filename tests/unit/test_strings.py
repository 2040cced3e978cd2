"""No Swedish text in the code that talks to people: it lives in one catalogue per surface.

The surfaces and their catalogues: answers and flows in the knowledge base (knowledge/articles,
knowledge/phrases.yml, knowledge/flows.yml), the widget in web_widget/strings.sv.json, the
gateway's JSON errors in gateway/errors.sv.yml, Matrix, Teams and the statistics pages in their
strings.sv.yml. This test reads the Python (with `ast`) and the JavaScript (with a small
tokenizer) of those surfaces and fails on a string literal that reads as Swedish. Comments and
docstrings are not text people see; log messages go to operators, OpenAPI descriptions to
developers, and regular expressions are patterns, not text. Operator tools (kb-check, make targets, start-up configuration checks) speak
Swedish too but are not in the scanned surfaces.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PYTHON = [
    *sorted((ROOT / "actions").rglob("*.py")),
    *sorted((ROOT / "gateway").rglob("*.py")),
    *(ROOT / "knowledge" / f"{name}.py" for name in ("render", "outcomes", "suggestions")),
]
JAVASCRIPT = sorted((ROOT / "web_widget").glob("*.js"))
# Start-up configuration checks and command-line tools: their messages are for the operator.
OPERATOR_MODULES = {
    "gateway/settings.py",
    "gateway/matrix/config.py",
    "gateway/teams/config.py",
    "gateway/teams/package.py",
    "gateway/statistics/report.py",
    "gateway/statistics/store.py",
}
# Data that happens to contain å/ä/ö and is not a sentence anyone reads.
NOT_TEXT = {
    "Påverkanslotsen",  # the product's name (OpenAPI title, Matrix display name)
    "okänd",  # a stored key for an unknown client or topic, never shown
    "åäöéèü",  # the letters search folds
}

_SWEDISH_LETTER = re.compile(r"[åäöÅÄÖ]")
_SWEDISH_WORDS = frozenset(
    "och inte att det som har kan ska eller till finns saknas din ditt dina du jag "
    "vi hos igen skriv skicka svar fel fråga frågan ämnet sidan begäran".split()
)
_REGEX_LIKE = re.compile(r"\\[bdswBDSW]|\[[^\]]*\]|\(\?")
_LOGGERS = {"log", "logger", "logging", "_log", "LOG"}
_REGEX_FUNCTIONS = {"compile", "search", "match", "fullmatch", "sub", "subn", "findall", "finditer", "split"}


def reads_as_swedish(text: str) -> bool:
    if text.strip() in NOT_TEXT or _REGEX_LIKE.search(text):
        return False
    words = re.findall(r"[^\W\d_]+", text.lower())
    return bool(_SWEDISH_LETTER.search(text)) or len({w for w in words if w in _SWEDISH_WORDS}) >= 2


def _ignored_nodes(tree: ast.AST) -> set[int]:
    """Docstrings, log messages, regular expressions and OpenAPI descriptions (for developers)."""
    ignored: list[ast.AST] = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                ignored.append(first.value)
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
        ):
            owner, name = node.func.value.id, node.func.attr
            if owner in _LOGGERS or (owner == "re" and name in _REGEX_FUNCTIONS):
                ignored.extend(node.args[:1])
        if isinstance(node, ast.keyword) and node.arg == "description":
            ignored.append(node.value)
        if isinstance(node, ast.Dict):
            ignored += [
                v
                for k, v in zip(node.keys, node.values, strict=False)
                if isinstance(k, ast.Constant) and k.value == "description"
            ]
    return {id(inner) for node in ignored for inner in ast.walk(node)}


def python_strings(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    ignored = _ignored_nodes(tree)
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in ignored
    ]


_JS_TOKEN = re.compile(r"""//[^\n]*|/\*.*?\*/|'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*"|`(?:\\.|[^`\\])*`""", re.S)


def javascript_strings(path: Path) -> list[tuple[int, str]]:
    """String and template literals outside comments (no regular-expression literals here)."""
    source = path.read_text(encoding="utf-8")
    return [
        (source.count("\n", 0, m.start()) + 1, m.group()[1:-1])
        for m in _JS_TOKEN.finditer(source)
        if not m.group().startswith(("//", "/*"))
    ]


def offenders(paths: list[Path], read) -> list[str]:
    found = []
    for path in paths:
        relative = path.relative_to(ROOT).as_posix()
        if relative in OPERATOR_MODULES:
            continue
        found += [f"{relative}:{line}: {text!r}" for line, text in read(path) if reads_as_swedish(text)]
    return found


def test_no_swedish_text_in_python_that_talks_to_people():
    assert offenders(PYTHON, python_strings) == [], "move the text to the surface's catalogue"


def test_no_swedish_text_in_the_widget_script():
    assert JAVASCRIPT
    assert offenders(JAVASCRIPT, javascript_strings) == [], "move the text to web_widget/strings.sv.json"


@pytest.mark.parametrize(
    "source, expected",
    [
        ('raise ApiError(404, "unknown_topic", "Ämnet finns inte.")', ["Ämnet finns inte."]),
        ('message = "Skriv din fråga igen"', ["Skriv din fråga igen"]),
        ('"""Ämnet: en docstring."""\nlog.warning("motorn svarar inte: %s", x)\nP = re.compile(r"[a-zåäö]+")', []),
        ('key = "gift_assessment"\nurl = "https://example.org/hot"', []),
    ],
)
def test_the_detector_finds_text_and_leaves_docstrings_logs_and_patterns(tmp_path, source, expected):
    path = tmp_path / "module.py"
    path.write_text(source, encoding="utf-8")
    assert [text for _, text in python_strings(path) if reads_as_swedish(text)] == expected


def test_the_detector_reads_javascript_literals_but_not_comments(tmp_path):
    path = tmp_path / "widget.js"
    path.write_text('// Skriv här\nconst a = "Skicka";\n/* hej då */ el.title = `Stäng ${x}`;\n', encoding="utf-8")
    assert [text for _, text in javascript_strings(path) if reads_as_swedish(text)] == ["Stäng ${x}"]
