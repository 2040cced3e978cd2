"""The widget as the gateway serves it: small, complete, and with no user text in the code."""

from __future__ import annotations

import gzip
import json
import re

from gateway.assets import WIDGET_DIR, StaticAssets
from knowledge.render import topic_payload

BUDGET = 30 * 1024  # bytes of JS + CSS after gzip (issue 6)
STRINGS = json.loads((WIDGET_DIR / "strings.sv.json").read_text(encoding="utf-8"))


def served_script() -> str:
    return StaticAssets.load().widget_js


def code_without_comments(source: str) -> str:
    return re.sub(r"/\*.*?\*/", "", source, flags=re.S)


def test_script_with_css_and_strings_is_within_the_size_budget():
    js = served_script()
    size = len(gzip.compress(js.encode("utf-8"), compresslevel=9))
    print(f"widget.js as served: {len(js.encode('utf-8'))} B, gzipped {size} B (budget {BUDGET} B)")
    assert size <= BUDGET


def test_css_and_strings_are_inlined_into_the_one_script():
    js = served_script()
    assert "__LOTSEN_" not in js
    css = (WIDGET_DIR / "widget.css").read_text(encoding="utf-8")
    assert json.dumps(css) in js
    assert json.dumps(STRINGS, ensure_ascii=False) in js


def test_every_string_the_script_uses_is_in_the_strings_file():
    source = (WIDGET_DIR / "widget.js").read_text(encoding="utf-8")
    used = set(re.findall(r"\bS\.([A-Za-z]+)", source)) | set(re.findall(r"\bS\[\"([A-Za-z]+)\"\]", source))
    # Keys looked up through a table, e.g. the disclosed parts' titles (DISCLOSED = {kind: "key"}).
    table = re.search(r"var DISCLOSED = \{([^}]*)\}", source)
    used |= set(re.findall(r":\s*\"([A-Za-z]+)\"", table.group(1)))
    assert used, "the script should read its strings from S"
    assert used <= set(STRINGS), sorted(used - set(STRINGS))
    assert all(isinstance(STRINGS[key], str) and STRINGS[key].strip() for key in used if key != "quickHelp")


def test_no_swedish_text_in_the_code():
    code = code_without_comments((WIDGET_DIR / "widget.js").read_text(encoding="utf-8"))
    assert not re.search(r"[åäöÅÄÖ]", code)
    texts = [v for v in STRINGS.values() if isinstance(v, str)] + [c["title"] for c in STRINGS["quickHelp"]]
    assert [t for t in texts if t in code] == []  # copied into the code instead of read from S


def test_quick_help_offers_the_knowledge_base_quick_help_topics(kb):
    payloads = [choice["payload"] for choice in STRINGS["quickHelp"]]
    assert payloads == [topic_payload(t) for t in kb.phrases["quick_help_topics"]]
    assert payloads[0] == topic_payload("akut_fara")  # danger first
    assert all(choice["title"].strip() for choice in STRINGS["quickHelp"])


def test_the_emergency_line_calls_112():
    assert "112" in STRINGS["emergency"] and STRINGS["emergencyHref"] == "tel:112"
