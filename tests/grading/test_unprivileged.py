"""Grading without root: ``make grade`` run by a normal user, each kernel in its own user namespace.

The test creates that user (CI runs as root) and runs ``make grade`` as it,
with a view of the machine in which the virtual environment's Python is
readable (``/root`` is private on this machine; an instructor's own venv would
be in their home). The fixture course is graded with the honest and the
hostile submissions of the corpus: the guard, every limit and the file and
network isolation must hold exactly as they do under root.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import pytest

from conftest import FIXTURES, REPO, auto_points, reference, release, source_notebook, submit
from corpus import _outputs, build

NAME = "00-fixture"
USER = "mlgrade-test"
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("grading-unprivileged")]


def _user() -> int:
    assert os.geteuid() == 0, "this test creates a normal user to grade as: run make test as root"
    try:
        return pwd.getpwnam(USER).pw_uid
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", USER],
                       check=True, capture_output=True)
        return pwd.getpwnam(USER).pw_uid


def test_a_normal_user_grades_in_the_sandbox():
    uid = _user()
    root = Path(tempfile.mkdtemp(prefix="mlg-unpriv-"))
    try:
        source = root / "source"
        shutil.copytree(FIXTURES / NAME, source / NAME)
        src_nb = source_notebook(source, NAME)
        blank = nbformat.read(str(release(source, NAME, root / "release")), as_version=4)
        cases = build(reference(source, NAME), blank, src_nb.read_text(),
                      [str(REPO / "solutions"), str(REPO / "mlgrade"), "/root"], str(REPO))
        subs = root / "subs"
        for student in ("ref", "blank", "tricks", "patcher", "shellpatch", "hostile"):
            submit(subs, student, NAME, cases[student], src_nb.name)
        for path in [root, *root.rglob("*")]:
            os.chown(path, uid, uid)
        install = Path(os.path.realpath(sys.executable)).parent.parent
        view = [shutil.which("bwrap"), "--dev-bind", "/", "/"]
        chain = [*reversed(install.parents), install][1:]  # from the top folder down to the installation
        closed = next((i for i, p in enumerate(chain) if not p.stat().st_mode & 0o001), None)
        if closed is not None and closed + 1 < len(chain):  # e.g. /root: show only the way to Python
            view += ["--tmpfs", str(chain[closed]), "--ro-bind", str(chain[closed + 1]), str(chain[closed + 1])]
        argv = view + ["--", "setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
                       "env", f"HOME={root}", "make", "--no-print-directory", "-o", ".venv/.installed", "grade",
                       f"SUBMISSIONS={subs}", f"GRADES={root / 'grades.csv'}", f"SOURCE={source}",
                       f"DB_URL=sqlite:///{root / 'gradebook.db'}", f"WORK={root / 'work'}", "JOBS=2",
                       "GRADE_OPTS=--cell-timeout=15"]
        proc = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=900)
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        assert f"canary: the reference solution of {NAME} scores full marks" in proc.stdout
        assert (root / "grades.csv").stat().st_uid == uid

        import json

        report = json.loads((root / "work" / "report.json").read_text())
        points = auto_points(src_nb)

        def scores(student):
            return {g["grade_id"]: g["auto_score"] for g in report[f"{student}/{NAME}"]["grades"].values()
                    if g["grade_id"] in points}

        def notes(student):
            result = report[f"{student}/{NAME}"]
            return " | ".join(result["notes"] + [result["error"] or ""])

        assert scores("ref") == points and scores("hostile") == points, (notes("ref"), notes("hostile"))
        for student in ("blank", "tricks", "patcher", "shellpatch"):
            assert all(v == 0 for v in scores(student).values()), (student, notes(student))
        assert "guard" in notes("shellpatch"), notes("shellpatch")
        hostile = notes("hostile")
        autograded = root / "work" / "runs" / NAME / "hostile" / "course" / "autograded" / "hostile" / NAME / src_nb.name
        assert "nothing leaked" in _outputs(autograded), _outputs(autograded)[-2000:]
        assert "socket.connect" in hostile and "attempt open" in hostile, hostile
        assert "memory limit" in hostile and "process limit" in hostile and "per-cell time limit" in hostile, hostile
    finally:
        shutil.rmtree(root, ignore_errors=True) if not os.environ.get("KEEP") else None
