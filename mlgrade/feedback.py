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
import json
import re
from pathlib import Path

import nbformat

from .course import assignments, hidden_snippets, notebooks, parts, read_source

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


def render(result: dict, autograded: Path | None, source_nb: Path, scrub) -> str:
    """The HTML report of one student's assignment."""
    esc = lambda text: html.escape(scrub(text))  # noqa: E731
    assignment, student = result["assignment"], result["student"]
    graded = result.get("grades", {})
    order = parts(read_source(source_nb))
    total = sum((g.get("auto_score") or 0) for g in graded.values())
    maximum = sum(p.points for p in order)
    body = [f"<h1>{esc(assignment)}: feedback for {esc(student)}</h1>",
            f"<p class='total'>Auto-graded score: <b>{total:g}</b> of {maximum:g} points "
            f"(manually graded parts are added by your instructor).</p>"]
    problems = ([result["error"]] if result.get("error") else []) + list(result.get("notes", []))
    guard = result.get("guard") or {}
    for notebook, info in guard.items():
        for reason in (info or {}).get("tampered") or []:
            problems.append(f"{notebook}: the grader stopped a test: {reason}")
        for attempt in (info or {}).get("attempts") or []:
            if not attempt.startswith("restored "):
                problems.append(f"{notebook}: blocked while grading: {attempt}")
    if problems:
        body.append("<h2>Grading notes</h2><ul>" + "".join(f"<li>{esc(p)}</li>" for p in problems) + "</ul>")
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
    body.append("<h2>Parts</h2>")
    for part in order:
        got = graded.get(f"{source_nb.stem}/{part.grade_id}", {})
        score = got.get("auto_score")
        if not part.auto:
            body.append(f"<section><h3>{esc(part.grade_id)} ({part.points:g} points, graded by hand)</h3>"
                        f"<p>Your written answer is graded by your instructor.</p></section>")
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
    style = ("body{font-family:sans-serif;max-width:60em;margin:2em auto} .passed h3{color:#1a7f37} "
             ".failed h3{color:#b42318} pre{background:#f6f8fa;padding:.5em;overflow:auto} .why{font-family:monospace}")
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{esc(assignment)} feedback: {esc(student)}"
            f"</title><style>{style}</style></head><body>{''.join(body)}</body></html>\n")


def write_all(work: Path, out: Path, source: Path) -> list[Path]:
    """Write ``out/<student>/<assignment>.html`` for every graded result in ``work``."""
    report = work / "report.json"
    if not report.exists():
        raise FileNotFoundError(f"no grading results in {work}: run make grade first")
    scrub = _scrubber(source)
    written = []
    for key, result in sorted(json.loads(report.read_text()).items()):
        student, assignment = key.split("/", 1)
        source_nbs = notebooks(source, assignment)
        if not source_nbs:
            continue
        source_nb = source_nbs[0]
        autograded = work / "runs" / assignment / student / "course" / "autograded" / student / assignment / source_nb.name
        target = out / student / f"{assignment}.html"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(render(result, autograded, source_nb, scrub))
        written.append(target)
    return written
