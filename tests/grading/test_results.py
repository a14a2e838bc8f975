"""What crosses process and network boundaries (:mod:`mlgrade.results`), and mlgrade's import structure.

Fast: no grading runs here. The files earlier versions of mlgrade wrote
(``result.json``, ``report.json``) are spelled out literally, so that a run
resumed after an upgrade, and ``make feedback`` on an older work folder, keep
reading them.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from mlgrade.limits import Limits  # noqa: E402
from mlgrade.results import (FormatError, GradeResult, GuardReport, PartScore, WorkerSpec,  # noqa: E402
                             read_report, write_report)

# As mlgrade.worker wrote a result before results were typed (one notebook, a guard report).
EARLIER_RESULT = {
    "assignment": "01-limits", "student": "ann", "notes": ["limits.ipynb: blocked: attempt open /etc/shadow"],
    "grades": {"limits/part1_tests": {"notebook": "limits", "grade_id": "part1_tests", "auto_score": 2.0,
                                      "max_score": 2.0, "needs_manual_grade": False, "cell_type": "code"},
               "limits/written": {"notebook": "limits", "grade_id": "written", "auto_score": None,
                                  "max_score": 1.0, "needs_manual_grade": True, "cell_type": "markdown"}},
    "error": None,
    "guard": {"limits": {"passed": ["part1_tests"], "tampered": [], "attempts": ["attempt open /etc/shadow"],
                         "unguarded": []}},
    "answers": {"limits/written": "ab" * 32}, "timestamp": "2026-01-02T03:04:05", "late_penalty": {"limits": None},
    "seconds": 12.5,
}
# The failures a pool, a worker and a Dask run wrote, and the entry of a student with no submission.
EARLIER_FAILURE = {"assignment": "01-limits", "student": "ben", "grades": {}, "notes": [],
                   "error": "wall-clock limit of 960 s for the whole submission exceeded"}
EARLIER_RETRY = dict(EARLIER_FAILURE, retry=True, error="the Dask task failed (KilledWorker: x)")
EARLIER_ABSENT = {"assignment": "01-limits", "student": "cy", "grades": {},
                  "notes": ["no submission (0 points)"], "error": None}
EARLIER_REMOTE = dict(EARLIER_RESULT, student="dee", graded_on="host:123")


def spec(tmp_path: Path, **changes) -> WorkerSpec:
    fields = dict(work=tmp_path / "run", assignment="01-limits", student="ann", template=tmp_path / "template",
                  limits=Limits(cell_timeout=15), uid=200123, submission=tmp_path / "subs" / "ann",
                  unsafe_no_sandbox=False, left_out=("big.bin",))
    fields.update(changes)
    return WorkerSpec(**fields)


def test_specs_and_results_round_trip_through_json(tmp_path):
    for task in (spec(tmp_path), spec(tmp_path, submission=None, left_out=(), unsafe_no_sandbox=True)):
        task.write(tmp_path / "spec.json")
        assert WorkerSpec.read(tmp_path / "spec.json") == task
        assert json.loads((tmp_path / "spec.json").read_text())["limits"]["cell_timeout"] == 15
    result = GradeResult("01-limits", "ann", grades={"nb/p": PartScore("nb", "p", 1.5, 2.0, False, "code")},
                         notes=["a note"], guard={"nb": GuardReport(passed=("p",), attempts=("refused gc",))},
                         answers={"nb/w": "0" * 64}, late_penalty={"nb": 0.5}, seconds=1.0, graded_on="h:1")
    result.write(tmp_path / "result.json")
    assert GradeResult.read(tmp_path / "result.json") == result
    assert result.auto_total == 1.5 and result.submitted


def test_results_earlier_versions_wrote_still_read():
    result = GradeResult.from_dict(json.loads(json.dumps(EARLIER_RESULT)))
    assert result.grades["limits/part1_tests"].auto_score == 2.0
    assert result.grades["limits/written"].needs_manual_grade and result.auto_total == 2.0
    assert result.guard["limits"].attempts == ("attempt open /etc/shadow",)
    assert result.late_penalty == {"limits": None} and result.answers == EARLIER_RESULT["answers"]
    failure = GradeResult.from_dict(EARLIER_FAILURE)
    assert failure.error.startswith("wall-clock") and failure.grades == {} and not failure.retry
    assert GradeResult.from_dict(EARLIER_RETRY).retry
    assert not GradeResult.from_dict(EARLIER_ABSENT).submitted
    assert GradeResult.from_dict(EARLIER_REMOTE).graded_on == "host:123"
    # What is written now reads back, and keeps every field the tests and tools read by name.
    again = result.to_dict()
    assert GradeResult.from_dict(again) == result
    assert {key: again[key] for key in EARLIER_RESULT} == EARLIER_RESULT


def test_a_report_of_an_earlier_version_reads(tmp_path):
    report = tmp_path / "report.json"
    entries = {"ann/01-limits": EARLIER_RESULT, "ben/01-limits": EARLIER_FAILURE, "cy/01-limits": EARLIER_ABSENT}
    report.write_text(json.dumps(entries, indent=1))
    results = read_report(report)
    assert sorted(results) == [("ann", "01-limits"), ("ben", "01-limits"), ("cy", "01-limits")]
    write_report(report, results)
    assert read_report(report) == results
    assert json.loads(report.read_text())["ann/01-limits"]["grades"] == EARLIER_RESULT["grades"]


@pytest.mark.parametrize("data, message", [
    ([], "expected a JSON object, got list"),
    ({"student": "ann"}, "field(s) ['assignment'] missing"),
    (dict(EARLIER_RESULT, score=3), "unknown field(s) ['score']"),
    (dict(EARLIER_RESULT, notes="one note"), "field 'notes' must be a list of strings"),
    (dict(EARLIER_RESULT, error=3), "field 'error' must be a string or null"),
    (dict(EARLIER_RESULT, retry="yes"), "field 'retry' must be true or false"),
    (dict(EARLIER_RESULT, grades={"x/p": {"notebook": "x"}}), "grades['x/p']: field(s) ['auto_score', 'cell_type',"),
    (dict(EARLIER_RESULT, grades={"x/p": dict(EARLIER_RESULT["grades"]["limits/written"], auto_score="2")}),
     "grades['x/p']: field 'auto_score' must be a number or null, got \"2\""),
    (dict(EARLIER_RESULT, grades={"x/p": dict(EARLIER_RESULT["grades"]["limits/written"], cell_type="raw")}),
     "field 'cell_type' must be 'code' or 'markdown'"),
    (dict(EARLIER_RESULT, guard={"limits": {"passed": "part1"}}), "guard['limits']: field 'passed' must be a list"),
    (dict(EARLIER_RESULT, answers={"limits/written": 5}), "answers: entry 'limits/written' must be a string"),
    (dict(EARLIER_RESULT, late_penalty={"limits": "none"}), "late_penalty: entry 'limits' must be a number or null"),
])
def test_a_result_that_is_not_one_is_named(data, message):
    with pytest.raises(FormatError) as failure:
        GradeResult.from_dict(data, "work/result.json")
    assert str(failure.value).startswith("work/result.json: ") and message in str(failure.value), failure.value


@pytest.mark.parametrize("change, message", [
    ({"uid": -1}, "field 'uid' must be a non-negative whole number"),
    ({"uid": True}, "field 'uid' must be a non-negative whole number"),
    ({"limits": {"cell_timeout": 0}}, "field 'limits': limit cell_timeout must be positive, got 0"),
    ({"limits": {"cell_timeout": "30"}}, "field 'limits': limit cell_timeout must be positive, got '30'"),
    ({"limits": {"walltime": 3}}, "field 'limits': unknown limit(s) ['walltime']"),
    ({"left_out": "big.bin"}, "field 'left_out' must be a list of strings"),
    ({"work": None}, "field 'work' must be a string"),
])
def test_a_spec_that_is_not_one_is_named(tmp_path, change, message):
    data = dict(spec(tmp_path).to_dict(), **change)
    with pytest.raises(FormatError, match=r"^the task: ") as failure:
        WorkerSpec.from_dict(data, "the task")
    assert message in str(failure.value), failure.value


def test_an_unreadable_result_is_graded_again_and_named(tmp_path):
    from mlgrade.grade import _earlier_result

    path = tmp_path / "result.json"
    lines: list[str] = []
    assert _earlier_result(path, lines.append) is None and lines == []  # never graded: no message
    path.write_text('{"assignment": "01-limits", "student": "ann", "grades": {')  # cut by a kill
    assert _earlier_result(path, lines.append) is None
    assert len(lines) == 1 and lines[0].startswith(f"{path}: not valid JSON (") \
        and lines[0].endswith("): graded again"), lines
    path.write_text(json.dumps(EARLIER_RESULT))
    assert _earlier_result(path, lines.append) == GradeResult.from_dict(EARLIER_RESULT)


def _imports(path: Path) -> set[str]:
    """The mlgrade modules ``path`` imports, at its top or inside functions."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            found |= {node.module.split(".")[0]} if node.module else {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("mlgrade."):
            found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found |= {a.name.split(".")[1] for a in node.names if a.name.startswith("mlgrade.")}
    modules = {p.stem for p in path.parent.glob("*.py")}
    return {name if name in modules else "__init__" for name in found}


