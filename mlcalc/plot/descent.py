"""Figures of optimisation runs: paths on the contours of a loss, loss curves.

They read the ``history`` of an :class:`mlcalc.optim.OptimizeResult`. See the
chapters "Gradient descent", "Optimization" and "Calculus in deep learning".
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .._validation import as_float_array, check_callable, check_choice, check_int, check_interval, check_real
from ._core import _contour_levels, _figure_and_axes, _labelled, _values_on_rectangle, label_axes

__all__ = ["descent_path_on_contours", "loss_curves"]


def _unwrap_result(run: Any, name: str) -> Any:
    """The ``history`` of an OptimizeResult; anything else as it is."""
    from ..optim import OptimizeResult

    if isinstance(run, OptimizeResult):
        if "history" not in run:
            raise TypeError(f"{name} is an OptimizeResult without a history")
        return run["history"]
    return run


def _path_points(path: Any, name: str) -> np.ndarray:
    """The iterates of a run as an (n, 2) array: from an array, a History or an OptimizeResult."""
    from ..optim import History

    path = _unwrap_result(path, name)
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
    from ..optim import History

    run = _unwrap_result(run, name)
    if isinstance(run, History):
        return np.asarray(run.fun, dtype=float), np.asarray(run.iteration, dtype=float)
    losses = np.asarray(run, dtype=float) if isinstance(run, (list, tuple, np.ndarray)) else None
    if losses is None or losses.ndim != 1 or losses.size == 0:
        raise TypeError(f"{name} must be a non-empty 1-D array of losses, a History or an OptimizeResult; "
                        f"got {type(run).__name__}")
    return losses, None


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
    from ..optim import OptimizeResult

    # An OptimizeResult is a dict too: one run, not a mapping of labels to runs.
    single = isinstance(paths, OptimizeResult)
    named = {"_path": _path_points(paths, "paths")} if single else _labelled(paths, "paths", _path_points, "_path")
    X, Y, Z = _values_on_rectangle(fun, (x_lo, x_hi), (y_lo, y_hi), n_grid, "fun")
    level_values = _contour_levels(Z, levels)
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
