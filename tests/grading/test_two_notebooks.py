"""An assignment of two notebooks: both are graded and both get feedback; a guard event is reported once.

The assignment (``fixtures/two-notebooks/00-pair``: ``first.ipynb`` and
``second.ipynb``, one auto-graded part each) is not part of the corpus every
grading test runs: one student is graded here, in the sandbox (the guard runs
only there), with a wrong answer in the first notebook and a refused ``gc``
walk in the second.
"""

from __future__ import annotations

import json
import re
import subprocess

import nbformat
import pytest

from conftest import REPO, make_grade, read_grades, submit

SOURCE = REPO / "tests" / "grading" / "fixtures" / "two-notebooks"
NAME = "00-pair"
REFUSED = "second.ipynb: blocked: refused gc.get_objects"


def _student_notebooks():
    first = nbformat.read(str(SOURCE / NAME / "first.ipynb"), as_version=4)
    second = nbformat.read(str(SOURCE / NAME / "second.ipynb"), as_version=4)
    first.cells[1].source = "def double(x):\n    return x + 1"  # wrong: double(3.0) == 4.0
    second.cells[1].source = "def half(x):\n    return x / 2"
    second.cells.insert(2, nbformat.v4.new_code_cell(
        "import gc\ntry:\n    gc.get_objects()\nexcept RuntimeError:\n    pass"))
    return first, second


@pytest.mark.slow
def test_both_notebooks_get_feedback_and_a_guard_event_is_named_once(tmp_path):
    subs = tmp_path / "subs"
    for notebook, filename in zip(_student_notebooks(), ("first.ipynb", "second.ipynb")):
        submit(subs, "ann", NAME, notebook, filename)
    make_grade(subs, tmp_path / "grades.csv", SOURCE, tmp_path, jobs=2)
    [row] = read_grades(tmp_path / "grades.csv")
    assert (row["raw_score"], row["max_score"]) == ("1.0", "2.0"), row
    result = json.loads((tmp_path / "work" / "report.json").read_text())[f"ann/{NAME}"]
    assert {key: part["auto_score"] for key, part in result["grades"].items()} == {
        "first/double_tests": 0.0, "second/half_tests": 1.0}, result
    assert REFUSED in result["notes"], result["notes"]
    assert result["guard"]["second"]["attempts"] == ["refused gc.get_objects"], result["guard"]

    feedback = subprocess.run(
        ["make", "--no-print-directory", "feedback", f"SOURCE={SOURCE}", f"WORK={tmp_path / 'work'}",
         f"DB_URL=sqlite:///{tmp_path / 'gradebook.db'}", f"FEEDBACK={tmp_path / 'feedback'}"],
        cwd=REPO, capture_output=True, text=True, timeout=300)
    assert feedback.returncode == 0, feedback.stdout + feedback.stderr
    html = (tmp_path / "feedback" / "ann" / f"{NAME}.html").read_text()
    # Each notebook has its heading and its part, with the part's own outcome.
    assert "<h2>first.ipynb</h2>" in html and "<h2>second.ipynb</h2>" in html, html
    assert re.search(r"<h3>double_tests: failed, 0 of 1 points</h3>.*AssertionError: double\(3\.0\)", html, re.S), html
    assert "<h3>half_tests: passed, 1 of 1 points</h3>" in html, html
    assert html.index("first.ipynb</h2>") < html.index("double_tests") < html.index("second.ipynb</h2>") \
        < html.index("half_tests"), html
    # The guard's event is in the grading notes, once (not again from the result's guard report).
    assert html.count("refused gc.get_objects") == 1, re.findall(r"<li>(.*?)</li>", html)
    assert f"<li>{REFUSED}</li>" in html, html
