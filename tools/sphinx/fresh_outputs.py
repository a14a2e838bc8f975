"""Sphinx extension: a chapter executed again is read again, so its page shows the new outputs.

MyST-NB (``execute_notebooks: cache``) takes a chapter's outputs from the
jupyter-cache when Sphinx reads the chapter, and Sphinx reads a page again only
when its source file changed. ``tools/build_book.py`` executes every chapter
again when ``mlcalc`` changed (a plotting function, say) without any chapter
changing: the cache then holds the new outputs, and without this extension the
pages would keep the old ones.

Before reading, every page whose newest execution in the cache is younger than
the page's last reading is marked outdated. Reading the cache's records is cheap
(no notebook is hashed); a page read once too often costs a second, a page left
stale would show a figure the code no longer draws.
"""

from __future__ import annotations

from datetime import timezone
from pathlib import Path


def _newest_executions(cache_path: Path) -> dict[str, float]:
    """The notebook path -> time (microseconds since the epoch) of its newest execution in the cache."""
    from jupyter_cache import get_cache

    newest: dict[str, float] = {}
    for record in get_cache(str(cache_path)).list_cache_records():
        created = record.created if record.created.tzinfo else record.created.replace(tzinfo=timezone.utc)
        stamp = created.timestamp() * 1e6
        newest[record.uri] = max(stamp, newest.get(record.uri, 0.0))
    return newest


def pages_executed_since_read(app, env, added, changed, removed) -> list[str]:
    if app.config.nb_execution_mode != "cache" or not app.config.nb_execution_cache_path:
        return []
    cache_path = Path(app.config.nb_execution_cache_path)
    if not cache_path.is_absolute():
        cache_path = Path(app.srcdir) / cache_path
    if not cache_path.exists():
        return []
    outdated = []
    for uri, executed in _newest_executions(cache_path).items():
        docname = env.path2doc(uri)
        if docname is not None and docname in env.all_docs and executed > env.all_docs[docname]:
            outdated.append(docname)
    return sorted(outdated)


def setup(app):
    app.connect("env-get-outdated", pages_executed_since_read)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
