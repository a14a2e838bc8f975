"""``make collect``: an LMS download into the submitted layout, duplicates and late uploads reported."""

from __future__ import annotations

import subprocess
import zipfile

import pytest

from conftest import ASSIGNMENTS, REPO, source_notebook


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_collect_a_zip_download(assignment, tmp_path):
    source, name = assignment
    notebook = source_notebook(source, name)
    archive = tmp_path / "download.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr(f"amy_{notebook.name}", notebook.read_text())
        zf.writestr(f"bob_2026-01-01-09-00-00_{notebook.name}", '{"old": true}')
        zf.writestr(f"bob_2026-01-03-09-00-00_{notebook.name}", notebook.read_text())
        zf.writestr("readme.txt", "not a submission")
    out = tmp_path / "submitted"
    proc = subprocess.run(["make", "--no-print-directory", "collect", f"DOWNLOAD={archive}", f"ASSIGNMENT={name}",
                           f"SUBMISSIONS={out}", "DUEDATE=2026-01-02T00:00:00"], cwd=REPO, capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (out / "amy" / name / notebook.name).read_text() == notebook.read_text()
    assert (out / "bob" / name / notebook.name).read_text() == notebook.read_text()  # the newest upload
    assert "newer timestamp" in proc.stdout  # the duplicate is reported
    assert "late: bob" in proc.stdout and "late: amy" not in proc.stdout
    assert "collected 2 student(s)" in proc.stdout


def test_collect_arguments_are_checked(tmp_path):
    proc = subprocess.run(["make", "--no-print-directory", "collect", "ASSIGNMENT=x"], cwd=REPO,
                          capture_output=True, text=True)
    assert proc.returncode != 0 and "DOWNLOAD is missing" in proc.stderr
    proc = subprocess.run(["make", "--no-print-directory", "collect", f"DOWNLOAD={tmp_path / 'nope.zip'}",
                           "ASSIGNMENT=x"], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode != 0 and "does not exist" in proc.stderr
