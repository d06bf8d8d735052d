"""The whole multicam analysis of the bundled shoot, with and without its microphones: the
figures the command promises (people, microphones tied to them, DER, the program on air)."""

from __future__ import annotations

import numpy as np

from facetrack_otio.eval.der import diarization_error_rate
from facetrack_otio.multicam import mics as mic_stage
from facetrack_otio.multicam.result import MulticamAnalysis
from facetrack_otio.multicam.shoot import read_shoot, shoot_audio, sync_shoot
from facetrack_otio.speech.vad import VadSettings
from tests.multicam.conftest import ANGLES, MICS, to_conversation
from tests.multicam.helpers import SHOOT, needs_shoot, score, truth, truth_turns


def _der(a: MulticamAnalysis) -> float:
    shift = to_conversation(a)
    hyp = [(str(t.speaker), t.start + shift, t.end + shift) for t in a.turns]
    return diarization_error_rate(truth_turns(), hyp, collar=0.25).der


def _who(a: MulticamAnalysis) -> dict[str, int]:
    """Ground-truth person ("A", "B") -> the analysis's person id, by their close-ups."""
    out = {}
    for p in truth()["persons"]:
        view = next(v for v in a.views if a.angles[v.index].name == p["close_up"])
        assert view.kind == "close-up"
        out[p["id"]] = view.subject
    return out


def _program_scores(a: MulticamAnalysis):
    shift = to_conversation(a)
    return score([(s.start + shift, s.end + shift, a.angles[s.angle].name) for s in a.program])


def test_with_microphones(with_mics: MulticamAnalysis) -> None:
    a = with_mics
    who = _who(a)
    assert sorted(who.values()) == [p.id for p in a.people] == [1, 2]
    assert [v.kind for v in a.views] == ["wide", "close-up", "close-up"]
    assert sorted(a.views[0].shows) == [1, 2]
    # Each microphone tied to the person whose lavalier it is.
    lavaliers = {p["lavalier"]: p["id"] for p in truth()["persons"]}
    for f in a.mics:
        assert a.wearers[f.label] == who[lavaliers[f.name]], f.label
    assert {t.cue for t in a.turns} == {"microphone"}
    assert _der(a) <= 0.08
    s = _program_scores(a)
    assert s.on_speaker >= 0.9 and s.on_close_up >= 0.75, s
    assert s.shortest_shot >= a.settings.multicam.min_shot - 1e-6
    assert s.backchannel_cuts == 0
    assert a.room == "cam_wide"


def test_without_microphones(without_mics: MulticamAnalysis, with_mics: MulticamAnalysis) -> None:
    a = without_mics
    assert not a.mics and not a.wearers
    # The same people as with microphones, by the same ids (first seen on the shoot clock).
    assert _who(a) == _who(with_mics)
    assert _der(a) <= 0.15
    s = _program_scores(a)
    assert s.on_speaker >= 0.9 and s.on_close_up >= 0.75, s
    assert s.shortest_shot >= a.settings.multicam.min_shot - 1e-6
    assert s.backchannel_cuts == 0
    assert "faces" in a.timings and a.timings["faces"] < 1.0  # from the analysis cache


def test_json_summary_holds_what_the_command_promises(with_mics: MulticamAnalysis) -> None:
    summary = with_mics.serialize()
    assert {"files", "people", "turns", "program"} <= set(summary)
    assert [f["kind"] for f in summary["files"]] == ["angle"] * 3 + ["mic"] * 2
    assert all({"path", "kind", "offset"} <= set(f) for f in summary["files"])
    paths = {f["path"] for f in summary["files"] if f["kind"] == "angle"}
    assert all(
        {"start", "end", "path"} <= set(p) and p["path"] in paths for p in summary["program"]
    )
    assert summary["program"][0]["start"] >= 0


@needs_shoot
def test_crosstalk_is_rejected_in_each_microphone() -> None:
    """Each lavalier's own-voice frames against its wearer's true turns (no faces needed)."""
    files = read_shoot([str(SHOOT / n) for n in (ANGLES[0], *MICS)])
    vad = VadSettings()
    with shoot_audio(files) as pcms:
        files = sync_shoot(files, pcms, {}, 2.0)
        n = int(max(f.end for f in files) / mic_stage.HOP) + 1
        chans = [mic_stage.channel(p, f.offset, 0.0, n, vad) for f, p in zip(files, pcms)]
    room, mic_a, mic_b = chans
    shift = -files[0].offset + next(
        f["offset"] for f in truth()["files"] if f["file"] == "cam_wide.mp4"
    )
    t = np.arange(n) * mic_stage.HOP + shift  # conversation time of each frame
    for mics, ids in (([mic_a, mic_b], "AB"), ([mic_a], "A")):  # both, and one alone
        for own, who in zip(mic_stage.own_voice(mics, room, 8.0), ids):
            true = np.zeros(n, dtype=bool)
            other = np.zeros(n, dtype=bool)
            for w, s, e in truth_turns():
                (true if w == who else other)[(t >= s) & (t < e)] = True
            hit = (own & true).sum() / true.sum()
            bleed = (own & other & ~true).sum() / (other & ~true).sum()
            assert hit > 0.75, (who, len(mics), hit)
            assert bleed < 0.05, (who, len(mics), bleed)
