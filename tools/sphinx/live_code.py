"""Sphinx extension for the book: a "Live code" button on every chapter page.

With ``make serve`` (``tools/serve.py``) a Jupyter server runs beside the book. The button
turns the page's code cells into editable cells that run in a kernel of that server, in
order, each replacing its static output as it runs; ipywidgets explorers come alive.
Opened from ``file://`` or any other server, the button only explains how to start
``make serve``; nothing is loaded before it is pressed.

Why our own loader and not sphinx-thebe
---------------------------------------
Jupyter Book loads ``sphinx_thebe``, whose configuration points at unpkg and Binder, and
whose ``bootstrap`` call turns every highlighted block into a cell. Its loader has no
place for what this book needs: the kernel address and token only known at run time
(``/_live/config.json``), the cells that a page removes but later cells need (removed
cells hold definitions and checks), and no network at all. So ``offline_book`` keeps
dropping sphinx-thebe's scripts, and ``static/live-code.js`` (under 400 lines) uses the
vendored Thebe bundle (npm ``thebe``, ``_static/thebe/``) directly:

* every code cell of the chapter runs, in the notebook's order, from the chapter's
  downloadable ``_sources/<page>.ipynb`` (the notebook jupytext reads from the page's
  source); a cell the page shows becomes an editor in place, a removed one runs unseen;
* each cell of the page gets the class ``mlcalc-cell-<index>``, its index in that
  notebook. The build checks that the code each page shows is the notebook's cell at
  that index, so the live cells can never run the wrong code;
* Markdown outputs are rendered with the vendored ``marked`` and math with the page's own
  MathJax 3 (Thebe's default is MathJax 2 from a CDN); the one file Thebe fetches from a
  CDN (RequireJS, for widget classes) is answered with the book's own copy.

Texts
-----
Every sentence the button and the script show is in ``templates/live-code-button.html``,
translated through the catalogue ``locales/<language>/LC_MESSAGES/sphinx.po``. Sphinx
writes again only the pages whose source changed (and copies static files only then), so
a change of the script, its stylesheet or that catalogue makes every page build again.
"""

from __future__ import annotations

from pathlib import Path

import jupytext
from docutils import nodes
from sphinx.errors import ExtensionError

from book_editions import add_header_button, edition_depth
from offline_book import _is_markdown_notebook

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
BUTTON_TEMPLATE = "live-code-button.html"
CELL_CLASS = "mlcalc-cell-{index}"


def install_button(app, config) -> None:
    """Put the button first among the article header's buttons (after book_editions, priority 800)."""
    add_header_button(config, BUTTON_TEMPLATE)


def add_static_files(app) -> None:
    # After book_editions has emptied html_static_path in a translated edition: live-code.js and
    # its stylesheet are small and belong to each edition; Thebe itself is shared (_vendor).
    if str(STATIC) not in app.config.html_static_path:
        app.config.html_static_path.append(str(STATIC))


def _code_source(cell: nodes.Element) -> str | None:
    for child in cell.findall(nodes.container):
        if child.get("nb_element") == "cell_code_source":
            return child.astext()
    return None


def number_cells(app, doctree, docname) -> None:
    """Mark each code cell of a chapter with its index in the chapter's notebook; check the code agrees."""
    source = Path(app.env.doc2path(docname))
    if not _is_markdown_notebook(source):
        return
    notebook = jupytext.read(source, fmt="md:myst")
    for cell in doctree.findall(nodes.container):
        if cell.get("nb_element") != "cell_code":
            continue
        index = cell["cell_index"]
        shown = _code_source(cell)
        if shown is not None:
            expected = notebook.cells[index] if index < len(notebook.cells) else None
            if expected is None or expected.cell_type != "code" or expected.source.strip() != shown.strip():
                raise ExtensionError(
                    f"{docname}: the code cell the page shows as cell {index} is not cell {index} of the notebook "
                    f"jupytext reads from {source.name}; live code would run the wrong cells")
        cell["classes"].append(CELL_CLASS.format(index=index))


def _live_code_files(app) -> dict[str, float]:
    """The files every chapter page depends on through the button, with their modification times:
    the script and stylesheet, and the catalogue of the templates' texts in this edition's language."""
    files = [STATIC / "live-code.js", STATIC / "live-code.css"]
    files += [Path(app.srcdir, directory, app.config.language, "LC_MESSAGES", "sphinx.po")
              for directory in app.config.locale_dirs]
    return {str(path): path.stat().st_mtime for path in files if path.exists()}


def refresh_pages(app, env, added, changed, removed) -> list[str]:
    """Sphinx writes again only the pages whose source changed, and copies static files only then:
    when the button's script, stylesheet or translated texts change, every page is built again."""
    current = _live_code_files(app)
    previous = getattr(env, "mlcalc_live_code_files", None)
    env.mlcalc_live_code_files = current
    return sorted(env.found_docs) if current != previous else []


def add_button(app, pagename, templatename, context, doctree) -> None:
    """On a chapter page (one with a downloadable notebook): the button's context, script and stylesheet."""
    if app.builder.format != "html" or not context.get("ipynb_source"):
        context["mlcalc_live"] = None
        return
    up = "../" * (pagename.count("/") + edition_depth(app.config))
    context["mlcalc_live"] = {
        "notebook": context["pathto"]("_sources/" + context["ipynb_source"], 1),
        # Thebe is vendored once, in the root edition's _static (book_editions shares it).
        "assets": f"{up}_static/thebe/",
    }
    app.add_js_file("live-code.js", defer="defer")
    app.add_css_file("live-code.css")


def setup(app):
    app.connect("config-inited", install_button, priority=900)
    app.connect("builder-inited", add_static_files)
    app.connect("env-get-outdated", refresh_pages)
    app.connect("doctree-resolved", number_cells)
    # After offline_book has set ipynb_source (priority 400).
    app.connect("html-page-context", add_button, priority=450)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
