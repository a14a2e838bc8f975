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
from matplotlib.patches import Polygon
from matplotlib.ticker import NullFormatter

from ._validation import (as_float_array, check_callable, check_choice, check_int, check_interval, check_positive,
                          check_real)

__all__ = ["new_figure", "label_axes", "function_with_tangent", "secant_to_tangent", "step_error_curve",
           "area_under_curve", "riemann_rectangles", "convergence_plot", "epsilon_delta_window",
           "computation_graph", "descent_path_on_contours", "loss_curves",
           "surface_with_slices", "contour_with_gradients", "activation_panels", "decision_boundary",
           "constraint_geometry", "histogram_with_density", "log_likelihood_contours",
           "margin_losses", "svm_margins", "penalty_geometry", "coefficient_paths"]

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
                          title: str | None = None, curve_label: str = "$f(x)$") -> Figure:
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
    curve_label : str, optional
        Legend entry of the curve, e.g. ``"$L(w)$"`` for a loss.

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
    ax.plot(x, y, label=curve_label)
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


# --- Chapter "Integrals" -------------------------------------------------------

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


def area_under_curve(f: Callable[[Any], Any], a: float, b: float, *, ax: Axes | None = None,
                     num: int = 400, margin: float = 0.1, title: str | None = None,
                     xlabel: str = "x", ylabel: str = "f(x)") -> Figure:
    """Plot ``f`` and shade the signed area between its graph and the x-axis on ``[a, b]``.

    The definite integral is this signed area: the part above the axis counts
    positive, the part below negative,

    .. math::

        \\int_a^b f(x)\\,dx = \\text{(area above)} - \\text{(area below)}.

    Parameters
    ----------
    f : callable
        The integrand; evaluated on a numpy array if it vectorises, else point by point.
    a, b : float
        The interval, ``a < b``.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure by default.
    num : int, optional
        Number of points of the plotted curve.
    margin : float, optional
        Fraction of ``b - a`` by which the curve extends beyond the interval.
    title, xlabel, ylabel : str, optional
        Labels; the title says the interval by default.

    Returns
    -------
    matplotlib.figure.Figure

    See the chapter "Integrals".

    Examples
    --------
    >>> import numpy as np
    >>> fig = area_under_curve(np.sin, 0.0, 2 * np.pi)
    >>> ax = fig.axes[0]
    >>> sorted(text.get_text() for text in ax.get_legend().get_texts())
    ['area above the axis (counts +)', 'area below the axis (counts −)', 'f(x)']
    >>> import matplotlib.pyplot as plt; plt.close(fig)
    """
    check_callable(f, "f")
    a, b = check_interval(a, b)
    num = check_int(num, "num", minimum=2)
    margin = check_positive(margin, "margin", allow_zero=True)
    fig, ax = _figure_and_axes(ax)
    pad = margin * (b - a)
    x_all = np.linspace(a - pad, b + pad, num)
    ax.plot(x_all, _evaluate_on_grid(f, x_all, strict=False), color="C0", label="f(x)")
    x = np.linspace(a, b, num)
    y = _evaluate_on_grid(f, x)
    if np.any(y > 0):
        ax.fill_between(x, y, 0.0, where=y >= 0, interpolate=True, color="C0", alpha=0.3,
                        label="area above the axis (counts +)")
    if np.any(y < 0):
        ax.fill_between(x, y, 0.0, where=y <= 0, interpolate=True, color="C3", alpha=0.3,
                        label="area below the axis (counts −)")
    ax.axhline(0.0, color="black", linewidth=0.8)
    if title is None:
        title = f"Signed area under f on [{a:g}, {b:g}]"
    label_axes(ax, title=title, xlabel=xlabel, ylabel=ylabel)
    return fig


_RIEMANN_RULES = ("left", "right", "midpoint", "trapezoid")


def riemann_rectangles(f: Callable[[Any], Any], a: float, b: float, n: int, *, rule: str = "left",
                       ax: Axes | None = None, num: int = 400, title: str | None = None,
                       xlabel: str = "x", ylabel: str = "f(x)") -> Figure:
    """Draw ``f`` with the ``n`` rectangles (or trapezoids) of a Riemann sum on ``[a, b]``.

    With :math:`h = (b - a)/n` and :math:`x_i = a + i h`, the rectangle on
    :math:`[x_{i}, x_{i+1}]` has height :math:`f` at the left end, the right
    end or the midpoint; the trapezoid rule joins :math:`f(x_i)` and
    :math:`f(x_{i+1})` by a straight line:

    .. math::

        \\sum_{i=0}^{n-1} f(\\xi_i)\\,h \\;\\approx\\; \\int_a^b f(x)\\,dx .

    The figure only draws the pieces; the sums themselves are computed by
    :mod:`mlcalc.integrate`.

    Parameters
    ----------
    f : callable
        The integrand.
    a, b : float
        The interval, ``a < b``.
    n : int
        Number of subintervals (at least 1).
    rule : {"left", "right", "midpoint", "trapezoid"}
        Where each rectangle takes its height, or trapezoids.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure by default.
    num : int, optional
        Number of points of the plotted curve.
    title, xlabel, ylabel : str, optional
        Labels; the title names the rule and ``n`` by default.

    Returns
    -------
    matplotlib.figure.Figure

    See the chapter "Integrals".

    Examples
    --------
    >>> fig = riemann_rectangles(lambda x: x ** 2, 0.0, 1.0, 4, rule="midpoint")
    >>> ax = fig.axes[0]
    >>> len(ax.patches)  # four rectangles
    4
    >>> [round(float(p.get_height()), 4) for p in ax.patches]  # f at 1/8, 3/8, 5/8, 7/8
    [0.0156, 0.1406, 0.3906, 0.7656]
    >>> import matplotlib.pyplot as plt; plt.close(fig)
    """
    check_callable(f, "f")
    a, b = check_interval(a, b)
    n = check_int(n, "n", minimum=1)
    check_choice(rule, "rule", _RIEMANN_RULES)
    num = check_int(num, "num", minimum=2)
    fig, ax = _figure_and_axes(ax)
    h = (b - a) / n
    nodes = a + h * np.arange(n + 1)
    pad = 0.05 * (b - a)
    x_curve = np.linspace(a - pad, b + pad, num)
    ax.plot(x_curve, _evaluate_on_grid(f, x_curve, strict=False), color="C0", linewidth=2, label="f(x)", zorder=3)
    edge = "black" if n <= 60 else "none"
    if rule == "trapezoid":
        y_nodes = _evaluate_on_grid(f, nodes)
        for i in range(n):
            xs = [nodes[i], nodes[i], nodes[i + 1], nodes[i + 1]]
            ys = [0.0, y_nodes[i], y_nodes[i + 1], 0.0]
            ax.add_patch(Polygon(np.column_stack([xs, ys]), closed=True, facecolor="C1", alpha=0.45,
                                 edgecolor=edge, linewidth=0.6,
                                 label="trapezoids" if i == 0 else "_nolegend_"))
        ax.plot(nodes, y_nodes, "o", color="C1", markersize=3 if n > 30 else 5, zorder=4,
                label="sample points")
    else:
        offset = {"left": 0.0, "right": 1.0, "midpoint": 0.5}[rule]
        samples = nodes[:-1] + offset * h
        heights = _evaluate_on_grid(f, samples)
        ax.bar(nodes[:-1], heights, width=h, align="edge", color="C1", alpha=0.45, edgecolor=edge,
               linewidth=0.6, label=f"{rule} rectangles")
        ax.plot(samples, heights, "o", color="C1", markersize=3 if n > 30 else 5, zorder=4,
                label="sample points")
    ax.axhline(0.0, color="black", linewidth=0.8)
    if title is None:
        title = f"{rule.capitalize()} rule with n = {n} on [{a:g}, {b:g}]"
    label_axes(ax, title=title, xlabel=xlabel, ylabel=ylabel)
    return fig


def convergence_plot(n: Any, errors: Mapping[str, Any], *, ax: Axes | None = None,
                     title: str = "Error against the number of subintervals",
                     xlabel: str = "number of subintervals n",
                     ylabel: str = "absolute error") -> tuple[Figure, dict[str, float]]:
    """Log-log plot of errors against ``n`` with a least-squares slope for each method.

    An error behaving like :math:`C n^{-p}` is a straight line of slope
    :math:`-p` on log-log axes. The slope is fitted by least squares,

    .. math::

        \\log \\text{error}_k \\approx \\log C + s \\log n_k, \\qquad s \\approx -p,

    and drawn as a dashed line; the legend shows it.

    Parameters
    ----------
    n : array_like of shape (k,)
        Positive values on the horizontal axis (numbers of subintervals,
        sample sizes or step sizes), at least two.
    errors : mapping of str to array_like of shape (k,)
        Method name to its positive errors at each ``n``. Keep the range of
        ``n`` above the rounding floor (an error of exactly 0 cannot be fitted).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure by default.
    title, xlabel, ylabel : str, optional
        Labels.

    Returns
    -------
    fig : matplotlib.figure.Figure
    slopes : dict of str to float
        The fitted slope :math:`s` for each method (negative when the error shrinks).

    See the chapter "Integrals".

    Examples
    --------
    >>> import numpy as np
    >>> n = np.array([10, 20, 40, 80])
    >>> fig, slopes = convergence_plot(n, {"first order": 3.0 / n, "second order": 0.5 / n**2})
    >>> {name: round(s, 6) for name, s in slopes.items()}
    {'first order': -1.0, 'second order': -2.0}
    >>> import matplotlib.pyplot as plt; plt.close(fig)
    """
    n = as_float_array(n, "n", ndim=1)
    if n.size < 2:
        raise ValueError(f"n must hold at least two values to fit a slope, got {n.size}")
    if np.any(n <= 0):
        raise ValueError("n must be positive (it is plotted on a logarithmic axis)")
    if not isinstance(errors, Mapping) or not errors:
        raise TypeError("errors must be a non-empty mapping of method names to arrays of errors")
    fig, ax = _figure_and_axes(ax)
    slopes: dict[str, float] = {}
    for index, (name, values) in enumerate(errors.items()):
        err = as_float_array(values, f"errors[{name!r}]", ndim=1)
        if err.shape != n.shape:
            raise ValueError(f"errors[{name!r}] must have the shape of n, {n.shape}; got {err.shape}")
        if np.any(err <= 0):
            raise ValueError(f"errors[{name!r}] must be positive to be fitted on a log scale; "
                             f"drop the values of n where the error reaches 0 (rounding floor)")
        slope, intercept = np.polyfit(np.log(n), np.log(err), 1)
        slopes[name] = float(slope)
        color = f"C{index}"
        marker = "osD^vPX*"[index % 8]  # distinct markers keep coinciding series visible
        ax.loglog(n, err, marker, color=color, fillstyle="none" if index % 2 else "full",
                  label=f"{name} (slope {slope:.2f})")
        ax.loglog(n, np.exp(intercept) * n ** slope, "--", color=color, linewidth=1, label="_nolegend_")
    if n.size <= 10:  # label the measured n themselves rather than crowded minor ticks
        ax.set_xticks(n, [f"{value:g}" for value in n])
        ax.xaxis.set_minor_formatter(NullFormatter())
    label_axes(ax, title=title, xlabel=xlabel, ylabel=ylabel, legend=True)
    return fig, slopes


# --- Chapter "Limits and continuity" --------------------------------------------

