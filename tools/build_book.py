"""Build the book: execute the chapters in parallel into the jupyter-cache, then run Sphinx.

``sphinx-build -j`` cannot execute notebooks in parallel here (an extension that
Jupyter Book always loads is not parallel-safe), so the chapters are executed
first, in a process pool, into the jupyter-cache that MyST-NB reads in
``execute_notebooks: cache`` mode. Sphinx then finds every chapter cached and
executes none. An unchanged chapter is never executed again.

The English edition is built into ``_build/html`` and, at the same time, each
translated edition (``tools/i18n.py html``, e.g. the Chinese one into
``_build/html/zh``) from the same sources and the same cache: the build fails if a
translated edition executed anything.

With ``--extract-messages`` (``make test``), the English messages are also extracted
for the translation checks (``tools/i18n.py extract``) once the English edition is
built, beside the translated build that is still running: a core would otherwise
idle there, and the test of the catalogues then finds them current.

Usage: python tools/build_book.py [--extract-messages]
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import subprocess
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "_build" / ".jupyter_cache"
MYST_READER = {"name": "myst_nb_md", "type": "plugin"}
LIBRARY_STAMP = ROOT / "_build" / "mlcalc.sha256"
TRANSLATED_LOG = ROOT / "_build" / "editions" / "build.log"


def library_digest() -> str:
    """A digest of the mlcalc sources: the chapters' outputs depend on them too."""
    digest = hashlib.sha256()
    for path in sorted((ROOT / "mlcalc").rglob("*.py")):
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def forget_executions_if_library_changed() -> None:
    """The jupyter-cache keys a chapter by its own code only; when mlcalc changes, every
    chapter must run again, or a change that breaks a chapter would go unnoticed."""
    digest = library_digest()
    if LIBRARY_STAMP.exists() and LIBRARY_STAMP.read_text() == digest:
        return
    if CACHE.exists():
        from jupyter_cache import get_cache

        get_cache(str(CACHE)).clear_cache()
        print("mlcalc changed since the last build: every chapter executes again.")
    LIBRARY_STAMP.parent.mkdir(parents=True, exist_ok=True)
    LIBRARY_STAMP.write_text(digest)


