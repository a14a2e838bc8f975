"""Grade one student's submission of one assignment in a private nbgrader course.

Run by the parent (:mod:`mlgrade.grade`) as ``python -m mlgrade worker SPEC.json``
in its own process, so a crash or a kill touches nothing else. The private
course (``<work>/course``) has its own SQLite gradebook, a copy of the
instructor's source, and a *copy* of the submission (the instructor's folder is
never written). nbgrader's ``autograde`` runs there, with the sandboxed kernel
manager and the guard preprocessors; the result is written to
``<work>/result.json``, which the parent merges into the course gradebook.
"""

from __future__ import annotations

import copy
import shutil
import sys
import time
import traceback
import uuid
from pathlib import Path

import nbformat

from .course import COURSE_ID, nbgrader_config
from .results import GradeResult, GuardReport, PartScore, WorkerSpec

def _grade_ids(nb) -> list[str]:
    return [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("grade_id")]


def sanitize(submitted: Path, release: Path, source: Path | None = None) -> tuple[object, list[str]]:
    """Read a student's notebook, repairing what nbgrader cannot grade, with the reasons.

    Invalid JSON or an invalid notebook is replaced by the release (it scores 0,
    the reason says why); grade and solution cells the student deleted are put
    back from the release at their place, so the instructor's tests run.

    A locked cell exactly as released gets the instructor's ``source`` version
    back (with its hidden tests): nbgrader's ``OverwriteCells`` would do the same,
    but only after warning that its checksum changed, for every test cell with
    hidden tests of every submission. Warnings then fire only for cells a
    student really changed.
    """
    notes: list[str] = []
    release_nb = nbformat.read(str(release), as_version=4)
    instructor_source: dict[str, str] = {}
    if source is not None and source.is_file():
        instructor_source = {c.metadata["nbgrader"]["grade_id"]: c.source
                             for c in nbformat.read(str(source), as_version=4).cells
                             if c.metadata.get("nbgrader", {}).get("grade_id")
                             and c.metadata["nbgrader"].get("locked")}
    try:
        nb = nbformat.read(str(submitted), as_version=4)
        nbformat.validate(nb)
    except Exception as exc:  # invalid JSON, wrong schema, wrong nbformat: all unusable
        kind = "invalid JSON" if "JSON" in type(exc).__name__ or "JSON" in str(exc)[:80] else "not a valid notebook"
        notes.append(f"{submitted.name}: {kind} ({str(exc).splitlines()[0][:200]}); "
                     f"graded as the unmodified release (0 on auto-graded parts)")
        return release_nb, notes
    present = _grade_ids(nb)
    duplicated = sorted({g for g in present if present.count(g) > 1})
    if duplicated:
        notes.append(f"{submitted.name}: cells duplicated {duplicated}; the first copy of each is graded, "
                     f"other copies run as ordinary cells")
    # The instructor's metadata, whatever the student's copy says (points, checksums,
    # flags); extra or unknown nbgrader cells become ordinary cells; cell ids unique.
    instructor = {c.metadata["nbgrader"]["grade_id"]: c for c in release_nb.cells
                  if c.metadata.get("nbgrader", {}).get("grade_id")}
    seen: set[str] = set()
    ids: set[str] = set()
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader")
        grade_id = meta.get("grade_id") if isinstance(meta, dict) else None
        if grade_id in instructor and grade_id not in seen:
            seen.add(grade_id)
            reference = instructor[grade_id]
            if cell.metadata["nbgrader"] != reference.metadata["nbgrader"]:
                if any(cell.metadata["nbgrader"].get(k) != reference.metadata["nbgrader"].get(k)
                       for k in ("points", "grade", "solution", "locked")):
                    notes.append(f"{submitted.name}: nbgrader metadata of {grade_id!r} was altered; "
                                 f"the instructor's is used")
                cell.metadata["nbgrader"] = copy.deepcopy(reference.metadata["nbgrader"])
            if cell.cell_type != reference.cell_type:
                fixed = copy.deepcopy(reference)
                fixed.source = cell.source if reference.cell_type == "code" or cell.cell_type == "markdown" \
                    else reference.source
                cell.clear()
                cell.update(fixed)
        elif meta is not None:
            del cell.metadata["nbgrader"]
        if (nb.nbformat, nb.nbformat_minor) >= (4, 5):
            if cell.get("id") in ids or not cell.get("id"):
                cell["id"] = uuid.uuid4().hex[:8]
            ids.add(cell["id"])
        else:
            cell.pop("id", None)
    position = -1
    for cell in release_nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if not grade_id:
            continue
        ids = _grade_ids(nb)
        if grade_id in ids:
            position = next(i for i, c in enumerate(nb.cells)
                            if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
            continue
        nb.cells.insert(position + 1, cell)
        position += 1
        notes.append(f"{submitted.name}: cell {grade_id!r} was deleted; restored from the release")
    released = {c.metadata["nbgrader"]["grade_id"]: c.source for c in release_nb.cells
                if c.metadata.get("nbgrader", {}).get("grade_id")}
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in instructor_source and cell.source == released.get(grade_id):
            cell.source = instructor_source[grade_id]
    kernelspec = nb.metadata.get("kernelspec", {})
    if kernelspec.get("name") != "python3":
        nb.metadata["kernelspec"] = release_nb.metadata["kernelspec"]
    return nb, notes


def written_answers(nb, notebook: str) -> dict[str, str]:
    """A digest of each manually graded answer (``notebook/grade_id``): a resubmission that changes
    one is flagged for grading again (:func:`mlgrade.grade.merge`)."""
    import hashlib

    found = {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and meta.get("solution") and meta.get("grade_id"):
            found[f"{notebook}/{meta['grade_id']}"] = hashlib.sha256(cell.source.encode()).hexdigest()
    return found


def autograde_preprocessors(*, guard: bool) -> list:
    """nbgrader's own autograde preprocessors, with its ``Execute`` replaced by :class:`SafeExecute`
    and, with ``guard``, the guard around it. Built from nbgrader's default list, so a preprocessor a
    later nbgrader adds is kept, not silently dropped. (Unsandboxed the kernel runs with the
    grader's rights: no key can be hidden from it, so no guard either.)"""
    from nbgrader.converters import Autograde
    from nbgrader.preprocessors import Execute

    from .execute import SafeExecute
    from .guard import InjectGuard, StripGuard, VerifyProof

    chain = []
    for preprocessor in Autograde().autograde_preprocessors:
        if preprocessor is Execute:
            chain += [InjectGuard, SafeExecute, VerifyProof, StripGuard] if guard else [SafeExecute]
        else:
            chain.append(preprocessor)
    if SafeExecute not in chain:
        raise RuntimeError("nbgrader's autograde no longer runs its Execute preprocessor: "
                           "mlgrade cannot place its sandboxed execution; check the nbgrader version")
    return chain


def guard_notes(notebook: str, report: GuardReport) -> list[str]:
    """The grading notes of what the guard saw in ``notebook``: tampering, blocked attempts, restored patches."""
    notes = [f"{notebook}.ipynb: tampering detected: {reason}" for reason in report.tampered]
    notes += [f"{notebook}.ipynb: blocked: {attempt}" for attempt in report.attempts
              if not attempt.startswith("restored ")]
    restored = [a for a in report.attempts if a.startswith("restored ")]
    if restored:
        notes.append(f"{notebook}.ipynb: patched what the tests use; restored before the tests: "
                     + "; ".join(r.split(" ", 2)[-1] for r in restored)[:300])
    return notes


def run(spec: WorkerSpec) -> GradeResult:
    """Autograde the submission described by ``spec``; return the result (also written to disk)."""
    from nbgrader.api import Gradebook
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.utils import parse_utc

    from .execute import limit_notes
    from .guard import VerifyProof

    start = time.monotonic()
    work, template, limits = spec.work, spec.template, spec.limits
    assignment, student = spec.assignment, spec.student
    course = work / "course"
    if course.exists():
        shutil.rmtree(course)
    (course / "source").mkdir(parents=True)
    shutil.copytree(template / "source" / assignment, course / "source" / assignment)
    shutil.copyfile(template / "gradebook.db", course / "gradebook.db")
    target = course / "submitted" / student / assignment
    target.mkdir(parents=True)

    notes: list[str] = []
    release = template / "release" / assignment
    submission = spec.submission
    if submission is not None:
        # Files over the size limit: left out here, or already by the parent (mlgrade.cluster).
        too_large = {rel for rel in spec.left_out
                     if not any(part.startswith(".") for part in Path(rel).parts)}
        for path in sorted(submission.rglob("*")):
            rel = path.relative_to(submission)
            if path.is_symlink() or any(part.startswith(".") for part in rel.parts):
                continue  # never follow a student's symlink out of their folder
            if path.is_file() and path.stat().st_size > limits.file_size_mb * 2 ** 20:
                too_large.add(str(rel))
            elif path.is_dir():
                (target / rel).mkdir(parents=True, exist_ok=True)
            elif path.suffix != ".ipynb" and path.is_file():
                shutil.copyfile(path, target / rel)
        notes += [f"{rel}: larger than {limits.file_size_mb} MiB, left out"
                  for rel in sorted(too_large) if not rel.endswith(".ipynb")]
        for nb_path in sorted(release.glob("*.ipynb")):
            submitted = submission / nb_path.name
            if nb_path.name in too_large:
                notes.append(f"{nb_path.name}: larger than {limits.file_size_mb} MiB, not graded (0 points)")
                continue
            if not submitted.is_file() or submitted.is_symlink():
                notes.append(f"{nb_path.name}: not submitted (0 points)")
                continue
            nb, found = sanitize(submitted, nb_path, template / "source" / assignment / nb_path.name)
            notes += found
            nbformat.write(nb, str(target / nb_path.name))
        extra = sorted(p.name for p in submission.glob("*.ipynb") if not (release / p.name).exists())
        if extra:
            notes.append(f"notebooks not part of the assignment, ignored: {extra}")
        if (submission / "timestamp.txt").is_file() and not (submission / "timestamp.txt").is_symlink():
            shutil.copyfile(submission / "timestamp.txt", target / "timestamp.txt")

    db_url = f"sqlite:///{course / 'gradebook.db'}"
    config = nbgrader_config(course, db_url)
    sandbox = work / "sandbox"
    config.Execute.timeout = limits.cell_timeout
    config.Execute.interrupt_on_timeout = True
    # Once the last cell has answered, nothing of the student's kernel is worth waiting for: every output
    # has arrived and the guard's log is written unbuffered. Killing it at once (the sandbox with it:
    # --die-with-parent) spares the graceful shutdown's wait, and no atexit hook of the student's runs.
    config.Execute.shutdown_kernel = "immediate"
    config.Execute.startup_timeout = 60
    config.SafeExecute.notebook_timeout = limits.notebook_timeout
    config.SafeExecute.max_output_bytes = limits.output_mb * 2 ** 20
    config.Execute.kernel_manager_class = "mlgrade.sandbox.SandboxKernelManager"
    config.SandboxKernelManager.work_dir = str(sandbox)
    config.SandboxKernelManager.uid = spec.uid
    config.SandboxKernelManager.limits_env = limits.as_env()
    config.SandboxKernelManager.sandbox = "none" if spec.unsafe_no_sandbox else "bwrap"
    config.InjectGuard.private_dir = str(sandbox / "private")
    config.LimitOutput.max_lines = 200
    config.Autograde.autograde_preprocessors = autograde_preprocessors(guard=not spec.unsafe_no_sandbox)
    if not spec.unsafe_no_sandbox:
        sandbox.mkdir(parents=True, exist_ok=True)

    result = GradeResult(assignment, student)
    gradable = submission is not None and any(target.glob("*.ipynb"))
    if submission is not None and not gradable:
        notes.append("no notebook of the assignment to grade (0 points)")
    if gradable:
        api = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)
        reports: dict[str, dict] = {}
        VerifyProof.reports = reports
        outcome = api.autograde(assignment, student, force=True, create=True)
        (work / "autograde.log").write_text((outcome.get("log") or "") + "\n" + (outcome.get("error") or ""))
        if not outcome["success"]:
            result.error = _short_error(outcome)
        for path in sorted((course / "autograded" / student / assignment).glob("*.ipynb")):
            graded_nb = nbformat.read(str(path), as_version=4)
            notes += [f"{path.name}: {line}" for line in limit_notes(graded_nb, limits)]
            result.answers.update(written_answers(graded_nb, path.stem))
        for notebook, info in reports.items():
            result.guard[notebook] = GuardReport.from_dict(info, f"the guard's report of {notebook}")
            notes += guard_notes(notebook, result.guard[notebook])
    with Gradebook(db_url, COURSE_ID) as gb:
        gb.update_or_create_student(student)
        if not gradable:
            stamp = target / "timestamp.txt"
            when = {"timestamp": parse_utc(stamp.read_text().strip())} if stamp.is_file() else {}
            gb.update_or_create_submission(assignment, student, **when)
        sub = gb.find_submission(assignment, student)
        result.timestamp = sub.timestamp.isoformat() if sub.timestamp else None
        for nb in sub.notebooks:
            result.late_penalty[nb.name] = nb.late_submission_penalty
            for grade in nb.grades:
                auto = grade.auto_score
                if not gradable or (result.error and auto is None and grade.cell_type == "code"):
                    auto = 0.0
                result.grades[f"{nb.name}/{grade.name}"] = PartScore(
                    notebook=nb.name, grade_id=grade.name, auto_score=auto, max_score=grade.max_score,
                    needs_manual_grade=bool(grade.needs_manual_grade), cell_type=grade.cell_type)
    result.notes = list(dict.fromkeys(notes))  # a cell stopped twice (timeout, then interrupt) is named once
    result.seconds = round(time.monotonic() - start, 2)
    result.write(work / "result.json")
    return result


def _short_error(outcome: dict) -> str:
    text = (outcome.get("error") or "") + "\n" + (outcome.get("log") or "")
    for line in text.splitlines():
        if "bwrap:" in line:
            return "the sandbox failed to start: " + line.split("bwrap:", 1)[1].strip()[:300]
    for marker in ("DeadKernelError", "CellTimeoutError", "MemoryError", "Kernel died", "SandboxError"):
        if marker in text:
            return {"DeadKernelError": "the kernel died (it was killed, exited or ran out of memory)",
                    "Kernel died": "the kernel died (it was killed, exited or ran out of memory)"}.get(
                marker, marker)
    lines = [line for line in text.splitlines() if line.strip()]
    return (lines[-1] if lines else "autograde failed")[:400]


def prepare_process() -> None:
    """Limit this grading process's memory and import nbgrader once (a long-lived worker reuses it)."""
    import resource

    from .limits import WORKER_MEMORY_MB

    # A soft limit: the sandboxed kernel sets its own (mlgrade.kernel_boot).
    soft, hard = WORKER_MEMORY_MB * 2 ** 20, resource.getrlimit(resource.RLIMIT_AS)[1]
    resource.setrlimit(resource.RLIMIT_AS, (soft if hard == resource.RLIM_INFINITY else min(soft, hard), hard))
    import_grading_modules()


def import_grading_modules() -> None:
    """Import what grading a submission needs (nbgrader above all: about a second), once per process.
    :class:`mlgrade.pool.WorkerPool` calls it before forking its processes, which then inherit it."""
    from . import prepare_nbgrader

    prepare_nbgrader()
    import nbgrader.api  # noqa: F401
    import nbgrader.apps  # noqa: F401
    import nbgrader.converters  # noqa: F401
    import nbgrader.preprocessors  # noqa: F401

    from . import execute, guard, sandbox  # noqa: F401


def run_and_record(spec: WorkerSpec) -> bool:
    """:func:`run`, with any failure written to ``result.json`` as that submission's error."""
    try:
        run(spec)
    except Exception:
        error = "grading failed: " + traceback.format_exc(limit=3)[-800:]
        GradeResult.failure(spec, error).write(spec.work / "result.json")
        return False
    return True


def main(spec_path: str) -> int:
    spec = WorkerSpec.read(Path(spec_path))
    prepare_process()
    return 0 if run_and_record(spec) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
