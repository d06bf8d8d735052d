"""The report tests share one real run of the bundled sample."""

from __future__ import annotations

import pytest

from tests.report.demo import DemoRun, demo_run


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    run = demo_run(tmp_path_factory.mktemp("demo"))
    assert run.returncode == 0, run.stderr
    return run
