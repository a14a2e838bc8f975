"""Sphinx extension for the book's editions: a language switch on every page, shared assets.

The book is built once per language from the same sources (``tools/build_book.py``):
the English edition at the root of ``_build/html``, each translated edition in a
folder below it (``_build/html/zh``). ``book_editions`` in ``_config.yml`` maps each
Sphinx ``language`` to its folder and to the label of its switch link::

    book_editions:
      en: {path: "", label: English}
      zh_CN: {path: zh, label: 中文, title: 机器学习的微积分, author: mlcalc 团队, search: 在本书中搜索……}

``title``, ``author`` and ``search`` (optional) are the edition's book title, author
line and the placeholder of its search box, which Jupyter Book sets from
``_config.yml`` in English rather than through a translatable template.

Language switch
---------------
Every page gets a link (in the article header, next to the download menu) to the
same page in each other edition, and a ``<link rel="alternate" hreflang=...>`` in its
head. Links are relative, so they work from ``file://`` as well as from a server.

Shared assets
-------------
A translated edition does not copy the vendored MathJax, RequireJS and widget
manager (``html_static_path``, 30 MB) again: its pages load them from the English
edition's ``_static`` folder, one level up. Only the theme's own static files, which
carry language data (search stemmer, JavaScript translations), stay per edition.

Docstrings stay in English
--------------------------
The API reference is generated from the docstrings of ``mlcalc``, which are part of
the code, shared by every edition like the code cells and the test messages. Their
paragraphs are marked untranslatable, so they are neither extracted into the gettext
catalogues nor looked up in them; the API page's own prose is translated.

Chinese search in linear time
-----------------------------
Sphinx 7's Chinese indexer keeps every Latin word it has split in a list and tests
each word it stems against that list, so indexing takes time quadratic in the book's
length (16 of the Chinese edition's 78 seconds, from a clean build). ``SearchChinese``
here keeps the same words in a set: the same membership answers, the same index.
(Sphinx 8 made the same change; Jupyter Book 1 keeps Sphinx below 8.)
"""

from __future__ import annotations

from pathlib import Path

from docutils import nodes
from sphinx import addnodes
from sphinx.errors import ConfigError
from sphinx.transforms import SphinxTransform

TEMPLATES = Path(__file__).resolve().parent / "templates"
SWITCH_TEMPLATE = "language-switch.html"


def _editions(config) -> dict[str, dict]:
    editions = config.book_editions or {}
    for language, edition in editions.items():
        if not isinstance(edition, dict) or "path" not in edition or "label" not in edition:
            raise ConfigError(f"book_editions[{language!r}] must be a mapping with 'path' and 'label', "
                              f"got {edition!r}")
    roots = [language for language, edition in editions.items() if not edition["path"]]
    if editions and len(roots) != 1:
        raise ConfigError(f"book_editions needs exactly one edition with path \"\" (the root), got {roots}")
    if editions and config.language not in editions:
        raise ConfigError(f"language {config.language!r} is not one of book_editions ({', '.join(editions)})")
    return editions


def edition_depth(config) -> int:
    """How many folders below the root of ``_build/html`` this edition is built (0 for English)."""
    editions = _editions(config)
    if not editions:
        return 0
    path = editions[config.language]["path"].strip("/")
    return len(path.split("/")) if path else 0


def shared_static(config, filename: str) -> str:
    """``filename`` (relative to ``_static``) as Sphinx's ``add_js_file`` must be given it so that the
    page loads the root edition's copy: Sphinx prefixes ``_static/``, which the first ``..`` undoes."""
    depth = edition_depth(config)
    if depth == 0 or "://" in filename or filename.startswith("/"):
        return filename
    return "../" * (depth + 1) + "_static/" + filename


WIDGETS_ASSETS_PATH = (
    "var require = {{paths: {{'@jupyter-widgets/html-manager/dist': "
    "(document.documentElement.dataset.content_root || '') + '{up}_static/html-manager'}}}};"
)


def _rewrite_asset(config, entry):
    if isinstance(entry, (tuple, list)):
        return (shared_static(config, entry[0]), *entry[1:])
    return shared_static(config, entry)