def epsilon_delta_window(f: Callable[[Any], Any], a: float, L: float, epsilon: float,
                         delta: float | None = None, *, interval: tuple[float, float] | None = None,
                         ylim: tuple[float, float] | None = None, ax: Axes | None = None,
                         n_points: int = 800, title: str | None = None) -> Figure:
    """Draw the epsilon-delta picture of :math:`\\lim_{x \\to a} f(x) = L`.

    A horizontal band of height :math:`2\\varepsilon` around :math:`L` and a
    vertical window of width :math:`2\\delta` around :math:`a`: the definition

    .. math::

        0 < |x - a| < \\delta \\implies |f(x) - L| < \\varepsilon

    says that the part of the graph above the window (drawn thicker) stays
    inside the band.

    Parameters
    ----------
    f : callable
        The function; called on a numpy array, or point by point if it only
        takes scalars. Points where it is undefined are left out.
    a, L : float
        The point and the limit.
    epsilon : float
        Half the height of the band; positive.
    delta : float, optional
        Half the width of the window; by default the largest one that works,
        from :func:`mlcalc.limits.epsilon_delta`. Zero draws no window.
    interval : (float, float), optional
        The x-range drawn; by default :math:`a \\pm 1`.
    ylim : (float, float), optional
        Fixed y-limits (keep them fixed across the frames of a slider).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure by default.
    n_points : int, optional
        Number of sample points of the curve (an even number never samples
        the centre of a symmetric interval, where ``f`` may be undefined).
    title : str, optional
        By default states :math:`\\varepsilon` and :math:`\\delta`.

    Returns
    -------
    matplotlib.figure.Figure

    See the chapter "Limits and continuity".

    Examples
    --------
    >>> import numpy as np
    >>> fig = epsilon_delta_window(lambda x: x**2, 1.0, 1.0, 0.5)
    >>> ax = fig.axes[0]
    >>> ax.get_title()
    'Band $L \\\\pm \\\\varepsilon$ with $\\\\varepsilon = 0.5$: $\\\\delta = 0.2247$ works'
    >>> import matplotlib.pyplot as plt; plt.close(fig)
    """
    from .limits import epsilon_delta

    check_callable(f, "f")
    a = check_real(a, "a")
    L = check_real(L, "L")
    epsilon = check_positive(epsilon, "epsilon")
    n_points = check_int(n_points, "n_points", minimum=2)
    if interval is None:
        interval = (a - 1.0, a + 1.0)
    lo, hi = check_interval(*interval, names=("interval[0]", "interval[1]"))
    if not lo < a < hi:
        raise ValueError(f"interval must contain a={a}, got ({lo}, {hi})")
    if delta is None:
        delta = epsilon_delta(f, a, L, epsilon, delta_max=max(a - lo, hi - a))
    delta = check_positive(delta, "delta", allow_zero=True)
    x = np.linspace(lo, hi, n_points)
    y = _evaluate_on_grid(f, x, strict=False)
    fig, ax = _figure_and_axes(ax)
    ax.axhspan(L - epsilon, L + epsilon, color="C1", alpha=0.2,
               label="band $L \\pm \\varepsilon$")
    if delta > 0:
        ax.axvspan(a - delta, a + delta, color="C2", alpha=0.2, label="window $a \\pm \\delta$")
    ax.plot(x, y, color="C0", label="$f(x)$")
    inside = np.abs(x - a) < delta
    ax.plot(x, np.where(inside, y, np.nan), color="C0", linewidth=3.5, label="_graph over the window")
    ax.axhline(L, color="C1", linestyle="--", linewidth=1)
    ax.axvline(a, color="gray", linestyle=":", linewidth=1)
    ax.plot([a], [L], "o", markerfacecolor="white", markeredgecolor="black", label="_limit point")
    ax.set_xlim(lo, hi)
    if ylim is not None:
        ax.set_ylim(*check_interval(*ylim, names=("ylim[0]", "ylim[1]")))
    default = (f"Band $L \\pm \\varepsilon$ with $\\varepsilon = {epsilon:.3g}$: "
               + (f"$\\delta = {delta:.4g}$ works" if delta > 0 else "no $\\delta$ works"))
    label_axes(ax, title=title or default, xlabel="$x$", ylabel="$f(x)$", legend=True)
    return fig


# --- Chapter "Backpropagation and activation functions" -------------------------------


def computation_graph(root: Any, *, ax: Axes | None = None, show_grad: bool = True, max_nodes: int = 40,
                      title: str = "Computation graph") -> Figure:
    """Draw the computation graph of an :class:`mlcalc.autodiff.Value`, inputs on the left.

    Each node is a box showing its label (inputs, constants) or operation,
    its value and, with ``show_grad``, the gradient stored by ``backward()``;
    arrows go from the inputs of an operation to its output. Columns are the
    depth in the graph, so the forward pass reads left to right and the
    backward pass right to left.

    Parameters
    ----------
    root : mlcalc.autodiff.Value or mlcalc.autodiff.Graph
        The output (its graph is collected with :func:`mlcalc.autodiff.trace`)
        or an already traced graph.
    ax : matplotlib.axes.Axes, optional
    show_grad : bool, optional
    max_nodes : int, optional
        Larger graphs are refused (a table, ``trace(root).table()``, reads better).
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from mlcalc.autodiff import Value
    >>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    >>> L = (a * b).tanh(); L.backward()
    >>> fig = computation_graph(L)
    >>> len(fig.axes[0].texts), len(fig.axes[0].patches)  # nodes a, b, *, tanh; three arrows
    (4, 3)
    >>> import matplotlib.pyplot as plt; plt.close(fig)

    See the chapter 'Backpropagation and activation functions'.
    """
    from matplotlib.patches import FancyArrowPatch

    from mlcalc.autodiff import Graph, Value, trace

    if isinstance(root, Value):
        graph = trace(root)
    elif isinstance(root, Graph):
        graph = root
    else:
        raise TypeError(f"root must be a mlcalc.autodiff Value or Graph, got {type(root).__name__}")
    max_nodes = check_int(max_nodes, "max_nodes", minimum=1)
    nodes, edges = graph.nodes, graph.edges
    if len(nodes) > max_nodes:
        raise ValueError(f"the graph has {len(nodes)} nodes, more than max_nodes={max_nodes}; "
                         "list it with mlcalc.autodiff.trace(root).table() instead")
    inputs_of: list[list[int]] = [[] for _ in nodes]
    outputs_of: list[list[int]] = [[] for _ in nodes]
    for i, j in edges:
        inputs_of[j].append(i)
        outputs_of[i].append(j)
    # Operations sit one column right of their deepest input; inputs and
    # constants sit just left of the first operation that uses them.
    depth = [0] * len(nodes)
    for j in range(len(nodes)):
        if inputs_of[j]:
            depth[j] = 1 + max(depth[i] for i in inputs_of[j])
    for i in range(len(nodes)):
        if not inputs_of[i] and outputs_of[i]:
            depth[i] = min(depth[j] for j in outputs_of[i]) - 1
    columns: dict[int, list[int]] = {}
    for i, d in enumerate(depth):
        columns.setdefault(d, []).append(i)
    position = {}
    for d, members in columns.items():
        for row, i in enumerate(members):
            position[i] = (float(d), (len(members) - 1) / 2 - row)
    n_columns, n_rows = max(depth) + 1, max(len(m) for m in columns.values())
    if ax is None:
        fig, ax = new_figure(figsize=(min(2.0 + 1.6 * n_columns, 14.0), min(1.5 + 1.1 * n_rows, 10.0)))
    else:
        fig, ax = _figure_and_axes(ax)
    for i, j in edges:
        ax.add_patch(FancyArrowPatch(position[i], position[j], arrowstyle="->", mutation_scale=12,
                                     color="gray", shrinkA=26, shrinkB=28))
    for i, v in enumerate(nodes):
        name = v.label if not v.op else (v.op if not v.label else f"{v.label} = {v.op}")
        text = f"{name}\ndata {v.data:.4g}" + (f"\ngrad {v.grad:.4g}" if show_grad else "")
        color = "C1" if not v.op else ("C2" if i == len(nodes) - 1 else "C0")
        ax.text(*position[i], text, ha="center", va="center", fontsize=9,
                bbox=dict(boxstyle="round,pad=0.4", facecolor=color, alpha=0.25, edgecolor=color))
    ax.set_xlim(-0.7, n_columns - 0.3)
    ax.set_ylim(-n_rows / 2 - 0.2, n_rows / 2 + 0.2)
    ax.set_axis_off()
    ax.set_title(title)
    return fig


# --- Chapter "Gradient descent" ------------------------------------------------


def _path_points(path: Any, name: str) -> np.ndarray:
    """The iterates of a run as an (n, 2) array: from an array, a History or an OptimizeResult."""
    from .optim import History, OptimizeResult

    if isinstance(path, OptimizeResult):
        if "history" not in path:
            raise TypeError(f"{name} is an OptimizeResult without a history")
        path = path["history"]
    if isinstance(path, History):
        path = path.x
    if isinstance(path, (str, bytes)) or not isinstance(path, (list, tuple, np.ndarray)):
        raise TypeError(f"{name} must be an array of points, a History or an OptimizeResult; "
                        f"got {type(path).__name__}")
    points = np.asarray(path, dtype=float)
    if points.ndim != 2 or points.shape[1] != 2 or points.shape[0] == 0:
        raise ValueError(f"{name} must hold points in the plane, shape (n, 2) with n >= 1; got {points.shape}")
    # A diverged run ends with non-finite iterates (overflow): draw the finite part.
    finite = np.all(np.isfinite(points), axis=1)
    if not finite[0]:
        raise ValueError(f"{name} must start at a finite point")
    return points[:np.argmin(finite)] if not finite.all() else points


def _path_losses(run: Any, name: str) -> tuple[np.ndarray, np.ndarray | None]:
    """The losses of a run and, for a History or OptimizeResult, its update counts."""
    from .optim import History, OptimizeResult

    if isinstance(run, OptimizeResult):
        if "history" not in run:
            raise TypeError(f"{name} is an OptimizeResult without a history")
        run = run["history"]
    if isinstance(run, History):
        return np.asarray(run.fun, dtype=float), np.asarray(run.iteration, dtype=float)
    losses = np.asarray(run, dtype=float) if isinstance(run, (list, tuple, np.ndarray)) else None
    if losses is None or losses.ndim != 1 or losses.size == 0:
        raise TypeError(f"{name} must be a non-empty 1-D array of losses, a History or an OptimizeResult; "
                        f"got {type(run).__name__}")
    return losses, None


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


