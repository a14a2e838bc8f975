"""Small test problems that several chapters optimise: quadratic bowls and least squares.

Chapters 5 and 10 (gradient descent, optimizers) run their methods on the same
problems, so the problems are defined once, here.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ._validation import check_real


def quadratic(A: Any) -> tuple[Callable[[np.ndarray], float], Callable[[np.ndarray], np.ndarray]]:
    r"""The quadratic bowl :math:`f(x) = \tfrac12 x^\top A x` and its gradient :math:`A x`.

    Parameters
    ----------
    A : array_like, shape (n, n)
        A symmetric matrix; the bowl has a unique minimum at 0 when ``A`` is
        positive definite, and its eigenvalues are the curvatures along its axes.

    Returns
    -------
    f, grad : callable
        The loss and its gradient, each taking a vector ``x`` of length ``n``.

    Examples
    --------
    >>> f, grad = quadratic(np.diag([1.0, 10.0]))
    >>> f(np.array([1.0, 1.0])), grad(np.array([1.0, 1.0])).tolist()
    (5.5, [1.0, 10.0])

    See the chapters "Gradient descent" and "Optimizers and regularization".
    """
    A = np.asarray(A, dtype=float)
    if A.ndim != 2 or A.shape[0] != A.shape[1]:
        raise ValueError(f"A must be a square matrix, got shape {A.shape}")
    if not np.all(np.isfinite(A)):
        raise ValueError("A must contain only finite numbers")
    if not np.allclose(A, A.T, rtol=1e-12, atol=1e-12 * max(1.0, float(np.abs(A).max(initial=0.0)))):
        raise ValueError("A must be symmetric (the gradient of x^T A x / 2 is A x only then)")

    def f(x: np.ndarray) -> float:
        return 0.5 * float(x @ A @ x)

    def grad(x: np.ndarray) -> np.ndarray:
        return A @ x

    return f, grad


def rotation(angle: float) -> np.ndarray:
    r"""The 2-by-2 matrix that rotates the plane by ``angle`` radians counterclockwise.

    ``rotation(a) @ np.diag([l1, l2]) @ rotation(a).T`` is a symmetric matrix
    with eigenvalues ``l1, l2`` whose axes are turned by ``a``: a tilted bowl.

    Examples
    --------
    >>> np.round(rotation(np.pi / 2) @ [1.0, 0.0], 12).tolist()
    [0.0, 1.0]
    """
    angle = check_real(angle, "angle")
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, -s], [s, c]])


def _check_least_squares(theta: Any, A: Any, y: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    theta, A, y = (np.asarray(v, dtype=float) for v in (theta, A, y))
    if A.ndim != 2:
        raise ValueError(f"A must be a 2-d design matrix, got shape {A.shape}")
    if theta.shape != (A.shape[1],):
        raise ValueError(f"theta must have shape ({A.shape[1]},) to match A's {A.shape[1]} columns, "
                         f"got shape {theta.shape}")
    if y.shape != (A.shape[0],):
        raise ValueError(f"y must have shape ({A.shape[0]},) to match A's {A.shape[0]} rows, got shape {y.shape}")
    if A.shape[0] == 0:
        raise ValueError("A must have at least one row")
    return theta, A, y


def half_mse(theta: Any, A: Any, y: Any) -> float:
    r"""Half the mean squared error of a linear model, :math:`\frac{1}{2n}\lVert A\theta - y\rVert^2`.

    Examples
    --------
    >>> half_mse([1.0, 2.0], [[1.0, 0.0], [0.0, 1.0]], [0.0, 0.0])
    1.25
    """
    theta, A, y = _check_least_squares(theta, A, y)
    return 0.5 * float(np.mean((A @ theta - y) ** 2))


def half_mse_grad(theta: Any, A: Any, y: Any) -> np.ndarray:
    r"""The gradient of :func:`half_mse`, :math:`\frac1n A^\top (A\theta - y)`.

    Examples
    --------
    >>> half_mse_grad([1.0, 2.0], [[1.0, 0.0], [0.0, 1.0]], [0.0, 0.0]).tolist()
    [0.5, 1.0]
    """
    theta, A, y = _check_least_squares(theta, A, y)
    return A.T @ (A @ theta - y) / len(y)
