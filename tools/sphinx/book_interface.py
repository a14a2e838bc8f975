"""Sphinx extension: the interface text of a translated edition (buttons, tooltips, labels) in its language.

Sphinx, pydata-sphinx-theme and sphinx-book-theme ship zh_CN catalogues, but some of the
text they show is missing from them, and some extensions write English that no catalogue
can reach. Each gap is closed the way its package is meant to be translated:

* sphinx-book-theme's components that write their labels in English, without its
  ``translate()`` (the sidebar toggles' tooltips, the navigation's ``aria-label``):
  ``interface_templates/`` overrides them with the same markup and the labels wrapped in
  ``translate()``, as the theme's other components are, so that its ``booktheme`` domain
  translates them. The English edition renders exactly what the theme did.
* The interface catalogues are ``locales/<language>/interface/<domain>.po``; this
  extension compiles them (into the doctree folder) and adds each to its gettext domain,
  after the package's own catalogue, so they fill its gaps:

  - ``sphinx.po``: messages missing from Sphinx's and pydata-sphinx-theme's zh_CN
    catalogues (pydata-sphinx-theme adds to Sphinx's domain): "Link to this heading",
    "Color mode", "© Copyright ...".
  - ``booktheme.po``: the labels of the overridden sphinx-book-theme components.
  - ``togglebutton.po``: sphinx-togglebutton's hints. Its own Chinese catalogue is named
    ``zh-cn``, which gettext never finds for ``zh_CN``, and it turns the hints into
    configuration values (``togglebutton_hint``, ``togglebutton_hint_hide``) before any
    other catalogue could be added, so they are set from this catalogue, unless
    ``_config.yml`` sets them. The buttons' ``aria-label``, which ``togglebutton.js``
    writes in English, is set from it once the buttons exist.
  - ``myst_nb.po``: MyST-NB's prompts of folded code cells ("Show code cell source"), the
    ``aria-label`` of their ``<summary>`` and the headers of the execution-statistics table,
    all written in English by MyST-NB (it has no catalogue).

* The captions of the table of contents (``_toc.yml``'s parts: "Foundations", ...) are in
  the root page's catalogue, but sphinx-external-toc inserts its toctrees after Sphinx has
  translated the page, so they stayed English in the navigation; they are translated from
  the page's catalogue once inserted.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from docutils import nodes
from sphinx import addnodes
from sphinx.locale import get_translation
from sphinx.transforms import SphinxTransform
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util.i18n import docname_to_domain

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.config import Config
    from sphinx.writers.html5 import HTML5Translator

TEMPLATES = Path(__file__).resolve().parent / "interface_templates"
# locales/<language>/INTERFACE_FOLDER/<domain>.po: the interface catalogues this extension loads.
INTERFACE_FOLDER = "interface"
INTERFACE_DOMAINS = ("sphinx", "booktheme", "togglebutton", "myst_nb")
TOGGLEBUTTON_HINTS = {"togglebutton_hint": "Click to show", "togglebutton_hint_hide": "Click to hide"}
TOGGLE_LABEL = "Toggle hidden content"
# MyST-NB's default prompts, once it has replaced {type}, and its execution table's headers.
CODE_PROMPTS = tuple(f"{verb} code cell {kind}" for verb in ("Show", "Hide")
                     for kind in ("source", "outputs", "content"))
EXECUTION_TABLE_HEADERS = ("Document", "Modified", "Method", "Run Time (s)", "Status")


def _locale_dirs(app: Sphinx) -> list[str]:
    """``locale_dirs`` of the configuration, as absolute paths."""
    return [os.path.join(app.srcdir, folder) for folder in app.config.locale_dirs]


def _compile(po: Path, mo: Path) -> None:
    """Write ``mo`` from ``po`` when it is missing or older (atomically: builds may overlap)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
        return
    with po.open("rb") as handle:
        catalogue = read_po(handle)
    mo.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=mo.parent, suffix=".mo.tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            write_mo(out, catalogue)
        os.replace(temporary, mo)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def interface_catalogues(locale_dir: Path | str, language: str) -> dict[str, Path]:
    """The interface catalogues of ``language`` under ``locale_dir``: domain -> ``.po`` file."""
    folder = Path(locale_dir) / language / INTERFACE_FOLDER
    return {domain: folder / f"{domain}.po" for domain in INTERFACE_DOMAINS if (folder / f"{domain}.po").exists()}


def load_catalogues(app: Sphinx) -> None:
    """Add the interface catalogues of the edition's language to their gettext domains."""
    language = app.config.language
    if not language or language == "en":
        return
    compiled = Path(app.doctreedir) / "interface-locale"
    for folder in _locale_dirs(app):
        for domain, po in interface_catalogues(folder, language).items():
            _compile(po, compiled / language / "LC_MESSAGES" / f"{domain}.mo")
            app.add_message_catalog(domain, str(compiled))