def descent_path_on_contours(fun: Callable[[np.ndarray], Any], paths: Any, *, xlim: tuple[float, float],
                             ylim: tuple[float, float], levels: int | Any = 15, minimum: Any = None,
                             ax: Axes | None = None, n_grid: int = 200, equal_aspect: bool = True,
                             title: str = "Gradient descent on the contours of the loss",
                             xlabel: str = "$x_1$", ylabel: str = "$x_2$") -> Figure:
    """Draw the contour lines of a loss of two variables and optimizer paths across them.

    Each path is the sequence of iterates :math:`x_0, x_1, \\dots` of a
    method such as gradient descent,

    .. math::

        x_{k+1} = x_k - \\eta\\, \\nabla f(x_k),

    drawn as a polyline with a marker at every iterate, a square at the start
    and a cross at the end. The gradient is perpendicular to the contour lines,
    so with equal axis scales (``equal_aspect=True``) a plain gradient step
    leaves each contour at a right angle: that is what makes the zig-zag on a
    long narrow valley visible.

    Parameters
    ----------
    fun : callable
        The loss ``fun(x) -> float`` for ``x`` of shape (2,), as passed to
        :func:`mlcalc.optim.gradient_descent`.
    paths : array_like, History, OptimizeResult or mapping
        One path or a mapping of legend labels to paths. A path is an array
        of shape (n, 2), a :class:`mlcalc.optim.History` or an
        :class:`mlcalc.optim.OptimizeResult` (its ``history.x`` is drawn).
    xlim, ylim : (float, float)
        The region drawn (kept fixed, so frames of a slider line up; parts of
        a diverging path outside it are clipped).
    levels : int or sequence of float, optional
        Number of contour lines, placed at quantiles of the loss on the grid
        (so they are spread over the picture also for very elongated
        functions), or the levels themselves.
    minimum : (float, float), optional
        Mark the minimiser with a star.
    ax : matplotlib.axes.Axes, optional
    n_grid : int, optional
        Grid points per axis for the contours.
    equal_aspect : bool, optional
        Same scale on both axes, so that right angles look right.
    title, xlabel, ylabel : str, optional

    Returns
    -------
    matplotlib.figure.Figure

    See the chapter "Gradient descent".

    Examples
    --------
    >>> import numpy as np
    >>> from mlcalc.optim import gradient_descent
    >>> A = np.diag([1.0, 10.0])
    >>> loss = lambda x: 0.5 * x @ A @ x
    >>> res = gradient_descent(loss, lambda x: A @ x, [4.0, 1.0], learning_rate=0.15, max_iter=30)
    >>> fig = descent_path_on_contours(loss, {"$\\\\eta = 0.15$": res}, xlim=(-5, 5), ylim=(-2, 2),
    ...                                minimum=(0, 0))
    >>> path = fig.axes[0].get_lines()[0]
    >>> path.get_label(), len(path.get_xdata()) == res.nit + 1
    ('$\\\\eta = 0.15$', True)
    >>> import matplotlib.pyplot as plt; plt.close(fig)
    """
    check_callable(fun, "fun")
    x_lo, x_hi = check_interval(*xlim, names=("xlim[0]", "xlim[1]"))
    y_lo, y_hi = check_interval(*ylim, names=("ylim[0]", "ylim[1]"))
    n_grid = check_int(n_grid, "n_grid", minimum=2)
    if isinstance(paths, Mapping):
        if not paths:
            raise ValueError("paths must not be empty")
        named = {str(label): _path_points(path, f"paths[{label!r}]") for label, path in paths.items()}
    else:
        named = {"_path": _path_points(paths, "paths")}
    X, Y = np.meshgrid(np.linspace(x_lo, x_hi, n_grid), np.linspace(y_lo, y_hi, n_grid))
    Z = _evaluate_on_plane(fun, X, Y)
    if not np.any(np.isfinite(Z)):
        raise ValueError("fun is not finite anywhere on the grid given by xlim and ylim")
    if isinstance(levels, (int, np.integer)) and not isinstance(levels, bool):
        n_levels = check_int(int(levels), "levels", minimum=1)
        finite = Z[np.isfinite(Z)]
        level_values = np.unique(np.quantile(finite, np.linspace(0.0, 1.0, n_levels + 2)[1:-1]))
    else:
        level_values = np.unique(as_float_array(levels, "levels", ndim=1))
    fig, ax = _figure_and_axes(ax)
    if level_values.size:
        ax.contour(X, Y, Z, levels=level_values, cmap="viridis", linewidths=0.8, alpha=0.8)
    for index, (label, points) in enumerate(named.items()):
        color = f"C{(index + 1) % 10}"  # C0 is close to the contours' colours
        ax.plot(points[:, 0], points[:, 1], "-o", color=color, markersize=3, linewidth=1.2, label=label)
        ax.plot(points[0, 0], points[0, 1], "s", color=color, markersize=7, label="_start")
        ax.plot(points[-1, 0], points[-1, 1], "X", color=color, markersize=9, markeredgecolor="black",
                label="_end")
    if minimum is not None:
        star = as_float_array(minimum, "minimum", ndim=1)
        if star.shape != (2,):
            raise ValueError(f"minimum must be a point (x1, x2), got shape {star.shape}")
        ax.plot(star[0], star[1], "*", color="black", markersize=13, label="minimum")
    ax.set_xlim(x_lo, x_hi)
    ax.set_ylim(y_lo, y_hi)
    if equal_aspect:
        ax.set_aspect("equal", adjustable="box")
    label_axes(ax, title=title, xlabel=xlabel, ylabel=ylabel)
    return fig


def loss_curves(runs: Mapping[str, Any], *, ax: Axes | None = None, minimum: float | None = None,
                log_scale: bool = True, x_values: str = "index", title: str = "Loss during training",
                xlabel: str | None = None, ylabel: str | None = None) -> Figure:
    """Plot the loss of several runs (learning rates, batch sizes, methods) on one figure.

    With ``minimum`` :math:`f^*` the curves show the *excess loss*
    :math:`f(x_k) - f^*`, which for gradient descent on a strongly convex
    function falls like a geometric sequence,

    .. math::

        f(x_k) - f^* \\le \\rho^{2k}\\, \\big(f(x_0) - f^*\\big) \\quad\\text{(up to a constant)},

    i.e. along a straight line on the default logarithmic axis, whose slope
    shows the rate :math:`\\rho`. A diverging run rises until its loss
    overflows; values that are not finite or (on a log axis) not positive are
    left out of its line.

    Parameters
    ----------
    runs : mapping of str to array_like, History or OptimizeResult
        Legend label to the losses of one run: a 1-D array, or an
        :class:`mlcalc.optim.History` / :class:`mlcalc.optim.OptimizeResult`
        (its ``history.fun``).
    ax : matplotlib.axes.Axes, optional
    minimum : float, optional
        The optimal loss :math:`f^*`, subtracted from every curve.
    log_scale : bool, optional
        Logarithmic loss axis.
    x_values : {"index", "iteration"}, optional
        ``"index"``: the position in the history (the iteration of gradient
        descent, the epoch of :func:`mlcalc.optim.sgd`); ``"iteration"``: the
        number of updates made (``history.iteration``; for arrays the same as
        the index).
    title : str, optional
    xlabel, ylabel : str, optional
        By default "iteration" (or "parameter updates") and "loss" (or "excess
        loss").

    Returns
    -------
    matplotlib.figure.Figure

    See the chapter "Gradient descent".

    Examples
    --------
    >>> import numpy as np
    >>> from mlcalc.optim import gradient_descent
    >>> runs = {f"$\\\\eta = {eta}$": gradient_descent(lambda w: float(w @ w), lambda w: 2 * w, 10.0,
    ...                                              learning_rate=eta, max_iter=20) for eta in (0.1, 0.3)}
    >>> fig = loss_curves(runs, minimum=0.0)
    >>> [line.get_label() for line in fig.axes[0].get_lines()]
    ['$\\\\eta = 0.1$', '$\\\\eta = 0.3$']
    >>> fig.axes[0].get_yscale()
    'log'
    >>> import matplotlib.pyplot as plt; plt.close(fig)
    """
    if not isinstance(runs, Mapping) or not runs:
        raise TypeError("runs must be a non-empty mapping of labels to losses (arrays, Histories or OptimizeResults)")
    x_values = check_choice(x_values, "x_values", ("index", "iteration"))
    if minimum is not None:
        minimum = check_real(minimum, "minimum")
    fig, ax = _figure_and_axes(ax)
    for index, (label, run) in enumerate(runs.items()):
        losses, iterations = _path_losses(run, f"runs[{label!r}]")
        steps = iterations if (x_values == "iteration" and iterations is not None) else np.arange(losses.size)
        shown = losses - minimum if minimum is not None else losses.copy()
        with np.errstate(invalid="ignore"):
            keep = np.isfinite(shown) & ((shown > 0) if log_scale else True)
        ax.plot(steps, np.where(keep, shown, np.nan), color=f"C{index % 10}", label=str(label))
    if log_scale:
        ax.set_yscale("log")
    default_x = "parameter updates" if x_values == "iteration" else "iteration"
    default_y = "excess loss $f(x_k) - f^*$" if minimum is not None else "loss $f(x_k)$"
    label_axes(ax, title=title, xlabel=xlabel or default_x, ylabel=ylabel or default_y, legend=len(runs) > 1)
    return fig


# --- Chapter "Multivariable and matrix calculus" ----------------------------------


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


