"""Server-rendered SVG charts: small functions that return accessible SVG markup (no JavaScript).

Each chart is `<svg role="img" aria-labelledby="<id>-title <id>-desc">` with a `<title>` and a `<desc>` (what the
chart shows and its main figures); every bar or point carries its own `<title>` (a tooltip with label and value).
The page puts the same numbers in a table next to the chart: the SVG is the picture, the table the data.
Colours reach 3:1 against white (WCAG 1.4.11); series are told apart by more than colour (a hatched second
series, different point markers). Without data the chart says so in the picture (`empty_text`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 640
INK = "#1f2937"  # 14.7:1 on white
GRID = "#d1d5db"
COLOURS = ("#1d4ed8", "#b45309", "#166534", "#7e22ce")  # 6.7, 5.0, 7.1 and 7.9 : 1 on white
FONT = 'font-family="system-ui, sans-serif" font-size="12"'
MAX_LABEL = 30

Formatter = Callable[[float], str]


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float]


def number(value: float) -> str:
    """Whole numbers without decimals, others with one."""
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def axis_scale(value: float) -> tuple[float, float]:
    """(maximum, step) of the value axis: a step of 1, 2 or 5 times a power of ten, at most four steps up to
    a maximum at or above `value` (so counts get whole-number ticks)."""
    if value <= 0:
        return 1.0, 1.0
    rough = value / 4
    power = 10 ** math.floor(math.log10(rough))
    step = next(float(f * power) for f in (1, 2, 5, 10) if f * power >= rough)
    if step < 1 and value >= 1:
        step = 1.0
    return step * math.ceil(value / step - 1e-9), step


def _markup(parts: list[str]) -> Markup:
    return Markup("".join(parts))  # noqa: S704  (every text and attribute value in the parts went through escape)


def _short(text: str) -> str:
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1] + "…"


def _open(chart_id: str, title: str, description: str, height: int) -> list[str]:
    ident = escape(chart_id)
    return [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{ident}" role="img" '
            f'aria-labelledby="{ident}-title {ident}-desc" viewBox="0 0 {WIDTH} {height}" '
            f'width="{WIDTH}" height="{height}" preserveAspectRatio="xMinYMin meet">',
            f'<title id="{ident}-title">{escape(title)}</title>',
            f'<desc id="{ident}-desc">{escape(description)}</desc>']


def _empty(chart_id: str, title: str, description: str, empty_text: str) -> Markup:
    parts = _open(chart_id, title, description, 60)
    parts.append(f'<text class="chart-empty" x="{WIDTH // 2}" y="34" text-anchor="middle" fill="{INK}" {FONT}>'
                 f"{escape(empty_text)}</text></svg>")
    return _markup(parts)


def _hatch(chart_id: str, index: int, colour: str) -> str:
    return (f'<pattern id="{escape(chart_id)}-hatch{index}" width="6" height="6" patternUnits="userSpaceOnUse" '
            f'patternTransform="rotate(45)"><rect width="6" height="6" fill="{colour}"/>'
            f'<rect width="2" height="6" fill="#ffffff"/></pattern>')


def _fill(chart_id: str, index: int) -> str:
    colour = COLOURS[index % len(COLOURS)]
    return f"url(#{escape(chart_id)}-hatch{index})" if index % 2 else colour


def _defs(chart_id: str, count: int) -> str:
    hatches = "".join(_hatch(chart_id, i, COLOURS[i % len(COLOURS)]) for i in range(count) if i % 2)
    return f"<defs>{hatches}</defs>" if hatches else ""


def _legend(chart_id: str, series: Sequence[Series], y: int, *, lines: bool = False) -> str:
    parts = [f'<g class="chart-legend" {FONT} fill="{INK}">']
    x = 48
    for index, item in enumerate(series):
        colour = COLOURS[index % len(COLOURS)]
        if lines:
            parts.append(f'<line x1="{x}" y1="{y - 4}" x2="{x + 14}" y2="{y - 4}" stroke="{colour}" '
                         f'stroke-width="2"/>{_marker(index, x + 7, y - 4, colour)}')
        else:
            parts.append(f'<rect x="{x}" y="{y - 11}" width="14" height="14" fill="{_fill(chart_id, index)}" '
                         f'stroke="{colour}"/>')
        parts.append(f'<text x="{x + 20}" y="{y}">{escape(item.name)}</text>')
        x += 40 + 8 * len(item.name)
    parts.append("</g>")
    return "".join(parts)


def _y_axis(maximum: float, step: float, top: int, bottom: int, left: int, right: int, fmt: Formatter) -> str:
    parts = [f'<g class="chart-axis" {FONT} fill="{INK}">']
    ticks = round(maximum / step)
    for tick in range(ticks + 1):
        value = step * tick
        y = bottom - (bottom - top) * tick / ticks
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" stroke="{GRID}"/>'
                     f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{escape(fmt(value))}</text>')
    parts.append(f'<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="{INK}"/></g>')
    return "".join(parts)


def _x_labels(categories: Sequence[str], left: float, slot: float, y: int) -> str:
    every = max(1, math.ceil(len(categories) / 12))  # at most 12 labels fit under the axis
    parts = [f'<g class="chart-axis" {FONT} fill="{INK}" text-anchor="middle">']
    for index, label in enumerate(categories):
        if index % every == 0:
            parts.append(f'<text x="{left + slot * (index + 0.5):.1f}" y="{y}">{escape(_short(label))}</text>')
    parts.append("</g>")
    return "".join(parts)


def bar_chart(chart_id: str, title: str, description: str, items: Sequence[tuple[str, float]], *,
              empty_text: str = "No data", fmt: Formatter = number) -> Markup:
    """Horizontal bars, one per (label, value), the value written at the end of each bar."""
    if not items:
        return _empty(chart_id, title, description, empty_text)
    row, left, right = 26, 210, WIDTH - 60
    height = 16 + row * len(items)
    maximum = max((value for _label, value in items), default=0) or 1
    parts = _open(chart_id, title, description, height)
    parts.append(f'<g class="chart-bars" {FONT} fill="{INK}">')
    for index, (label, value) in enumerate(items):
        y = 8 + row * index
        width = (right - left) * max(value, 0) / maximum
        parts.append(f'<text x="{left - 8}" y="{y + 15}" text-anchor="end">{escape(_short(label))}</text>'
                     f'<rect class="bar" x="{left}" y="{y + 2}" width="{width:.1f}" height="{row - 8}" '
                     f'fill="{COLOURS[0]}" data-value="{escape(fmt(value))}">'
                     f"<title>{escape(label)}: {escape(fmt(value))}</title></rect>"
                     f'<text x="{left + width + 6:.1f}" y="{y + 15}">{escape(fmt(value))}</text>')
    parts.append(f'<line x1="{left}" y1="4" x2="{left}" y2="{height - 4}" stroke="{INK}"/></g></svg>')
    return _markup(parts)


def _plot_frame(chart_id: str, title: str, description: str, series: Sequence[Series],
                fmt: Formatter) -> tuple[list[str], float]:
    maximum, step = axis_scale(max((max(s.values, default=0) for s in series), default=0))
    parts = _open(chart_id, title, description, 300)
    parts.append(_defs(chart_id, len(series)))
    parts.append(_y_axis(maximum, step, 40, 260, 48, WIDTH - 10, fmt))
    return parts, maximum


def _has_data(categories: Sequence[str], series: Sequence[Series]) -> bool:
    return bool(categories) and any(any(value for value in s.values) for s in series)


def column_chart(chart_id: str, title: str, description: str, categories: Sequence[str], series: Sequence[Series],
                 *, empty_text: str = "No data", fmt: Formatter = number) -> Markup:
    """Vertical bars, grouped per category, one bar per series (the second one hatched), with a legend."""
    if not _has_data(categories, series):
        return _empty(chart_id, title, description, empty_text)
    parts, maximum = _plot_frame(chart_id, title, description, series, fmt)
    left, slot = 48.0, (WIDTH - 10 - 48) / len(categories)
    bar = slot * 0.8 / len(series)
    parts.append('<g class="chart-bars">')
    for s_index, item in enumerate(series):
        colour = COLOURS[s_index % len(COLOURS)]
        for index, value in enumerate(item.values):
            height = 220 * max(value, 0) / maximum
            x = left + slot * index + slot * 0.1 + bar * s_index
            parts.append(f'<rect class="bar" x="{x:.1f}" y="{260 - height:.1f}" width="{bar:.1f}" '
                         f'height="{height:.1f}" fill="{_fill(chart_id, s_index)}" stroke="{colour}" '
                         f'data-value="{escape(fmt(value))}"><title>{escape(categories[index])} · '
                         f"{escape(item.name)}: {escape(fmt(value))}</title></rect>")
    parts.append("</g>")
    parts.append(_x_labels(categories, left, slot, 276))
    parts.append(_legend(chart_id, series, 20))
    parts.append("</svg>")
    return _markup(parts)


def _marker(index: int, x: float, y: float, colour: str) -> str:
    if index % 2:
        return f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" fill="{colour}"/>'
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{colour}"/>'


def line_chart(chart_id: str, title: str, description: str, categories: Sequence[str], series: Sequence[Series],
               *, empty_text: str = "No data", fmt: Formatter = number) -> Markup:
    """One line per series over the categories, a marker (circle, square) at every point, with a legend."""
    if not _has_data(categories, series):
        return _empty(chart_id, title, description, empty_text)
    parts, maximum = _plot_frame(chart_id, title, description, series, fmt)
    left, slot = 48.0, (WIDTH - 10 - 48) / len(categories)
    for s_index, item in enumerate(series):
        colour = COLOURS[s_index % len(COLOURS)]
        points = [(left + slot * (index + 0.5), 260 - 220 * max(value, 0) / maximum)
                  for index, value in enumerate(item.values)]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        parts.append(f'<g class="chart-line"><polyline points="{path}" fill="none" stroke="{colour}" '
                     f'stroke-width="2"/>')
        for index, (x, y) in enumerate(points):
            value = item.values[index]
            parts.append(f'<g class="point" data-value="{escape(fmt(value))}">{_marker(s_index, x, y, colour)}'
                         f"<title>{escape(categories[index])} · {escape(item.name)}: {escape(fmt(value))}</title>"
                         "</g>")
        parts.append("</g>")
    parts.append(_x_labels(categories, left, slot, 276))
    parts.append(_legend(chart_id, series, 20, lines=True))
    parts.append("</svg>")
    return _markup(parts)
