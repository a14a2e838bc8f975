"""Parallel grading equals serial grading; a killed run resumes without losing a grade.

One course holds the fixture and the first assignment of solutions/ (every
assignment is graded by the round-trip tests; here what matters is several
submissions in flight): one student submits the reference of each, three more
the fixture's reference, one its blank release, one nothing, so every
assignment is in every run.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from conftest import ASSIGNMENTS, REPO, SOLUTIONS, make_grade, read_grades, reference, release, source_notebook, submit

COURSE = [p for p in ASSIGNMENTS if p.id.startswith("fixture-")] + \
    [p for p in ASSIGNMENTS if not p.id.startswith("fixture-")][:1]
FIXTURE_ONLY = ("dan", "eve", "fay")


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = tmp_path_factory.mktemp("parallel")
    source = root / "source"
    subs = root / "submissions"
    for param in COURSE:
        src, name = param.values[0]
        shutil.copytree(src / name, source / name)
        filename = source_notebook(src, name).name
        blank = nbformat.read(str(release(src, name, root / "release")), as_version=4)
        submit(subs, "ana", name, reference(src, name), filename)
        if src != SOLUTIONS:  # a blank release and more honest work, on the quick fixture
            submit(subs, "ben", name, blank, filename)
            for student in FIXTURE_ONLY:
                submit(subs, student, name, reference(src, name), filename)
    (subs / "cleo").mkdir()  # submitted nothing
    return root, source, subs


def _make_cmd(root, source, subs, tag, jobs):
    return ["make", "--no-print-directory", "grade", f"SUBMISSIONS={subs}", f"GRADES={root / tag / 'grades.csv'}",
            f"SOURCE={source}", f"DB_URL=sqlite:///{root / tag / 'gradebook.db'}", f"WORK={root / tag / 'work'}",
            f"JOBS={jobs}"]


def _db_scores(db: str) -> dict[tuple[str, str, str], float | None]:
    from nbgrader.api import Gradebook

    scores = {}
    with Gradebook(db, "mlcalc") as gb:
        for assignment in gb.assignments:
            for submission in assignment.submissions:
                for notebook in submission.notebooks:
                    for grade in notebook.grades:
                        scores[(submission.student.id, assignment.name, grade.name)] = grade.auto_score
    return scores


def _processes_naming(text: str) -> list[str]:
    """Command lines of the running processes that contain ``text``."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            command = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # the process ended meanwhile
            continue
        if text in command:
            found.append(command[:200])
    return found


POOL_PROBE = """
import glob, json, os, threading, time
from mlgrade.pool import WorkerPool
pool = WorkerPool(2)
kinds = [type(p.proc).__name__ for p in pool._all]
processes = list(pool._all)
pipes = {p.proc.pid: {f"pipe:[{os.fstat(s.fileno()).st_ino}]" for s in (p.proc.stdin, p.proc.stdout)}
         for p in processes}
def links(pid):  # what the process's open files are; one may close between listing and reading
    seen = set()
    for f in glob.glob(f"/proc/{pid}/fd/*"):
        try:
            seen.add(os.readlink(f))
        except FileNotFoundError:
            pass
    return seen
def crossed():  # (child, other child) where the child holds an end of the other's pipes
    return [(pid, other) for pid in pipes for other in pipes if other != pid and pipes[other] & links(pid)]
deadline = time.monotonic() + 10  # a child closes them just after the fork
while crossed() and time.monotonic() < deadline:
    time.sleep(0.05)
crossed = crossed()
start = time.monotonic()
pool.close()
seconds = time.monotonic() - start
threading.Thread(target=time.sleep, args=(5,), daemon=True).start()
threaded = WorkerPool(1)
print(json.dumps({"single": kinds, "crossed": crossed, "close": seconds, "exit": [p.proc.returncode for p in processes],
                  "threaded": [type(p.proc).__name__ for p in threaded._all]}))
threaded.close()
"""


def test_grading_processes_are_forked_from_a_single_threaded_run_and_end_when_closed():
    """``make grade`` forks its grading processes once nbgrader is imported; a threaded parent (a
    Dask worker, say) starts them afresh, because a fork could inherit a lock another thread holds."""
    done = subprocess.run([sys.executable, "-c", POOL_PROBE], cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(done.stdout.splitlines()[-1])
    assert seen["single"] == ["_Forked", "_Forked"] and seen["threaded"] == ["Popen"], seen
    # A process sees the end of its input only when no other keeps a copy of its pipe.
    assert seen["crossed"] == [], seen
    assert seen["exit"] == [0, 0] and seen["close"] < 5, seen


@pytest.mark.slow
@pytest.mark.xdist_group("grading")
def test_parallel_equals_serial_and_resume_after_kill(course):
    root, source, subs = course
    for tag in ("serial", "parallel", "killed"):
        (root / tag).mkdir()
    make_grade(subs, root / "serial" / "grades.csv", source, root / "serial", jobs=1)
    make_grade(subs, root / "parallel" / "grades.csv", source, root / "parallel", jobs=2)
    serial = (root / "serial" / "grades.csv").read_text()
    assert (root / "parallel" / "grades.csv").read_text() == serial
    rows = read_grades(root / "serial" / "grades.csv")
    assert len(rows) == (3 + len(FIXTURE_ONLY)) * len(COURSE)
    honest = [r for r in rows if r["student_id"] == "ana" or
              (r["student_id"] in FIXTURE_ONLY and r["assignment"] == COURSE[0].values[0][1])]
    assert len(honest) == len(COURSE) + len(FIXTURE_ONLY)
    assert all(float(r["raw_score"]) > 0 for r in honest)
    assert all(float(r["raw_score"]) == 0 for r in rows if r not in honest)
    submitted = {f"{p.parent.name}/{p.name}" for p in subs.glob("*/*") if p.is_dir()}

    # Kill a run once some submissions are merged, check nothing merged is lost, resume.
    ledger = root / "killed" / "work" / "ledger.json"
    proc = subprocess.Popen(_make_cmd(root, source, subs, "killed", 2), cwd=REPO, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and proc.poll() is None:
        if ledger.exists() and len(submitted & set(json.loads(ledger.read_text() or "{}"))) >= 2:
            break
        time.sleep(0.2)
    assert proc.poll() is None, "the run finished before it could be interrupted"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    # Its grading processes and their sandboxed kernels (bwrap binds the run's folders) end with it.
    killed_work = str(root / "killed" / "work")
    deadline = time.monotonic() + 10
    while (left := _processes_naming(killed_work)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not left, f"processes of the killed run are still running: {left}"
    merged = json.loads(ledger.read_text())
    graded_before_kill = submitted & set(merged)
    assert 2 <= len(graded_before_kill) < len(submitted)
    db = f"sqlite:///{root / 'killed' / 'gradebook.db'}"
    before = _db_scores(db)
    assert not (root / "killed" / "grades.csv").exists()

    done = subprocess.run(_make_cmd(root, source, subs, "killed", 2), cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "already in the gradebook" in done.stdout
    after = _db_scores(db)
    for key, score in before.items():
        student, assignment, _ = key
        if f"{student}/{assignment}" in merged:
            assert after[key] == score, key
    assert (root / "killed" / "grades.csv").read_text() == serial
