"""Every Makefile command fails with a clear message on bad input.

These run ``make`` in a scratch copy of the repository's build files, so they
never touch the real virtual environment or build folders.
"""

from __future__ import annotations

import shutil
import stat
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    for name in ("Makefile", "requirements.txt", "pyproject.toml"):
        shutil.copy(ROOT / name, tmp_path / name)
    return tmp_path


def make(directory: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "--no-print-directory", *args], cwd=directory, capture_output=True,
                          text=True, timeout=120)


def test_missing_python_is_named(scratch: Path) -> None:
    result = make(scratch, "venv", "PYTHON=/nonexistent/python3")
    assert result.returncode != 0
    assert "'/nonexistent/python3' not found" in result.stderr
    assert "Python 3.11" in result.stderr


def test_old_python_is_refused(scratch: Path) -> None:
    fake = scratch / "python-old"
    fake.write_text('#!/bin/sh\nif [ "$1" = "--version" ]; then echo "Python 3.8.10"; exit 0; fi\nexit 1\n')
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    result = make(scratch, "venv", f"PYTHON={fake}")
    assert result.returncode != 0
    assert "Python 3.11 or newer is required" in result.stderr
    assert "3.8.10" in result.stderr
    assert not (scratch / ".venv").exists(), "no environment must be created with a refused interpreter"


def test_serve_without_a_built_book(scratch: Path) -> None:
    result = make(scratch, "serve")
    assert result.returncode != 0
    assert "run 'make book' first" in result.stderr


def test_help_lists_the_main_targets() -> None:
    result = make(ROOT, "help")
    assert result.returncode == 0
    for target in ("book", "test", "lab", "serve", "release", "grade", "grade-worker", "exchange-release",
                   "exchange-collect", "collect", "feedback", "formgrader", "pdf", "test-fast", "test-deps",
                   "bench-grade", "clean"):
        assert f"make {target} " in result.stdout, f"'make help' does not list {target}"
