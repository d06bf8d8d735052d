"""What editors get, measured with a real engine: the figures of docs/editors.md.

    .venv/bin/python bench/editors.py

- facetrack's ``.mlt`` and ``.kdenlive`` of ``samples/two_shot.mp4`` at 25 fps, at 29.97 fps
  and at 25 fps from 01:00:00:00, rendered by ``melt`` with barcode stand-ins (the test
  suite's, tests/exports/engine.py): frames right of all, the sound's lag, markers written;
  the FCP7 XML read back by OTIO's ``fcp_xml`` and the EDL by ``cmx_3600``, through MLT;
- the bundled multicam shoot (tests/multicam's analysis, cameras as stand-ins): its ``.otio``
  exported as ``.mlt`` and ``.kdenlive``, rendered by ``melt``, frame for frame and cut for cut
  against ``NAME.program.mp4``; each microphone's place in both (cross-correlation); markers in
  the ``.otio``, FCPXML and FCP7 XML;
- FCPXML (run and multicam) against Apple's FCPXML 1.8 DTD at every standard rate.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import tempfile
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import opentimelineio as otio  # noqa: E402
from lxml import etree  # noqa: E402

from facetrack_otio.cache import AnalysisCache  # noqa: E402
from facetrack_otio.exports import (  # noqa: E402
    edl,
    fcp7,
    fcp7_multicam,
    fcpxml,
    fcpxml_multicam,
    kdenlive,
    mlt,
)
from facetrack_otio.media.probe import probe  # noqa: E402
from facetrack_otio.multicam import analyse_shoot  # noqa: E402
from facetrack_otio.multicam.placement import frames, mic_placement  # noqa: E402
from facetrack_otio.multicam.render import render_program  # noqa: E402
from facetrack_otio.multicam.shoot import ANGLE  # noqa: E402
from facetrack_otio.multicam.timeline import multicam_timeline  # noqa: E402
from facetrack_otio.render.clips import RenderSettings  # noqa: E402
from facetrack_otio.timeline.build import build_timeline  # noqa: E402
from tests.exports import engine  # noqa: E402
from tests.timeline.helpers import SAMPLES, people, rttm_turns  # noqa: E402

SHOOT = ROOT.parent / "shared" / "samples" / "multicam" / "two_person"
DTD = ROOT / "tests" / "data" / "FCPXMLv1_8.dtd"
SOURCES = {"25 fps": (Fraction(25), None), "29.97 fps": (Fraction(30000, 1001), None),
           "25 fps from 01:00:00:00": (Fraction(25), "01:00:00:00")}  # fmt: skip


def _check(project: Path, timeline: otio.schema.Timeline, source: Path) -> tuple[int, int, float]:
    fps = probe(source).fps
    out = engine.melt(project, project.with_suffix(".nut"))
    got = engine.frames_of(out)
    want = engine.expected_frames(timeline, {source.resolve().as_uri(): 1}, fps, len(got))
    right, total = engine.check_frames(got, want)
    lag = engine.lag(engine.sound_of(out), engine.sound_of(source))
    return right, total, lag


def run_timelines(folder: Path) -> None:
    print("| source | route | frames right | sound's lag | markers (timeline / file) |")
    print("|---|---|---|---|---|")
    src = probe(SAMPLES / "two_shot.mp4")
    for name, (fps, tc) in SOURCES.items():
        n = round(Fraction(src.duration).limit_denominator(1000) * fps)
        stand = engine.stand_in(folder / f"two_shot {n} {tc}.mov", 1, fps, n, Path(src.path), tc)
        tl = build_timeline(probe(stand), rttm_turns("two_shot"), people(1, 2))
        markers = sum(len(c.markers) for c in tl.find_clips())
        routes = {}
        for w in (mlt, kdenlive):
            [routes[f"facetrack {w.SUFFIX}"]] = w.write(tl, folder, f"t{n}")
        back = otio.adapters.read_from_file(str(fcp7.write(tl, folder, f"t{n}")[0]), "fcp_xml")
        [routes["FCP7 XML → fcp_xml → .mlt"]] = mlt.write(back, folder, f"fcp7-{n}")
        if tc is None:
            back = edl.read_text(edl.to_string(tl), float(fps))
            routes["EDL → cmx_3600 → .mlt"] = stand.parent / f"edl-{n}.mlt"
            routes["EDL → cmx_3600 → .mlt"].write_text(mlt.to_string(back))
        for route, project in routes.items():
            right, total, lag = _check(project, tl, stand)
            heard = "none (an EDL holds the picture)" if "EDL" in route else f"{lag * 1000:+.2f} ms"
            text = project.read_text()
            written = text.count('"text"') if project.suffix == ".mlt" else text.count('"pos": ')
            print(f"| {name} | {route} | {right}/{total} | {heard} | "
                  f"{markers} / {written if route.startswith('facetrack') else '-'} |")  # fmt: skip


def _cuts(codes: list[int]) -> list[int]:
    """Frames where the camera changes."""
    cam = [c >> engine.FRAME_BITS for c in codes]
    return [k for k in range(1, len(cam)) if cam[k] != cam[k - 1]]


def multicam(folder: Path) -> None:
    paths = [
        SHOOT / n for n in ("cam_wide.mp4", "cam_A.mp4", "cam_B.mp4", "mic_A.wav", "mic_B.wav")
    ]
    a = analyse_shoot(paths, cache=AnalysisCache(), name="two_person")
    files = []
    for i, f in enumerate(a.files):
        if f.kind == ANGLE:
            path = engine.stand_in(folder / f"{f.label}.mov", i + 1, f.video.fps,
                                   frames(f.duration, f.video.fps))  # fmt: skip
            f = dataclasses.replace(f, path=str(path), info=dataclasses.replace(
                f.info, path=str(path), width=engine.W, height=engine.H))  # fmt: skip
        files.append(f)
    a = dataclasses.replace(a, files=files)
    tl = multicam_timeline(a)
    otio.adapters.write_to_file(tl, str(folder / "shoot.otio"))
    program = folder / "shoot.program.mp4"
    render_program(a, program, RenderSettings(crf=0, preset="ultrafast"), progress=False)
    prog = engine.frames_of(program)
    prog_sound = engine.sound_of(program)
    origin = Fraction(frames(a.span[0], a.fps)) / a.fps
    print(
        "| route | frames right (= program.mp4) | cuts on program.mp4's frames | "
        "microphones: lag in melt / in program.mp4 |"
    )
    print("|---|---|---|---|")
    for w in (mlt, kdenlive):
        exe = str(ROOT / ".venv/bin/facetrack")
        fmt = w.SUFFIX[1:]
        subprocess.run([exe, "-q", "export", str(folder / "shoot.otio"), "-f", fmt], check=True)
        out = engine.melt(folder / f"shoot{w.SUFFIX}", folder / f"shoot{w.SUFFIX}.nut")
        got = engine.frames_of(out)
        same = sum(g == p for g, p in zip(got, prog))
        cuts = _cuts(got)
        ok_cuts = len(set(cuts) & set(_cuts(prog)))
        heard = engine.sound_of(out)
        lags = []
        for f in a.mics:
            place = mic_placement(f, origin)
            alone = engine.np.zeros(len(heard), engine.np.float32)
            part = engine.sound_of(Path(f.path))[place.skip : place.skip + place.length]
            part = part[: max(0, len(heard) - place.at)]
            alone[place.at : place.at + len(part)] = part
            lags.append(f"{f.label} {engine.lag(heard, alone) * 1000:+.2f} / "
                        f"{engine.lag(prog_sound, alone) * 1000:+.2f} ms")  # fmt: skip
        route = f"`.otio` → `facetrack export -f {fmt}` → melt"
        frames_right = f"{same}/{len(prog)} ({len(got)} rendered)"
        print(f"| {route} | {frames_right} | {ok_cuts}/{len(_cuts(prog))} | {'; '.join(lags)} |")
    n_otio = sum(len(c.markers) for c in tl.video_tracks()[-1].find_clips())
    x = etree.fromstring(fcpxml_multicam.to_string(a).encode())
    n_fcpxml = len(x.findall(".//spine/mc-clip/marker"))
    y = etree.fromstring(fcp7_multicam.to_string(a).encode())
    n_fcp7 = len(y.findall(".//sequence/media/video/track/clipitem/marker"))
    print(f"\nmulticam markers: .otio {n_otio}, FCPXML {n_fcpxml}, FCP7 XML {n_fcp7}")
    dtd = etree.DTD(str(DTD))
    valid = {}
    for rate in ("24000/1001", "24", "25", "30000/1001", "30", "50", "60000/1001", "60"):
        fps = Fraction(rate)
        mc = dataclasses.replace(a, fps=fps)
        info = dataclasses.replace(probe(SAMPLES / "two_shot.mp4"), fps=fps)
        run = fcpxml.to_string(build_timeline(info, rttm_turns("two_shot"), people(1, 2)))
        shoot = fcpxml_multicam.to_string(mc)
        valid[rate] = tuple(dtd.validate(etree.fromstring(t.encode())) for t in (run, shoot))
    print("FCPXML 1.8 DTD-valid (run, multicam):", valid)


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="facetrack-editors-") as tmp:
        run_timelines(Path(tmp))
        print()
        multicam(Path(tmp))
    return 0


if __name__ == "__main__":
    sys.exit(main())