def surface_with_slices(f: Callable[[np.ndarray], Any], point: Any, *, xlim: tuple[float, float],
                        ylim: tuple[float, float], partials: Any = None, ax: Axes | None = None,
                        n_grid: int = 60, tangent_length: float | None = None, title: str | None = None,
                        zlabel: str = "$f(x, y)$") -> Figure:
    """Draw the surface :math:`z = f(x, y)`, its two slices through a point and their tangents.

    Through :math:`(x_0, y_0)` the plane :math:`y = y_0` cuts the surface
    along the curve :math:`x \\mapsto f(x, y_0)` and the plane :math:`x = x_0`
    along :math:`y \\mapsto f(x_0, y)`. The slopes of their tangent lines are
    the partial derivatives,

    .. math::

        \\frac{\\partial f}{\\partial x}(x_0, y_0) = \\lim_{h \\to 0} \\frac{f(x_0 + h, y_0) - f(x_0, y_0)}{h},
        \\qquad
        \\frac{\\partial f}{\\partial y}(x_0, y_0) = \\lim_{h \\to 0} \\frac{f(x_0, y_0 + h) - f(x_0, y_0)}{h}.

    Parameters
    ----------
    f : callable
        ``f(p) -> float`` for a point ``p`` of shape (2,), as for
        :func:`mlcalc.diff.gradient` (vectorised over a stacked grid when it
        allows it, else evaluated point by point).
    point : (float, float)
        The point :math:`(x_0, y_0)`.
    xlim, ylim : (float, float)
        The rectangle drawn; it should contain ``point``.
    partials : (float, float), optional
        :math:`(\\partial f/\\partial x, \\partial f/\\partial y)` at ``point``,
        e.g. from sympy; by default :func:`mlcalc.diff.gradient`.
    ax : mpl_toolkits.mplot3d.axes3d.Axes3D, optional
        3-D axes to draw on (``projection="3d"``); a new figure by default.
    n_grid : int, optional
        Grid points per axis of the surface.
    tangent_length : float, optional
        Length (along the axis) of each tangent segment; 0.3 times the
        smaller side of the rectangle by default.
    title, zlabel : str, optional

    Returns
    -------
    matplotlib.figure.Figure
        The lines are labelled ``"slice y = y0"``, ``"slice x = x0"``,
        ``"tangent, slope ∂f/∂x = ..."`` and ``"tangent, slope ∂f/∂y = ..."``
        (in mathtext).

    See the chapter "Multivariable and matrix calculus".

    Examples
    --------
    >>> import numpy as np
    >>> f = lambda p: p[0] ** 2 + 3 * p[1]          # partials (2x, 3)
    >>> fig = surface_with_slices(f, (1.0, 0.5), xlim=(-2, 2), ylim=(-2, 2))
    >>> [line.get_label()[:15] for line in fig.axes[0].get_lines()][:4]
    ['slice $y = 0.5$', 'slice $x = 1$', 'tangent, slope ', 'tangent, slope ']
    >>> import matplotlib.pyplot as plt; plt.close(fig)
    """
    check_callable(f, "f")
    p = _point_2d(point, "point")
    x_lo, x_hi = check_interval(*xlim, names=("xlim[0]", "xlim[1]"))
    y_lo, y_hi = check_interval(*ylim, names=("ylim[0]", "ylim[1]"))
    if not (x_lo <= p[0] <= x_hi and y_lo <= p[1] <= y_hi):
        raise ValueError(f"point {p.tolist()} must lie inside xlim={xlim} and ylim={ylim}")
    n_grid = check_int(n_grid, "n_grid", minimum=2)
    if partials is None:
        from .diff import gradient

        slopes = gradient(f, p)
    else:
        slopes = _point_2d(partials, "partials")
    length = (0.3 * min(x_hi - x_lo, y_hi - y_lo) if tangent_length is None
              else check_positive(tangent_length, "tangent_length"))
    if ax is None:
        fig, ax = new_figure(figsize=(6.4, 5.2), projection="3d")
    elif getattr(ax, "name", None) != "3d":
        raise TypeError("ax must be 3-D axes, created with projection='3d'")
    else:
        fig = ax.figure

    X, Y = np.meshgrid(np.linspace(x_lo, x_hi, n_grid), np.linspace(y_lo, y_hi, n_grid))
    Z = _evaluate_on_plane(f, X, Y)
    # Draw in call order (surface first), so the curves stay visible on top of it.
    ax.computed_zorder = False
    ax.plot_surface(X, Y, Z, cmap="viridis", alpha=0.45, linewidth=0, antialiased=True, zorder=1)
    z0 = _value_at(f, p)
    xs = np.linspace(x_lo, x_hi, 200)
    ys = np.linspace(y_lo, y_hi, 200)
    along_x = np.array([_value_at(f, np.array([x, p[1]])) for x in xs])
    along_y = np.array([_value_at(f, np.array([p[0], y])) for y in ys])
    ax.plot(xs, np.full_like(xs, p[1]), along_x, color="C3", linewidth=2.0, label=f"slice $y = {p[1]:.3g}$")
    ax.plot(np.full_like(ys, p[0]), ys, along_y, color="C0", linewidth=2.0, label=f"slice $x = {p[0]:.3g}$")
    t = np.array([-length / 2, length / 2])
    ax.plot(p[0] + t, np.full(2, p[1]), z0 + slopes[0] * t, "--", color="C3", linewidth=2.0,
            label=f"tangent, slope $\\partial f/\\partial x = {slopes[0]:.3g}$")
    ax.plot(np.full(2, p[0]), p[1] + t, z0 + slopes[1] * t, "--", color="C0", linewidth=2.0,
            label=f"tangent, slope $\\partial f/\\partial y = {slopes[1]:.3g}$")
    ax.plot([p[0]], [p[1]], [z0], "o", color="black", label="_point")
    ax.set_zlabel(zlabel)
    label_axes(ax, title=title or f"Slices of $z = f(x, y)$ through $({p[0]:.3g}, {p[1]:.3g})$",
               xlabel="$x$", ylabel="$y$", legend=False)
    ax.legend(loc="upper left", fontsize=8, framealpha=0.9)
    return fig


def contour_with_gradients(f: Callable[[np.ndarray], Any], *, xlim: tuple[float, float],
                           ylim: tuple[float, float], grad: Callable[[np.ndarray], Any] | None = None,
                           n_arrows: int = 11, levels: int | Any = 12, point: Any = None,
                           direction: Any = None, ax: Axes | None = None, n_grid: int = 200,
                           title: str = "Contour lines and gradient arrows", xlabel: str = "$x$",
                           ylabel: str = "$y$") -> Figure:
    """Draw contour lines of :math:`f(x, y)` with the gradient field as arrows.

    The gradient :math:`\\nabla f = (\\partial f/\\partial x, \\partial f/\\partial y)`
    points in the direction of steepest ascent and is perpendicular to the
    contour line through its base point; the rate of change in a unit
    direction :math:`u` is the directional derivative

    .. math::

        D_u f(p) = \\nabla f(p) \\cdot u = \\lVert \\nabla f(p) \\rVert \\cos \\angle(\\nabla f(p), u).

    The arrows of the field share one scale, chosen so that the longest is
    0.9 grid spacings long; axes have equal scales so that right angles look
    right.

    Parameters
    ----------
    f : callable
        ``f(p) -> float`` for a point ``p`` of shape (2,).
    xlim, ylim : (float, float)
        The rectangle drawn.
    grad : callable, optional
        ``grad(p)`` returning the gradient, shape (2,); by default central
        differences with step ``1e-6``.
    n_arrows : int, optional
        Arrows per axis (0 draws no field).
    levels : int or sequence of float, optional
        Number of contour lines (at quantiles of ``f`` on the grid) or the
        levels themselves.
    point : (float, float), optional
        Highlight a point: the direction of its gradient (an arrow as long as
        the one for ``direction``; the legend gives its length
        :math:`\\lVert\\nabla f\\rVert`) and, dashed, the contour line through it.
    direction : (float, float), optional
        With ``point``: a direction :math:`u` (normalised here), drawn from the
        point with length a quarter of the smaller side of the rectangle and
        labelled with :math:`D_u f`.
    ax : matplotlib.axes.Axes, optional
    n_grid : int, optional
        Grid points per axis for the contours.
    title, xlabel, ylabel : str, optional

    Returns
    -------
    matplotlib.figure.Figure
        The arrows of the field are the first ``Quiver`` of the axes; the
        highlighted arrows are patches labelled ``"gradient ..."`` and
        ``"direction u ..."``.

    See the chapter "Multivariable and matrix calculus".

    Examples
    --------
    >>> import numpy as np
    >>> f = lambda p: p[0] ** 2 + 4 * p[1] ** 2
    >>> fig = contour_with_gradients(f, xlim=(-2, 2), ylim=(-1, 1), grad=lambda p: np.array([2 * p[0], 8 * p[1]]),
    ...                              point=(1.0, 0.5), direction=(1.0, 0.0))
    >>> sorted(patch.get_label()[:9] for patch in fig.axes[0].patches)
    ['direction', 'gradient ']
    >>> import matplotlib.pyplot as plt; plt.close(fig)
    """
    check_callable(f, "f")
    x_lo, x_hi = check_interval(*xlim, names=("xlim[0]", "xlim[1]"))
    y_lo, y_hi = check_interval(*ylim, names=("ylim[0]", "ylim[1]"))
    n_arrows = check_int(n_arrows, "n_arrows", minimum=0)
    n_grid = check_int(n_grid, "n_grid", minimum=2)
    if grad is None:
        def grad(p: np.ndarray) -> np.ndarray:
            step = 1e-6 * np.maximum(1.0, np.abs(p))
            return np.array([(_value_at(f, p + s * e) - _value_at(f, p - s * e)) / (2 * s)
                             for s, e in zip(step, np.eye(2))])
    else:
        check_callable(grad, "grad")

    def grad_at(p: np.ndarray) -> np.ndarray:
        g = as_float_array(grad(p.copy()), "grad(p)", ndim=1)
        if g.shape != (2,):
            raise ValueError(f"grad must return an array of shape (2,), got shape {g.shape}")
        return g

    p = None if point is None else _point_2d(point, "point")
    if direction is not None and p is None:
        raise ValueError("direction needs a point to start from: pass point=(x, y) as well")
    X, Y = np.meshgrid(np.linspace(x_lo, x_hi, n_grid), np.linspace(y_lo, y_hi, n_grid))
    Z = _evaluate_on_plane(f, X, Y)
    if not np.any(np.isfinite(Z)):
        raise ValueError("f is not finite anywhere on the grid given by xlim and ylim")
    if isinstance(levels, (int, np.integer)) and not isinstance(levels, bool):
        n_levels = check_int(int(levels), "levels", minimum=1)
        level_values = np.unique(np.quantile(Z[np.isfinite(Z)], np.linspace(0.0, 1.0, n_levels + 2)[1:-1]))
    else:
        level_values = np.unique(as_float_array(levels, "levels", ndim=1))
    fig, ax = _figure_and_axes(ax)
    if level_values.size:
        contours = ax.contour(X, Y, Z, levels=level_values, cmap="viridis", linewidths=0.9)
        fig.colorbar(contours, ax=ax, shrink=0.8, label="value of $f$")

    # One scale for the field: the longest arrow spans 0.9 grid spacings.
    if n_arrows:
        spacing = min(x_hi - x_lo, y_hi - y_lo) / n_arrows
        ax_x = x_lo + (x_hi - x_lo) * (np.arange(n_arrows) + 0.5) / n_arrows
        ax_y = y_lo + (y_hi - y_lo) * (np.arange(n_arrows) + 0.5) / n_arrows
        QX, QY = np.meshgrid(ax_x, ax_y)
        field = np.array([grad_at(np.array([x, y])) for x, y in zip(QX.ravel(), QY.ravel())])
        longest = np.max(np.hypot(field[:, 0], field[:, 1]))
        scale = 0.9 * spacing / longest if longest > 0 else 1.0
        ax.quiver(QX.ravel(), QY.ravel(), field[:, 0], field[:, 1], angles="xy", scale_units="xy",
                  scale=1.0 / scale, color="gray", width=0.004, label="_field")
    side = min(x_hi - x_lo, y_hi - y_lo)
    if p is not None:
        g = grad_at(p)
        norm = float(np.hypot(*g))
        ax.contour(X, Y, Z, levels=[_value_at(f, p)], colors="black", linestyles="--", linewidths=1.2)
        head = 0.03 * side
        if norm > 0:  # drawn as long as u, so that the angle between them is easy to see
            ax.arrow(p[0], p[1], 0.25 * side * g[0] / norm, 0.25 * side * g[1] / norm, width=0.008 * side,
                     head_width=head, head_length=head, length_includes_head=True, color="C3", zorder=4,
                     label=f"gradient $\\nabla f$, $\\|\\nabla f\\| = {norm:.3g}$")
        if direction is not None:
            u = _point_2d(direction, "direction")
            if not np.any(u):
                raise ValueError("direction must be a non-zero vector")
            u = u / np.hypot(*u)
            ax.arrow(p[0], p[1], 0.25 * side * u[0], 0.25 * side * u[1], width=0.008 * side, head_width=head,
                     head_length=head, length_includes_head=True, color="C1", zorder=5,
                     label=f"direction $u$, $D_u f = \\nabla f \\cdot u = {float(g @ u):.3g}$")
        ax.plot([p[0]], [p[1]], "o", color="black", zorder=6, label="_point")
    ax.set_xlim(x_lo, x_hi)
    ax.set_ylim(y_lo, y_hi)
    ax.set_aspect("equal", adjustable="box")
    label_axes(ax, title=title, xlabel=xlabel, ylabel=ylabel, legend=False)
    if p is not None:
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), fontsize=8, ncols=2 if direction is None else 1)
    return fig


# --- Chapter "Backpropagation and activation functions" --------------------------


