"""Run the ``facetrack`` command line as a user does: a fresh interpreter, real arguments."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def facetrack(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m facetrack_otio ARGS`` in the checkout (or ``cwd``), with extra ``env``."""
    return subprocess.run(
        [sys.executable, "-m", "facetrack_otio", *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd or ROOT,
        env={**os.environ, **(env or {})},
        timeout=600,
    )
