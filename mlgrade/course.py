"""The course on disk: assignments, their notebooks, and what must never leak.

Everything here reads files only; nothing runs student code.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat
from traitlets.config import Config

REPO = Path(__file__).resolve().parent.parent
GRADING = REPO / "_grading"
COURSE_ID = "mlcalc"

_SOLUTION_RE = re.compile(r"###\s*BEGIN SOLUTION.*?###\s*END SOLUTION", re.S)
_HIDDEN_RE = re.compile(r"###\s*BEGIN HIDDEN TESTS(.*?)###\s*END HIDDEN TESTS", re.S)
MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")


class CourseError(Exception):
    """A problem with the course files that the instructor must fix (clear message)."""


def assignments(source_dir: Path) -> list[str]:
    """Names of the assignment folders in ``source_dir`` (sorted), those holding a notebook."""
    if not source_dir.is_dir():
        return []
    return sorted(p.name for p in source_dir.iterdir()
                  if p.is_dir() and not p.name.startswith((".", "_")) and any(p.glob("*.ipynb")))


def notebooks(source_dir: Path, assignment: str) -> list[Path]:
    return sorted(p for p in (source_dir / assignment).glob("*.ipynb") if not p.name.startswith("."))


def read_source(path: Path) -> nbformat.NotebookNode:
    """Read and validate an instructor notebook, raising :class:`CourseError` with the reason."""
    try:
        nb = nbformat.read(str(path), as_version=4)
    except (json.JSONDecodeError, nbformat.reader.NotJSONError) as exc:
        raise CourseError(f"{path}: not a valid notebook (invalid JSON: {exc})") from None
    except Exception as exc:  # nbformat raises several types for malformed files
        raise CourseError(f"{path}: not a valid notebook ({type(exc).__name__}: {exc})") from None
    try:
        nbformat.validate(nb)
    except nbformat.ValidationError as exc:
        raise CourseError(f"{path}: not a valid notebook ({exc.message})") from None
    ids = [cell.metadata.get("nbgrader", {}).get("grade_id") for cell in nb.cells
           if cell.metadata.get("nbgrader", {}).get("grade_id")]
    duplicated = sorted({i for i in ids if ids.count(i) > 1})
    if duplicated:
        raise CourseError(f"{path}: duplicated nbgrader grade_id {duplicated}")
    return nb


@dataclass(frozen=True)
class Part:
    grade_id: str
    points: float
    auto: bool  # an auto-graded test cell (False: a manually graded answer)


def parts(nb: nbformat.NotebookNode) -> list[Part]:
    """The graded cells of an instructor notebook, in order."""
    found = []
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade"):
            auto = cell.cell_type == "code" and not meta.get("solution", False)
            found.append(Part(meta["grade_id"], float(meta.get("points", 0)), auto))
    return found


def hidden_snippets(nb: nbformat.NotebookNode, solutions: bool = True) -> list[str]:
    """Lines of hidden tests (and, with ``solutions``, of solutions) that must never reach a student.

    A line counts only when it is specific: at least 12 characters once
    stripped, and not also present anywhere in the notebook outside the hidden
    and solution blocks (a visible ``import numpy as np``, or a hint quoting
    ``def derivative(x):`` in a visible message, is no leak).
    """
    secret, public = [], []
    for cell in nb.cells:
        text = cell.source
        blocks = [m.group(1) for m in _HIDDEN_RE.finditer(text)]
        if solutions:
            blocks += [m.group(0) for m in _SOLUTION_RE.finditer(text)]
        meta = cell.metadata.get("nbgrader", {})
        if solutions and cell.cell_type == "markdown" and meta.get("solution"):
            blocks.append(text)  # a model written answer
            text = ""
        secret.extend(line for block in blocks for line in block.splitlines())
        public.extend(_SOLUTION_RE.sub("", _HIDDEN_RE.sub("", text)).splitlines())
    visible = "\n".join(public)
    keep = []
    for line in secret:
        s = line.strip()
        if len(s) >= 12 and s not in visible and not any(m in s for m in MARKERS) and s not in keep:
            keep.append(s)
    return keep


def leaks(text: str, snippets: list[str]) -> list[str]:
    """What of ``snippets`` (or the block markers) occurs in ``text``."""
    found = [m for m in MARKERS if m in text]
    found += [s for s in snippets if s in text]
    return found


#: Folders and files that never belong to an assignment.
IGNORE = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", ".*"]


def course_settings(c: Config) -> Config:
    """The settings every nbgrader of this course shares: its id, the release stubs, what is ignored.

    Used by the repository's ``nbgrader_config.py`` (the nbgrader command line,
    formgrader, ``make release``) and by :func:`nbgrader_config` (every private
    course folder ``make grade`` creates), so that they can never disagree.
    """
    c.CourseDirectory.course_id = COURSE_ID
    c.CourseDirectory.ignore = list(IGNORE)
    c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
    c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
    c.ClearHiddenTests.enforce_metadata = True
    return c


def nbgrader_config(root: Path, db_url: str, *, source: str = "source", release: str = "release") -> Config:
    """A self-contained nbgrader configuration for a private course rooted at ``root``.

    Built in code (not read from ``nbgrader_config.py``) so that every private
    course folder mlgrade creates behaves the same whatever the working
    directory; the settings of the course itself come from :func:`course_settings`.
    """
    c = course_settings(Config())
    c.CourseDirectory.root = str(root)
    c.CourseDirectory.source_directory = source
    c.CourseDirectory.release_directory = release
    c.CourseDirectory.submitted_directory = "submitted"
    c.CourseDirectory.autograded_directory = "autograded"
    c.CourseDirectory.feedback_directory = "feedback"
    c.CourseDirectory.db_url = db_url
    c.Exchange.root = str(root / "_exchange")
    return c


def nbgrader_failure(result: dict) -> str:
    """What an nbgrader API call that failed printed: its log, where the cause is, then its error.

    nbgrader's ``error`` alone is often only "Please see the above traceback"; the
    traceback that names the cause (a missing file or program, say) is in ``log``.

    Examples
    --------
    >>> print(nbgrader_failure({"log": "[ERROR] FileNotFoundError: 'alembic'", "error": "see above"}))
    [ERROR] FileNotFoundError: 'alembic'
    see above
    >>> nbgrader_failure({"log": "", "error": "NbGraderException: no notebook"})
    'NbGraderException: no notebook'
    """
    parts = [str(result.get(key) or "").strip() for key in ("log", "error")]
    return "\n".join(part for part in parts if part) or "nbgrader gave no reason"


def generate(source_dir: Path, assignment: str, course: Path, db_url: str) -> Path:
    """Run nbgrader ``generate_assignment`` for ``assignment`` into ``course/release``.

    ``course/source/<assignment>`` is a copy of ``source_dir/<assignment>``; the
    gradebook at ``db_url`` receives the assignment's notebooks and cells.
    Returns the release folder. Raises :class:`CourseError` on failure.
    """
    import shutil

    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    for path in notebooks(source_dir, assignment):
        read_source(path)
    src = course / "source" / assignment
    if src.exists():
        shutil.rmtree(src)
    shutil.copytree(source_dir / assignment, src,
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__", "*.pyc"))
    config = nbgrader_config(course, db_url)
    api = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)
    result = api.generate_assignment(assignment, force=True, create=True)
    if not result["success"]:
        raise CourseError(f"nbgrader generate_assignment failed for {assignment}:\n{nbgrader_failure(result)}")
    return course / "release" / assignment


def late_line(student: str, assignment: str, stamp: Path, duedate) -> str | None:
    """"late: ..." when the submission's ``timestamp.txt`` is after ``duedate`` (a UTC datetime), else None."""
    from nbgrader.utils import parse_utc

    if duedate is None or not stamp.is_file():
        return None
    when = parse_utc(stamp.read_text().strip())
    if when <= duedate:
        return None
    return (f"late: {student} submitted {assignment} at {when.isoformat()}, "
            f"{(when - duedate).total_seconds() / 3600:.1f} h after the due date")
