"""``make collect``: an LMS download into the submitted layout, duplicates and late uploads reported."""

from __future__ import annotations

import subprocess
import zipfile
from pathlib import Path

import pytest

from conftest import ASSIGNMENTS, REPO, SOLUTIONS, source_notebook
from mlgrade.course import assignments


def lms_download(notebook: Path, archive: Path) -> Path:
    """A zip as an LMS gives it: amy's upload, bob's early one and his late resubmission, and a stray file."""
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr(f"amy_{notebook.name}", notebook.read_text())
        zf.writestr(f"bob_2026-01-01-09-00-00_{notebook.name}", '{"old": true}')
        zf.writestr(f"bob_2026-01-03-09-00-00_{notebook.name}", notebook.read_text())
        zf.writestr("readme.txt", "not a submission")
    return archive


def check_collected(out: Path, name: str, notebook: Path, report: str) -> None:
    assert (out / "amy" / name / notebook.name).read_text() == notebook.read_text()
    assert (out / "bob" / name / notebook.name).read_text() == notebook.read_text()  # the newest upload
    assert "newer timestamp" in report, report  # the duplicate is reported
    assert "late: bob" in report and "late: amy" not in report, report
    assert "collected 2 student(s)" in report, report


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_collect_a_zip_download(assignment, tmp_path):
    """Every assignment's notebook name (with underscores, say) is matched in the LMS's file names."""
    from mlgrade.collect import collect

    source, name = assignment
    notebook = source_notebook(source, name)
    out = tmp_path / "submitted"
    lines = collect(lms_download(notebook, tmp_path / "download.zip"), name, out, duedate="2026-01-02T00:00:00")
    check_collected(out, name, notebook, "\n".join(lines))


def test_make_collect_collects_a_zip_download(tmp_path):
    """The same through the instructor's command, once (``make collect`` runs mlgrade.collect)."""
    name = assignments(SOLUTIONS)[0]
    notebook = source_notebook(SOLUTIONS, name)
    out = tmp_path / "submitted"
    proc = subprocess.run(["make", "--no-print-directory", "collect",
                           f"DOWNLOAD={lms_download(notebook, tmp_path / 'download.zip')}", f"ASSIGNMENT={name}",
                           f"SUBMISSIONS={out}", "DUEDATE=2026-01-02T00:00:00"], cwd=REPO, capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    check_collected(out, name, notebook, proc.stdout)


def test_collect_arguments_are_checked(tmp_path):
    proc = subprocess.run(["make", "--no-print-directory", "collect", "ASSIGNMENT=x"], cwd=REPO,
                          capture_output=True, text=True)
    assert proc.returncode != 0 and "DOWNLOAD is missing" in proc.stderr
    proc = subprocess.run(["make", "--no-print-directory", "collect", f"DOWNLOAD={tmp_path / 'nope.zip'}",
                           "ASSIGNMENT=x"], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode != 0 and "does not exist" in proc.stderr
