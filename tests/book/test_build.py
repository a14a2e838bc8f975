"""The built book: every chapter in the table of contents executed and rendered."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from bookpages import ROOT, chapter_pages, toc_pages

pytestmark = pytest.mark.xdist_group("book")


def test_every_toc_page_is_built(built_book: Path) -> None:
    missing = [page for page in toc_pages() if not (built_book / f"{page}.html").exists()]
    assert not missing, f"pages listed in _toc.yml but not built: {missing}"
    assert (built_book / "index.html").exists()


@pytest.mark.parametrize("page", chapter_pages())
def test_chapter_executed_from_current_source(page: str, built_book: Path) -> None:
    """The jupyter-cache holds a successful execution of the chapter's current code."""
    from jupyter_cache import get_cache

    cache = get_cache(str(ROOT / "_build" / ".jupyter_cache"))
    record = cache.add_nb_to_project(str(ROOT / f"{page}.md"), read_data={"name": "myst_nb_md", "type": "plugin"})
    cached = cache.get_cached_project_nb(record.pk)
    assert cached is not None, f"{page}: no successful execution of the current source is cached"
    assert not record.traceback, f"{page} failed to execute:\n{record.traceback}"


@pytest.mark.parametrize("page", chapter_pages())
def test_chapter_page_has_outputs_and_no_errors(page: str, built_book: Path) -> None:
    soup = BeautifulSoup((built_book / f"{page}.html").read_text(encoding="utf-8"), "html.parser")
    outputs = soup.select("div.cell_output")
    assert outputs, f"{page}: no cell output rendered"
    tracebacks = soup.select("div.output.traceback, div.output.error")
    assert not tracebacks, f"{page}: an error output is rendered in the page"
    text = soup.get_text()
    assert not re.search(r"Traceback \(most recent call last\)", text), f"{page}: a traceback is shown"


@pytest.mark.parametrize("page", chapter_pages())
def test_chapter_offers_notebook_and_source_downloads(page: str, built_book: Path) -> None:
    html = (built_book / f"{page}.html").read_text(encoding="utf-8")
    name = Path(page).name
    assert f"_sources/book/{name}.ipynb" in html, f"{page}: no .ipynb download button"
    assert f"_sources/book/{name}.md" in html, f"{page}: no source download button"
    notebook = built_book / "_sources" / f"{page}.ipynb"
    import nbformat

    nb = nbformat.read(notebook, as_version=4)
    nbformat.validate(nb)
    assert any(cell.cell_type == "code" for cell in nb.cells)


def test_search_and_execution_status_pages(built_book: Path) -> None:
    assert (built_book / "search.html").exists()
    index = (built_book / "searchindex.js").read_text(encoding="utf-8")
    assert "limit" in index.lower(), "the search index does not know the word 'limit'"
    status = BeautifulSoup((built_book / "book" / "execution.html").read_text(encoding="utf-8"), "html.parser")
    table_text = status.get_text()
    for page in chapter_pages():
        assert Path(page).name in table_text, f"execution-status table lacks {page}"
