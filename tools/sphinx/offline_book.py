"""Sphinx extension for the book: downloadable notebooks, slider frames as files, no Thebe.

Downloads
---------

MyST-NB renders our MyST Markdown notebooks but ships only the ``.md`` source.
Learners want a notebook they can open in JupyterLab, so for each page whose
source is a MyST Markdown notebook this writes ``_sources/<page>.ipynb`` (the
chapter without outputs, converted by jupytext) and sets ``ipynb_source``,
which makes sphinx-book-theme add a ``.ipynb`` entry to the download menu.

Slider frames as files
----------------------
``mlcalc.widgets.frame_slider`` outputs self-contained HTML: every frame is a
``data:`` URI in a ``<script type="application/json" class="mlcalc-frames">``,
which is what a notebook in JupyterLab needs, but inlined in a page it made
chapters weigh up to 2 MB and the browser parse every frame before the first
paint. The notebooks are executed into the jupyter-cache, away from the HTML
output, so the frames are moved out when each page is written: each distinct
frame becomes ``_images/frames/<sha256>.png`` and the page keeps only its
relative address. The visible frame is an ordinary ``<img>``; the others load
when the slider is first used. Relative addresses work from ``file://``.

Widget assets only where a widget is shown
------------------------------------------
MyST-NB embeds the saved widget state of every notebook that created a widget
and then loads RequireJS and the 3.6 MB ipywidgets HTML manager. The book's
explorers have their output removed, so on a page that shows no widget view
these scripts are dropped.

No sphinx-thebe
---------------
Jupyter Book always loads ``sphinx_thebe``, which adds (twice) an inline script
pointing at a CDN copy of Thebe and a loader script. The book is meant to work
offline, so those scripts and the stylesheet are dropped from every page (the
inline script's duplicate declaration was also a JavaScript error on each page).
Live code (``make serve``) uses the vendored Thebe through ``live_code.py``'s own
loader, which loads nothing until its button is pressed.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
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


FRAMES = re.compile(r'(<script type="application/json" class="mlcalc-frames">)(.*?)(</script>)', re.DOTALL)
FRAME_DIR = "_images/frames"
DATA_PNG = "data:image/png;base64,"


def _frame_file(outdir: Path, uri: str) -> str:
    """Write one ``data:image/png`` URI as a file named by its content; return its path in the output."""
    if not uri.startswith(DATA_PNG):
        raise ValueError(f"a frame slider frame is not a PNG data URI: {uri[:40]!r}")
    data = base64.b64decode(uri[len(DATA_PNG):], validate=True)
    name = f"{FRAME_DIR}/{hashlib.sha256(data).hexdigest()[:24]}.png"
    target = outdir / name
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_suffix(f".{id(data)}.tmp")
        temporary.write_bytes(data)
        temporary.replace(target)
    return name


def frames_to_files(body: str, outdir: Path, pathto) -> str:
    """Move the frames of every frame slider in ``body`` into files; return the new body."""
    replacements: dict[str, str] = {}

    def externalise(match: re.Match) -> str:
        uris = json.loads(match.group(2))
        urls = []
        for uri in uris:
            if not uri.startswith("data:"):  # already a file (the page was processed before)
                urls.append(uri)
                continue
            if uri not in replacements:
                replacements[uri] = pathto(_frame_file(outdir, uri), 1)
            urls.append(replacements[uri])
        return match.group(1) + json.dumps(urls) + match.group(3)

    body = FRAMES.sub(externalise, body)
    # The visible frame's <img src> holds one of the same data URIs.
    for uri, url in replacements.items():
        body = body.replace(f'src="{uri}"', f'src="{url}"')
    return body


def externalise_frames(app, pagename, templatename, context, doctree):
    if app.builder.format != "html" or "mlcalc-frames" not in context.get("body", ""):
        return
    context["body"] = frames_to_files(context["body"], Path(app.outdir), context["pathto"])


def _is_thebe(asset) -> bool:
    filename = getattr(asset, "filename", None) or ""
    body = (getattr(asset, "attributes", None) or {}).get("body", "") or ""
    return "thebe" in filename.lower() or "THEBE_JS_URL" in body


def _is_widget_asset(asset) -> bool:
    filename = (getattr(asset, "filename", None) or "").removeprefix("_static/")
    attributes = getattr(asset, "attributes", None) or {}
    return (filename.startswith(("require.js", "html-manager/"))
            or attributes.get("type") == "application/vnd.jupyter.widget-state+json"
            or attributes.get("body") == WIDGETS_ASSETS_PATH)


def drop_thebe(app, pagename, templatename, context, doctree):
    # Widget state is saved for every executed notebook that created a widget, but the
    # explorers' outputs are removed (a static page cannot run their callbacks): a page
    # that shows no widget view needs neither the state nor the 3.6 MB widget manager.
    shows_widgets = "application/vnd.jupyter.widget-view+json" in context.get("body", "")
    for key in ("script_files", "css_files"):
        if key in context:
            context[key] = [asset for asset in context[key]
                            if not _is_thebe(asset) and (shows_widgets or not _is_widget_asset(asset))]


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
    app.connect("html-page-context", externalise_frames)
    app.add_js_file(None, body=WIDGETS_ASSETS_PATH, priority=400)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
