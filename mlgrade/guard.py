"""The grader's side of the test guard: nbgrader preprocessors around ``Execute``.

A student's code runs in the same kernel as the instructor's test cells, so it
can monkeypatch what the tests use (``mlcalc.testing.assert_close``,
``numpy.testing``, ``numpy``'s functions, builtins, ``sys.modules``), or patch
IPython so that a test cell is skipped or its error swallowed. nbgrader scores
a test cell by the absence of an error output, so both would score. The defence:

* :class:`InjectGuard` (before ``Execute``) replaces every auto-graded test
  cell by the instructor's test (from the gradebook, whatever the student's
  copy says) wrapped in a function ``__mlgrade_test__`` that first emits the
  audit event ``mlgrade.begin``, then runs the test with an ``mlgrade.check``
  event after every statement (also inside loops and branches), and ends with
  ``mlgrade.passed``. It writes the wrapped sources and a fresh random key to
  the sandbox's root-only key file.
* In the kernel, ``kernel_boot.py`` (see there) installs an audit hook before
  any student code: on ``begin`` it restores the trusted modules' namespaces
  from a snapshot taken at boot, on ``check`` it fails the test if anything was
  patched meanwhile or a student thread runs, and on ``passed`` it logs an
  HMAC-signed line, but only when the calling frame runs the genuine
  instructor code with the real builtins.
* :class:`VerifyProof` (after ``Execute``) gives a test cell its points only
  if nbgrader saw no error *and* the log holds the signed ``passed`` line for
  it; otherwise it adds an error output naming the reason, so nbgrader's own
  ``SaveAutoGrades`` scores it 0. Refused or forged events are reported.
* :class:`StripGuard` puts the instructor's plain source back into the cell
  (the autograded notebook reads as nbgrader's usual one).

Limits, stated plainly: all of this lives in one process with the student's
code; it raises the bar (no gc walks, tracing, ctypes or /proc/self/mem to
reach the hook's key or snapshot; the hook calls nothing the notebook can
replace and leaves nothing in a traceback), it is not a proof. Known gaps: a
key the notebook puts into a trusted namespace (or ``sys.modules``) whose hash
equals a name's makes the guard's dictionary lookups call its ``__eq__``; a
Python signal handler sees whatever frame runs, the guard's too; mutating a
trusted function's ``__kwdefaults__`` dictionary in place is not seen; only
the namespaces of ``kernel_boot.TRUSTED`` are watched, not the modules their
functions call (``numpy.core.numeric`` behind ``numpy.allclose``). Tests
should import what they use inside the test cell (a test reading a global
defined by an earlier cell reads whatever the student left there).
"""

from __future__ import annotations

import ast
import hashlib
import hmac
import json
import os
import secrets
from pathlib import Path

from nbformat.notebooknode import NotebookNode
from traitlets import Unicode

from nbgrader.api import Gradebook
from nbgrader.preprocessors import NbGraderPreprocessor

MARK = "# mlgrade guard: "


def _event(name: str, grade_id: str) -> ast.stmt:
    return ast.parse(f"__import__('sys').audit({name!r}, {grade_id!r})").body[0]


def _with_checks(body: list[ast.stmt], grade_id: str) -> list[ast.stmt]:
    out: list[ast.stmt] = []
    for stmt in body:
        for field in ("body", "orelse", "finalbody"):
            inner = getattr(stmt, field, None)
            if isinstance(inner, list) and inner and isinstance(inner[0], ast.stmt) \
                    and not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                setattr(stmt, field, _with_checks(inner, grade_id))
        if isinstance(stmt, ast.Try):
            for handler in stmt.handlers:
                handler.body = _with_checks(handler.body, grade_id)
        out.append(stmt)
        if not isinstance(stmt, (ast.Return, ast.Break, ast.Continue, ast.Raise)):
            out.append(_event("mlgrade.check", grade_id))
    return out


def _top_scope(tree: ast.AST):
    """The nodes of the module's own scope (not inside functions, lambdas or classes)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
                stack.append(child)


def wrap_test(source: str, grade_id: str) -> str | None:
    """The guarded version of a test cell, or None when it cannot be wrapped in a function."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    if any(isinstance(node, (ast.Global, ast.Nonlocal, ast.Await, ast.Yield, ast.YieldFrom, ast.Return))
           or (isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names))
           for node in _top_scope(tree)):
        return None
    body = [_event("mlgrade.begin", grade_id)] + _with_checks(tree.body, grade_id) + [_event("mlgrade.passed", grade_id)]
    func = ast.FunctionDef(name="__mlgrade_test__", args=ast.arguments(posonlyargs=[], args=[], kwonlyargs=[],
                           kw_defaults=[], defaults=[]), body=body, decorator_list=[], returns=None)
    module = ast.Module(body=[func, ast.parse("__mlgrade_test__()").body[0]], type_ignores=[])
    ast.fix_missing_locations(module)
    text = MARK + grade_id + "\n" + ast.unparse(module) + "\n"
    try:
        compile(text, "<mlgrade>", "exec")
    except SyntaxError:
        return None
    return text


