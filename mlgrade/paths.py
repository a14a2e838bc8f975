"""Where grading keeps its state by default: the course gradebook and the work folder.

Small and free of heavy imports, because the repository's ``nbgrader_config.py``
imports it too (formgrader must look where ``make grade`` writes).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from .course import GRADING


def default_db_url() -> str:
    """``$DB_URL``, or the SQLite gradebook ``_grading/gradebook.db``."""
    return os.environ.get("DB_URL") or f"sqlite:///{GRADING / 'gradebook.db'}"


def default_work(db_url: str) -> Path:
    """The work folder of a gradebook: ``_grading/work/<hash of its URL>``."""
    return GRADING / "work" / hashlib.sha256(db_url.encode()).hexdigest()[:12]


def ensure_sqlite_folder(db_url: str) -> None:
    """Create the folder of a SQLite gradebook (``sqlite:///path``): nbgrader would otherwise fail
    with advice to run ``nbgrader db upgrade``, which is not the cause."""
    prefix = "sqlite:///"
    if db_url.startswith(prefix):
        Path(db_url[len(prefix):]).expanduser().parent.mkdir(parents=True, exist_ok=True)
