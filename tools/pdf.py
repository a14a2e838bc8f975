"""Print the built HTML book as one PDF: _build/pdf/calculus-for-machine-learning.pdf.

The pages of ``_toc.yml`` are read from ``_build/html`` (run ``make book``
first) and joined, in table-of-contents order, into one HTML document
``_build/pdf/book.html`` that uses the book's own stylesheets and its vendored
MathJax. Debian's chromium, driven by Playwright, opens it from ``file://``,
waits until MathJax has typeset every formula and the fonts and images have
loaded, and prints it (``page.pdf``): A4, page numbers in the footer. (A
tagged PDF would double the file and make adding bookmarks 20 times slower.) A contents page links every chapter and section, so chromium writes a
named destination for each; pypdf then adds the bookmarks from them: one per
page of the book, with its sections below. (Chromium's own outline,
``outline=True``, nests sections under the wrong chapters and drops titles.)

What changes for paper: solutions are shown after their exercise (not folded),
code cells whose source the page folds stay folded away (their outputs
print), headings' ``#`` links go, long code lines wrap, links between
chapters point inside the PDF, and each kernel-free slider prints its visible
frame with a note saying where its interactive version is.

Every request chromium makes is recorded; a request that is neither
``file:`` nor ``data:`` is blocked and stops the build with its address.

Usage: python tools/pdf.py [--html _build/html] [--out _build/pdf/calculus-for-machine-learning.pdf]
"""

from __future__ import annotations

import argparse
import html
import re
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import yaml
from bs4 import BeautifulSoup, Tag

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--font-render-hinting=none"]
PDF_NAME = "calculus-for-machine-learning.pdf"
TYPESET_TIMEOUT_MS = 150_000

PRINT_CSS = """
@page { size: A4; margin: 16mm 15mm 18mm 15mm; }
html { font-size: 10.5pt; }
body { background: white; margin: 0; }
.bd-article-container, .bd-content, .bd-main, article.bd-article { max-width: none !important; width: auto !important;
  padding: 0 !important; margin: 0 !important; display: block !important; }
/* sphinx-book-theme's print style hides each article's first h1 (it prints its own title): show them. */
.bd-main .bd-content .bd-article h1:first-of-type { display: block !important; }
section.pdf-page { break-before: page; }
section.pdf-page:first-of-type { break-before: auto; }
.pdf-title-page { break-after: page; text-align: center; padding-top: 30vh; }
.pdf-title-page .pdf-title { font-size: 2.6rem; font-weight: 700; margin: 0 0 1rem 0; }
.pdf-title-page .pdf-author { font-size: 1.3rem; margin: 0 0 3rem 0; }
.pdf-title-page .pdf-note { font-size: 0.95rem; color: #444; max-width: 34rem; margin: 0 auto; }
.pdf-contents { break-after: page; }
.pdf-contents .pdf-contents-title { font-size: 1.8rem; font-weight: 700; margin: 0 0 1rem 0; }
.pdf-contents ul { list-style: none; padding-left: 0; margin: 0.2rem 0; }
.pdf-contents ul ul { padding-left: 1.5rem; font-size: 0.9rem; }
.pdf-contents a { color: inherit; text-decoration: none; }
h1, h2, h3, h4 { break-after: avoid; page-break-after: avoid; }
pre { white-space: pre-wrap !important; word-break: break-word; overflow: visible !important; max-height: none !important; }
div.cell_output, div.output, .output_area { max-height: none !important; overflow: visible !important; }
img { max-width: 100% !important; break-inside: avoid; }
figure, .mlcalc-frame-slider, table { break-inside: avoid; }
.mlcalc-frame-controls input[type=range] { display: none !important; }
.mlcalc-frame-controls { font-size: 0.9rem; }
.mlcalc-print-note { font-size: 0.85rem; color: #444; font-style: italic; margin: 0.3rem 0 1rem 0; }
"""

FOOTER = ('<div style="font-size:8px;width:100%;text-align:center;color:#555;font-family:sans-serif">'
          '<span class="pageNumber"></span> / <span class="totalPages"></span></div>')
HEADER = ('<div style="font-size:7px;width:100%;text-align:right;padding-right:15mm;color:#777;'
          'font-family:sans-serif"><span class="title"></span></div>')


def toc_pages() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    pages = [toc["root"]]
    for part in toc.get("parts", []):
        pages += [entry["file"] for entry in part.get("chapters", [])]
    return pages


def anchor(page: str, fragment: str = "") -> str:
    """The id of ``page#fragment`` inside the joined document."""
    stem = page.replace("/", "-")
    return f"{stem}--{fragment}" if fragment else stem


