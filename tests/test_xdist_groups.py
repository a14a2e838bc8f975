"""Tests that share a server, a browser page or a grading run are grouped on one xdist worker.

``make test`` runs ``pytest -n N --dist loadgroup``: every test marked
``xdist_group(name)`` (directly or through a ``pytest.param``'s marks) must run
in the same worker process as the others of its group, in order, or shared
module and session fixtures are built again in another worker (a grading run
repeated, a lab page that was never opened). pytest 9.2 broke this silently
with pytest-xdist 3.8 (requirements.in pins below it); these tests fail then.
"""

from __future__ import annotations

import os

import pytest

SEEN: dict[str, str] = {}
GROUPED = [pytest.param(i, id=f"param-{i}", marks=pytest.mark.xdist_group("xdist-probe-params")) for i in range(4)]


def worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.mark.xdist_group("xdist-probe")
def test_first_of_a_group_records_its_worker() -> None:
    SEEN["function"] = worker()


@pytest.mark.xdist_group("xdist-probe")
@pytest.mark.parametrize("step", range(3))
def test_the_rest_of_the_group_runs_in_the_same_worker(step: int) -> None:
    assert SEEN.get("function") == worker(), \
        f"test {step} of group xdist-probe ran in worker {worker()}, apart from its first test: {SEEN}"


@pytest.mark.parametrize("index", GROUPED)
def test_a_group_given_by_parameter_marks_stays_together(index: int) -> None:
    SEEN.setdefault("params", worker())
    assert SEEN["params"] == worker() and (index == 0 or SEEN.get(f"param-{index - 1}")), \
        f"parameter {index} of group xdist-probe-params ran in worker {worker()} or out of order: {SEEN}"
    SEEN[f"param-{index}"] = worker()
