"""Figures of regularisation: L1 and L2 balls meeting the loss contours, coefficient paths.

See the chapter "Calculus in deep learning".
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .._validation import as_float_array, check_int, check_interval, check_positive
from ._core import _figure_and_axes, label_axes

__all__ = ["penalty_geometry", "coefficient_paths"]


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
