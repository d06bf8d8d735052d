"""The multicam review page: ``report.html`` of a ``facetrack multicam`` run.

Read from the multicam timeline's metadata and the thumbnails beside it, like the single-video
report, and built from the same parts: the page's styles, face cards, the chart's shapes drawn
as SVG (and as ``report.png``). It shows each file's place on the shoot clock and how sure the
sync is, the people and who wears which microphone, what each angle shows, and a chart of the
program (which angle is on air) above who speaks and when each angle rolls.
"""

from __future__ import annotations

import os
from html import escape
from pathlib import Path

import opentimelineio as otio

from facetrack_otio import __version__
from facetrack_otio.fsutil import atomic_write_text
from facetrack_otio.multicam.result import MulticamAnalysis
from facetrack_otio.multicam.shoot import ANGLE
from facetrack_otio.multicam.timeline import read_multicam
from facetrack_otio.report import REPORT_HTML, REPORT_PNG
from facetrack_otio.report.chart import (
    INK,
    LABEL_W,
    LANE_FILL,
    LANE_GAP,
    LANE_H,
    MUTED,
    RIGHT,
    TOP,
    WIDTH,
    Chart,
    Lane,
    Rect,
    Shape,
    Text,
    time_axis,
    to_png,
    to_svg,
)
from facetrack_otio.report.data import FALLBACK_HEX, MARKER_HEX, timecode
from facetrack_otio.report.page import data_uri, fps_text, initials, page_top, seconds_text
from facetrack_otio.report.versions import versions
from facetrack_otio.timeline.meta import marker_color

# Angles' colours on the chart: muted, so the people's colours stand out beside them.
_ANGLE_HEX = ("#4c566a", "#88a0a8", "#b48ead", "#a3be8c", "#d08770", "#5e81ac", "#bf616a")
_AXIS_H = 30


def _person_hex(pid: int) -> str:
    return MARKER_HEX.get(str(marker_color(pid)).upper(), FALLBACK_HEX)


def angle_hex(i: int) -> str:
    """The chart colour of angle ``i``."""
    return _ANGLE_HEX[i % len(_ANGLE_HEX)]


def layout(a: MulticamAnalysis, width: int = WIDTH) -> Chart:
    """The chart: the program lane, one lane per person (their turns), one per angle (when it
    rolls, darker where it is on air), on the shoot clock.

    Parameters
    ----------
    a : MulticamAnalysis
        The shoot.
    width : int
        Pixels.
    """
    angles = a.angles
    t_end = max([f.end for f in a.files] + [t.end for t in a.turns] + [1e-3])
    plot_x, plot_w = LABEL_W, width - LABEL_W - RIGHT
    rows = 1 + len(a.people) + len(angles)
    lanes_h = rows * LANE_H + (rows - 1) * LANE_GAP
    height = TOP + lanes_h + _AXIS_H

    def x(t: float) -> float:
        return plot_x + plot_w * min(max(t, 0.0), t_end) / t_end

    def y(row: int) -> float:
        return TOP + row * (LANE_H + LANE_GAP)

    background: list[Shape] = [Rect(0, 0, width, height, "#ffffff")]
    for row in range(rows):
        background.append(Rect(plot_x, y(row), plot_w, LANE_H, LANE_FILL))
    for s in a.speech:
        background.append(
            Rect(x(s.start), TOP, max(x(s.end) - x(s.start), 1.0), lanes_h, "#dfe3ea", 0.6)
        )
    lanes: list[Lane] = []

    program = Lane(-1, "Program")
    program.shapes.append(Text(plot_x - 10, y(0) + LANE_H / 2 + 5, "On air", 13, "end", INK, True))
    for seg in a.program:
        f = angles[seg.angle]
        tip = (
            f"{f.label}: {timecode(seg.start, a.fps)} – {timecode(seg.end, a.fps)} "
            f"({seg.duration:.1f} s, {seg.reason})"
        )
        w = max(x(seg.end) - x(seg.start), 1.0)
        colour = angle_hex(seg.angle)
        program.shapes.append(Rect(x(seg.start), y(0) + 2, w, LANE_H - 4, colour, title=tip))
        if w > 40:
            label = f.label if len(f.label) * 7 < w - 6 else f.label[: max(1, int((w - 6) / 7))]
            at = (x(seg.start) + 4, y(0) + LANE_H / 2 + 4)
            program.shapes.append(Text(*at, label, 11, "start", "#ffffff"))
    lanes.append(program)

    for k, p in enumerate(a.people, 1):
        lane = Lane(p.id, p.name)
        label = p.name if len(p.name) <= 18 else p.name[:17] + "…"
        lane.shapes.append(Text(plot_x - 10, y(k) + LANE_H / 2 + 5, label, 13, "end", INK, True))
        for t in a.turns:
            if t.speaker != p.id:
                continue
            tip = (
                f"{p.name}: {timecode(t.start, a.fps)} – {timecode(t.end, a.fps)} "
                f"({t.duration:.1f} s, {t.cue})"
            )
            lane.shapes.append(
                Rect(
                    x(t.start),
                    y(k) + 4,
                    max(x(t.end) - x(t.start), 2.0),
                    LANE_H - 8,
                    _person_hex(p.id),
                    0.45 + 0.55 * t.confidence,
                    title=tip,
                )
            )
        lanes.append(lane)

    base = 1 + len(a.people)
    for i, f in enumerate(angles):
        row = base + i
        lane = Lane(-2 - i, f.label)
        top = y(row)
        lane.shapes.append(Text(plot_x - 10, top + LANE_H / 2 + 5, f.label[:18], 12, "end", MUTED))
        rolls = max(x(f.end) - x(f.offset), 1.0)
        lane.shapes.append(
            Rect(x(f.offset), top + 12, rolls, LANE_H - 24, angle_hex(i), 0.35, title="rolls")
        )
        for seg in a.program:
            if seg.angle == i:
                w = max(x(seg.end) - x(seg.start), 1.0)
                lane.shapes.append(Rect(x(seg.start), top + 6, w, LANE_H - 12, angle_hex(i)))
        lanes.append(lane)

    axis = time_axis(x, plot_x, plot_w, TOP + lanes_h + 4, t_end)
    return Chart(width, height, background, lanes, axis)


