"""The PDF editions (tools/pdf.py, make pdf): printed from the built HTML by chromium, offline.

Two prints start together, once per run, each in its own process: the whole English book, and the
Chinese edition's front page and chapter 1 (``--pages``; the whole Chinese book would double the
time and test nothing more of the printer). They are read with poppler-utils (pdftotext, pdfimages,
pdffonts) and pypdf (bookmarks, fonts).
"""

from __future__ import annotations

import copy
import functools
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from bookpages import HTML, ROOT, chapter_pages, toc_pages

pytestmark = pytest.mark.xdist_group("book")

sys.path.insert(0, str(ROOT / "tools"))
import pdf as pdf_tool  # noqa: E402

sys.path.remove(str(ROOT / "tools"))

ZH = "zh_CN"
ZH_PAGES = ("index", "01-limits")  # the front page and chapter 1: a slider, exercises and their solutions
CJK = re.compile(r"[\u3400-\u9fff]")
PRINT_TIMEOUT = 900  # seconds; a print takes one to three minutes under load


def poppler(tool: str) -> str:
    path = shutil.which(tool)
    assert path, f"{tool} is missing: apt-get install poppler-utils (make test-deps does this)"
    return path


@dataclass
class Print:
    process: subprocess.Popen
    pdf: Path
    log: Path


@pytest.fixture(scope="session")
def prints(built_book: Path, tmp_path_factory):
    """Both prints, started at once so that they share the cores; stopped at the end if still running."""
    folder = tmp_path_factory.mktemp("pdf")
    arguments = {"en": ["--edition", "en"], "zh": ["--edition", ZH, "--pages", *ZH_PAGES]}
    started = {}
    for key, extra in arguments.items():
        log = folder / f"{key}.log"
        with log.open("w") as out:
            process = subprocess.Popen([sys.executable, str(ROOT / "tools" / "pdf.py"), *extra,
                                        "--out", str(folder / f"{key}.pdf")],
                                       cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, text=True)
        started[key] = Print(process, folder / f"{key}.pdf", log)
    yield started
    for job in started.values():
        if job.process.poll() is None:
            job.process.kill()
            job.process.wait()


def finished(job: Print) -> tuple[Path, str]:
    try:
        job.process.wait(timeout=PRINT_TIMEOUT)
    except subprocess.TimeoutExpired:
        job.process.kill()
        pytest.fail(f"tools/pdf.py did not finish in {PRINT_TIMEOUT} s:\n{job.log.read_text()}")
    output = job.log.read_text()
    assert job.process.returncode == 0, f"tools/pdf.py failed:\n{output}"
    assert "no network request" in output, output
    return job.pdf, output


@pytest.fixture(scope="session")
def printed(prints) -> tuple[Path, str]:
    return finished(prints["en"])


@pytest.fixture(scope="session")
def printed_zh(prints) -> tuple[Path, str]:
    return finished(prints["zh"])


def text_of(pdf: Path, first_page: int = 1, last_page: int | None = None) -> str:
    command = [poppler("pdftotext"), "-f", str(first_page), "-enc", "UTF-8", str(pdf), "-"]
    if last_page is not None:
        command[3:3] = ["-l", str(last_page)]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def normalise(text: str) -> str:
    return " ".join(text.replace("\u00ad", "").split())


@functools.cache
def page_soup(path: Path) -> BeautifulSoup:
    """A built page, parsed once per run (tests must not change it: see ``headings``)."""
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def pages_html(root: Path = HTML, pages: tuple[str, ...] | None = None) -> dict[str, BeautifulSoup]:
    return {page: page_soup(root / f"{page}.html") for page in (pages or toc_pages())}


def zh_root() -> Path:
    [edition] = [edition for edition in pdf_tool.editions() if edition.language == ZH]
    return edition.html_dir(HTML)


def zh_pages() -> tuple[str, ...]:
    return tuple(pdf_tool.select_pages(list(ZH_PAGES), toc_pages()))


def bookmarks(pdf: Path):
    from pypdf import PdfReader

    reader = PdfReader(pdf)
    return reader, [item for item in reader.outline if not isinstance(item, list)]