def share_root_assets(app, config) -> None:
    """In a translated edition, load html_static_path assets from the root edition's _static."""
    editions = _editions(config)
    if edition_depth(config) == 0:
        if editions:
            _install_switch(config)
        return
    config.html_static_path = []
    if config.mathjax_path:
        config.mathjax_path = shared_static(config, config.mathjax_path)
    widgets_js = getattr(config, "nb_ipywidgets_js", None)
    if widgets_js:
        config.nb_ipywidgets_js = {shared_static(config, name): attrs for name, attrs in widgets_js.items()}
    config.html_js_files = [_rewrite_asset(config, entry) for entry in config.html_js_files]
    # offline_book maps the widget manager's AMD name onto _static/html-manager (priority 400);
    # this later definition maps it onto the root edition's copy instead.
    app.add_js_file(None, body=WIDGETS_ASSETS_PATH.format(up="../" * edition_depth(config)), priority=401)
    config.html_css_files = [_rewrite_asset(config, entry) for entry in config.html_css_files]
    _install_switch(config)


def add_header_button(config, template: str) -> None:
    """Put ``template`` (from tools/sphinx/templates) first among the article header's buttons.

    The book's extensions that add a header button (the language switch, the Live code button)
    call it in the order their buttons should appear, last one leftmost.
    """
    if str(TEMPLATES) not in config.templates_path:
        config.templates_path = [*config.templates_path, str(TEMPLATES)]
    options = dict(config.html_theme_options or {})
    end = list(options.get("article_header_end") or ["article-header-buttons.html"])
    if template not in end:
        end.insert(0, template)
    options["article_header_end"] = end
    config.html_theme_options = options


def _install_switch(config) -> None:
    add_header_button(config, SWITCH_TEMPLATE)
    options = dict(config.html_theme_options or {})
    edition = (config.book_editions or {}).get(config.language, {})
    if edition.get("search"):  # Jupyter Book sets the search box's placeholder as a theme option, in English
        options["search_bar_text"] = edition["search"]
    if edition.get("title"):  # the book's title (html_title comes from _config.yml's title)
        config.html_title = edition["title"]
    if edition.get("author"):  # the footer's author line (from _config.yml's author)
        config.author = edition["author"]
    config.html_theme_options = options


def language_tag(language: str) -> str:
    """The BCP 47 tag of a Sphinx language code (``zh_CN`` -> ``zh-CN``)."""
    return language.replace("_", "-")


def add_language_switch(app, pagename, templatename, context, doctree) -> None:
    editions = _editions(app.config)
    if not editions or app.builder.format != "html":
        return
    here = app.config.language
    up = "../" * (pagename.count("/") + edition_depth(app.config))
    switches = []
    for language, edition in editions.items():
        if language == here:
            continue
        folder = edition["path"].strip("/")
        url = f"{up}{folder + '/' if folder else ''}{pagename}.html"
        switches.append({"url": url, "label": edition["label"], "hreflang": language_tag(language)})
    context["language_switches"] = switches
    context["metatags"] = context.get("metatags", "") + "".join(
        f'\n<link rel="alternate" hreflang="{s["hreflang"]}" href="{s["url"]}" />' for s in switches)


class KeepDocstringsInEnglish(SphinxTransform):
    """Mark paragraphs generated from Python docstrings untranslatable (before Sphinx's
    Locale transform, priority 20, and before the gettext builder extracts messages)."""

    default_priority = 10

    def apply(self, **kwargs) -> None:
        for node in self.document.findall(nodes.TextElement):
            if "docstring of " in (node.source or ""):
                node["translatable"] = False
        # Field names (Parameters, Returns, ...) and every other text of an object description.
        for description in self.document.findall(addnodes.desc):
            for node in description.findall(nodes.TextElement):
                node["translatable"] = False


def _search_chinese_class():
    from sphinx.search import zh

    class SearchChinese(zh.SearchChinese):
        """Sphinx's Chinese indexer, with its Latin words in a set (see the module docstring)."""

        def init(self, options: dict[str, str]) -> None:
            super().init(options)
            self.latin_terms = set()

        def split(self, input: str) -> list[str]:
            chinese = list(zh.jieba.cut_for_search(input)) if zh.JIEBA else []
            latin1 = [term.strip() for term in self.latin1_letters.findall(input)]
            self.latin_terms.update(latin1)
            return chinese + latin1

    return SearchChinese


def setup(app):
    from sphinx import search

    search.languages["zh"] = _search_chinese_class()
    app.add_config_value("book_editions", {}, "html", [dict])
    app.connect("config-inited", share_root_assets, priority=800)
    app.connect("html-page-context", add_language_switch)
    app.add_transform(KeepDocstringsInEnglish)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