def chapter_notebooks() -> list[Path]:
    """The MyST Markdown notebooks listed in ``_toc.yml`` (pages with a kernelspec)."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += [entry["file"] for entry in part.get("chapters", [])]
    notebooks = []
    for name in files:
        path = ROOT / f"{name}.md"
        if not path.exists():
            raise SystemExit(f"error: _toc.yml lists {name}, but {path.relative_to(ROOT)} does not exist")
        head = path.read_text(encoding="utf-8")[:2000]
        if head.startswith("---") and "kernelspec:" in head.split("---", 2)[1]:
            notebooks.append(path)
    return notebooks


def execute_in_parallel(notebooks: list[Path], timeout: int) -> bool:
    """Execute the notebooks whose code changed into the cache; report failures."""
    from jupyter_cache import get_cache
    from jupyter_cache.executors import load_executor

    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    logger = logging.getLogger("build_book")
    cache = get_cache(str(CACHE))
    pks = [cache.add_nb_to_project(str(nb), read_data=MYST_READER).pk for nb in notebooks]
    stale = [pk for pk in pks if cache.get_cached_project_nb(pk) is None]
    if not stale:
        print(f"All {len(notebooks)} chapters are unchanged: nothing to execute.")
        return True
    print(f"Executing {len(stale)} of {len(notebooks)} chapters in parallel ...", flush=True)
    executor = load_executor("local-parallel", cache=cache, logger=logger)
    result = executor.run_and_cache(filter_pks=stale, timeout=timeout, allow_errors=False)
    ok = True
    for record in cache.list_project_records(filter_pks=stale):
        name = Path(record.uri).relative_to(ROOT)
        if record.traceback:
            ok = False
            print(f"\nerror: executing {name} failed:\n{record.traceback}", file=sys.stderr)
    if result.errored or result.excepted:
        ok = False
    return ok


def report_times(notebooks: list[Path]) -> None:
    from jupyter_cache import get_cache

    cache = get_cache(str(CACHE))
    rows = []
    for nb in notebooks:
        record = cache.add_nb_to_project(str(nb), read_data=MYST_READER)
        cached = cache.get_cached_project_nb(record.pk)
        seconds = cached.data.get("execution_seconds") if cached is not None else None
        rows.append((nb.relative_to(ROOT), seconds))
    print("Chapter execution times (from the cache):")
    for name, seconds in rows:
        shown = f"{seconds:6.1f} s" if seconds is not None else "   n/a"
        print(f"  {shown}  {name}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--extract-messages", action="store_true",
                        help="also extract the English messages into _build/gettext (tools/i18n.py extract)")
    arguments = parser.parse_args()
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    timeout = int(config["execute"]["timeout"])

    start = time.perf_counter()
    forget_executions_if_library_changed()
    notebooks = chapter_notebooks()
    if not execute_in_parallel(notebooks, timeout):
        print("error: a chapter failed to execute (traceback above); the book was not built.", file=sys.stderr)
        return 1
    executed = time.perf_counter()
    # The English edition and the translated ones (tools/i18n.py) are built side by side: same sources,
    # same execution cache, so no chapter executes again (the cache's records before and after prove
    # it). The translated build's output goes to a log, shown if it fails, so the English build's
    # messages stay readable.
    records_before = cache_records()
    TRANSLATED_LOG.parent.mkdir(parents=True, exist_ok=True)
    with open(TRANSLATED_LOG, "w") as log:
        translated_build = subprocess.Popen([sys.executable, str(ROOT / "tools" / "i18n.py"), "html"], cwd=ROOT,
                                            stdout=log, stderr=subprocess.STDOUT)
        command = [str(Path(sys.executable).parent / "jupyter-book"), "build", str(ROOT), "--builder", "html",
                   "-n", "-W", "--keep-going"]
        completed = subprocess.run(command, cwd=ROOT)
        finished = time.perf_counter()
        extraction = None
        if arguments.extract_messages and completed.returncode == 0:
            extraction = subprocess.run([sys.executable, str(ROOT / "tools" / "i18n.py"), "extract"], cwd=ROOT,
                                        capture_output=True, text=True)
        translated_status = translated_build.wait()
    if completed.returncode != 0:
        print("error: the Sphinx build failed or warned (warnings are errors); see above.", file=sys.stderr)
        return completed.returncode
    if translated_status != 0:
        print(TRANSLATED_LOG.read_text()[-6000:], file=sys.stderr)
        print(f"error: a translated edition failed to build or warned (warnings are errors); see above "
              f"(the whole log: {TRANSLATED_LOG.relative_to(ROOT)}).", file=sys.stderr)
        return translated_status
    print(TRANSLATED_LOG.read_text().strip().splitlines()[-1])
    if extraction is not None:
        if extraction.returncode != 0:
            print(extraction.stdout[-3000:] + extraction.stderr[-3000:], file=sys.stderr)
            print("error: extracting the English messages (tools/i18n.py extract) failed; see above.",
                  file=sys.stderr)
            return extraction.returncode
        print(extraction.stdout.strip().splitlines()[-1])
    executed_again = sorted(set(cache_records()) - set(records_before))
    if executed_again:
        print(f"error: building the HTML editions executed chapters again: {executed_again}; they "
              "must reuse the execution cache filled above.", file=sys.stderr)
        return 1
    translated = time.perf_counter()
    report_times(notebooks)
    print(f"Executed chapters in {executed - start:.1f} s, then built the English HTML in {finished - executed:.1f} s "
          f"and, beside it, the translated editions{' and the English messages' if extraction else ''} in "
          f"{translated - executed:.1f} s.")
    index = ROOT / "_build" / "html" / "index.html"
    print(f"The book is ready: {index}")
    print(f"Open it in a browser: file://{index}")
    return 0


def cache_records() -> list[tuple[int, str]]:
    """(id, creation time) of every execution stored in the jupyter-cache."""
    from jupyter_cache import get_cache

    return [(record.pk, record.created.isoformat()) for record in get_cache(str(CACHE)).list_cache_records()]


if __name__ == "__main__":
    sys.exit(main())
