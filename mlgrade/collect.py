"""``make collect``: LMS downloads (a zip, or a folder of files and zips) into the submitted layout.

nbgrader's ``zip_collect`` does the work (extracting, matching file names with
``FileNameCollectorPlugin.named_regexp``, keeping the newest of duplicated
uploads, writing ``timestamp.txt``) in a temporary course; the result lands in
``<out>/<student>/<assignment>/``, the layout ``make grade`` reads. What
nbgrader warns about (unmatched names, duplicates and which one was kept) is
reported, and submissions later than ``--duedate`` are listed.

The default file-name pattern matches ``<student>_<notebook>.ipynb`` and
``<student>_<YYYY-MM-DD-HH-MM-SS>_<notebook>.ipynb``; pass ``--pattern`` (a
regular expression with the groups ``student_id``, ``file_id`` and optionally
``timestamp``) for other LMS conventions.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from .course import late_line, nbgrader_config, nbgrader_failure

DEFAULT_PATTERN = (r"(?:.*/)?(?P<student_id>[A-Za-z0-9.\-]+)_"
                   r"(?:(?P<timestamp>\d{4}-\d{2}-\d{2}[-T ]\d{2}[-:]\d{2}[-:]\d{2})_)?(?P<file_id>[^/]+?)\.ipynb$")


def collect(download: Path, assignment: str, out: Path, *, pattern: str = DEFAULT_PATTERN,
            duedate: str | None = None) -> list[str]:
    """Collect ``download`` for ``assignment`` into ``out``; return report lines."""
    from nbgrader.apps import ZipCollectApp
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.utils import capture_log, parse_utc

    if not download.exists():
        raise FileNotFoundError(f"download {download} does not exist")
    with tempfile.TemporaryDirectory(prefix="mlgrade-collect-") as tmp:
        root = Path(tmp)
        archive = root / "downloaded" / assignment / "archive"
        archive.mkdir(parents=True)
        if download.is_dir():
            for path in sorted(download.rglob("*")):
                if path.is_file() and not path.is_symlink():
                    shutil.copyfile(path, archive / path.name)
        else:
            shutil.copyfile(download, archive / download.name)
        staging = root / "submitted"
        config = nbgrader_config(root, f"sqlite:///{root / 'gradebook.db'}")
        config.CourseDirectory.submitted_directory = str(staging)
        config.CourseDirectory.assignment_id = assignment
        config.FileNameCollectorPlugin.named_regexp = pattern
        config.ZipCollectApp.force = True
        # Built like NbGraderAPI builds its apps: no config file is read from the working folder.
        app = ZipCollectApp(coursedir=CourseDirectory(config=config), config=config)
        app.coursedir.assignment_id = assignment
        result = capture_log(app)
        if not result["success"]:
            raise RuntimeError(f"nbgrader zip_collect failed:\n{nbgrader_failure(result)}")
        lines = [line.strip() for line in result["log"].splitlines()
                 if line.startswith("[WARNING]") and ("uplicate" in line or "timestamp" in line
                                                      or "did not match" in line or "Skipp" in line)]
        due = parse_utc(duedate) if duedate else None
        students = sorted(p.name for p in staging.iterdir()) if staging.exists() else []
        for student in students:
            source = staging / student / assignment
            target = out / student / assignment
            if target.exists():
                shutil.rmtree(target)
            shutil.copytree(source, target)
            late = late_line(student, assignment, source / "timestamp.txt", due)
            if late:
                lines.append(late)
        lines.append(f"collected {len(students)} student(s) for {assignment} into {out}")
        return lines
