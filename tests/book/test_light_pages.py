"""Light pages: slider frames are files, loaded when needed; sliders work by keyboard from file://."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from bookpages import HTML, chapter_pages

pytestmark = pytest.mark.xdist_group("book")

MAX_PAGE_BYTES = 1_000_000


@pytest.mark.parametrize("page", chapter_pages())
def test_chapter_page_is_under_one_megabyte(page: str, built_book: Path) -> None:
    path = built_book / f"{page}.html"
    size = path.stat().st_size
    assert size < MAX_PAGE_BYTES, f"{page}.html weighs {size:,} bytes (limit {MAX_PAGE_BYTES:,})"
    text = path.read_text(encoding="utf-8")
    assert "mlcalc-frame-slider" in text, f"{page}: no kernel-free slider"
    assert "data:image/png" not in text, f"{page}: slider frames (or figures) are still inlined as data URIs"


def open_from_file(browser, page_name: str):
    """Open a built page from file:// with every request recorded and any network request blocked."""
    context = browser.new_context()
    requests: list[str] = []
    blocked: list[str] = []

    def route(route, request):
        blocked.append(request.url)
        route.abort()

    context.route("http*://**/*", route)
    page = context.new_page()
    page.on("request", lambda request: requests.append(request.url))
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto((HTML / f"{page_name}.html").as_uri(), wait_until="load")
    return context, page, requests, blocked, errors


def frame_requests(requests: list[str]) -> list[str]:
    return [unquote(urlparse(url).path).rsplit("/", 1)[-1] for url in requests if "/_images/frames/" in url]


@pytest.mark.parametrize("page_name", chapter_pages())
def test_slider_loads_one_frame_then_moves_by_keyboard(chromium, built_book: Path, page_name: str) -> None:
    context, page, requests, blocked, errors = open_from_file(chromium, page_name)
    try:
        sliders = page.locator("div.mlcalc-frame-slider")
        count = sliders.count()
        assert count > 0, f"{page_name}: no kernel-free slider"
        # First paint: each slider has loaded its visible frame and no other.
        visible = page.evaluate(
            "() => Array.from(document.querySelectorAll('img.mlcalc-frame')).map(i => i.src.split('/').pop())"
        )
        assert sorted(frame_requests(requests)) == sorted(visible), (
            f"{page_name}: frames requested on load {frame_requests(requests)}, visible {visible}")
        for index in range(count):
            root = sliders.nth(index)
            image = root.locator("img.mlcalc-frame")
            slider = root.locator("input.mlcalc-frame-range")
            readout = root.locator("output.mlcalc-frame-value")
            assert slider.get_attribute("aria-label"), f"{page_name}: slider {index} has no accessible name"
            before = (image.get_attribute("src"), readout.inner_text(), slider.get_attribute("aria-valuetext"))
            # Tab from the figure reaches the slider: click the image (not focusable) to set the
            # sequential focus starting point there, then press Tab.
            image.click()
            page.keyboard.press("Tab")
            assert slider.evaluate("element => element === document.activeElement"), (
                f"{page_name}: Tab from slider {index}'s figure focused "
                f"{page.evaluate('() => document.activeElement.outerHTML.slice(0, 120)')}")
            at_end = slider.input_value() == slider.get_attribute("max")
            page.keyboard.press("ArrowLeft" if at_end else "ArrowRight")
            after = (image.get_attribute("src"), readout.inner_text(), slider.get_attribute("aria-valuetext"))
            assert after[0] != before[0], f"{page_name}: the arrow key did not change slider {index}'s frame"
            assert after[1] != before[1], f"{page_name}: the arrow key did not change slider {index}'s readout"
            assert after[2] != before[2] and after[1] in after[2], f"{page_name}: aria-valuetext is stale: {after[2]}"
            page.wait_for_function("image => image.complete && image.naturalWidth > 0", arg=image.element_handle())
        assert not blocked, f"{page_name}: network requests were attempted: {blocked}"
        assert not errors, f"{page_name}: JavaScript errors: {errors}"
    finally:
        context.close()
