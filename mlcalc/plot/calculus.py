"""Figures of limits and derivatives: tangents, secants, step-size errors, the epsilon-delta window.

See the chapters "Limits and continuity" and "Derivatives".
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .._validation import as_float_array, check_callable, check_int, check_interval, check_positive, check_real
from ._core import _curve, _evaluate_on_grid, _figure_and_axes, label_axes

__all__ = ["function_with_tangent", "secant_to_tangent", "step_error_curve", "epsilon_delta_window"]


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
    from ..limits import epsilon_delta

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
