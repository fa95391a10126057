"""Charts as inline SVG, drawn at build time: no chart library, nothing for the reader to fetch.

Colours come from CSS classes (docs/stylesheets/lwm.css), so a chart follows the light and
dark palettes. Every chart has a <title> and <desc> for screen readers; the page puts the
same numbers in a data table next to it.
"""

from __future__ import annotations

import math
from html import escape
from typing import Callable, Sequence

# Drawing area, in SVG user units. The SVG scales to the column, so the layout is drawn for a
# phone's column (about 360 CSS px at 390 px wide) and the stylesheet caps its width on a wide
# screen: TEXT-unit text then shows at 11.5 px or more on a phone and about 17 px on a laptop,
# never the 5-6 px a 720-unit chart shrinks its text to on a phone.
WIDTH = 400
TEXT = 13  # every text's size (lwm.css sets the same), for the layout's width estimates
CHAR = 0.56 * TEXT  # average advance of one character at that size
LEFT_LABELS = 150  # room for model names on bar charts
MARGIN = {"top": 16, "right": 16, "bottom": 48, "left": 56}


def _text_w(text: str) -> float:
    return CHAR * len(text)


def _legend(items: Sequence[tuple[str, Callable[[float, float], str]]], left: float, top: float) -> tuple[list[str], float]:
    """Legend entries (label, draw(x, y) -> swatch) flowing into as many rows as the width
    needs; returns the SVG and the height the rows take."""
    out, x, y, row_h = [], left, top, TEXT + 8
    for label, swatch in items:
        need = 30 + _text_w(label)
        if x > left and x + need > WIDTH - MARGIN["right"]:
            x, y = left, y + row_h
        out.append(swatch(x, y))
        out.append(f'<text class="lwm-tick" x="{x + 30}" y="{y + 4}">{escape(label)}</text>')
        x += need + 16
    return out, y - top + row_h


def _svg_open(chart_id: str, title: str, desc: str, height: int) -> str:
    return (
        f'<svg class="lwm-chart" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>'
    )


