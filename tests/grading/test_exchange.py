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

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

import nbformat

from conftest import REPO, SOLUTIONS, auto_points, make_grade, read_grades, reference, source_notebook
from mlgrade.course import assignments

NAME = "01-limits"
STUDENTS = {"alice": 61001, "bob": 61002, "mallory": 61003}
STUDENT_CONFIG = 'c = get_config()\nc.CourseDirectory.course_id = "mlcalc"\nc.Exchange.root = "/srv/nbgrader/exchange"\n'
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("exchange")]


@pytest.fixture(autouse=True)
def _accounts_can_be_simulated():
    """Student accounts are simulated with bubblewrap and setpriv, which needs root: a missing
    prerequisite fails the test with its name, never skips it."""
    assert shutil.which("bwrap"), "bubblewrap is missing: run tools/install-test-deps.sh (apt-get install bubblewrap)"
    assert os.geteuid() == 0, "the exchange test switches to student uids: run make test as root"


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

    def student_nbgrader(self, name: str, command: str, *assignments: str, extra: tuple[str, ...] = ()) -> str:
        """``nbgrader <command> <assignment> [extra]`` as ``name``, for each assignment in turn."""
        loop = 'for a in "$@"; do nbgrader ' + command + ' "$a" ' + " ".join(extra) + ' || exit 1; done'
        proc = self.as_student(name, "sh", "-c", loop, "sh", *assignments)
        assert proc.returncode == 0, (name, command, proc.stdout[-2000:], proc.stderr[-2000:])
        return proc.stdout + proc.stderr

    def write_notebook(self, name: str, assignment: str, nb) -> Path:
        """The student's edit: their copy of the notebook, replaced (owned by them)."""
        path = self.root / "home" / name / assignment / source_notebook(SOLUTIONS, assignment).name
        assert path.is_file(), f"{name} has not fetched {assignment}"
        nbformat.write(nb, str(path))
        os.chown(path, STUDENTS[name], STUDENTS[name])
        return path

    def instructor(self, target: str, assignment: str, **variables: str) -> subprocess.CompletedProcess:
        argv = ["make", "--no-print-directory", target, f"ASSIGNMENT={assignment}", f"EXCHANGE={self.exchange}"]
        argv += [f"{k}={v}" for k, v in variables.items()]
        cmd = [shutil.which("bwrap"), "--dev-bind", "/", "/", *self.accounts(), "--", *argv]
        return subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=600)


def test_release_fetch_submit_collect_grade(tmp_path):
    """Two assignments through the exchange at once: alice solves both, bob hands in blanks; then grading.

    The exchange moves files whatever they hold: that every assignment's reference scores full
    marks and its blank 0 is tested for each assignment by the round-trip tests."""
    machine = Machine(tmp_path)
    names = assignments(SOLUTIONS)[:2]
    assert NAME in names
    released = machine.instructor("exchange-release", " ".join(names))
    assert released.returncode == 0, released.stderr
    for name in names:
        assert f"released {name} to" in released.stdout, released.stdout
        outbound = machine.exchange / "mlcalc" / "outbound" / name
        assert sorted(p.name for p in outbound.iterdir()) == sorted(
            p.name for p in (REPO / "exercises" / name).iterdir())

    # Each student fetches every release into their own home.
    for student in ("alice", "bob"):
        machine.student_nbgrader(student, "fetch_assignment", *names)
        for name in names:
            fetched = machine.root / "home" / student / name
            assert fetched.is_dir() and fetched.stat().st_uid == STUDENTS[student]
    listed = machine.student_nbgrader("alice", "list", NAME)
    assert NAME in listed

    blank = {name: nbformat.read(str(REPO / "exercises" / name / source_notebook(SOLUTIONS, name).name),
                                 as_version=4) for name in names}
    # alice solves every assignment and submits each once.
    for name in names:
        machine.write_notebook("alice", name, reference(SOLUTIONS, name))
    machine.student_nbgrader("alice", "submit", *names)
    # bob submits a complete NAME, then resubmits it blank (the newest counts), and hands in the rest blank.
    machine.write_notebook("bob", NAME, reference(SOLUTIONS, NAME))
    machine.student_nbgrader("bob", "submit", NAME)
    time.sleep(0.1)
    for name in names:
        machine.write_notebook("bob", name, blank[name])
    machine.student_nbgrader("bob", "submit", *names)
    # mallory impersonates alice with a newer, blank NAME.
    machine.student_nbgrader("mallory", "fetch_assignment", NAME)
    machine.write_notebook("mallory", NAME, blank[NAME])
    machine.student_nbgrader("mallory", "submit", NAME, extra=("--student", "alice"))

    inbound = [p.name.split("+")[:2] for p in (machine.exchange / "mlcalc" / "inbound").iterdir()]
    assert sorted(s for s, a in inbound if a == NAME) == ["alice", "alice", "bob", "bob"]
    assert len(inbound) == 2 * len(names) + 2
    # A student cannot list the others' submissions in the inbound folder.
    peek = machine.as_student("bob", "ls", "/srv/nbgrader/exchange/mlcalc/inbound")
    assert peek.returncode != 0

    submitted = tmp_path / "submitted"
    collected = machine.instructor("exchange-collect", " ".join(names), SUBMISSIONS=str(submitted))
    assert collected.returncode == 0, collected.stdout + collected.stderr
    for name in names:
        assert f"collected 2 student(s) for {name} into" in collected.stdout, collected.stdout
    refused = [line for line in collected.stdout.splitlines() if "refused" in line]
    assert len(refused) == 1 and f"alice+{NAME}+" in refused[0] and "by the account mallory" in refused[0], refused
    assert sorted(p.name for p in submitted.iterdir()) == ["alice", "bob"]
    for student in ("alice", "bob"):
        assert sorted(p.name for p in (submitted / student).iterdir()) == names
    # Collecting again changes nothing.
    again = machine.instructor("exchange-collect", NAME, SUBMISSIONS=str(submitted))
    assert again.returncode == 0 and "updated" not in again.stdout.split("collected")[-1], again.stdout

    # Grading the collected layout: alice earns every automatic point, bob none; the times are kept.
    grades = tmp_path / "grades.csv"
    course = tmp_path / "course"
    for name in names:
        shutil.copytree(SOLUTIONS / name, course / name)
    make_grade(submitted, grades, course, tmp_path / "grading", jobs=2)
    rows = {(row["student_id"], row["assignment"]): row for row in read_grades(grades)}
    assert len(rows) == 2 * len(names)
    for name in names:
        auto = sum(auto_points(source_notebook(SOLUTIONS, name)).values())
        assert auto > 0 and float(rows["alice", name]["score"]) == auto, (name, rows["alice", name], auto)
        assert float(rows["bob", name]["score"]) == 0.0, rows["bob", name]
        for student in ("alice", "bob"):
            stamp = (submitted / student / name / "timestamp.txt").read_text().strip()
            assert rows[student, name]["timestamp"][:19] == stamp[:19].replace("T", " "), (rows[student, name], stamp)


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
