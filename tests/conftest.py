"""Test-wide set-up: the analysis cache lives in a temporary folder for the session."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session", autouse=True)
def analysis_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    # Commands run by the tests (and their subprocesses) never touch the user's cache.
    old = os.environ.get("FACETRACK_CACHE_DIR")
    os.environ["FACETRACK_CACHE_DIR"] = str(tmp_path_factory.mktemp("cache"))
    yield
    if old is None:
        os.environ.pop("FACETRACK_CACHE_DIR", None)
    else:
        os.environ["FACETRACK_CACHE_DIR"] = old