def _nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick values (1, 2, 5 × 10^k steps) covering [lo, hi]."""
    span = hi - lo or abs(hi) or 1.0
    raw = span / count
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)
    start = math.floor(lo / step) * step
    ticks, t = [], start
    while t <= hi + step * 1e-9:
        ticks.append(round(t, 10))
        t += step
    if ticks[-1] < hi:
        ticks.append(ticks[-1] + step)
    return ticks


def _log_ticks(lo: float, hi: float, pixels: float = 1e9, label_w: float = 0) -> list[float]:
    """1, 2, 5 × 10^k values between lo and hi, for a logarithmic axis; only 1 × 10^k (or
    1 and 3) when the labels of all three would run into each other over ``pixels``."""
    decades = math.log10(hi) - math.log10(lo)
    for mults in ((1, 2, 5), (1, 3), (1,)):
        ticks = [m * 10**k for k in range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1)
                 for m in mults if lo <= m * 10**k <= hi]
        # the closest two neighbours (2 and 5, or 3 and 10) sit log10(5/2) or log10(10/3) apart
        closest = min(math.log10(b / a) for a, b in zip(ticks, ticks[1:])) if len(ticks) > 1 else decades
        if closest / decades * pixels >= label_w + 6:
            return ticks
    return ticks


def _axes(left: float, right: float, top: float, bottom: float, height: int,
          px: Callable[[float], float], py: Callable[[float], float], x_ticks: Sequence[float],
          y_ticks: Sequence[float], x_fmt: Callable[[float], str], y_fmt: Callable[[float], str],
          x_label: str, y_label: str) -> list[str]:
    """Grid lines with their tick labels, the two axes and their labels."""
    out = []
    for t in y_ticks:
        out.append(f'<line class="lwm-grid" x1="{left}" x2="{right}" y1="{py(t):.1f}" y2="{py(t):.1f}"/>')
        out.append(f'<text class="lwm-tick" x="{left - 6}" y="{py(t) + 4:.1f}" text-anchor="end">{escape(y_fmt(t))}</text>')
    for t in x_ticks:
        out.append(f'<line class="lwm-grid" x1="{px(t):.1f}" x2="{px(t):.1f}" y1="{top}" y2="{bottom}"/>')
        out.append(f'<text class="lwm-tick" x="{px(t):.1f}" y="{bottom + 16}" text-anchor="middle">{escape(x_fmt(t))}</text>')
    out.append(f'<line class="lwm-axis" x1="{left}" x2="{right}" y1="{bottom}" y2="{bottom}"/>')
    out.append(f'<line class="lwm-axis" x1="{left}" x2="{left}" y1="{top}" y2="{bottom}"/>')
    out.append(f'<text class="lwm-label" x="{(left + right) / 2:.1f}" y="{height - 8}" text-anchor="middle">{escape(x_label)}</text>')
    out.append(
        f'<text class="lwm-label" transform="translate(14 {(top + bottom) / 2:.1f}) rotate(-90)" '
        f'text-anchor="middle">{escape(y_label)}</text>'
    )
    return out


def scatter(
    chart_id: str,
    title: str,
    desc: str,
    points: Sequence[tuple[str, float, float, str]],  # (label, x, y, css class)
    x_label: str,
    y_label: str,
    x_fmt: Callable[[float], str],
    y_fmt: Callable[[float], str],
) -> str:
    """A scatter plot with a logarithmic x axis (MACs span two orders of magnitude)."""
    height = 440
    left, right = MARGIN["left"], WIDTH - MARGIN["right"] - 70  # room for labels on the right
    top, bottom = MARGIN["top"], height - MARGIN["bottom"]
    xs = [p[1] for p in points]
    ys = [p[2] for p in points]
    x_lo, x_hi = math.log10(min(xs) / 1.5), math.log10(max(xs) * 1.5)
    y_ticks = _nice_ticks(min(ys) - 2, max(ys) + 2)
    y_lo, y_hi = y_ticks[0], y_ticks[-1]

    def px(x: float) -> float:
        return left + (math.log10(x) - x_lo) / (x_hi - x_lo) * (right - left)

    def py(y: float) -> float:
        return bottom - (y - y_lo) / (y_hi - y_lo) * (bottom - top)

    out = [_svg_open(chart_id, title, desc, height)]
    out += _axes(left, right, top, bottom, height, px, py, _log_ticks(10**x_lo, 10**x_hi, right - left, _text_w("500 M")), y_ticks,
                 x_fmt, y_fmt, x_label, y_label)
    # points first, then each label at the first candidate spot that overlaps no other
    # label and no point, so close models (the EfficientNets) stay readable
    centres = [(px(x), py(y)) for _, x, y, _ in points]
    for (label, _, _, cls), (cx, cy) in zip(points, centres):
        out.append(f'<circle class="lwm-point {cls}" cx="{cx:.1f}" cy="{cy:.1f}" r="5"><title>{escape(label)}</title></circle>')
    boxes: list[tuple[float, float, float, float]] = []  # x0, y0, x1, y1 of placed labels

    def free(box) -> bool:
        x0, y0, x1, y1 = box
        hits_label = any(x0 < b[2] and b[0] < x1 and y0 < b[3] and b[1] < y1 for b in boxes)
        hits_point = any(x0 - 5 < px_ < x1 + 5 and y0 - 5 < py_ < y1 + 5 for px_, py_ in centres)
        return not hits_label and not hits_point

    for (label, _, _, _), (cx, cy) in sorted(zip(points, centres), key=lambda pc: pc[1][1]):
        w = _text_w(label)
        candidates = [
            (cx + 8, cy + 4, "start"), (cx + 8, cy - 9, "start"), (cx + 8, cy + 17, "start"),
            (cx - 8, cy + 4, "end"), (cx - 8, cy - 9, "end"), (cx - 8, cy + 17, "end"),
            (cx, cy - 10, "middle"), (cx, cy + 20, "middle"),
        ]
        for tx, ty, anchor in candidates + [(min(cx + 8, WIDTH - w), cy + 17, "start")]:
            x0 = tx if anchor == "start" else tx - w if anchor == "end" else tx - w / 2
            box = (x0, ty - TEXT + 2, x0 + w, ty + 2)
            if x0 < 0 or x0 + w > WIDTH:  # a label must not run off the chart
                continue
            if free(box):
                break
        boxes.append(box)
        out.append(f'<text class="lwm-point-label" x="{tx:.1f}" y="{ty:.1f}" text-anchor="{anchor}">{escape(label)}</text>')
    out.append("</svg>")
    return "".join(out)


def grouped_bars(
    chart_id: str,
    title: str,
    desc: str,
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],  # (name, one value per category)
    x_label: str,
    x_fmt: Callable[[float], str],
    reference: tuple[float, str] | None = None,  # (value, label): a marked vertical line
) -> str:
    """Horizontal bars, one group per category (model), one bar per series (variant)."""
    bar_h, gap = 13, 10  # a bar as tall as its value's text
    group_h = bar_h * len(series) + gap
    # legend: one swatch per series, and the marked line's, so its label never covers a bar
    items = [(name, lambda x, y, i=i: f'<rect class="lwm-s{i}" x="{x + 6}" y="{y - 6}" width="12" height="12"/>')
             for i, (name, _) in enumerate(series)]
    if reference:
        items.append((reference[1], lambda x, y: f'<line class="lwm-ref" x1="{x}" x2="{x + 24}" y1="{y}" y2="{y}"/>'))
    legend, legend_h = _legend(items, MARGIN["left"], MARGIN["top"])
    top = MARGIN["top"] + legend_h
    height = round(top + group_h * len(categories) + MARGIN["bottom"])
    left = min(LEFT_LABELS, 12 + max(_text_w(c) for c in categories))
    right = WIDTH - MARGIN["right"] - _text_w("000.0 MB")  # room for the value after a bar
    bottom = height - MARGIN["bottom"]
    hi = max(v for _, vals in series for v in vals if v is not None)
    ticks = _nice_ticks(0, max(hi, reference[0]) if reference else hi, count=3)

    def px(v: float) -> float:
        return left + v / ticks[-1] * (right - left)

    out = [_svg_open(chart_id, title, desc, height)] + legend
    for t in ticks:
        out.append(f'<line class="lwm-grid" x1="{px(t):.1f}" x2="{px(t):.1f}" y1="{top}" y2="{bottom}"/>')
        out.append(f'<text class="lwm-tick" x="{px(t):.1f}" y="{bottom + 16}" text-anchor="middle">{escape(x_fmt(t))}</text>')
    for gi, cat in enumerate(categories):
        gy = top + gi * group_h
        out.append(
            f'<text class="lwm-tick" x="{left - 8}" y="{gy + bar_h * len(series) / 2 + 4:.1f}" '
            f'text-anchor="end">{escape(cat)}</text>'
        )
        for si, (name, vals) in enumerate(series):
            v = vals[gi]
            if v is None:
                continue
            y = gy + si * bar_h
            out.append(
                f'<rect class="lwm-s{si}" x="{left}" y="{y}" width="{max(px(v) - left, 1):.1f}" height="{bar_h - 1}">'
                f"<title>{escape(f'{cat}, {name}: {x_fmt(v)}')}</title></rect>"
            )
            out.append(f'<text class="lwm-value" x="{px(v) + 4:.1f}" y="{y + bar_h - 2.5}">{escape(x_fmt(v))}</text>')
    out.append(f'<line class="lwm-axis" x1="{left}" x2="{left}" y1="{top}" y2="{bottom}"/>')
    if reference:
        value, label = reference
        out.append(f'<line class="lwm-ref" x1="{px(value):.1f}" x2="{px(value):.1f}" y1="{top - 4}" y2="{bottom}">'
                   f"<title>{escape(label)}</title></line>")
    out.append(f'<text class="lwm-label" x="{(left + right) / 2:.1f}" y="{height - 8}" text-anchor="middle">{escape(x_label)}</text>')
    out.append("</svg>")
    return "".join(out)


# how each series of a line chart is drawn besides its colour, so the lines stay apart in
# grey print and for readers who do not tell the palette's colours apart
_DASHES = ("", "7 4", "2 3")


def _marker(shape: int, cx: float, cy: float, cls: str, tip: str) -> str:
    tip = f"<title>{escape(tip)}</title>"
    if shape % 2 == 0:
        return f'<circle class="{cls}" cx="{cx:.1f}" cy="{cy:.1f}" r="4.5">{tip}</circle>'
    return f'<rect class="{cls}" x="{cx - 4:.1f}" y="{cy - 4:.1f}" width="8" height="8">{tip}</rect>'


def lines(
    chart_id: str,
    title: str,
    desc: str,
    xs: Sequence[float],
    series: Sequence[tuple[str, Sequence[float], Sequence[str]]],  # (name, y per x, label per point)
    x_label: str,
    y_label: str,
    x_fmt: Callable[[float], str],
    y_fmt: Callable[[float], str],
    x_range: tuple[float, float],
    y_range: tuple[float, float],
) -> str:
    """Lines over one linear x axis, a legend above. Each point's label is its tooltip, and
    the last point's label is written at the end of its line."""
    # legend: a stretch of each line with its marker, as many rows as the names need
    legend, legend_h = _legend(
        [(name, lambda x, y, i=i, name=name: (
            f'<line x1="{x}" x2="{x + 24}" y1="{y}" y2="{y}" stroke-dasharray="{_DASHES[i % 3]}" '
            f'style="stroke: var(--lwm-s{i % 3}); stroke-width: 2.5"/>' + _marker(i, x + 12, y, f"lwm-s{i % 3}", name)))
         for i, (name, _, _) in enumerate(series)],
        MARGIN["left"] - 40, MARGIN["top"])
    top = MARGIN["top"] + legend_h
    height = round(top + 300 + MARGIN["bottom"])
    left, right = MARGIN["left"], WIDTH - MARGIN["right"] - _text_w("00.0 MB")  # room for the end labels
    bottom = height - MARGIN["bottom"]
    x_ticks = _nice_ticks(*x_range, count=5)
    y_ticks = _nice_ticks(*y_range)
    x_lo, x_hi, y_lo, y_hi = x_ticks[0], x_ticks[-1], y_ticks[0], y_ticks[-1]

    def px(x: float) -> float:
        return left + (x - x_lo) / (x_hi - x_lo) * (right - left)

    def py(y: float) -> float:
        return bottom - (y - y_lo) / (y_hi - y_lo) * (bottom - top)

    out = [_svg_open(chart_id, title, desc, height)] + legend
    out += _axes(left, right, top, bottom, height, px, py, x_ticks, y_ticks, x_fmt, y_fmt, x_label, y_label)
    ends = []  # (y of the last point, series index), for the labels at the line ends
    for i, (name, ys, labels) in enumerate(series):
        pts = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in zip(xs, ys))
        out.append(f'<polyline points="{pts}" stroke-dasharray="{_DASHES[i % 3]}" '
                   f'style="fill: none; stroke: var(--lwm-s{i % 3}); stroke-width: 2.5"/>')
        for x, y, label in zip(xs, ys, labels):
            out.append(_marker(i, px(x), py(y), f"lwm-s{i % 3}", f"{name}, {x_fmt(x)}: {label}"))
        ends.append([py(ys[-1]), i])
    # end labels at least a line apart, in the order of their points
    ends.sort()
    for k in range(1, len(ends)):
        ends[k][0] = max(ends[k][0], ends[k - 1][0] + TEXT + 1)
    for y, i in ends:
        out.append(f'<text class="lwm-value" x="{px(xs[-1]) + 9:.1f}" y="{y + 3.5:.1f}">{escape(series[i][2][-1])}</text>')
    out.append("</svg>")
    return "".join(out)


