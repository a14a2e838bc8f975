"""The submissions every grading test run holds, built from an assignment's own notebooks.

One ``make grade`` run per assignment (cached for the session, see
``conftest.graded``) grades all of them side by side: the reference, the blank
release, malformed and tampered copies (priority 1) and the adversarial corpus
(priority 4). Cases are grouped into few notebooks to keep the suite short;
the grader's own properties are tested once, on the fixture course.
"""

from __future__ import annotations

import ast
import copy

import nbformat

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




def _test_cells(nb):
    return [i for i, c in enumerate(nb.cells) if c.cell_type == "code"
            and c.metadata.get("nbgrader", {}).get("grade") and not c.metadata["nbgrader"].get("solution")]


# Interactive cells a student may keep in a submission: widgets, interact, an Output widget, input().
# Headless they must neither hang the grading nor cost points (nbgrader alone can hang on them).
INTERACTIVE = """
import ipywidgets as widgets
from ipywidgets import interact, interact_manual
import matplotlib.pyplot as plt
from mlcalc.widgets import explorer

@interact(k=(0, 10))
def _show(k=5):
    print(k)

@widgets.interact(a=widgets.FloatSlider(min=0.0, max=2.0, value=1.0))
def _plot(a=1.0):
    plt.plot([0, 1], [0, a])
    plt.show()

interact_manual(lambda n: n * 2, n=3)
_out = widgets.Output()
with _out:
    print("inside an Output widget")
display(_out)
_out.clear_output(wait=True)
def _draw(a):
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, a])
    return fig

explorer(_draw, {"a": widgets.FloatSlider(min=0.0, max=1.0)})
try:
    input("your name? ")
except Exception as exc:
    print(type(exc).__name__)
"""


#: The submissions graded for every assignment: what is specific to its tests. The rest of the
#: corpus tests properties of the grader (sandbox, limits, kernel death, malformed notebooks,
#: widgets, IPython patches) and is graded on the fixture course only.
PER_ASSIGNMENT = ("ref", "blank", "tricks", "patcher")


def build(ref, blank, source_text: str, paths: list[str], repo: str, *, grader_properties: bool = True) -> dict:
    """Student name -> notebook (or raw text) for one assignment (``PER_ASSIGNMENT`` only unless
    ``grader_properties``)."""
    if not grader_properties:
        wrong = lambda names: "\n".join(f"{n} = lambda *a, **k: 0.0" for n in names)  # noqa: E731
        counter = iter(range(10 ** 6))
        return {
            "ref": ref,
            "blank": blank,
            "tricks": _after_solutions(blank, lambda names: TRICKS + "\n".join(
                f"{n} = _TRICKS[{next(counter) % 4}]" for n in names)),
            "patcher": _insert_after_imports(_after_solutions(blank, wrong), PATCHES),
        }
    wrong = lambda names: "\n".join(f"{n} = lambda *a, **k: 0.0" for n in names)  # noqa: E731
    counter = iter(range(10 ** 6))

    def tricks(names):
        return TRICKS + "\n".join(f"{n} = _TRICKS[{next(counter) % 4}]" for n in names)

    tests = _test_cells(ref)
    mangled = copy.deepcopy(ref)
    # altered points and checksum on every test but the first
    for i in tests[1:]:
        mangled.cells[i].metadata["nbgrader"]["points"] = 100
        mangled.cells[i].metadata["nbgrader"]["checksum"] = "0" * 32
    # a copy-pasted test cell (same grade id, student's edit) and an extra one at the end
    fake = copy.deepcopy(mangled.cells[tests[-1]])
    fake.source = "pass"
    mangled.cells.insert(tests[-1], fake)
    mangled.cells.append(copy.deepcopy(fake))
    del mangled.cells[tests[0]]  # a deleted test cell
    altered_blank = copy.deepcopy(blank)
    for i in _test_cells(altered_blank):
        altered_blank.cells[i].metadata["nbgrader"]["points"] = 100
        altered_blank.cells[i].metadata["nbgrader"]["checksum"] = "0" * 32
        altered_blank.cells[i].source = "pass"
    hostile = _insert_after_imports(ref, EXFILTRATE.format(repo=repo, paths=paths))
    # endless output (interrupted at the output limit), then an endless loop (the per-cell time limit)
    hostile = _insert_before_last_test(hostile, "while True:\n    print('x' * 100000)")
    hostile = _insert_before_last_test(hostile, "while True:\n    pass")
    hostile = _insert_before_last_test(hostile, MEMORY_BOMB)
    hostile.cells.append(nbformat.v4.new_code_cell(FORK_BOMB))
    return {
        "ref": ref,
        "blank": blank,
        "badjson": source_text[:-40],
        "mangled": mangled,
        "altered_blank": altered_blank,
        "tricks": _after_solutions(blank, tricks),
        "patcher": _insert_after_imports(_after_solutions(blank, wrong), PATCHES),
        "shellpatch": _insert_after_imports(_after_solutions(blank, wrong), SHELL_PATCH),
        "hostile": hostile,
        "widgets": _insert_after_imports(ref, INTERACTIVE),
        "exit": _insert_before_last_test(ref, "import os\nos._exit(3)"),
        "killer": _insert_before_last_test(ref, "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)"),
    }
