"""Tests for the figures of the chapter "Gradient descent" in mlcalc.plot.

What is drawn is checked against independent references: the paths against
iterates computed here by a plain loop, the contour levels against quantiles
of the loss evaluated point by point, the loss curves against the losses of
those iterates.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from mlcalc.optim import gradient_descent, sgd
from mlcalc.plot import descent_path_on_contours, loss_curves

A = np.array([[3.0, 1.0], [1.0, 2.0]])


def quadratic(x):
    return 0.5 * x @ A @ x


def quadratic_grad(x):
    return A @ x


def plain_iterates(x0, learning_rate, steps):
    """x_{k+1} = x_k - eta * A x_k, written out independently of mlcalc.optim."""
    points = [np.asarray(x0, dtype=float)]
    for _ in range(steps):
        points.append(points[-1] - learning_rate * (A @ points[-1]))
    return np.array(points)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def labelled_lines(ax):
    return {line.get_label(): line for line in ax.get_lines() if not line.get_label().startswith("_")}


# --- descent_path_on_contours ----------------------------------------------------

def test_paths_are_the_iterates_of_gradient_descent():
    runs = {rate: gradient_descent(quadratic, quadratic_grad, [2.0, -1.5], learning_rate=rate, max_iter=25, tol=0)
            for rate in (0.1, 0.4)}
    fig = descent_path_on_contours(quadratic, {f"eta={r}": res for r, res in runs.items()},
                                   xlim=(-3, 3), ylim=(-2, 2), minimum=(0, 0))
    ax = fig.axes[0]
    lines = labelled_lines(ax)
    assert set(lines) == {"eta=0.1", "eta=0.4", "minimum"}
    for rate in runs:
        expected = plain_iterates([2.0, -1.5], rate, 25)
        line = lines[f"eta={rate}"]
        np.testing.assert_allclose(np.column_stack([line.get_xdata(), line.get_ydata()]), expected, rtol=1e-12)
    np.testing.assert_allclose([lines["minimum"].get_xdata()[0], lines["minimum"].get_ydata()[0]], [0, 0])
    assert ax.get_xlim() == (-3.0, 3.0) and ax.get_ylim() == (-2.0, 2.0)
    assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel() and ax.get_legend() is not None


def test_accepts_plain_arrays_and_histories():
    points = plain_iterates([1.0, 1.0], 0.2, 5)
    res = gradient_descent(quadratic, quadratic_grad, [1.0, 1.0], learning_rate=0.2, max_iter=5, tol=0)
    for path in (points, points.tolist(), res.history, res):  # one OptimizeResult is one path, not a mapping
        fig = descent_path_on_contours(quadratic, path, xlim=(-2, 2), ylim=(-2, 2))
        line = fig.axes[0].get_lines()[0]
        np.testing.assert_allclose(line.get_xdata(), points[:, 0], rtol=1e-12)
        plt.close(fig)


def test_default_levels_are_quantiles_of_the_loss_on_the_grid():
    n_grid, n_levels = 41, 7
    fig = descent_path_on_contours(quadratic, plain_iterates([1, 1], 0.1, 3), xlim=(-2, 2), ylim=(-1, 3),
                                   levels=n_levels, n_grid=n_grid)
    xs, ys = np.linspace(-2, 2, n_grid), np.linspace(-1, 3, n_grid)
    values = np.array([quadratic(np.array([x, y])) for y in ys for x in xs])
    expected = np.quantile(values, np.linspace(0, 1, n_levels + 2)[1:-1])
    contour_set = fig.axes[0].collections[0]
    np.testing.assert_allclose(contour_set.levels, expected, rtol=1e-10)


def test_explicit_levels_are_used():
    fig = descent_path_on_contours(quadratic, plain_iterates([1, 1], 0.1, 3), xlim=(-2, 2), ylim=(-2, 2),
                                   levels=[0.5, 1.0, 2.0])
    np.testing.assert_allclose(fig.axes[0].collections[0].levels, [0.5, 1.0, 2.0])


def test_a_function_that_broadcasts_wrongly_is_evaluated_point_by_point():
    calls = {"stacked": 0}

    def sneaky(x):
        # Right shape, wrong values for the stacked grid: must not be trusted.
        if x.ndim > 1:
            calls["stacked"] += 1
            return np.zeros(x.shape[1:])
        return float(x[0] ** 2 + 4 * x[1] ** 2)

    fig = descent_path_on_contours(sneaky, np.zeros((1, 2)), xlim=(-1, 1), ylim=(-1, 1), levels=[0.5, 1.0],
                                   n_grid=21)
    assert calls["stacked"] == 1
    contour_set = fig.axes[0].collections[0]
    # The level 1.0 contour of x^2 + 4y^2 is an ellipse through (1, 0) and (0, 0.5).
    vertices = np.vstack([path.vertices for path in contour_set.get_paths()[1:]])
    radius = vertices[:, 0] ** 2 + 4 * vertices[:, 1] ** 2
    np.testing.assert_allclose(radius, 1.0, rtol=0.05)


def test_a_diverged_path_is_drawn_up_to_its_last_finite_iterate():
    path = np.array([[1.0, 1.0], [-3.0, 2.0], [9.0, -4.0], [np.inf, np.nan]])
    fig = descent_path_on_contours(quadratic, {"diverged": path}, xlim=(-2, 2), ylim=(-2, 2))
    line = labelled_lines(fig.axes[0])["diverged"]
    np.testing.assert_allclose(line.get_xdata(), [1.0, -3.0, 9.0])


@pytest.mark.parametrize("paths, error", [
    (np.zeros((3, 3)), ValueError),
    (np.zeros(4), ValueError),
    ({}, ValueError),
    ("path", TypeError),
    (np.array([[np.nan, 0.0]]), ValueError),
])
def test_bad_paths_raise(paths, error):
    with pytest.raises(error, match="paths"):
        descent_path_on_contours(quadratic, paths, xlim=(-1, 1), ylim=(-1, 1))


def test_bad_limits_and_function_raise():
    with pytest.raises(ValueError):
        descent_path_on_contours(quadratic, np.zeros((1, 2)), xlim=(1, -1), ylim=(-1, 1))
    with pytest.raises(TypeError, match="fun"):
        descent_path_on_contours("not a function", np.zeros((1, 2)), xlim=(-1, 1), ylim=(-1, 1))
    with pytest.raises(ValueError, match="minimum"):
        descent_path_on_contours(quadratic, np.zeros((1, 2)), xlim=(-1, 1), ylim=(-1, 1), minimum=(0, 0, 0))


# --- loss_curves -------------------------------------------------------------------

def test_loss_curves_show_the_excess_loss_of_each_run():
    rates = (0.05, 0.3)
    runs = {f"eta={r}": gradient_descent(quadratic, quadratic_grad, [2.0, -1.5], learning_rate=r, max_iter=30, tol=0)
            for r in rates}
    fig = loss_curves(runs, minimum=0.0)
    ax = fig.axes[0]
    lines = labelled_lines(ax)
    for rate in rates:
        expected = np.array([quadratic(x) for x in plain_iterates([2.0, -1.5], rate, 30)])
        line = lines[f"eta={rate}"]
        np.testing.assert_allclose(line.get_ydata(), expected, rtol=1e-10)
        np.testing.assert_array_equal(line.get_xdata(), np.arange(31))
    assert ax.get_yscale() == "log" and ax.get_legend() is not None
    assert "f^*" in ax.get_ylabel()


def test_loss_curves_subtract_the_minimum_and_hide_nonpositive_values_on_a_log_axis():
    fig = loss_curves({"a": [5.0, 3.0, 2.0, 2.0], "b": [4.0, 2.5, 2.25, np.inf]}, minimum=2.0)
    lines = labelled_lines(fig.axes[0])
    np.testing.assert_array_equal(lines["a"].get_ydata(), [3.0, 1.0, np.nan, np.nan])
    np.testing.assert_array_equal(lines["b"].get_ydata(), [2.0, 0.5, 0.25, np.nan])
    plt.close(fig)
    fig = loss_curves({"a": [5.0, 3.0, 2.0]}, minimum=2.0, log_scale=False)
    np.testing.assert_array_equal(fig.axes[0].get_lines()[0].get_ydata(), [3.0, 1.0, 0.0])
    assert fig.axes[0].get_yscale() == "linear"


def test_loss_curves_per_epoch_or_per_update_for_sgd():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(60, 2))
    y = X @ np.array([1.0, -2.0])
    loss = lambda w, X, y: float(np.mean((X @ w - y) ** 2))
    grad = lambda w, X, y: 2 * X.T @ (X @ w - y) / len(y)
    res = sgd(loss, grad, np.zeros(2), (X, y), learning_rate=0.05, batch_size=20, epochs=4,
              rng=np.random.default_rng(0))
    by_epoch = loss_curves({"sgd": res, "other": [1.0, 0.5]})
    np.testing.assert_array_equal(labelled_lines(by_epoch.axes[0])["sgd"].get_xdata(), np.arange(5))
    by_update = loss_curves({"sgd": res}, x_values="iteration")
    np.testing.assert_array_equal(by_update.axes[0].get_lines()[0].get_xdata(), [0, 3, 6, 9, 12])
    assert by_update.axes[0].get_xlabel() == "parameter updates"


def test_loss_curves_bad_input_raises():
    with pytest.raises(TypeError, match="runs"):
        loss_curves([1.0, 2.0])
    with pytest.raises(TypeError, match="runs"):
        loss_curves({"a": "loss"})
    with pytest.raises(ValueError, match="x_values"):
        loss_curves({"a": [1.0]}, x_values="epoch")
