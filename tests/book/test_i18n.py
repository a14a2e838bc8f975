"""The translated editions: gettext catalogues, the Chinese build, the language switch, Chinese search.

The catalogue checks compare each ``locales/<language>/LC_MESSAGES/<page>.po`` with the
messages of the current English page (``tools/i18n.py``, ``sphinx-build -b gettext``), so
changing English prose fails here until the translation is updated.
"""

from __future__ import annotations

import json
import posixpath
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup

from bookpages import ROOT, chapter_pages, toc_pages

sys.path.insert(0, str(ROOT / "tools"))
import i18n  # noqa: E402

pytestmark = pytest.mark.xdist_group("book")

LANGUAGES = i18n.translated_languages()
ZH = "zh_CN"
ZH_DIR = i18n.editions()[ZH]["path"]
EXISTING = sorted(
    (language, str(po.relative_to(i18n.LOCALES / language / "LC_MESSAGES").with_suffix("")))
    for language in LANGUAGES
    for po in (i18n.LOCALES / language / "LC_MESSAGES").rglob("*.po")
)


@pytest.fixture(scope="module")
def pot_dir(built_book: Path) -> Path:
    """The English messages of the current sources (after the book is built, so nothing executes)."""
    return i18n.extract_messages()


# --------------------------------------------------------------------------- the checker itself

def test_invariants_catch_changed_math_code_and_references() -> None:
    source = ("The {doc}`API reference <api>` and [the notation](notation.md) define $\\eta$; "
              "run `make lab`; $$\\int_a^b f$$ see {ref}`sec-limits`.")
    good = ("{doc}`API 参考 <api>`与[符号表](notation.md)定义了 $\\eta$；运行 `make lab`；"
            "$$\\int_a^b f$$ 见{ref}`sec-limits`。")
    assert i18n.differences(source, good) == []
    for wrong in (good.replace("$\\eta$", "$\\alpha$"),              # a formula changed
                  good.replace("`make lab`", "`make book`"),          # inline code changed
                  good.replace("<api>", "<intro>"),                   # a reference's target changed
                  good.replace("(notation.md)", "(glossary.md)"),     # a link's target changed
                  good.replace("$$\\int_a^b f$$", "$$\\int_0^1 f$$"),  # display math changed
                  good.replace("{ref}`sec-limits`", "极限一节"),        # a reference dropped
                  good + " $x$"):                                    # math added
        assert i18n.differences(source, wrong), f"not caught: {wrong}"


def _write_po(path: Path, entries: str) -> Path:
    path.write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n' + entries, encoding="utf-8")
    return path


def test_numbers_a_code_cell_printed_need_no_translation() -> None:
    """Timings and table cells change from one execution to the next: they never go stale."""
    for neutral in ("8.3e-08", "39.6%", "(150, 4)", "-0.2767, -0.4271", "12.3 µs", "0.52 ms", "1.2x", "—"):
        assert i18n.language_neutral(neutral), neutral
    for words in ("time per call (µs)", "fitted in 0.43 s", "学习率", "a 1"):
        assert not i18n.language_neutral(words), words


def test_a_number_is_never_translated_into_another(tmp_path: Path) -> None:
    """msgmerge's fuzzy matching offers an old number's translation for a new one; the check refuses
    it, and ``tools/i18n.py update`` empties it (a copy of the number stays)."""
    pot = _write_po(tmp_path / "page.pot", 'msgid "0.27"\nmsgstr ""\n\nmsgid "1, 1"\nmsgstr ""\n')
    po = _write_po(tmp_path / "page.po", '#, fuzzy\nmsgid "0.27"\nmsgstr "1.276"\n\nmsgid "1, 1"\nmsgstr "1, 1"\n')
    problems = i18n.check_catalogue(po, pot).problems
    assert len(problems) == 1 and "'0.27': a message of numbers only is translated as '1.276'" in problems[0], problems
    assert i18n.leave_numbers_untranslated(po)
    assert i18n.check_catalogue(po, pot).problems == []
    assert '#, fuzzy' not in po.read_text() and 'msgstr "1, 1"' in po.read_text()
    assert not i18n.leave_numbers_untranslated(po)


