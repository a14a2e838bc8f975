"""Print the built HTML book as PDF, one per edition: _build/pdf/calculus-for-machine-learning.pdf (English)
and calculus-for-machine-learning-zh.pdf (the Chinese edition, _build/html/zh).

For each edition of ``book_editions`` (``_config.yml``), the pages of ``_toc.yml`` are read from its
folder of ``_build/html`` (run ``make book`` first) and joined, in table-of-contents order, into one
HTML document ``_build/pdf/<name>.html`` that uses the edition's stylesheets and the vendored
MathJax. A PDF is named after its edition's folder (``zh`` -> ``-zh``), as the HTML is.

Debian's chromium, driven by Playwright, opens the documents from ``file://`` and prints them
(``page.pdf``: A4, page numbers and the book's title in the margins) at the same time, each in its
own renderer, so that both cores work. Before MathJax typesets, ``tools/pdf_prepare.js`` prepares each document in the
browser (in a tenth of a second, where parsing and rewriting the pages in Python took 10-15 s):
solutions are shown after their exercise (not folded), code cells whose source the page folds stay
folded away (their outputs print), headings' ``#`` links go, links between pages point inside the
PDF, each kernel-free slider prints its visible frame with a note saying where its interactive
version is, and a contents page links every page and section. MathJax typesets without its
context menu and its hidden copy of every formula for screen readers (a quarter of the document's
elements, which paper has no use for). Chromium writes a named destination for each link of the
contents page; pypdf adds the bookmarks from them: one per page of the book, with its sections
below. (Chromium's own outline, ``outline=True``, nests sections under the wrong chapters and drops
titles; a tagged PDF would double the file and make adding bookmarks 20 times slower.)

The PDF's own text (its title page, the contents' title, the sliders' note) is translated from
``locales/<language>/interface/pdf.po``; everything else comes translated from the edition's pages.

Every request chromium makes is recorded; a request that is neither ``file:`` nor ``data:`` is
blocked and stops the print with its address.

Usage: python tools/pdf.py [--edition LANGUAGE ...] [--pages PAGE ...] [--html _build/html] [--out FILE]

``--pages`` prints only the pages named (as in ``_toc.yml``, ``book/01-limits``, or by file name,
``01-limits``; ``index`` is the front page), in table-of-contents order; ``--out`` needs one edition.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import html
import json
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import yaml
from bs4 import BeautifulSoup, Tag

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--font-render-hinting=none"]
PDF_STEM = "calculus-for-machine-learning"
PREPARE_JS = Path(__file__).resolve().parent / "pdf_prepare.js"
TYPESET_TIMEOUT_MS = 300_000

# The PDF's own text, translated in locales/<language>/interface/pdf.po (msgid: the English).
TITLE_NOTE = ("The PDF edition, printed from the HTML book. In the HTML book (make book, then open {index}) "
              "the figures with a slider are interactive, and every chapter can be downloaded as a notebook "
              "to run in JupyterLab (make lab).")
CONTENTS = "Contents"
SLIDER_NOTE = ("Interactive figure: in the HTML book (page {page}, built by make book) a slider shows this "
               "figure for {count} values of {label}; printed here at one.")
SLIDER_LABEL = "the parameter"
MESSAGES = (TITLE_NOTE, CONTENTS, SLIDER_NOTE, SLIDER_LABEL)
PLACEHOLDER = re.compile(r"\{\w*\}|[{}]")

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

# Page numbers and the book's title in the page margins, drawn by chromium's CSS paged media (@page margin
# boxes). Playwright's header and footer templates did the same at twice the cost: chromium lays out and
# paints a template document for every page.
MARGIN_CSS = """
@page {
  @top-right { content: %(title)s; font-size: 7px; color: #777; font-family: sans-serif; }
  @bottom-center { content: counter(page) " / " counter(pages); font-size: 8px; color: #555; font-family: sans-serif; }
}
"""


def css_string(text: str) -> str:
    """``text`` as a CSS string literal."""
    return '"' + "".join(ch if ch.isalnum() or ch in " -_.,:;!?()'" else f"\\{ord(ch):x} " for ch in text) + '"'


STYLESHEET = re.compile(r"<link\b[^>]*\brel=\"stylesheet\"[^>]*>")
MATHJAX_CONFIG = re.compile(r"<script>\s*window\.MathJax\s*=\s*(\{.*?\})\s*;?\s*</script>", re.DOTALL)
MATHJAX_SCRIPT = re.compile(r"<script\b[^>]*\bsrc=\"[^\"]*mathjax[^\"]*\"[^>]*>\s*</script>", re.IGNORECASE)
SCRIPT = re.compile(r"<script\b[^>]*>.*?</script\s*>", re.DOTALL | re.IGNORECASE)
# Paper needs neither MathJax's context menu nor its hidden MathML copy of every formula.
MATHJAX_PRINT_OPTIONS = {"enableMenu": False, "enableAssistiveMml": False,
                         "menuOptions": {"settings": {"assistiveMml": False}}}


# --------------------------------------------------------------------------- editions and pages

def book_config() -> dict:
    return yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Edition:
    """One edition of the book: its Sphinx language, its folder below ``_build/html``, its title and author line."""

    language: str
    path: str
    title: str
    author: str

    @property
    def pdf_name(self) -> str:
        return f"{PDF_STEM}-{self.path.replace('/', '-')}.pdf" if self.path else f"{PDF_STEM}.pdf"

    @property
    def html_lang(self) -> str:
        return self.language.replace("_", "-")

    def html_dir(self, html_root: Path) -> Path:
        return html_root / self.path if self.path else html_root


def editions() -> list[Edition]:
    """The editions of ``_config.yml``'s ``book_editions`` (the English one alone when there is none)."""
    config = book_config()
    found = (config.get("sphinx", {}).get("config", {}) or {}).get("book_editions") or {}
    title, author = str(config.get("title", "The book")), str(config.get("author", ""))
    if not found:
        return [Edition("en", "", title, author)]
    return [Edition(language, edition["path"].strip("/"), edition.get("title") or title,
                    edition.get("author") or author)
            for language, edition in found.items()]


def toc_pages() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    pages = [toc["root"]]
    for part in toc.get("parts", []):
        pages += [entry["file"] for entry in part.get("chapters", [])]
    return pages


def select_pages(names: list[str] | None, pages: list[str]) -> list[str]:
    """The pages named (``book/01-limits``, ``01-limits``, ``01-limits.html``; ``index``: the front page),
    in table-of-contents order; every page when ``names`` is empty."""
    if not names:
        return pages
    lookup = {"index": pages[0]}
    for page in pages:
        lookup[page] = page
        lookup.setdefault(page.rsplit("/", 1)[-1], page)
    chosen, unknown = set(), []
    for name in names:
        key = name.removesuffix(".html").removesuffix(".md")
        if key in lookup:
            chosen.add(lookup[key])
        else:
            unknown.append(name)
    if unknown:
        raise SystemExit(f"error: --pages {' '.join(unknown)}: not a page of _toc.yml (pages: index, "
                         f"{', '.join(page.rsplit('/', 1)[-1] for page in pages)})")
    return [page for page in pages if page in chosen]


def translator(language: str) -> Callable[[str], str]:
    """The PDF's own messages in ``language``, from ``locales/<language>/interface/pdf.po``."""
    if language == "en":
        return lambda message: message
    from babel.messages.pofile import read_po

    path = ROOT / "locales" / language / "interface" / "pdf.po"
    if not path.exists():
        raise SystemExit(f"error: {path.relative_to(ROOT)} is missing: the PDF's own text has no {language} translation")
    with path.open("rb") as handle:
        catalogue = read_po(handle)
    translations = {}
    for message in MESSAGES:
        entry = catalogue.get(message)
        if entry is None or not entry.string or entry.fuzzy:
            state = "missing" if entry is None else "fuzzy" if entry.fuzzy else "untranslated"
            raise SystemExit(f"error: {path.relative_to(ROOT)}: the message {message[:60]!r} is {state}")
        if set(PLACEHOLDER.findall(entry.string)) != set(PLACEHOLDER.findall(message)):
            raise SystemExit(f"error: {path.relative_to(ROOT)}: the translation of {message[:60]!r} must keep "
                             f"exactly the placeholders {sorted(set(PLACEHOLDER.findall(message)))}")
        translations[message] = entry.string
    return translations.__getitem__


# --------------------------------------------------------------------------- the joined document

def _article(text: str, page: str) -> str:
    """The inner HTML of a page's ``<article class="bd-article">``, without its scripts."""
    begin, end = text.find('<article class="bd-article">'), text.rfind("</article>")
    if not 0 <= begin < end:
        raise SystemExit(f"error: {page}.html has no <article class='bd-article'>: not a page of this book")
    # Paper runs no script (sliders print their visible frame, widgets are not loaded); JSON data is unused.
    return SCRIPT.sub("", text[begin + len('<article class="bd-article">'):end])


def _mathjax_head(first: str) -> list[str]:
    """The edition's MathJax configuration, with the print options, and its vendored script."""
    config_match, script_match = MATHJAX_CONFIG.search(first), MATHJAX_SCRIPT.search(first)
    if not config_match or not script_match:
        raise SystemExit("error: the pages load no MathJax (window.MathJax and its script): not built by make book?")
    config = json.loads(config_match.group(1))
    options = config.setdefault("options", {})
    options.update(MATHJAX_PRINT_OPTIONS)
    return [f"<script>window.MathJax = {json.dumps(config)};</script>", script_match.group(0)]


def build_document(edition: Edition, html_dir: Path, pages: list[str], out_html: Path) -> int:
    """Join the pages into one HTML document for printing; return the number of sliders it shows."""
    missing = [page for page in pages if not (html_dir / f"{page}.html").exists()]
    if missing:
        raise SystemExit(f"error: {', '.join(f'{p}.html' for p in missing)} missing in {html_dir}; "
                         "run 'make book' first")
    translate = translator(edition.language)
    texts = {page: (html_dir / f"{page}.html").read_text(encoding="utf-8") for page in pages}
    first = texts[pages[0]]
    head_end = first.find("</head>")
    base = (html_dir / pages[0]).parent.as_uri() + "/"
    head = [f'<meta charset="utf-8"><base href="{html.escape(base)}">',
            f"<title>{html.escape(edition.title)}</title>",
            *STYLESHEET.findall(first[:head_end]), *_mathjax_head(first[:head_end]),
            f"<style>{PRINT_CSS}{MARGIN_CSS % {'title': css_string(edition.title)}}</style>"]
    folder = f"{edition.path}/" if edition.path else ""
    index = f"_build/html/{folder}index.html"
    body = ['<div class="pdf-title-page">'
            f'<p class="pdf-title">{html.escape(edition.title)}</p>'
            f'<p class="pdf-author">{html.escape(edition.author)}</p>'
            f'<p class="pdf-note">{html.escape(translate(TITLE_NOTE).format(index=index))}</p></div>',
            f'<nav class="pdf-contents"><p class="pdf-contents-title">{html.escape(translate(CONTENTS))}</p>'
            "<ul></ul></nav>"]
    sliders = 0
    for page in pages:
        article = _article(texts[page], page)
        sliders += article.count('class="mlcalc-frame-slider"')
        body.append(f'<section class="pdf-page" data-page="{html.escape(page)}">{article}</section>')
    settings = {"pages": pages, "root": html_dir.as_uri() + "/", "folder": folder,
                "sliderNote": translate(SLIDER_NOTE), "sliderLabel": translate(SLIDER_LABEL)}
    document = (f'<!DOCTYPE html>\n<html lang="{edition.html_lang}"><head>' + "\n".join(head) + "</head>\n"
                '<body><main class="bd-main"><div class="bd-content"><div class="bd-article-container">'
                '<article class="bd-article">' + "\n".join(body) + "</article></div></div></main>\n"
                '<script type="application/json" id="pdf-settings">'
                + json.dumps(settings, ensure_ascii=False).replace("</", "<\\/") + "</script>\n"
                f"<script>{PREPARE_JS.read_text(encoding='utf-8')}</script></body></html>")
    out_html.parent.mkdir(parents=True, exist_ok=True)
    out_html.write_text(document, encoding="utf-8")
    return sliders


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


def _plain(heading_html: str) -> str:
    heading = BeautifulSoup(heading_html, "html.parser").find(["h1", "h2"])
    return plain_title(heading) if heading is not None else ""


def outline_of(prepared: list[dict]) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """(title, id, [(section title, id), ...]) of each page, from what pdf_prepare.js found."""
    return [(_plain(entry["html"]), entry["id"], [(_plain(sub["html"]), sub["id"]) for sub in entry["sections"]])
            for entry in prepared]


# --------------------------------------------------------------------------- printing

def _remote(urls: list[str]) -> list[str]:
    return sorted({url for url in urls if not url.startswith(("file:", "data:", "blob:", "about:"))})


class PrintError(Exception):
    """What stops a print, said in a sentence (``print_documents`` turns it into SystemExit)."""


@dataclass
class Job:
    """One document to print: ``label`` names it in messages."""

    label: str
    document: Path
    out_pdf: Path
    wait_for_math: bool = True


async def _print(browser, job: Job) -> dict:
    """Open ``job.document`` in its own context, wait for MathJax, print; return what was requested and
    the outline. Stops (PrintError) before printing if any request other than a local file was made."""
    requests: list[str] = []
    blocked: list[str] = []
    errors: list[str] = []
    context = await browser.new_context(offline=True)
    try:
        async def refuse(route, request):
            blocked.append(request.url)
            await route.abort()

        await context.route(re.compile(r"^(?!file:|data:|about:|blob:)"), refuse)
        page = await context.new_page()
        page.on("request", lambda request: requests.append(request.url))
        page.on("pageerror", lambda error: errors.append(str(error)))
        await page.emulate_media(media="print")
        started = time.perf_counter()
        await page.goto(job.document.as_uri(), wait_until="load", timeout=TYPESET_TIMEOUT_MS)
        loaded = time.perf_counter()
        if job.wait_for_math:
            await page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise",
                                         timeout=TYPESET_TIMEOUT_MS)
            await page.evaluate("() => MathJax.startup.promise.then(() => true)")
        await page.evaluate("() => document.fonts.ready.then(() => true)")
        await page.wait_for_function("() => Array.from(document.images).every(i => i.complete)",
                                     timeout=TYPESET_TIMEOUT_MS)
        if _remote(blocked + requests):
            raise PrintError(f"error: printing {job.label} attempted network requests (blocked): "
                             f"{_remote(blocked + requests)[:10]}")
        status = await page.evaluate("""() => ({
            outline: window.pdfOutline || null,
            problems: window.pdfProblems || [],
            raw: Array.from(document.querySelectorAll('.math')).filter(e => !e.querySelector('mjx-container')).length,
            errors: document.querySelectorAll('mjx-merror').length,
            broken: Array.from(document.images).filter(i => i.naturalWidth === 0).map(i => i.src.slice(0, 100)),
        })""")
        if errors:
            raise PrintError(f"error: JavaScript errors in {job.label}: {errors[:5]}")
        if status["problems"]:
            raise PrintError(f"error: {job.label}: " + "; ".join(status["problems"]))
        if job.wait_for_math and (status["raw"] or status["errors"]):
            raise PrintError(f"error: {job.label}: MathJax left {status['raw']} formulas untypeset and "
                             f"{status['errors']} with errors")
        if status["broken"]:
            raise PrintError(f"error: {job.label}: images failed to load: {status['broken'][:5]}")
        typeset = time.perf_counter()
        job.out_pdf.parent.mkdir(parents=True, exist_ok=True)
        # Page size, margins, page numbers and the title in the margin: PRINT_CSS and MARGIN_CSS.
        await page.pdf(path=str(job.out_pdf), prefer_css_page_size=True, print_background=True, outline=False,
                       tagged=False)
        printed = time.perf_counter()
        print(f"{job.label}: chromium loaded it in {loaded - started:.0f} s, typeset in {typeset - loaded:.0f} s, "
              f"printed in {printed - typeset:.0f} s", flush=True)
    finally:
        await context.close()
    if _remote(blocked + requests):  # a request made while printing
        job.out_pdf.unlink(missing_ok=True)
        raise PrintError(f"error: printing {job.label} attempted network requests (blocked): "
                         f"{_remote(blocked + requests)[:10]}")
    return {"requests": requests, "outline": status["outline"] or []}


async def _print_all(jobs: list[Job], after: Callable[[Job, dict], object] | None) -> list[dict]:
    from playwright.async_api import async_playwright

    async def run(browser, job: Job) -> dict:
        result = await _print(browser, job)
        if after is not None:  # in a thread, while chromium goes on printing the other jobs
            result["after"] = await asyncio.to_thread(after, job, result)
        return result

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            # A failure cancels the other jobs.
            async with asyncio.TaskGroup() as group:
                tasks = [group.create_task(run(browser, job)) for job in jobs]
        finally:
            await browser.close()
    return [task.result() for task in tasks]


def _run(coroutine):
    """``asyncio.run``, in a thread of its own when this thread already runs an event loop (Playwright's
    sync API, used by a caller, keeps one running)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def print_documents(jobs: list[Job], after: Callable[[Job, dict], object] | None = None) -> list[dict]:
    """Print every job at once in one chromium, each in its own renderer; results in the jobs' order.

    ``after(job, result)``, if given, runs as soon as a job is printed; its return value is the result's
    ``"after"``."""
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"error: {CHROMIUM} is missing: apt-get install chromium")
    try:
        return _run(_print_all(jobs, after))
    except ExceptionGroup as group:
        failures = [str(failure) for failure in group.exceptions if isinstance(failure, PrintError)]
        if failures:
            raise SystemExit("\n".join(failures)) from None
        raise


def print_pdf(document: Path, out_pdf: Path, *, wait_for_math: bool = True) -> dict:
    """Print one document (see ``print_documents``)."""
    return print_documents([Job(document.name, document, out_pdf, wait_for_math)])[0]


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
            raise SystemExit(f"error: {pdf.name} has no destination for {title!r} (#{target})")
        parent = writer.add_outline_item(title=title, page_number=destinations[target])
        count += 1
        for section_title, section_id in sections:
            if section_id not in destinations:
                raise SystemExit(f"error: {pdf.name} has no destination for section {section_title!r} (#{section_id})")
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
    parser.add_argument("--edition", action="append", metavar="LANGUAGE",
                        help="an edition of book_editions, e.g. en or zh_CN (default: every edition)")
    parser.add_argument("--pages", nargs="+", metavar="PAGE",
                        help="print only these pages, e.g. index 01-limits (default: every page of _toc.yml)")
    parser.add_argument("--html", type=Path, default=ROOT / "_build" / "html", help="the built HTML book")
    parser.add_argument("--out", type=Path, help="the PDF to write (one edition only; default: "
                                                 f"_build/pdf/{PDF_STEM}[-<edition folder>].pdf)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    known = {edition.language: edition for edition in editions()}
    unknown = [language for language in args.edition or [] if language not in known]
    if unknown:
        parser.error(f"--edition {' '.join(unknown)}: not an edition of _config.yml's book_editions "
                     f"({', '.join(known)})")
    chosen = [known[language] for language in dict.fromkeys(args.edition or known)]
    if args.out and len(chosen) != 1:
        parser.error(f"--out names one PDF, but {len(chosen)} editions are printed: add --edition")
    html_root = args.html.resolve()
    for edition in chosen:
        if not (edition.html_dir(html_root) / "index.html").exists():
            raise SystemExit(f"error: the {edition.language} edition is not built "
                             f"({edition.html_dir(html_root) / 'index.html'} is missing); run 'make book' first")
    pages = select_pages(args.pages, toc_pages())
    jobs = []
    for edition in chosen:
        out = args.out or ROOT / "_build" / "pdf" / edition.pdf_name
        document = out.with_suffix(".html")
        sliders = build_document(edition, edition.html_dir(html_root), pages, document)
        jobs.append(Job(edition.language, document, out))
        print(f"{edition.language}: joined {len(pages)} pages ({sliders} sliders printed at their visible frame) "
              f"into {document}", flush=True)
    joined = time.perf_counter()
    results = print_documents(jobs, after=lambda job, result: add_bookmarks(job.out_pdf, outline_of(result["outline"])))
    for job, result in zip(jobs, results):
        local = sum(1 for url in result["requests"] if url.startswith("file:"))
        print(f"{job.label}: printed {job.out_pdf} ({job.out_pdf.stat().st_size / 1e6:.1f} MB); {local} local "
              f"files loaded, no network request; {result['after']} bookmarks.")
    print(f"Joined in {joined - start:.0f} s, printed with bookmarks in {time.perf_counter() - joined:.0f} s: "
          f"{time.perf_counter() - start:.0f} s in all.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
