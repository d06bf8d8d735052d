"""Files known by content: the hash, and when it is read again."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from facetrack_otio.fsutil import content_hash


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
