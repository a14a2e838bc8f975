"""Shared helpers of the grading tests: every assignment of solutions/, plus a small fixture.

Tests are parametrised over :data:`ASSIGNMENTS`, so a new ``solutions/NN-topic``
folder is covered without touching them. Grading runs through ``make grade``
with a private gradebook and work folder under pytest's ``tmp_path``.
"""

from __future__ import annotations

import copy
import csv
import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from mlgrade import prepare_nbgrader  # noqa: E402
from mlgrade.course import assignments, hidden_snippets, notebooks, parts, read_source  # noqa: E402

prepare_nbgrader()  # the tests open gradebooks themselves, as the entry points do

FIXTURES = REPO / "tests" / "grading" / "fixtures" / "solutions"
SOLUTIONS = REPO / "solutions"

# Tests of one course share a worker (and its cached grading run, see ``graded``).
ASSIGNMENTS = [pytest.param((SOLUTIONS, name), id=name, marks=pytest.mark.xdist_group("grading-solutions"))
               for name in assignments(SOLUTIONS)] + \
    [pytest.param((FIXTURES, name), id=f"fixture-{name}", marks=pytest.mark.xdist_group("grading-fixture"))
     for name in assignments(FIXTURES)]
def _has_manual_part(source: Path, name: str) -> bool:
    return any(not p.auto for nb in notebooks(source, name) for p in parts(read_source(nb)))


# Assignments with a manually graded (written) part.
MANUAL = [p for p in ASSIGNMENTS if _has_manual_part(*p.values[0])]
# The fixture course, where the grader's own properties are tested (the whole corpus).
FIXTURE_COURSE = [p for p in ASSIGNMENTS if p.id.startswith("fixture-")]
CELL_TIMEOUT = 15

EXPORT_COLUMNS = ["assignment", "duedate", "timestamp", "student_id", "last_name", "first_name", "email",
                  "raw_score", "late_submission_penalty", "score", "max_score"]


def source_notebook(source: Path, name: str) -> Path:
    found = notebooks(source, name)
    assert found, f"no notebook in {source / name}"
    return found[0]


def release(source: Path, name: str, out: Path) -> Path:
    """A fresh release of ``source`` into ``out`` (tools/release.py); returns the notebook of ``name``."""
    if not (out / name).exists():
        subprocess.run([sys.executable, "tools/release.py", "--source", str(source), "--release", str(out),
                        "--assignment", name], cwd=REPO, check=True, capture_output=True, text=True)
    return out / name / source_notebook(source, name).name


def auto_points(nb_path: Path) -> dict[str, float]:
    return {p.grade_id: p.points for p in parts(read_source(nb_path)) if p.auto}


def total_points(nb_path: Path) -> float:
    return sum(p.points for p in parts(read_source(nb_path)))


def submit(root: Path, student: str, name: str, notebook, filename: str) -> Path:
    folder = root / student / name
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / filename
    if isinstance(notebook, (str, bytes)):
        target.write_bytes(notebook.encode() if isinstance(notebook, str) else notebook)
    else:
        nbformat.write(notebook, str(target))
    return target


def tree_digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() + oct(p.stat().st_mode)
            for p in sorted(root.rglob("*")) if p.is_file()} | \
        {str(p.relative_to(root)) + "/": oct(p.stat().st_mode) for p in sorted(root.rglob("*")) if p.is_dir()}


def make_grade(subs: Path, grades: Path, source: Path, tmp: Path, *extra: str, jobs: int = 2,
               check: bool = True, timeout: float = 900) -> subprocess.CompletedProcess:
    opts = " ".join(extra)
    cmd = ["make", "--no-print-directory", "grade", f"SUBMISSIONS={subs}", f"GRADES={grades}", f"SOURCE={source}",
           f"DB_URL=sqlite:///{tmp / 'gradebook.db'}", f"WORK={tmp / 'work'}", f"JOBS={jobs}",
           f"GRADE_OPTS={opts}"]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=timeout)
    if check:
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