def headings(article) -> list[tuple[str, str, list[str]]]:
    """(level, title, text fragments around inline math) of each h1 and h2, in order."""
    found = []
    for original in article.find_all(["h1", "h2"]):
        heading = copy.copy(original)  # the parsed page is shared by the tests
        for link in heading.select("a.headerlink"):
            link.decompose()
        title = pdf_tool.plain_title(heading)
        # Text around inline math must appear; the formula itself is typeset, not TeX.
        for math in heading.select(".math"):
            math.replace_with("\x00")
        fragments = [f.strip(" -–,:;") for f in normalise(heading.get_text()).split("\x00")]
        found.append((heading.name, title, [f for f in fragments if len(f) >= 3 or CJK.search(f)]))
    return found


def assert_headings_in_order(pdf: Path, root: Path, pages: tuple[str, ...], squeeze: bool = False) -> None:
    """Each page's title opens its pages of the PDF (from its bookmark to the next), its sections follow in
    order. ``squeeze``: compare without white space (pdftotext may split Chinese text anywhere)."""
    reader, top = bookmarks(pdf)
    starts = [reader.get_destination_page_number(item) + 1 for item in top]
    ends = [start - 1 for start in starts[1:]] + [len(reader.pages)]
    plain = (lambda text: "".join(text.split())) if squeeze else normalise
    for page, start, end in zip(pages, starts, ends):
        text = plain(text_of(pdf, start, end))
        article = pages_html(root, pages)[page].select_one("article.bd-article")
        position = 0
        for level, title, fragments in headings(article):
            for fragment in map(plain, fragments):
                found = text.find(fragment, position)
                assert found >= 0, (f"{page} (PDF pages {start}-{end}): heading {title!r} not found after "
                                    f"...{text[max(0, position - 80):position]!r}")
                if level == "h1":
                    assert found < 300, f"{page}: its title {title!r} does not open its pages (PDF page {start})"
                position = found + len(fragment)


def code_text(root: Path = HTML, pages: tuple[str, ...] | None = None) -> str:
    """All code shown in the book (where TeX in strings is legitimate)."""
    pieces = []
    for soup in pages_html(root, pages).values():
        pieces += [normalise(pre.get_text()) for pre in soup.select("article.bd-article pre")]
    return "\n".join(pieces)


def raw_tex(pdf: Path, code: str) -> list[str]:
    offenders = []
    for line in text_of(pdf).splitlines():
        for raw in ("\\frac", "$$", "\\(", "\\["):
            if raw in line and normalise(line) not in code:
                offenders.append(line.strip())
    return offenders


def text_of_page(pdf: Path, number: int) -> str:
    return subprocess.run([poppler("pdftotext"), "-f", str(number), "-l", str(number), str(pdf), "-"],
                          capture_output=True, text=True, check=True).stdout


def assert_page_numbers(pdf: Path) -> None:
    from pypdf import PdfReader

    total = len(PdfReader(pdf).pages)
    page_five = text_of_page(pdf, 5)
    assert re.search(rf"\b5 / {total}\b", page_five), f"no page number '5 / {total}' on page 5: {page_five[-200:]!r}"


# --------------------------------------------------------------------------- without printing

def test_pages_are_chosen_by_name_in_table_of_contents_order() -> None:
    pages = toc_pages()
    assert pdf_tool.select_pages(None, pages) == pages
    assert pdf_tool.select_pages(["01-limits", "index"], pages) == [pages[0], "book/01-limits"]
    assert pdf_tool.select_pages(["book/02-derivatives.md", "01-limits.html"], pages) == \
        ["book/01-limits", "book/02-derivatives"]
    with pytest.raises(SystemExit, match=r"--pages 99-nothing: not a page of _toc.yml \(pages: index, intro, 01-limits"):
        pdf_tool.select_pages(["01-limits", "99-nothing"], pages)


def test_each_edition_has_its_pdf_beside_the_english_one() -> None:
    names = {edition.language: edition.pdf_name for edition in pdf_tool.editions()}
    assert names["en"] == "calculus-for-machine-learning.pdf"
    assert names[ZH] == "calculus-for-machine-learning-zh.pdf"


