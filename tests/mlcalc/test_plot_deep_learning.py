"""Tests for the figures of the chapter "Calculus in deep learning".

``penalty_geometry`` must mark the true constrained minimisers: the L2 one is
checked against the closed form of ridge regression,
:math:`w(\\lambda) = (H + \\lambda I)^{-1} H \\hat w` with :math:`\\lambda`
found by ``scipy.optimize.brentq`` so that :math:`\\lVert w \\rVert = t`; the L1
one against ``scipy.optimize.minimize`` (SLSQP) with the diamond written as four
linear inequalities. ``coefficient_paths`` must draw the coefficients it is
given, sorted by penalty, here a lasso path from scikit-learn.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from scipy.optimize import brentq, minimize
from sklearn.datasets import load_diabetes
from sklearn.linear_model import lasso_path

from mlcalc.plot import coefficient_paths, penalty_geometry


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def marked_points(fig):
    return {line.get_label(): line.get_xydata()[0] for line in fig.axes[0].get_lines()
            if len(line.get_xdata()) == 1}


def ridge_on_sphere(H, w_hat, radius):
    """The minimiser of (w - w_hat)^T H (w - w_hat) / 2 on the L2 sphere of the given radius (Lagrange)."""
    w = lambda lam: np.linalg.solve(H + lam * np.eye(2), H @ w_hat)
    lam = brentq(lambda lam: np.linalg.norm(w(lam)) - radius, 0.0, 1e6, xtol=1e-14)
    return w(lam)


def lasso_by_slsqp(H, w_hat, radius):
    loss = lambda w: 0.5 * (w - w_hat) @ H @ (w - w_hat)
    signs = [np.array([a, b]) for a in (1.0, -1.0) for b in (1.0, -1.0)]
    constraints = [{"type": "ineq", "fun": (lambda w, s=s: radius - s @ w), "jac": (lambda w, s=s: -s)}
                   for s in signs]
    res = minimize(loss, np.zeros(2), jac=lambda w: H @ (w - w_hat), method="SLSQP", constraints=constraints,
                   options={"ftol": 1e-14, "maxiter": 500})
    assert res.success
    return res.x


ROTATION = np.array([[np.cos(0.5), -np.sin(0.5)], [np.sin(0.5), np.cos(0.5)]])
CASES = [
    (np.diag([2.0, 1.0]), np.array([2.0, 0.5]), 1.0),          # L1 solution at the corner (1, 0)
    (np.diag([1.0, 4.0]), np.array([2.0, 1.0]), 1.0),          # L1 solution on an edge
    (ROTATION @ np.diag([1.0, 6.0]) @ ROTATION.T, np.array([-1.5, 2.5]), 1.2),
    (np.array([[3.0, 1.0], [1.0, 2.0]]), np.array([0.3, -2.0]), 0.7),
]


@pytest.mark.parametrize("H, w_hat, radius", CASES)
def test_penalty_geometry_marks_the_constrained_minimisers(H, w_hat, radius):
    fig = penalty_geometry(H, w_hat, radius=radius)
    points = marked_points(fig)
    np.testing.assert_allclose(points["L2 solution"], ridge_on_sphere(H, w_hat, radius), atol=1e-7)
    np.testing.assert_allclose(points["L1 solution"], lasso_by_slsqp(H, w_hat, radius), atol=1e-6)
    assert np.abs(points["L1 solution"]).sum() == pytest.approx(radius, abs=1e-9)
    np.testing.assert_allclose(points["unpenalised minimum $\\hat w$"], w_hat)


def test_penalty_geometry_puts_the_l1_solution_exactly_on_an_axis_at_a_corner():
    points = marked_points(penalty_geometry(np.diag([2.0, 1.0]), [2.0, 0.5], radius=1.0))
    assert points["L1 solution"].tolist() == [1.0, 0.0]
    assert np.all(np.abs(points["L2 solution"]) > 0.1)


def test_penalty_geometry_returns_the_minimiser_when_it_is_inside_both_balls():
    points = marked_points(penalty_geometry(np.eye(2), [0.2, -0.3], radius=1.0))
    np.testing.assert_array_equal(points["L1 solution"], [0.2, -0.3])
    np.testing.assert_array_equal(points["L2 solution"], [0.2, -0.3])


def test_penalty_geometry_draws_the_two_balls():
    fig = penalty_geometry(np.eye(2), [2.0, 2.0], radius=1.5)
    patches = {patch.get_label(): patch for patch in fig.axes[0].patches}
    diamond = next(p for label, p in patches.items() if label.startswith("L1 ball")).get_xy()
    disc = next(p for label, p in patches.items() if label.startswith("L2 ball")).get_xy()
    np.testing.assert_allclose(np.abs(diamond).sum(axis=1), 1.5, rtol=1e-12)
    np.testing.assert_allclose(np.linalg.norm(disc, axis=1), 1.5, rtol=1e-12)


@pytest.mark.parametrize("hessian, minimizer, match", [
    (np.array([[1.0, 2.0], [2.0, 1.0]]), [1.0, 1.0], "positive definite"),
    (np.array([[1.0, 0.5], [0.0, 1.0]]), [1.0, 1.0], "symmetric"),
    (np.eye(3), [1.0, 1.0, 1.0], "2 x 2"),
    (np.eye(2), [1.0, 1.0, 1.0], "minimizer"),
])
def test_penalty_geometry_rejects_bad_input(hessian, minimizer, match):
    with pytest.raises(ValueError, match=match):
        penalty_geometry(hessian, minimizer)


def test_penalty_geometry_rejects_a_non_positive_radius():
    with pytest.raises(ValueError, match="radius"):
        penalty_geometry(np.eye(2), [1.0, 1.0], radius=0.0)


def test_coefficient_paths_draws_a_lasso_path_sorted_by_penalty():
    X, y = load_diabetes(return_X_y=True)
    alphas, coefs, _ = lasso_path(X, y - y.mean(), alphas=30)       # alphas in decreasing order
    names = load_diabetes().feature_names
    fig = coefficient_paths(alphas, coefs.T, feature_names=names)
    ax = fig.axes[0]
    lines = {line.get_label(): line for line in ax.get_lines()}
    order = np.argsort(alphas)
    for j, name in enumerate(names):
        np.testing.assert_array_equal(lines[name].get_xdata(), alphas[order])
        np.testing.assert_array_equal(lines[name].get_ydata(), coefs[j, order])
    assert ax.get_xscale() == "log"
    assert ax.get_legend() is not None
    # at the largest penalty of the path every lasso coefficient is exactly zero
    assert all(lines[name].get_ydata()[-1] == 0.0 for name in names)


def test_coefficient_paths_checks_its_input():
    with pytest.raises(ValueError, match="one row per penalty"):
        coefficient_paths([1.0, 2.0], [[1.0, 2.0]])
    with pytest.raises(ValueError, match="positive"):
        coefficient_paths([0.0, 1.0], [[1.0], [0.5]])
    with pytest.raises(ValueError, match="feature_names"):
        coefficient_paths([1.0, 2.0], [[1.0, 2.0], [0.5, 0.2]], feature_names=["a"])
    with pytest.raises(TypeError, match="feature_names"):
        coefficient_paths([1.0, 2.0], [[1.0, 2.0], [0.5, 0.2]], feature_names="ab")
    fig = coefficient_paths([0.0, 1.0], [[1.0], [0.5]], log_x=False)
    assert fig.axes[0].get_xscale() == "linear"
