"""Sphinx extension for the book: a downloadable ``.ipynb`` for every chapter.

MyST-NB renders our MyST Markdown notebooks but ships only the ``.md`` source.
Learners want a notebook they can open in JupyterLab, so for each page whose
source is a MyST Markdown notebook this writes ``_sources/<page>.ipynb`` (the
chapter without outputs, converted by jupytext) and sets ``ipynb_source``,
which makes sphinx-book-theme add a ``.ipynb`` entry to the download menu.
"""

from __future__ import annotations

from pathlib import Path

import jupytext


def _is_markdown_notebook(path: Path) -> bool:
    if path.suffix != ".md" or not path.exists():
        return False
    head = path.read_text(encoding="utf-8")[:2000]
    return head.startswith("---") and "kernelspec:" in head.split("---", 2)[1]


def add_notebook_download(app, pagename, templatename, context, doctree):
    if doctree is None or app.builder.format != "html":
        return
    source = Path(app.env.doc2path(pagename))
    if not _is_markdown_notebook(source):
        return
    notebook = jupytext.read(source, fmt="md:myst")
    target = Path(app.outdir) / "_sources" / f"{pagename}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    jupytext.write(notebook, target, fmt="ipynb")
    context["ipynb_source"] = f"{pagename}.ipynb"


def setup(app):
    # Before sphinx-book-theme builds its header buttons (default priority 500).
    app.connect("html-page-context", add_notebook_download, priority=400)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