def stacked_shares(
    chart_id: str,
    title: str,
    desc: str,
    categories: Sequence[str],  # one group per category (model)
    segments: Sequence[str],  # the parts each bar is split into (kinds of layer)
    values: Sequence[Sequence[Sequence[float]]],  # [category][bar][segment], each bar's shares sum to 1
    bars: Sequence[str],  # the bars of a group, e.g. ("MACs", "time")
) -> str:
    """Per category a group of horizontal bars, each split into segments that sum to 100 %."""
    legend, legend_h = _legend(
        [(name, lambda x, y, i=i: f'<rect class="lwm-k{i}" x="{x + 6}" y="{y - 6}" width="12" height="12"/>')
         for i, name in enumerate(segments)], MARGIN["left"] - 40, MARGIN["top"])
    bar_h, gap = 14, 10
    group_h = bar_h * len(bars) + gap
    top = MARGIN["top"] + legend_h
    height = round(top + group_h * len(categories) + MARGIN["bottom"])
    left = min(LEFT_LABELS, 12 + max(_text_w(c) for c in categories))
    bar_label_w = _text_w(max(bars, key=len)) + 6
    x0, right = left + bar_label_w, WIDTH - MARGIN["right"]
    bottom = height - MARGIN["bottom"]

    def px(v: float) -> float:
        return x0 + v * (right - x0)

    out = [_svg_open(chart_id, title, desc, height)] + legend
    for t in (0, 0.5, 1):
        out.append(f'<line class="lwm-grid" x1="{px(t):.1f}" x2="{px(t):.1f}" y1="{top}" y2="{bottom}"/>')
        out.append(f'<text class="lwm-tick" x="{px(t):.1f}" y="{bottom + 16}" text-anchor="middle">{t:.0%}</text>')
    for gi, cat in enumerate(categories):
        gy = top + gi * group_h
        out.append(f'<text class="lwm-tick" x="{left - 8}" y="{gy + bar_h * len(bars) / 2 + 4:.1f}" '
                   f'text-anchor="end">{escape(cat)}</text>')
        for bi, bar in enumerate(bars):
            y = gy + bi * bar_h
            out.append(f'<text class="lwm-tick" x="{x0 - 4}" y="{y + bar_h - 3}" text-anchor="end">{escape(bar)}</text>')
            at = 0.0
            for si, (seg, v) in enumerate(zip(segments, values[gi][bi])):
                if v <= 0:
                    continue
                out.append(f'<rect class="lwm-k{si}" x="{px(at):.1f}" y="{y}" width="{max(px(at + v) - px(at), 0.5):.1f}" '
                           f'height="{bar_h - 2}"><title>{escape(f"{cat}, {bar}: {seg} {v:.1%}")}</title></rect>')
                at += v
    out.append(f'<line class="lwm-axis" x1="{x0}" x2="{x0}" y1="{top}" y2="{bottom}"/>')
    out.append(f'<text class="lwm-label" x="{(x0 + right) / 2:.1f}" y="{height - 8}" text-anchor="middle">'
               f'share of the model</text>')
    out.append("</svg>")
    return "".join(out)


