"""The review page: one self-contained HTML file (styles inline, images as data URIs)."""

from __future__ import annotations

import base64
from fractions import Fraction
from html import escape
from pathlib import Path

from facetrack_otio import __version__
from facetrack_otio.report.chart import Chart, to_svg
from facetrack_otio.report.data import ReportData
from facetrack_otio.settings_toml import settings_lines
from facetrack_otio.text import display_name

_CSS = """
:root { color-scheme: light; --ink: #1f2328; --muted: #6b7280; --line: #e5e7eb; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink);
       margin: 0 auto; max-width: 1240px; padding: 24px; background: #fff; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 16px; margin: 28px 0 10px; border-bottom: 1px solid var(--line);
     padding-bottom: 4px; }
.meta { color: var(--muted); margin: 0; }
.warn { background: #fff7e6; border: 1px solid #f3d19c; padding: 6px 10px; border-radius: 6px; }
.people { display: flex; flex-wrap: wrap; gap: 14px; }
.person { display: flex; gap: 12px; align-items: center; border: 1px solid var(--line);
          border-left: 6px solid var(--c); border-radius: 8px; padding: 10px 14px 10px 10px;
          min-width: 280px; }
.person img, .person .face { width: 96px; height: 96px; border-radius: 6px; flex: none; }
.person .face { display: grid; place-items: center; background: #f0f1f4; color: var(--muted);
                font-size: 30px; font-weight: 600; }
.person .name { font-weight: 600; font-size: 15px; }
.person dl { display: grid; grid-template-columns: auto auto; gap: 0 12px; margin: 4px 0 0; }
.person dt { color: var(--muted); } .person dd { margin: 0; font-variant-numeric: tabular-nums; }
.legend { color: var(--muted); font-size: 12px; margin-top: 6px; }
.legend span { display: inline-block; width: 14px; height: 10px; vertical-align: middle;
               margin: 0 4px 0 12px; border: 1px solid #bbb; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 3px 14px 3px 0; border-bottom: 1px solid var(--line); }
th { color: var(--muted); font-weight: 500; }
td.num { text-align: right; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px;
          margin-right: 6px; background: var(--c); }
.cols { display: flex; flex-wrap: wrap; gap: 40px; align-items: flex-start; }
pre { background: #f6f8fa; padding: 10px 12px; border-radius: 6px; font-size: 12px;
      line-height: 1.5; overflow-x: auto; }
pre mark { background: #fff1b8; }
.bar { display: inline-block; height: 8px; background: #9aa7bd; border-radius: 2px; }
footer { color: var(--muted); font-size: 12px; margin-top: 32px; }
"""


def data_uri(path: Path) -> str | None:
    """``path``'s bytes as a ``data:`` URI (None when the file cannot be read)."""
    kinds = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png"}
    kind = kinds.get(path.suffix.lower())
    if kind is None:
        return None
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    return f"data:{kind};base64,{base64.b64encode(raw).decode('ascii')}"


