"""Grade a folder of submissions: parallel workers, one merge point, resumable, then export.

``grade()`` is what ``make grade`` runs. The submissions folder is only read.
Work happens under ``<work>`` (default ``_grading/work/<hash of the gradebook URL>``):

* ``templates/<assignment>/``: the assignment generated once per run by nbgrader
  (source copy, release, a template gradebook);
* ``runs/<assignment>/<student>/``: one worker's private course, sandbox and
  ``result.json`` (a :class:`mlgrade.results.GradeResult`, kept for ``make feedback``);
* ``ledger.json``: which (student, assignment) is already merged, with a digest
  of the submission, the source and the limits. A rerun after an interruption
  grades only what is missing or changed.

Workers write only their private gradebooks; the parent merges each result
into the course gradebook itself, under a lock, one at a time, then records it
in the ledger; ``report.json`` holds every result of the run. Workers run
locally (:class:`mlgrade.pool.WorkerPool`) or on a Dask cluster
(:class:`mlgrade.cluster.DaskRunner`), both :class:`mlgrade.results.Runner`.
The CSV comes from nbgrader's own ``CsvExportPlugin``.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from .course import COURSE_ID, CourseError, assignments, generate, notebooks
from .limits import Limits
from .paths import default_db_url, default_work, ensure_sqlite_folder  # noqa: F401 (re-exported)
from .results import NO_SUBMISSION, FormatError, GradeResult, Runner, WorkerSpec, write_report
from .sandbox import SandboxError, check_sandbox

UID_BASE = 200000


def _sandbox_uid() -> int:
    """A fresh unprivileged uid for one sandbox.

    RLIMIT_NPROC counts every process of a uid on the machine: two sandboxes
    sharing a uid (two grading runs at once, say) would share one budget, and a
    fork bomb in one would starve the other. A random uid out of about two
    billion makes that practically impossible; nothing on the system owns them.
    """
    return UID_BASE + secrets.randbelow(2 ** 31 - UID_BASE - 1)


def _digest_tree(path: Path | None) -> str:
    if path is None or not path.is_dir():
        return "missing"
    h = hashlib.sha256()
    for file in sorted(path.rglob("*")):
        if file.is_file() and not file.is_symlink():
            h.update(str(file.relative_to(path)).encode() + b"\0" + file.read_bytes() + b"\0")
    return h.hexdigest()


def _write_json(path: Path, data: object) -> None:
    """Replace ``path`` by ``data`` as JSON in one step (a kill never leaves half a file)."""
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True))
    os.replace(tmp, path)


@dataclass
class Outcome:
    """What a run did: results per (student, assignment), and what was skipped as already graded."""

    results: dict[tuple[str, str], GradeResult] = field(default_factory=dict)
    pending: list[str] = field(default_factory=list)
    reused: int = 0
    graded: int = 0
    seconds: float = 0.0


class Ledger:
    """A JSON file of merged (student, assignment) digests, rewritten atomically after each merge."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.data: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}

    def done(self, key: str, digest: str) -> bool:
        return self.data.get(key) == digest

    def record(self, key: str, digest: str) -> None:
        self.data[key] = digest
        _write_json(self.path, self.data)


def merge(db_url: str, result: GradeResult, answers: AnswerDigests | None = None) -> None:
    """Write one worker's scores into the course gradebook, keeping manual scores.

    A manually graded answer that already has a manual score and changed since
    (a resubmission) keeps that score but is flagged ``needs_manual_grade``
    again, so formgrader lists it and the export counts it as pending.
    """
    from nbgrader.api import Gradebook

    assignment, student = result.assignment, result.student
    with Gradebook(db_url, COURSE_ID) as gb:
        gb.update_or_create_student(student)
        kwargs = {}
        if result.timestamp:
            kwargs["timestamp"] = datetime.fromisoformat(result.timestamp)
        submission = gb.update_or_create_submission(assignment, student, **kwargs)
        for notebook in submission.notebooks:
            notebook.late_submission_penalty = result.late_penalty.get(notebook.name)
            for grade in notebook.grades:
                key = f"{notebook.name}/{grade.name}"
                got = result.grades.get(key)
                if got is not None:
                    grade.auto_score = got.auto_score
                    if grade.manual_score is None:
                        grade.needs_manual_grade = got.needs_manual_grade
                    elif answers is not None and answers.changed(student, assignment, key, result):
                        grade.needs_manual_grade = True
                        result.notes.append(
                            f"{key}: the written answer changed since it was graded by hand; "
                            f"flagged for grading again (the old manual score is kept until then)")
                elif grade.cell_type == "code":
                    grade.auto_score = 0.0  # the worker failed: nothing earned
                    grade.needs_manual_grade = False
        gb.db.commit()
    if answers is not None:
        answers.record(student, assignment, result)


