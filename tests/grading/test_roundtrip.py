"""Round trips through ``make release`` and ``make grade`` for every assignment.

One grading run per assignment (``conftest.graded``, shared with the
adversarial tests) holds the reference solution and the blank release next to
a student with no submission; on the fixture course it also holds the
malformed or tampered variants (invalid JSON, deleted, duplicated and altered
cells, widgets, an infinite loop), which test the grader itself. Grades must
come from the instructor's tests and points.
"""

from __future__ import annotations

import filecmp
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import (ASSIGNMENTS, FIXTURE_COURSE, REPO, SOLUTIONS, hidden_snippets, read_grades, read_source,
                      source_notebook, total_points)
from corpus import _outputs
from mlgrade.course import assignments, leaks


@pytest.mark.slow
@pytest.mark.parametrize("graded", ASSIGNMENTS, indirect=True)
def test_grade_round_trip(graded):
    """The reference earns every auto-graded point, the blank release and no submission nothing."""
    run = graded
    name, points = run.name, run.points
    assert len(points) >= 2
    assert run.after == run.before, "grading modified the submissions folder"
    rows = {r["student_id"]: r for r in read_grades(run.grades) if r["assignment"] == name}
    assert sorted(rows) == sorted(list(run.cases) + ["absent"])
    for row in rows.values():
        assert float(row["max_score"]) == pytest.approx(total_points(run.src_nb))  # manual parts included
    scores = run.scores("ref")
    assert {g: scores[g] for g in points} == points, run.notes("ref")
    assert float(rows["ref"]["raw_score"]) == pytest.approx(sum(points.values()))
    for student in ("blank", "absent"):
        assert float(rows[student]["raw_score"]) == 0.0, (student, run.notes(student) if student != "absent" else "")
    assert all(s == 0 for g, s in run.scores("blank").items() if g in points), run.scores("blank")
    assert f"canary: the reference solution of {name} scores full marks" in run.proc.stdout
    # The unmodified release raises no warning: a warning that always fired would hide the one that matters.
    log = (run.root / "work" / "runs" / name / "blank" / "autograde.log").read_text()
    assert "WARNING" not in log, log


@pytest.mark.slow
@pytest.mark.parametrize("graded", FIXTURE_COURSE, indirect=True)
def test_grader_repairs_malformed_and_interactive_notebooks(graded):
    """Grader properties, on the fixture: repairs, invalid JSON, widgets and input(), an endless loop."""
    run = graded
    points = run.points
    full = sum(points.values())
    rows = {r["student_id"]: r for r in read_grades(run.grades) if r["assignment"] == run.name}
    # A copy with a deleted test cell, a duplicated and an edited test cell and altered
    # points/checksums earns every point (the instructor's version is graded).
    for student in ("mangled", "widgets"):
        scores = run.scores(student)
        assert {g: scores[g] for g in points} == points, (student, run.notes(student))
        assert float(rows[student]["raw_score"]) == pytest.approx(full)
    # An invalid notebook and tampered tests earn nothing.
    for student in ("badjson", "altered_blank"):
        assert float(rows[student]["raw_score"]) == 0.0, (student, run.notes(student))
    assert all(run.scores("altered_blank")[g] == 0 for g in points)
    assert "invalid JSON" in run.notes("badjson")
    log = (run.root / "work" / "runs" / run.name / "altered_blank" / "autograde.log").read_text()
    assert "Attribute 'checksum'" in log and "has changed" in log, log  # an edited test cell is named
    mangled = run.notes("mangled")
    assert "deleted" in mangled and "duplicated" in mangled and "altered" in mangled, mangled
    assert "badjson" in run.proc.stdout
    # Interactive widgets and input() neither hang nor cost points; nothing hit a limit.
    assert "limit" not in run.notes("widgets") and "kernel died" not in run.notes("widgets"), run.notes("widgets")
    assert "StdinNotImplementedError" in _outputs(run.autograded("widgets"))  # the cell ran to its end
    # An infinite loop (in the hostile notebook) is stopped by the per-cell limit and named.
    assert "per-cell time limit" in run.notes("hostile"), run.notes("hostile")


_RELEASES: dict[Path, tuple[Path, dict[Path, bytes]]] = {}


