"""The multicam timeline through MLT, frame by frame against facetrack's own program render.

The bundled shoot's cameras are replaced by stand-ins (same rate and length, each frame showing
its camera and its number as a barcode); the microphones are the real ones. The saved ``.otio``
is exported as ``.mlt`` and ``.kdenlive`` (``facetrack export NAME.otio -f mlt,kdenlive``) and
rendered by ``melt``; ``NAME.program.mp4`` is rendered from the same analysis. Every frame, every
cut and each microphone's place must agree.
"""

from __future__ import annotations

import dataclasses
from fractions import Fraction
from pathlib import Path

import numpy as np
import opentimelineio as otio
import pytest

from facetrack_otio.multicam.export import export_multicam
from facetrack_otio.multicam.placement import frames, mic_placement
from facetrack_otio.multicam.render import render_program
from facetrack_otio.multicam.result import MulticamAnalysis
from facetrack_otio.multicam.shoot import ANGLE
from facetrack_otio.multicam.timeline import multicam_timeline
from facetrack_otio.render.clips import RenderSettings
from facetrack_otio.timeline.read import load_timeline
from tests.exports import engine


@pytest.fixture(scope="module")
def shoot(
    with_mics: MulticamAnalysis, tmp_path_factory: pytest.TempPathFactory
) -> MulticamAnalysis:
    """The analysed shoot with every camera replaced by a numbered stand-in."""
    folder = tmp_path_factory.mktemp("stand_in_shoot")
    files = []
    for i, f in enumerate(with_mics.files):
        if f.kind == ANGLE:
            n = frames(f.duration, f.video.fps)
            path = engine.stand_in(folder / f"{f.label}.mov", i + 1, f.video.fps, n)
            info = dataclasses.replace(f.info, path=str(path), width=engine.W, height=engine.H)
            f = dataclasses.replace(f, path=str(path), info=info)
        files.append(f)
    return dataclasses.replace(with_mics, files=files)


@pytest.fixture(scope="module")
def rendered(shoot: MulticamAnalysis, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The program render, and the .mlt and .kdenlive of the saved .otio rendered by melt."""
    out = tmp_path_factory.mktemp("multicam_render")
    otio.adapters.write_to_file(multicam_timeline(shoot), str(out / "shoot.otio"))
    saved = load_timeline(out / "shoot.otio")
    written = export_multicam(saved, out, "shoot", ["mlt", "kdenlive"])
    renders = {p.suffix[1:]: engine.melt(p, out / f"{p.suffix[1:]}.nut") for p in written}
    program = out / "shoot.program.mp4"
    render_program(shoot, program, RenderSettings(crf=0, preset="ultrafast"), progress=False)
    return {**renders, "program": program}


def _cuts(codes: list[int]) -> list[int]:
    """Frames where the camera changes."""
    cams = [c >> engine.FRAME_BITS for c in codes]
    return [k for k in range(1, len(cams)) if cams[k] != cams[k - 1]]


@pytest.mark.parametrize("fmt", ["mlt", "kdenlive"])
def test_every_frame_and_cut_of_the_program(
    fmt: str, shoot: MulticamAnalysis, rendered: dict[str, Path]
) -> None:
    program = engine.frames_of(rendered["program"])
    got = engine.frames_of(rendered[fmt])
    fps = shoot.fps
    n = frames(shoot.span[1], fps) - frames(shoot.span[0], fps)
    assert len(program) == len(got) == n
    ids = {Path(f.path).as_uri(): i + 1 for i, f in enumerate(shoot.files)}
    want = engine.expected_frames(multicam_timeline(shoot), ids, fps, n)
    assert engine.check_frames(got, want) == (n, n)
    assert engine.check_frames(program, want) == (n, n)
    cuts = [frames(s.start, fps) - frames(shoot.span[0], fps) for s in shoot.program[1:]]
    assert _cuts(got) == _cuts(program) == cuts


def _placed(shoot: MulticamAnalysis, mic: int, n: int) -> np.ndarray:
    """Microphone ``mic`` alone where the timeline places it, over ``n`` samples."""
    f = shoot.mics[mic]
    origin = Fraction(frames(shoot.span[0], shoot.fps)) / shoot.fps
    place = mic_placement(f, origin)
    assert place.rate == engine.RATE
    sound = engine.sound_of(Path(f.path))
    out = np.zeros(n, np.float32)
    part = sound[place.skip : place.skip + place.length][: max(0, n - place.at)]
    out[place.at : place.at + len(part)] = part
    return out


@pytest.mark.parametrize("fmt", ["mlt", "kdenlive"])
def test_microphones_heard_where_the_render_places_them(
    fmt: str, shoot: MulticamAnalysis, rendered: dict[str, Path]
) -> None:
    heard = engine.sound_of(rendered[fmt])
    program = engine.sound_of(rendered["program"])
    for mic in range(len(shoot.mics)):
        alone = _placed(shoot, mic, len(heard))
        in_melt, in_program = engine.lag(heard, alone), engine.lag(program, alone)
        assert abs(in_melt) <= 0.001, (shoot.mics[mic].label, in_melt)
        assert abs(in_melt - in_program) <= 0.001, (shoot.mics[mic].label, in_program)
