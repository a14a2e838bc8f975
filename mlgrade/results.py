"""What crosses a process or network boundary while grading: a worker's task and its result.

:class:`WorkerSpec` is the task of one grading worker (one student's submission
of one assignment); :class:`GradeResult` is what the worker returns. Both
travel as JSON objects, never as pickles: ``spec.json`` and ``result.json`` in
the run's folder (a local worker, :mod:`mlgrade.pool`), the arguments and the
answer of a Dask task (:mod:`mlgrade.cluster`), and the work folder's
``report.json`` that ``make feedback`` reads. ``from_dict`` accepts exactly
the fields ``to_dict`` writes, checks their types and raises
:class:`FormatError` naming the file and the field otherwise; files written
by earlier versions of mlgrade hold a subset of these fields and read as they
did (a missing optional field takes its default).

A :class:`Runner` turns specs into results: :class:`mlgrade.pool.WorkerPool`
(local processes) or :class:`mlgrade.cluster.DaskRunner` (a Dask cluster).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Protocol

from .limits import Limits

#: The note of a student who handed in nothing for an assignment.
NO_SUBMISSION = "no submission (0 points)"


class FormatError(ValueError):
    """A spec or result that is not in the format mlgrade writes (the message names where and what)."""


# Field checks: (test, what the field must be, for the error message).
_Check = tuple[Callable[[Any], bool], str]


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


TEXT: _Check = (lambda v: isinstance(v, str), "a string")
OPTIONAL_TEXT: _Check = (lambda v: v is None or isinstance(v, str), "a string or null")
NUMBER: _Check = (_is_number, "a number")
OPTIONAL_NUMBER: _Check = (lambda v: v is None or _is_number(v), "a number or null")
FLAG: _Check = (lambda v: isinstance(v, bool), "true or false")
TEXTS: _Check = (lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v), "a list of strings")
OBJECT: _Check = (lambda v: isinstance(v, dict) and all(isinstance(k, str) for k in v), "an object")


def _shown(value: Any) -> str:
    """``value`` as JSON (as it stands in the file), cut short."""
    try:
        return json.dumps(value)[:80]
    except (TypeError, ValueError):  # not from a JSON file: a Python object passed to from_dict
        return repr(value)[:80]


def _object(data: Any, where: str, checks: dict[str, _Check], required: set[str]) -> dict[str, Any]:
    """``data`` as a dict whose fields are all in ``checks`` and pass them, with ``required`` present."""
    if not isinstance(data, dict):
        raise FormatError(f"{where}: expected a JSON object, got {type(data).__name__}")
    unknown = sorted(set(data) - set(checks))
    if unknown:
        raise FormatError(f"{where}: unknown field(s) {unknown}; this mlgrade knows {sorted(checks)}")
    missing = sorted(required - set(data))
    if missing:
        raise FormatError(f"{where}: field(s) {missing} missing")
    for name, value in data.items():
        test, what = checks[name]
        if not test(value):
            raise FormatError(f"{where}: field {name!r} must be {what}, got {_shown(value)}")
    return data


def _values(data: dict[str, Any], where: str, check: _Check) -> dict[str, Any]:
    """``data`` (an object already checked) if every value passes ``check``."""
    test, what = check
    for key, value in data.items():
        if not test(value):
            raise FormatError(f"{where}: entry {key!r} must be {what}, got {_shown(value)}")
    return data


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise FormatError(f"{path}: not valid JSON ({exc})") from None


@dataclass(frozen=True)
class WorkerSpec:
    """One grading task: grade ``submission`` (None: nothing was submitted) of ``student`` for ``assignment``.

    ``work`` is the worker's private folder (its course, sandbox, logs and
    ``result.json``); ``template`` the assignment as nbgrader generated it
    once for the run; ``uid`` the unprivileged uid of its sandboxed kernels;
    ``left_out`` the submission's files the parent already refused as too
    large (a Dask run sends no such file).
    """

    work: Path
    assignment: str
    student: str
    template: Path
    limits: Limits
    uid: int
    submission: Path | None = None
    unsafe_no_sandbox: bool = False
    left_out: tuple[str, ...] = ()

    _CHECKS = {"work": TEXT, "assignment": TEXT, "student": TEXT, "template": TEXT, "limits": OBJECT,
               "uid": (lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0,
                       "a non-negative whole number"),
               "submission": OPTIONAL_TEXT, "unsafe_no_sandbox": FLAG, "left_out": TEXTS}

    def to_dict(self) -> dict[str, Any]:
        return {"work": str(self.work), "assignment": self.assignment, "student": self.student,
                "template": str(self.template), "limits": self.limits.as_dict(), "uid": self.uid,
                "submission": None if self.submission is None else str(self.submission),
                "unsafe_no_sandbox": self.unsafe_no_sandbox, "left_out": list(self.left_out)}

    @classmethod
    def from_dict(cls, data: Any, where: str = "a worker spec") -> WorkerSpec:
        required = {"work", "assignment", "student", "template", "limits", "uid"}
        data = _object(data, where, cls._CHECKS, required)
        try:
            limits = Limits.from_dict(data["limits"])
        except ValueError as exc:
            raise FormatError(f"{where}: field 'limits': {exc}") from None
        submission = data.get("submission")
        return cls(work=Path(data["work"]), assignment=data["assignment"], student=data["student"],
                   template=Path(data["template"]), limits=limits, uid=data["uid"],
                   submission=None if submission is None else Path(submission),
                   unsafe_no_sandbox=data.get("unsafe_no_sandbox", False),
                   left_out=tuple(data.get("left_out", ())))

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_dict(), indent=1))

    @classmethod
    def read(cls, path: Path) -> WorkerSpec:
        return cls.from_dict(_read_json(path), str(path))


@dataclass(frozen=True)
class PartScore:
    """The score of one graded cell (``notebook/grade_id`` in :attr:`GradeResult.grades`)."""

    notebook: str
    grade_id: str
    auto_score: float | None
    max_score: float
    needs_manual_grade: bool
    cell_type: str

    _CHECKS = {"notebook": TEXT, "grade_id": TEXT, "auto_score": OPTIONAL_NUMBER, "max_score": NUMBER,
               "needs_manual_grade": FLAG,
               "cell_type": ((lambda v: v in ("code", "markdown")), "'code' or 'markdown'")}

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: Any, where: str) -> PartScore:
        return cls(**_object(data, where, cls._CHECKS, set(cls._CHECKS)))


@dataclass(frozen=True)
class GuardReport:
    """What the test guard saw in one notebook (:class:`mlgrade.guard.VerifyProof`).

    ``passed``: tests with a signed pass; ``tampered``: signed reasons a test
    was stopped; ``attempts``: unsigned log lines (refused, blocked or
    reported actions); ``unguarded``: tests that could not be wrapped.
    """

    passed: tuple[str, ...] = ()
    tampered: tuple[str, ...] = ()
    attempts: tuple[str, ...] = ()
    unguarded: tuple[str, ...] = ()

    _CHECKS = {"passed": TEXTS, "tampered": TEXTS, "attempts": TEXTS, "unguarded": TEXTS}

    def to_dict(self) -> dict[str, list[str]]:
        return {f.name: list(getattr(self, f.name)) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: Any, where: str) -> GuardReport:
        return cls(**{k: tuple(v) for k, v in _object(data, where, cls._CHECKS, set()).items()})


@dataclass
class GradeResult:
    """What grading one (student, assignment) produced.

    ``grades`` maps ``notebook/grade_id`` to its :class:`PartScore`; ``notes``
    are the readable lines a report and the feedback show (repairs, limits,
    guard events); ``error`` says why grading failed, if it did; ``guard`` is
    the guard's report per notebook; ``answers`` digests the written answers
    (:func:`mlgrade.grade.merge` flags a changed one for grading again);
    ``timestamp`` and ``late_penalty`` come from the private gradebook;
    ``retry`` marks a result to grade again on the next run (a lost Dask
    worker); ``graded_on`` names the Dask worker that graded it.
    """

    assignment: str
    student: str
    grades: dict[str, PartScore] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    error: str | None = None
    guard: dict[str, GuardReport] = field(default_factory=dict)
    answers: dict[str, str] = field(default_factory=dict)
    timestamp: str | None = None
    late_penalty: dict[str, float | None] = field(default_factory=dict)
    seconds: float | None = None
    retry: bool = False
    graded_on: str | None = None

    _CHECKS = {"assignment": TEXT, "student": TEXT, "grades": OBJECT, "notes": TEXTS, "error": OPTIONAL_TEXT,
               "guard": OBJECT, "answers": OBJECT, "timestamp": OPTIONAL_TEXT, "late_penalty": OBJECT,
               "seconds": OPTIONAL_NUMBER, "retry": FLAG, "graded_on": OPTIONAL_TEXT}

    @classmethod
    def failure(cls, spec: WorkerSpec, error: str, *, retry: bool = False) -> GradeResult:
        """The result of a task that produced none: no points, and ``error`` as the reason."""
        return cls(spec.assignment, spec.student, error=error, retry=retry)

    @property
    def auto_total(self) -> float:
        """The auto-graded points earned."""
        return sum(part.auto_score or 0 for part in self.grades.values())

    @property
    def submitted(self) -> bool:
        """Whether the student handed anything in for this assignment."""
        return NO_SUBMISSION not in self.notes

    def to_dict(self) -> dict[str, Any]:
        return {"assignment": self.assignment, "student": self.student,
                "grades": {key: part.to_dict() for key, part in self.grades.items()},
                "notes": list(self.notes), "error": self.error,
                "guard": {notebook: report.to_dict() for notebook, report in self.guard.items()},
                "answers": dict(self.answers), "timestamp": self.timestamp,
                "late_penalty": dict(self.late_penalty), "seconds": self.seconds, "retry": self.retry,
                "graded_on": self.graded_on}

    @classmethod
    def from_dict(cls, data: Any, where: str = "a grading result") -> GradeResult:
        data = _object(data, where, cls._CHECKS, {"assignment", "student"})
        grades = {key: PartScore.from_dict(value, f"{where}: grades[{key!r}]")
                  for key, value in data.get("grades", {}).items()}
        guard = {notebook: GuardReport.from_dict(value, f"{where}: guard[{notebook!r}]")
                 for notebook, value in data.get("guard", {}).items()}
        return cls(assignment=data["assignment"], student=data["student"], grades=grades,
                   notes=list(data.get("notes", [])), error=data.get("error"), guard=guard,
                   answers=dict(_values(data.get("answers", {}), f"{where}: answers", TEXT)),
                   timestamp=data.get("timestamp"),
                   late_penalty=dict(_values(data.get("late_penalty", {}), f"{where}: late_penalty",
                                             OPTIONAL_NUMBER)),
                   seconds=data.get("seconds"), retry=data.get("retry", False), graded_on=data.get("graded_on"))

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_dict(), indent=1))

    @classmethod
    def read(cls, path: Path) -> GradeResult:
        return cls.from_dict(_read_json(path), str(path))


def write_report(path: Path, results: dict[tuple[str, str], GradeResult]) -> None:
    """``report.json``: every result of a run, as ``{"student/assignment": result}``, written in one step."""
    data = {f"{student}/{assignment}": result.to_dict() for (student, assignment), result in sorted(results.items())}
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1))
    tmp.replace(path)


def read_report(path: Path) -> dict[tuple[str, str], GradeResult]:
    """The results a run wrote with :func:`write_report` (this version's or an earlier one's)."""
    data = _read_json(path)
    if not isinstance(data, dict):
        raise FormatError(f"{path}: expected a JSON object of results, got {type(data).__name__}")
    results = {}
    for key, value in data.items():
        result = GradeResult.from_dict(value, f"{path}: {key}")
        if key != f"{result.student}/{result.assignment}":
            raise FormatError(f"{path}: the result under {key!r} is of {result.student}/{result.assignment}")
        results[(result.student, result.assignment)] = result
    return results


class Runner(Protocol):
    """Runs grading workers: :class:`mlgrade.pool.WorkerPool` (local) or :class:`mlgrade.cluster.DaskRunner`.

    ``run`` is called from several threads at once, at most ``slots`` at a
    time; it never raises for a submission's own failure (the result's
    ``error`` says it), and leaves the worker's files (``result.json``,
    logs, autograded notebooks) in ``spec.work``.
    """

    slots: int

    def run(self, spec: WorkerSpec, timeout: float) -> GradeResult: ...

    def close(self) -> None: ...
