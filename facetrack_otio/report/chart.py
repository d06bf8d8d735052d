"""The who-speaks-when chart: one lane per person over the video's time.

The chart is laid out once as plain shapes (:class:`Chart`), then drawn twice: as inline SVG
for the HTML report (tooltips, crisp at any zoom) and as a PNG with Pillow (``report.png``, for
places that show images only). Speech found by the voice detector is shaded across every lane;
turns are bars in their speaker's colour, more opaque the surer the fusion was; off-screen turns
sit in their own hatched lane.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from facetrack_otio.fsutil import atomic_path
from facetrack_otio.report.data import ReportData

WIDTH = 1200
LABEL_W = 150
LANE_H = 34
LANE_GAP = 8
TOP = 12
AXIS_H = 30
RIGHT = 16
SPEECH_FILL = "#dfe3ea"
LANE_FILL = "#f6f7f9"
INK = "#222222"
MUTED = "#6b7280"


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float
    fill: str
    opacity: float = 1.0
    hatch: bool = False
    title: str = ""


@dataclass(frozen=True)
class Line:
    x1: float
    y1: float
    x2: float
    y2: float
    color: str
    width: float = 1.0


@dataclass(frozen=True)
class Text:
    x: float
    y: float
    text: str
    size: int = 13
    anchor: str = "start"  # start | middle | end
    color: str = INK
    bold: bool = False


Shape = Rect | Line | Text


@dataclass
class Lane:
    """One person's lane: their id and the shapes drawn in it."""

    person: int
    name: str
    shapes: list[Shape] = field(default_factory=list)


@dataclass
class Chart:
    """The laid-out chart: shapes behind the lanes, the lanes, the time axis."""

    width: int
    height: int
    background: list[Shape]
    lanes: list[Lane]
    axis: list[Shape]


def _tick_step(duration: float, plot_w: float) -> float:
    """A round number of seconds between ticks, about every 90 pixels."""
    target = duration * 90 / max(plot_w, 1)
    for step in (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600):
        if step >= target:
            return float(step)
    return 3600.0 * math.ceil(target / 3600)


def _clock(seconds: float) -> str:
    s = round(seconds)
    h, m, sec = s // 3600, s // 60 % 60, s % 60
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"


def layout(data: ReportData, width: int = WIDTH) -> Chart:
    """Lay out the chart for ``data``.

    Parameters
    ----------
    data : ReportData
        People, turns and speech of one run.
    width : int
        Total width in pixels.

    Returns
    -------
    Chart
        One lane per person (in ``data.people`` order), speech shading and the time axis.
    """
    duration = data.duration
    plot_x = LABEL_W
    plot_w = width - LABEL_W - RIGHT
    n = max(1, len(data.people))
    lanes_h = n * LANE_H + (n - 1) * LANE_GAP
    height = TOP + lanes_h + AXIS_H

    def x(t: float) -> float:
        return plot_x + plot_w * min(max(t, 0.0), duration) / duration

    background: list[Shape] = [Rect(0, 0, width, height, "#ffffff")]
    for i in range(len(data.people)):
        y = TOP + i * (LANE_H + LANE_GAP)
        background.append(Rect(plot_x, y, plot_w, LANE_H, LANE_FILL))
    for s, e in data.speech:
        background.append(
            Rect(x(s), TOP, max(x(e) - x(s), 1.0), lanes_h, SPEECH_FILL, 0.8, title="speech")
        )

    lanes = []
    for i, row in enumerate(data.people):
        y = TOP + i * (LANE_H + LANE_GAP)
        lane = Lane(row.person.id, row.person.name)
        label = row.person.name if len(row.person.name) <= 18 else row.person.name[:17] + "…"
        lane.shapes.append(Text(plot_x - 10, y + LANE_H / 2 + 5, label, 13, "end", INK, True))
        for t in data.turns:
            if t.speaker != row.person.id:
                continue
            tip = (
                f"{row.person.name}: {data.timecode(t.start)} – {data.timecode(t.end)} "
                f"({t.duration:.1f} s, {t.cue}, confidence {t.confidence:.2f})"
            )
            lane.shapes.append(
                Rect(
                    x(t.start),
                    y + 4,
                    max(x(t.end) - x(t.start), 2.0),
                    LANE_H - 8,
                    row.color,
                    0.45 + 0.55 * t.confidence,
                    hatch=row.off_screen,
                    title=tip,
                )
            )
        lanes.append(lane)

    axis = time_axis(x, plot_x, plot_w, TOP + lanes_h + 4, duration)
    return Chart(width, height, background, lanes, axis)


def time_axis(
    x: Callable[[float], float], plot_x: float, plot_w: float, base: float, duration: float
) -> list[Shape]:
    """The time axis under the lanes: a line at ``base``, a tick and a clock label about
    every 90 pixels (``x`` maps seconds to pixels)."""
    axis: list[Shape] = [Line(plot_x, base, plot_x + plot_w, base, MUTED)]
    step = _tick_step(duration, plot_w)
    k = 0
    while k * step <= duration + 1e-6:
        tx = x(k * step)
        axis.append(Line(tx, base, tx, base + 5, MUTED))
        anchor = "start" if k == 0 else "middle"
        axis.append(Text(tx, base + 19, _clock(k * step), 11, anchor, MUTED))
        k += 1
    return axis


# --------------------------------------------------------------------------- SVG