def roofline(
    chart_id: str,
    title: str,
    desc: str,
    points: Sequence[tuple[str, float, float]],  # (label, MACs per byte, GMAC/s)
    compute: float,  # the compute ceiling, GMAC/s
    roofs: Sequence[tuple[str, float]],  # (label, GB/s): memory ceilings, slowest first
) -> str:
    """A roofline on logarithmic axes: for each memory ceiling, min(compute, GB/s ×
    intensity), with each point (a kind of layer) where it ran."""
    height = 400
    left, right = MARGIN["left"] + 6, WIDTH - MARGIN["right"]
    top, bottom = MARGIN["top"] + 8, height - MARGIN["bottom"]
    slowest = min(bw for _, bw in roofs)
    xs = [p[1] for p in points] + [compute / bw for _, bw in roofs]  # every ridge on the plot
    ys = [p[2] for p in points] + [compute]
    x_lo = 10 ** math.floor(math.log10(min(xs) / 1.5))
    x_hi = 10 ** math.ceil(math.log10(max(xs) * 1.5))
    y_lo = 10 ** math.floor(math.log10(min(min(ys), slowest * x_lo) / 1.5))
    y_hi = max(ys) * 4  # room above the flat roof for its label and the points' labels

    def px(x: float) -> float:
        return left + (math.log10(x) - math.log10(x_lo)) / (math.log10(x_hi) - math.log10(x_lo)) * (right - left)

    def py(y: float) -> float:
        return bottom - (math.log10(y) - math.log10(y_lo)) / (math.log10(y_hi) - math.log10(y_lo)) * (bottom - top)

    def fmt(v: float) -> str:
        return f"{v:g}"

    out = [_svg_open(chart_id, title, desc, height)]
    out += _axes(left, right, top, bottom, height, px, py, _log_ticks(x_lo, x_hi, right - left, _text_w("1000")),
                 _log_ticks(y_lo, y_hi, bottom - top, 3 * TEXT), fmt, fmt,
                 "MACs per byte moved (log)", "GMAC/s (log)")
    # the compute roof's label at the left, where the sloped roofs are still far below it
    matmul = f"MatMul {compute:.0f} GMAC/s"
    out.append(f'<text class="lwm-tick" x="{left + 6}" y="{py(compute) - 8:.1f}">{escape(matmul)}</text>')
    taken = [(left + 6, py(compute) - 8 - TEXT + 2, left + 6 + _text_w(matmul), py(compute) - 6)]
    lines: list[tuple[float, float]] = []  # points along the roofs, which no label may cover
    for i, (label, bw) in enumerate(roofs):
        # bandwidth-bound up to the ridge, compute-bound after; clipped to the plot
        start_x = max(x_lo, y_lo / bw)
        ridge = compute / bw
        roof = [(start_x, bw * start_x), (ridge, compute), (x_hi, compute)]
        dash = ' stroke-dasharray="6 4"' if i else ""
        for (xa, ya), (xb, yb) in zip(roof, roof[1:]):
            lines += [(px(xa) + (px(xb) - px(xa)) * t / 40, py(ya) + (py(yb) - py(ya)) * t / 40) for t in range(41)]
        out.append(f'<polyline class="lwm-roof"{dash} points="{" ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in roof)}">'
                   f"<title>{escape(f'{label}: {bw:.1f} GB/s × intensity, at most {compute:.1f} GMAC/s')}</title></polyline>")
        # the label under the slope, a quarter of the way up: the line rises away from it
        at = 10 ** (math.log10(start_x) + 0.25 * (math.log10(ridge) - math.log10(start_x)))
        text = f"{label} {bw:.0f} GB/s"
        out.append(f'<text class="lwm-tick" x="{px(at) + 6:.1f}" y="{py(bw * at) + 16:.1f}">{escape(text)}</text>')
        taken.append((px(at) + 6, py(bw * at) + 4, px(at) + 6 + _text_w(text), py(bw * at) + 18))
    centres = [(px(x), py(y)) for _, x, y in points]
    for (label, x, y), (cx, cy) in zip(points, centres):
        out.append(f'<circle class="lwm-point lwm-light" cx="{cx:.1f}" cy="{cy:.1f}" r="5">'
                   f"<title>{escape(f'{label}: {x:.2f} MACs per byte, {y:.1f} GMAC/s')}</title></circle>")
    out += _place_labels([p[0] for p in points], centres, taken, lines)
    out.append("</svg>")
    return "".join(out)


