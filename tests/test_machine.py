"""What the machine offers: cores and memory."""

from __future__ import annotations

import os
import sys

import pytest

from facetrack_otio.machine import available_memory, cores


def test_cores_follow_the_affinity() -> None:
    n = cores()
    assert 1 <= n <= (os.cpu_count() or 1)
    if hasattr(os, "sched_getaffinity"):
        assert n == len(os.sched_getaffinity(0))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc/meminfo is Linux's")
def test_available_memory_is_read() -> None:
    memory = available_memory()
    assert memory is not None and 64 * 2**20 < memory < 2**50
