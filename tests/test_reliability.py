"""Faults: the analysis cache, damaged cache entries, interrupts and concurrent runs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.cli import facetrack

ROOT = Path(__file__).resolve().parent.parent
CLIP = ROOT / "samples" / "SadTalker__WDA_AlexandriaOcasioCortez_000.mp4"


def run(*args: str, cache: Path) -> subprocess.CompletedProcess[str]:
    return facetrack(*args, env={"FACETRACK_CACHE_DIR": str(cache)})


@pytest.fixture(scope="module")
def cached(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """A cache folder filled by one run, and that run's summary."""
    cache = tmp_path_factory.mktemp("cache")
    out = tmp_path_factory.mktemp("first")
    proc = run("-q", "run", str(CLIP), "-o", str(out), "--json", "--no-render", cache=cache)
    assert proc.returncode == 0, proc.stderr
    return cache, json.loads(proc.stdout)


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


def test_a_folder_in_use_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / ".facetrack.lock").write_text(str(os.getpid()))  # a live process holds it
    proc = run("run", str(CLIP), "-o", str(out), "--no-render", cache=tmp_path / "cache")
    assert proc.returncode == 2
    assert "another facetrack run" in proc.stderr
    assert proc.stderr.count("\n") == 1


def test_a_stale_lock_is_taken_over(cached: tuple[Path, dict], tmp_path: Path) -> None:
    cache, _ = cached
    out = tmp_path / "out"
    out.mkdir()
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    (out / ".facetrack.lock").write_text(dead.stdout.strip())
    proc = run("-q", "run", str(CLIP), "-o", str(out), "--no-render", cache=cache)
    assert proc.returncode == 0, proc.stderr
    assert not (out / ".facetrack.lock").exists()
