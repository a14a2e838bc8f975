"""The book's recurring figures, built with matplotlib.

Every function returns the ``Figure`` (and draws on axes you may pass in); none
calls ``plt.show()`` or keeps global state, so the notebook decides what to
display. Functions are grouped by the chapter that introduces them.
"""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure

__all__ = ["new_figure", "label_axes"]

DEFAULT_FIGSIZE = (6.4, 4.0)


def new_figure(ncols: int = 1, nrows: int = 1, *, figsize: tuple[float, float] | None = None,
               **subplot_kw: Any) -> tuple[Figure, Any]:
    """Create a figure with a grid of axes in the book's default size.

    Parameters
    ----------
    ncols, nrows : int
        Number of columns and rows of axes.
    figsize : (float, float), optional
        Size in inches; by default 6.4 × 4 per row, widened for several columns.
    **subplot_kw
        Passed to ``Figure.add_subplot`` (e.g. ``projection="3d"``).

    Returns
    -------
    fig : matplotlib.figure.Figure
    axes : Axes or numpy.ndarray of Axes
        A single ``Axes`` when ``ncols == nrows == 1``.

    Examples
    --------
    >>> fig, ax = new_figure()
    >>> fig.get_size_inches().tolist()
    [6.4, 4.0]
    >>> import matplotlib.pyplot as plt; plt.close(fig)
    """
    for value, name in ((ncols, "ncols"), (nrows, "nrows")):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if figsize is None:
        width = DEFAULT_FIGSIZE[0] if ncols == 1 else min(4.2 * ncols, 14.0)
        figsize = (width, DEFAULT_FIGSIZE[1] * nrows)
    fig, axes = plt.subplots(nrows, ncols, figsize=figsize, subplot_kw=subplot_kw or None,
                             layout="constrained")
    return fig, axes


def label_axes(ax: Axes, *, title: str, xlabel: str, ylabel: str, legend: bool | None = None) -> Axes:
    """Give ``ax`` a title and axis labels; add a legend when it has several labelled artists.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    title, xlabel, ylabel : str
    legend : bool, optional
        Force the legend on or off; by default shown when two or more artists
        carry a label.

    Examples
    --------
    >>> fig, ax = new_figure()
    >>> _ = ax.plot([0, 1], [0, 1], label="a"); _ = ax.plot([0, 1], [1, 0], label="b")
    >>> label_axes(ax, title="t", xlabel="x", ylabel="y").get_legend() is not None
    True
    >>> import matplotlib.pyplot as plt; plt.close(fig)
    """
    if not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes, got {type(ax).__name__}")
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    labelled = [h for h in ax.get_legend_handles_labels()[1] if not h.startswith("_")]
    if legend or (legend is None and len(labelled) >= 2):
        ax.legend()
    return ax