class AnswerDigests:
    """Digests of the manually graded answers last merged (``answers.json`` in the work folder)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.data: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}

    def changed(self, student: str, assignment: str, key: str, result: GradeResult) -> bool:
        old = self.data.get(f"{student}/{assignment}/{key}")
        new = result.answers.get(key)
        return old is not None and new is not None and old != new

    def record(self, student: str, assignment: str, result: GradeResult) -> None:
        for key, digest in result.answers.items():
            self.data[f"{student}/{assignment}/{key}"] = digest
        _write_json(self.path, self.data)


def pending_manual(db_url: str, students: list[str], names: list[str]) -> list[str]:
    """``student/assignment/notebook/part`` of every answer that awaits grading by hand."""
    from nbgrader.api import Gradebook, MissingEntry

    pending = []
    with Gradebook(db_url, COURSE_ID) as gb:
        for student in students:
            for name in names:
                try:
                    submission = gb.find_submission(name, student)
                except MissingEntry:
                    continue
                for notebook in submission.notebooks:
                    pending += [f"{student}/{name}/{notebook.name}/{grade.name}"
                                for grade in notebook.grades if grade.needs_manual_grade]
    return sorted(pending)


def publish_autograded(run_dir: Path, work: Path, student: str, assignment: str) -> None:
    """Copy a run's autograded notebooks to ``<work>/autograded/<student>/<assignment>/``, where
    nbgrader's formgrader (``make formgrader``) shows them for manual grading."""
    import shutil

    graded = run_dir / "course" / "autograded" / student / assignment
    target = work / "autograded" / student / assignment
    if target.exists():
        shutil.rmtree(target)
    if graded.is_dir():
        shutil.copytree(graded, target)
        for path in target.rglob("*"):
            path.chmod(0o755 if path.is_dir() else 0o644)


def export(db_url: str, grades_csv: Path, students: list[str], names: list[str]) -> None:
    from nbgrader.api import Gradebook
    from nbgrader.plugins import CsvExportPlugin

    grades_csv.parent.mkdir(parents=True, exist_ok=True)
    plugin = CsvExportPlugin(to=str(grades_csv), student=students, assignment=names)
    with Gradebook(db_url, COURSE_ID) as gb:
        for student in students:
            gb.update_or_create_student(student)
        plugin.export(gb)


def prepare_templates(source_dir: Path, names: list[str], work: Path, db_url: str) -> dict[str, str]:
    """Generate each assignment's template and register it in the course gradebook; return source digests."""
    digests = {}
    stamp_file = work / "sources.json"
    stamps = json.loads(stamp_file.read_text()) if stamp_file.exists() else {}
    for name in names:
        digest = _digest_tree(source_dir / name)
        digests[name] = digest
        template = work / "templates" / name
        if stamps.get(name) == digest and (template / "gradebook.db").exists():
            continue
        if template.exists():
            import shutil
            shutil.rmtree(template)
        template.mkdir(parents=True)
        generate(source_dir, name, template, f"sqlite:///{template / 'gradebook.db'}")
        generate(source_dir, name, work / "course-db", db_url)
        stamps[name] = digest
        _write_json(stamp_file, stamps)
    return digests


CANARY = "canary-reference"


class CanaryError(CourseError):
    """The reference solution did not score full marks in the sandbox: nobody was graded."""


def _first_error(autograded: Path) -> str:
    """The first error output of the autograded notebooks in ``autograded`` (``ename: evalue``)."""
    import nbformat

    for path in sorted(autograded.glob("*.ipynb")):
        for cell in nbformat.read(str(path), as_version=4).cells:
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    return f"{path.name}: {output.get('ename')}: {str(output.get('evalue'))[:300]}"
    return ""