def _auto_test(cell: NotebookNode) -> str | None:
    meta = cell.metadata.get("nbgrader", {})
    if meta.get("grade") and not meta.get("solution") and meta.get("grade_id"):
        return meta["grade_id"]
    return None


class InjectGuard(NbGraderPreprocessor):
    """Replace auto-graded test cells by the instructor's guarded test; write the kernel's key file."""

    private_dir = Unicode(help="the sandbox's root-only folder (key file and log folder)").tag(config=True)

    def preprocess(self, nb, resources):
        notebook_id = resources["nbgrader"]["notebook"]
        assignment_id = resources["nbgrader"]["assignment"]
        with Gradebook(resources["nbgrader"]["db_url"]) as gb:
            source_nb = gb.find_notebook(notebook_id, assignment_id)
            instructor = {cell.name: cell.source for cell in source_nb.source_cells}
        tests: dict[str, str] = {}
        originals: dict[str, str] = {}
        for cell in nb.cells:
            grade_id = _auto_test(cell)
            if grade_id is None or grade_id not in instructor:
                continue
            wrapped = wrap_test(instructor[grade_id], grade_id)
            originals[grade_id] = instructor[grade_id]
            cell.cell_type = "code"
            cell.setdefault("outputs", [])
            cell.setdefault("execution_count", None)
            if wrapped is None:
                cell.source = instructor[grade_id]
            else:
                cell.source = wrapped
                tests[grade_id] = wrapped
        key = secrets.token_hex(32)
        private = Path(self.private_dir)
        (private / "log").mkdir(parents=True, exist_ok=True)
        os.chmod(private, 0o700)
        log = private / "log" / "guard.log"
        if log.exists():
            log.unlink()
        key_file = private / "key"
        key_file.write_text(json.dumps({"key": key, "tests": tests}))
        os.chmod(key_file, 0o600)
        resources["mlgrade"] = {"key": key, "guarded": sorted(tests), "originals": originals,
                                "unguarded": sorted(set(originals) - set(tests)), "log": str(log)}
        return nb, resources


def read_log(path: Path, key: str) -> tuple[set[str], list[str], list[str]]:
    """(grade ids with a valid signed pass, signed tamper reasons, unsigned attempt lines)."""
    passed, tampered, attempts = set(), [], []
    if not path.exists():
        return passed, tampered, attempts
    for line in path.read_text(errors="replace").splitlines():
        text, _, signature = line.rpartition(" ")
        genuine = text and hmac.compare_digest(signature, hmac.new(key.encode(), text.encode(), hashlib.sha256).hexdigest())
        if genuine and text.startswith("passed "):
            passed.add(text.split(" ", 1)[1])
        elif genuine and text.startswith("tampered "):
            tampered.append(text.split(" ", 1)[1])
        elif line.strip():
            attempts.append(line.strip()[:300])
    return passed, tampered, attempts


class VerifyProof(NbGraderPreprocessor):
    """Score a guarded test cell only if its signed ``passed`` line is in the guard log."""

    #: notebook name -> what the guard saw (passed, tampered, attempts, unguarded); read by the worker
    reports: dict = {}

    def preprocess(self, nb, resources):
        info = resources.get("mlgrade")
        if not info:
            return nb, resources
        passed, tampered, attempts = read_log(Path(info["log"]), info["key"])
        info.update(passed=sorted(passed), tampered=tampered, attempts=attempts)
        VerifyProof.reports[resources["nbgrader"]["notebook"]] = {
            k: info.get(k) for k in ("passed", "tampered", "attempts", "unguarded")}
        for cell in nb.cells:
            grade_id = _auto_test(cell)
            if grade_id is None or grade_id not in info["guarded"]:
                continue
            errored = any(out.get("output_type") == "error" for out in cell.get("outputs", []))
            if not errored and grade_id not in passed:
                cell.outputs.append(NotebookNode(
                    output_type="error", ename="GraderGuardError",
                    evalue="this test did not run to completion under the grader's guard "
                           "(the notebook interfered with the test, or the kernel stopped)",
                    traceback=["GraderGuardError: this test did not run to completion under the grader's guard"]))
        return nb, resources


class StripGuard(NbGraderPreprocessor):
    """Put the instructor's plain test source back in place of the guarded wrapper."""

    def preprocess(self, nb, resources):
        info = resources.get("mlgrade") or {}
        originals = info.get("originals", {})
        for cell in nb.cells:
            grade_id = _auto_test(cell)
            if grade_id in originals:
                cell.source = originals[grade_id]
        return nb, resources
