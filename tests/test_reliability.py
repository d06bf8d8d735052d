"""Faults: the analysis cache, damaged cache entries, interrupts and concurrent runs."""

from __future__ import annotations

import contextlib
import json
import math
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.cli import facetrack
from tests.contract import clip_problems, ending, export_problems, leftovers, refused

ROOT = Path(__file__).resolve().parent.parent
CLIP = ROOT / "samples" / "SadTalker__WDA_AlexandriaOcasioCortez_000.mp4"


def run(*args: str, cache: Path) -> subprocess.CompletedProcess[str]:
    return facetrack(*args, env={"FACETRACK_CACHE_DIR": str(cache)})


@pytest.fixture(scope="module")
def first(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, Path]:
    """A cache folder filled by one run, that run's summary and its output folder."""
    cache = tmp_path_factory.mktemp("cache")
    out = tmp_path_factory.mktemp("first")
    proc = run("-q", "run", str(CLIP), "-o", str(out), "--json", "--no-render", cache=cache)
    assert proc.returncode == 0, proc.stderr
    return cache, json.loads(proc.stdout), out


@pytest.fixture(scope="module")
def cached(first: tuple[Path, dict, Path]) -> tuple[Path, dict]:
    """A cache folder filled by one run, and that run's summary."""
    return first[0], first[1]


@pytest.fixture(scope="module")
def timeline(first: tuple[Path, dict, Path]) -> Path:
    """The ``.otio`` that run wrote."""
    return first[2] / f"{CLIP.stem}.otio"


def test_second_run_uses_the_cache(cached: tuple[Path, dict], tmp_path: Path) -> None:
    cache, first = cached
    assert len(list(cache.glob("faces-*.npz"))) == 1
    proc = run("-q", "run", str(CLIP), "-o", str(tmp_path), "--json", "--no-render", cache=cache)
    assert proc.returncode == 0, proc.stderr
    second = json.loads(proc.stdout)
    assert "models" not in second["timings"]  # the face models were never loaded
    assert second["turns"] == first["turns"]
    assert second["people"] == first["people"]


