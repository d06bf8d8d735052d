"""Are the delivered files the same bytes? Run the commands on the bundled samples, hash what
they write, and compare two such records (two checkouts, or one checkout twice).

    # once: the inputs made from the samples (a sound file, a 15 fps video)
    .venv/bin/python bench/identical.py inputs /tmp/ft-inputs
    # a record per checkout (ROOT: the checkout whose facetrack_otio runs)
    .venv/bin/python bench/identical.py record /tmp/ft-before --root /tmp/old \
        --inputs /tmp/ft-inputs
    .venv/bin/python bench/identical.py record /tmp/ft-after --inputs /tmp/ft-inputs
    .venv/bin/python bench/identical.py compare /tmp/ft-before /tmp/ft-after

``record`` runs ``facetrack run`` on every bundled sample and on the made inputs, ``facetrack
batch`` on two of them and ``facetrack multicam`` on the shared two-person shoot (when
../shared is beside the checkout), all without clips (``--no-render``: the clips are ffmpeg's
bytes, not facetrack's), and writes ``hashes.json``: the SHA-256 of every timeline, FCPXML,
FCP7 XML, EDL and RTTM. ``compare`` lists each file as same, DIFFERENT or missing and exits 1
when any differs.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHOOT = ROOT.parent / "shared" / "samples" / "multicam" / "two_person"
if not SHOOT.is_dir():
    SHOOT = Path("/work/shared/samples/multicam/two_person")
DELIVERED = (".otio", ".fcpxml", ".xml", ".edl", ".rttm")


def make_inputs(folder: Path) -> None:
    """A sound-only file and a 15 fps video (EDL and FCP7 left out), made bit-exactly."""
    folder.mkdir(parents=True, exist_ok=True)
    two_shot = ROOT / "samples" / "two_shot.mp4"
    ffmpeg = ["ffmpeg", "-v", "error", "-y", "-i", str(two_shot), "-fflags", "+bitexact"]
    sound = ["-vn", "-ac", "1", "-ar", "16000", "-flags:a", "+bitexact"]
    subprocess.run([*ffmpeg, *sound, str(folder / "two_shot_sound.wav")], check=True)
    video = ["-t", "12", "-r", "15", "-c:v", "libx264", "-threads", "1", "-preset", "ultrafast"]
    subprocess.run([*ffmpeg, *video, "-c:a", "aac", str(folder / "two_shot_15fps.mp4")], check=True)


def _facetrack(root: Path, *words: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(root)}
    cmd = [sys.executable, "-m", "facetrack_otio", "-q", *words]
    proc = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)}: exit {proc.returncode}: {proc.stderr.strip()}")


def record(out: Path, root: Path, inputs: Path | None, only: set[str] | None = None) -> None:
    """Run the commands of ``root`` into ``out`` and hash what they delivered."""
    only = only or {"run", "batch", "multicam"}
    videos = sorted((ROOT / "samples").glob("*.mp4"))
    if inputs is not None:
        videos += sorted(p for p in inputs.iterdir() if p.suffix in (".mp4", ".wav"))
    for video in videos if "run" in only else []:
        print(f"run {video.name}", flush=True)
        _facetrack(root, "run", str(video), "-o", str(out / "run" / video.stem), "--no-render")
    two = [ROOT / "samples" / "two_shot.mp4"]
    if inputs is not None:
        two.append(inputs / "two_shot_sound.wav")
    if "batch" in only:
        print("batch", flush=True)
        _facetrack(
            root, "batch", *map(str, two), "-o", str(out / "batch"), "--no-render", "-j", "1"
        )
    if SHOOT.is_dir() and "multicam" in only:
        print("multicam two_person", flush=True)
        files = [str(SHOOT / n) for n in ("cam_wide.mp4", "cam_A.mp4", "cam_B.mp4")]
        mics = [f"--mic=A={SHOOT / 'mic_A.wav'}", f"--mic=B={SHOOT / 'mic_B.wav'}"]
        _facetrack(root, "multicam", *files, *mics, "-o", str(out / "multicam"), "--no-render")
    hashes = {
        p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(out.rglob("*"))
        if p.is_file() and p.suffix in DELIVERED and not p.name.startswith(".")
    }
    (out / "hashes.json").write_text(json.dumps(hashes, indent=1) + "\n")
    print(f"{len(hashes)} files hashed into {out / 'hashes.json'}")


def compare(a: Path, b: Path) -> int:
    """Print each delivered file as same, DIFFERENT or missing; 1 when any is not the same."""
    ha = json.loads((a / "hashes.json").read_text())
    hb = json.loads((b / "hashes.json").read_text())
    bad = 0
    for name in sorted(set(ha) | set(hb)):
        if name not in ha or name not in hb:
            state = f"missing in {a if name not in ha else b}"
        elif ha[name] == hb[name]:
            state = "same"
        else:
            state = "DIFFERENT"
        bad += state != "same"
        print(f"{state:10} {name}")
        if state == "DIFFERENT" and name.endswith(".otio"):
            print(f"{'':10} metadata: {_metadata_change(a / name, b / name)}")
    same = len(set(ha) | set(hb)) - bad
    print(f"{same} same, {bad} not the same")
    return 1 if bad else 0


def _metadata_change(a: Path, b: Path) -> str:
    """What differs between two timelines' ``metadata["facetrack"]``, by key."""
    ma = json.loads(a.read_text())["metadata"]["facetrack"]
    mb = json.loads(b.read_text())["metadata"]["facetrack"]
    gone = sorted(set(ma) - set(mb))
    new = sorted(set(mb) - set(ma))
    changed = sorted(k for k in set(ma) & set(mb) if ma[k] != mb[k])
    return f"only in the first {gone}, only in the second {new}, changed {changed}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="what", required=True)
    mk = sub.add_parser("inputs", help="make the extra inputs")
    mk.add_argument("folder", type=Path)
    rec = sub.add_parser("record", help="run the commands and hash their outputs")
    rec.add_argument("out", type=Path)
    rec.add_argument("--root", type=Path, default=ROOT, help="the checkout to run")
    rec.add_argument("--inputs", type=Path, help="the folder `inputs` made")
    rec.add_argument(
        "--only", action="append", choices=("run", "batch", "multicam"), help="these commands"
    )
    cmp = sub.add_parser("compare", help="compare two records")
    cmp.add_argument("a", type=Path)
    cmp.add_argument("b", type=Path)
    args = ap.parse_args()
    if args.what == "inputs":
        make_inputs(args.folder)
        return 0
    if args.what == "record":
        record(args.out, args.root.resolve(), args.inputs, set(args.only or ()))
        return 0
    return compare(args.a, args.b)


if __name__ == "__main__":
    sys.exit(main())