def _files(a: MulticamAnalysis) -> str:
    views = {v.index: v for v in a.views}
    names = {p.id: p.name for p in a.people}
    rows = []
    angle_no = 0
    for f in a.files:
        how = f.placement.method if f.placement else "?"
        conf = f.placement.confidence if f.placement else None
        sure = f"{conf:.1f}" if conf is not None and conf != float("inf") else "—"
        if f.kind == ANGLE:
            v = views.get(angle_no)
            swatch = f'<span class="swatch" style="--c: {angle_hex(angle_no)}"></span>'
            if v is None:
                shows = ""
            elif v.subject is not None:
                shows = f"{v.kind} of {escape(names.get(v.subject, str(v.subject)))}"
            else:
                who = ", ".join(escape(names.get(p, str(p))) for p in sorted(v.shows))
                shows = f"{v.kind}: {who}" if who else v.kind
            what = f"{fps_text(f.video.fps)} fps, {f.video.width}×{f.video.height}"
            angle_no += 1
        else:
            swatch = ""
            wearer = a.wearers.get(f.label)
            shows = f"worn by {escape(names.get(wearer, '?'))}" if wearer is not None else ""
            what = f"{f.info.audio_sample_rate} Hz" if f.info.audio_sample_rate else ""
        rows.append(
            f'<tr data-kind="{f.kind}"><td>{swatch}{escape(f.label)}</td><td>{f.kind}</td>'
            f"<td>{escape(f.name)}</td><td>{timecode(f.offset, a.fps)}</td>"
            f'<td class="num">{f.offset:.3f}</td><td class="num">{f.duration:.2f}</td>'
            f'<td>{escape(how)}</td><td class="num">{sure}</td><td>{escape(what)}</td>'
            f"<td>{shows}</td></tr>"
        )
    head = (
        '<table class="files"><thead><tr><th>file</th><th>kind</th><th>name</th>'
        "<th>starts at</th><th>offset (s)</th><th>length (s)</th><th>placed by</th>"
        "<th>sync confidence</th><th>format</th><th>shows / records</th></tr></thead><tbody>"
    )
    return head + "".join(rows) + "</tbody></table>"


