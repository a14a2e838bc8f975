"""The book's recurring figures, built with matplotlib.

Every function returns the ``Figure`` (and draws on axes you may pass in); none
calls ``plt.show()`` or keeps global state, so the notebook decides what to
display. Functions are grouped by the chapter that introduces them.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ._validation import as_float_array, check_callable, check_int, check_interval, check_positive, check_real

__all__ = ["new_figure", "label_axes", "function_with_tangent", "secant_to_tangent", "step_error_curve"]

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


# --- Chapter "Derivatives" --------------------------------------------------------


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


def _figure_and_axes(ax: Axes | None) -> tuple[Figure, Axes]:
    if ax is None:
        return new_figure()
    if not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes or None, got {type(ax).__name__}")
    return ax.figure, ax


def function_with_tangent(f: Callable[[np.ndarray], Any], x0: float, slope: float, *,
                          interval: tuple[float, float], ax: Axes | None = None, n_points: int = 400,
                          title: str | None = None) -> Figure:
    """Draw ``f`` on ``interval`` with its tangent line at ``x0``.

    The tangent is the line through :math:`(x_0, f(x_0))` with the given slope,

    .. math::

        t(x) = f(x_0) + f'(x_0)\\,(x - x_0).

    Parameters
    ----------
    f : callable
        The function; called on a numpy array (or point by point if it only
        takes scalars).
    x0 : float
        Point of tangency.
    slope : float
        The derivative :math:`f'(x_0)`, e.g. from :func:`mlcalc.diff.derivative`.
    interval : (float, float)
        The x-range drawn.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure by default.
    n_points : int, optional
        Number of sample points of the curve.
    title : str, optional
        Title; by default it states the point and the slope.

    Returns
    -------
    matplotlib.figure.Figure

    See the chapter "Derivatives".

    Examples
    --------
    >>> import numpy as np
    >>> fig = function_with_tangent(np.sin, 0.0, 1.0, interval=(-2, 2))
    >>> curve, tangent = fig.axes[0].get_lines()[:2]
    >>> tangent.get_label()
    'tangent, slope 1'
    >>> import matplotlib.pyplot as plt; plt.close(fig)
    """
    check_callable(f, "f")
    x0 = check_real(x0, "x0")
    slope = check_real(slope, "slope")
    n_points = check_int(n_points, "n_points", minimum=2)
    x, y = _curve(f, interval, n_points)
    fig, ax = _figure_and_axes(ax)
    y0 = float(f(x0))
    ax.plot(x, y, label="$f(x)$")
    ax.plot(x, y0 + slope * (x - x0), "--", label=f"tangent, slope {slope:.3g}")
    ax.plot([x0], [y0], "o", color="black", label="_point")
    pad = 0.1 * (np.ptp(y) or 1.0)
    ax.set_ylim(y.min() - pad, y.max() + pad)
    label_axes(ax, title=title or f"Tangent at $x_0={x0:.3g}$", xlabel="$x$", ylabel="$y$", legend=True)
    return fig


def secant_to_tangent(f: Callable[[np.ndarray], Any], x0: float, h: float, slope: float, *,
                      interval: tuple[float, float], ax: Axes | None = None, n_points: int = 400) -> Figure:
    """Draw ``f``, the secant through ``x0`` and ``x0 + h``, and the tangent at ``x0``.

    The secant's slope is the difference quotient

    .. math::

        \\frac{f(x_0 + h) - f(x_0)}{h} \\xrightarrow[h \\to 0]{} f'(x_0),

    so a sequence of these figures with shrinking ``h`` shows the secant
    turning into the tangent. The y-limits depend on ``f`` and ``interval``
    only, so frames with different ``h`` line up.

    Parameters
    ----------
    f : callable
        The function.
    x0 : float
        Point of tangency.
    h : float
        Step to the second point of the secant (non-zero; may be negative).
    slope : float
        The derivative :math:`f'(x_0)`, drawn as the tangent.
    interval : (float, float)
        The x-range drawn.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure by default.
    n_points : int, optional
        Number of sample points of the curve.

    Returns
    -------
    matplotlib.figure.Figure

    See the chapter "Derivatives".

    Examples
    --------
    >>> fig = secant_to_tangent(lambda x: x ** 2, 1.0, 0.5, 2.0, interval=(-1, 3))
    >>> [line.get_label() for line in fig.axes[0].get_lines()][:3]
    ['$f(x)$', 'secant, slope 2.5', 'tangent, slope 2']
    >>> import matplotlib.pyplot as plt; plt.close(fig)
    """
    check_callable(f, "f")
    x0 = check_real(x0, "x0")
    h = check_real(h, "h")
    if h == 0:
        raise ValueError("h must be non-zero: a secant needs two distinct points")
    slope = check_real(slope, "slope")
    n_points = check_int(n_points, "n_points", minimum=2)
    x, y = _curve(f, interval, n_points)
    fig, ax = _figure_and_axes(ax)
    y0, y1 = float(f(x0)), float(f(x0 + h))
    secant_slope = (y1 - y0) / h
    ax.plot(x, y, label="$f(x)$")
    ax.plot(x, y0 + secant_slope * (x - x0), label=f"secant, slope {secant_slope:.3g}")
    ax.plot(x, y0 + slope * (x - x0), "--", color="black", label=f"tangent, slope {slope:.3g}")
    ax.plot([x0, x0 + h], [y0, y1], "o", color="C1", label="_points")
    pad = 0.1 * (np.ptp(y) or 1.0)
    ax.set_ylim(y.min() - pad, y.max() + pad)
    ax.set_xlim(x[0], x[-1])
    label_axes(ax, title=f"Secant with $h={h:.3g}$", xlabel="$x$", ylabel="$y$", legend=True)
    return fig


def step_error_curve(steps: Any, errors: Mapping[str, Any], *,
                     optimal_steps: Mapping[str, float] | None = None, ax: Axes | None = None,
                     title: str = "Error of finite differences against the step") -> Figure:
    """Log-log plot of the error of difference quotients against the step ``h``.

    For a forward difference the error is about truncation plus round-off,

    .. math::

        E(h) \\approx \\frac{|f''(x)|}{2} h + \\frac{2 \\varepsilon |f(x)|}{h},

    a V on a log-log plot whose bottom sits near :math:`h \\approx \\sqrt{\\varepsilon}`
    (:math:`\\sqrt[3]{\\varepsilon}` for central differences).

    Parameters
    ----------
    steps : array_like, shape (n,)
        The positive steps ``h``.
    errors : mapping of str to array_like of shape (n,)
        Method name to its absolute errors at ``steps``. Zero errors (an exact
        hit by luck of rounding) cannot be drawn on a log scale and are skipped.
    optimal_steps : mapping of str to float, optional
        Method name to a step marked by a vertical dotted line in the colour
        of that method's curve (e.g. the theoretical optimum).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure by default.
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure

    See the chapter "Derivatives".

    Examples
    --------
    >>> import numpy as np
    >>> h = np.logspace(-12, -1, 12)
    >>> fig = step_error_curve(h, {"forward": h / 2 + 1e-16 / h}, optimal_steps={"forward": 1.4e-8})
    >>> ax = fig.axes[0]
    >>> ax.get_xscale(), ax.get_yscale()
    ('log', 'log')
    >>> import matplotlib.pyplot as plt; plt.close(fig)
    """
    h = as_float_array(steps, "steps", ndim=1)
    if np.any(h <= 0):
        raise ValueError("steps must all be positive")
    if not isinstance(errors, Mapping) or not errors:
        raise ValueError("errors must be a non-empty mapping of method names to arrays of errors")
    optimal_steps = {} if optimal_steps is None else optimal_steps
    if not isinstance(optimal_steps, Mapping):
        raise TypeError(f"optimal_steps must be a mapping or None, got {type(optimal_steps).__name__}")
    for name in optimal_steps:
        if name not in errors:
            raise ValueError(f"optimal_steps[{name!r}] names no curve of errors; curves: {list(errors)}")
    fig, ax = _figure_and_axes(ax)
    for name, values in errors.items():
        error = np.abs(as_float_array(values, f"errors[{name!r}]", ndim=1))
        if error.shape != h.shape:
            raise ValueError(f"errors[{name!r}] has {error.size} entries but steps has {h.size}")
        (line,) = ax.loglog(h, np.where(error > 0, error, np.nan), "o-", markersize=3, label=name)
        if name in optimal_steps:
            best = check_positive(optimal_steps[name], f"optimal_steps[{name!r}]")
            ax.axvline(best, linestyle=":", color=line.get_color(), label=f"{name}: $h^* = {best:.1e}$")
    label_axes(ax, title=title, xlabel="step $h$", ylabel="absolute error", legend=True)
    return fig