def translate_togglebutton_hints(app: Sphinx, config: Config) -> None:
    """sphinx-togglebutton's hints, unless ``_config.yml`` set its own (before it writes them into the page)."""
    translate = get_translation("togglebutton")
    for name, english in TOGGLEBUTTON_HINTS.items():
        if getattr(config, name, None) == english:
            setattr(config, name, str(translate(english)))
    label = str(translate(TOGGLE_LABEL))
    if label != TOGGLE_LABEL:
        # togglebutton.js writes its buttons' aria-label in English, on DOMContentLoaded; this script comes
        # after it (priority above the default 500), so its listener runs after togglebutton's.
        app.add_js_file(None, priority=600, body=(
            "document.addEventListener('DOMContentLoaded', () => document.querySelectorAll("
            f"'button.toggle-button').forEach(b => b.setAttribute('aria-label', {json.dumps(label)})));"))


class TranslateTocCaptions(SphinxTransform):
    """Translate the captions of the toctrees sphinx-external-toc inserts (priority 100, after
    Sphinx's Locale transform, 20) from the page's catalogue, as Locale would have."""

    default_priority = 101

    def apply(self, **kwargs: Any) -> None:
        if not self.config.language or self.config.language == "en":
            return
        toctrees = [node for node in self.document.findall(addnodes.toctree) if node.get("caption")]
        if not toctrees:
            return
        # Sphinx's Locale transform has loaded the page's catalogue into this domain.
        translate = get_translation(docname_to_domain(self.env.docname, self.config.gettext_compact))
        for toctree in toctrees:
            translated = str(translate(toctree["caption"]))
            toctree["caption"] = translated
            toctree["rawcaption"] = translated


class TranslateMystNbInterface(SphinxPostTransform):
    """MyST-NB's folded-cell prompts (after its HideInputCells, 199, filled in {type}) and the
    headers of its execution-statistics table (made at priority 8)."""

    default_priority = 200
    formats = ("html",)

    def run(self, **kwargs: Any) -> None:
        if not self.config.language or self.config.language == "en":
            return
        from myst_nb.sphinx_ import HideCodeCellNode

        translate = get_translation("myst_nb")
        for node in self.document.findall(HideCodeCellNode):
            for key in ("prompt_show", "prompt_hide"):
                if node.get(key) in CODE_PROMPTS:
                    node[key] = str(translate(node[key]))
        for thead in self.document.findall(nodes.thead):
            cells = [entry.astext() for entry in thead.findall(nodes.entry)]
            if tuple(cells) != EXECUTION_TABLE_HEADERS:
                continue
            for paragraph in list(thead.findall(nodes.paragraph)):
                paragraph.replace_self(nodes.paragraph(text=str(translate(paragraph.astext()))))


def visit_hide_code_cell(self: HTML5Translator, node: nodes.Element) -> None:
    """MyST-NB's ``visit_HideCellInput`` with the ``<summary>``'s aria-label translated."""
    from html import escape

    label = str(get_translation("myst_nb")(TOGGLE_LABEL))
    classes = " ".join(node["classes"])
    self.body.append(f'<details class="admonition hide {classes}">\n')
    self.body.append(f'<summary aria-label="{escape(label)}">\n')
    self.body.append(f'<p class="collapsed admonition-title">{escape(node["prompt_show"])}</p>\n')
    self.body.append(f'<p class="expanded admonition-title">{escape(node["prompt_hide"])}</p>\n')
    self.body.append("</summary>\n")


def add_templates(app: Sphinx, config: Config) -> None:
    """The overridden theme components go first: the themes append their own folders to templates_path."""
    if str(TEMPLATES) not in config.templates_path:
        config.templates_path.insert(0, str(TEMPLATES))


def setup(app: Sphinx) -> dict[str, bool]:
    """Register the catalogues, the template folder, the transforms and the folded cells' visitor."""
    from myst_nb.sphinx_ import HideCodeCellNode, depart_HideCellInput

    load_catalogues(app)
    app.connect("config-inited", add_templates)
    # Before sphinx-togglebutton's own config-inited handler (priority 500) reads the hints.
    app.connect("config-inited", translate_togglebutton_hints, priority=400)
    app.add_transform(TranslateTocCaptions)
    app.add_post_transform(TranslateMystNbInterface)
    app.add_node(HideCodeCellNode, override=True, html=(visit_hide_code_cell, depart_HideCellInput))
    return {"parallel_read_safe": True, "parallel_write_safe": True}
