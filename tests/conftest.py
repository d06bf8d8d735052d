"""Test-wide set-up: the analysis cache lives in a temporary folder for the session, and tests
marked ``head_start`` start their slow work in the background as the session starts."""

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


# --------------------------------------------------------------------------- head starts
# ``@pytest.mark.head_start(start, stop)``: ``start()`` is called once the tests to run are
# known, so that work which only waits for cores (a long measurement in another process) goes
# on while the other tests run; the test itself runs last and collects the result; ``stop()``
# ends whatever is still running when the session ends.


def _head_starts(items: list[pytest.Item]) -> list[pytest.Mark]:
    marks = [item.get_closest_marker("head_start") for item in items]
    return list({id(m.args[0]): m for m in marks if m is not None}.values())


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    late = [item for item in items if item.get_closest_marker("head_start")]
    items[:] = [item for item in items if not item.get_closest_marker("head_start")] + late


def pytest_collection_finish(session: pytest.Session) -> None:
    if session.config.option.collectonly:
        return
    for mark in _head_starts(session.items):
        mark.args[0]()


def pytest_sessionfinish(session: pytest.Session) -> None:
    for mark in _head_starts(getattr(session, "items", [])):
        mark.args[1]()