def _rewrite_links(article, page: str, pages: set[str]) -> None:
    """Ids get the page as prefix; links to a page of the book point inside the document."""
    for element in article.find_all(id=True):
        element["id"] = anchor(page, element["id"])
    folder = page.rsplit("/", 1)[0] + "/" if "/" in page else ""
    for link in article.find_all("a", href=True):
        href = link["href"]
        parts = urlsplit(href)
        if parts.scheme or parts.netloc:
            continue
        if not parts.path:
            target = page
        else:
            resolved = (Path(folder + parts.path)).as_posix()
            # Normalise ../ segments against the book's root.
            segments: list[str] = []
            for segment in resolved.split("/"):
                if segment == "..":
                    if segments:
                        segments.pop()
                elif segment not in ("", "."):
                    segments.append(segment)
            target = "/".join(segments).removesuffix(".html")
        if target in pages:
            link["href"] = "#" + anchor(target, parts.fragment)


def _prepare_article(article, page: str, pages: set[str], soup: BeautifulSoup) -> None:
    for link in article.select("a.headerlink"):
        link.decompose()
    # Folded code (tag hide-input) stays folded away on paper; folded outputs are opened.
    for details in article.select("details.above-input"):
        details.decompose()
    for details in article.find_all("details"):
        details["open"] = ""
        for summary in details.find_all("summary", recursive=False):
            summary.decompose()
    # Solutions: shown, not folded (sphinx-togglebutton is not loaded, the class is dropped).
    for solution in article.select(".admonition.dropdown"):
        solution["class"] = [c for c in solution.get("class", []) if c != "dropdown"]
    for script in article.find_all("script"):
        if script.get("type") not in ("application/json",):
            script.decompose()
    # The widget manager is not loaded: widget views would print nothing.
    for view in article.select('script[type="application/vnd.jupyter.widget-view+json"]'):
        view.decompose()
    for slider in article.select("div.mlcalc-frame-slider"):
        count = int(slider.select_one("input.mlcalc-frame-range")["max"]) + 1
        label = slider.select_one("input.mlcalc-frame-range").get("aria-label", "the parameter")
        note = soup.new_tag("p", attrs={"class": "mlcalc-print-note"})
        note.string = (f"Interactive figure: in the HTML book (page {page}.html, built by make book) "
                       f"a slider shows this figure for {count} values of {label}; printed here at one.")
        slider.append(note)
    _rewrite_links(article, page, pages)


GREEK = {name: chr(code) for name, code in [
    ("alpha", 0x3B1), ("beta", 0x3B2), ("gamma", 0x3B3), ("delta", 0x3B4), ("epsilon", 0x3F5),
    ("varepsilon", 0x3B5), ("zeta", 0x3B6), ("eta", 0x3B7), ("theta", 0x3B8), ("kappa", 0x3BA),
    ("lambda", 0x3BB), ("mu", 0x3BC), ("nu", 0x3BD), ("xi", 0x3BE), ("pi", 0x3C0), ("rho", 0x3C1),
    ("sigma", 0x3C3), ("tau", 0x3C4), ("phi", 0x3C6), ("varphi", 0x3C6), ("chi", 0x3C7), ("psi", 0x3C8),
    ("omega", 0x3C9), ("Gamma", 0x393), ("Delta", 0x394), ("Sigma", 0x3A3), ("nabla", 0x2207),
    ("partial", 0x2202), ("infty", 0x221E), ("to", 0x2192), ("ell", 0x2113), ("top", 0x22A4)]}


def plain_title(heading: Tag) -> str:
    """A heading's text for a bookmark: TeX of inline math turned into plain characters."""
    pieces = []
    for node in heading.descendants:
        if not isinstance(node, str):
            continue
        text = str(node)
        if "math" in (node.parent.get("class") or []):
            text = text.strip().removeprefix("\\(").removesuffix("\\)")
            text = re.sub(r"\\([A-Za-z]+)", lambda m: GREEK.get(m.group(1), m.group(1)), text)
            text = re.sub(r"[{}^_\\]", "", text)
        pieces.append(text)
    return " ".join("".join(pieces).split())


def _outline(article, page: str) -> tuple[str, str, list[tuple[str, str]]]:
    """(title, id, [(section title, id), ...]) of a page, ids as in the joined document."""
    h1 = article.find("h1")
    if h1 is None:
        raise SystemExit(f"error: {page}.html has no <h1> title")
    title_id = h1.parent.get("id") if h1.parent.name == "section" else None
    sections = []
    for h2 in article.find_all("h2"):
        if h2.parent.name == "section" and h2.parent.get("id"):
            sections.append((plain_title(h2), h2.parent["id"]))
    return plain_title(h1), title_id or anchor(page), sections


