"""Figures of classifiers: decision regions, classification losses of the margin, SVM margins.

See the chapters "Backpropagation and activation functions" and "Case studies:
linear regression, logistic regression and SVMs".
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .._validation import check_int, check_interval, check_positive
from ._core import _data_plane, _figure_and_axes, label_axes

__all__ = ["decision_boundary", "margin_losses", "svm_margins"]


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
    points, labels, gx, gy, lo, hi = _data_plane(X, y, resolution=resolution, padding=padding)
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
    _scatter_classes(ax, points, labels, classes)
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    label_axes(ax, title=title, xlabel=xlabel, ylabel=ylabel, legend=True)
    return fig


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
    points, labels, gx, gy, lo, hi = _data_plane(X, y, resolution=resolution, padding=padding)
    classes = np.unique(labels)
    if classes.size != 2:
        raise ValueError(f"y must contain exactly two classes, got {classes.size}")
    margin_tol = check_positive(margin_tol, "margin_tol", allow_zero=True)
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
    _scatter_classes(ax, points, labels, classes)
    ax.scatter(points[mask, 0], points[mask, 1], s=140, facecolors="none", edgecolors="black", linewidths=1.4,
               label=f"support vectors ({int(mask.sum())})")
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    label_axes(ax, title=title, xlabel=xlabel, ylabel=ylabel, legend=True)
    return fig


def _scatter_classes(ax: Axes, points: np.ndarray, labels: np.ndarray, classes: np.ndarray) -> None:
    """Scatter ``points`` one class at a time: blue and red for two classes, the colour cycle for more."""
    for k, label in enumerate(classes):
        member = labels == label
        color = ("C0", "C3")[k] if classes.size <= 2 else f"C{k % 10}"
        ax.scatter(points[member, 0], points[member, 1], color=color, edgecolor="black", s=30,
                   label=f"class {label}")


def _has_linear_weights(model: Any) -> bool:
    """True if ``model.coef_`` exists (a kernel SVC raises AttributeError for it)."""
    try:
        getattr(model, "coef_")
    except (AttributeError, ValueError):
        return False
    return True