def test_catalogue_check_catches_every_kind_of_problem(tmp_path: Path) -> None:
    pot = _write_po(tmp_path / "page.pot", 'msgid "One $x$."\nmsgstr ""\n\nmsgid "Two."\nmsgstr ""\n\n'
                                           'msgid "Three."\nmsgstr ""\n\nmsgid "Four."\nmsgstr ""\n')
    po = _write_po(tmp_path / "page.po",
                   'msgid "One $x$."\nmsgstr "一 $y$。"\n\n'            # math changed
                   '#, fuzzy\nmsgid "Two."\nmsgstr "二。"\n\n'          # fuzzy
                   'msgid "Three."\nmsgstr ""\n\n'                     # untranslated
                   'msgid "Gone."\nmsgstr "没了。"\n\n'                 # no longer in the English page
                   '#~ msgid "Old."\n#~ msgstr "旧。"\n')                # obsolete ("Four." is missing)
    problems = "\n".join(i18n.check_catalogue(po, pot).problems)
    for expected in ("unexpected '$y$'", "missing '$x$'", "'Two.': fuzzy", "'Three.': untranslated",
                     "'Gone.': no longer in the English page", "obsolete message (#~) 'Old.'",
                     "'Four.': new in the English page"):
        assert expected in problems, f"{expected!r} not reported in:\n{problems}"
    good = _write_po(tmp_path / "good.po", 'msgid "One $x$."\nmsgstr "一 $x$。"\n\nmsgid "Two."\nmsgstr "二。"\n\n'
                                           'msgid "Three."\nmsgstr "三。"\n\nmsgid "Four."\nmsgstr "四。"\n')
    assert i18n.check_catalogue(good, pot).problems == []


# --------------------------------------------------------------------------- the catalogues

@pytest.mark.parametrize(("language", "page"), EXISTING, ids=[f"{lang}:{page}" for lang, page in EXISTING])
def test_existing_catalogue_is_complete_and_current(language: str, page: str, pot_dir: Path) -> None:
    """Every catalogue that exists: 100 % translated, nothing fuzzy or obsolete, in step with the
    English page, formulas, code and references identical."""
    [report] = i18n.check([page], [language], pot_dir)[:1]
    assert not report.problems, f"{report.catalogue}:\n  " + "\n  ".join(report.problems)


def test_every_page_has_a_complete_catalogue(pot_dir: Path) -> None:
    reports = i18n.check(toc_pages(), LANGUAGES, pot_dir)
    bad = [f"{r.catalogue}: " + "; ".join(r.problems[:3]) for r in reports if r.problems]
    assert not bad, f"{len(bad)} catalogue(s) incomplete:\n" + "\n".join(bad)


