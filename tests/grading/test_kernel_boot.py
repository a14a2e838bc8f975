"""The test guard of ``mlgrade/kernel_boot.py`` (:class:`Guard`), unit by unit, without bubblewrap.

Each test starts a plain Python process that installs the guard as the
sandboxed kernel does (no sandbox, no ipykernel), then runs "cells": code
compiled under IPython's cell file names, the first of which arms the guard,
and the instructor's tests wrapped by :func:`mlgrade.guard.wrap_test` as
``InjectGuard`` puts them into a notebook. The guard log is read back with
the grader's own :func:`mlgrade.guard.read_log`, which checks the signatures.
The end-to-end tests (``test_adversarial.py``) run the same guard in the sandbox.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from mlgrade.guard import read_log, wrap_test  # noqa: E402

# The process under test: installs the guard, runs ``setup`` (before arming) and then each cell,
# and prints each cell's outcome ("ok" or the exception) as JSON on its last line.
HARNESS = r'''
import json, os, sys
config = json.loads(sys.stdin.read())
sys.path.insert(0, config["mlgrade"])  # kernel_boot imports nothing from the mlgrade package
import kernel_boot

log_fd = os.open(config["log"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
kernel_boot.Guard({"key": config["key"], "tests": config["tests"]}, log_fd).install()
namespace = {"WRAPPED": config["tests"], "KEY_OF_THIS_RUN": config["key"]}
exec(compile(config["setup"], "<setup>", "exec"), namespace)
outcomes = []
for number, source in enumerate(config["cells"], 1):
    try:
        exec(compile(source, f"<ipython-input-{number}-0>", "exec"), namespace)
        outcomes.append("ok")
    except BaseException as exc:
        outcomes.append(f"{type(exc).__name__}: {exc}")
print(json.dumps(outcomes))
'''

SQUARE_TEST = '''# Part 1: square(x) returns x**2.
from mlcalc.testing import assert_close
assert_close(square(3.0), 9.0, name="square(3.0)")
for value in (-2.0, 0.5):
    assert_close(square(value), value ** 2, name="square", input=value)
'''

# A cell that runs the wrapped test of ``grade_id`` (the source InjectGuard puts into the notebook).
WRAP = "exec(WRAPPED[{grade_id!r}], globals())"


def run_guard(tmp_path: Path, cells: list[str], *, tests: dict[str, str] | None = None, setup: str = "",
              timeout: float = 120) -> tuple[list[str], set[str], list[str], list[str]]:
    """Run ``cells`` under a fresh guard; return each cell's outcome and the log's (passed, tampered, attempts)."""
    key = secrets.token_hex(32)
    wrapped = {grade_id: wrap_test(source, grade_id) for grade_id, source in (tests or {}).items()}
    assert all(wrapped.values()), wrapped
    log = tmp_path / "guard.log"
    config = {"mlgrade": str(REPO / "mlgrade"), "log": str(log), "key": key, "tests": wrapped,
              "setup": setup, "cells": cells}
    proc = subprocess.run([sys.executable, "-c", HARNESS], input=json.dumps(config), capture_output=True,
                          text=True, timeout=timeout, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    outcomes = json.loads(proc.stdout.strip().splitlines()[-1])
    passed, tampered, attempts = read_log(log, key)
    return outcomes, passed, tampered, attempts


def test_refusals_and_reports(tmp_path):
    """Once armed (not before), what reaches the guard is refused and logged; forks, opens outside
    and sockets are reported; nothing unsigned counts as a pass."""
    blocked_by_call = ["import gc; gc.get_objects()", "import gc; gc.get_referrers(1)",
                       "import gc; gc.get_referents(1)", "import sys; sys.settrace(None)",
                       "import sys; sys.setprofile(None)", "import sys; sys._current_frames()"]
    blocked_by_event = ["ctypes.dlopen", "ctypes.dlsym", "ctypes.addressof"]
    cells = blocked_by_call + [f"import sys; sys.audit({event!r}, None)" for event in blocked_by_event] + [
        # Python drops a hook that an existing hook refuses, silently: the new hook never runs.
        "import sys\nseen = []\nsys.addaudithook(lambda event, args: seen.append(event))\n"
        "sys.audit('mlgrade-test.event')\nassert not seen, seen",
        "open('/proc/self/mem', 'rb')",
        "import os; open(f'/proc/{os.getpid()}/environ', 'rb')",
        "import os; open(os.devnull).close()",  # inside what a notebook may read: not reported
        "try:\n    open('/nonexistent\\nsecond line')\nexcept OSError:\n    pass",
        "for i in range(25):\n    try:\n        open(f'/nonexistent-{i}')\n    except OSError:\n        pass",
        "import socket\nwith socket.socket() as s:\n    s.bind(('127.0.0.1', 0))\n"
        "with socket.socket() as s:\n    try:\n        s.connect(('127.0.0.1', 9))\n    except OSError:\n        pass",
        "import os\nfor _ in range(2):\n    pid = os.fork()\n    if pid == 0:\n        os._exit(0)\n"
        "    os.waitpid(pid, 0)",
        "import sys; sys.audit('mlgrade.begin', 'part1')",
        "import sys; sys.audit('mlgrade.passed', 'nope')",
    ]
    outcomes, passed, tampered, attempts = run_guard(
        tmp_path, cells, tests={"part1": SQUARE_TEST}, setup="import gc; gc.get_objects()")
    refused = ["gc.get_objects", "gc.get_referrers", "gc.get_referents", "sys.settrace", "sys.setprofile",
               "sys._current_frames"] + blocked_by_event
    for outcome, event in zip(outcomes, refused):
        assert outcome == f"RuntimeError: {event} is not allowed while grading", (event, outcome)
    assert outcomes[len(refused)] == "ok", outcomes[len(refused)]  # the hook was not added
    refused.append("sys.addaudithook")
    rest = outcomes[len(refused):]
    assert rest[0] == "PermissionError: reading /proc/self/mem is not allowed while grading", rest[0]
    assert rest[1].startswith("PermissionError: reading /proc/") and rest[1].endswith(
        "/environ is not allowed while grading"), rest[1]
    assert rest[2:7] == ["ok"] * 5, rest
    forged = "RuntimeError: mlgrade events may only come from the instructor's test code"
    assert rest[7:] == [forged, forged], rest
    assert passed == set() and tampered == [], (passed, tampered)
    expected = [f"refused {event}" for event in refused]
    expected += ["refused open /proc/self/mem"]
    assert attempts[:len(expected)] == expected, attempts
    assert attempts[len(expected)].startswith("refused open /proc/") and attempts[len(expected)].endswith(
        "/environ"), attempts
    later = attempts[len(expected) + 1:]
    opens = [line for line in later if line.startswith("attempt open")]
    # At most 20 opens are reported; a newline in a path cannot start a log line of its own.
    assert opens == ["attempt open /nonexistent second line"] + [f"attempt open /nonexistent-{i}"
                                                                  for i in range(19)], opens
    assert [line for line in later if line.startswith("attempt socket")] == [
        "attempt socket.bind (('127.0.0.1', 0),)", "attempt socket.connect (('127.0.0.1', 9),)"], later
    forks = [line for line in later if line.startswith("attempt fork")]
    assert len(forks) == 1 and "process limit" in forks[0], later  # reported once
    assert later[-2:] == ["forged mlgrade.begin part1", "forged mlgrade.passed nope"], later
    assert len(later) == len(opens) + 2 + 1 + 2, later  # nothing else was logged


def test_a_guarded_test_is_signed_restored_and_stopped(tmp_path):
    """A passing test gets its signed line; patches made before a test are undone (and reported) before
    it runs; a patch or a student thread during a test stops it with a signed reason; a test run with
    other builtins is forged."""
    ids = ("honest", "patched_before", "patched_during", "thread", "other_builtins")
    cells = [
        "def square(x):\n    return x * x",
        WRAP.format(grade_id="honest"),
        # Patches of what tests use, and a wrong answer: the real assert_close must catch it.
        "import builtins, sys, types, numpy, mlcalc.testing\n"
        "mlcalc.testing.assert_close = lambda *a, **k: None\n"
        "numpy.allclose = lambda *a, **k: True\n"
        "builtins.abs = lambda x: 0\n"
        "builtins.cheat = 1\n"
        "sys.modules['mlcalc.testing'] = types.ModuleType('mlcalc.testing')\n"
        "def square(x):\n    return 0.0",
        WRAP.format(grade_id="patched_before"),
        "import builtins, sys, numpy, mlcalc.testing\n"
        "assert builtins.abs(-2) == 2 and not hasattr(builtins, 'cheat')\n"
        "assert sys.modules['mlcalc.testing'] is mlcalc.testing and numpy.allclose(1, 2) is False",
        "def square(x):\n    import numpy\n    numpy.allclose = lambda *a, **k: True\n    return x * x",
        WRAP.format(grade_id="patched_during"),
        "import numpy\nassert numpy.allclose(1, 2) is False  # restored when the test was stopped",
        "import threading\n_stop = threading.Event()\n"
        "def _student_thread():\n    _stop.wait(60)\n"
        "_thread = threading.Thread(target=_student_thread)\n_thread.start()\n"
        "def square(x):\n    return x * x",
        WRAP.format(grade_id="thread"),
        "_stop.set()\n_thread.join()",
        "import builtins\nexec(WRAPPED['other_builtins'], {'__builtins__': dict(vars(builtins)), 'square': square})",
    ]
    outcomes, passed, tampered, attempts = run_guard(tmp_path, cells, tests={g: SQUARE_TEST for g in ids})
    assert outcomes[:3] == ["ok"] * 3, outcomes
    assert outcomes[3].startswith("AssertionError: square(3.0): expected 9.0"), outcomes[3]
    assert outcomes[4:6] == ["ok", "ok"], outcomes
    assert outcomes[6] == "AssertionError: the grader stopped this test: patched during the test: numpy.allclose", \
        outcomes[6]
    assert outcomes[7:9] == ["ok", "ok"], outcomes
    assert outcomes[9].startswith("AssertionError: the grader stopped this test: another thread runs student "
                                  "code (<ipython-input-"), outcomes[9]
    assert outcomes[10] == "ok", outcomes
    assert outcomes[11] == "RuntimeError: mlgrade events may only come from the instructor's test code", outcomes
    assert passed == {"honest"}, passed
    assert tampered[0] == "patched_during patched during the test: numpy.allclose", tampered
    assert tampered[1].startswith("thread another thread runs student code (<ipython-input-"), tampered
    assert len(tampered) == 2, tampered
    restored = [line for line in attempts if line.startswith("restored patched_before ")]
    assert len(restored) == 1, attempts
    names = set(restored[0].split(" ", 2)[2].split(","))
    assert {"mlcalc.testing.assert_close", "numpy.allclose", "builtins.abs", "builtins.cheat",
            "sys.modules['mlcalc.testing']"} <= names, names
    assert attempts[-1] == "forged mlgrade.begin other_builtins", attempts


# Notebook code that looks for the guard. Defined before arming (as if it ran in IPython's own
# set-up): ``found`` names every route by which a notebook reached the guard or its key.
PROBE = r'''
import sys
_getframe = sys._getframe
found = []
_inside = []  # the probe itself runs (its own calls of spied functions are not the guard's)

def _guard_on_stack(route):
    """Record ``route`` if code of kernel_boot.py called the caller (the guard ran the notebook's code)."""
    if _inside:
        return
    _inside.append(route)
    try:
        frame = _getframe(2)
        while frame is not None:
            if frame.f_code.co_filename.endswith("kernel_boot.py"):
                found.append(route)
                break
            frame = frame.f_back
    finally:
        _inside.pop()

def spy(route, real):
    def spying(*args, **kwargs):
        _guard_on_stack(route)
        return real(*args, **kwargs)
    return spying

def _reaches_guard(value, depth=0, seen=None):
    """Whether ``value`` leads to the guard or its key within a few steps (no gc: plain references)."""
    seen = set() if seen is None else seen
    if depth > 3 or id(value) in seen:
        return False
    seen.add(id(value))
    if type(value).__name__ == "Guard" or (isinstance(value, type) and value.__name__ == "Guard"):
        return True
    if isinstance(value, (str, bytes)) and KEY in (value, value.encode() if isinstance(value, str) else value):
        return True
    nested = []
    if isinstance(value, dict):
        nested = list(value.values())
    elif isinstance(value, (list, tuple, set, frozenset)):
        nested = list(value)
    elif callable(value):
        nested = [getattr(value, "__self__", None), getattr(value, "__func__", None),
                  getattr(value, "__defaults__", None), getattr(value, "__globals__", None)]
        nested += [cell.cell_contents for cell in getattr(value, "__closure__", None) or ()]
    return any(_reaches_guard(item, depth + 1, seen) for item in nested if item is not None)

def through_traceback(route, error):
    tb = error.__traceback__
    while tb is not None:
        frame = tb.tb_frame
        if frame.f_code.co_filename.startswith("<ipython-input"):
            tb = tb.tb_next  # the notebook's own frame
            continue
        if _reaches_guard(dict(frame.f_locals)) or _reaches_guard(frame.f_globals):
            found.append(route)
            return
        tb = tb.tb_next

class Evil:
    """An object whose every method, if the guard called it, would run with the guard's frames below."""
    def __str__(self):
        _guard_on_stack("Evil.__str__"); return "evil"
    def __repr__(self):
        _guard_on_stack("Evil.__repr__"); return "evil"
    def __hash__(self):
        _guard_on_stack("Evil.__hash__"); return 1
    def __eq__(self, other):
        _guard_on_stack("Evil.__eq__"); return False
    def __del__(self):
        _guard_on_stack("Evil.__del__")
    @property
    def __class__(self):
        _guard_on_stack("Evil.__class__"); return Evil

class EvilText(str):
    def startswith(self, *a):
        _guard_on_stack("EvilText.startswith"); return False
    def endswith(self, *a):
        _guard_on_stack("EvilText.endswith"); return False
    def rstrip(self, *a):
        _guard_on_stack("EvilText.rstrip"); return "x"
    def __str__(self):
        _guard_on_stack("EvilText.__str__"); return "x"
    def __hash__(self):
        _guard_on_stack("EvilText.__hash__"); return 1
    def __eq__(self, other):
        _guard_on_stack("EvilText.__eq__"); return False
'''

ATTACKS = [
    # Refusals carry a traceback: nothing in its frames may lead to the guard.
    "try:\n    sys.audit('mlgrade.begin', 'part1')\nexcept RuntimeError as error:\n"
    "    through_traceback('forged event', error)",
    "try:\n    import gc; gc.get_objects()\nexcept RuntimeError as error:\n    through_traceback('gc', error)",
    "try:\n    open('/proc/self/mem', 'rb')\nexcept PermissionError as error:\n    through_traceback('/proc', error)",
    # What the guard used to call, replaced by the notebook (builtins are restored only when a test begins).
    "import builtins, os, posixpath, hmac, hashlib, resource, threading, _thread\n"
    "for module, names in [(builtins, ['isinstance', 'issubclass', 'hasattr', 'len', 'repr', 'id', 'any', 'all',"
    " 'getattr', 'sorted']), (os, ['write', 'getpid', 'getcwd']), (os.path, ['abspath', 'normpath']),"
    " (hmac, ['new']), (resource, ['getrlimit']), (threading, ['get_ident']), (_thread, ['get_ident']),"
    " (sys, ['_getframe', '_current_frames'])]:\n"
    "    for name in names:\n"
    "        setattr(module, name, spy(f'{module.__name__}.{name}', getattr(module, name)))",
    "try:\n    open('/nonexistent/spied')\nexcept OSError:\n    pass",
    "import socket\nwith socket.socket() as s:\n    try:\n        s.connect(('127.0.0.1', 9))\n    except OSError:\n"
    "        pass",
    "try:\n    sys.audit('mlgrade.passed', 'part1')\nexcept RuntimeError:\n    pass",
    # The notebook's objects handed to the guard.
    "try:\n    sys.audit('mlgrade.begin', Evil())\nexcept RuntimeError:\n    pass",
    "sys.audit('open', Evil(), 'r', 0)\nsys.audit('socket.connect', None, (Evil(), 1))\n"
    "sys.audit('object.__setattr__', Evil(), EvilText('__code__'), None)",
    "sys.audit('open', EvilText('/proc/self/mem'), 'r', 0)",
    "open(b'/proc/self/environ')",
    # Code of the test's shape but with the notebook's constant: its fingerprint must not call it.
    "import types\ndef forged():\n    __import__('sys').audit('mlgrade.begin', 'part1')\n"
    "code = forged.__code__.replace(co_consts=forged.__code__.co_consts + (Evil(),))\n"
    "try:\n    types.FunctionType(code, globals())()\nexcept RuntimeError:\n    pass",
    # Patches the guard must undo without calling them: a key of the notebook's type in a namespace,
    # objects with __del__ in place of trusted names, the behaviour of trusted functions and modules.
    "import numpy, mlcalc.testing\nvars(numpy)[Evil()] = 1\nnumpy.allclose = Evil()\nnumpy.extra = Evil()",
    "mlcalc.testing.assert_close.__code__ = (lambda *a, **k: None).__code__",
    "mlcalc.testing.assert_close.__kwdefaults__ = {}",
    "import types\nmlcalc.testing.__class__ = type('Lenient', (types.ModuleType,), {})",
    "def square(x):\n    return x * x",
    WRAP.format(grade_id="part1"),
    "import numpy\nassert numpy.allclose(1, 2) is False and not hasattr(numpy, 'extra')\n"
    "assert not [k for k in vars(numpy) if type(k) is not str]",
    "assert not found, found",
]


def test_the_guard_is_out_of_the_notebooks_reach(tmp_path):
    """A notebook can neither reach the guard (its key, its state, its class) nor make it run the
    notebook's code: not through the traceback of a refusal, not by replacing what the guard calls,
    not through objects it hands the guard, and not by changing trusted functions or modules in
    place. Each of these once gave full marks to wrong answers."""
    outcomes, passed, tampered, attempts = run_guard(
        tmp_path, ATTACKS, tests={"part1": SQUARE_TEST}, setup=PROBE + "\nKEY = KEY_OF_THIS_RUN\n")
    named = dict(zip(range(1, len(ATTACKS) + 1), outcomes))
    assert named[len(ATTACKS)] == "ok", named  # the last cell lists every route found
    assert named[10] == "PermissionError: reading /proc/self/mem is not allowed while grading", named[10]
    assert named[11] == "PermissionError: reading /proc/self/environ is not allowed while grading", named[11]
    assert named[14] == ("RuntimeError: changing mlcalc.testing.assert_close.__code__ is not allowed while grading"), \
        named[14]
    assert named[15].startswith("RuntimeError: changing mlcalc.testing.assert_close.__kwdefaults__"), named[15]
    assert named[16] == "RuntimeError: changing mlcalc.testing.__class__ is not allowed while grading", named[16]
    assert named[18] == "ok" and named[19] == "ok", named  # the test ran on the restored numpy and passed
    assert passed == {"part1"} and tampered == [], (passed, tampered)
    assert "attempt socket.connect ((<object>, 1),)" in attempts, attempts
    assert "forged mlgrade.begin <object>" in attempts, attempts
    restored = [line for line in attempts if line.startswith("restored part1 ")]
    assert restored and "numpy.<a name that is not a string>" in restored[0] and "numpy.allclose" in restored[0], \
        attempts


FAKE_KERNELAPP = r'''
import gc, json, sys

def launch_new_instance():
    """Stands in for ipykernel: one cell arms the guard, then this looks at what a notebook would see."""
    exec(compile("armed = True", "<ipython-input-1-0>", "exec"), dict())
    key = {key!r}
    held = []
    frame = sys._getframe(1)  # the callers: main and what called it
    while frame is not None:
        for name, value in frame.f_locals.items():
            texts = value.values() if isinstance(value, dict) else [value]
            if any(isinstance(t, (str, bytes)) and key in (t, t.encode() if isinstance(t, str) else t) for t in texts) \
                    or type(value).__name__ == "Guard":
                held.append(f"{{frame.f_code.co_name}}: {{name}}")
        frame = frame.f_back
    try:
        gc.get_objects()
        guarded = False
    except RuntimeError:
        guarded = True
    print(json.dumps({{"main": sorted(vars(sys.modules["__main__"])), "held": held, "guarded": guarded,
                      "argv": sys.argv}}))
'''


def test_boot_installs_the_guard_and_leaves_nothing_to_find(tmp_path):
    """``main`` reads the key from its pipe, installs the guard and starts the kernel with no frame
    holding the key, and with an empty ``__main__``: IPython keeps the module it replaces, where a
    notebook would otherwise find the guard's class and everything it calls."""
    import os

    key = secrets.token_hex(32)
    fake = tmp_path / "fake" / "ipykernel"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("")
    (fake / "kernelapp.py").write_text(FAKE_KERNELAPP.format(key=key))
    script = (f"import sys\nsys.path[:0] = [{str(tmp_path / 'fake')!r}, {str(REPO / 'mlgrade')!r}]\n"
              f"import kernel_boot\nkernel_boot.main(key_file='/nonexistent', log_file={str(tmp_path / 'log')!r})\n")
    read_end, write_end = os.pipe()
    os.write(write_end, json.dumps({"key": key, "tests": {}}).encode())
    os.close(write_end)
    try:
        proc = subprocess.run([sys.executable, "-c", script, "-f", "kernel.json"], capture_output=True, text=True,
                              timeout=120, pass_fds=(read_end,), env=dict(os.environ, MLGRADE_KEY_FD=str(read_end)))
    finally:
        os.close(read_end)
    assert proc.returncode == 0, proc.stderr[-3000:]
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    assert seen["guarded"] and seen["held"] == [], seen
    assert seen["main"] == ["__doc__", "__loader__", "__name__", "__package__", "__spec__"], seen["main"]
    assert seen["argv"] == ["ipykernel_launcher", "-f", "kernel.json"], seen["argv"]
    assert read_log(tmp_path / "log", key)[2] == ["refused gc.get_objects"]


ALIVE_PROBE = r"""
import os, sys
sys.path.insert(0, sys.argv[1])
import kernel_boot
kernel_boot._end_if_grader_gone()
print("went on", "MLGRADE_ALIVE_FD" in os.environ)
"""


def test_boot_ends_when_the_grading_process_that_started_it_is_gone():
    """A kernel whose grader died while the sandbox was being set up (no death signal reached
    bubblewrap's init yet) must not run on: the boot sees the grader's pipe ended and exits."""
    import os

    for grader_alive in (True, False):
        read_end, write_end = os.pipe()
        if not grader_alive:
            os.close(write_end)
        try:
            done = subprocess.run([sys.executable, "-c", ALIVE_PROBE, str(REPO / "mlgrade")],
                                  env={**os.environ, "MLGRADE_ALIVE_FD": str(read_end)}, pass_fds=(read_end,),
                                  capture_output=True, text=True, timeout=60)
        finally:
            os.close(read_end)
            if grader_alive:
                os.close(write_end)
        if grader_alive:
            assert (done.returncode, done.stdout.strip()) == (0, "went on False"), done.stderr
        else:
            assert (done.returncode, done.stdout) == (1, ""), (done.stdout, done.stderr)