def _people(a: MulticamAnalysis, folder: Path) -> str:
    cards = []
    worn = {pid: label for label, pid in a.wearers.items() if pid is not None}
    for p in a.people:
        uri = data_uri(folder / p.thumbnail) if p.thumbnail else None
        face = (
            f'<img src="{uri}" alt="{escape(p.name)}" width="96" height="96">'
            if uri
            else f'<div class="face" aria-hidden="true">{escape(initials(p.name))}</div>'
        )
        shown = [v.name for v in a.views if p.id in v.shows]
        mic = f"<dt>microphone</dt><dd>{escape(worn[p.id])}</dd>" if p.id in worn else ""
        cards.append(
            f'<div class="person" data-person="{p.id}" style="--c: {_person_hex(p.id)}">{face}'
            f'<div><div class="name">{escape(p.name)}</div><dl>'
            f"<dt>on screen</dt><dd>{seconds_text(p.screen_time)}</dd>"
            f"<dt>speaking</dt><dd>{seconds_text(p.speaking_time)}</dd>"
            f"<dt>seen in</dt><dd>{escape(', '.join(shown)) or '—'}</dd>{mic}</dl></div></div>"
        )
    if not cards:
        return '<p class="meta">Nobody was found.</p>'
    return '<div class="people">' + "".join(cards) + "</div>"


def _program(a: MulticamAnalysis) -> str:
    angles = a.angles
    names = {p.id: p.name for p in a.people}
    rows = "".join(
        f'<tr><td class="num">{i}</td><td><span class="swatch" style="--c: {angle_hex(s.angle)}">'
        f"</span>{escape(angles[s.angle].label)}</td><td>{timecode(s.start, a.fps)}</td>"
        f'<td>{timecode(s.end, a.fps)}</td><td class="num">{s.duration:.2f}</td>'
        f"<td>{escape(s.reason)}</td><td>{escape(names.get(s.speaker or 0, ''))}</td></tr>"
        for i, s in enumerate(a.program, 1)
    )
    return (
        '<table class="program"><thead><tr><th>#</th><th>angle</th><th>in</th><th>out</th>'
        "<th>seconds</th><th>why</th><th>floor</th></tr></thead><tbody>" + rows + "</tbody></table>"
    )


def render_page(a: MulticamAnalysis, chart: Chart, folder: Path) -> str:
    """The multicam report as one self-contained HTML document."""
    title = f"{a.name} — multicam"
    start, end = a.span
    meta = (
        f"{len(a.angles)} angles · {len(a.mics)} microphones · program {fps_text(a.fps)} fps · "
        f"{seconds_text(end - start)} · {len(a.program)} shots · faces described by "
        f"{escape(a.embedder or '?')}"
    )
    legend = "".join(
        f'<span style="background:{angle_hex(i)}"></span>{escape(f.label)}'
        for i, f in enumerate(a.angles)
    )
    timings = ", ".join(f"{escape(k)} {v:.2f} s" for k, v in a.timings.items())
    shown = versions()
    vers = ", ".join(f"{escape(k)} {escape(v)}" for k, v in shown.items())
    return f"""{page_top(title, meta, a.warnings)}
<section id="files">
<h2>Files on the shoot clock</h2>
<p class="meta">Each file's start on one clock (the earliest file starts at 0), found from its
sound; the confidence is how far the best match stands above the next (files of one shoot
measure 4 and more).</p>
{_files(a)}
</section>
<section id="people">
<h2>People</h2>
{_people(a, folder)}
</section>
<section id="chart">
<h2>On air and who speaks</h2>
{to_svg(chart)}
<div class="legend">{legend}<span style="background:#dfe3ea"></span>speech heard ·
hover a shot or a turn for its timecodes</div>
</section>
<section id="program">
<h2>Program ({len(a.program)} shots)</h2>
{_program(a)}
</section>
<section id="run">
<h2>The run</h2>
<p class="meta">Time per stage: {timings or "not recorded"}.</p>
<p class="meta">Installed: {vers}.</p>
</section>
<footer>Made by facetrack {escape(__version__)}. Rebuild it from this folder with
<code>facetrack report FOLDER</code>.</footer>
</body>
</html>
"""


def write_multicam_report(
    timeline: otio.schema.Timeline, folder: str | os.PathLike[str], png: bool = True
) -> list[Path]:
    """Write ``report.html`` (and ``report.png``, the chart) of a multicam timeline.

    Parameters
    ----------
    timeline : opentimelineio.schema.Timeline
        A ``facetrack multicam`` timeline.
    folder : str or os.PathLike
        The output folder (thumbnails are read from it).
    png : bool
        Also write the chart alone.

    Returns
    -------
    list of Path
    """
    out = Path(folder)
    analysis = read_multicam(timeline)
    chart = layout(analysis)
    written = [atomic_write_text(out / REPORT_HTML, render_page(analysis, chart, out))]
    if png:
        written.append(to_png(chart, out / REPORT_PNG, scale=2.0))
    return written
