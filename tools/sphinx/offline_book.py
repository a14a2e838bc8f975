"""Sphinx extension for the book: downloadable notebooks, and no Thebe.

Downloads
---------

MyST-NB renders our MyST Markdown notebooks but ships only the ``.md`` source.
Learners want a notebook they can open in JupyterLab, so for each page whose
source is a MyST Markdown notebook this writes ``_sources/<page>.ipynb`` (the
chapter without outputs, converted by jupytext) and sets ``ipynb_source``,
which makes sphinx-book-theme add a ``.ipynb`` entry to the download menu.

No Thebe
--------
Jupyter Book always loads ``sphinx_thebe``, which adds (twice) an inline script
pointing at a CDN copy of Thebe and a loader script. The book is meant to work
offline and has no live-kernel buttons, so those scripts and the stylesheet are
dropped from every page (the inline script's duplicate declaration was also a
JavaScript error on each page).
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


def _is_thebe(asset) -> bool:
    filename = getattr(asset, "filename", None) or ""
    body = (getattr(asset, "attributes", None) or {}).get("body", "") or ""
    return "thebe" in filename.lower() or "THEBE_JS_URL" in body


def drop_thebe(app, pagename, templatename, context, doctree):
    for key in ("script_files", "css_files"):
        if key in context:
            context[key] = [asset for asset in context[key] if not _is_thebe(asset)]


# The ipywidgets HTML manager is an AMD module named
# "@jupyter-widgets/html-manager/dist/libembed-amd" and resolves its icon fonts
# relative to that module's address; RequireJS (configured through a global
# ``require`` object defined before require.js loads) maps the name onto the
# vendored copy in _static, so the fonts load from the book itself.
WIDGETS_ASSETS_PATH = (
    "var require = {paths: {'@jupyter-widgets/html-manager/dist': "
    "(document.documentElement.dataset.content_root || '') + '_static/html-manager'}};"
)


def setup(app):
    # Before sphinx-book-theme builds its header buttons (default priority 500).
    app.connect("html-page-context", add_notebook_download, priority=400)
    app.connect("html-page-context", drop_thebe, priority=900)
    app.add_js_file(None, body=WIDGETS_ASSETS_PATH, priority=400)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
