"""Pages of the book, read from _toc.yml (shared by the book tests)."""

from __future__ import annotations

import contextlib
import functools
import http.server
import sys
import threading
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
HTML = ROOT / "_build" / "html"

sys.path.insert(0, str(ROOT / "tests"))
from headless_chromium import launch_chromium  # noqa: E402,F401  (the book tests import it from here)


def toc_pages() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    pages = [toc["root"]]
    for part in toc.get("parts", []):
        pages += [entry["file"] for entry in part.get("chapters", [])]
    return pages


def chapter_pages() -> list[str]:
    """Pages that are notebooks (chapters), in table-of-contents order."""
    chapters = []
    for page in toc_pages():
        text = (ROOT / f"{page}.md").read_text(encoding="utf-8")
        if text.startswith("---") and "kernelspec:" in text.split("---", 2)[1]:
            chapters.append(page)
    return chapters


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


class _QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):  # a page closed mid-download: the browser's choice
            return
        super().handle_error(request, client_address)


@contextlib.contextmanager
def static_server(directory: Path):
    """A plain static HTTP server of ``directory`` on a free local port; yields its base address.

    It logs no requests, and no traceback for a connection the browser closed while a file was
    sent (a test closing its page while images load); any other error is printed."""
    server = _QuietServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(directory)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
