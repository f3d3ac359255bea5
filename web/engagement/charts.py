"""Server-side SVG charts: no script, nothing from a CDN, readable by screen readers.

Each chart is an ``<svg role="img">`` named by its ``<title>`` and described by a ``<desc>``
(``aria-labelledby``), and the page puts a data table with the same numbers beside it. Every
piece of text is escaped here (post texts and campaign names are user text). Colors have at
least 4.5:1 contrast on white, and series differ by dash pattern and marker shape too, so no
chart depends on telling colors apart (WCAG 1.4.1, 1.4.11).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

from markupsafe import Markup, escape

#: Blue, burnt orange, green, purple, crimson, slate: each >= 4.5:1 against white.
PALETTE = ("#1f5fa8", "#a84a00", "#1b7a3d", "#6d3aa8", "#a3123a", "#3f4b5b")
DASHES = ("", "7 4", "2 3", "9 3 2 3", "4 2", "12 4")
MARKERS = ("circle", "square", "triangle", "diamond", "circle", "square")
TEXT = "#1f2933"
GRID = "#c3cad4"
#: Light to dark blue for the weekday × hour grid (the darkest cells carry white text).
HEAT = ("#eef3fa", "#c6d7ee", "#8fb1dd", "#4f83c4", "#1f5fa8", "#123d70")


def _e(value: object) -> str:
    return str(escape(str(value)))


def short(text: str, limit: int = 48) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _fmt(value: float) -> str:
    if value >= 10000:
        return f"{value / 1000:.0f}k"
    if value >= 1000:
        return f"{value / 1000:.1f}k"
    if value != int(value):
        return f"{value:.1f}"
    return f"{int(value)}"


def nice_max(value: float) -> float:
    """A round axis maximum at or above ``value`` (1, 2, 2.5, 5 × 10^n)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power


def _open(chart_id: str, title: str, desc: str, width: int, height: int) -> list[str]:
    return [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
            f'viewBox="0 0 {width} {height}" aria-labelledby="{_e(chart_id)}-title '
            f'{_e(chart_id)}-desc" id="{_e(chart_id)}" focusable="false">',
            f'<title id="{_e(chart_id)}-title">{_e(title)}</title>',
            f'<desc id="{_e(chart_id)}-desc">{_e(desc)}</desc>']


def _marker(kind: str, x: float, y: float, color: str, label: str = "") -> str:
    """A point's marker; with a ``label`` it is a data point (class "point", its own title)."""
    extra = ' class="point"' if label else ""
    inner = f"<title>{_e(label)}</title>" if label else ""
    if kind == "square":
        shape = (f'<rect x="{x - 3.5:.1f}" y="{y - 3.5:.1f}" width="7" height="7" '
                 f'fill="{color}"{extra}')
    elif kind == "triangle":
        shape = (f'<polygon points="{x:.1f},{y - 4.5:.1f} {x + 4.5:.1f},{y + 3.5:.1f} '
                 f'{x - 4.5:.1f},{y + 3.5:.1f}" fill="{color}"{extra}')
    elif kind == "diamond":
        shape = (f'<polygon points="{x:.1f},{y - 5:.1f} {x + 5:.1f},{y:.1f} {x:.1f},{y + 5:.1f} '
                 f'{x - 5:.1f},{y:.1f}" fill="{color}"{extra}')
    else:
        shape = f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{color}"{extra}'
    tag = shape[1:shape.index(" ")]
    return f"{shape}>{inner}</{tag}>" if inner else f"{shape}/>"


def bar_chart(chart_id: str, title: str, desc: str,
              items: Sequence[tuple[str, float]], *, unit: str = "") -> Markup:
    """Horizontal bars, one per labelled value, the value written at the bar's end."""
    width, label_w, row_h, top = 640, 236, 30, 10
    height = top + row_h * max(1, len(items)) + 10
    top_value = nice_max(max((v for _, v in items), default=0))
    span = width - label_w - 70
    out = _open(chart_id, title, desc, width, height)
    if not items:
        out.append(f'<text x="10" y="30" fill="{TEXT}" font-size="14">No data</text>')
    for i, (label, value) in enumerate(items):
        y = top + i * row_h
        bar = span * (value / top_value) if top_value else 0
        color = PALETTE[i % len(PALETTE)]
        out.append(f'<text x="{label_w - 8}" y="{y + 19}" text-anchor="end" fill="{TEXT}" '
                   f'font-size="13">{_e(short(label, 30))}</text>')
        out.append(f'<rect x="{label_w}" y="{y + 5}" width="{max(bar, 1):.1f}" height="20" '
                   f'fill="{color}"><title>{_e(label)}: {_e(_fmt(value))}{_e(unit)}</title></rect>')
        out.append(f'<text x="{label_w + bar + 6:.1f}" y="{y + 19}" fill="{TEXT}" '
                   f'font-size="13">{_e(_fmt(value))}{_e(unit)}</text>')
    out.append("</svg>")
    return Markup("".join(out))


