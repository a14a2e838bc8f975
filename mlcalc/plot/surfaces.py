"""Figures of functions of two variables: surfaces and their slices, level sets and gradients, constraints.

See the chapters "Multivariable and matrix calculus" and "Optimization".
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .._validation import as_float_array, check_callable, check_choice, check_int, check_interval, check_positive
from ..diff import gradient
from ._core import (_contour_levels, _evaluate_on_plane, _figure_and_axes, _point_2d, _value_at, _values_on_rectangle,
                    label_axes, new_figure)

__all__ = ["surface_with_slices", "contour_with_gradients", "constraint_geometry"]


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
    X, Y, Z = _values_on_rectangle(f, (x_lo, x_hi), (y_lo, y_hi), n_grid, "f")
    level_values = _contour_levels(Z, levels)
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
        estimated by :func:`mlcalc.diff.gradient`.
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

    X, Y, Z = _values_on_rectangle(fun, (x_lo, x_hi), (y_lo, y_hi), n_grid, "fun")
    G = _evaluate_on_plane(constraint, X, Y)
    finite_g = G[np.isfinite(G)]
    if finite_g.size == 0 or finite_g.min() > 0 or finite_g.max() < 0:
        raise ValueError("the constraint curve g = 0 does not cross the rectangle given by xlim and ylim")
    level_values = _contour_levels(Z, levels)

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
        gf = _point_2d(grad(p.copy()) if grad is not None else gradient(fun, p), "grad(point)")
        gg = _point_2d(constraint_grad(p.copy()) if constraint_grad is not None
                       else gradient(constraint, p), "constraint_grad(point)")
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
