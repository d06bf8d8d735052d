"""Who speaks when on real footage: the real-dev composites (real people really speaking, an
edited interview with cutaways, an interviewer heard but never seen, tiled calls), video and
audio only. Needs the shared test media (../shared/samples/real-dev); skipped without it."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from facetrack_otio.eval.der import diarization_error_rate
from facetrack_otio.exports.rttm import read_rttm
from facetrack_otio.pipeline import Analysis, SpeakerPipeline

REAL_DEV = Path(__file__).resolve().parents[2] / "shared" / "samples" / "real-dev"
CLIPS = ["dev_cuts", "dev_two_shot", "dev_three", "dev_offscreen", "dev_noisy"]

pytestmark = [
    pytest.mark.skipif(not REAL_DEV.is_dir(), reason="../shared/samples/real-dev absent"),
    pytest.mark.slow,
]


@pytest.fixture(scope="module")
def pipeline() -> SpeakerPipeline:
    return SpeakerPipeline()


@pytest.fixture(scope="module")
def runs(pipeline: SpeakerPipeline) -> dict[str, Analysis]:
    return {clip: pipeline(REAL_DEV / f"{clip}.mp4") for clip in CLIPS}


def _reference(clip: str) -> list[tuple[str, float, float]]:
    return [s for segs in read_rttm(REAL_DEV / f"{clip}.rttm").values() for s in segs]


def _face_labels(clip: str, analysis: Analysis) -> dict[int, str]:
    """Which ground-truth person each face found is: by tile for tiled clips, by the shots
    that show one person for edited ones."""
    truth = json.loads((REAL_DEV / f"{clip}.json").read_text())
    faces = analysis.faces
    sx = analysis.info.width / faces.size[0]
    votes: dict[int, dict[str, float]] = {}
    for track in faces.tracks:
        if track.person <= 0:
            continue
        mine = votes.setdefault(track.person, {})
        for frame, box in zip(track.frames, track.boxes):
            t = frame / float(faces.fps)
            cx = (box[0] + box[2]) / 2 * sx
            if "layout" in truth:
                for label, tile in truth["layout"]["tiles"].items():
                    if tile["x"] <= cx < tile["x"] + tile["w"]:
                        mine[label] = mine.get(label, 0.0) + 1
            else:
                for shot in truth["shots"]:
                    if shot["start"] <= t < shot["end"] and len(shot["visible"]) == 1:
                        label = shot["visible"][0]
                        mine[label] = mine.get(label, 0.0) + 1
    return {p: max(v, key=v.__getitem__) for p, v in votes.items() if v}


@pytest.mark.parametrize("clip", CLIPS)
def test_who_speaks_when(runs: dict[str, Analysis], clip: str) -> None:
    analysis = runs[clip]
    hyp = [(str(t.speaker), t.start, t.end) for t in analysis.turns]
    der = diarization_error_rate(_reference(clip), hyp, collar=0.25)
    assert der.der <= 0.10, (clip, der)


@pytest.mark.parametrize("clip", CLIPS)
def test_people_and_speakers_are_exact(runs: dict[str, Analysis], clip: str) -> None:
    truth = json.loads((REAL_DEV / f"{clip}.json").read_text())
    analysis = runs[clip]
    seen = [p for p in analysis.people if p.id > 0]
    voices = [p for p in analysis.people if p.id < 0]
    assert len(seen) == truth["n_distinct_people_visible"], analysis.people
    assert len(voices) == len(truth["speakers_never_visible"]), analysis.people
    assert all(p.id != 0 for p in analysis.people), analysis.people  # nothing unattributed
    speakers = {t.speaker for t in analysis.turns}
    assert len(speakers) == truth["n_distinct_speakers"], analysis.turns


@pytest.mark.parametrize("clip", CLIPS)
def test_each_voice_goes_to_its_own_face(runs: dict[str, Analysis], clip: str) -> None:
    # The diarization's best mapping of people to reference speakers must agree with which
    # face is whose: a face given someone else's voice is wrong even where DER forgives it.
    analysis = runs[clip]
    hyp = [(str(t.speaker), t.start, t.end) for t in analysis.turns]
    der = diarization_error_rate(_reference(clip), hyp, collar=0.25)
    faces = _face_labels(clip, analysis)
    truth = json.loads((REAL_DEV / f"{clip}.json").read_text())
    for person, label in der.mapping.items():
        pid = int(person)
        if pid > 0:
            assert faces[pid] == label, (clip, pid, faces, der.mapping)
        else:  # a voice never seen is someone the clip never shows
            assert label in truth["speakers_never_visible"], (clip, pid, der.mapping)


@pytest.mark.parametrize("clip", CLIPS)
def test_the_audio_alone(pipeline: SpeakerPipeline, tmp_path: Path, clip: str) -> None:
    audio = tmp_path / f"{clip}.m4a"
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-i",
            str(REAL_DEV / f"{clip}.mp4"),
            "-vn",
            "-c:a",
            "copy",
            str(audio),
        ],
        check=True,
    )
    analysis = pipeline(audio)
    assert not analysis.info.has_video
    hyp = [(str(t.speaker), t.start, t.end) for t in analysis.turns]
    ref = _reference(clip)
    der = diarization_error_rate(ref, hyp, collar=0.25)
    assert der.der <= 0.10, (clip, der)
    assert all(p.id > 0 for p in analysis.people)  # voices are the speakers
    # as many voices as people speak (where one hands over to another, no blend of the two)
    assert len(analysis.people) == len({who for who, _, _ in ref}), (clip, analysis.people)
