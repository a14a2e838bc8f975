"""mlcalc.widgets.frame_slider: its HTML, its frames, its accessibility, and the book's frame files."""

from __future__ import annotations

import base64
import io
import json
import sys
from html.parser import HTMLParser
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pytest
from PIL import Image

from mlcalc.widgets import figure_to_png_base64, frame_slider

ROOT = Path(__file__).resolve().parents[2]


def draw(slope: float):
    fig, ax = plt.subplots(figsize=(2.5, 2))
    x = np.linspace(0, 1, 50)
    ax.plot(x, slope * x, label="line")
    grid_x, grid_y = np.meshgrid(x, x)
    ax.contourf(grid_x, grid_y, slope * np.sin(4 * grid_x) * grid_y, levels=20)
    ax.set_title(f"slope {slope}")
    return fig


class Elements(HTMLParser):
    """Every start tag with its attributes, and the text of each script tag."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.scripts: list[tuple[dict[str, str], str]] = []
        self._script: dict[str, str] | None = None

    def handle_starttag(self, tag, attrs):
        attributes = {name: value or "" for name, value in attrs}
        self.tags.append((tag, attributes))
        if tag == "script":
            self._script = attributes

    def handle_data(self, data):
        if self._script is not None:
            self.scripts.append((self._script, data))

    def handle_endtag(self, tag):
        if tag == "script":
            self._script = None

    def one(self, tag: str, css_class: str) -> dict[str, str]:
        found = [a for t, a in self.tags if t == tag and css_class in a.get("class", "").split()]
        assert len(found) == 1, f"expected one <{tag} class={css_class}>, found {len(found)}"
        return found[0]

    def json_script(self, css_class: str):
        found = [text for a, text in self.scripts if a.get("type") == "application/json" and a.get("class") == css_class]
        assert len(found) == 1, f"expected one JSON script {css_class}, found {len(found)}"
        return json.loads(found[0])


@pytest.fixture(scope="module")
def slider():
    return frame_slider(draw, [0.5, 1.0, 2.0, 3.0], label="slope <s>", start=1, value_format="{:.1f}",
                        description="A line & its slope")


def parse(markup: str) -> Elements:
    elements = Elements()
    elements.feed(markup)
    return elements


def decode(uri: str) -> Image.Image:
    assert uri.startswith("data:image/png;base64,"), uri[:40]
    return Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1])))


def test_frames_are_png_data_uris_one_per_value(slider) -> None:
    page = parse(slider.html)
    frames = page.json_script("mlcalc-frames")
    assert frames == slider.frames and len(frames) == 4 == slider.n_frames
    assert page.json_script("mlcalc-labels") == ["0.5", "1.0", "2.0", "3.0"] == slider.labels
    images = [decode(uri) for uri in frames]
    assert all(image.format == "PNG" for image in images)
    # Each value draws a different figure.
    assert len({image.tobytes() for image in images}) == 4


def test_visible_frame_and_readout_are_the_start_value(slider) -> None:
    page = parse(slider.html)
    assert page.one("img", "mlcalc-frame")["src"] == slider.frames[1]
    assert page.one("input", "mlcalc-frame-range")["value"] == "1"
    assert "1.0</output>" in slider.html


def test_slider_is_keyboard_operable_and_labelled(slider) -> None:
    page = parse(slider.html)
    range_input = page.one("input", "mlcalc-frame-range")
    # A native range input: in the tab order (no negative tabindex), moved by arrow keys.
    assert range_input["type"] == "range"
    assert not range_input.get("tabindex", "0").startswith("-")
    assert (range_input["min"], range_input["max"], range_input["step"]) == ("0", "3", "1")
    # Its accessible name, escaped; a <label for> names it too.
    assert range_input["aria-label"] == "slope <s>"
    labels = [a for t, a in page.tags if t == "label"]
    assert [a["for"] for a in labels] == [range_input["id"]]
    assert range_input["aria-valuetext"] == "slope <s> = 1.0"
    # JupyterLab's notebook shortcuts (ArrowUp/Down select cells) must not take its keys.
    assert range_input["data-lm-suppress-shortcuts"] == "true"
    image = page.one("img", "mlcalc-frame")
    assert image["alt"] == "A line & its slope (slope <s> = 1.0)"


def test_palette_frames_are_smaller_and_look_the_same() -> None:
    fig = draw(2.0)
    try:
        full = figure_to_png_base64(fig, dpi=80)
        palette = figure_to_png_base64(fig, dpi=80, colors=256)
    finally:
        plt.close(fig)
    assert len(palette) < 0.7 * len(full)
    a = np.asarray(decode("data:image/png;base64," + full).convert("RGB"), dtype=float)
    b = np.asarray(decode("data:image/png;base64," + palette).convert("RGB"), dtype=float)
    assert a.shape == b.shape
    assert np.abs(a - b).mean() < 2.0, "the palette image differs visibly from the full-colour one"


@pytest.mark.parametrize("kwargs, message", [
    ({"values": [1.0]}, "at least two"),
    ({"label": ""}, "label"),
    ({"start": 5}, "start"),
    ({"colors": 1}, "colors"),
])
def test_bad_arguments_are_named(kwargs, message) -> None:
    arguments = {"values": [1.0, 2.0], "label": "slope"} | kwargs
    values = arguments.pop("values")
    with pytest.raises(ValueError, match=message):
        frame_slider(draw, values, **arguments)


def test_book_extension_moves_frames_into_files(slider, tmp_path: Path) -> None:
    """tools/sphinx/offline_book.py: the page keeps addresses, the frames become files."""
    sys.path.insert(0, str(ROOT / "tools" / "sphinx"))
    try:
        from offline_book import frames_to_files
    finally:
        sys.path.remove(str(ROOT / "tools" / "sphinx"))
    body = f"<p>before</p>{slider.html}<p>after</p>"
    page = frames_to_files(body, tmp_path, lambda name, resource: f"../{name}")
    assert "data:image" not in page
    elements = parse(page)
    urls = elements.json_script("mlcalc-frames")
    assert elements.one("img", "mlcalc-frame")["src"] == urls[1]
    for url, uri in zip(urls, slider.frames):
        assert url.startswith("../_images/frames/") and url.endswith(".png")
        written = tmp_path / url.removeprefix("../")
        assert written.read_bytes() == base64.b64decode(uri.split(",", 1)[1])
    # Idempotent: a page without data URIs is left as it is.
    assert frames_to_files(page, tmp_path, lambda name, resource: f"../{name}") == page
