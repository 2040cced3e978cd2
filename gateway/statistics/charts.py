"""Server-rendered SVG charts: no script, no CDN, and allowed by the gateway's strict CSP
(presentation attributes only, no inline styles). Every chart has a title for screen readers,
and the page shows the same figures in a table below it.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

from markupsafe import Markup, escape

# Okabe–Ito colours: told apart with the common forms of colour blindness.
COLOURS = {
    "questions": "#0072B2",
    "answers": "#009E73",
    "fallbacks": "#E69F00",
    "emergencies": "#D55E00",
    "feedback_yes": "#009E73",
    "feedback_no": "#D55E00",
}
TEXT = "#1b1b1b"
GRID = "#d0d7de"
FONT = "system-ui, sans-serif"
_ids = itertools.count(1)


@dataclass(frozen=True)
class Series:
    name: str  # counter name: picks the colour
    label: str
    values: list[int]


def nice_max(value: int) -> int:
    """The smallest 1, 2 or 5 × 10^k at or above value (at least 1): round axis ends."""
    if value <= 1:
        return 1
    exponent = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * exponent >= value:
            return step * exponent
    return 10 * exponent


def _text(x: float, y: float, content: str, anchor: str = "start", size: int = 12, weight: str = "normal") -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-family="{FONT}" font-size="{size}" font-weight="{weight}" '
        f'fill="{TEXT}" text-anchor="{anchor}">{escape(content)}</text>'
    )


def _legend(series: list[Series], y: float) -> list[str]:
    parts, x = [], 0.0
    for s in series:
        parts.append(f'<rect x="{x:.1f}" y="{y - 10:.1f}" width="12" height="12" fill="{COLOURS[s.name]}"/>')
        parts.append(_text(x + 16, y, s.label))
        x += 24 + 7.5 * len(s.label)
    return parts


def _open(title: str, width: int, height: int) -> tuple[str, str]:
    ident = f"chart-{next(_ids)}"
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-labelledby="{ident}" class="chart"><title id="{ident}">{escape(title)}</title>'
    )
    return ident, head


def columns(title: str, categories: list[str], series: list[Series], width: int = 720, height: int = 280) -> Markup:
    """Grouped vertical bars, one group per category (a day or a month)."""
    left, right, top, bottom = 44, 8, 32, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value = nice_max(max((v for s in series for v in s.values), default=0))
    _, head = _open(title, width, height)
    parts = [head, *_legend(series, 14)]
    for i in range(5):  # horizontal grid with values
        value = top_value * i / 4
        y = top + plot_h - plot_h * i / 4
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="{GRID}"/>')
        label = f"{value:.0f}" if value == int(value) else f"{value:.1f}"
        parts.append(_text(left - 6, y + 4, label, anchor="end", size=11))
    n = max(len(categories), 1)
    group = plot_w / n
    bar = group * 0.8 / max(len(series), 1)
    every = max(1, math.ceil(n / 16))  # at most ~16 labels on the axis
    for i, category in enumerate(categories):
        x0 = left + i * group + group * 0.1
        for j, s in enumerate(series):
            value = s.values[i]
            h = plot_h * value / top_value
            parts.append(
                f'<rect x="{x0 + j * bar:.1f}" y="{top + plot_h - h:.1f}" width="{max(bar - 0.5, 0.5):.1f}" '
                f'height="{h:.1f}" fill="{COLOURS[s.name]}"><title>{escape(category)}: '
                f"{escape(s.label)} {value}</title></rect>"
            )
        if i % every == 0:
            parts.append(_text(left + (i + 0.5) * group, height - bottom + 16, category, anchor="middle", size=11))
    parts.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}" stroke="{TEXT}"/>')
    parts.append("</svg>")
    return Markup("".join(parts))


def bars(title: str, categories: list[str], series: list[Series], width: int = 720) -> Markup:
    """Stacked horizontal bars, one row per category (topic, audience, channel), total at the end."""
    label_w, right, top, row_h = 220, 48, 32, 26
    height = top + row_h * max(len(categories), 1) + 8
    plot_w = width - label_w - right
    totals = [sum(s.values[i] for s in series) for i in range(len(categories))]
    top_value = nice_max(max(totals, default=0))
    _, head = _open(title, width, height)
    parts = [head, *_legend(series, 14)]
    for i, category in enumerate(categories):
        y = top + i * row_h
        shown = category if len(category) <= 32 else category[:31] + "…"
        parts.append(_text(label_w - 8, y + 16, shown, anchor="end"))
        x = float(label_w)
        for s in series:
            w = plot_w * s.values[i] / top_value
            if w > 0:
                parts.append(
                    f'<rect x="{x:.1f}" y="{y + 4:.1f}" width="{w:.1f}" height="{row_h - 8}" '
                    f'fill="{COLOURS[s.name]}"><title>{escape(category)}: {escape(s.label)} '
                    f"{s.values[i]}</title></rect>"
                )
            x += w
        parts.append(_text(x + 6, y + 16, str(totals[i]), size=11))
    parts.append("</svg>")
    return Markup("".join(parts))
