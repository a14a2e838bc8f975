"""The nbgrader exchange end to end: release, two students fetch and submit, collect, grade.

Students are real, separate accounts: each runs nbgrader's own command-line
tools from the course's virtual environment in a bubblewrap view of the
machine, as its own uid (``setpriv``), with its own home folder, and an
``/etc/passwd`` that knows alice, bob and mallory. The exchange is a temporary
folder, seen by the students at ``/srv/nbgrader/exchange`` (set, with the
course id, in their ``~/.jupyter/nbgrader_config.py``, as a JupyterHub image
would) and by the instructor through ``EXCHANGE=``. The instructor's ``make
exchange-collect`` runs with the same accounts known, as on a JupyterHub server.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import REPO, SOLUTIONS, make_grade, read_grades, reference, source_notebook

NAME = "01-limits"
STUDENTS = {"alice": 61001, "bob": 61002, "mallory": 61003}
STUDENT_CONFIG = 'c = get_config()\nc.CourseDirectory.course_id = "mlcalc"\nc.Exchange.root = "/srv/nbgrader/exchange"\n'
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("exchange"),
              pytest.mark.skipif(shutil.which("bwrap") is None or os.geteuid() != 0,
                                 reason="needs bubblewrap and root to simulate student accounts")]


class Machine:
    """A temporary exchange and student homes, with the accounts known to a private /etc/passwd."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.exchange = root / "exchange"
        passwd = Path("/etc/passwd").read_text()
        group = Path("/etc/group").read_text()
        for name, uid in STUDENTS.items():
            passwd += f"{name}:x:{uid}:{uid}:{name}:/home/{name}:/bin/sh\n"
            group += f"{name}:x:{uid}:\n"
            home = root / "home" / name
            (home / ".jupyter").mkdir(parents=True)
            (home / ".jupyter" / "nbgrader_config.py").write_text(STUDENT_CONFIG)
            for path in (home, home / ".jupyter"):
                os.chown(path, uid, uid)
        (root / "passwd").write_text(passwd)
        (root / "group").write_text(group)

    def accounts(self) -> list[str]:
        return ["--ro-bind", str(self.root / "passwd"), "/etc/passwd",
                "--ro-bind", str(self.root / "group"), "/etc/group"]

    def as_student(self, name: str, *argv: str) -> subprocess.CompletedProcess:
        """Run ``argv`` as the student ``name`` in their home (nbgrader on PATH, no network)."""
        uid = STUDENTS[name]
        install = Path(os.path.realpath(sys.executable)).parent.parent
        venv = Path(sys.prefix)
        cmd = [shutil.which("bwrap"), "--die-with-parent", "--unshare-pid", "--unshare-net",
               "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--tmpfs", "/home", "--dir", "/srv/nbgrader"]
        for path in ("/usr", "/bin", "/sbin", "/lib", "/lib64", "/etc"):
            if os.path.exists(path):
                cmd += ["--ro-bind", path, path]
        cmd += self.accounts()
        parents = sorted({str(p) for target in (install, venv) for p in target.parents
                          if str(p) != "/" and not str(p).startswith("/usr")}, key=len)
        for parent in parents:
            cmd += ["--perms", "0755", "--dir", parent]
        cmd += ["--ro-bind", str(install), str(install), "--ro-bind", str(venv), str(venv),
                "--bind", str(self.root / "home" / name), f"/home/{name}",
                "--bind", str(self.exchange), "/srv/nbgrader/exchange",
                "--chdir", f"/home/{name}", "--clearenv", "--setenv", "HOME", f"/home/{name}",
                "--setenv", "USER", name, "--setenv", "PATH", f"{venv / 'bin'}:/usr/bin:/bin",
                "--", "setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", *argv]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=300)

    def student_nbgrader(self, name: str, *args: str) -> str:
        proc = self.as_student(name, "nbgrader", *args)
        assert proc.returncode == 0, (name, args, proc.stdout[-2000:], proc.stderr[-2000:])
        return proc.stdout + proc.stderr

    def write_notebook(self, name: str, nb) -> Path:
        """The student's edit: their copy of the notebook, replaced (owned by them)."""
        import nbformat

        path = self.root / "home" / name / NAME / source_notebook(SOLUTIONS, NAME).name
        assert path.is_file(), f"{name} has not fetched {NAME}"
        nbformat.write(nb, str(path))
        os.chown(path, STUDENTS[name], STUDENTS[name])
        return path

    def instructor(self, target: str, **variables: str) -> subprocess.CompletedProcess:
        argv = ["make", "--no-print-directory", target, f"ASSIGNMENT={NAME}", f"EXCHANGE={self.exchange}"]
        argv += [f"{k}={v}" for k, v in variables.items()]
        cmd = [shutil.which("bwrap"), "--dev-bind", "/", "/", *self.accounts(), "--", *argv]
        return subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=600)


