"""Fixtures for the tests of the built HTML book.

``make test`` builds the book before running pytest; when pytest is run on its
own and the book is missing, the fixture builds it (the build is cached, so an
unchanged book costs seconds).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bookpages import HTML, ROOT, launch_chromium


@pytest.fixture(scope="session")
def built_book() -> Path:
    if not (HTML / "index.html").exists():
        completed = subprocess.run([sys.executable, str(ROOT / "tools" / "build_book.py")], cwd=ROOT)
        assert completed.returncode == 0, "the book failed to build (see the output above)"
    return HTML


@pytest.fixture(scope="module")
def chromium():
    """Debian's chromium, headless, offline flags (bookpages.launch_chromium); one per test module."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        yield browser
        browser.close()