def _svg_shape(shape: Shape) -> str:
    if isinstance(shape, Rect):
        fill = "url(#hatch)" if shape.hatch else shape.fill
        attrs = (
            f'x="{shape.x:.1f}" y="{shape.y:.1f}" width="{shape.w:.1f}" height="{shape.h:.1f}" '
            f'fill="{fill}"'
        )
        if shape.opacity < 1:
            attrs += f' fill-opacity="{shape.opacity:.2f}"'
        if shape.hatch:
            attrs += f' stroke="{shape.fill}" stroke-width="1.5"'
        inner = f"<title>{escape(shape.title)}</title>" if shape.title else ""
        cls = ' class="turn"' if shape.title and shape.title != "speech" else ""
        return f"<rect{cls} {attrs}>{inner}</rect>" if inner else f"<rect {attrs}/>"
    if isinstance(shape, Line):
        return (
            f'<line x1="{shape.x1:.1f}" y1="{shape.y1:.1f}" x2="{shape.x2:.1f}" '
            f'y2="{shape.y2:.1f}" stroke="{shape.color}" stroke-width="{shape.width}"/>'
        )
    weight = ' font-weight="600"' if shape.bold else ""
    return (
        f'<text x="{shape.x:.1f}" y="{shape.y:.1f}" font-size="{shape.size}" '
        f'text-anchor="{shape.anchor}" fill="{shape.color}"{weight}>{escape(shape.text)}</text>'
    )


def to_svg(chart: Chart, hatch_color: str = "#8c8c8c") -> str:
    """The chart as an inline ``<svg>`` element; each lane is a ``<g class="lane">``."""
    parts = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {chart.width} '
        f'{chart.height}" width="100%" role="img" aria-label="who speaks when" '
        f'font-family="system-ui, sans-serif">',
        '<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="6" height="6" fill="#ffffff"/>'
        f'<rect width="3" height="6" fill="{hatch_color}"/></pattern></defs>',
    ]
    parts += [_svg_shape(s) for s in chart.background]
    for lane in chart.lanes:
        parts.append(
            f'<g class="lane" data-person="{lane.person}" data-name="{escape(lane.name)}">'
        )
        parts += [_svg_shape(s) for s in lane.shapes]
        parts.append("</g>")
    parts += [_svg_shape(s) for s in chart.axis]
    parts.append("</svg>")
    return "\n".join(parts)


# --------------------------------------------------------------------------- PNG


@functools.cache
def _font(size: int, bold: bool) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    names = ("DejaVuSans-Bold.ttf",) if bold else ("DejaVuSans.ttf",)
    for name in names:
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    try:  # Pillow's own font, scalable since Pillow 10.1
        return ImageFont.load_default(size)
    except (TypeError, OSError):
        return ImageFont.load_default()


def _rgb(color: str) -> tuple[int, int, int]:
    c = color.lstrip("#")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)


def _draw_rect(image: Image.Image, r: Rect, scale: float) -> None:
    box = (
        round(r.x * scale),
        round(r.y * scale),
        round((r.x + r.w) * scale),
        round((r.y + r.h) * scale),
    )
    w, h = max(1, box[2] - box[0]), max(1, box[3] - box[1])
    rgb = _rgb(r.fill)
    tile = Image.new("RGBA", (w, h), (*rgb, round(255 * r.opacity)))
    if r.hatch:
        # Stripes on white, outlined: reads as "not on screen" in print too.
        tile = Image.new("RGBA", (w, h), (255, 255, 255, 255))
        d = ImageDraw.Draw(tile)
        gap = max(4, round(6 * scale))
        for k in range(-h, w, gap):
            d.line([(k, h), (k + h, 0)], fill=(*rgb, 255), width=max(1, round(2 * scale)))
        d.rectangle([0, 0, w - 1, h - 1], outline=(*rgb, 255), width=max(1, round(scale)))
    image.alpha_composite(tile, (box[0], box[1]))


def _draw_text(draw: ImageDraw.ImageDraw, shape: Text, scale: float) -> None:
    font = _font(round(shape.size * scale), shape.bold)
    x, y = shape.x * scale, shape.y * scale
    if isinstance(font, ImageFont.FreeTypeFont):
        anchor = {"start": "ls", "middle": "ms", "end": "rs"}[shape.anchor]
        draw.text((x, y), shape.text, fill=_rgb(shape.color), font=font, anchor=anchor)
        return
    # Pillow's bitmap font knows no anchors: place its box by hand (baseline ~ bottom).
    left, _, right, bottom = draw.textbbox((0, 0), shape.text, font=font)
    dx = {"start": 0.0, "middle": (right - left) / 2, "end": float(right - left)}[shape.anchor]
    draw.text((x - dx, y - bottom), shape.text, fill=_rgb(shape.color), font=font)


def to_png(chart: Chart, path: str | Path, scale: float = 1.0) -> Path:
    """Draw the chart into a PNG file (written atomically).

    Parameters
    ----------
    chart : Chart
        From :func:`layout`.
    path : str or Path
        Where to write it.
    scale : float
        Pixels per chart unit (2 for a sharper image).

    Returns
    -------
    Path
    """
    size = (round(chart.width * scale), round(chart.height * scale))
    image = Image.new("RGBA", size, (255, 255, 255, 255))
    shapes = [*chart.background, *(s for lane in chart.lanes for s in lane.shapes), *chart.axis]
    for shape in shapes:
        if isinstance(shape, Rect):
            _draw_rect(image, shape, scale)
    draw = ImageDraw.Draw(image)
    for shape in shapes:
        if isinstance(shape, Line):
            draw.line(
                [(shape.x1 * scale, shape.y1 * scale), (shape.x2 * scale, shape.y2 * scale)],
                fill=_rgb(shape.color),
                width=max(1, round(shape.width * scale)),
            )
        elif isinstance(shape, Text):
            _draw_text(draw, shape, scale)
    out = Path(path)
    with atomic_path(out) as tmp:
        # A palette keeps the flat-coloured chart small.
        image.convert("RGB").quantize(colors=128, method=Image.Quantize.MEDIANCUT).save(
            tmp, format="PNG", optimize=True
        )
    return out
