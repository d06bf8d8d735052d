"""Peak memory each export adds, for one saved timeline (Linux: reads /proc/self).

Each format is written in its own fresh Python process from the saved ``.otio``; the peak
resident size is reset through ``/proc/self/clear_refs`` once the timeline is loaded, so the
figure is what that export alone adds on top of the timeline. Make an hour's timeline first
(``bench/memory.py --keep DIR`` leaves the looped input in DIR)::

    .venv/bin/facetrack run DIR/loop-60min.mp4 -o hour/ --no-render
    .venv/bin/python bench/export_memory.py hour/loop-60min.otio

The exporters are imported from the current folder's tree when it has one (run it from an
older checkout to measure that one).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

FORMATS = ("otio", "fcpxml", "fcp7", "edl")

_MEASURE = """
import gc, sys
import opentimelineio as otio
from facetrack_otio.exports import FORMATS

def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1]) / 1024

timeline = otio.adapters.read_from_file(sys.argv[1])
gc.collect()
open("/proc/self/clear_refs", "w").write("5")  # the peak resident size starts again here
base = status("VmRSS")
FORMATS[sys.argv[2]](timeline, sys.argv[3], "x")
print(status("VmHWM") - base)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("timeline", help="a saved .otio")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    figures = {}
    with tempfile.TemporaryDirectory(prefix="facetrack-export-memory-") as tmp:
        for fmt in FORMATS:
            proc = subprocess.run(
                [sys.executable, "-c", _MEASURE, args.timeline, fmt, tmp],
                capture_output=True,
                text=True,
                check=True,
                cwd=Path.cwd(),  # the tree it is run from: measure another one from there
            )
            figures[fmt] = round(float(proc.stdout.strip()), 1)
            if not args.json:
                print(f"{fmt}: +{figures[fmt]:.1f} MiB", flush=True)
    if args.json:
        print(json.dumps(figures))


if __name__ == "__main__":
    main()
