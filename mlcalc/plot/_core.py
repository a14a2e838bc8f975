"""Shared core of the figures: figure and axes helpers, evaluation on grids, the (X, y) data plane.

Every topic module of :mod:`mlcalc.plot` builds on these; none of them is
specific to a chapter.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .._validation import as_float_array, check_int, check_interval, check_positive

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


def _figure_and_axes(ax: Axes | None) -> tuple[Figure, Axes]:
    if ax is None:
        return new_figure()
    if not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes or None, got {type(ax).__name__}")
    return ax.figure, ax


def _curve(f: Callable[[np.ndarray], Any], interval: tuple[float, float], n_points: int) -> tuple[np.ndarray, np.ndarray]:
    """Sample ``f`` on ``interval``; accept functions that only take scalars."""
    a, b = check_interval(*interval, names=("interval[0]", "interval[1]"))
    x = np.linspace(a, b, n_points)
    try:
        y = np.asarray(f(x), dtype=float)
    except (TypeError, ValueError):
        y = None
    if y is None or y.shape != x.shape:
        y = np.array([float(f(float(t))) for t in x])
    return x, y


def _evaluate_on_grid(f: Callable[[Any], Any], x: np.ndarray, *, strict: bool = True) -> np.ndarray:
    """Evaluate ``f`` on the array ``x``, point by point if it does not vectorise.

    With ``strict`` every value must be finite (points inside the interval of
    integration); otherwise values where ``f`` is undefined become NaN, which
    matplotlib leaves out (the margin drawn around the interval).
    """
    def at(t: float) -> float:
        try:
            return float(f(t))
        except (ArithmeticError, ValueError):  # math.sqrt(-1), math.log(0)
            if strict:
                raise
            return np.nan

    with np.errstate(all="ignore"):  # undefined values are reported below, not warned about
        try:
            y = np.asarray(f(x), dtype=float)
        except Exception:  # a function written for scalars only (math.sin, if-statements)
            y = None
        if y is None or y.shape != x.shape:
            y = np.array([at(float(t)) for t in x])
    if strict and not np.all(np.isfinite(y)):
        raise ValueError("f returned NaN or infinity inside the interval [a, b]")
    return np.where(np.isfinite(y), y, np.nan)


def _evaluate_on_plane(fun: Callable[[np.ndarray], Any], X: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """``fun`` (which takes a point of shape (2,)) on a meshgrid, vectorised when that is safe.

    A loss written as ``x[0]**2 + 10 * x[1]**2`` also accepts the stacked grid of
    shape (2, ny, nx); one written as ``x @ A @ x`` does not. The vectorised
    values are used only if they agree with point-by-point calls at a few
    grid points, so a function that broadcasts differently is still drawn right.
    """
    def at(point: np.ndarray) -> float:
        try:
            return float(np.asarray(fun(point), dtype=float).reshape(()))
        except (ArithmeticError, ValueError):
            return np.nan

    with np.errstate(all="ignore"):
        try:
            Z = np.asarray(fun(np.stack([X, Y])), dtype=float)
        except Exception:  # written for a single point only
            Z = None
        if Z is not None and Z.shape == X.shape:
            probes = [(0, 0), (X.shape[0] // 2, X.shape[1] // 3), (X.shape[0] - 1, X.shape[1] - 1)]
            for i, j in probes:
                expected = at(np.array([X[i, j], Y[i, j]]))
                if not np.isclose(Z[i, j], expected, rtol=1e-9, atol=1e-12, equal_nan=True):
                    Z = None
                    break
        if Z is None or Z.shape != X.shape:
            Z = np.array([[at(np.array([x, y])) for x, y in zip(row_x, row_y)] for row_x, row_y in zip(X, Y)])
    return np.where(np.isfinite(Z), Z, np.nan)


def _values_on_rectangle(fun: Callable[[np.ndarray], Any], xlim: tuple[float, float], ylim: tuple[float, float],
                         n_grid: int, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``fun`` on an ``n_grid`` by ``n_grid`` meshgrid over the checked rectangle ``xlim`` by ``ylim``.

    Returns ``X, Y, Z`` as :func:`_evaluate_on_plane` gives them; raises
    ``ValueError`` naming ``fun`` as ``name`` when no value is finite (nothing
    to draw contours of).
    """
    X, Y = np.meshgrid(np.linspace(*xlim, n_grid), np.linspace(*ylim, n_grid))
    Z = _evaluate_on_plane(fun, X, Y)
    if not np.any(np.isfinite(Z)):
        raise ValueError(f"{name} is not finite anywhere on the grid given by xlim and ylim")
    return X, Y, Z


def _labelled(items: Any, name: str, convert: Callable[[Any, str], Any], single_label: str) -> dict[str, Any]:
    """One item or a non-empty mapping of legend labels to items, as a dict of labels to converted items.

    ``convert(item, where)`` checks an item; ``where`` names it in errors
    (``name`` or ``name[label]``). A single item gets ``single_label``.
    """
    if isinstance(items, Mapping):
        if not items:
            raise ValueError(f"{name} must not be empty")
        return {str(label): convert(item, f"{name}[{label!r}]") for label, item in items.items()}
    return {single_label: convert(items, name)}


def _point_2d(point: Any, name: str) -> np.ndarray:
    p = as_float_array(point, name, ndim=1)
    if p.shape != (2,):
        raise ValueError(f"{name} must be a point (x, y) of shape (2,), got shape {p.shape}")
    return p


def _value_at(f: Callable[[np.ndarray], Any], point: np.ndarray, name: str = "f") -> float:
    value = np.asarray(f(point.copy()), dtype=float)
    if value.size != 1:
        raise ValueError(f"{name} must return a single number for a point of shape (2,), got shape {value.shape}")
    return float(value.reshape(()))


def _data_plane(X: Any, y: Any, *, resolution: Any, padding: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                                       np.ndarray, np.ndarray, np.ndarray]:
    """Check points ``X`` of shape (n, 2) with labels ``y``, and lay a grid over their padded bounding box.

    Returns ``points, labels, gx, gy, lo, hi``: the data as arrays, the
    meshgrid of ``resolution`` points per axis, and the corners of the box.
    """
    points = as_float_array(X, "X", ndim=2)
    if points.shape[1] != 2:
        raise ValueError(f"X must have two columns (points in the plane), got shape {points.shape}")
    labels = np.asarray(y)
    if labels.ndim != 1 or labels.shape[0] != points.shape[0]:
        raise ValueError(f"y must be a vector with one label per row of X ({points.shape[0]}), got shape {labels.shape}")
    resolution = check_int(resolution, "resolution", minimum=2)
    padding = check_positive(padding, "padding", allow_zero=True)
    lo, hi = points.min(axis=0) - padding, points.max(axis=0) + padding
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    return points, labels, gx, gy, lo, hi


def _contour_levels(Z: np.ndarray, levels: Any) -> np.ndarray:
    """Contour levels: ``levels`` values at evenly spaced quantiles of the finite ``Z``, or the levels given."""
    if isinstance(levels, (int, np.integer)) and not isinstance(levels, bool):
        n_levels = check_int(int(levels), "levels", minimum=1)
        return np.unique(np.quantile(Z[np.isfinite(Z)], np.linspace(0.0, 1.0, n_levels + 2)[1:-1]))
    return np.unique(as_float_array(levels, "levels", ndim=1))