def grouped_bar_chart(chart_id: str, title: str, desc: str, categories: Sequence[str],
                      series: Sequence[tuple[str, Sequence[float | None]]]) -> Markup:
    """Vertical bars: one group per category, one bar per series (``None``: not reported)."""
    width, height, left, bottom, top = 640, 280, 50, 60, 20
    plot_w, plot_h = width - left - 20, height - top - bottom
    values = [v for _, vs in series for v in vs if v is not None]
    top_value = nice_max(max(values, default=0))
    out = _open(chart_id, title, desc, width, height)
    for step in range(5):
        value = top_value * step / 4
        y = top + plot_h - plot_h * step / 4
        out.append(f'<line x1="{left}" x2="{width - 20}" y1="{y:.1f}" y2="{y:.1f}" '
                   f'stroke="{GRID}" stroke-width="1"/>')
        out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="{TEXT}" '
                   f'font-size="12">{_e(_fmt(value))}</text>')
    group_w = plot_w / max(1, len(categories))
    bar_w = min(40.0, (group_w - 16) / max(1, len(series)))
    for c, category in enumerate(categories):
        gx = left + c * group_w + (group_w - bar_w * len(series)) / 2
        for s, (name, vals) in enumerate(series):
            value = vals[c] if c < len(vals) else None
            x = gx + s * bar_w
            color = PALETTE[s % len(PALETTE)]
            if value is None:
                out.append(f'<text x="{x + bar_w / 2:.1f}" y="{top + plot_h - 6}" '
                           f'text-anchor="middle" fill="{TEXT}" font-size="10">n/r</text>')
                continue
            h = plot_h * value / top_value
            pattern = ' stroke="#ffffff" stroke-width="1"' if s else ""
            out.append(f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w - 2:.1f}" '
                       f'height="{max(h, 0.5):.1f}" fill="{color}"{pattern}><title>{_e(name)}, '
                       f'{_e(category)}: {_e(_fmt(value))}</title></rect>')
        out.append(f'<text x="{left + c * group_w + group_w / 2:.1f}" y="{top + plot_h + 18}" '
                   f'text-anchor="middle" fill="{TEXT}" font-size="13">{_e(category)}</text>')
    out.extend(_legend(series_names=[n for n, _ in series], y=height - 18, left=left))
    out.append("</svg>")
    return Markup("".join(out))


def _legend(*, series_names: Sequence[str], y: float, left: float) -> list[str]:
    """Square swatches for bar series, in a row."""
    out, x = [], left
    for s, name in enumerate(series_names):
        out.append(f'<rect x="{x}" y="{y - 11}" width="14" height="14" '
                   f'fill="{PALETTE[s % len(PALETTE)]}"/>')
        label = short(name, 34)
        out.append(f'<text x="{x + 20}" y="{y}" fill="{TEXT}" font-size="12">{_e(label)}</text>')
        x += 40 + 7 * len(label)
    return out


@dataclass(frozen=True)
class Tick:
    hours: float
    label: str


TIME_TICKS = (Tick(0, "0"), Tick(1, "1 h"), Tick(6, "6 h"), Tick(24, "1 d"), Tick(72, "3 d"),
              Tick(168, "7 d"), Tick(720, "30 d"))


def _age_label(hours: float) -> str:
    return f"+{hours:.0f} h" if hours < 48 else f"+{hours / 24:.0f} d"


def _time_x(hours: float) -> float:
    """Time since publishing on a log scale, so +1 h and +30 d both get room."""
    return math.log1p(max(0.0, hours))


