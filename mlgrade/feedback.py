"""``make feedback``: one HTML report per student and assignment, with nothing hidden in it.

Rendered here from the autograded notebook and the worker's ``result.json``
(not with nbgrader's ``generate_feedback``, whose HTML shows the full test
cells, hidden tests included). A report holds, per graded part: the points,
passed or failed, and for a failure the error's type and message (the
assertion text: expected, got, the input), never a traceback and never the
test's source. The student's own code and outputs are shown. Every text that
goes into a report is scrubbed of the hidden-test lines of every assignment
(:func:`mlgrade.course.hidden_snippets`: a notebook that printed a test's
source, or an error quoting it, shows a placeholder instead); the limit or
guard event that stopped a notebook is named. The reference solution never
enters a report: only the student's own code and outputs do.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import nbformat

from .course import assignments, hidden_snippets, notebooks, parts, read_source
from .results import GradeResult, PartScore, read_report

REDACTED = "[hidden test detail removed]"
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _scrubber(source: Path):
    snippets = sorted({s for name in assignments(source) for path in notebooks(source, name)
                       for s in hidden_snippets(read_source(path), solutions=False)}, key=len, reverse=True)

    def scrub(text: str) -> str:
        text = _ANSI.sub("", str(text))
        for marker in ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
            text = text.replace(marker, REDACTED)
        for snippet in snippets:
            if snippet in text:
                text = text.replace(snippet, REDACTED)
        return text

    return scrub


def _outputs_text(cell) -> str:
    chunks = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            chunks.append(out.get("text", ""))
        elif out.get("output_type") in ("execute_result", "display_data"):
            chunks.append(out.get("data", {}).get("text/plain", ""))
        elif out.get("output_type") == "error":
            chunks.append(f"{out.get('ename')}: {out.get('evalue')}")
    return "".join(chunks)[:4000]


def manual_marks(db_url: str | None, student: str, assignment: str) -> dict[str, dict]:
    """Manual scores and comments from the gradebook (formgrader's), per ``notebook/grade_id``."""
    if not db_url or (db_url.startswith("sqlite:///") and not Path(db_url[len("sqlite:///"):]).exists()):
        return {}  # no gradebook yet: nothing was graded by hand (and none is created here)
    from nbgrader.api import Gradebook, MissingEntry

    from .course import COURSE_ID

    marks: dict[str, dict] = {}
    with Gradebook(db_url, COURSE_ID) as gb:
        try:
            submission = gb.find_submission(assignment, student)
        except MissingEntry:
            return {}
        for notebook in submission.notebooks:
            comments = {c.name: c.manual_comment for c in notebook.comments if c.manual_comment}
            for grade in notebook.grades:
                marks[f"{notebook.name}/{grade.name}"] = {
                    "manual_score": grade.manual_score, "needs_manual_grade": bool(grade.needs_manual_grade),
                    "comment": comments.get(grade.name)}
    return marks


def _manual_section(part, got: PartScore | None, mark: dict, esc) -> str:
    head = f"<section class='manual'><h3>{esc(part.grade_id)} ({part.points:g} points, graded by hand)</h3>"
    comment = mark.get("comment")
    note = f"<p class='comment'>Your instructor's comment: {esc(comment)}</p>" if comment else ""
    if mark.get("manual_score") is not None and not mark.get("needs_manual_grade"):
        return head + f"<p>Your instructor gave <b>{mark['manual_score']:g}</b> of {part.points:g} points.</p>" \
            + note + "</section>"
    if got is not None and got.auto_score == 0 and not got.needs_manual_grade and mark.get("manual_score") is None:
        return head + "<p>No answer: the answer cell was left as released (0 points).</p>" + note + "</section>"
    return head + "<p>Your written answer awaits grading by your instructor.</p>" + note + "</section>"


def render(result: GradeResult, notebooks_: list[tuple[Path, Path | None]], scrub, marks: dict | None = None) -> str:
    """The HTML report of one student's assignment: every notebook of it, part by part.

    ``notebooks_`` pairs each source notebook with the student's autograded copy
    (None if there is none); ``marks`` are the manual scores and comments
    (:func:`manual_marks`).
    """
    esc = lambda text: html.escape(scrub(text))  # noqa: E731
    marks = marks or {}
    assignment, student = result.assignment, result.student
    total = result.auto_total
    manual_total = sum(m["manual_score"] for m in marks.values()
                       if m.get("manual_score") is not None and not m.get("needs_manual_grade"))
    maximum = sum(p.points for source_nb, _ in notebooks_ for p in parts(read_source(source_nb)))
    awaiting = [k for k, m in marks.items() if m.get("needs_manual_grade")]
    summary = f"Score: <b>{total + manual_total:g}</b> of {maximum:g} points"
    summary += f" ({manual_total:g} of them given by hand)" if manual_total else ""
    summary += "; written answers still to be graded by your instructor are not counted yet." if awaiting else "."
    body = [f"<h1>{esc(assignment)}: feedback for {esc(student)}</h1>", f"<p class='total'>{summary}</p>"]
    # The worker's notes name every guard event (tampering, blocked attempts) once; result.guard is
    # what they were made from, so it is not shown again.
    problems = ([result.error] if result.error else []) + result.notes
    if problems:
        body.append("<h2>Grading notes</h2><ul>" + "".join(f"<li>{esc(p)}</li>" for p in problems) + "</ul>")
    for source_nb, autograded in notebooks_:
        if len(notebooks_) > 1:
            body.append(f"<h2>{esc(source_nb.name)}</h2>")
        body.extend(_notebook_parts(source_nb, autograded, result.grades, marks, esc))
    style = ("body{font-family:sans-serif;max-width:60em;margin:2em auto} .passed h3{color:#1a7f37} "
             ".failed h3{color:#b42318} pre{background:#f6f8fa;padding:.5em;overflow:auto} .why{font-family:monospace}")
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{esc(assignment)} feedback: {esc(student)}"
            f"</title><style>{style}</style></head><body>{''.join(body)}</body></html>\n")


