"""Files known by content, names that fit, inputs that are files, staging and locks."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from facetrack_otio.errors import InputError
from facetrack_otio.fsutil import NAME_MAX, atomic_path, fit_name, readable_file
from facetrack_otio.staging import LOCK_NAME, locked_folder, staging_folder
from facetrack_otio.stamps import FileStamp, content_hash, stamped_hash

ROOT = Path(__file__).resolve().parent.parent


def test_content_hash_follows_the_file(tmp_path: Path) -> None:
    path = tmp_path / "clip.mp4"
    path.write_bytes(b"a" * 3_000_000)  # more than one read chunk
    assert content_hash(path) == hashlib.sha256(b"a" * 3_000_000).hexdigest()
    assert content_hash(str(path)) == content_hash(path)
    # Same size, new bytes and a new modification time: read again, not remembered.
    st = path.stat()
    path.write_bytes(b"b" * 3_000_000)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    assert content_hash(path) == hashlib.sha256(b"b" * 3_000_000).hexdigest()
    path.write_bytes(b"c")
    assert content_hash(path) == hashlib.sha256(b"c").hexdigest()


def test_file_stamp_vouches_only_for_an_unchanged_settled_file(tmp_path: Path) -> None:
    path = tmp_path / "talk.mp4"
    path.write_bytes(b"x" * 1000)
    # Hashed in the same moment it was written: a change now could keep size and time.
    assert not FileStamp.of(path).vouches_for(path)
    hour_ago = FileStamp.of(path).hashed_ns - 3600 * 10**9
    os.utime(path, ns=(hour_ago, hour_ago))
    stamp = FileStamp.of(path)
    assert stamp.vouches_for(path)
    assert FileStamp.from_dict(dataclasses.asdict(stamp)) == stamp
    assert FileStamp.from_dict(None) is None and FileStamp.from_dict({"size": 1}) is None
    os.utime(path, ns=(hour_ago + 1, hour_ago + 1))
    assert not stamp.vouches_for(path)  # touched
    path.write_bytes(b"x" * 999)
    os.utime(path, ns=(hour_ago, hour_ago))
    assert not stamp.vouches_for(path)  # another size
    path.unlink()
    assert not stamp.vouches_for(path)


def _stamped_hash_elsewhere(path: Path, memo: Path) -> str:
    """stamped_hash in a process of its own (nothing remembered in memory)."""
    code = "import sys; from facetrack_otio.stamps import stamped_hash as h; "
    code += "print(h(sys.argv[1], sys.argv[2])[0])"
    proc = subprocess.run(
        [sys.executable, "-c", code, str(path), str(memo)],
        capture_output=True, text=True, check=True, cwd=ROOT,
    )  # fmt: skip
    return proc.stdout.strip()


def test_stamped_hash_is_remembered_across_processes(tmp_path: Path) -> None:
    path, memo = tmp_path / "talk.mp4", tmp_path / "stamps"
    path.write_bytes(b"a" * 5000)
    day_ago = (int(path.stat().st_mtime) - 86400) * 10**9
    os.utime(path, ns=(day_ago, day_ago))
    first = hashlib.sha256(b"a" * 5000).hexdigest()
    assert _stamped_hash_elsewhere(path, memo) == first
    (entry,) = memo.iterdir()
    assert json.loads(entry.read_text())["content"] == first
    # Other bytes behind the same size and time: the memo answers, the file is not read.
    path.write_bytes(b"b" * 5000)
    os.utime(path, ns=(day_ago, day_ago))
    assert _stamped_hash_elsewhere(path, memo) == first
    # Touched: read again.
    os.utime(path)
    assert _stamped_hash_elsewhere(path, memo) == hashlib.sha256(b"b" * 5000).hexdigest()
    # A damaged memo is passed over and written anew; a memo that cannot be written is no error.
    entry.write_text("{not json")
    content, stamp = stamped_hash(path, memo)
    assert content == hashlib.sha256(b"b" * 5000).hexdigest() and stamp.size == 5000
    assert json.loads(entry.read_text())["content"] == content
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    assert stamped_hash(path, blocked)[0] == content


# --------------------------------------------------------------------------- names and paths


def test_fit_name_cuts_at_a_character_boundary() -> None:
    assert fit_name("talk", 32) == "talk"
    assert len(os.fsencode(fit_name("n" * 300, 32))) == NAME_MAX - 32
    cut = fit_name("é" * 200, 32)  # two bytes each: never half a character
    assert cut == "é" * ((NAME_MAX - 32) // 2)
    undecodable = os.fsdecode(b"\xff" * 300)
    assert os.fsencode(fit_name(undecodable, 0)) == b"\xff" * NAME_MAX


def test_atomic_path_in_a_folder_whose_name_is_not_utf8(tmp_path: Path) -> None:
    # OTIO's writer takes only UTF-8 paths: the temporary path is one, whatever the folder's.
    import opentimelineio as otio

    folder = tmp_path / os.fsdecode(b"caf\xe9")
    target = folder / os.fsdecode(b"t\xff.otio")
    with atomic_path(target) as tmp:
        str(tmp).encode("utf-8")
        otio.adapters.write_to_file(otio.schema.Timeline(name="t"), str(tmp))
    assert otio.adapters.read_from_string(target.read_text()).name == "t"
    assert sorted(os.listdir(os.fsencode(folder))) == [b"t\xff.otio"]


@pytest.mark.parametrize("kind", ["missing", "dangling", "loop", "directory", "fifo", "empty"])
def test_readable_file_says_what_is_there(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "x.mp4"
    words = {
        "missing": "x.mp4: no such file",
        "dangling": "a symbolic link to",
        "loop": "a loop of symbolic links",
        "directory": "is a directory, not a video file",
        "fifo": "a named pipe, not a video file",
        "empty": "file is empty",
    }[kind]
    if kind == "dangling":
        path.symlink_to(tmp_path / "gone")
    elif kind == "loop":
        path.symlink_to(path)
    elif kind == "directory":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "empty":
        path.write_bytes(b"")
    with pytest.raises(InputError, match=re.escape(words)):
        readable_file(path, "video file")


# --------------------------------------------------------------------------- staging, locks


def test_staging_merges_into_the_sub_folders_already_there(tmp_path: Path) -> None:
    out = tmp_path / "out"
    for rel, text in {"clips/mine.mp4": "mine", "clips/0002_old.mp4": "earlier",
                      "clips/0001_new.mp4": "earlier", "talk.otio": "earlier"}.items():  # fmt: skip
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_text(text)
    earlier = lambda rel: rel.name.startswith("000")  # noqa: E731
    with staging_folder(out, earlier) as stage:
        (stage / "clips").mkdir()
        (stage / "clips" / "0001_new.mp4").write_text("new")
        (stage / "talk.otio").write_text("new")
    got = {p.relative_to(out).as_posix(): p.read_text() for p in out.rglob("*") if p.is_file()}
    assert got == {"clips/mine.mp4": "mine", "clips/0001_new.mp4": "new", "talk.otio": "new"}


def test_staging_moves_nothing_when_a_file_is_in_the_way(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "clips").write_text("a file where the clips folder goes")
    with pytest.raises(InputError, match="a file is in the way"), staging_folder(out) as stage:
        (stage / "a.otio").write_text("new")
        (stage / "clips").mkdir()
        (stage / "clips" / "1.mp4").write_text("new")
    assert sorted(p.name for p in out.iterdir()) == ["clips"]


def test_the_lock_names_the_run_and_goes_with_it(tmp_path: Path) -> None:
    with locked_folder(tmp_path / "out") as out:
        pid, start = (out / LOCK_NAME).read_text().split()
        assert int(pid) == os.getpid() and start.isdigit()
        refused = pytest.raises(InputError, match=f"another facetrack run \\(pid {pid}\\)")
        with refused, locked_folder(out):  # a second writer, even in the same process
            pass
    assert not (tmp_path / "out").exists()  # made for the block, empty again, removed


def test_what_a_killed_run_left_is_cleared(tmp_path: Path) -> None:
    out = tmp_path / "out"
    left = [".facetrack-abcd_123", ".talk.x1y2z3_a.part.otio", ".facetrack.lock"]
    kept = [".facetrack-mine", ".my.notes.part", "talk.otio"]
    out.mkdir()
    (out / left[0]).mkdir()
    for name in left[1:] + kept:
        (out / name).write_text("x")
    with locked_folder(out):
        pass
    assert sorted(p.name for p in out.iterdir()) == sorted(kept)