def _absolute_sources(article, page_url: str) -> None:
    """Images and other loaded files are addressed absolutely, whatever folder their page is in."""
    from urllib.parse import urljoin

    for tag, attribute in (("img", "src"), ("source", "src"), ("object", "data")):
        for element in article.find_all(tag):
            value = element.get(attribute)
            if value and not value.startswith(("data:", "#")):
                element[attribute] = urljoin(page_url, value)


def build_document(html_dir: Path, pages: list[str], out_html: Path) -> tuple[list, int]:
    """Join the pages into one HTML document; return (its outline, the number of sliders)."""
    missing = [page for page in pages if not (html_dir / f"{page}.html").exists()]
    if missing:
        raise SystemExit(f"error: {', '.join(f'{p}.html' for p in missing)} missing in {html_dir}; "
                         "run 'make book' first")
    first_text = (html_dir / f"{pages[0]}.html").read_text(encoding="utf-8")
    first = BeautifulSoup(first_text[:first_text.find("</head>") + 7] + "</html>", "html.parser")
    base = (html_dir / pages[0]).parent.as_uri() + "/"
    head = [f'<meta charset="utf-8"><base href="{html.escape(base)}">',
            f"<title>{html.escape(book_title())}</title>"]
    for link in first.head.find_all("link", rel="stylesheet"):
        head.append(str(link))
    for script in first.head.find_all("script"):
        text = script.string or ""
        if "window.MathJax" in text or "mathjax" in (script.get("src") or "").lower():
            head.append(str(script))
    head.append(f"<style>{PRINT_CSS}</style>")
    body = ['<div class="pdf-title-page">'
            f'<p class="pdf-title">{html.escape(book_title())}</p>'
            f'<p class="pdf-author">{html.escape(book_author())}</p>'
            '<p class="pdf-note">The PDF edition, printed from the HTML book. In the HTML book '
            "(make book, then open _build/html/index.html) the figures with a slider are interactive, "
            "and every chapter can be downloaded as a notebook to run in JupyterLab (make lab).</p></div>"]
    known = set(pages)
    sliders = 0
    outline = []
    articles = []
    for page in pages:
        text = (html_dir / f"{page}.html").read_text(encoding="utf-8")
        # Parsing only the article is several times faster than the whole page.
        begin, end = text.find('<article class="bd-article">'), text.rfind("</article>")
        soup = BeautifulSoup(text[begin:end + len("</article>")] if 0 <= begin < end else "", "html.parser")
        article = soup.select_one("article.bd-article")
        if article is None:
            raise SystemExit(f"error: {page}.html has no <article class='bd-article'>: not a page of this book")
        sliders += len(article.select("div.mlcalc-frame-slider"))
        _prepare_article(article, page, known, soup)
        _absolute_sources(article, (html_dir / f"{page}.html").as_uri())
        article.name = "section"
        article["class"] = ["pdf-page"]
        article["id"] = anchor(page)
        outline.append(_outline(article, page))
        articles.append(str(article))
    contents = ['<nav class="pdf-contents"><p class="pdf-contents-title">Contents</p><ul>']
    for title, target, sections in outline:
        contents.append(f'<li><a href="#{target}">{html.escape(title)}</a>')
        if sections:
            contents.append("<ul>" + "".join(f'<li><a href="#{sid}">{html.escape(stitle)}</a></li>'
                                             for stitle, sid in sections) + "</ul>")
        contents.append("</li>")
    contents.append("</ul></nav>")
    body += contents + articles
    document = ("<!DOCTYPE html>\n<html lang=\"en\"><head>" + "\n".join(head) + "</head>\n"
                '<body><main class="bd-main"><div class="bd-content"><div class="bd-article-container">'
                '<article class="bd-article">' + "\n".join(body) + "</article></div></div></main></body></html>")
    out_html.parent.mkdir(parents=True, exist_ok=True)
    out_html.write_text(document, encoding="utf-8")
    return outline, sliders