def activation_panels(names: Any = None, *, interval: tuple[float, float] = (-5.0, 5.0), alpha: float = 0.01,
                      axes: Any = None, n_points: int = 401) -> Figure:
    """Draw activation functions and their derivatives, one panel per activation.

    Each panel shows :math:`f(x)` (solid) and :math:`f'(x)` (dashed), taken from
    :data:`mlcalc.nn.ACTIVATIONS`. The largest value of :math:`f'` on the
    interval drawn is in the legend, because it bounds how much a layer can
    pass a gradient back:

    .. math::

        \\max_x \\sigma'(x) = \\tfrac14, \\qquad \\max_x \\tanh'(x) = 1, \\qquad
        \\operatorname{relu}'(x) \\in \\{0, 1\\}.

    Where :math:`f'` jumps (relu and leaky relu at 0, where the derivative does
    not exist) the dashed line is broken instead of drawn vertically.

    Parameters
    ----------
    names : str or sequence of str, optional
        Keys of :data:`mlcalc.nn.ACTIVATIONS`; all of them by default.
    interval : (float, float), optional
        The x-range drawn.
    alpha : float, optional
        Slope of leaky relu for negative inputs, :math:`\\alpha \\ge 0`.
    axes : sequence of matplotlib.axes.Axes, optional
        One Axes per name; a new row of panels by default.
    n_points : int, optional
        Number of sample points per curve.

    Returns
    -------
    matplotlib.figure.Figure

    See the chapter 'Backpropagation and activation functions'.

    Examples
    --------
    >>> fig = activation_panels(["sigmoid", "relu"])
    >>> [ax.get_title() for ax in fig.axes]
    ['sigmoid', 'relu']
    >>> [line.get_label() for line in fig.axes[0].get_lines()][:2]
    ['$f(x)$', "$f'(x)$, max 0.25"]
    >>> import matplotlib.pyplot as plt; plt.close(fig)
    """
    from .nn import ACTIVATIONS, leaky_relu, leaky_relu_derivative

    if names is None:
        names = list(ACTIVATIONS)
    elif isinstance(names, str):
        names = [names]
    elif not isinstance(names, (list, tuple)) or not names:
        raise TypeError(f"names must be an activation name or a non-empty list of names, got {names!r}")
    names = [check_choice(name, "names", tuple(ACTIVATIONS)) for name in names]
    a, b = check_interval(*interval, names=("interval[0]", "interval[1]"))
    alpha = check_positive(alpha, "alpha", allow_zero=True)
    n_points = check_int(n_points, "n_points", minimum=2)
    if axes is None:
        fig, axes = new_figure(len(names), figsize=(min(3.2 * len(names) + 0.6, 16.0), 3.2))
        axes = np.atleast_1d(axes)
    else:
        axes = list(np.atleast_1d(np.asarray(axes, dtype=object)).ravel())
        if len(axes) != len(names):
            raise ValueError(f"axes must hold one Axes per name ({len(names)}), got {len(axes)}")
        for ax in axes:
            if not isinstance(ax, Axes):
                raise TypeError(f"axes must hold matplotlib Axes, got {type(ax).__name__}")
        fig = axes[0].figure
    x = np.linspace(a, b, n_points)
    for ax, name in zip(axes, names):
        if name == "leaky_relu":
            f, df = (lambda t: leaky_relu(t, alpha)), (lambda t: leaky_relu_derivative(t, alpha))
            title = f"leaky_relu ($\\alpha$ = {alpha:g})"
        else:
            f, df = ACTIVATIONS[name]
            title = name
        y, dy = np.asarray(f(x)), np.asarray(df(x))
        # The jumps of relu-like derivatives are large next to the change between
        # two samples of a smooth derivative (slopes of f' are at most about 1).
        threshold = max(0.1, 20 * (b - a) / (n_points - 1))
        jumps = np.flatnonzero(np.abs(np.diff(dy)) > threshold) + 1
        x_shown, dy_shown = np.insert(x, jumps, np.nan), np.insert(dy, jumps, np.nan)
        ax.plot(x, y, color="C0", label="$f(x)$")
        ax.plot(x_shown, dy_shown, "--", color="C3", label=f"$f'(x)$, max {dy.max():.3g}")
        ax.axhline(0, color="gray", linewidth=0.5)
        ax.axvline(0, color="gray", linewidth=0.5)
        label_axes(ax, title=title, xlabel="$x$", ylabel="value", legend=True)
    return fig


def decision_boundary(model: Any, X: Any, y: Any, *, ax: Axes | None = None, resolution: int = 200,
                      padding: float = 0.5, title: str = "Decision boundary", xlabel: str = "$x_1$",
                      ylabel: str = "$x_2$") -> Figure:
    """Shade the regions a classifier assigns to each class, with the data on top.

    For a binary classifier with ``predict_proba`` the background is the
    probability of class 1 on a grid, and the black line is the decision
    boundary

    .. math::

        \\{x : P(y = 1 \\mid x) = \\tfrac12\\};

    otherwise the background is the class ``model.predict`` returns. Works
    with :class:`mlcalc.nn.MLP` and with scikit-learn classifiers.

    Parameters
    ----------
    model : object with ``predict`` (and optionally ``predict_proba``)
        A fitted classifier taking arrays of shape ``(n, 2)``.
    X : array_like, shape (n, 2)
        The points drawn.
    y : array_like, shape (n,)
        Their class labels (colours).
    ax : matplotlib.axes.Axes, optional
    resolution : int, optional
        Grid points per axis.
    padding : float, optional
        Margin around the data, in the units of ``X``.
    title, xlabel, ylabel : str, optional

    Returns
    -------
    matplotlib.figure.Figure

    See the chapter 'Backpropagation and activation functions'.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> X = np.array([[0.0, 0.0], [1.0, 0.2], [0.1, 1.0], [1.2, 1.1]]); y = np.array([0, 0, 1, 1])
    >>> fig = decision_boundary(LogisticRegression().fit(X, y), X, y)
    >>> fig.axes[0].get_title()
    'Decision boundary'
    >>> import matplotlib.pyplot as plt; plt.close(fig)
    """
    if not callable(getattr(model, "predict", None)):
        raise TypeError(f"model must be a classifier with a predict method, got {type(model).__name__}")
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
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    classes = np.unique(labels)
    fig, ax = _figure_and_axes(ax)
    proba = getattr(model, "predict_proba", None)
    if classes.size <= 2 and callable(proba):
        p1 = np.asarray(proba(grid), dtype=float)[:, -1].reshape(gx.shape)
        shading = ax.contourf(gx, gy, p1, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.6)
        fig.colorbar(shading, ax=ax, label="$P(y = 1 \\mid x)$")
        ax.contour(gx, gy, p1, levels=[0.5], colors="black", linewidths=1.5)
    else:
        predicted = np.asarray(model.predict(grid))
        index = np.searchsorted(classes, predicted).clip(0, classes.size - 1).reshape(gx.shape)
        ax.contourf(gx, gy, index, levels=np.arange(classes.size + 1) - 0.5, cmap="tab10", alpha=0.3,
                    vmin=0, vmax=9)
    for k, label in enumerate(classes):
        member = labels == label
        color = ("C0", "C3")[k] if classes.size <= 2 else f"C{k % 10}"
        ax.scatter(points[member, 0], points[member, 1], color=color, edgecolor="black", s=30,
                   label=f"class {label}")
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    label_axes(ax, title=title, xlabel=xlabel, ylabel=ylabel, legend=True)
    return fig


# --- Chapter "Optimization" ---------------------------------------------------------


def _central_gradient_2d(f: Callable[[np.ndarray], Any], p: np.ndarray) -> np.ndarray:
    """Central differences of ``f`` at the point ``p`` of shape (2,), relative step 1e-6."""
    step = 1e-6 * np.maximum(1.0, np.abs(p))
    return np.array([(_value_at(f, p + s * e) - _value_at(f, p - s * e)) / (2 * s) for s, e in zip(step, np.eye(2))])


def constraint_geometry(fun: Callable[[np.ndarray], Any], constraint: Callable[[np.ndarray], Any], *,
                        xlim: tuple[float, float], ylim: tuple[float, float], point: Any = None,
                        grad: Callable[[np.ndarray], Any] | None = None,
                        constraint_grad: Callable[[np.ndarray], Any] | None = None, optimum: Any = None,
                        feasible_side: str | None = None, levels: int | Any = 12, ax: Axes | None = None,
                        n_grid: int = 200, title: str = "Level sets of $f$ and the constraint $g = 0$",
                        xlabel: str = "$x$", ylabel: str = "$y$") -> Figure:
    """Draw the level sets of :math:`f`, the constraint curve :math:`g = 0` and, at a point, both gradients.

    At a minimum of :math:`f` on the curve :math:`g(x, y) = 0` the curve
    touches a level set of :math:`f` without crossing it, so the two gradients
    are parallel (Lagrange's condition):

    .. math::

        \\nabla f(x^*) = \\lambda\\, \\nabla g(x^*).

    At any other point of the curve the angle between :math:`\\nabla f` and
    :math:`\\nabla g` is neither 0° nor 180°, and moving along the curve
    lowers :math:`f`. The legend gives that angle.

    Parameters
    ----------
    fun : callable
        The objective ``fun(p) -> float`` for a point ``p`` of shape (2,).
    constraint : callable
        ``constraint(p) -> float``; the curve drawn is ``constraint(p) == 0``.
    xlim, ylim : (float, float)
        The rectangle drawn.
    point : (float, float), optional
        Draw :math:`\\nabla f` and :math:`\\nabla g` at this point, both scaled
        to a fifth of the smaller side of the rectangle (their directions
        matter here, not their lengths).
    grad, constraint_grad : callable, optional
        Gradients of ``fun`` and ``constraint`` (shape (2,)); by default
        central differences.
    optimum : (float, float), optional
        Mark the constrained minimiser with a star.
    feasible_side : {None, "le"}, optional
        ``"le"`` shades the feasible set :math:`g \\le 0` of an inequality
        constraint.
    levels : int or sequence of float, optional
        Number of level sets (at quantiles of ``fun`` on the grid) or the
        levels themselves.
    ax : matplotlib.axes.Axes, optional
    n_grid : int, optional
        Grid points per axis.
    title, xlabel, ylabel : str, optional

    Returns
    -------
    matplotlib.figure.Figure
        The gradient arrows are patches labelled ``"$\\nabla f$"`` and
        ``"$\\nabla g$, angle to $\\nabla f$: ...°"``.

    See the chapter "Optimization".

    Examples
    --------
    >>> import numpy as np
    >>> f = lambda p: p[0] ** 2 + p[1] ** 2
    >>> g = lambda p: p[0] + p[1] - 1
    >>> fig = constraint_geometry(f, g, xlim=(-1, 2), ylim=(-1, 2), point=(1.0, 0.0), optimum=(0.5, 0.5))
    >>> [patch.get_label() for patch in fig.axes[0].patches]
    ['$\\\\nabla f$', '$\\\\nabla g$, angle to $\\\\nabla f$: 45°']
    >>> import matplotlib.pyplot as plt; plt.close(fig)
    """
    check_callable(fun, "fun")
    check_callable(constraint, "constraint")
    x_lo, x_hi = check_interval(*xlim, names=("xlim[0]", "xlim[1]"))
    y_lo, y_hi = check_interval(*ylim, names=("ylim[0]", "ylim[1]"))
    n_grid = check_int(n_grid, "n_grid", minimum=2)
    if feasible_side is not None:
        feasible_side = check_choice(feasible_side, "feasible_side", ("le",))
    for function, name in ((grad, "grad"), (constraint_grad, "constraint_grad")):
        if function is not None:
            check_callable(function, name)
    p = None if point is None else _point_2d(point, "point")
    star = None if optimum is None else _point_2d(optimum, "optimum")

    X, Y = np.meshgrid(np.linspace(x_lo, x_hi, n_grid), np.linspace(y_lo, y_hi, n_grid))
    Z = _evaluate_on_plane(fun, X, Y)
    G = _evaluate_on_plane(constraint, X, Y)
    if not np.any(np.isfinite(Z)):
        raise ValueError("fun is not finite anywhere on the grid given by xlim and ylim")
    finite_g = G[np.isfinite(G)]
    if finite_g.size == 0 or finite_g.min() > 0 or finite_g.max() < 0:
        raise ValueError("the constraint curve g = 0 does not cross the rectangle given by xlim and ylim")
    if isinstance(levels, (int, np.integer)) and not isinstance(levels, bool):
        n_levels = check_int(int(levels), "levels", minimum=1)
        level_values = np.unique(np.quantile(Z[np.isfinite(Z)], np.linspace(0.0, 1.0, n_levels + 2)[1:-1]))
    else:
        level_values = np.unique(as_float_array(levels, "levels", ndim=1))

    fig, ax = _figure_and_axes(ax)
    if feasible_side == "le":
        ax.contourf(X, Y, G, levels=[np.min(finite_g) - 1.0, 0.0], colors=["C2"], alpha=0.15)
        ax.fill([], [], color="C2", alpha=0.15, label="feasible set $g \\leq 0$")
    if level_values.size:
        contours = ax.contour(X, Y, Z, levels=level_values, cmap="viridis", linewidths=0.9)
        ax.clabel(contours, fontsize=7, fmt="%.2g")
    ax.contour(X, Y, G, levels=[0.0], colors="black", linewidths=2.0)
    ax.plot([], [], color="black", linewidth=2.0, label="constraint $g = 0$")
    if p is not None:
        gf = _point_2d(grad(p.copy()) if grad is not None else _central_gradient_2d(fun, p), "grad(point)")
        gg = _point_2d(constraint_grad(p.copy()) if constraint_grad is not None
                       else _central_gradient_2d(constraint, p), "constraint_grad(point)")
        side = min(x_hi - x_lo, y_hi - y_lo)
        head = 0.03 * side
        norms = (float(np.hypot(*gf)), float(np.hypot(*gg)))
        angle_text = ""
        if min(norms) > 0:
            cosine = np.clip(float(gf @ gg) / (norms[0] * norms[1]), -1.0, 1.0)
            angle_text = f", angle to $\\nabla f$: {np.degrees(np.arccos(cosine)):.0f}°"
        for vector, norm, color, label in ((gf, norms[0], "C3", "$\\nabla f$"),
                                           (gg, norms[1], "C1", "$\\nabla g$" + angle_text)):
            if norm > 0:
                d = 0.2 * side * vector / norm
                ax.arrow(p[0], p[1], d[0], d[1], width=0.008 * side, head_width=head, head_length=head,
                         length_includes_head=True, color=color, zorder=5, label=label)
        ax.plot([p[0]], [p[1]], "o", color="black", zorder=6, label="_point")
    if star is not None:
        ax.plot(star[0], star[1], "*", color="black", markersize=14, zorder=6, label="constrained minimum")
    ax.set_xlim(x_lo, x_hi)
    ax.set_ylim(y_lo, y_hi)
    ax.set_aspect("equal", adjustable="box")
    label_axes(ax, title=title, xlabel=xlabel, ylabel=ylabel, legend=True)
    return fig


