"""Adversarial submissions, generated from every assignment, graded next to honest ones.

For each assignment one ``make grade`` run holds: the reference (honest),
answers that are rigged objects / NaN / wrong shapes, monkeypatching of the
test helpers, an IPython patch that skips test cells, attempts to read the
hidden tests and other files, to write outside and to open sockets, a memory
bomb, a fork bomb, ``os._exit`` and a self-kill. Then ``make feedback`` runs and
every report is checked against the hidden tests of every assignment.
"""

from __future__ import annotations

import ast
import copy
import subprocess

import nbformat
import pytest

from conftest import (ASSIGNMENTS, REPO, auto_points, hidden_snippets, make_grade, part_scores, read_source,
                      reference, release, report, source_notebook, submit)

TRICKS = '''
import numpy as _np

class _AlwaysEqual:
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    def __lt__(self, other): return True
    __le__ = __gt__ = __ge__ = __lt__
    def __float__(self): return 0.0
    def __abs__(self): return 0.0
    def __array__(self, dtype=None, copy=None): return _np.zeros(3)
    def __bool__(self): return True
    def __call__(self, *args, **kwargs): return self
    def __len__(self): return 3
    def __iter__(self): return iter([self, self, self])
    def __getitem__(self, key): return self

class _Liar(float):
    def __eq__(self, other): return True

_TRICKS = [lambda *a, **k: _AlwaysEqual(), lambda *a, **k: float("nan"),
           lambda *a, **k: _np.zeros((7, 3)), lambda *a, **k: _Liar(0.0)]
'''

PATCHES = '''
import builtins, sys, types, math
import numpy, numpy.testing, mlcalc, mlcalc.testing
_noop = lambda *a, **k: None
for _name in ("assert_close", "assert_bool", "assert_grad"):
    setattr(mlcalc.testing, _name, _noop)
numpy.testing.assert_allclose = _noop
numpy.testing.assert_array_equal = _noop
numpy.allclose = lambda *a, **k: True
numpy.isclose = lambda *a, **k: True
numpy.any = lambda *a, **k: False
numpy.isfinite = lambda x, *a, **k: numpy.ones(numpy.shape(x), dtype=bool)
math.isclose = lambda *a, **k: True
math.isfinite = lambda *a, **k: True
_fake = types.ModuleType("mlcalc.testing")
for _name in ("assert_close", "assert_bool", "assert_grad"):
    setattr(_fake, _name, _noop)
sys.modules["mlcalc.testing"] = _fake
mlcalc.testing.type = lambda value: float  # shadow a builtin inside the helper module
builtins.abs = lambda x: 0.0
'''

SHELL_PATCH = '''
_ip = get_ipython()
_run_cell = _ip.run_cell
_run_cell_async = _ip.run_cell_async
def _skip(raw_cell):
    return "assert" in raw_cell or "mlgrade" in raw_cell or "# Part" in raw_cell
def run_cell(raw_cell, *args, **kwargs):
    return _run_cell("pass" if _skip(raw_cell) else raw_cell, *args, **kwargs)
async def run_cell_async(raw_cell, *args, **kwargs):
    return await _run_cell_async("pass" if _skip(raw_cell) else raw_cell, *args, **kwargs)
_ip.run_cell = run_cell
_ip.run_cell_async = run_cell_async
'''

EXFILTRATE = '''
import os, socket, glob
_found = []
def _try(label, action):
    try:
        result = action()
    except Exception as exc:
        return
    _found.append(label)
import sys
# Folders the sandbox must show (the way to the notebook's own folder and to Python): their
# skeleton entries are no leak; any other entry is.
_skeleton = [os.getcwd(), sys.prefix, sys.base_prefix, os.path.dirname(__import__("mlcalc").__file__)]
def _listing(path):
    extra = [n for n in os.listdir(path)
             if not any((s + "/").startswith(os.path.join(path, n) + "/") for s in _skeleton)]
    return extra or None.x
for _path in {paths!r}:
    _try("read " + _path, lambda: open(_path).read(100))
    _try("list " + _path, lambda: _listing(_path))
_try("glob", lambda: [p for p in glob.glob("/work/**/*.ipynb", recursive=True)] or None.x)
_try("write", lambda: open("{repo}/pwned.txt", "w").write("x"))
_try("write home", lambda: open("/root/pwned.txt", "w").write("x"))
for _address in [("127.0.0.1", 22), ("1.1.1.1", 53), ("10.0.0.1", 80)]:
    _try("socket", lambda: socket.create_connection(_address, timeout=2))
print("LEAKED:" + ",".join(_found) if _found else "nothing leaked")
'''

MEMORY_BOMB = "_hog = bytearray(64 * 1024 ** 3)"
FORK_BOMB = "import os\nwhile True:\n    os.fork()"


def _functions(nb) -> list[str]:
    names = []
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("solution"):
            tree = ast.parse(cell.source)
            names += [n.name for n in tree.body if isinstance(n, ast.FunctionDef)]
    return names


def _after_solutions(nb, make_source) -> nbformat.NotebookNode:
    """A copy of ``nb`` with a code cell after each solution cell, redefining that cell's functions."""
    nb = copy.deepcopy(nb)
    out = []
    for cell in nb.cells:
        out.append(cell)
        if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("solution"):
            names = [n.name for n in ast.parse(cell.source).body if isinstance(n, ast.FunctionDef)]
            if names:
                out.append(nbformat.v4.new_code_cell(make_source(names)))
    nb.cells = out
    return nb


def _insert_before_last_test(nb, source: str):
    nb = copy.deepcopy(nb)
    tests = [i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade")
             and c.cell_type == "code"]
    nb.cells.insert(tests[-1], nbformat.v4.new_code_cell(source))
    return nb


