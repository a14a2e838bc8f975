"""The PDF edition (tools/pdf.py, make pdf): printed from the built HTML by chromium, offline.

The PDF is printed once for the module into a temporary folder, then read with
poppler-utils (pdftotext, pdfimages) and pypdf (bookmarks).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from bookpages import HTML, ROOT, chapter_pages, toc_pages

pytestmark = pytest.mark.xdist_group("book")

sys.path.insert(0, str(ROOT / "tools"))
import pdf as pdf_tool  # noqa: E402

sys.path.remove(str(ROOT / "tools"))


def poppler(tool: str) -> str:
    path = shutil.which(tool)
    assert path, f"{tool} is missing: apt-get install poppler-utils (make test-deps does this)"
    return path


@pytest.fixture(scope="session")  # printed once per run, however the tests interleave
def printed(built_book: Path, tmp_path_factory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("pdf") / "book.pdf"
    completed = subprocess.run([sys.executable, str(ROOT / "tools" / "pdf.py"), "--out", str(out)],
                               cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert completed.returncode == 0, f"tools/pdf.py failed:\n{completed.stdout}\n{completed.stderr}"
    assert "no network request" in completed.stdout, completed.stdout
    return out, completed.stdout


def text_of(pdf: Path, first_page: int = 1) -> str:
    return subprocess.run([poppler("pdftotext"), "-f", str(first_page), "-enc", "UTF-8", str(pdf), "-"],
                          capture_output=True, text=True, check=True).stdout


def normalise(text: str) -> str:
    return " ".join(text.replace("\u00ad", "").split())


def pages_html() -> dict[str, BeautifulSoup]:
    return {page: BeautifulSoup((HTML / f"{page}.html").read_text(encoding="utf-8"), "html.parser")
            for page in toc_pages()}


def bookmarks(pdf: Path):
    from pypdf import PdfReader

    reader = PdfReader(pdf)
    return reader, [item for item in reader.outline if not isinstance(item, list)]


def headings(article) -> list[tuple[str, list[str]]]:
    """(level, text fragments around inline math) of each h1 and h2, in order."""
    found = []
    for heading in article.find_all(["h1", "h2"]):
        for link in heading.select("a.headerlink"):
            link.decompose()
        title = pdf_tool.plain_title(heading)
        # Text around inline math must appear; the formula itself is typeset, not TeX.
        for math in heading.select(".math"):
            math.replace_with("\x00")
        fragments = [f.strip(" -–,:;") for f in normalise(heading.get_text()).split("\x00")]
        found.append((heading.name, title, [f for f in fragments if len(f) >= 3]))
    return found


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
    """Each page's title opens its pages of the PDF (from its bookmark to the next), its sections follow in order."""
    reader, top = bookmarks(printed[0])
    starts = [reader.get_destination_page_number(item) + 1 for item in top]
    ends = [start - 1 for start in starts[1:]] + [len(reader.pages)]
    for page, start, end in zip(toc_pages(), starts, ends):
        text = normalise(subprocess.run([poppler("pdftotext"), "-f", str(start), "-l", str(end), "-enc", "UTF-8",
                                         str(printed[0]), "-"], capture_output=True, text=True, check=True).stdout)
        article = pages_html()[page].select_one("article.bd-article")
        position = 0
        for level, title, fragments in headings(article):
            for fragment in fragments:
                found = text.find(fragment, position)
                assert found >= 0, (f"{page} (PDF pages {start}-{end}): heading {title!r} not found after "
                                    f"...{text[max(0, position - 80):position]!r}")
                if level == "h1":
                    assert found < 300, f"{page}: its title {title!r} does not open its pages (PDF page {start})"
                position = found + len(fragment)


def code_text() -> str:
    """All code shown in the book (where TeX in strings is legitimate)."""
    pieces = []
    for soup in pages_html().values():
        pieces += [normalise(pre.get_text()) for pre in soup.select("article.bd-article pre")]
    return "\n".join(pieces)


def test_no_raw_tex_outside_code(printed) -> None:
    code = code_text()
    offenders = []
    for line in text_of(printed[0]).splitlines():
        for raw in ("\\frac", "$$", "\\(", "\\["):
            if raw in line and normalise(line) not in code:
                offenders.append(line.strip())
    assert not offenders, "raw TeX in the PDF's text:\n" + "\n".join(offenders[:20])


def test_embeds_at_least_as_many_images_as_the_chapters_have_figures(printed) -> None:
    figures = set()
    for page in chapter_pages():
        soup = BeautifulSoup((HTML / f"{page}.html").read_text(encoding="utf-8"), "html.parser")
        figures |= {img["src"] for img in soup.select("article.bd-article img") if img.get("src")}
    listing = subprocess.run([poppler("pdfimages"), "-list", str(printed[0])],
                             capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    images = [row for row in listing if row.split()[2] == "image"]
    assert len(figures) > 20, f"only {len(figures)} figures found in the chapter pages"
    assert len(images) >= len(figures), f"the PDF embeds {len(images)} images, the chapters show {len(figures)} figures"


def test_solutions_sliders_and_page_numbers(printed) -> None:
    text = text_of(printed[0])
    solutions = sum(len(soup.select(".solution.admonition")) for soup in pages_html().values())
    sliders = sum(len(soup.select("div.mlcalc-frame-slider")) for soup in pages_html().values())
    assert solutions > 0 and normalise(text).count("Solution to") >= solutions
    notes = normalise(text).count("Interactive figure: in the HTML book")
    assert notes == sliders, f"{notes} print notes for {sliders} sliders"
    from pypdf import PdfReader

    total = len(PdfReader(printed[0]).pages)
    page_five = text_of_page(printed[0], 5)
    assert re.search(rf"\b5 / {total}\b", page_five), f"no page number '5 / {total}' on page 5: {page_five[-200:]!r}"


def text_of_page(pdf: Path, number: int) -> str:
    return subprocess.run([poppler("pdftotext"), "-f", str(number), "-l", str(number), str(pdf), "-"],
                          capture_output=True, text=True, check=True).stdout


def test_printing_refuses_a_network_request(tmp_path: Path) -> None:
    """The printer records and blocks every request that is not a local file."""
    document = tmp_path / "remote.html"
    document.write_text('<html><body><p>x</p><img src="http://example.org/figure.png"></body></html>')
    with pytest.raises(SystemExit, match="network requests"):
        pdf_tool.print_pdf(document, tmp_path / "remote.pdf", wait_for_math=False)
    assert not (tmp_path / "remote.pdf").exists()
