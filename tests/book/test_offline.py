"""The built book loads nothing from the network.

Two independent checks: a static scan of every built HTML, CSS and JavaScript
file for resources loaded from an absolute ``http(s)://`` (or protocol-relative
``//``) address, and a real browser (Debian's chromium driven by Playwright)
that opens pages with every non-local request blocked and recorded. Both cover
every edition (the Chinese one in ``zh/``).
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlparse

import pytest
from bs4 import BeautifulSoup

from bookpages import chapter_pages, static_server

pytestmark = pytest.mark.xdist_group("book")

REMOTE = re.compile(r"^\s*(https?:)?//", re.IGNORECASE)
# (tag, attribute) pairs through which a page loads a resource.
LOADING_ATTRIBUTES = [
    ("script", "src"), ("img", "src"), ("img", "srcset"), ("iframe", "src"), ("source", "src"),
    ("source", "srcset"), ("video", "src"), ("video", "poster"), ("audio", "src"), ("embed", "src"),
    ("object", "data"), ("input", "src"), ("track", "src"),
]
LINK_LOADING_RELS = {"stylesheet", "preload", "modulepreload", "icon", "shortcut", "apple-touch-icon",
                     "manifest", "prefetch", "preconnect", "dns-prefetch"}
CSS_REMOTE = re.compile(r"""(url\(\s*['"]?\s*(https?:)?//|@import\s+(url\()?\s*['"]?\s*(https?:)?//)""",
                        re.IGNORECASE)
CSS_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)


def remote_loads_in_html(text: str) -> list[str]:
    soup = BeautifulSoup(text, "html.parser")
    found = []
    for tag, attribute in LOADING_ATTRIBUTES:
        for element in soup.find_all(tag):
            value = element.get(attribute)
            if value and REMOTE.match(value):
                found.append(f"<{tag} {attribute}={value}>")
    for element in soup.find_all("link"):
        rels = {r.lower() for r in element.get("rel", [])}
        href = element.get("href")
        if href and rels & LINK_LOADING_RELS and REMOTE.match(href):
            found.append(f"<link rel={' '.join(rels)} href={href}>")
    for element in soup.find_all("style"):
        found += remote_loads_in_css(element.get_text())
    for element in soup.find_all(style=True):
        found += remote_loads_in_css(element["style"])
    return found


def remote_loads_in_css(text: str) -> list[str]:
    return [m.group(0) for m in CSS_REMOTE.finditer(CSS_COMMENT.sub("", text))]


def test_scanner_catches_remote_loads() -> None:
    """The scanner itself: it must flag what a CDN-loading page contains."""
    page = """<html><head>
    <script src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-chtml.js"></script>
    <link rel="stylesheet" href="//fonts.googleapis.com/css?family=Roboto">
    <style>@import url('https://example.org/a.css'); .x { background: url(https://e.org/b.png) }</style>
    </head><body><img src="http://e.org/c.png"><iframe src="https://e.org"></iframe>
    <a href="https://example.org">a link is not a load</a><img src="local.png"></body></html>"""
    found = remote_loads_in_html(page)
    assert len(found) == 6, found
    assert remote_loads_in_css("/* url(https://commented.out) */ a { b: url('../fonts/x.woff') }") == []


def test_no_remote_resources_in_built_files(built_book: Path) -> None:
    offenders = []
    for path in built_book.rglob("*"):
        if path.suffix == ".html":
            found = remote_loads_in_html(path.read_text(encoding="utf-8", errors="replace"))
        elif path.suffix in {".css", ".js"}:
            # JavaScript bundles embed CSS as strings: scan them for CSS loads too.
            found = remote_loads_in_css(path.read_text(encoding="utf-8", errors="replace"))
        else:
            continue
        offenders += [f"{path.relative_to(built_book)}: {item}" for item in found]
    assert not offenders, "resources loaded from the network:\n" + "\n".join(offenders[:30])


# --------------------------------------------------------------------------- browser

@pytest.fixture(scope="module")
def served_book(built_book: Path):
    with static_server(built_book) as base:
        yield base


def open_offline(chromium, url: str):
    """Open ``url`` in a fresh context that blocks and records every non-local request."""
    context = chromium.new_context()
    blocked: list[str] = []
    failed: list[str] = []

    def route(route, request):
        host = urlparse(request.url).hostname
        if request.url.startswith(("data:", "blob:", "about:")) or host in {"127.0.0.1", "localhost"}:
            route.continue_()
        else:
            blocked.append(request.url)
            route.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.on("requestfailed", lambda request: failed.append(request.url))
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(url, wait_until="networkidle")
    return context, page, blocked, failed, errors


def wait_for_math(page) -> None:
    page.wait_for_function(
        "() => window.MathJax && MathJax.startup && MathJax.startup.promise"
        " && (MathJax.startup.promise.then(() => { window.__mathDone = true; }), window.__mathDone === true)",
        timeout=30_000,
    )


# Every edition of the book: the English one at the root, each translated one in its folder.
EDITIONS = {"en": "", "zh": "zh/"}


@pytest.mark.parametrize("edition", EDITIONS.values(), ids=EDITIONS.keys())
def test_index_loads_offline(chromium, served_book: str, edition: str) -> None:
    context, page, blocked, failed, errors = open_offline(chromium, f"{served_book}/{edition}index.html")
    try:
        assert page.url.endswith(f"/{edition}book/intro.html"), f"index.html did not redirect to the intro: {page.url}"
        assert not blocked, f"requests to the network were attempted: {blocked}"
        assert not failed, f"requests failed: {failed}"
        assert page.locator("nav").count() > 0
        assert not errors, f"JavaScript errors: {errors}"
    finally:
        context.close()


@pytest.mark.parametrize("edition", EDITIONS.values(), ids=EDITIONS.keys())
@pytest.mark.parametrize("page_name", chapter_pages())
def test_chapter_works_offline(chromium, served_book: str, page_name: str, edition: str) -> None:
    page_name = f"{edition}{page_name}"
    context, page, blocked, failed, errors = open_offline(chromium, f"{served_book}/{page_name}.html")
    try:
        wait_for_math(page)
        assert not blocked, f"{page_name}: requests to the network were attempted: {blocked}"
        assert not failed, f"{page_name}: requests failed: {failed}"
        assert not errors, f"{page_name}: JavaScript errors: {errors}"
        # Math is typeset: MathJax containers exist and no raw TeX is left in the text.
        assert page.locator("mjx-container").count() > 0, f"{page_name}: no typeset math"
        # The prose and outputs, without code (source code may legitimately contain TeX strings).
        body_text = page.evaluate(
            "() => { const a = document.querySelector('article').cloneNode(true);"
            " a.querySelectorAll('pre, code, .cell_input, mjx-container').forEach(e => e.remove());"
            " return a.innerText; }"
        )
        for raw in ("\\lim", "\\frac", "$$"):
            assert raw not in body_text, f"{page_name}: raw TeX {raw!r} visible in the page"
        # Every image has loaded.
        broken = page.evaluate(
            "() => Array.from(document.images).filter(i => !i.complete || i.naturalWidth === 0)"
            ".map(i => i.src.slice(0, 80))"
        )
        assert not broken, f"{page_name}: images failed to load: {broken}"
        # The kernel-free figure responds to input.
        sliders = page.locator("input.mlcalc-frame-range")
        assert sliders.count() > 0, f"{page_name}: no kernel-free interactive figure"
        slider = sliders.first
        root = page.locator("div.mlcalc-frame-slider").first
        image_before = root.locator("img.mlcalc-frame").get_attribute("src")
        value_before = root.locator("output.mlcalc-frame-value").inner_text()
        slider.focus()
        at_start = slider.input_value() == slider.get_attribute("min")
        page.keyboard.press("End" if at_start else "Home")
        image_after = root.locator("img.mlcalc-frame").get_attribute("src")
        value_after = root.locator("output.mlcalc-frame-value").inner_text()
        assert image_after != image_before, f"{page_name}: moving the slider did not change the figure"
        assert value_after != value_before, f"{page_name}: moving the slider did not change the readout"
    finally:
        context.close()


# --------------------------------------------------------------------------- the Chinese edition

def test_a_cjk_font_is_installed() -> None:
    """Without a CJK font, the Chinese edition (and its screenshots) shows boxes instead of characters."""
    import subprocess

    fonts = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True).stdout.strip()
    assert fonts, "no Chinese font is installed: apt-get install fonts-noto-cjk (tools/install-test-deps.sh does)"