def test_the_pdfs_own_text_is_translated_keeping_its_placeholders() -> None:
    translate = pdf_tool.translator(ZH)
    for message in pdf_tool.MESSAGES:
        assert CJK.search(translate(message)), f"{message!r} is not translated into Chinese: {translate(message)!r}"
        assert sorted(pdf_tool.PLACEHOLDER.findall(translate(message))) == \
            sorted(pdf_tool.PLACEHOLDER.findall(message)), message


def test_a_broken_translation_of_the_pdfs_text_is_refused(tmp_path: Path, monkeypatch) -> None:
    catalogue = tmp_path / "locales" / "xx" / "interface" / "pdf.po"
    catalogue.parent.mkdir(parents=True)
    entries = {message: f"XX {message}" for message in pdf_tool.MESSAGES}
    entries[pdf_tool.SLIDER_NOTE] = "XX {page} {count}"  # {label} lost
    catalogue.write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n' + "".join(
        f'msgid "{key}"\nmsgstr "{value}"\n\n' for key, value in entries.items()), encoding="utf-8")
    monkeypatch.setattr(pdf_tool, "ROOT", tmp_path)
    with pytest.raises(SystemExit, match="must keep exactly the placeholders"):
        pdf_tool.translator("xx")
    with pytest.raises(SystemExit, match=r"locales/yy/interface/pdf.po is missing"):
        pdf_tool.translator("yy")


def test_printing_refuses_a_network_request(tmp_path: Path) -> None:
    """The printer records and blocks every request that is not a local file."""
    document = tmp_path / "remote.html"
    document.write_text('<html><body><p>x</p><img src="http://example.org/figure.png"></body></html>')
    with pytest.raises(SystemExit, match="network requests"):
        pdf_tool.print_pdf(document, tmp_path / "remote.pdf", wait_for_math=False)
    assert not (tmp_path / "remote.pdf").exists()


# --------------------------------------------------------------------------- the English book

def test_one_bookmark_per_page_of_the_book_in_order(printed) -> None:
    reader, top = bookmarks(printed[0])
    soups = pages_html()
    expected = [headings(soups[page].select_one("article.bd-article"))[0][1] for page in toc_pages()]
    assert [item.title for item in top] == expected
    numbers = [reader.get_destination_page_number(item) for item in top]
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers), f"chapters start on pages {numbers}"
    # Sections are nested under their chapter.
    nested = [item for item in reader.outline if isinstance(item, list)]
    assert len(nested) >= len(chapter_pages())


def test_text_has_every_title_and_section_heading_in_order(printed) -> None:
    assert_headings_in_order(printed[0], HTML, tuple(toc_pages()))


def test_no_raw_tex_outside_code(printed) -> None:
    offenders = raw_tex(printed[0], code_text())
    assert not offenders, "raw TeX in the PDF's text:\n" + "\n".join(offenders[:20])


