"""An hour of input analyses in about the memory of a minute, and its .otio stays light
(bench/memory.py measures both)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_an_hour_peaks_within_15_percent_of_a_minute() -> None:
    # The bundled real clip looped (stream copy) to 1 and 60 minutes in a temporary folder;
    # each `facetrack run --no-render --no-cache` runs in a fresh process whose peak resident
    # size is read from getrusage. About five minutes on two cores.
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "memory.py"), "--no-resume", "--json"],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        timeout=1800,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    figures = json.loads(proc.stdout)
    print(figures)
    assert figures["60"]["wall_s"] > 60  # it really analysed an hour, not a stub
    assert figures["ratio"] <= 1.15, figures
    # The hour's .otio was 18,038,806 bytes written indented; compact it is under a third.
    assert 0 < figures["60"]["otio_bytes"] <= 18_038_806 / 3, figures