CROWDED = 12  # two points closer than this (px) share the spots beside them: labels go further out


def _place_labels(labels: Sequence[str], centres: Sequence[tuple[float, float]],
                  taken: Sequence[tuple[float, float, float, float]] = (),
                  lines: Sequence[tuple[float, float]] = ()) -> list[str]:
    """Each label at the first spot beside its point that overlaps no other label, no point,
    none of the ``taken`` boxes and none of the points along ``lines``; below the point first,
    as the points of a roofline sit under their roof. Where the spots beside it are taken (two
    points almost on top of each other), a spot further out, joined to its point by a thin
    line; so is a label as near another point as its own, which would otherwise read as
    that point's."""
    boxes: list[tuple[float, float, float, float]] = list(taken)
    out = []

    def gap(box, point) -> float:
        """From a point to the nearest edge of a box (0 inside it)."""
        x0, y0, x1, y1 = box
        px_, py_ = point
        return math.hypot(max(x0 - px_, 0, px_ - x1), max(y0 - py_, 0, py_ - y1))

    def ambiguous(box, own, beside: bool) -> bool:
        """Beside its point: less than twice as near its own point as any other, it would read
        as that one's. Further out, joined by a line: nearer another point than its own."""
        mine = gap(box, own)
        near = max(2 * mine, mine + 10) if beside else mine + 4
        return any(gap(box, c) < near for c in centres if math.dist(c, own) > CROWDED)

    def free(box, own, beside: bool) -> bool:
        """Overlapping nothing, and plainly its own point's."""
        x0, y0, x1, y1 = box
        return (not any(x0 < b[2] and b[0] < x1 and y0 < b[3] and b[1] < y1 for b in boxes)
                and not any(x0 - 5 < cx < x1 + 5 and y0 - 5 < cy < y1 + 5 for cx, cy in centres)
                and not any(x0 - 1 < lx < x1 + 1 and y0 - 1 < ly < y1 + 1 for lx, ly in lines)
                and not ambiguous(box, own, beside))

    for label, (cx, cy) in sorted(zip(labels, centres), key=lambda lc: lc[1][1]):
        w = _text_w(label)
        beside = [(cx + 8, cy + 17, "start"), (cx - 8, cy + 17, "end"), (cx + 8, cy + 4, "start"),
                  (cx - 8, cy + 4, "end"), (cx, cy + 20, "middle"), (cx + 8, cy - 9, "start"),
                  (cx - 8, cy - 9, "end"), (cx, cy - 10, "middle"), (cx, cy + 33, "middle"),
                  (cx - 8, cy + 30, "end"), (cx + 8, cy + 30, "start")]
        # further out, below first, then to the sides, then above
        further = [(cx + dx, cy + dy, "start" if dx > 0 else "end" if dx < 0 else "middle")
                   for d in (28, 44, 60) for dx, dy in ((0, d + 10), (d, d), (-d, d), (d, 4), (-d, 4),
                                                        (d, -d + 8), (-d, -d + 8), (0, -d))]
        # a point with another almost on top of it: no spot beside it is clearly its own
        crowded = any(0 < math.dist(c, (cx, cy)) <= CROWDED for c in centres)
        fits = []  # the spots inside the chart; the first free one, else the first of them
        for i, (tx, ty, anchor) in enumerate(beside + further):
            if crowded and i < len(beside):
                continue
            x0 = tx if anchor == "start" else tx - w if anchor == "end" else tx - w / 2
            box = (x0, ty - TEXT + 2, x0 + w, ty + 2)
            if x0 >= 0 and x0 + w <= WIDTH:
                fits.append((tx, ty, anchor, box, i))
                if free(box, (cx, cy), i < len(beside)):
                    break
        else:
            # no spot is free of everything: the first that at least covers no other label
            clear = [f for f in fits if not any(f[3][0] < b[2] and b[0] < f[3][2] and f[3][1] < b[3] and b[1] < f[3][3]
                                                for b in boxes)]
            fits = (clear or fits)[:1]
        tx, ty, anchor, box, i = fits[-1]
        boxes.append(box)
        if i >= len(beside) or crowded:
            # a line from the point's edge to the label's nearest edge
            ex = min(max(cx, box[0]), box[2])
            ey = min(max(cy, box[1]), box[3])
            length = math.hypot(ex - cx, ey - cy)
            if length > 7:
                sx, sy = cx + (ex - cx) * 6 / length, cy + (ey - cy) * 6 / length
                out.append(f'<line class="lwm-leader" x1="{sx:.1f}" y1="{sy:.1f}" x2="{ex:.1f}" y2="{ey:.1f}"/>')
        out.append(f'<text class="lwm-point-label" x="{tx:.1f}" y="{ty:.1f}" text-anchor="{anchor}">{escape(label)}</text>')
    return out