def book_title() -> str:
    return str(yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8")).get("title", "The book"))


def book_author() -> str:
    return str(yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8")).get("author", ""))


def _remote(urls: list[str]) -> list[str]:
    return sorted({url for url in urls if not url.startswith(("file:", "data:", "blob:", "about:"))})


def print_pdf(document: Path, out_pdf: Path, *, wait_for_math: bool = True) -> dict:
    """Open ``document`` in chromium, wait for MathJax, print; return what was requested.

    Stops (SystemExit) before printing if any request other than a local file was made."""
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"error: {CHROMIUM} is missing: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    requests: list[str] = []
    blocked: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(offline=True)

            def refuse(route, request):
                blocked.append(request.url)
                route.abort()

            context.route(re.compile(r"^(?!file:|data:|about:|blob:)"), refuse)
            page = context.new_page()
            page.on("request", lambda request: requests.append(request.url))
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.emulate_media(media="print")
            started = time.perf_counter()
            page.goto(document.as_uri(), wait_until="load", timeout=TYPESET_TIMEOUT_MS)
            loaded = time.perf_counter()
            if wait_for_math:
                page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise",
                                       timeout=TYPESET_TIMEOUT_MS)
                page.evaluate("() => MathJax.startup.promise")
            page.evaluate("() => document.fonts.ready.then(() => true)")
            page.wait_for_function(
                "() => Array.from(document.images).every(i => i.complete)", timeout=TYPESET_TIMEOUT_MS)
            if _remote(blocked + requests):
                raise SystemExit("error: printing attempted network requests (blocked): "
                                 f"{_remote(blocked + requests)[:10]}")
            status = page.evaluate("""() => ({
                raw: Array.from(document.querySelectorAll('.math')).filter(e => !e.querySelector('mjx-container')).length,
                errors: document.querySelectorAll('mjx-merror').length,
                broken: Array.from(document.images).filter(i => i.naturalWidth === 0).map(i => i.src.slice(0, 100)),
            })""")
            if errors:
                raise SystemExit(f"error: JavaScript errors while typesetting: {errors[:5]}")
            if status["raw"] or status["errors"]:
                raise SystemExit(f"error: MathJax left {status['raw']} formulas untypeset and "
                                 f"{status['errors']} with errors")
            if status["broken"]:
                raise SystemExit(f"error: images failed to load: {status['broken'][:5]}")
            typeset = time.perf_counter()
            out_pdf.parent.mkdir(parents=True, exist_ok=True)
            page.pdf(path=str(out_pdf), format="A4", print_background=True, outline=False, tagged=False,
                     display_header_footer=True, header_template=HEADER, footer_template=FOOTER,
                     margin={"top": "16mm", "bottom": "18mm", "left": "15mm", "right": "15mm"})
            printed = time.perf_counter()
            print(f"chromium: loaded in {loaded - started:.0f} s, typeset in {typeset - loaded:.0f} s, "
                  f"printed in {printed - typeset:.0f} s", flush=True)
            context.close()
        finally:
            browser.close()
    if _remote(blocked + requests):  # a request made while printing
        out_pdf.unlink(missing_ok=True)
        raise SystemExit(f"error: printing attempted network requests (blocked): {_remote(blocked + requests)[:10]}")
    return {"requests": requests}


def add_bookmarks(pdf: Path, outline: list) -> int:
    """Bookmarks from the named destinations chromium wrote for the contents' links; return their number."""
    import logging

    from pypdf import PdfReader, PdfWriter

    # pypdf warns that chromium's trailer /Size is short; it reads the file correctly anyway.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    reader = PdfReader(pdf)
    destinations = {name.lstrip("/"): reader.get_destination_page_number(dest)
                     for name, dest in reader.named_destinations.items()}
    writer = PdfWriter(clone_from=reader)
    count = 0
    for title, target, sections in outline:
        if target not in destinations:
            raise SystemExit(f"error: the PDF has no destination for {title!r} (#{target})")
        parent = writer.add_outline_item(title=title, page_number=destinations[target])
        count += 1
        for section_title, section_id in sections:
            if section_id not in destinations:
                raise SystemExit(f"error: the PDF has no destination for section {section_title!r} (#{section_id})")
            writer.add_outline_item(title=section_title, page_number=destinations[section_id], parent=parent)
            count += 1
    writer.page_mode = "/UseOutlines"
    temporary = pdf.with_suffix(".tmp.pdf")
    with temporary.open("wb") as handle:
        writer.write(handle)
    temporary.replace(pdf)
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--html", type=Path, default=ROOT / "_build" / "html", help="the built HTML book")
    parser.add_argument("--out", type=Path, default=ROOT / "_build" / "pdf" / PDF_NAME, help="the PDF to write")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    pages = toc_pages()
    document = args.out.parent / "book.html"
    outline, n_sliders = build_document(args.html.resolve(), pages, document)
    joined = time.perf_counter()
    print(f"Joined {len(outline)} pages ({n_sliders} sliders printed at their visible frame) into {document}")
    result = print_pdf(document, args.out)
    printed = time.perf_counter()
    bookmarks = add_bookmarks(args.out, outline)
    print(f"joined in {joined - start:.0f} s, chromium {printed - joined:.0f} s, "
          f"bookmarks {time.perf_counter() - printed:.0f} s")
    local = sum(1 for url in result["requests"] if url.startswith("file:"))
    size = args.out.stat().st_size
    print(f"Printed {args.out} ({size / 1e6:.1f} MB) in {time.perf_counter() - start:.0f} s; "
          f"{local} local files loaded, no network request; {bookmarks} bookmarks.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
