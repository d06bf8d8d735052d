"""Files known by content: the hash, and when it is read again."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

from facetrack_otio.fsutil import FileStamp, content_hash, stamped_hash

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
    code = "import sys; from facetrack_otio.fsutil import stamped_hash as h; "
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