def line_chart(chart_id: str, title: str, desc: str,
               series: Sequence[tuple[str, Sequence[tuple[float, float]]]]) -> Markup:
    """Lines over time since publishing (hours, log scale); one line per series."""
    width, left, right, top, bottom = 640, 50, 20, 20, 44
    legend_rows = max(1, math.ceil(len(series) / 2))
    height = 260 + 18 * legend_rows
    plot_w, plot_h = width - left - right, 260 - top - bottom
    last_hours = max((h for _, pts in series for h, _ in pts), default=24.0)
    ticks = [t for t in TIME_TICKS if t.hours <= max(last_hours, 24.0) * 1.01]
    x_max = _time_x(max(last_hours, ticks[-1].hours))
    top_value = nice_max(max((v for _, pts in series for _, v in pts), default=0))
    out = _open(chart_id, title, desc, width, height)

    def sx(hours: float) -> float:
        return left + plot_w * _time_x(hours) / x_max

    def sy(value: float) -> float:
        return top + plot_h - plot_h * value / top_value

    for step in range(5):
        value = top_value * step / 4
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{sy(value):.1f}" '
                   f'y2="{sy(value):.1f}" stroke="{GRID}" stroke-width="1"/>')
        out.append(f'<text x="{left - 6}" y="{sy(value) + 4:.1f}" text-anchor="end" '
                   f'fill="{TEXT}" font-size="12">{_e(_fmt(value))}</text>')
    for tick in ticks:
        out.append(f'<line x1="{sx(tick.hours):.1f}" x2="{sx(tick.hours):.1f}" y1="{top}" '
                   f'y2="{top + plot_h}" stroke="{GRID}" stroke-width="1"/>')
        out.append(f'<text x="{sx(tick.hours):.1f}" y="{top + plot_h + 16}" text-anchor="middle" '
                   f'fill="{TEXT}" font-size="12">{_e(tick.label)}</text>')
    out.append(f'<text x="{left + plot_w / 2:.1f}" y="{top + plot_h + 34}" text-anchor="middle" '
               f'fill="{TEXT}" font-size="12">time since publishing</text>')
    if not series:
        out.append(f'<text x="{left + 10}" y="{top + 30}" fill="{TEXT}" font-size="14">'
                   'No snapshots yet</text>')
    for s, (name, points) in enumerate(series):
        color, dash = PALETTE[s % len(PALETTE)], DASHES[s % len(DASHES)]
        path = " ".join(f"{sx(h):.1f},{sy(v):.1f}" for h, v in points)
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2.5"'
                   f'{dash_attr}/>')
        for h, v in points:
            out.append(_marker(MARKERS[s % len(MARKERS)], sx(h), sy(v), color,
                               f"{name}: {_fmt(v)} at {_age_label(h)}"))
    names = [n for n, _ in series]
    for row in range(legend_rows):
        out.extend(_legend_pair(names, row, left, 266 + 18 * row))
    out.append("</svg>")
    return Markup("".join(out))


def _legend_pair(names: Sequence[str], row: int, left: float, y: float) -> list[str]:
    """Two legend entries a row (long post excerpts need the width)."""
    out = []
    for column in range(2):
        s = row * 2 + column
        if s >= len(names):
            break
        x = left + column * 290
        color, dash = PALETTE[s % len(PALETTE)], DASHES[s % len(DASHES)]
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(f'<line x1="{x}" x2="{x + 26}" y1="{y - 4}" y2="{y - 4}" stroke="{color}" '
                   f'stroke-width="2.5"{dash_attr}/>')
        out.append(_marker(MARKERS[s % len(MARKERS)], x + 13, y - 4, color))
        out.append(f'<text x="{x + 32}" y="{y}" fill="{TEXT}" font-size="12">'
                   f'{_e(short(names[s], 36))}</text>')
    return out


def heatmap(chart_id: str, title: str, desc: str, day_names: Sequence[str],
            values: dict[tuple[int, int], tuple[int, float]]) -> Markup:
    """Weekday rows × 24 hour columns; a cell's shade is engagement per post, empty cells are
    hours nothing was published at."""
    width, left, top, cell_w, cell_h = 640, 44, 24, 24, 26
    height = top + cell_h * len(day_names) + 44
    top_value = max((v for _, v in values.values()), default=0.0)
    out = _open(chart_id, title, desc, width, height)
    for hour in range(0, 24, 3):
        out.append(f'<text x="{left + hour * cell_w + cell_w / 2:.1f}" y="{top - 8}" '
                   f'text-anchor="middle" fill="{TEXT}" font-size="11">{hour:02d}h</text>')
    for day, name in enumerate(day_names):
        y = top + day * cell_h
        out.append(f'<text x="{left - 6}" y="{y + 17}" text-anchor="end" fill="{TEXT}" '
                   f'font-size="12">{_e(name[:3])}</text>')
        for hour in range(24):
            x = left + hour * cell_w
            found = values.get((day, hour))
            if found is None:
                out.append(f'<rect x="{x}" y="{y}" width="{cell_w - 2}" height="{cell_h - 2}" '
                           f'fill="#ffffff" stroke="{GRID}" stroke-width="1"/>')
                continue
            posts, per_post = found
            level = 1 + int((len(HEAT) - 2) * per_post / top_value) if top_value else 1
            out.append(f'<rect x="{x}" y="{y}" width="{cell_w - 2}" height="{cell_h - 2}" '
                       f'fill="{HEAT[level]}" stroke="{TEXT}" stroke-width="0.5"><title>'
                       f'{_e(name)} {hour:02d}:00: {_e(_fmt(per_post))} per post '
                       f'({posts} posts)</title></rect>')
    legend_y = top + cell_h * len(day_names) + 22
    out.append(f'<text x="{left}" y="{legend_y}" fill="{TEXT}" font-size="12">less</text>')
    for i, color in enumerate(HEAT[1:]):
        out.append(f'<rect x="{left + 34 + i * 22}" y="{legend_y - 12}" width="20" height="14" '
                   f'fill="{color}" stroke="{TEXT}" stroke-width="0.5"/>')
    out.append(f'<text x="{left + 40 + 22 * (len(HEAT) - 1)}" y="{legend_y}" fill="{TEXT}" '
               f'font-size="12">more engagement per post · white: nothing published</text>')
    out.append("</svg>")
    return Markup("".join(out))
