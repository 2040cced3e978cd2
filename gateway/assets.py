"""Static assets of the widget and the demo page, read from web_widget/ once at start."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

WIDGET_DIR = Path(__file__).resolve().parent.parent / "web_widget"


@dataclass(frozen=True)
class StaticAssets:
    widget_js: str
    demo_html: str
    page_css: str
    # widget.js adopts it as a constructed stylesheet, or injects it as one <style> in browsers
    # without those: the hash in the CSP allows exactly that <style>.
    widget_css: str = ""
    # The incident record's script (issue 18): it never sends anything, see the file.
    incident_record_js: str = ""
    process_review_js: str = ""

    @classmethod
    def load(cls, root: Path = WIDGET_DIR) -> StaticAssets:
        js = (root / "widget.js").read_text(encoding="utf-8")
        css = (root / "widget.css").read_text(encoding="utf-8")
        strings = json.loads((root / "strings.sv.json").read_text(encoding="utf-8"))
        js = js.replace('/*__LOTSEN_CSS__*/""', json.dumps(css)).replace(
            "/*__LOTSEN_STRINGS__*/{}", json.dumps(strings, ensure_ascii=False)
        )
        return cls(
            widget_js=js,
            demo_html=(root / "demo.html").read_text(encoding="utf-8"),
            page_css=(root / "page.css").read_text(encoding="utf-8"),
            widget_css=css,
            incident_record_js=(root / "incident_record.js").read_text(encoding="utf-8"),
            process_review_js=(root / "process_review.js").read_text(encoding="utf-8"),
        )