# --------------------------------------------------------------------------
# Probability densities and maximum likelihood
# --------------------------------------------------------------------------

def histogram_with_density(samples: Any, densities: Callable[[Any], Any] | Mapping[str, Callable[[Any], Any]], *,
                           bins: int = 50, interval: tuple[float, float] | None = None, ax: Axes | None = None,
                           num: int = 400, title: str = "Samples and density", xlabel: str = "x",
                           ylabel: str = "density", sample_label: str = "samples (histogram, area 1)") -> Figure:
    """Histogram of samples on the density scale, with one or several densities drawn on top.

    The histogram is normalised so that its bars have total area 1: a bar over
    a bin :math:`[x_k, x_{k+1})` holding :math:`n_k` of the :math:`n` samples
    has height

    .. math::

        \\frac{n_k}{n\\,(x_{k+1} - x_k)} \\approx \\frac{1}{x_{k+1} - x_k}\\int_{x_k}^{x_{k+1}} p(x)\\,dx ,

    the average of the density over the bin, which is what makes it
    comparable with a density curve :math:`p`.

    Parameters
    ----------
    samples : array_like of shape (n,)
        Finite numbers.
    densities : callable or mapping of str to callable
        A density ``p(x)`` (evaluated on a numpy array, or point by point if it
        does not vectorise), or legend labels mapped to densities.
    bins : int, optional
        Number of equal-width bins.
    interval : (float, float), optional
        Range of the bins and the curves; by default that of the samples.
        Samples outside it are not drawn but still count in :math:`n`, so the
        bars show probabilities of the whole sample.
    ax : matplotlib.axes.Axes, optional
    num : int, optional
        Points of each density curve.
    title, xlabel, ylabel, sample_label : str, optional

    Returns
    -------
    matplotlib.figure.Figure

    See the chapter "Probability densities and maximum likelihood".

    Examples
    --------
    >>> import numpy as np
    >>> from mlcalc.prob import normal_pdf
    >>> x = np.random.default_rng(0).normal(size=1000)
    >>> fig = histogram_with_density(x, {"N(0, 1)": normal_pdf}, bins=30)
    >>> ax = fig.axes[0]
    >>> len(ax.patches), [line.get_label() for line in ax.get_lines()]
    (30, ['N(0, 1)'])
    >>> round(float(sum(p.get_height() * p.get_width() for p in ax.patches)), 10)
    1.0
    >>> import matplotlib.pyplot as plt; plt.close(fig)
    """
    x = as_float_array(samples, "samples", ndim=1)
    bins = check_int(bins, "bins", minimum=1)
    num = check_int(num, "num", minimum=2)
    if isinstance(densities, Mapping):
        if not densities:
            raise ValueError("densities must not be empty")
        named = {str(label): check_callable(pdf, f"densities[{label!r}]") for label, pdf in densities.items()}
    else:
        named = {"density": check_callable(densities, "densities")}
    if interval is None:
        lo, hi = float(x.min()), float(x.max())
        if lo == hi:
            lo, hi = lo - 0.5, hi + 0.5
    else:
        lo, hi = check_interval(*interval, names=("interval[0]", "interval[1]"))
    edges = np.linspace(lo, hi, bins + 1)
    counts, _ = np.histogram(x, bins=edges)
    heights = counts / (x.size * np.diff(edges))
    fig, ax = _figure_and_axes(ax)
    ax.bar(edges[:-1], heights, width=np.diff(edges), align="edge", color="0.8", edgecolor="white",
           linewidth=0.5, label=sample_label)
    grid = np.linspace(lo, hi, num)
    for index, (label, pdf) in enumerate(named.items()):
        ax.plot(grid, _evaluate_on_grid(pdf, grid, strict=False), color=f"C{index}", linewidth=2, label=label)
    ax.set_xlim(lo, hi)
    label_axes(ax, title=title, xlabel=xlabel, ylabel=ylabel, legend=True)
    return fig


def log_likelihood_contours(log_likelihood: Callable[[np.ndarray], Any], *, xlim: tuple[float, float],
                            ylim: tuple[float, float], mle: Any = None, drops: Any = None,
                            ax: Axes | None = None, n_grid: int = 120,
                            title: str = "Log-likelihood surface", xlabel: str = "$\\theta_1$",
                            ylabel: str = "$\\theta_2$") -> Figure:
    """Contours of a log-likelihood of two parameters, measured down from its maximum, with the MLE marked.

    The contour lines are the sets where the log-likelihood has dropped by
    ``drops`` below its largest value :math:`\\ell_{\\max}` on the grid (or its
    value at ``mle`` when given):

    .. math::

        \\{\\theta : \\ell(\\theta) = \\ell_{\\max} - d\\}, \\qquad d = \\tfrac12, 2, \\tfrac92, 8, \\dots
        \\;(d = k^2/2 \\text{ by default}).

    For a large sample :math:`\\ell` is close to a quadratic around the MLE
    and the region :math:`\\ell \\ge \\ell_{\\max} - k^2/2` is roughly a
    :math:`k`-standard-error region of each parameter taken alone, so the
    default contours show how precisely the data pin the parameters down.

    Parameters
    ----------
    log_likelihood : callable
        ``log_likelihood(theta) -> float`` for ``theta`` of shape (2,); NaN or
        :math:`-\\infty` (outside the parameter space) is left blank.
    xlim, ylim : (float, float)
        The rectangle of parameter values drawn.
    mle : (float, float), optional
        The maximum-likelihood estimate, marked with a star; the drops are
        measured from :math:`\\ell` there (it must be finite).
    drops : sequence of positive float, optional
        How far below the maximum to draw the contour lines; by default
        :math:`k^2/2` for :math:`k = 1, \\dots, 6`.
    ax : matplotlib.axes.Axes, optional
    n_grid : int, optional
        Grid points per axis.
    title, xlabel, ylabel : str, optional

    Returns
    -------
    matplotlib.figure.Figure
        The axes hold the filled contours (``ax.collections``) and, when
        ``mle`` is given, a line labelled ``"MLE"``.

    See the chapter "Probability densities and maximum likelihood", section on maximum likelihood.

    Examples
    --------
    >>> import numpy as np
    >>> from mlcalc.prob import log_likelihood, mle_normal, normal_logpdf
    >>> data = np.random.default_rng(0).normal(1.0, 2.0, size=100)
    >>> mu_hat, sigma_hat = mle_normal(data)
    >>> ll = lambda theta: log_likelihood(normal_logpdf, (theta[0], theta[1]), data)
    >>> fig = log_likelihood_contours(ll, xlim=(0, 2), ylim=(1.5, 2.8), mle=(mu_hat, sigma_hat))
    >>> [line.get_label() for line in fig.axes[0].get_lines()]
    ['MLE']
    >>> import matplotlib.pyplot as plt; plt.close(fig)
    """
    check_callable(log_likelihood, "log_likelihood")
    x_lo, x_hi = check_interval(*xlim, names=("xlim[0]", "xlim[1]"))
    y_lo, y_hi = check_interval(*ylim, names=("ylim[0]", "ylim[1]"))
    n_grid = check_int(n_grid, "n_grid", minimum=2)
    if drops is None:
        drop_values = np.arange(1, 7) ** 2 / 2.0
    else:
        drop_values = np.unique(as_float_array(drops, "drops", ndim=1))
        if np.any(drop_values <= 0):
            raise ValueError(f"drops must be positive, got {drops!r}")
    star = None if mle is None else _point_2d(mle, "mle")
    X, Y = np.meshgrid(np.linspace(x_lo, x_hi, n_grid), np.linspace(y_lo, y_hi, n_grid))
    Z = _evaluate_on_plane(log_likelihood, X, Y)
    if not np.any(np.isfinite(Z)):
        raise ValueError("log_likelihood is not finite anywhere on the grid given by xlim and ylim")
    if star is not None:
        top = _value_at(log_likelihood, star, "log_likelihood")
        if not np.isfinite(top):
            raise ValueError(f"log_likelihood must be finite at mle, got {top}")
    else:
        top = float(np.nanmax(Z))
    drop = top - Z
    fig, ax = _figure_and_axes(ax)
    bounds = np.concatenate([[min(0.0, float(np.nanmin(drop)))], drop_values])
    filled = ax.contourf(X, Y, drop, levels=bounds, cmap="viridis", alpha=0.85)
    ax.contour(X, Y, drop, levels=drop_values, colors="black", linewidths=0.6)
    colorbar = fig.colorbar(filled, ax=ax)
    colorbar.set_label(r"$\ell_{\max} - \ell(\theta)$")
    if star is not None:
        ax.plot(star[0], star[1], "*", color="white", markeredgecolor="black", markersize=15, label="MLE")
    ax.set_xlim(x_lo, x_hi)
    ax.set_ylim(y_lo, y_hi)
    label_axes(ax, title=title, xlabel=xlabel, ylabel=ylabel, legend=star is not None)
    return fig


