"""Interactive explorers: ipywidgets for JupyterLab, frame sliders for the static book.

Two kinds of interactivity serve the book's two audiences:

* :func:`explorer` wires ipywidgets controls to a function that draws a
  matplotlib figure. It needs a running kernel, so it is for learners in
  JupyterLab.
* :func:`frame_slider` renders a figure for each value of a parameter ahead of
  time and packs the frames with a range input and a few lines of inline
  JavaScript into one self-contained HTML block. It needs no kernel and loads
  nothing from the network, so it works in the built HTML book (which stores
  the frames as image files, see :class:`FrameSlider`) and in JupyterLab.

A third, small helper, :func:`markdown_table`, turns rows of numbers into a
Markdown table (with math) that renders both in JupyterLab and in the book.

See the chapter "Limits and continuity" for all three in use.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import json
from typing import Any, Callable, Mapping, Sequence

from ._validation import check_callable

__all__ = ["FrameSlider", "frame_slider", "explorer", "figure_to_png_base64", "markdown_table"]


def figure_to_png_base64(fig: Any, *, dpi: int = 80, colors: int | None = None) -> str:
    """Render a matplotlib figure to PNG and return it base64-encoded (ASCII).

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure to render. It is not closed.
    dpi : int, optional
        Resolution of the PNG.
    colors : int, optional
        If given (2 to 256), the PNG is stored with a palette of at most this
        many colours: about three times smaller for line and contour plots,
        with no visible difference at 256.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> figure_to_png_base64(fig)[:8]
    'iVBORw0K'
    >>> len(figure_to_png_base64(fig, colors=256)) < len(figure_to_png_base64(fig))
    True
    >>> plt.close(fig)
    """
    if not hasattr(fig, "savefig"):
        raise TypeError(f"fig must be a matplotlib Figure, got {type(fig).__name__}")
    if colors is not None and (isinstance(colors, bool) or not isinstance(colors, int) or not 2 <= colors <= 256):
        raise ValueError(f"colors must be an integer from 2 to 256 or None, got {colors!r}")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    if colors is not None:
        from PIL import Image

        image = Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")
        buffer = io.BytesIO()
        image.quantize(colors, method=Image.Quantize.MEDIANCUT).save(buffer, format="PNG", optimize=True)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


# The slider's behaviour, shared by every slider on a page. It reads the frames
# and labels from JSON script tags (not from the markup, which stays small);
# the book's Sphinx extension (tools/sphinx/offline_book.py) replaces the data
# URIs in those tags by the addresses of image files it writes, so that a page
# loads only the visible frame and fetches the others once the slider is used.
_SLIDER_SCRIPT = """(function (root) {
  var frames = JSON.parse(root.querySelector("script.mlcalc-frames").textContent);
  var labels = JSON.parse(root.querySelector("script.mlcalc-labels").textContent);
  var image = root.querySelector("img.mlcalc-frame");
  var range = root.querySelector("input.mlcalc-frame-range");
  var value = root.querySelector("output.mlcalc-frame-value");
  var name = range.getAttribute("aria-label");
  var description = image.getAttribute("data-description");
  var preloaded = false;
  function preload() {
    if (preloaded) return;
    preloaded = true;
    frames.forEach(function (src) { new Image().src = src; });
  }
  range.addEventListener("focus", preload);
  range.addEventListener("pointerdown", preload);
  range.addEventListener("input", function () {
    var i = parseInt(range.value, 10);
    preload();
    image.src = frames[i];
    image.alt = description + " (" + name + " = " + labels[i] + ")";
    value.textContent = labels[i];
    range.setAttribute("aria-valuetext", name + " = " + labels[i]);
  });
})(document.getElementById("%s"));"""


class FrameSlider:
    """Pre-rendered frames with a slider: kernel-free interactivity as HTML.

    Create it with :func:`frame_slider`. In a notebook it displays itself
    through ``_repr_html_``; :attr:`html` holds the markup.

    The slider is an ``<input type="range">``: Tab reaches it, the arrow keys,
    Page Up/Down, Home and End move it, and its label, readout and the image's
    alternative text name the current value for screen readers. In JupyterLab
    the attribute ``data-lm-suppress-shortcuts`` keeps the notebook's command
    shortcuts (ArrowUp/ArrowDown select cells) from taking its keys.

    Attributes
    ----------
    html : str
        Self-contained HTML: an ``<img>``, an ``<input type="range">`` with a
        ``<label>``, an ``<output>`` showing the parameter, the frames as data
        URIs in a ``<script type="application/json" class="mlcalc-frames">``,
        and a few lines of inline JavaScript.
    frames : list of str
        The frames as ``data:image/png;base64,...`` URIs.
    labels : list of str
        The parameter value shown for each frame.
    n_frames : int
        Number of frames.
    start : int
        Index of the frame shown first.
    """

    def __init__(self, frames_png: Sequence[str], labels: Sequence[str], *, label: str,
                 start: int, description: str):
        self.labels = list(labels)
        self.frames = [f"data:image/png;base64,{png}" for png in frames_png]
        self.n_frames = len(self.frames)
        self.start = start
        digest = hashlib.sha1("".join(list(frames_png) + self.labels).encode()).hexdigest()[:10]
        element_id = f"mlcalc-frames-{digest}"
        text = html.escape(label)
        alt = html.escape(description)
        shown = html.escape(self.labels[start])
        self.html = f"""<div class="mlcalc-frame-slider" id="{element_id}" data-lm-suppress-shortcuts="true" style="max-width:720px">
