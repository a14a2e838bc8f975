"""Figures of integrals: the area under a curve, Riemann rectangles, convergence of quadrature rules.

See the chapter "Integrals".
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Polygon
from matplotlib.ticker import NullFormatter

from .._validation import as_float_array, check_callable, check_choice, check_int, check_interval, check_positive
from ._core import _evaluate_on_grid, _figure_and_axes, label_axes

__all__ = ["area_under_curve", "riemann_rectangles", "convergence_plot"]


def _plot_with_margin(ax: Axes, f: Callable[[Any], Any], a: float, b: float, margin: float, num: int,
                      **style: Any) -> None:
    """Draw ``f`` as "f(x)" on ``[a, b]`` widened by ``margin`` times its length on each side.

    Points of the margin where ``f`` is undefined are left out of the line.
    """
    pad = margin * (b - a)
    x = np.linspace(a - pad, b + pad, num)
    ax.plot(x, _evaluate_on_grid(f, x, strict=False), color="C0", label="f(x)", **style)


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
    _plot_with_margin(ax, f, a, b, margin, num)
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
    _plot_with_margin(ax, f, a, b, 0.05, num, linewidth=2, zorder=3)
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