def seconds_text(seconds: float) -> str:
    """``"12.3 s"`` below a minute, ``"2 min 05 s"`` above."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    m, s = divmod(round(seconds), 60)
    return f"{m} min {s:02d} s"


def fps_text(fps: Fraction) -> str:
    """``25`` or ``29.97`` (with the exact rational when it is not whole)."""
    if fps.denominator == 1:
        return str(fps.numerator)
    return f"{float(fps):.3f}".rstrip("0").rstrip(".") + f" ({fps.numerator}/{fps.denominator})"


def initials(name: str) -> str:
    """What a person without a thumbnail is drawn with: "Speaker 2" -> "2", "Ada Lovelace"
    -> "AL"."""
    words = [w for w in name.split() if w[:1].isalnum()]
    if not words:
        return "?"
    if len(words) > 1 and words[-1].isdigit():  # "Speaker 2" -> "2"
        return words[-1]
    return "".join(w[0] for w in words[:2]).upper()


def _people(data: ReportData, folder: Path) -> str:
    cards = []
    duration = data.info.duration
    for row in data.people:
        p = row.person
        uri = data_uri(folder / p.thumbnail) if p.thumbnail else None
        if uri:
            face = f'<img src="{uri}" alt="{escape(p.name)}" width="96" height="96">'
        else:
            face = f'<div class="face" aria-hidden="true">{escape(initials(p.name))}</div>'
        # Against the video's length: overlapping turns make shares of speech add up past 100%.
        share = f" ({100 * p.speaking_time / duration:.0f}% of the video)" if duration > 0 else ""
        screen = "—" if row.off_screen else seconds_text(p.screen_time)
        cards.append(
            f'<div class="person" data-person="{p.id}" style="--c: {row.color}">{face}<div>'
            f'<div class="name">{escape(p.name)}</div><dl>'
            f"<dt>on screen</dt><dd>{screen}</dd>"
            f"<dt>speaking</dt><dd>{seconds_text(p.speaking_time)}{share}</dd>"
            f"<dt>turns</dt><dd>{row.turns}</dd></dl></div></div>"
        )
    if not cards:
        return '<p class="meta">Nobody was found.</p>'
    return '<div class="people">' + "".join(cards) + "</div>"


def _turns(data: ReportData) -> str:
    if not data.turns:
        return '<p class="meta">No speaker turns.</p>'
    rows = []
    for i, t in enumerate(data.turns, 1):
        row = data.row(t.speaker)
        name = row.person.name if row else str(t.speaker)
        color = row.color if row else "#666"
        rows.append(
            f'<tr data-speaker="{t.speaker}"><td class="num">{i}</td>'
            f'<td><span class="swatch" style="--c: {color}"></span>{escape(name)}</td>'
            f"<td>{data.timecode(t.start)}</td><td>{data.timecode(t.end)}</td>"
            f'<td class="num">{t.duration:.2f}</td><td class="num">{t.confidence:.2f}</td>'
            f"<td>{escape(t.cue)}</td></tr>"
        )
    head = (
        '<table class="turns"><thead><tr><th>#</th><th>speaker</th><th>in</th><th>out</th>'
        "<th>seconds</th><th>confidence</th><th>decided by</th></tr></thead><tbody>"
    )
    return head + "".join(rows) + "</tbody></table>"


def _settings(data: ReportData) -> str:
    from facetrack_otio.config import Settings

    lines = settings_lines(data.settings, Settings().to_dict())
    body = "\n".join(f"<mark>{escape(t)}</mark>" if differs else escape(t) for t, differs in lines)
    return (
        f"<pre>{body}</pre>"
        '<p class="meta">Highlighted: differs from the default. Save as a file and pass it '
        "with <code>facetrack --config FILE run ...</code> to run the same way again.</p>"
    )


def _timings(data: ReportData) -> str:
    if not data.timings:
        # The .otio leaves them out (its bytes depend on the input and settings alone): a
        # report made again from it has none. The run's first report and --json have them.
        return (
            '<p class="meta">Not kept in the timeline: see the report the run wrote, or '
            "<code>facetrack run --json</code>.</p>"
        )
    longest = max(data.timings.values()) or 1.0
    rows = "".join(
        f'<tr><td>{escape(k)}</td><td class="num">{v:.2f} s</td>'
        f'<td><span class="bar" style="width: {round(160 * v / longest)}px"></span></td></tr>'
        for k, v in data.timings.items()
    )
    total = sum(data.timings.values())
    return (
        f'<table class="timings"><thead><tr><th>stage</th><th>time</th><th></th></tr></thead>'
        f'<tbody>{rows}<tr><th>total</th><td class="num">{total:.2f} s</td><td></td></tr>'
        "</tbody></table>"
    )


def _versions(data: ReportData, now: dict[str, str]) -> str:
    recorded = bool(data.versions)
    shown = data.versions or now
    rows = "".join(f"<tr><td>{escape(k)}</td><td>{escape(v)}</td></tr>" for k, v in shown.items())
    extra = [
        ("device", data.device),
        ("faces described by", data.embedder),
        ("voices described by", data.voice_encoder or "not described (faces alone)"),
    ]
    rows += "".join(f"<tr><td>{escape(k)}</td><td>{escape(v)}</td></tr>" for k, v in extra if v)
    note = "" if recorded else '<p class="meta">Not recorded by the run: installed now.</p>'
    return f'<table class="versions"><tbody>{rows}</tbody></table>{note}'


def page_top(title: str, meta: str, warnings: list[str]) -> str:
    """A report page's start: head (styles inline), title, the line under it (HTML), warnings."""
    warned = "".join(f'<p class="warn">{escape(w)}</p>' for w in warnings)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title>
<style>{_CSS}</style>
</head>
<body>
<header>
<h1>{escape(title)}</h1>
<p class="meta">{meta}</p>
</header>
{warned}"""


def render_page(data: ReportData, chart: Chart, folder: Path, versions_now: dict[str, str]) -> str:
    """The report as one HTML document.

    Parameters
    ----------
    data : ReportData
        What to show.
    chart : Chart
        The laid-out who-speaks-when chart.
    folder : Path
        The output folder; thumbnails are read from it and inlined.
    versions_now : dict of str to str
        Installed versions, shown when the timeline did not record the run's own.

    Returns
    -------
    str
        A complete HTML document that loads nothing from elsewhere.
    """
    info = data.info
    title = f"{info.name} — who speaks when"
    audio = "audio" if info.has_audio else "no audio"
    meta = (
        f"{escape(display_name(Path(info.path).name))} · {info.width}×{info.height} · "
        f"{fps_text(info.fps)} fps · {data.timecode(info.duration)} "
        f"({seconds_text(info.duration)}) · {audio}"
    )
    stats = ", ".join(f"{escape(str(k))} {escape(str(v))}" for k, v in data.face_stats.items())
    legend = (
        '<div class="legend"><span style="background:#dfe3ea"></span>speech heard'
        '<span style="background:#2f6fd6"></span>turn (paler: less sure)'
        '<span style="background:repeating-linear-gradient(45deg,#8c8c8c 0 2px,#fff 2px 5px)">'
        "</span>off-screen voice · hover a turn for its timecodes</div>"
    )
    return f"""{page_top(title, meta, data.warnings)}
<section id="people">
<h2>People</h2>
{_people(data, folder)}
</section>
<section id="chart">
<h2>Who speaks when</h2>
{to_svg(chart)}
{legend}
</section>
<section id="turns">
<h2>Turns ({len(data.turns)})</h2>
<p class="meta">Timecodes at the source's {fps_text(info.fps)} fps, as the editor shows them.</p>
{_turns(data)}
</section>
<section id="run">
<h2>The run</h2>
<div class="cols">
<div><h3>Versions</h3>{_versions(data, versions_now)}</div>
<div><h3>Time per stage</h3>{_timings(data)}</div>
</div>
<p class="meta">Face stage: {stats or "no counters recorded"}.</p>
<h3>Settings</h3>
{_settings(data)}
</section>
<footer>Made by facetrack {escape(__version__)}. Rebuild it from this folder with
<code>facetrack report FOLDER</code>.</footer>
</body>
</html>
"""