# --- Chapter "Case studies: linear regression, logistic regression and SVMs" -------


def margin_losses(*, interval: tuple[float, float] = (-2.5, 2.5), ax: Axes | None = None, n_points: int = 501,
                  title: str = "Classification losses as functions of the margin") -> Figure:
    """Plot the 0-1 loss, the hinge loss and the logistic loss against the margin :math:`t = y f(x)`.

    With labels :math:`y \\in \\{-1, +1\\}` and a score :math:`f(x)`, a point is
    classified correctly when its margin :math:`t = y f(x)` is positive. The
    three losses drawn are

    .. math::

        \\ell_{0\\text{-}1}(t) = [t \\le 0], \\qquad
        \\ell_{\\text{hinge}}(t) = \\max(0, 1 - t), \\qquad
        \\ell_{\\text{log}}(t) = \\log_2(1 + e^{-t}) .

    The logistic loss (the cross-entropy of logistic regression) is drawn in
    base 2 so that, like the hinge, it passes through 1 at :math:`t = 0` and
    lies above the 0-1 loss everywhere: both are convex upper bounds of the
    number of mistakes. The hinge is exactly 0 beyond :math:`t = 1` and has a
    kink there; the logistic loss is smooth and never reaches 0.

    Parameters
    ----------
    interval : (float, float), optional
        The range of margins drawn.
    ax : matplotlib.axes.Axes, optional
    n_points : int, optional
        Sample points per curve.
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure

    See the chapter "Case studies: linear regression, logistic regression and SVMs".

    Examples
    --------
    >>> fig = margin_losses(interval=(-2.0, 2.0))
    >>> [line.get_label() for line in fig.axes[0].get_lines()][:3]
    ['0-1 loss $[t \\\\leq 0]$', 'hinge $\\\\max(0, 1 - t)$', 'logistic $\\\\log_2(1 + e^{-t})$']
    >>> import matplotlib.pyplot as plt; plt.close(fig)
    """
    a, b = check_interval(*interval, names=("interval[0]", "interval[1]"))
    n_points = check_int(n_points, "n_points", minimum=2)
    t = np.linspace(a, b, n_points)
    fig, ax = _figure_and_axes(ax)
    # the 0-1 loss jumps at t = 0: draw its two flat pieces, not a vertical line between them
    left, right = t[t <= 0], t[t > 0]
    zero_one_t = np.concatenate([left, [np.nan], right]) if left.size and right.size else t
    zero_one = np.where(zero_one_t <= 0, 1.0, 0.0)
    zero_one[np.isnan(zero_one_t)] = np.nan
    ax.plot(zero_one_t, zero_one, color="black", linewidth=2, label="0-1 loss $[t \\leq 0]$")
    ax.plot(t, np.maximum(0.0, 1.0 - t), color="C3", label="hinge $\\max(0, 1 - t)$")
    ax.plot(t, np.logaddexp(0.0, -t) / np.log(2.0), color="C0", label="logistic $\\log_2(1 + e^{-t})$")
    ax.axvline(0.0, color="gray", linewidth=0.5)
    ax.axvline(1.0, color="gray", linewidth=0.5, linestyle=":")
    label_axes(ax, title=title, xlabel="margin $t = y\\,f(x)$", ylabel="loss", legend=True)
    return fig


def svm_margins(model: Any, X: Any, y: Any, *, support: Any = None, margin_tol: float = 1e-3,
                ax: Axes | None = None, resolution: int = 200, padding: float = 0.5,
                title: str = "Decision boundary, margins and support vectors", xlabel: str = "$x_1$",
                ylabel: str = "$x_2$") -> Figure:
    """Draw a margin classifier's boundary :math:`f(x) = 0`, its margins :math:`f(x) = \\pm 1` and the support vectors.

    For a classifier with a score (``decision_function``) :math:`f(x)`, linear
    (:math:`f(x) = w\\cdot x + b`) or kernelised, the figure shows

    .. math::

        \\{x : f(x) = 0\\} \\ \\text{(solid)}, \\qquad \\{x : f(x) = \\pm 1\\} \\ \\text{(dashed)},

    the data coloured by class, and circles around the support vectors: the
    points on or inside the margin, :math:`y_i f(x_i) \\le 1` with
    :math:`y_i = \\pm 1` (the only points with a non-zero dual coefficient).
    For a linear model with two weights the legend gives the width of the
    margin band, :math:`2/\\lVert w\\rVert`.

    Parameters
    ----------
    model : object with ``decision_function``
        A fitted binary classifier taking arrays of shape ``(n, 2)``:
        :class:`mlcalc.models.LinearSVC`, :class:`sklearn.svm.SVC`,
        :class:`sklearn.svm.LinearSVC`, a logistic regression, ...
    X : array_like, shape (n, 2)
    y : array_like, shape (n,)
        Two class labels; the larger one (``numpy.unique(y)[1]``) is the
        positive class, as in scikit-learn and :mod:`mlcalc.models`.
    support : array_like of int or bool, optional
        Indices (e.g. ``SVC.support_``) or a boolean mask of the support
        vectors. By default the points with :math:`y_i f(x_i) \\le 1 +` ``margin_tol``.
    margin_tol : float, optional
        Slack for points on the margin in the default rule (solvers stop at a
        tolerance, so a point on the margin has :math:`y_i f(x_i) \\approx 1`).
    ax : matplotlib.axes.Axes, optional
    resolution : int, optional
        Grid points per axis.
    padding : float, optional
        Margin around the data, in the units of ``X``.
    title, xlabel, ylabel : str, optional

    Returns
    -------
    matplotlib.figure.Figure

    See the chapter "Case studies: linear regression, logistic regression and SVMs".

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.svm import SVC
    >>> X = np.array([[0.0, 0.0], [1.0, 0.0], [3.0, 0.0], [4.0, 1.0]]); y = np.array([0, 0, 1, 1])
    >>> model = SVC(kernel="linear", C=100.0).fit(X, y)
    >>> fig = svm_margins(model, X, y, support=model.support_)
    >>> [text.get_text() for text in fig.axes[0].get_legend().get_texts()][-1]
    'support vectors (2)'
    >>> import matplotlib.pyplot as plt; plt.close(fig)
    """
    if not callable(getattr(model, "decision_function", None)):
        raise TypeError(f"model must be a fitted classifier with a decision_function method, got "
                        f"{type(model).__name__}")
    points = as_float_array(X, "X", ndim=2)
    if points.shape[1] != 2:
        raise ValueError(f"X must have two columns (points in the plane), got shape {points.shape}")
    labels = np.asarray(y)
    if labels.ndim != 1 or labels.shape[0] != points.shape[0]:
        raise ValueError(f"y must be a vector with one label per row of X ({points.shape[0]}), got shape {labels.shape}")
    classes = np.unique(labels)
    if classes.size != 2:
        raise ValueError(f"y must contain exactly two classes, got {classes.size}")
    margin_tol = check_positive(margin_tol, "margin_tol", allow_zero=True)
    resolution = check_int(resolution, "resolution", minimum=2)
    padding = check_positive(padding, "padding", allow_zero=True)
    n = points.shape[0]
    if support is None:
        signs = np.where(labels == classes[1], 1.0, -1.0)
        scores = np.asarray(model.decision_function(points), dtype=float).reshape(-1)
        mask = signs * scores <= 1.0 + margin_tol
    else:
        chosen = np.asarray(support)
        if chosen.dtype == np.bool_:
            if chosen.shape != (n,):
                raise ValueError(f"support as a boolean mask must have shape ({n},), got {chosen.shape}")
            mask = chosen
        else:
            if chosen.size and (not np.issubdtype(chosen.dtype, np.integer) or chosen.ndim != 1):
                raise TypeError("support must be a 1-D array of integer indices or a boolean mask")
            if chosen.size and (chosen.min() < -n or chosen.max() >= n):
                raise ValueError(f"support holds indices outside 0..{n - 1}")
            mask = np.zeros(n, dtype=bool)
            mask[chosen.astype(int)] = True
    lo, hi = points.min(axis=0) - padding, points.max(axis=0) + padding
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    grid_scores = np.asarray(model.decision_function(np.column_stack([gx.ravel(), gy.ravel()])),
                             dtype=float).reshape(gx.shape)
    fig, ax = _figure_and_axes(ax)
    bound = max(float(np.max(np.abs(grid_scores))), 1e-12)
    ax.contourf(gx, gy, grid_scores, levels=[-bound - 1.0, 0.0, bound + 1.0], colors=["C0", "C3"], alpha=0.12)
    ax.contour(gx, gy, grid_scores, levels=[0.0], colors="black", linewidths=1.6)
    ax.contour(gx, gy, grid_scores, levels=[-1.0, 1.0], colors="black", linewidths=1.0, linestyles="--")
    ax.plot([], [], color="black", linewidth=1.6, label="decision boundary $f(x) = 0$")
    margin_label = "margins $f(x) = \\pm 1$"
    weights = getattr(model, "coef_", None) if _has_linear_weights(model) else None
    if weights is not None and np.size(weights) == 2:
        norm = float(np.linalg.norm(np.asarray(weights, dtype=float)))
        if norm > 0:
            margin_label += f", width $2/\\|w\\|$ = {2.0 / norm:.3g}"
    ax.plot([], [], color="black", linewidth=1.0, linestyle="--", label=margin_label)
    for k, label in enumerate(classes):
        member = labels == label
        ax.scatter(points[member, 0], points[member, 1], color=("C0", "C3")[k], edgecolor="black", s=30,
                   label=f"class {label}")
    ax.scatter(points[mask, 0], points[mask, 1], s=140, facecolors="none", edgecolors="black", linewidths=1.4,
               label=f"support vectors ({int(mask.sum())})")
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    label_axes(ax, title=title, xlabel=xlabel, ylabel=ylabel, legend=True)
    return fig


def _has_linear_weights(model: Any) -> bool:
    """True if ``model.coef_`` exists (a kernel SVC raises AttributeError for it)."""
    try:
        getattr(model, "coef_")
    except (AttributeError, ValueError):
        return False
    return True


# --- Chapter "Calculus in deep learning" -------------------------------------------


