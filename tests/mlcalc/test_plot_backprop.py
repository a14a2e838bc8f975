"""Tests for the figures of the chapter "Backpropagation and activation functions" in mlcalc.plot.

What is drawn is compared with independent references: the activation curves
with scipy.special and numpy formulas written here, their derivatives with
central differences of those formulas, the decision boundary with the line
where a logistic regression's linear score vanishes.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.collections import PathCollection
from scipy.special import expit
from sklearn.linear_model import LogisticRegression
from sklearn.svm import SVC

from mlcalc.plot import activation_panels, decision_boundary, new_figure

REFERENCES = {
    "sigmoid": expit,
    "tanh": np.tanh,
    "relu": lambda x: np.where(x > 0, x, 0.0),
    "leaky_relu": lambda x: np.where(x > 0, x, 0.01 * x),
    "softplus": lambda x: np.log1p(np.exp(x)),
}


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def curves(ax):
    """The function line and the derivative line of one panel, as (x, y) arrays."""
    function, derivative = ax.get_lines()[:2]
    return (function.get_xdata(), function.get_ydata()), (derivative.get_xdata(), derivative.get_ydata())


# --- activation_panels ------------------------------------------------------------

def test_one_panel_per_activation_by_default():
    fig = activation_panels()
    assert [ax.get_title().split(" ")[0] for ax in fig.axes] == list(REFERENCES)


@pytest.mark.parametrize("name", list(REFERENCES))
def test_curves_match_reference_functions_and_central_differences(name):
    fig = activation_panels([name], interval=(-4.0, 3.0), n_points=301)
    (x, y), (dx, dy) = curves(fig.axes[0])
    np.testing.assert_allclose(x, np.linspace(-4.0, 3.0, 301))
    np.testing.assert_allclose(y, REFERENCES[name](x), rtol=1e-12, atol=1e-14)
    shown = np.isfinite(dx)
    h = 1e-6
    reference_slope = (REFERENCES[name](dx[shown] + h) - REFERENCES[name](dx[shown] - h)) / (2 * h)
    away_from_kink = np.abs(dx[shown]) > 2 * h  # relu-like slopes are undefined at 0
    np.testing.assert_allclose(dy[shown][away_from_kink], reference_slope[away_from_kink], atol=1e-7)


def test_legend_states_the_largest_slope():
    fig = activation_panels(["sigmoid", "tanh"])
    labels = [fig.axes[k].get_lines()[1].get_label() for k in range(2)]
    # sigma'(0) = 1/4 and tanh'(0) = 1 are the maxima (0 lies on the default grid).
    assert labels == ["$f'(x)$, max 0.25", "$f'(x)$, max 1"]


@pytest.mark.parametrize("name", ["relu", "leaky_relu"])
def test_jump_of_the_derivative_is_not_drawn_as_a_vertical_line(name):
    fig = activation_panels([name], interval=(-1.0, 1.0), n_points=200)  # 0 is not a grid point
    _, (dx, dy) = curves(fig.axes[0])
    assert np.isnan(dy).sum() == 1
    gap = int(np.flatnonzero(np.isnan(dy))[0])
    assert dx[gap - 1] < 0 < dx[gap + 1]
    finite = dy[np.isfinite(dy)]
    assert np.all((finite < 0.5) | (finite == 1.0))


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "softplus"])
def test_smooth_derivatives_are_drawn_without_gaps(name):
    _, (_, dy) = curves(activation_panels([name], interval=(-8.0, 8.0)).axes[0])
    assert np.all(np.isfinite(dy))


@pytest.mark.parametrize("alpha", [0.0, 0.2, 0.5])
def test_leaky_relu_uses_the_given_alpha(alpha):
    fig = activation_panels("leaky_relu", alpha=alpha, interval=(-2.0, 2.0))
    (x, y), (dx, dy) = curves(fig.axes[0])
    negative = x < 0
    np.testing.assert_allclose(y[negative], alpha * x[negative])
    np.testing.assert_allclose(dy[np.isfinite(dy) & (dx < 0)], alpha)
    assert f"{alpha:g}" in fig.axes[0].get_title()


def test_draws_on_given_axes():
    fig, axes = new_figure(2)
    assert activation_panels(["tanh", "relu"], axes=axes) is fig
    assert [ax.get_title() for ax in axes] == ["tanh", "relu"]


@pytest.mark.parametrize("kwargs, error", [
    ({"names": ["swish"]}, ValueError),
    ({"names": []}, TypeError),
    ({"names": 3}, TypeError),
    ({"interval": (1.0, -1.0)}, ValueError),
    ({"alpha": -0.1}, ValueError),
    ({"n_points": 1}, ValueError),
])
def test_bad_arguments(kwargs, error):
    with pytest.raises(error):
        activation_panels(**kwargs)


def test_wrong_number_of_axes():
    _, axes = new_figure(2)
    with pytest.raises(ValueError, match="one Axes per name"):
        activation_panels(["tanh"], axes=axes)


# --- decision_boundary ------------------------------------------------------------

@pytest.fixture()
def two_blobs():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal([-1.0, 0.0], 0.6, (40, 2)), rng.normal([1.0, 1.0], 0.6, (40, 2))])
    y = np.repeat([0, 1], 40)
    return X, y


def test_boundary_of_logistic_regression_is_its_zero_score_line(two_blobs):
    X, y = two_blobs
    model = LogisticRegression().fit(X, y)
    fig = decision_boundary(model, X, y, resolution=300)
    ax = fig.axes[0]
    boundary = [c for c in ax.collections if hasattr(c, "levels") and list(c.levels) == [0.5]]
    assert len(boundary) == 1
    vertices = np.vstack([p.vertices for p in boundary[0].get_paths()])
    assert len(vertices) > 10
    # P(y = 1 | x) = 1/2 exactly where w . x + b = 0.
    w, b = model.coef_[0], model.intercept_[0]
    distance = np.abs(vertices @ w + b) / np.linalg.norm(w)
    assert distance.max() < 0.02


def test_data_points_are_drawn_per_class(two_blobs):
    X, y = two_blobs
    ax = decision_boundary(LogisticRegression().fit(X, y), X, y).axes[0]
    scatters = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert len(scatters) == 2
    np.testing.assert_allclose(np.vstack([s.get_offsets() for s in scatters]), np.vstack([X[y == 0], X[y == 1]]))
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["class 0", "class 1"]
    lo, hi = X.min(axis=0) - 0.5, X.max(axis=0) + 0.5
    np.testing.assert_allclose([*ax.get_xlim(), *ax.get_ylim()], [lo[0], hi[0], lo[1], hi[1]])


def test_multiclass_uses_predicted_classes():
    rng = np.random.default_rng(1)
    centres = np.array([[0.0, 0.0], [3.0, 0.0], [0.0, 3.0]])
    X = np.vstack([rng.normal(c, 0.4, (20, 2)) for c in centres])
    y = np.repeat([0, 1, 2], 20)
    model = SVC(kernel="linear").fit(X, y)  # no predict_proba
    fig = decision_boundary(model, X, y, resolution=50)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["class 0", "class 1", "class 2"]
    assert len(fig.axes) == 1  # no probability colour bar


def test_bad_inputs(two_blobs):
    X, y = two_blobs
    model = LogisticRegression().fit(X, y)
    with pytest.raises(TypeError, match="predict"):
        decision_boundary(object(), X, y)
    with pytest.raises(ValueError, match="two columns"):
        decision_boundary(model, np.hstack([X, X]), y)
    with pytest.raises(ValueError, match="one label per row"):
        decision_boundary(model, X, y[:-1])
    with pytest.raises(ValueError):
        decision_boundary(model, X, y, resolution=1)
