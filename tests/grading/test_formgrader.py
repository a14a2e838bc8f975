"""Manual grading end to end: make grade, then nbgrader's formgrader over HTTP, then the export and feedback.

The instructor's path for written answers: ``make grade`` says which answers
await a person and publishes the autograded notebooks where formgrader looks
(``nbgrader_config.py`` of the repository, with the same ``DB_URL`` and
``WORK``); a real Jupyter server with nbgrader's formgrader extension shows
the submission, and a manual score and a comment are entered through
formgrader's own HTTP API. The next ``make grade`` puts the score in the
export, ``make feedback`` shows score and comment, and a resubmitted answer is
flagged for grading again.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

from conftest import MANUAL, REPO, make_grade, read_grades, reference, release, source_notebook, submit
from mlgrade.course import parts, read_source

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("formgrader")]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Formgrader:
    """``jupyter server`` with nbgrader's formgrader, run from the repository as ``make formgrader`` does."""

    def __init__(self, db_url: str, work: Path, home: Path) -> None:
        self.port, self.token = _free_port(), "formgrader-test-token"
        env = dict(os.environ, DB_URL=db_url, WORK=str(work), HOME=str(home), JUPYTER_CONFIG_DIR=str(home / "cfg"),
                   JUPYTER_RUNTIME_DIR=str(home / "rt"))
        argv = [str(Path(sys.executable).parent / "jupyter"), "server", "--no-browser", f"--port={self.port}",
                "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={self.token}",
                "--ServerApp.jpserver_extensions=nbgrader.server_extensions.formgrader=True",
                f"--ServerApp.root_dir={REPO}"]
        if os.geteuid() == 0:
            argv.append("--allow-root")
        self.log = open(home / "server.log", "wb")
        self.proc = subprocess.Popen(argv, cwd=REPO, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while True:
            try:
                self.get("/formgrader/api/status")
                break
            except OSError:
                assert self.proc.poll() is None and time.monotonic() < deadline, (home / "server.log").read_text()
                time.sleep(0.3)

    def request(self, method: str, path: str, body: dict | None = None) -> tuple[int, str]:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=data, method=method,
                                     headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=30) as answer:
            return answer.status, answer.read().decode()

    def get(self, path: str):
        status, text = self.request("GET", path)
        assert status == 200, (path, status)
        return json.loads(text) if path.startswith("/formgrader/api") else text

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def test_written_answers_are_graded_in_formgrader_and_reach_export_and_feedback(tmp_path):
    source_dir, name = MANUAL[0].values[0]
    source = tmp_path / "source"
    shutil.copytree(source_dir / name, source / name)
    src_nb = source_notebook(source, name)
    written = next(p for p in parts(read_source(src_nb)) if not p.auto)
    auto_total = sum(p.points for p in parts(read_source(src_nb)) if p.auto)
    subs = tmp_path / "subs"
    ref = reference(source, name)
    submit(subs, "ref", name, ref, src_nb.name)
    submit(subs, "blank", name, nbformat.read(str(release(source, name, tmp_path / "release")), as_version=4),
           src_nb.name)
    db_url, work = f"sqlite:///{tmp_path / 'gradebook.db'}", tmp_path / "work"

    first = make_grade(subs, tmp_path / "g1.csv", source, tmp_path)
    pending = f"pending: ref/{name}/{src_nb.stem}/{written.grade_id}"
    assert "1 written answer(s) await manual grading" in first.stdout and pending in first.stdout, first.stdout
    assert f"blank/{name}" not in first.stdout.split("await manual grading")[-1]  # an empty answer is no work
    assert (work / "autograded" / "ref" / name / src_nb.name).is_file()

    server = Formgrader(db_url, work, tmp_path)
    try:
        (submission,) = [s for s in server.get(f"/formgrader/api/submitted_notebooks/{name}/{src_nb.stem}")
                         if s["student"] == "ref"]
        page = server.get(f"/formgrader/submissions/{submission['id']}/")
        answer = next(c.source for c in ref.cells if c.metadata.get("nbgrader", {}).get("grade_id") == written.grade_id)
        assert answer.split()[0] in page  # the student's written answer is shown for grading
        grade = next(g for g in server.get(f"/formgrader/api/grades?submission_id={submission['id']}")
                     if g["name"] == written.grade_id)
        assert grade["needs_manual_grade"]
        status, _ = server.request("PUT", f"/formgrader/api/grade/{grade['id']}",
                                   {"manual_score": written.points / 2, "extra_credit": None})
        assert status == 200
        comment = next(c for c in server.get(f"/formgrader/api/comments?submission_id={submission['id']}")
                       if c["name"] == written.grade_id)
        status, _ = server.request("PUT", f"/formgrader/api/comment/{comment['id']}",
                                   {"manual_comment": "Clear argument; say why the limit exists."})
        assert status == 200
    finally:
        server.close()

    second = make_grade(subs, tmp_path / "g2.csv", source, tmp_path)
    assert "0 graded" in second.stdout and "await manual grading" not in second.stdout, second.stdout
    rows = {r["student_id"]: r for r in read_grades(tmp_path / "g2.csv")}
    assert float(rows["ref"]["raw_score"]) == pytest.approx(auto_total + written.points / 2)
    assert float(rows["blank"]["raw_score"]) == 0.0

    out = tmp_path / "feedback"
    feedback = subprocess.run(["make", "--no-print-directory", "feedback", f"SOURCE={source}", f"WORK={work}",
                               f"DB_URL={db_url}", f"FEEDBACK={out}"], cwd=REPO, capture_output=True, text=True)
    assert feedback.returncode == 0, feedback.stderr
    report = (out / "ref" / f"{name}.html").read_text()
    assert f"Your instructor gave <b>{written.points / 2:g}</b> of {written.points:g} points" in report
    assert "Clear argument; say why the limit exists." in report
    assert "No answer" in (out / "blank" / f"{name}.html").read_text()

    # A resubmission that changes the written answer keeps the old score but is flagged again.
    changed = reference(source, name)
    cell = next(c for c in changed.cells if c.metadata.get("nbgrader", {}).get("grade_id") == written.grade_id)
    cell.source += "\n\nA second thought, added after grading."
    submit(subs, "ref", name, changed, src_nb.name)
    third = make_grade(subs, tmp_path / "g3.csv", source, tmp_path)
    assert "1 graded" in third.stdout, third.stdout
    assert "changed since it was graded by hand" in third.stdout and pending in third.stdout, third.stdout
