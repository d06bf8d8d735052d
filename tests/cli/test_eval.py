"""``facetrack eval`` on files that are not what it scores: one line and exit 2, never a score
of nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from facetrack_otio.errors import InputError
from facetrack_otio.eval.reading import read_scored_rttm
from tests.cli import facetrack
from tests.contract import ending, refused

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "samples" / "two_shot.rttm"


def _line(start: str, duration: str) -> str:
    return f"SPEAKER x 1 {start} {duration} <NA> <NA> a <NA> <NA>\n"


@pytest.mark.parametrize(
    "text, words",
    [
        ("hello\n", "not an RTTM file (line 1 starts with 'hello')"),
        ("", "file is empty"),
        (";; a comment, no turns\n", "no SPEAKER lines"),
        (_line("-1", "1"), "the start must be a number of seconds"),
        (_line("nan", "1"), "the start must be a number of seconds"),
        (_line("1", "inf"), "the duration must be a number of seconds"),
        (_line("0", "1e308"), "the duration must be a number of seconds"),
        (_line("0", "x"), "not 'x'"),
        ("SPEAKER x 1 0\n", "a SPEAKER line has at least 8 fields"),
    ],
)
def test_a_reference_that_scores_nothing_is_refused(tmp_path: Path, text: str, words: str) -> None:
    ref = tmp_path / "ref.rttm"
    ref.write_text(text)
    proc = facetrack("eval", str(REFERENCE), str(ref))
    assert not refused(proc, words)


@pytest.mark.parametrize("collar", ["nan", "-5", "inf"])
def test_a_collar_that_means_nothing_is_refused(collar: str) -> None:
    proc = facetrack("eval", str(REFERENCE), str(REFERENCE), f"--collar={collar}")
    assert not refused(proc, "--collar must be 0 to 60 seconds")


def test_an_empty_hypothesis_scores_as_all_missed(tmp_path: Path) -> None:
    # A recording where nobody was heard: its RTTM is empty, and that is a hypothesis.
    hyp = tmp_path / "hyp.rttm"
    hyp.write_text("")
    proc = facetrack("eval", str(hyp), str(REFERENCE))
    assert not ending(proc, codes=(0,)), proc.stderr
    assert proc.stdout.startswith("DER 1.000 (missed ")


def test_reading_keeps_every_turn() -> None:
    turns = read_scored_rttm(REFERENCE, reference=True)
    assert turns and all(0 <= start < end for _, start, end in turns)
    with pytest.raises(InputError, match="not an RTTM file"):
        read_scored_rttm(ROOT / "samples" / "two_shot.json", reference=True)
