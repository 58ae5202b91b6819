"""Fixtures of the live drills: a whole stack per test, torn down also when the test fails."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any, Iterator

import pytest

from harness import ALERTMANAGER, PROMETHEUS, Stack


def require(path: str | None, package: str) -> None:
    """Skip without a binary on a laptop; in CI (CI set) fail instead."""
    if path and (shutil.which(path) or os.access(path, os.X_OK)):
        return
    message = f"{path or package} is not installed (apt-get install {package})"
    if os.environ.get("CI"):
        pytest.fail(f"{message}; CI must run the live drills")
    pytest.skip(message)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: Any) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


@pytest.fixture
def stack(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Stack]:
    require(PROMETHEUS, "prometheus")
    require(ALERTMANAGER, "prometheus-alertmanager")
    s = Stack(tmp_path)
    try:
        s.start()
        yield s
    finally:
        failed = any(getattr(getattr(request.node, f"report_{w}", None), "failed", False) for w in ("setup", "call"))
        if failed or not s.procs.get("prometheus"):
            print(s.logs_tail())  # shown under "Captured stdout teardown"
        s.close()