def test_embeds_at_least_as_many_images_as_the_chapters_have_figures(printed) -> None:
    figures = set()
    for page in chapter_pages():
        soup = page_soup(HTML / f"{page}.html")
        figures |= {img["src"] for img in soup.select("article.bd-article img") if img.get("src")}
    listing = subprocess.run([poppler("pdfimages"), "-list", str(printed[0])],
                             capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    images = [row for row in listing if row.split()[2] == "image"]
    assert len(figures) > 20, f"only {len(figures)} figures found in the chapter pages"
    assert len(images) >= len(figures), f"the PDF embeds {len(images)} images, the chapters show {len(figures)} figures"


def test_solutions_sliders_and_page_numbers(printed) -> None:
    text = normalise(text_of(printed[0]))
    solutions = sum(len(soup.select(".solution.admonition")) for soup in pages_html().values())
    sliders = sum(len(soup.select("div.mlcalc-frame-slider")) for soup in pages_html().values())
    assert solutions > 0 and text.count("Solution to") >= solutions
    notes = text.count("Interactive figure: in the HTML book")
    assert notes == sliders, f"{notes} print notes for {sliders} sliders"
    assert_page_numbers(printed[0])


# --------------------------------------------------------------------------- the Chinese edition (two pages)

def test_chinese_pages_have_chinese_bookmarks_in_order(printed_zh) -> None:
    reader, top = bookmarks(printed_zh[0])
    soups = pages_html(zh_root(), zh_pages())
    titles = [headings(soups[page].select_one("article.bd-article")) for page in zh_pages()]
    assert [item.title for item in top] == [found[0][1] for found in titles]
    assert all(CJK.search(item.title) for item in top), [item.title for item in top]
    nested = [item for item in reader.outline if isinstance(item, list)]
    chapter_sections = [title for level, title, _ in titles[-1] if level == "h2"]
    assert [item.title for item in nested[-1]] == chapter_sections
    assert chapter_sections and all(CJK.search(title) for title in chapter_sections), chapter_sections


def test_chinese_text_has_every_title_and_section_heading_in_order(printed_zh) -> None:
    assert_headings_in_order(printed_zh[0], zh_root(), zh_pages(), squeeze=True)


def test_chinese_pages_embed_their_cjk_glyphs(printed_zh) -> None:
    """Every font is embedded, and the Chinese text is drawn with embedded glyphs that map back to the
    characters. (Chromium writes Noto Sans CJK, a font with CFF outlines, as Type 3 fonts: glyph
    outlines without a font name, so pdffonts lists them as '[none] Type 3 ... yes yes yes'.)"""
    from pypdf import PdfReader

    listing = subprocess.run([poppler("pdffonts"), str(printed_zh[0])], capture_output=True, text=True,
                             check=True).stdout.splitlines()[2:]
    assert listing, "pdffonts lists no font"
    not_embedded = [row for row in listing if row.split()[-5] != "yes"]  # ... emb sub uni object-ID
    assert not not_embedded, "fonts not embedded:\n" + "\n".join(not_embedded)
    cjk_fonts = set()
    for page in PdfReader(printed_zh[0]).pages[:4]:
        fonts = page["/Resources"].get("/Font", {})
        for name, reference in fonts.items():
            font = reference.get_object()
            if "/ToUnicode" not in font:
                continue
            embedded = ("/CharProcs" in font) or any(key in font.get("/FontDescriptor", {})
                                                     for key in ("/FontFile", "/FontFile2", "/FontFile3"))
            cmap = font["/ToUnicode"].get_object().get_data().decode("latin-1")
            targets = "".join(chr(int(code, 16)) for code in re.findall(r"<([0-9A-Fa-f]{4})>", cmap))
            if embedded and CJK.search(targets):
                cjk_fonts.add(f"{font['/Subtype']} {name}")
    assert cjk_fonts, "no embedded font on the first pages maps its glyphs to Chinese characters"


def test_chinese_pages_print_chinese_notes_solutions_and_no_raw_tex(printed_zh) -> None:
    pdf, output = printed_zh
    text = "".join(text_of(pdf).split())
    translate = pdf_tool.translator(ZH)
    soups = pages_html(zh_root(), zh_pages())
    assert "".join(translate(pdf_tool.CONTENTS).split()) in "".join(text_of_page(pdf, 2).split())
    note = "".join(translate(pdf_tool.SLIDER_NOTE).split("{")[0].split())
    sliders = sum(len(soup.select("div.mlcalc-frame-slider")) for soup in soups.values())
    assert sliders > 0 and text.count(note) == sliders, f"{text.count(note)} Chinese print notes for {sliders} sliders"
    solutions = sum(len(soup.select(".solution.admonition")) for soup in soups.values())
    assert solutions > 0 and text.count("解答") >= solutions, f"{text.count('解答')} solutions printed of {solutions}"
    for english in ("Interactive figure", "Contents", "Solution to", "The PDF edition"):
        assert english.replace(" ", "") not in text, f"English {english!r} in the Chinese PDF"
    offenders = raw_tex(pdf, code_text(zh_root(), zh_pages()))
    assert not offenders, "raw TeX in the Chinese PDF's text:\n" + "\n".join(offenders[:20])
    assert_page_numbers(pdf)
    assert f"{ZH}: printed" in output and "no network request" in output, output