def _ball_boundary(norm: str, radius: float, angle: np.ndarray) -> np.ndarray:
    """Points of the sphere of ``radius`` in the L1 or L2 norm, at the given polar angles, shape (n, 2)."""
    direction = np.stack([np.cos(angle), np.sin(angle)], axis=-1)
    scale = np.abs(direction).sum(axis=-1) if norm == "l1" else np.ones(angle.shape)
    return radius * direction / scale[..., None]


def _minimize_on_ball(loss: Callable[[np.ndarray], np.ndarray], norm: str, radius: float,
                      minimizer: np.ndarray, n_boundary: int) -> np.ndarray:
    """Minimiser of a convex quadratic over the L1 or L2 ball: the minimiser itself if inside, else on the boundary.

    A grid over the polar angle finds the best boundary point (its corners,
    angles multiple of pi/2, are on the grid); a bounded scalar search between
    the neighbouring grid angles then polishes it.
    """
    from scipy.optimize import minimize_scalar

    size = np.abs(minimizer).sum() if norm == "l1" else np.linalg.norm(minimizer)
    if size <= radius:
        return minimizer.copy()
    angles = np.linspace(-np.pi, np.pi, n_boundary)
    values = loss(_ball_boundary(norm, radius, angles))
    best = int(np.argmin(values))
    lo, hi = angles[max(best - 1, 0)], angles[min(best + 1, n_boundary - 1)]
    polished = minimize_scalar(lambda t: float(loss(_ball_boundary(norm, radius, np.array([t])))[0]),
                               bounds=(lo, hi), method="bounded", options={"xatol": 1e-12})
    candidates = [angles[best], float(polished.x)]
    candidate_values = [values[best], float(loss(_ball_boundary(norm, radius, np.array([candidates[1]])))[0])]
    return _ball_boundary(norm, radius, np.array([candidates[int(np.argmin(candidate_values))]]))[0]


def penalty_geometry(hessian: Any, minimizer: Any, *, radius: float = 1.0, ax: Axes | None = None,
                     xlim: tuple[float, float] | None = None, ylim: tuple[float, float] | None = None,
                     levels: int = 6, n_boundary: int = 4001,
                     title: str = "L1 and L2 constraints meeting the loss contours") -> Figure:
    r"""Why the L1 penalty gives zeros: the diamond and the disc touching the contours of a quadratic loss.

    For the loss :math:`f(w) = \tfrac12 (w - \hat w)^\top H (w - \hat w)` of
    two weights, the penalised problems :math:`\min f(w) + \lambda \lVert w
    \rVert` are equivalent to the constrained ones

    .. math::

        \min_{\lVert w \rVert_1 \le t} f(w) \qquad\text{and}\qquad \min_{\lVert w \rVert_2 \le t} f(w)

    (for a matching budget :math:`t`). The solution is where the smallest
    contour of :math:`f` touches the ball. The L1 ball is a diamond whose
    corners lie on the axes, so the touching point is often a corner, a
    weight exactly 0; the L2 ball is round and is touched at a point with both
    weights non-zero. The figure draws the contours, both balls, the
    unpenalised minimiser :math:`\hat w`, both constrained minimisers and
    the contour line through each of them.

    Parameters
    ----------
    hessian : array_like, shape (2, 2)
        :math:`H`, symmetric positive definite.
    minimizer : array_like, shape (2,)
        :math:`\hat w`, the unpenalised minimiser.
    radius : float, optional
        The budget :math:`t > 0` of both balls.
    ax : matplotlib.axes.Axes, optional
    xlim, ylim : (float, float), optional
        The region drawn; by default a square holding the balls and :math:`\hat w`.
    levels : int, optional
        Number of background contour lines.
    n_boundary : int, optional
        Grid points on each ball's boundary for the search of the minimiser
        (polished by a bounded scalar search; the diamond's corners are
        always on the grid when ``n_boundary - 1`` is a multiple of 4).
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
        The constrained minimisers are the lines labelled ``"L1 solution"``
        and ``"L2 solution"`` (one point each).

    See the chapter "Calculus in deep learning", section on regularisation.

    Examples
    --------
    >>> import numpy as np
    >>> fig = penalty_geometry(np.diag([2.0, 1.0]), [2.0, 0.5], radius=1.0)
    >>> points = {line.get_label(): line.get_xydata()[0] for line in fig.axes[0].get_lines()}
    >>> points["L1 solution"].tolist()      # a corner of the diamond: w2 = 0 exactly
    [1.0, 0.0]
    >>> bool(np.all(np.abs(points["L2 solution"]) > 0.1))
    True
    >>> import matplotlib.pyplot as plt; plt.close(fig)
    """
    H = as_float_array(hessian, "hessian", ndim=2)
    if H.shape != (2, 2):
        raise ValueError(f"hessian must be a 2 x 2 matrix, got shape {H.shape}")
    if not np.allclose(H, H.T) or np.any(np.linalg.eigvalsh(H) <= 0):
        raise ValueError("hessian must be symmetric positive definite")
    w_hat = as_float_array(minimizer, "minimizer", ndim=1)
    if w_hat.shape != (2,):
        raise ValueError(f"minimizer must be a point (w1, w2), got shape {w_hat.shape}")
    radius = check_positive(radius, "radius")
    levels = check_int(levels, "levels", minimum=1)
    n_boundary = check_int(n_boundary, "n_boundary", minimum=9)

    def loss(points: np.ndarray) -> np.ndarray:
        d = np.asarray(points, dtype=float) - w_hat
        return 0.5 * np.einsum("...i,ij,...j->...", d, H, d)

    solutions = {norm: _minimize_on_ball(loss, norm, radius, w_hat, n_boundary) for norm in ("l1", "l2")}
    if xlim is None or ylim is None:
        half = 1.25 * max(radius, float(np.max(np.abs(w_hat))))
        xlim = xlim or (-half, half)
        ylim = ylim or (-half, half)
    x_lo, x_hi = check_interval(*xlim, names=("xlim[0]", "xlim[1]"))
    y_lo, y_hi = check_interval(*ylim, names=("ylim[0]", "ylim[1]"))
    fig, ax = _figure_and_axes(ax)
    X, Y = np.meshgrid(np.linspace(x_lo, x_hi, 300), np.linspace(y_lo, y_hi, 300))
    Z = loss(np.stack([X, Y], axis=-1))
    background = np.quantile(Z, np.linspace(0.0, 0.6, levels + 2)[1:-1])
    ax.contour(X, Y, Z, levels=np.unique(background), colors="gray", linewidths=0.7, alpha=0.7)
    angles = np.linspace(-np.pi, np.pi, 401)
    for norm, color, text in (("l1", "C0", "L1 ball $|w_1| + |w_2| \\leq t$"),
                              ("l2", "C1", "L2 ball $w_1^2 + w_2^2 \\leq t^2$")):
        edge = _ball_boundary(norm, radius, angles)
        ax.fill(edge[:, 0], edge[:, 1], color=color, alpha=0.25, label=text)
        level = float(loss(solutions[norm]))
        if level > 0:
            ax.contour(X, Y, Z, levels=[level], colors=color, linewidths=1.6)
    for norm, color, marker in (("l1", "C0", "o"), ("l2", "C1", "s")):
        ax.plot([solutions[norm][0]], [solutions[norm][1]], marker, color=color, markersize=9,
                markeredgecolor="black", linestyle="none", label=f"{norm.upper()} solution")
    ax.plot([w_hat[0]], [w_hat[1]], "*", color="black", markersize=13, linestyle="none",
            label="unpenalised minimum $\\hat w$")
    ax.axhline(0.0, color="black", linewidth=0.6)
    ax.axvline(0.0, color="black", linewidth=0.6)
    ax.set_xlim(x_lo, x_hi)
    ax.set_ylim(y_lo, y_hi)
    ax.set_aspect("equal", adjustable="box")
    label_axes(ax, title=title, xlabel="$w_1$", ylabel="$w_2$", legend=True)
    ax.legend(fontsize=8, loc="best")
    return fig


def coefficient_paths(penalties: Any, coefficients: Any, *, feature_names: Any = None, ax: Axes | None = None,
                      log_x: bool = True, title: str = "Coefficients as the penalty grows",
                      xlabel: str = "penalty $\\alpha$", ylabel: str = "coefficient") -> Figure:
    r"""Plot each coefficient of a penalised model against the penalty strength (a regularisation path).

    For a model fitted at penalties :math:`\alpha_1 < \dots < \alpha_K`,
    with coefficients :math:`w_j(\alpha)`, one line per feature :math:`j`
    shows :math:`\alpha \mapsto w_j(\alpha)`. Under an L1 penalty (lasso) the
    lines reach 0 and stay there, at :math:`\alpha \ge \alpha_{\max} =
    \max_j |x_j^\top (y - \bar y)| / m` all of them; under an L2 penalty
    (ridge) they shrink towards 0 without reaching it.

    Parameters
    ----------
    penalties : array_like, shape (K,)
        Positive penalty strengths (any order; drawn sorted).
    coefficients : array_like, shape (K, n_features)
        Row :math:`k` holds the coefficients fitted at ``penalties[k]``.
    feature_names : sequence of str, optional
        Legend labels, one per feature; by default :math:`w_1, w_2, \dots`.
    ax : matplotlib.axes.Axes, optional
    log_x : bool, optional
        Logarithmic penalty axis.
    title, xlabel, ylabel : str, optional

    Returns
    -------
    matplotlib.figure.Figure

    See the chapter "Calculus in deep learning", section on regularisation.

    Examples
    --------
    >>> import numpy as np
    >>> alphas = np.array([0.1, 1.0, 10.0])
    >>> fig = coefficient_paths(alphas, [[2.0, -1.0], [1.5, 0.0], [0.0, 0.0]], feature_names=["a", "b"])
    >>> [line.get_label() for line in fig.axes[0].get_lines() if not line.get_label().startswith("_")]
    ['a', 'b']
    >>> fig.axes[0].get_lines()[0].get_ydata().tolist()
    [2.0, 1.5, 0.0]
    >>> import matplotlib.pyplot as plt; plt.close(fig)
    """
    alphas = as_float_array(penalties, "penalties", ndim=1)
    coefs = as_float_array(coefficients, "coefficients", ndim=2)
    if coefs.shape[0] != alphas.size:
        raise ValueError(f"coefficients must have one row per penalty ({alphas.size}), got shape {coefs.shape}")
    if log_x and np.any(alphas <= 0):
        raise ValueError("penalties must be positive on a logarithmic axis (use log_x=False for 0)")
    if feature_names is None:
        names = [f"$w_{{{j + 1}}}$" for j in range(coefs.shape[1])]
    else:
        if isinstance(feature_names, (str, bytes)):
            raise TypeError("feature_names must be a sequence of strings, not a single string")
        names = [str(name) for name in feature_names]
        if len(names) != coefs.shape[1]:
            raise ValueError(f"feature_names must have one name per column of coefficients ({coefs.shape[1]}), "
                             f"got {len(names)}")
    order = np.argsort(alphas, kind="stable")
    fig, ax = _figure_and_axes(ax)
    for j, name in enumerate(names):
        ax.plot(alphas[order], coefs[order, j], color=f"C{j % 10}", label=name)
    ax.axhline(0.0, color="black", linewidth=0.6, label="_zero")
    if log_x:
        ax.set_xscale("log")
    label_axes(ax, title=title, xlabel=xlabel, ylabel=ylabel, legend=len(names) > 1)
    if len(names) > 1:
        ax.legend(fontsize=7, ncol=2 if len(names) > 5 else 1)
    return fig