def test_catalogues_are_committed_not_compiled() -> None:
    """.mo files are compiled by every build; only the .po sources belong in the repository."""
    tracked = subprocess.run(["git", "ls-files", "locales"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.split()
    assert not [name for name in tracked if name.endswith(".mo")], "compiled .mo catalogues are committed"


# --------------------------------------------------------------------------- the Chinese edition

def zh_html(built_book: Path) -> Path:
    return built_book / ZH_DIR


def page_soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def built_pages(root: Path) -> list[str]:
    """Every HTML page of one edition (relative to the edition's folder), other editions excluded."""
    others = {edition["path"] for edition in i18n.editions().values() if edition["path"]}
    pages = []
    for path in root.rglob("*.html"):
        relative = path.relative_to(root).as_posix()
        if relative.split("/")[0] in others or relative.startswith("_") or relative == "index.html":
            continue
        pages.append(relative)
    return sorted(pages)


def test_chinese_edition_has_every_page_in_chinese(built_book: Path) -> None:
    zh = zh_html(built_book)
    missing = [page for page in toc_pages() if not (zh / f"{page}.html").exists()]
    assert not missing, f"pages missing from the Chinese edition: {missing}"
    assert built_pages(zh) == built_pages(built_book), "the two editions do not have the same pages"
    for page in toc_pages():
        html = page_soup(zh / f"{page}.html").find("html")
        assert html.get("lang") == "zh-CN", f"{page}: <html lang={html.get('lang')!r}>"
    intro = page_soup(zh / f"{toc_pages()[0]}.html").get_text()
    assert "如何阅读本书" in intro and "How to read this book" not in intro, "the front page is not translated"
    assert "基础" in intro, "the table of contents' captions are not translated"
    assert "机器学习的微积分基础" in intro, "the Chinese front page does not name the article"
    redirect = (zh / "index.html").read_text(encoding="utf-8")
    assert f"url={toc_pages()[0]}.html" in redirect


def test_chinese_edition_uses_sphinx_and_theme_catalogues(built_book: Path) -> None:
    page = page_soup(zh_html(built_book) / f"{chapter_pages()[0]}.html")
    labels = {element.get("aria-label") for element in page.find_all(attrs={"aria-label": True})}
    titles = {element.get("title") for element in page.find_all(attrs={"title": True})}
    assert "下载此页面" in labels, "sphinx-book-theme's zh_CN catalogue is not used (download menu)"
    assert {"上一页", "下一页"} <= titles, "Sphinx's zh_CN catalogue is not used (previous/next)"
    assert "搜索" in labels, "the search button is not translated"
    search = page.find("input", attrs={"name": "q"})
    assert search is not None and re.search(r"[\u4e00-\u9fff]", search.get("placeholder", "")), \
        "the search box's placeholder is not in Chinese"
    author = page.find(class_="component-author")
    assert author is not None and not re.search(r"[A-Za-z]{3}", author.get_text().replace("mlcalc", "")), \
        f"the footer's author line is not in Chinese: {author.get_text().strip() if author else None!r}"


def test_chinese_edition_shares_the_vendored_assets(built_book: Path) -> None:
    """MathJax, RequireJS and the widget manager are loaded from the English edition's _static."""
    zh = zh_html(built_book)
    for vendored in ("mathjax", "require.js", "html-manager"):
        assert not (zh / "_static" / vendored).exists(), f"{vendored} is copied into the Chinese edition"
    page = f"{chapter_pages()[0]}.html"
    scripts = [s.get("src") for s in page_soup(zh / page).find_all("script") if s.get("src")]
    for vendored in ("mathjax/tex-chtml.js", "require.js", "html-manager/embed-amd.js"):
        [src] = [s for s in scripts if s.split("?")[0].endswith(vendored)]
        target = posixpath.normpath(posixpath.join(posixpath.dirname(f"{ZH_DIR}/{page}"), src.split("?")[0]))
        assert target == f"_static/{vendored}", f"{src} resolves to {target}, not the shared _static/{vendored}"
        assert (built_book / target).is_file(), f"{target} does not exist"


def _switch(path: Path) -> str:
    links = page_soup(path).select("a.mlcalc-language-switch")
    assert len(links) == 1, f"{path}: {len(links)} language switch links"
    return links[0]["href"]


def test_language_switch_round_trips_on_every_page(built_book: Path) -> None:
    """en -> zh -> en lands on the same page, for every page of the English edition."""
    failures = []
    for page in built_pages(built_book):
        to_zh = posixpath.normpath(posixpath.join(posixpath.dirname(page), _switch(built_book / page)))
        if to_zh != f"{ZH_DIR}/{page}" or not (built_book / to_zh).exists():
            failures.append(f"{page} -> {to_zh}")
            continue
        back = posixpath.normpath(posixpath.join(posixpath.dirname(to_zh), _switch(built_book / to_zh)))
        if back != page:
            failures.append(f"{page} -> {to_zh} -> {back}")
    assert not failures, "language switch does not round-trip:\n" + "\n".join(failures)


def test_both_editions_reuse_one_execution(built_book: Path) -> None:
    """The execution-status table is made from the jupyter-cache's records: identical times and
    durations in both editions mean the Chinese build executed nothing of its own."""
    def rows(path: Path) -> list[list[str]]:
        table = page_soup(path).find("table")
        return [[cell.get_text(strip=True) for cell in row.find_all("td")] for row in table.find_all("tr")[1:]]

    english = rows(built_book / "book" / "execution.html")
    chinese = rows(zh_html(built_book) / "book" / "execution.html")
    assert english and english == chinese, f"execution records differ:\n{english}\n{chinese}"


# --------------------------------------------------------------------------- Chinese search

# A core term of the article and the chapter that teaches it: the Chinese search finds the term on the
# glossary now, and on the chapter once the chapter's catalogue exists.
CORE_TERMS = {"梯度下降": "book/05-gradient-descent", "反向传播": "book/06-backpropagation",
              "链式法则": "book/02-derivatives", "极限": "book/01-limits", "拉格朗日乘数法": "book/07-optimization",
              "最大似然估计": "book/08-probability"}


def search_index(root: Path) -> dict:
    text = (root / "searchindex.js").read_text(encoding="utf-8")
    return json.loads(text[text.index("(") + 1: text.rindex(")")])


@pytest.mark.parametrize("term", sorted(CORE_TERMS))
def test_chinese_search_indexes_core_terms_as_words(built_book: Path, term: str) -> None:
    index = search_index(zh_html(built_book))
    # Sphinx keeps a word of a page's title in ``titleterms`` only (search finds it there first).
    hits = [index[kind].get(term) for kind in ("terms", "titleterms")]
    assert any(h is not None for h in hits), \
        f"{term} is not a word of the Chinese search index (jieba and its dictionary?)"
    documents = {index["docnames"][i] for h in hits if h is not None for i in ([h] if isinstance(h, int) else h)}
    expected = {"book/glossary"}
    if i18n.catalogue_path(ZH, CORE_TERMS[term]).exists():
        expected.add(CORE_TERMS[term])
    assert expected <= documents, f"searching {term} does not find {sorted(expected - documents)}"


def test_search_dictionary_holds_the_glossary_terms() -> None:
    words = i18n.search_dictionary().split()
    assert {"梯度下降", "反向传播", "链式法则", "拉格朗日乘数法", "编码器", "解码器"} <= set(words)
    assert not [word for word in words if "†" in word or " " in word]


# --------------------------------------------------------------------------- the interface in Chinese

def _book_interface():
    """tools/sphinx/book_interface.py, the Sphinx extension that loads the interface catalogues."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("book_interface", ROOT / "tools" / "sphinx" / "book_interface.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


PLACEHOLDERS = re.compile(r"%\(\w+\)[sdr]|%[sdr]|\{\w*\}")
CJK = re.compile(r"[\u3400-\u9fff]")


@pytest.mark.parametrize("language", LANGUAGES)
def test_interface_catalogues_are_complete(language: str) -> None:
    """locales/<language>/interface/<domain>.po: each loaded by book_interface.py (or tools/pdf.py), every
    message translated, nothing fuzzy or obsolete, placeholders kept."""
    from babel.messages.pofile import read_po

    folder = i18n.LOCALES / language / "interface"
    catalogues = sorted(folder.glob("*.po"))
    loaded = set(_book_interface().INTERFACE_DOMAINS) | {"pdf"}
    assert {"sphinx", "togglebutton", "myst_nb", "booktheme", "pdf"} <= {po.stem for po in catalogues}
    problems = [f"{po.name}: no extension loads the domain {po.stem!r}" for po in catalogues if po.stem not in loaded]
    for po in catalogues:
        with po.open("rb") as handle:
            catalogue = read_po(handle)
        problems += [f"{po.name}: obsolete message {message.id!r}" for message in catalogue.obsolete.values()]
        for message in catalogue:
            if not message.id:
                continue
            if not message.string or message.fuzzy:
                problems.append(f"{po.name}: {message.id!r} is {'fuzzy' if message.fuzzy else 'untranslated'}")
            elif sorted(PLACEHOLDERS.findall(message.string)) != sorted(PLACEHOLDERS.findall(message.id)):
                problems.append(f"{po.name}: {message.id!r}: the translation changes the placeholders")
            elif language.startswith("zh") and not CJK.search(message.string):
                problems.append(f"{po.name}: {message.id!r} is not translated into Chinese: {message.string!r}")
    assert not problems, "\n".join(problems)


# Interface text (not prose) a reader meets on a page: outside the article, and the controls inside it.
# Each string or attribute value is reported with where it was found. Left out: code, keyboard keys,
# the language switch (its label names the other language), a figure's slider (drawn by the shared
# code, like the figures' English axis labels), cross-references' titles (the names of API objects),
# and print-only blocks (not shown on screen; aria-labels are not printed).
INTERFACE_TEXT_JS = r"""(generated) => {
  const article = document.querySelector('article.bd-article');
  const controls = 'summary, button, .admonition-title, .toggle-button, .copybtn, #search-results > h2, '
                 + '#search-results > p, .search-summary' + (generated ? ', ' + generated : '');
  const skip = 'script, style, noscript, template, code, pre, kbd, .pre, mjx-container, .onlyprint, '
             + '.mlcalc-language-switch, .mlcalc-frame-slider';
  const found = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const element = node.parentElement, text = node.textContent.trim();
    if (!text || element.closest(skip)) continue;
    if (article && article.contains(element) && !element.closest(controls)) continue;
    found.push({where: element.tagName.toLowerCase() + (element.className ? '.' + String(element.className).split(' ')[0] : ''), text});
  }
  const attributes = ['aria-label', 'title', 'placeholder', 'data-bs-title', 'data-bs-original-title', 'data-toggle-hint', 'data-tooltip'];
  for (const element of document.querySelectorAll(attributes.map(a => `[${a}]`).join(','))) {
    if (element.closest(skip) || element.matches('a.reference, a.reference *')) continue;
    for (const attribute of attributes) {
      const value = element.getAttribute(attribute);
      if (value) found.push({where: `${element.tagName.toLowerCase()}[${attribute}]`, text: value.trim()});
    }
  }
  return found;
}"""

# Every English string the themes and extensions showed on the Chinese pages before they were translated
# (and their English look-alikes): none may come back.
KNOWN_ENGLISH = {
    "Toggle primary sidebar", "Toggle secondary sidebar", "Main", "Color mode", "System Settings", "Light", "Dark",
    "Link to this heading", "Link to this definition", "Link to this term", "Link to this equation",
    "Show code cell source", "Hide code cell source", "Toggle hidden content", "Click to show", "Click to hide",
    "© Copyright 2026.", "Foundations", "Learning as optimization", "Machine learning", "Reference",
    "Document", "Modified", "Method", "Run Time (s)", "Status", "Contents", "previous", "next", "By",
    "Search", "Search this book...", "Download this page", "Fullscreen mode", "Print to PDF", "Back to top",
    "Skip to main content", "Copy", "Copy to clipboard", "Search Results", "Searching", "Edit this page",
}


def _english(found: list[dict]) -> list[str]:
    """The strings that are English: two Latin letters in a row and no Chinese character (a file type
    such as '.ipynb' in the download menu is neither)."""
    return sorted({f"{item['where']}: {item['text']!r}" for item in found
                   if re.search(r"[A-Za-z]{2}", item["text"]) and not CJK.search(item["text"])
                   and not re.fullmatch(r"\.\w+", item["text"])})


def interface_text(browser, path: Path, query: str = "", ready: str = "", generated: str = "") -> list[dict]:
    """The interface text of a built page opened from file:// (with ``query``), once ``ready`` holds and
    the theme's and extensions' scripts have run; no request may leave the machine. ``generated``: a
    selector of what an extension wrote into the article (e.g. MyST-NB's execution table)."""
    context = browser.new_context()
    remote: list[str] = []
    context.route(re.compile(r"^(?!file:|data:|about:|blob:)"),
                  lambda route, request: (remote.append(request.url), route.abort()))
    try:
        page = context.new_page()
        page.goto(path.as_uri() + query, wait_until="load", timeout=120_000)
        page.wait_for_function("() => document.querySelector('.theme-switch-button') !== null", timeout=120_000)
        if ready:
            page.wait_for_function(ready, timeout=120_000)
        # sphinx-togglebutton adds its buttons on DOMContentLoaded; the book's script then names them.
        page.wait_for_function("() => !document.querySelector('.admonition.dropdown') || "
                               "document.querySelectorAll('.admonition.dropdown button.toggle-button').length === "
                               "document.querySelectorAll('.admonition.dropdown').length", timeout=120_000)
        found = page.evaluate(INTERFACE_TEXT_JS, generated)
    finally:
        context.close()
    assert not remote, f"{path} requested {remote}"
    return found


SEARCH_DONE = "() => /[0-9]/.test((document.querySelector('#search-results > p') || {}).textContent || '')"


def test_the_interface_check_sees_the_english_interface(built_book: Path, chromium) -> None:
    """On an English chapter page the check finds the strings it must never find on a Chinese one."""
    found = interface_text(chromium, built_book / f"{chapter_pages()[0]}.html")
    found += interface_text(chromium, built_book / "book" / "execution.html", generated="thead")
    texts = {item["text"] for item in found}
    expected = {"Toggle primary sidebar", "Toggle secondary sidebar", "Main", "Color mode", "System Settings",
                "Link to this heading", "Show code cell source", "Toggle hidden content", "Click to show",
                "© Copyright 2026.", "Foundations", "Run Time (s)"}
    assert expected <= texts, f"not seen on the English page: {sorted(expected - texts)}"


@pytest.mark.parametrize(("page", "query", "ready", "generated"), [
    (chapter_pages()[0], "", "", ""),               # exercises with folded solutions, folded code, sliders
    (toc_pages()[0], "", "", ""),                   # the front page: the table of contents' captions
    ("book/execution", "", "", "thead"),            # MyST-NB's execution table
    ("search", "?q=梯度下降", SEARCH_DONE, ""),      # the search page and its result messages
], ids=["chapter", "front-page", "execution", "search"])
def test_chinese_pages_show_no_english_interface_text(built_book: Path, chromium, page: str, query: str,
                                                      ready: str, generated: str) -> None:
    found = interface_text(chromium, zh_html(built_book) / f"{page}.html", query, ready, generated)
    assert len(found) > 20, f"only {len(found)} interface strings found on {page}: is the page built?"
    known = sorted({f"{item['where']}: {item['text']!r}" for item in found if item["text"] in KNOWN_ENGLISH})
    assert not known, f"English interface text on the Chinese {page}{query}:\n" + "\n".join(known)
    english = _english(found)
    assert not english, f"English interface text on the Chinese {page}{query}:\n" + "\n".join(english)


def test_table_of_contents_captions_are_translated(built_book: Path) -> None:
    """The navigation's part captions (_toc.yml) come from the root page's catalogue on every Chinese page
    (sphinx-external-toc inserts them after Sphinx has translated the page: book_interface.py does it)."""
    from babel.messages.pofile import read_po

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    with i18n.catalogue_path(ZH, toc_pages()[0]).open("rb") as handle:
        catalogue = read_po(handle)
    expected = [catalogue.get(part["caption"]).string for part in toc["parts"]]
    assert all(CJK.search(caption) for caption in expected), expected
    for page in (toc_pages()[0], chapter_pages()[0], "book/glossary"):
        captions = [span.get_text(strip=True) for span in
                    page_soup(zh_html(built_book) / f"{page}.html").select("nav.bd-docs-nav span.caption-text")]
        assert captions == expected, f"{page}: the navigation's captions are {captions}"