def canary_problem(source_dir: Path, name: str, result: GradeResult, run_dir: Path) -> str | None:
    """Why the reference solution's result is not full marks on every auto-graded part (None if it is)."""
    from .course import parts, read_source

    expected = {f"{nb.stem}/{p.grade_id}": p.points for nb in notebooks(source_dir, name)
                for p in parts(read_source(nb)) if p.auto}
    got = {key: result.grades[key].auto_score if key in result.grades else None for key in expected}
    short = {key: got[key] for key in expected if got[key] != expected[key]}
    if not short and not result.error:
        return None
    earned = sum(v or 0 for v in got.values())
    why = result.error or _first_error(run_dir / "course" / "autograded" / CANARY / name) \
        or "; ".join(result.notes)
    return (f"the reference solution of {name} scored {earned:g} of {sum(expected.values()):g} auto-graded "
            f"points in the sandbox (short on {sorted(short)}); first error: {why or 'none reported'}")


def _earlier_result(path: Path, log) -> GradeResult | None:
    """The result an earlier run recorded at ``path``, or None: then the submission is graded again
    (and a file this mlgrade cannot read is named)."""
    if not path.exists():
        return None
    try:
        return GradeResult.read(path)
    except FormatError as exc:
        log(f"{exc}: graded again")
        return None


def _submitted(folder: Path) -> bool:
    """Whether ``folder`` (``<student>/<assignment>``) is a submission: a real folder, never a symlink."""
    return folder.is_dir() and not folder.is_symlink()


def open_runner(scheduler: str | None, jobs: int, *, unsafe_no_sandbox: bool) -> Runner:
    """The Dask cluster at ``scheduler`` (all its worker threads), or else ``jobs`` local worker processes."""
    if scheduler:
        from .cluster import DaskRunner

        return DaskRunner(scheduler, unsafe_no_sandbox=unsafe_no_sandbox)
    from .pool import WorkerPool

    return WorkerPool(jobs)


