"""``make grade SCHEDULER=...``: the same grading on a Dask cluster of several worker processes.

A ``LocalCluster`` of two single-threaded worker processes stands in for the
machines of a real cluster (nothing is shared with them but the scheduler's
messages: submissions and templates travel as bytes). The grades and the
per-part results must equal a local run's, and both workers must have graded.
"""

from __future__ import annotations

import json
import subprocess

import nbformat
import pytest

from conftest import FIXTURES, REPO, make_grade, reference, release, submit

NAME = "00-fixture"
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("cluster")]


def _submissions(root):
    ref = reference(FIXTURES, NAME)
    blank = nbformat.read(str(release(FIXTURES, NAME, root / "release")), as_version=4)
    for student in ("ann", "ben", "cy"):
        submit(root / "subs", student, NAME, ref, "fixture.ipynb")
    submit(root / "subs", "dee", NAME, blank, "fixture.ipynb")
    submit(root / "subs", "eve", NAME, "{ not a notebook", "fixture.ipynb")
    (root / "subs" / "fay").mkdir()  # no submission at all
    # Files over the file-size limit (64 MiB; sparse here) are refused, locally and before sending.
    with open(root / "subs" / "ben" / NAME / "data.bin", "wb") as handle:
        handle.truncate(65 * 2 ** 20)
    (root / "subs" / "gus" / NAME).mkdir(parents=True)
    with open(root / "subs" / "gus" / NAME / "fixture.ipynb", "wb") as handle:
        handle.truncate(65 * 2 ** 20)
    return root / "subs"


def _parts(report: dict) -> dict:
    return {key: ({g: v["auto_score"] for g, v in result["grades"].items()}, result.get("error"),
                  [note for note in result.get("notes", []) if "MiB" in note or "JSON" in note])
            for key, result in report.items()}


def test_dask_cluster_grades_like_a_local_run(tmp_path):
    from dask.distributed import LocalCluster

    subs = _submissions(tmp_path)
    local = tmp_path / "local"
    make_grade(subs, local / "grades.csv", FIXTURES, local, jobs=2)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        remote = tmp_path / "remote"
        proc = make_grade(subs, remote / "grades.csv", FIXTURES, remote, f"--scheduler={cluster.scheduler_address}")
        assert "on the Dask cluster" in proc.stdout and "(2 worker threads)" in proc.stdout, proc.stdout
    assert (remote / "grades.csv").read_text() == (local / "grades.csv").read_text()
    report_local = json.loads((local / "work" / "report.json").read_text())
    report_remote = json.loads((remote / "work" / "report.json").read_text())
    assert _parts(report_remote) == _parts(report_local)
    assert {r["auto_score"] for r in report_remote[f"ann/{NAME}"]["grades"].values()} - {None}
    assert "data.bin: larger than 64 MiB, left out" in report_remote[f"ben/{NAME}"]["notes"]
    assert "fixture.ipynb: larger than 64 MiB, not graded (0 points)" in report_remote[f"gus/{NAME}"]["notes"]
    assert not any(g["auto_score"] for g in report_remote[f"gus/{NAME}"]["grades"].values())
    workers = {r.get("graded_on") for key, r in report_remote.items() if key.split("/")[0] in "ann ben cy dee eve gus"}
    assert None not in workers and len(workers) == 2, workers
    # The autograded notebooks came back: feedback works from the remote run's folder.
    feedback = subprocess.run(["make", "--no-print-directory", "feedback", f"SOURCE={FIXTURES}",
                               f"WORK={remote / 'work'}", f"FEEDBACK={remote / 'feedback'}"],
                              cwd=REPO, capture_output=True, text=True)
    assert feedback.returncode == 0, feedback.stderr
    assert "class='passed'" in (remote / "feedback" / "ann" / f"{NAME}.html").read_text()


def test_unreachable_scheduler_is_a_clear_error(tmp_path):
    subs = tmp_path / "subs"
    submit(subs, "ann", NAME, reference(FIXTURES, NAME), "fixture.ipynb")
    proc = make_grade(subs, tmp_path / "g.csv", FIXTURES, tmp_path, "--scheduler=tcp://127.0.0.1:9", check=False)
    assert proc.returncode != 0 and "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in proc.stderr, proc.stderr
    proc = make_grade(subs, tmp_path / "g.csv", FIXTURES, tmp_path, "--scheduler=127.0.0.1:9", check=False)
    assert proc.returncode != 0 and "expected an address like tcp://host:8786" in proc.stderr, proc.stderr


def test_grade_worker_needs_a_scheduler():
    proc = subprocess.run(["make", "--no-print-directory", "grade-worker"], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 2 and "SCHEDULER is missing" in proc.stderr, proc.stderr


def test_workers_with_other_code_or_no_sandbox_are_named():
    from mlgrade.cluster import check_workers, code_digest
    from mlgrade.course import CourseError

    digest = code_digest()
    check_workers({"tcp://a:1": {"host": "a", "digest": digest, "sandbox": None}}, digest)
    with pytest.raises(CourseError) as info:
        check_workers({"tcp://a:1": {"host": "a", "digest": digest, "sandbox": None},
                       "tcp://b:2": {"host": "b", "digest": "0" * 64, "sandbox": None},
                       "tcp://c:3": {"host": "c", "digest": digest, "sandbox": "bwrap: no permission"}}, digest)
    text = str(info.value)
    assert "tcp://b:2 (b): its mlcalc/mlgrade sources differ" in text
    assert "tcp://c:3 (c): bwrap: no permission" in text and "tcp://a:1" not in text


def test_a_sandbox_that_cannot_start_names_the_kernel_setting(tmp_path, monkeypatch):
    """Without root the sandbox needs unprivileged user namespaces; where the machine forbids them
    the error names the setting (locally and for every Dask worker)."""
    from mlgrade.cluster import worker_info
    from mlgrade.sandbox import SandboxError, check_sandbox

    fake = tmp_path / "bwrap"
    fake.write_text("#!/bin/sh\necho 'bwrap: No permissions to create a new namespace' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setattr("os.geteuid", lambda: 1000)
    monkeypatch.setattr("mlgrade.sandbox.shutil.which", lambda name: str(fake))
    monkeypatch.setattr("mlgrade.sandbox.userns_blocker", lambda: "user.max_user_namespaces = 0")
    with pytest.raises(SandboxError, match="user.max_user_namespaces = 0") as failure:
        check_sandbox(tmp_path / "check")
    assert "No permissions to create a new namespace" in str(failure.value)
    assert "user.max_user_namespaces" in worker_info(unsafe_no_sandbox=False)["sandbox"]
    assert worker_info(unsafe_no_sandbox=True)["sandbox"] is None


def test_pack_keeps_files_and_drops_links(tmp_path):
    from mlgrade.cluster import pack, unpack

    (tmp_path / "a" / "sub").mkdir(parents=True)
    (tmp_path / "a" / "sub" / "x.ipynb").write_text("{}")
    (tmp_path / "a" / "link").symlink_to("/etc/passwd")
    unpack(pack(tmp_path / "a"), tmp_path / "b")
    assert (tmp_path / "b" / "sub" / "x.ipynb").read_text() == "{}"
    assert not (tmp_path / "b" / "link").exists()
