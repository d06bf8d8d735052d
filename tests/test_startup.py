"""The pipeline imported with the collector paused, then frozen."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import gc, sys
from facetrack_otio.startup import import_pipeline
assert "torch" not in sys.modules
import_pipeline()
assert "facetrack_otio.pipeline" in sys.modules and "torch" in sys.modules
frozen = gc.get_freeze_count()
assert frozen > 100_000, frozen  # torch's objects are out of the collector's way
assert gc.isenabled()
import_pipeline()  # once only
assert gc.get_freeze_count() == frozen
print("ok")
"""


def test_import_pipeline_freezes_what_it_imported() -> None:
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=300, check=False
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "ok"
