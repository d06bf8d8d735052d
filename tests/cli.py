"""Run the ``facetrack`` command line as a user does: a fresh interpreter, real arguments."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def facetrack(
    *args: str,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 600,
    preexec_fn: Callable[[], None] | None = None,
) -> subprocess.CompletedProcess[str]:
    """``python -m facetrack_otio ARGS`` in the checkout (or ``cwd``), with extra ``env``,
    within ``timeout`` seconds (``preexec_fn`` runs in the child first, e.g. to set a limit).

    Output is read as UTF-8 with undecodable bytes replaced: paths need not be UTF-8."""
    return subprocess.run(
        [sys.executable, "-m", "facetrack_otio", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        check=False,
        cwd=cwd or ROOT,
        env={**os.environ, **(env or {})},
        timeout=timeout,
        preexec_fn=preexec_fn,
    )