def test_release_fetch_submit_collect_grade(tmp_path):
    machine = Machine(tmp_path)
    released = machine.instructor("exchange-release")
    assert released.returncode == 0, released.stderr
    assert f"released {NAME}" in released.stdout
    outbound = machine.exchange / "mlcalc" / "outbound" / NAME
    assert sorted(p.name for p in outbound.iterdir()) == sorted(p.name for p in (REPO / "exercises" / NAME).iterdir())

    # Each student fetches the release into their own home.
    for name in ("alice", "bob"):
        machine.student_nbgrader(name, "fetch_assignment", NAME)
        fetched = machine.root / "home" / name / NAME
        assert fetched.is_dir() and fetched.stat().st_uid == STUDENTS[name]
    listed = machine.student_nbgrader("alice", "list")
    assert NAME in listed

    solved = reference(SOLUTIONS, NAME)
    # alice solves it and submits once.
    machine.write_notebook("alice", solved)
    machine.student_nbgrader("alice", "submit", NAME)
    # bob submits the complete notebook, then resubmits the blank one: the newest counts.
    import nbformat
    blank = nbformat.read(str(REPO / "exercises" / NAME / source_notebook(SOLUTIONS, NAME).name), as_version=4)
    machine.write_notebook("bob", solved)
    machine.student_nbgrader("bob", "submit", NAME)
    time.sleep(1.1)  # nbgrader's submission timestamps have a resolution of microseconds; be generous
    machine.write_notebook("bob", blank)
    machine.student_nbgrader("bob", "submit", NAME)
    # mallory impersonates alice with a newer, empty submission.
    machine.student_nbgrader("mallory", "fetch_assignment", NAME)
    machine.write_notebook("mallory", blank)
    machine.student_nbgrader("mallory", "submit", NAME, "--student", "alice")

    inbound = sorted(p.name.split("+")[0] for p in (machine.exchange / "mlcalc" / "inbound").iterdir())
    assert inbound == ["alice", "alice", "bob", "bob"]
    # A student cannot read the others' submissions in the inbound folder.
    peek = machine.as_student("bob", "ls", "/srv/nbgrader/exchange/mlcalc/inbound")
    assert peek.returncode != 0

    submitted = tmp_path / "submitted"
    collected = machine.instructor("exchange-collect", SUBMISSIONS=str(submitted))
    assert collected.returncode == 0, collected.stdout + collected.stderr
    assert "collected 2 student(s)" in collected.stdout, collected.stdout
    assert "refused" in collected.stdout and "by the account mallory" in collected.stdout, collected.stdout
    assert sorted(p.name for p in submitted.iterdir()) == ["alice", "bob"]
    for name in ("alice", "bob"):
        assert (submitted / name / NAME / "timestamp.txt").is_file()

    # Collecting again changes nothing; the submissions are graded from the collected layout.
    again = machine.instructor("exchange-collect", SUBMISSIONS=str(submitted))
    assert again.returncode == 0 and "updated" not in again.stdout.split("collected")[-1], again.stdout
    grades = tmp_path / "grades.csv"
    source = tmp_path / "source"
    shutil.copytree(SOLUTIONS / NAME, source / NAME)  # a course of this assignment alone
    make_grade(submitted, grades, source, tmp_path / "grading", jobs=2)
    rows = {row["student_id"]: row for row in read_grades(grades)}
    assert {row["assignment"] for row in read_grades(grades)} == {NAME}
    max_score = float(rows["alice"]["max_score"])
    auto = sum(g["auto_score"] or 0 for g in json.loads(
        (tmp_path / "grading" / "work" / "report.json").read_text())[f"alice/{NAME}"]["grades"].values())
    assert auto > 0 and float(rows["alice"]["score"]) == auto <= max_score
    assert float(rows["bob"]["score"]) == 0.0
    for name in ("alice", "bob"):
        stamp = (submitted / name / NAME / "timestamp.txt").read_text().strip()
        assert rows[name]["timestamp"][:19].replace("T", " ") == stamp[:19].replace("T", " "), (rows[name], stamp)


def test_exchange_commands_explain_bad_input(tmp_path):
    proc = subprocess.run(["make", "--no-print-directory", "exchange-release"], cwd=REPO, capture_output=True,
                          text=True)
    assert proc.returncode == 2 and "ASSIGNMENT is missing" in proc.stderr
    proc = subprocess.run(["make", "--no-print-directory", "exchange-release", "ASSIGNMENT=99-nothing",
                           f"EXCHANGE={tmp_path / 'x'}"], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode != 0 and "no released assignment '99-nothing'" in proc.stderr
    proc = subprocess.run(["make", "--no-print-directory", "exchange-collect", f"ASSIGNMENT={NAME}",
                           f"EXCHANGE={tmp_path / 'empty'}"], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode != 0 and "no inbound folder" in proc.stderr