def _insert_after_imports(nb, source: str):
    nb = copy.deepcopy(nb)
    first = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")
    nb.cells.insert(first + 1, nbformat.v4.new_code_cell(source))
    return nb


def _outputs(path) -> str:
    nb = nbformat.read(str(path), as_version=4)
    text = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            text.append(str(out.get("text", "")) + str(out.get("evalue", "")) + str(out.get("data", "")))
    return "\n".join(text)


def _test_errors(path, grade_ids) -> dict[str, str]:
    nb = nbformat.read(str(path), as_version=4)
    found = {}
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in grade_ids:
            errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
            found[grade_id] = "; ".join(f"{e.get('ename')}: {e.get('evalue')}" for e in errors)
    return found


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_adversarial_corpus(assignment, tmp_path):
    source, name = assignment
    src_nb = source_notebook(source, name)
    filename = src_nb.name
    points = auto_points(src_nb)
    ref = reference(source, name)
    blank = nbformat.read(str(release(source, name, tmp_path / "release")), as_version=4)
    subs = tmp_path / "submissions"
    wrong = lambda names: "\n".join(f"{n} = lambda *a, **k: 0.0" for n in names)  # noqa: E731
    counter = iter(range(10 ** 6))

    def tricks(names):
        return TRICKS + "\n".join(f"{n} = _TRICKS[{next(counter) % 4}]" for n in names)

    cases = {
        "honest": ref,
        "tricks": _after_solutions(blank, tricks),
        "patcher": _insert_after_imports(_after_solutions(blank, wrong), PATCHES),
        "shellpatch": _insert_after_imports(_after_solutions(blank, wrong), SHELL_PATCH),
        "exfil": _insert_after_imports(ref, EXFILTRATE.format(repo=REPO, paths=[
            str(REPO / "solutions"), str(src_nb), str(REPO / "_grading"), str(tmp_path / "gradebook.db"),
            str(tmp_path), str(subs / "honest" / name / filename), "/root", str(REPO / "mlgrade")])),
        "membomb": _insert_before_last_test(ref, MEMORY_BOMB),
        "forkbomb": _insert_before_last_test(ref, FORK_BOMB),
        "exit": _insert_before_last_test(ref, "import os\nos._exit(3)"),
        "killer": _insert_before_last_test(ref, "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)"),
    }
    for student, nb in cases.items():
        submit(subs, student, name, nb, filename)
    make_grade(subs, tmp_path / "grades.csv", source, tmp_path, "--cell-timeout=20")
    assert not (REPO / "pwned.txt").exists()
    results = report(tmp_path)
    autograded = lambda s: (tmp_path / "work" / "runs" / name / s / "course" / "autograded" / s / name  # noqa: E731
                            / filename)
    last = list(points)[-1]

    def notes(student):
        return " | ".join(results[f"{student}/{name}"]["notes"] + [results[f"{student}/{name}"]["error"] or ""])

    # Honest work and work that merely coexists with an attack scores in full.
    for student in ("honest", "exfil", "membomb", "forkbomb"):
        scores = part_scores(tmp_path, student, name)
        assert {g: scores[g] for g in points} == points, (student, notes(student))
    # Every cheat scores nothing, each part with a reason.
    for student in ("tricks", "patcher", "shellpatch"):
        scores = part_scores(tmp_path, student, name)
        assert all(scores[g] == 0 for g in points), (student, scores, notes(student))
        reasons = _test_errors(autograded(student), set(points))
        assert all(reasons[g].strip() for g in points), (student, reasons)
    tricks_reasons = _test_errors(autograded("tricks"), set(points))
    assert any("type" in r or "NaN" in r or "shape" in r for r in tricks_reasons.values()), tricks_reasons
    assert "restored" in notes("patcher") or "tampering" in notes("patcher"), notes("patcher")
    # Exfiltration: nothing was readable or writable, and the attempts are reported.
    assert "nothing leaked" in _outputs(autograded("exfil")), _outputs(autograded("exfil"))[-2000:]
    assert "socket.connect" in notes("exfil") and "attempt open" in notes("exfil"), notes("exfil")
    # Limits: named in the report.
    assert "memory limit" in notes("membomb"), notes("membomb")
    assert "process limit" in notes("forkbomb"), notes("forkbomb")
    # A dead kernel keeps what the completed parts earned; later parts get 0.
    for student in ("exit", "killer"):
        scores = part_scores(tmp_path, student, name)
        assert scores[last] == 0
        assert {g: scores[g] for g in points if g != last} == {g: p for g, p in points.items() if g != last}
        assert "kernel died" in notes(student), notes(student)

    # Feedback: one report per student, nothing of any assignment's hidden tests in it.
    out = tmp_path / "feedback"
    proc = subprocess.run(["make", "--no-print-directory", "feedback", f"SOURCE={source}", f"WORK={tmp_path / 'work'}",
                           f"FEEDBACK={out}"], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    files = sorted(out.rglob("*.html"))
    assert len(files) == len(cases)
    snippets = [s for param in ASSIGNMENTS for s in
                hidden_snippets(read_source(source_notebook(*param.values[0])), solutions=False)]
    for path in files:
        text = path.read_text()
        assert "BEGIN HIDDEN TESTS" not in text and "Traceback" not in text
        leaked = [s for s in snippets if s in text]
        assert not leaked, (path, leaked[:3])
    honest = (out / "honest" / f"{name}.html").read_text()
    assert "class='passed'" in honest and "class='failed'" not in honest
    assert "class='failed'" in (out / "tricks" / f"{name}.html").read_text()