<img class="mlcalc-frame" alt="{alt} ({text} = {shown})" data-description="{alt}" src="{self.frames[start]}" style="max-width:100%;height:auto"/>
<div class="mlcalc-frame-controls" style="display:flex;align-items:center;gap:0.75em;font-family:sans-serif">
<label for="{element_id}-range">{text}</label>
<input type="range" id="{element_id}-range" class="mlcalc-frame-range" min="0" max="{self.n_frames - 1}" step="1" value="{start}" style="flex:1" aria-label="{text}" aria-valuetext="{text} = {shown}" data-lm-suppress-shortcuts="true"/>
<output class="mlcalc-frame-value" for="{element_id}-range">{shown}</output>
</div>
<script type="application/json" class="mlcalc-frames">{json.dumps(self.frames)}</script>
<script type="application/json" class="mlcalc-labels">{json.dumps(self.labels)}</script>
<script>
{_SLIDER_SCRIPT % element_id}
</script>
</div>"""

    def _repr_html_(self) -> str:
        return self.html


def frame_slider(make_figure: Callable[[Any], Any], values: Sequence[Any], *, label: str,
                 value_format: str = "{:.3g}", start: int | None = None, dpi: int = 80,
                 description: str = "", colors: int | None = 256) -> FrameSlider:
    """Build a kernel-free slider over pre-rendered figures.

    Parameters
    ----------
    make_figure : callable
        ``make_figure(value)`` returns a matplotlib Figure for one parameter
        value. Each figure is rendered to PNG and closed.
    values : sequence
        The parameter values, one frame each (at least two).
    label : str
        Text shown before the slider, e.g. ``"epsilon"``; also its accessible name.
    value_format : str, optional
        Format applied to each value for the readout.
    start : int, optional
        Index of the frame shown first; the middle one by default.
    dpi : int, optional
        Resolution of the frames (file size grows with its square).
    description : str, optional
        Alternative text of the image, for screen readers.
    colors : int or None, optional
        Palette size of the frames (see :func:`figure_to_png_base64`); ``None``
        keeps full colour.

    Returns
    -------
    FrameSlider
        Displays itself in a notebook and in the built HTML book.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> def draw(slope):
    ...     fig, ax = plt.subplots(figsize=(2, 2))
    ...     ax.plot([0, 1], [0, slope])
    ...     return fig
    >>> slider = frame_slider(draw, [0.5, 1.0, 2.0], label="slope")
    >>> slider.n_frames, slider.labels
    (3, ['0.5', '1', '2'])
    >>> 'type="range"' in slider.html
    True
    """
    import matplotlib.pyplot as plt

    check_callable(make_figure, "make_figure")
    values = list(values)
    if len(values) < 2:
        raise ValueError(f"values must hold at least two parameter values, got {len(values)}")
    if not isinstance(label, str) or not label:
        raise ValueError("label must be a non-empty string naming the parameter")
    if start is None:
        start = len(values) // 2
    if not isinstance(start, int) or not 0 <= start < len(values):
        raise ValueError(f"start must be an index between 0 and {len(values) - 1}, got {start!r}")
    frames, labels = [], []
    for value in values:
        fig = make_figure(value)
        if not hasattr(fig, "savefig"):
            raise TypeError(
                f"make_figure must return a matplotlib Figure, got {type(fig).__name__} for value {value!r}"
            )
        try:
            frames.append(figure_to_png_base64(fig, dpi=dpi, colors=colors))
        finally:
            plt.close(fig)
        labels.append(value_format.format(value))
    return FrameSlider(frames, labels, label=label, start=start, description=description or label)


def explorer(draw: Callable[..., Any], controls: Mapping[str, Any]) -> Any:
    """An ipywidgets explorer: controls on top, the figure ``draw`` returns below.

    Parameters
    ----------
    draw : callable
        ``draw(**values)`` returns a matplotlib Figure for the current values
        of the controls.
    controls : mapping of str to ipywidgets.ValueWidget
        Keyword name of ``draw`` to the widget that sets it (sliders,
        dropdowns, checkboxes).

    Returns
    -------
    ipywidgets.VBox
        The explorer. Its attribute ``output`` is the ``ipywidgets.Output``
        holding the figure, ``figure`` the last figure drawn, ``redraw()`` draws again and ``figure_count``
        counts the figures drawn so far (tests use it).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import ipywidgets as widgets
    >>> def draw(slope):
    ...     fig, ax = plt.subplots(figsize=(2, 2))
    ...     ax.plot([0, 1], [0, slope])
    ...     return fig
    >>> box = explorer(draw, {"slope": widgets.FloatSlider(value=1.0, min=0, max=2)})
    >>> box.figure_count
    1
    >>> box.controls["slope"].value = 1.5
    >>> box.figure_count
    2
    """
    import ipywidgets as widgets
    import matplotlib.pyplot as plt
    from IPython import get_ipython

    check_callable(draw, "draw")
    if not isinstance(controls, Mapping) or not controls:
        raise ValueError("controls must be a non-empty mapping of argument names to ipywidgets")
    for name, control in controls.items():
        if not isinstance(control, widgets.ValueWidget):
            raise TypeError(f"controls[{name!r}] must be an ipywidgets value widget, got {type(control).__name__}")

    output = widgets.Output()
    box = widgets.VBox([widgets.HBox(list(controls.values())), output])
    box.output = output
    box.controls = dict(controls)
    box.figure_count = 0

    def redraw(change: Any = None) -> None:
        values = {name: control.value for name, control in controls.items()}
        fig = draw(**values)
        shell = get_ipython()
        if shell is not None:  # outside IPython there is nowhere to display
            # Replace the widget's outputs in one state update rather than
            # `with output: clear_output(wait=True); display(fig)`. That routes
            # the figure through the front end's output capture; nbclient's
            # mimic of it then writes to the kernel's shell socket while
            # waiting for the cell's reply on the same socket, which
            # sometimes leaves the book's execution waiting for the whole
            # cell timeout (jupyter/nbclient#312).
            data, metadata = shell.display_formatter.format(fig)
            output.outputs = ({"output_type": "display_data", "data": data, "metadata": metadata},)
        box.figure = fig
        plt.close(fig)
        box.figure_count += 1

    for control in controls.values():
        control.observe(redraw, names="value")
    box.redraw = redraw
    redraw()
    return box


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> Any:
    """A Markdown table of already formatted cells, for display in a notebook.

    Cells may contain Markdown and ``$...$`` math; the book renders them like
    its prose. Inside ``$...$`` math a ``|`` (as in ``\\left| x \\right|``
    from ``sympy.latex``) is written ``\\vert`` so that it cannot split the
    cell; outside math a ``|`` raises ``ValueError``.

    Parameters
    ----------
    header : sequence of str
        The column titles.
    rows : sequence of sequences
        One sequence of cells per row, as many as there are titles; each cell
        is converted with ``str``.

    Returns
    -------
    IPython.display.Markdown
        Shown when it is the last expression of a cell, or with ``display``.

    Examples
    --------
    >>> table = markdown_table(["$h$", "error"], [(0.1, "1.7e-03"), (0.01, "1.7e-05")])
    >>> print(table.data)
    | $h$ | error |
    |---|---|
    | 0.1 | 1.7e-03 |
    | 0.01 | 1.7e-05 |
    >>> print(markdown_table(["$f$"], [["$|x|$"]]).data.splitlines()[-1])
    | $\\vert x\\vert $ |
    """
    from IPython.display import Markdown

    header = [str(title) for title in header]
    if not header:
        raise ValueError("header must name at least one column")

    def cell(value: Any) -> str:
        pieces = str(value).replace("\n", " ").split("$")
        for index, piece in enumerate(pieces):
            if index % 2:  # inside $...$
                pieces[index] = piece.replace("|", "\\vert ")
            elif "|" in piece:
                raise ValueError(f"table cell {str(value)!r} contains '|' outside math, which would split it")
        return "$".join(pieces)

    lines = ["| " + " | ".join(cell(title) for title in header) + " |", "|" + "---|" * len(header)]
    for number, row in enumerate(rows):
        row = list(row)
        if len(row) != len(header):
            raise ValueError(f"rows[{number}] has {len(row)} cells but the header has {len(header)} columns")
        lines.append("| " + " | ".join(cell(value) for value in row) + " |")
    return Markdown("\n".join(lines))
