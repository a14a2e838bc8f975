"""Round trips through ``make release`` and ``make grade`` for every assignment.

One grading run per assignment holds the reference solution, the blank
release, and the malformed or tampered variants of priority 1 (invalid JSON,
deleted, duplicated and altered cells, an infinite loop), next to a student
with no submission. Grades must come from the instructor's tests and points.
"""

from __future__ import annotations

import copy
import filecmp
import subprocess
import sys

import nbformat
import pytest

from conftest import (ASSIGNMENTS, REPO, SOLUTIONS, auto_points, first_solution_index, hidden_snippets,
                      make_grade, part_scores, read_grades, read_source, reference, release, report,
                      source_notebook, submit, total_points, tree_digest, with_cell)
from mlgrade.course import assignments, leaks


def _test_cells(nb):
    return [i for i, c in enumerate(nb.cells) if c.cell_type == "code"
            and c.metadata.get("nbgrader", {}).get("grade") and not c.metadata["nbgrader"].get("solution")]


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_grade_round_trip_and_robustness(assignment, tmp_path):
    source, name = assignment
    src_nb = source_notebook(source, name)
    filename = src_nb.name
    points = auto_points(src_nb)
    assert len(points) >= 2
    blank = nbformat.read(str(release(source, name, tmp_path / "release")), as_version=4)
    ref = reference(source, name)
    subs = tmp_path / "submissions"

    submit(subs, "ref", name, ref, filename)
    submit(subs, "blank", name, blank, filename)
    submit(subs, "badjson", name, src_nb.read_text()[:-40], filename)
    tests = _test_cells(ref)
    deleted = copy.deepcopy(ref)
    del deleted.cells[tests[0]]
    submit(subs, "deleted", name, deleted, filename)
    duplicated = copy.deepcopy(ref)
    fake = copy.deepcopy(duplicated.cells[tests[-1]])
    fake.source = "pass"
    duplicated.cells.insert(tests[-1], fake)
    duplicated.cells.append(copy.deepcopy(fake))
    submit(subs, "duplicated", name, duplicated, filename)
    altered_blank = copy.deepcopy(blank)
    altered_ref = copy.deepcopy(ref)
    for nb in (altered_blank, altered_ref):
        for i in _test_cells(nb):
            nb.cells[i].metadata["nbgrader"]["points"] = 100
            nb.cells[i].metadata["nbgrader"]["checksum"] = "0" * 32
            nb.cells[i].source = "pass"
    submit(subs, "altered_blank", name, altered_blank, filename)
    submit(subs, "altered_ref", name, altered_ref, filename)
    looping = with_cell(ref, tests[-1], "while True:\n    pass")
    submit(subs, "looping", name, looping, filename)
    (subs / "absent").mkdir()
    before = tree_digest(subs)

    grades = tmp_path / "grades.csv"
    proc = make_grade(subs, grades, source, tmp_path, "--cell-timeout=10")
    assert tree_digest(subs) == before, "grading modified the submissions folder"

    rows = {r["student_id"]: r for r in read_grades(grades) if r["assignment"] == name}
    assert sorted(rows) == sorted(["ref", "blank", "badjson", "deleted", "duplicated", "altered_blank",
                                   "altered_ref", "looping", "absent"])
    full = sum(points.values())
    for row in rows.values():
        assert float(row["max_score"]) == pytest.approx(total_points(src_nb))  # manual parts included
    for student in ("ref", "deleted", "duplicated", "altered_ref", "looping"):
        scores = part_scores(tmp_path, student, name)
        assert {g: scores[g] for g in points} == points, (student, report(tmp_path)[f"{student}/{name}"])
        assert float(rows[student]["raw_score"]) == pytest.approx(full)
    for student in ("blank", "badjson", "altered_blank", "absent"):
        assert float(rows[student]["raw_score"]) == 0.0, student
    for student in ("blank", "altered_blank"):
        scores = part_scores(tmp_path, student, name)
        assert all(scores[g] == 0 for g in points), (student, scores)
    notes = report(tmp_path)
    assert any("invalid JSON" in n for n in notes[f"badjson/{name}"]["notes"])
    assert any("deleted" in n for n in notes[f"deleted/{name}"]["notes"])
    assert any("duplicated" in n for n in notes[f"duplicated/{name}"]["notes"])
    assert "badjson" in proc.stdout


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_is_fresh_idempotent_and_leak_free(assignment, tmp_path):
    source, name = assignment
    out = tmp_path / "fresh"
    nb_path = release(source, name, out)
    first = {p: p.read_bytes() for p in sorted((out / name).rglob("*")) if p.is_file()}
    subprocess.run([sys.executable, "tools/release.py", "--source", str(source), "--release", str(out)],
                   cwd=REPO, check=True, capture_output=True)
    assert {p: p.read_bytes() for p in sorted((out / name).rglob("*")) if p.is_file()} == first
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


def test_assignments_are_discovered():
    assert assignments(SOLUTIONS) == sorted(p.name for p in SOLUTIONS.iterdir()
                                            if p.is_dir() and any(p.glob("*.ipynb")))
