"""Adversarial submissions, graded next to honest ones.

The corpus (``corpus.build``) is graded in the same run as the round-trip
cases (``conftest.graded``). For every assignment: rigged answer objects, NaN
and wrong shapes, and monkeypatching of the test helpers, against its own
tests. On the fixture course, the grader itself: an IPython patch that skips
test cells; a hostile notebook that tries to read the hidden tests and other
files, write outside, open sockets, then prints without end, exhausts memory
and forks without end; ``os._exit`` and a self-kill. Then every
``make feedback`` report is checked against the hidden tests of every assignment.
"""

from __future__ import annotations

import sys

import pytest

from conftest import ASSIGNMENTS, FIXTURE_COURSE, REPO, hidden_snippets, read_source, source_notebook
from corpus import _outputs, _test_errors


@pytest.mark.slow
@pytest.mark.parametrize("graded", ASSIGNMENTS, indirect=True)
def test_rigged_answers_score_nothing(graded):
    """Every assignment's tests: always-equal objects, NaN, wrong shapes and monkeypatching earn 0."""
    run = graded
    points = run.points
    for student in ("tricks", "patcher"):
        scores = run.scores(student)
        assert all(scores[g] == 0 for g in points), (student, scores, run.notes(student))
        reasons = _test_errors(run.autograded(student), set(points))
        assert all(reasons[g].strip() for g in points), (student, reasons)
    tricks = _test_errors(run.autograded("tricks"), set(points))
    assert any(word in r for r in tricks.values() for word in ("type", "NaN", "shape", "return", "got")), tricks
    assert "restored" in run.notes("patcher") or "tampering" in run.notes("patcher"), run.notes("patcher")


@pytest.mark.slow
@pytest.mark.parametrize("graded", FIXTURE_COURSE, indirect=True)
def test_sandbox_limits_and_guard(graded):
    """Grader properties, on the fixture: the sandbox, every limit, the IPython guard, kernel death."""
    run = graded
    points = run.points
    last = list(points)[-1]
    assert not (REPO / "pwned.txt").exists()
    # Honest work next to an attack on the sandbox, and past the limits, scores in full.
    scores = run.scores("hostile")
    assert {g: scores[g] for g in points} == points, run.notes("hostile")
    scores = run.scores("shellpatch")
    assert all(scores[g] == 0 for g in points), (scores, run.notes("shellpatch"))
    assert "guard" in run.notes("shellpatch"), run.notes("shellpatch")
    # Nothing was readable or writable outside, no socket opened; the attempts are reported.
    hostile = run.notes("hostile")
    assert "nothing leaked" in _outputs(run.autograded("hostile")), _outputs(run.autograded("hostile"))[-2000:]
    assert "socket.connect" in hostile and "attempt open" in hostile, hostile
    # Limits are named.
    assert "memory limit" in hostile and "process limit" in hostile and "per-cell time limit" in hostile, hostile
    assert "output limit" in hostile, hostile
    assert "attempt fork" in hostile, hostile
    # A dead kernel keeps what the completed parts earned; later parts get 0.
    for student in ("exit", "killer"):
        scores = run.scores(student)
        assert scores[last] == 0
        assert {g: scores[g] for g in points if g != last} == {g: p for g, p in points.items() if g != last}
        assert "kernel died" in run.notes(student), run.notes(student)


@pytest.mark.slow
@pytest.mark.parametrize("graded", ASSIGNMENTS, indirect=True)
def test_feedback_reports_leak_no_hidden_test(graded):
    run = graded
    assert run.feedback_proc.returncode == 0, run.feedback_proc.stderr
    files = run.feedback_files()
    assert len(files) == len(run.cases)  # none for the student who submitted nothing
    not_submitted = len(run.course.names)  # "absent" submitted no assignment of the course
    assert f"no report for {not_submitted} assignment(s) not submitted" in run.feedback_proc.stdout, \
        run.feedback_proc.stdout
    snippets = [s for param in ASSIGNMENTS for s in
                hidden_snippets(read_source(source_notebook(*param.values[0])), solutions=False)]
    assert snippets
    import re

    for path in files:
        text = path.read_text()
        assert "BEGIN HIDDEN TESTS" not in text and "Traceback" not in text
        notes = re.findall(r"<li>(.*?)</li>", text)
        assert len(notes) == len(set(notes)), (path, notes)  # each grading note (guard events too) once
        leaked = [s for s in snippets if s in text]
        assert not leaked, (path, leaked[:3])
    ref = (run.feedback / "ref" / f"{run.name}.html").read_text()
    assert "class='passed'" in ref and "class='failed'" not in ref
    tricks = (run.feedback / "tricks" / f"{run.name}.html").read_text()
    assert "class='failed'" in tricks and "AssertionError: " in tricks


@pytest.mark.slow
@pytest.mark.xdist_group("grading-fixture")
def test_the_patches_would_score_without_the_guard(tmp_path):
    """The corpus is a real threat: unguarded (plain nbgrader) the patcher earns points."""
    from conftest import FIXTURES, make_grade, part_scores, reference, release, submit
    from corpus import PATCHES, _after_solutions, _insert_after_imports
    import nbformat

    blank = nbformat.read(str(release(FIXTURES, "00-fixture", tmp_path / "release")), as_version=4)
    wrong = lambda names: "\n".join(f"{n} = lambda *a, **k: 0.0" for n in names)  # noqa: E731
    submit(tmp_path / "subs", "patcher", "00-fixture",
           _insert_after_imports(_after_solutions(blank, wrong), PATCHES), "fixture.ipynb")
    make_grade(tmp_path / "subs", tmp_path / "g.csv", FIXTURES, tmp_path, "--unsafe-no-sandbox", jobs=1)
    assert sum(v or 0 for v in part_scores(tmp_path, "patcher", "00-fixture").values()) > 0