def test_mlgrade_has_no_import_cycle():
    """Not even through imports inside functions: grade uses cluster and pool (through the Runner
    protocol), never the other way round."""
    graph = {path.stem: _imports(path) for path in sorted((REPO / "mlgrade").glob("*.py"))}
    assert "grade" not in graph["cluster"] and "grade" not in graph["pool"], graph
    visiting, done = [], set()

    def visit(module):
        if module in visiting:
            cycle = visiting[visiting.index(module):] + [module]
            pytest.fail("import cycle in mlgrade: " + " -> ".join(cycle))
        if module in done:
            return
        visiting.append(module)
        for other in sorted(graph[module]):
            visit(other)
        visiting.pop()
        done.add(module)

    for module in graph:
        visit(module)


def test_every_mlgrade_module_imports_on_its_own():
    """Each module imports first in a fresh set of mlgrade modules (third-party imports stay cached)."""
    names = sorted(p.stem for p in (REPO / "mlgrade").glob("*.py") if p.stem not in ("__init__", "__main__"))
    script = (f"import importlib, sys\nsys.path.insert(0, {str(REPO)!r})\nfailed = []\n"
              f"for name in {names!r}:\n"
              "    for loaded in [m for m in sys.modules if m == 'mlgrade' or m.startswith('mlgrade.')]:\n"
              "        del sys.modules[loaded]\n"
              "    try:\n        importlib.import_module('mlgrade.' + name)\n"
              "    except Exception as exc:\n        failed.append(f'{name}: {type(exc).__name__}: {exc}')\n"
              "print('\\n'.join(failed))\n")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0 and not proc.stdout.strip(), proc.stdout + proc.stderr[-2000:]