def _notebook_parts(source_nb: Path, autograded: Path | None, graded: dict[str, PartScore], marks: dict,
                    esc) -> list[str]:
    order = parts(read_source(source_nb))
    nb = None
    if autograded is not None and autograded.exists():
        nb = nbformat.read(str(autograded), as_version=4)
    cells = {}
    code_before: dict[str, list] = {}
    pending: list = []
    if nb is not None:
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("grade"):
                cells[meta.get("grade_id")] = cell
                code_before[meta.get("grade_id")] = pending
                pending = []
            elif cell.cell_type == "code" and meta.get("solution"):
                pending.append(cell)
    body = ["<h2>Parts</h2>"] if nb is not None or order else []
    for part in order:
        key = f"{source_nb.stem}/{part.grade_id}"
        got = graded.get(key)
        score = got.auto_score if got is not None else None
        if not part.auto:
            body.append(_manual_section(part, got, marks.get(key, {}), esc))
            continue
        cell = cells.get(part.grade_id)
        errors = [o for o in (cell.get("outputs", []) if cell else []) if o.get("output_type") == "error"]
        passed = score is not None and score >= part.points and not errors
        status = "passed" if passed else "failed"
        body.append(f"<section class='{status}'><h3>{esc(part.grade_id)}: {status}, "
                    f"{(score or 0):g} of {part.points:g} points</h3>")
        for code in code_before.get(part.grade_id, []):
            body.append(f"<details><summary>your code</summary><pre>{esc(code.source)}</pre>"
                        + (f"<pre class='out'>{esc(_outputs_text(code))}</pre>" if code.get("outputs") else "")
                        + "</details>")
        for err in errors:
            message = err.get("evalue") or "(no message)"
            body.append(f"<p class='why'>{esc(err.get('ename', 'Error'))}: {esc(message)}</p>")
        if not passed and not errors:
            body.append("<p class='why'>not run (the notebook stopped before this part, see the notes)</p>")
        body.append("</section>")
    return body


def write_all(work: Path, out: Path, source: Path, db_url: str | None = None) -> tuple[list[Path], list[str]]:
    """Write ``out/<student>/<assignment>.html`` for every submitted assignment graded in ``work``.

    Returns the reports written and the ``student/assignment`` pairs with no
    submission (no report: there is nothing to give feedback on).
    """
    report = work / "report.json"
    if not report.exists():
        raise FileNotFoundError(f"no grading results in {work}: run make grade first")
    scrub = _scrubber(source)
    written, missing = [], []
    for (student, assignment), result in sorted(read_report(report).items()):
        key = f"{student}/{assignment}"
        source_nbs = notebooks(source, assignment)
        if not source_nbs:
            continue
        if not result.submitted:
            missing.append(key)
            continue
        folder = work / "runs" / assignment / student / "course" / "autograded" / student / assignment
        pairs = [(nb, folder / nb.name) for nb in source_nbs]
        target = out / student / f"{assignment}.html"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(render(result, pairs, scrub, manual_marks(db_url, student, assignment)))
        written.append(target)
    return written, missing