def released_twice(source: Path, out: Path) -> tuple[Path, dict[Path, bytes]]:
    """``tools/release.py`` of every assignment of ``source`` into ``out``, then again over it.

    Returns the folder and the files of the first release; the second must leave them unchanged.
    One release of the whole course per worker (the tests of a course share one), not one per
    assignment.
    """
    if source not in _RELEASES:
        command = [sys.executable, "tools/release.py", "--source", str(source), "--release", str(out)]
        subprocess.run(command, cwd=REPO, check=True, capture_output=True)
        first = {p: p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
        subprocess.run(command, cwd=REPO, check=True, capture_output=True)
        second = {p: p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
        assert second == first, f"a second release changed {sorted(set(first.items()) ^ set(second.items()))[:3]}"
        _RELEASES[source] = out, first
    return _RELEASES[source]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_is_fresh_idempotent_and_leak_free(assignment, tmp_path_factory):
    source, name = assignment
    out, first = released_twice(source, tmp_path_factory.mktemp("fresh"))
    nb_path = out / name / source_notebook(source, name).name
    assert nb_path in first, f"the release of {name} has no {nb_path.name}"
    snippets = hidden_snippets(read_source(source_notebook(source, name)))
    assert snippets, "the source has no hidden tests or solutions to check against"
    text = nb_path.read_text()
    assert leaks(text, snippets) == []
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
        assert marker not in text
    if source == SOLUTIONS:
        committed = REPO / "exercises" / name
        assert committed.is_dir(), f"exercises/{name} is missing: run make release"
        cmp = filecmp.dircmp(out / name, committed)
        assert not (cmp.diff_files or cmp.left_only or cmp.right_only), \
            f"exercises/{name} differs from a fresh make release: {cmp.diff_files + cmp.left_only + cmp.right_only}"
        for path in committed.rglob("*.ipynb"):
            assert leaks(path.read_text(), snippets) == []


def test_release_rejects_a_malformed_source(tmp_path):
    source = tmp_path / "solutions"
    (source / "01-broken").mkdir(parents=True)
    (source / "01-broken" / "broken.ipynb").write_text('{"cells": [')
    proc = subprocess.run([sys.executable, "tools/release.py", "--source", str(source), "--release",
                           str(tmp_path / "out")], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 1
    assert "broken.ipynb" in proc.stderr and "invalid JSON" in proc.stderr
    assert not (tmp_path / "out" / "01-broken").exists()


def test_make_grade_arguments_are_checked(tmp_path):
    def run(*args):
        return subprocess.run(["make", "--no-print-directory", "grade", *args], cwd=REPO,
                              capture_output=True, text=True)
    proc = run(f"GRADES={tmp_path / 'g.csv'}")
    assert proc.returncode != 0 and "SUBMISSIONS is missing" in proc.stderr
    proc = run(f"SUBMISSIONS={tmp_path}")
    assert proc.returncode != 0 and "GRADES is missing" in proc.stderr
    proc = run(f"SUBMISSIONS={tmp_path / 'nope'}", f"GRADES={tmp_path / 'g.csv'}")
    assert proc.returncode != 0 and "not a directory" in proc.stderr
    proc = subprocess.run([sys.executable, "-m", "mlgrade", "grade", "--submissions", str(tmp_path / "nope"),
                           "--grades", str(tmp_path / "g.csv")], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 2 and "does not exist" in proc.stderr
    proc = subprocess.run([sys.executable, "-m", "mlgrade", "grade", "--grades", "g.csv"], cwd=REPO,
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "--submissions" in proc.stderr
    (tmp_path / "subs" / "ana" / "not-an-assignment").mkdir(parents=True)
    proc = run(f"SUBMISSIONS={tmp_path / 'subs'}", f"GRADES={tmp_path / 'g.csv'}",
               f"DB_URL=sqlite:///{tmp_path / 'gb.db'}", f"WORK={tmp_path / 'work'}")
    assert proc.returncode != 0 and "holds no submission of an assignment" in proc.stderr \
        and "01-limits" in proc.stderr, proc.stderr


def test_assignments_are_discovered():
    assert assignments(SOLUTIONS) == sorted(p.name for p in SOLUTIONS.iterdir()
                                            if p.is_dir() and any(p.glob("*.ipynb")))


def test_a_sqlite_gradebook_folder_is_created(tmp_path):
    """A gradebook path whose folder does not exist yet (a fresh clone's _grading/) is created."""
    from mlgrade.paths import ensure_sqlite_folder

    ensure_sqlite_folder(f"sqlite:///{tmp_path / 'new' / 'deeper' / 'gradebook.db'}")
    assert (tmp_path / "new" / "deeper").is_dir()
    ensure_sqlite_folder("postgresql+psycopg2://grader@/gradebook")  # not a file: nothing to do


def test_grading_stops_when_the_sandbox_cannot_start(tmp_path):
    """No bwrap on PATH: a clear error and nothing graded, unless --unsafe-no-sandbox is given."""
    (tmp_path / "subs" / "amy").mkdir(parents=True)
    env = {"PATH": str(REPO / ".venv" / "bin"), "HOME": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-m", "mlgrade", "grade", "--submissions", str(tmp_path / "subs"),
                           "--grades", str(tmp_path / "g.csv"), "--db-url", f"sqlite:///{tmp_path / 'gb.db'}",
                           "--work", str(tmp_path / "work")], cwd=REPO, capture_output=True, text=True, env=env)
    assert proc.returncode == 1
    assert "bwrap" in proc.stderr and "--unsafe-no-sandbox" in proc.stderr and "nothing ran unsandboxed" in proc.stderr
    assert not (tmp_path / "g.csv").exists()


@pytest.mark.slow
@pytest.mark.xdist_group("grading-fixture")
def test_notebook_wall_clock_limit_keeps_completed_parts(tmp_path):
    """Slow cells after the first part: the notebook's clock runs out, part 1 keeps its point."""
    import nbformat

    from conftest import FIXTURES, make_grade, part_scores, reference, submit

    nb = reference(FIXTURES, "00-fixture")
    first_test = next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade"))
    for _ in range(4):  # 20 s of sleep against a 15 s clock: part 1 is done long before, even on a busy machine
        nb.cells.insert(first_test + 1, nbformat.v4.new_code_cell("import time\ntime.sleep(5)"))
    submit(tmp_path / "subs", "slow", "00-fixture", nb, "fixture.ipynb")
    proc = make_grade(tmp_path / "subs", tmp_path / "g.csv", FIXTURES, tmp_path, "--cell-timeout=8",
                      "--notebook-timeout=15", jobs=1)
    scores = part_scores(tmp_path, "slow", "00-fixture")
    assert scores["part1_tests"] == 1 and scores["part2_tests"] == 0
    assert "wall-clock limit (15 s)" in proc.stdout, proc.stdout


@pytest.mark.slow
@pytest.mark.xdist_group("grading-fixture")
def test_a_reference_that_fails_in_the_sandbox_stops_grading(tmp_path):
    """The canary: a set-up in which the reference cannot pass (here it reads a file the sandbox
    hides, as a broken mlcalc install would fail to import) grades nobody and says why."""
    import shutil

    import nbformat

    from conftest import FIXTURES, make_grade, reference, submit

    source = tmp_path / "source"
    shutil.copytree(FIXTURES / "00-fixture", source / "00-fixture")
    path = source / "00-fixture" / "fixture.ipynb"
    nb = nbformat.read(str(path), as_version=4)
    first = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution"))
    first.source = f"open({str(REPO / 'README.md')!r}).read()\n" + first.source
    nbformat.write(nb, str(path))
    submit(tmp_path / "subs", "honest", "00-fixture", reference(FIXTURES, "00-fixture"), "fixture.ipynb")
    proc = make_grade(tmp_path / "subs", tmp_path / "g.csv", source, tmp_path, check=False)
    assert proc.returncode != 0, proc.stdout
    assert "reference solution of 00-fixture scored 2 of 3" in proc.stderr, proc.stderr
    assert "No such file or directory" in proc.stderr and "before any student was graded" in proc.stderr
    assert not (tmp_path / "g.csv").exists()
    assert "graded honest" not in proc.stdout
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}", "mlcalc") as gb:
        with pytest.raises(MissingEntry):
            gb.find_submission("00-fixture", "honest")


def test_gradebook_migration_head_is_read_in_process_as_alembic_prints_it(tmp_path):
    """prepare_nbgrader() answers nbgrader's ``alembic heads`` subprocess in-process: same revision."""
    import os

    from nbgrader.api import Gradebook, _temp_alembic_ini
    from sqlalchemy import text

    from mlgrade import alembic_head

    env = dict(os.environ, PATH=str(REPO / ".venv" / "bin") + os.pathsep + os.environ.get("PATH", ""))
    with _temp_alembic_ini(f"sqlite:///{tmp_path / 'probe.db'}") as ini:
        printed = subprocess.run(["alembic", "-c", ini, "heads"], capture_output=True, text=True, env=env,
                                 check=True).stdout.split()[0]
    assert alembic_head() == printed
    with Gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}", "mlcalc") as gb:
        written = gb.db.execute(text("SELECT version_num FROM alembic_version")).scalar()
    assert written == printed
