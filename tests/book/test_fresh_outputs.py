"""A chapter executed again after its page was read is read again (tools/sphinx/fresh_outputs.py)."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from types import SimpleNamespace

import nbformat

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tools" / "sphinx"))

from fresh_outputs import pages_executed_since_read  # noqa: E402


def _execute_into(cache_path: Path, notebook: Path) -> None:
    """Store an executed copy of ``notebook`` in the jupyter-cache, as tools/build_book.py does."""
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    nb = nbformat.read(str(notebook), as_version=4)
    nb.cells[0].outputs = [nbformat.v4.new_output("stream", name="stdout", text="2\n")]
    get_cache(str(cache_path)).cache_notebook_bundle(CacheBundleIn(nb, str(notebook)), check_validity=False,
                                                     overwrite=True)


def test_a_page_is_read_again_only_after_its_chapter_executed_again(tmp_path: Path) -> None:
    source = tmp_path / "src"
    (source / "book").mkdir(parents=True)
    chapter = source / "book" / "chapter.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(1 + 1)")]), str(chapter))
    other = source / "book" / "other.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(3)")]), str(other))
    cache = tmp_path / "cache"
    _execute_into(cache, chapter)
    _execute_into(cache, other)
    read_at = time.time_ns() // 1_000  # both pages read after both executions
    env = SimpleNamespace(all_docs={"book/chapter": read_at, "book/other": read_at},
                          path2doc=lambda path: str(Path(path).relative_to(source).with_suffix("")))
    app = SimpleNamespace(config=SimpleNamespace(nb_execution_mode="cache", nb_execution_cache_path=str(cache)),
                          srcdir=str(source))
    assert pages_executed_since_read(app, env, set(), set(), set()) == []
    time.sleep(0.01)
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(2 + 2)")]), str(chapter))
    _execute_into(cache, chapter)  # executed again (mlcalc changed, say), its page not read since
    assert pages_executed_since_read(app, env, set(), set(), set()) == ["book/chapter"]
    env.all_docs["book/chapter"] = time.time_ns() // 1_000
    assert pages_executed_since_read(app, env, set(), set(), set()) == []
    app.config.nb_execution_mode = "off"
    env.all_docs["book/chapter"] = 0
    assert pages_executed_since_read(app, env, set(), set(), set()) == []