def test_language_switch_round_trip_in_the_browser(chromium, served_book: str) -> None:
    context, page, blocked, failed, errors = open_offline(chromium, f"{served_book}/book/02-derivatives.html")
    try:
        page.locator("a.mlcalc-language-switch").first.click()
        page.wait_for_load_state("networkidle")
        assert page.url.endswith("/zh/book/02-derivatives.html"), f"en -> zh landed on {page.url}"
        assert page.locator("html").get_attribute("lang") == "zh-CN"
        page.locator("a.mlcalc-language-switch").first.click()
        page.wait_for_load_state("networkidle")
        assert page.url.endswith("/book/02-derivatives.html") and "/zh/" not in page.url, \
            f"zh -> en landed on {page.url}"
        assert not blocked and not failed and not errors, (blocked, failed, errors)
    finally:
        context.close()


@pytest.mark.parametrize("term", ["梯度下降", "反向传播", "链式法则"])
def test_chinese_search_finds_the_glossary(chromium, served_book: str, term: str) -> None:
    """The search page of the Chinese edition, run by the browser, finds a core term's page."""
    from urllib.parse import quote

    context, page, blocked, failed, errors = open_offline(chromium, f"{served_book}/zh/search.html?q={quote(term)}")
    try:
        page.wait_for_selector("#search-results ul.search li", timeout=30_000)
        found = page.locator("#search-results ul.search li a").evaluate_all("links => links.map(a => a.href)")
        assert any(link.split("?")[0].endswith("/zh/book/glossary.html") for link in found), \
            f"searching {term} did not find the glossary: {found}"
        assert not blocked and not errors, (blocked, errors)
    finally:
        context.close()
