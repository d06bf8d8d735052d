"""Check the renderer's NVENC path on a machine with an NVIDIA GPU.

Resolves ``encoder=auto`` (NVENC when ffmpeg lists it and a one-frame test encode works),
cuts one clip of a sample with the renderer's own ffmpeg arguments, and decodes the result
to count its frames and read its codec. Needs only an ffmpeg on PATH (no ffprobe).

    python bench/nvenc_check.py samples/two_shot.mp4
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from facetrack_otio.render.clips import RenderSettings, ffmpeg_args, frame_range  # noqa: E402
from facetrack_otio.render.encoders import resolve_encoder  # noqa: E402


def main() -> int:
    source = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "samples" / "two_shot.mp4")
    encoder = resolve_encoder("auto")
    print(f"encoder=auto resolves to {encoder}")
    clip = frame_range(1.0, 5.0, Fraction(25))
    out = Path("/tmp/nvenc_check.mp4")
    # NVENC is tried even when auto did not pick it, so its error shows.
    for name in ("libx264", "h264_nvenc"):
        args = ffmpeg_args(
            source,
            out,
            clip,
            RenderSettings(),
            audio=True,
            encoder=name,
            video_filter="crop=404:720:300:0",
        )
        t0 = time.perf_counter()
        proc = subprocess.run(args, capture_output=True, text=True, check=False)
        took = time.perf_counter() - t0
        info = subprocess.run(
            ["ffmpeg", "-hide_banner", "-i", str(out), "-map", "0:v:0", "-f", "null", "-"],
            capture_output=True,
            text=True,
            check=False,
        ).stderr
        frames = re.findall(r"frame=\s*(\d+)", info)
        codec = re.search(r"Video: (\w+)", info)
        print(
            f"{name}: rc={proc.returncode} {took:.2f} s, {frames[-1] if frames else '?'} frames "
            f"(want {clip.n_frames}), codec {codec.group(1) if codec else '?'}"
            + (f", error: {proc.stderr.strip()[-200:]}" if proc.returncode else "")
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