def test_damaged_cache_entry_is_recomputed(cached: tuple[Path, dict], tmp_path: Path) -> None:
    cache, first = cached
    damaged = tmp_path / "cache"
    damaged.mkdir()
    (entry,) = cache.glob("faces-*.npz")
    (damaged / entry.name).write_bytes(entry.read_bytes()[: entry.stat().st_size // 2])
    proc = run(
        "run", str(CLIP), "-o", str(tmp_path / "out"), "--json", "--no-render", cache=damaged
    )
    assert proc.returncode == 0, proc.stderr
    assert "damaged cache entry" in proc.stderr
    summary = json.loads(proc.stdout)
    assert "models" in summary["timings"]  # computed again
    assert summary["turns"] == first["turns"]
    assert (damaged / entry.name).stat().st_size == entry.stat().st_size


def test_interrupt_leaves_nothing_and_rerun_resumes(
    cached: tuple[Path, dict], tmp_path: Path
) -> None:
    cache, _ = cached
    out = tmp_path / "out"
    env = {**os.environ, "FACETRACK_CACHE_DIR": str(cache)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "facetrack_otio", "-v", "run", str(CLIP), "-o", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=env,
    )
    # Interrupt once clips are being rendered (the analysis is done by then).
    deadline = time.monotonic() + 120
    assert proc.stderr is not None
    for line in proc.stderr:
        if "speakers done" in line or time.monotonic() > deadline:
            break
    time.sleep(0.5)
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert not out.exists() or not any(out.iterdir()), list(out.iterdir())
    again = run("-q", "run", str(CLIP), "-o", str(out), "--json", cache=cache)
    assert again.returncode == 0, again.stderr
    assert "models" not in json.loads(again.stdout)["timings"]
    assert sorted(p.name for p in (out / "clips").iterdir())


@contextlib.contextmanager
def held(folder: Path) -> Iterator[int]:
    """Another process holding ``folder``'s lock, as a run writing there does; its pid."""
    code = (
        "import sys; from facetrack_otio.staging import locked_folder\n"
        "with locked_folder(sys.argv[1]):\n    print('held', flush=True); sys.stdin.read()"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(folder)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline() == "held\n"
        yield proc.pid
    finally:
        proc.communicate("", timeout=30)


def test_a_folder_in_use_is_refused(tmp_path: Path, timeline: Path) -> None:
    out = tmp_path / "out"
    with held(out) as pid:
        proc = facetrack("export", str(timeline), "-o", str(out))
        assert not refused(proc, f"another facetrack run (pid {pid}) is writing this folder")
        assert sorted(p.name for p in out.iterdir()) == [".facetrack.lock"]  # the holder's
    assert not out.exists()  # the holder made it, and removed it, empty, as it let go


@pytest.mark.parametrize("holder", ["init", "this test", "dead"])
def test_a_lock_no_run_holds_is_taken_over(tmp_path: Path, timeline: Path, holder: str) -> None:
    # A run that was killed leaves its lock, and its pid may since name another program:
    # init (pid 1), or this very test. Neither is a run writing the folder.
    out = tmp_path / "out"
    out.mkdir()
    pid = {"init": 1, "this test": os.getpid(), "dead": _dead_pid()}[holder]
    (out / ".facetrack.lock").write_text(f"{pid}\n")
    # In a process of its own: in this one, this test's pid would be the running command's.
    proc = facetrack(
        "-q", "export", str(timeline), "-o", str(out), fresh_process=pid == os.getpid()
    )
    assert not ending(proc, codes=(0,)), proc.stderr
    assert not leftovers(out)
    assert not export_problems(out, timeline.stem)


def _dead_pid() -> int:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(dead.stdout)


def test_a_stale_lock_is_taken_over(cached: tuple[Path, dict], tmp_path: Path) -> None:
    cache, _ = cached
    out = tmp_path / "out"
    out.mkdir()
    (out / ".facetrack.lock").write_text(str(_dead_pid()))
    proc = run("-q", "run", str(CLIP), "-o", str(out), "--no-render", cache=cache)
    assert proc.returncode == 0, proc.stderr
    assert not (out / ".facetrack.lock").exists()


# --------------------------------------------------------------------------- the user's files


def test_a_run_into_a_used_folder_keeps_the_users_files(
    cached: tuple[Path, dict], tmp_path: Path
) -> None:
    cache, _ = cached
    out = tmp_path / "out"
    mine = {"clips/my_edit.mp4": b"x", "thumbs/me.jpg": b"y", "notes.txt": b"z"}
    earlier = ["clips/0009_speaker-3_01m00s.mp4", "clips/speaker-2_part01.mp4",
               "thumbs/speaker-7.jpg"]  # fmt: skip
    for rel, data in [*mine.items(), *((rel, b"old") for rel in earlier)]:
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_bytes(data)
    proc = run("-q", "run", str(CLIP), "-o", str(out), "--preset", "ultrafast", cache=cache)
    assert not ending(proc, codes=(0,)), proc.stderr
    for rel, data in mine.items():
        assert (out / rel).read_bytes() == data, rel
    # What an earlier run wrote there and this one did not is gone: clips/ holds this run's.
    assert not [rel for rel in earlier if (out / rel).exists()]
    assert list((out / "clips").glob("0001_speaker-1_*.mp4"))
    assert (out / "thumbs" / "speaker-1.jpg").is_file()
    assert not clip_problems(out / "clips") and not leftovers(out)


# --------------------------------------------------------------------------- full disks


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MiB tmpfs, or a skip where mounting is not allowed (it needs root)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mount = shutil.which("mount")
    if mount is None or os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root and mount(8)")
    proc = subprocess.run(
        [mount, "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(disk)], capture_output=True
    )
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {proc.stderr.decode().strip()}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def _fill(disk: Path, leave: int) -> None:
    """Fill ``disk`` up to ``leave`` free bytes."""
    free = shutil.disk_usage(disk).free
    with open(disk / "filler", "wb") as f:
        f.write(bytes(max(0, free - leave)))


def _pages(folder: Path) -> int:
    """Bytes ``folder``'s files take on a tmpfs (whole 4 KiB pages)."""
    return sum(math.ceil(p.stat().st_size / 4096) * 4096 for p in folder.rglob("*") if p.is_file())


def _file_size_limit(limit: int) -> Callable[[], None]:
    # Writes beyond ``limit`` bytes fail with EFBIG in Python (which ignores SIGXFSZ) and
    # kill ffmpeg with SIGXFSZ: a full disk, without a mount.
    return lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


def test_a_disk_that_fills_up_while_rendering_stops_the_run(
    first: tuple[Path, dict, Path], small_disk: Path
) -> None:
    cache, _, done = first
    # Room for the exports, report and thumbnails, not for the clips.
    _fill(small_disk, _pages(done) + 96 * 1024)
    out = small_disk / "out"
    proc = run("-q", "run", str(CLIP), "-o", str(out), "--crf", "0", "--preset", "ultrafast",
               cache=cache)  # fmt: skip
    assert not refused(proc, f"{out}: cannot write (No space left on device)")
    assert sorted(p.name for p in small_disk.iterdir()) == ["filler"]


def test_a_file_size_limit_while_rendering_stops_the_run(
    first: tuple[Path, dict, Path], tmp_path: Path
) -> None:
    cache, _, done = first
    # Larger than every export, the decoded audio and a frame grabbed for a thumbnail (BMP),
    # smaller than a lossless clip.
    limit = max(p.stat().st_size for p in done.rglob("*") if p.is_file())
    limit = max(limit, 9 * 16000 * 2, 512 * 512 * 3 + 4096) * 2
    out = tmp_path / "out"
    env = {"FACETRACK_CACHE_DIR": str(cache)}
    proc = facetrack("-q", "run", str(CLIP), "-o", str(out), "--crf", "0", "--preset",
                     "ultrafast", env=env, preexec_fn=_file_size_limit(limit))  # fmt: skip
    assert not refused(proc, f"{out}: cannot write (File too large)")
    assert not out.exists()


def test_a_full_disk_when_taking_the_lock(timeline: Path, small_disk: Path) -> None:
    out = small_disk / "out"
    out.mkdir()
    _fill(small_disk, 0)
    proc = facetrack("export", str(timeline), "-o", str(out))
    assert not refused(proc, "No space left on device")
    assert not any(out.iterdir())


def test_a_file_size_limit_when_taking_the_lock(timeline: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    proc = facetrack("export", str(timeline), "-o", str(out), preexec_fn=_file_size_limit(0))
    assert not refused(proc, "File too large")
    assert not any(out.iterdir())


def test_a_full_temporary_folder_is_said_so(first: tuple[Path, dict, Path], tmp_path: Path) -> None:
    # The decoded audio goes to the temporary folder: cut short there, speech would be lost.
    cache, _, _ = first
    out = tmp_path / "out"
    env = {"FACETRACK_CACHE_DIR": str(cache), "TMPDIR": str(tmp_path / "tmp")}
    (tmp_path / "tmp").mkdir()
    proc = facetrack("-q", "run", str(CLIP), "-o", str(out), "--no-render", env=env,
                     preexec_fn=_file_size_limit(64 * 1024))  # fmt: skip
    assert not refused(proc, f"{tmp_path / 'tmp'} (temporary files): cannot write (File too large)")
    assert not out.exists()


# --------------------------------------------------------------------------- killed runs


def test_what_a_killed_run_left_goes_with_the_next_run(
    cached: tuple[Path, dict], tmp_path: Path
) -> None:
    cache, _ = cached
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "facetrack_otio", "-q", "run", str(CLIP), "-o", str(out),
           "--no-render", "--no-cache"]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=ROOT, start_new_session=True, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not list(out.glob(".facetrack-*")) and time.monotonic() < deadline:
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)  # no clean-up runs: as after a crash or power loss
    proc.wait()
    assert leftovers(out), "the run was killed before it staged anything"
    proc = run("-q", "run", str(CLIP), "-o", str(out), "--no-render", cache=cache)
    assert not ending(proc, codes=(0,)), proc.stderr
    assert not leftovers(out)
    assert not export_problems(out, CLIP.stem)