def read_grades(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == EXPORT_COLUMNS
        return list(reader)


def report(tmp: Path) -> dict:
    return json.loads((tmp / "work" / "report.json").read_text())


def part_scores(tmp: Path, student: str, name: str) -> dict[str, float | None]:
    result = report(tmp)[f"{student}/{name}"]
    return {g["grade_id"]: g["auto_score"] for g in result["grades"].values()}


def reference(source: Path, name: str):
    """The instructor's notebook as a student's submission (solutions in place)."""
    return nbformat.read(str(source_notebook(source, name)), as_version=4)


def with_cell(nb, index: int, source: str):
    nb = copy.deepcopy(nb)
    nb.cells.insert(index, nbformat.v4.new_code_cell(source))
    return nb


def first_solution_index(nb) -> int:
    return next(i for i, c in enumerate(nb.cells)
                if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution"))


class CourseRun:
    """One grading run of the corpus of every assignment of a course, and its feedback.

    One ``make grade`` and one ``make feedback`` for all the assignments of ``source`` (solutions/:
    11 assignments, 4 students each; the fixture: the whole corpus), so the grader's start-up, the
    release and the feedback report are paid once per course, not once per assignment.
    """

    def __init__(self, source: Path, root: Path, names: list[str]) -> None:
        from corpus import build

        self.names = names
        self.root = root
        # The course's own copy: grading prepares (generates) its templates there.
        shutil.copytree(source, root / "source", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        self.source = root / "source"
        self.subs = root / "submissions"
        subprocess.run([sys.executable, "tools/release.py", "--source", str(self.source), "--release",
                        str(root / "release"), "--assignment", *self.names], cwd=REPO, check=True,
                       capture_output=True, text=True)
        self.cases: dict[str, dict] = {}
        for name in self.names:
            src_nb = source_notebook(self.source, name)
            blank = nbformat.read(str(root / "release" / name / src_nb.name), as_version=4)
            paths = [str(REPO / "solutions"), str(src_nb), str(REPO / "_grading"), str(root / "gradebook.db"),
                     str(root), str(self.subs / "ref" / name / src_nb.name), "/root", str(REPO / "mlgrade"),
                     str(root / "work" / "runs" / name / "ref"), str(root / "work" / "templates")]
            self.cases[name] = build(reference(self.source, name), blank, src_nb.read_text(), paths, str(REPO),
                                     grader_properties=source == FIXTURES)
            for student, nb in self.cases[name].items():
                submit(self.subs, student, name, nb, src_nb.name)
        (self.subs / "absent").mkdir()
        self.before = tree_digest(self.subs)
        self.grades = root / "grades.csv"
        self.proc = make_grade(self.subs, self.grades, self.source, root, f"--cell-timeout={CELL_TIMEOUT}")
        self.after = tree_digest(self.subs)
        self.report = report(root)
        self.feedback = root / "feedback"
        self.feedback_proc = subprocess.run(
            ["make", "--no-print-directory", "feedback", f"SOURCE={self.source}", f"WORK={root / 'work'}",
             f"DB_URL=sqlite:///{root / 'gradebook.db'}", f"FEEDBACK={self.feedback}"],
            cwd=REPO, capture_output=True, text=True)


class Run:
    """One assignment's part of a :class:`CourseRun`: its submissions, scores, notes and reports."""

    def __init__(self, course: CourseRun, name: str) -> None:
        self.course, self.name, self.root = course, name, course.root
        self.source, self.subs, self.grades = course.source, course.subs, course.grades
        self.proc, self.report, self.feedback, self.feedback_proc = (course.proc, course.report, course.feedback,
                                                                     course.feedback_proc)
        self.src_nb = source_notebook(course.source, name)
        self.filename = self.src_nb.name
        self.points = auto_points(self.src_nb)
        self.cases = course.cases[name]
        self.before, self.after = course.before, course.after  # the whole submissions folder

    def scores(self, student: str) -> dict[str, float | None]:
        return part_scores(self.root, student, self.name)

    def notes(self, student: str) -> str:
        result = self.report[f"{student}/{self.name}"]
        return " | ".join(result["notes"] + [result["error"] or ""])

    def autograded(self, student: str) -> Path:
        return (self.root / "work" / "runs" / self.name / student / "course" / "autograded" / student / self.name
                / self.filename)

    def feedback_files(self) -> list[Path]:
        return sorted(self.feedback.glob(f"*/{self.name}.html"))


_COURSES: dict[Path, CourseRun] = {}


@pytest.fixture
def graded(request, tmp_path_factory) -> Run:
    """The assignment this test is parametrised with, in its course's (cached) grading run.

    The run grades the assignments of that course which the session's selected tests ask for (all of
    them in ``make test``; one with ``-k 01-limits``, as ``make test-fast`` does).
    """
    source, name = request.param
    if source not in _COURSES:
        wanted = sorted({item.callspec.params["graded"][1] for item in request.session.items
                         if "graded" in getattr(getattr(item, "callspec", None), "params", {})
                         and item.callspec.params["graded"][0] == source})
        _COURSES[source] = CourseRun(source, tmp_path_factory.mktemp(f"graded-{source.parent.name}"), wanted)
    return Run(_COURSES[source], name)


__all__ = ["ASSIGNMENTS", "FIXTURE_COURSE", "MANUAL", "hidden_snippets", "read_source"]