def grade(submissions: Path, grades_csv: Path, *, source_dir: Path, db_url: str, jobs: int,
          limits: Limits, unsafe_no_sandbox: bool = False, work: Path | None = None,
          scheduler: str | None = None, log=print) -> Outcome:
    """Autograde every ``submissions/<student>/<assignment>/`` and export the grades to ``grades_csv``:
    one row per student and assignment that at least one student submitted (0 where that student did not).

    With ``scheduler`` (``tcp://host:port``) the submissions are graded on that
    Dask cluster (:mod:`mlgrade.cluster`), as many at once as it has threads;
    otherwise by ``jobs`` local worker processes.
    """
    start = time.monotonic()
    if not submissions.is_dir():
        raise CourseError(f"submissions folder {submissions} does not exist")
    names = assignments(source_dir)
    if not names:
        raise CourseError(f"no assignment (a folder with a notebook) in {source_dir}")
    work = work or default_work(db_url)
    work.mkdir(parents=True, exist_ok=True)
    ensure_sqlite_folder(db_url)
    if not unsafe_no_sandbox and not scheduler:
        try:
            check_sandbox(work / "sandbox-check")
        except SandboxError as exc:
            raise SandboxError(f"{exc}\nGrading stopped: nothing ran unsandboxed. Fix the sandbox, or pass "
                               f"--unsafe-no-sandbox (make grade UNSANDBOXED=1) to run student code with "
                               f"your own rights.") from None
    students = sorted(p.name for p in submissions.iterdir() if p.is_dir() and not p.name.startswith("."))
    # The assignments someone submitted: only they are prepared, graded and exported (a run for
    # 01-limits neither generates ten other templates nor exports ten columns of zeros).
    names = [name for name in names if any(_submitted(submissions / student / name) for student in students)]
    if not names:
        raise CourseError(f"{submissions} holds no submission of an assignment of {source_dir}: expected "
                          f"<student>/<assignment>/<notebook>.ipynb with <assignment> one of "
                          f"{', '.join(assignments(source_dir))}")
    digests = prepare_templates(source_dir, names, work, db_url)
    ledger = Ledger(work / "ledger.json")
    answers = AnswerDigests(work / "answers.json")
    lock = threading.Lock()
    outcome = Outcome()
    tasks = []
    # Before any student's result counts, each assignment's reference solution is graded in the
    # same sandbox (first in the queue; students' results wait for it). If it does not score
    # full marks, the set-up is broken (mlcalc not importable in the sandbox, say), and grading
    # stops before anything is merged: a broken sandbox never scores everyone 0.
    canaries: dict[str, threading.Event] = {}
    failures: dict[str, str] = {}
    for student in students:
        for name in names:
            folder = submissions / student / name
            folder = folder if _submitted(folder) else None
            digest = hashlib.sha256(f"{digests[name]}|{_digest_tree(folder)}|{limits.as_env()}|"
                                    f"{unsafe_no_sandbox}".encode()).hexdigest()
            key = f"{student}/{name}"
            run_dir = work / "runs" / name / student
            earlier = _earlier_result(run_dir / "result.json", log) if ledger.done(key, digest) else None
            if earlier is not None:
                outcome.results[(student, name)] = earlier
                outcome.reused += 1
            elif folder is None:
                outcome.results[(student, name)] = GradeResult(name, student, notes=[NO_SUBMISSION])
                with lock:
                    ledger.record(key, digest)
            else:
                def task(run: Path, who: str, submitted: Path) -> WorkerSpec:
                    return WorkerSpec(work=run, assignment=name, student=who, template=work / "templates" / name,
                                      limits=limits, uid=_sandbox_uid(), submission=submitted.resolve(),
                                      unsafe_no_sandbox=unsafe_no_sandbox)

                timeout = limits.notebook_timeout * max(1, len(notebooks(source_dir, name))) \
                    + limits.cell_timeout + 60
                if name not in canaries:
                    canaries[name] = threading.Event()
                    tasks.insert(len(canaries) - 1,
                                 (None, None, task(work / "canary" / name, CANARY, source_dir / name), timeout))
                tasks.append((key, digest, task(run_dir, student, folder), timeout))
    with lock:
        from nbgrader.api import Gradebook
        with Gradebook(db_url, COURSE_ID) as gb:
            for student in students:
                gb.update_or_create_student(student)

    runner: Runner | None = None
    if tasks:
        # Local grading processes are forked from here (mlgrade.pool): no thread of this run has started yet.
        runner = open_runner(scheduler, min(jobs, len(tasks)), unsafe_no_sandbox=unsafe_no_sandbox)
        jobs = runner.slots
        if scheduler:
            log(f"grading {len(tasks)} submission(s) on the Dask cluster at {scheduler} ({jobs} worker threads)")

    def one(task):
        key, digest, spec, timeout = task
        name = spec.assignment
        if failures:
            return
        if key is None:  # the canary of assignment ``name``
            try:
                result = runner.run(spec, timeout)
                problem = canary_problem(source_dir, name, result, spec.work)
            except Exception as exc:  # never leave the students' tasks waiting
                problem = f"grading the reference solution of {name} failed: {exc}"
            if problem:
                failures[name] = problem
            else:
                log(f"canary: the reference solution of {name} scores full marks in the sandbox")
            canaries[name].set()
            return
        result = runner.run(spec, timeout)
        canaries[name].wait()
        if failures:
            return
        # The merge runs in its own thread, so this worker grades its next submission meanwhile.
        merges.append(merger.submit(commit, key, digest, spec, result))

    def commit(key, digest, spec, result):
        with lock:
            merge(db_url, result, answers)
            publish_autograded(spec.work, work, spec.student, spec.assignment)
            if not result.retry:  # a lost Dask worker: graded again by the next run
                ledger.record(key, digest)
            outcome.results[(spec.student, spec.assignment)] = result
            outcome.graded += 1
            log(f"graded {key}: {result.auto_total:g} points ({result.error or 'ok'})")

    merger = ThreadPoolExecutor(max_workers=1)  # one merge at a time, in order of completion
    merges: list = []
    if tasks:
        try:
            with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
                list(pool.map(one, tasks))
        finally:
            merger.shutdown(wait=True)
            if runner:
                runner.close()
    for done in merges:
        done.result()  # a merge that failed is an error of the run, never a silently lost grade
    if failures:
        raise CanaryError(
            "Grading stopped before any student was graded (nothing was merged or exported):\n  "
            + "\n  ".join(failures[name] for name in sorted(failures))
            + "\nThe reference solution must earn every auto-graded point where the students' work runs; here "
              "it does not, so honest students would lose points too. Check that "
              "mlcalc is importable inside the sandbox from this checkout (the virtual environment must "
              "install mlcalc from this repository: rm -rf .venv && make venv), and that the reference "
              "solution passes its own tests.")
    export(db_url, grades_csv, students, names)
    outcome.pending = pending_manual(db_url, students, names)
    write_report(work / "report.json", outcome.results)
    outcome.seconds = time.monotonic() - start
    return outcome
