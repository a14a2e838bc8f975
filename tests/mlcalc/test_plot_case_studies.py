"""Tests for the figures of the chapter "Case studies: linear regression, logistic regression and SVMs".

``margin_losses`` is checked against the loss formulas written out here
(scipy's ``log1p`` for the logistic loss); ``svm_margins`` against
scikit-learn's ``SVC``: the drawn contour lines must be where its
``decision_function`` is 0 and +-1, and the default support vectors (points
with y f(x) <= 1) must be exactly the ones its dual solver reports.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from sklearn.datasets import make_blobs, make_moons
from sklearn.svm import SVC

from mlcalc.models import LinearSVC
from mlcalc.plot import margin_losses, svm_margins


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def lines_by_label(ax):
    return {line.get_label(): line for line in ax.get_lines()}


def test_margin_losses_match_their_formulas():
    fig = margin_losses(interval=(-3.0, 4.0), n_points=301)
    lines = lines_by_label(fig.axes[0])
    hinge = lines["hinge $\\max(0, 1 - t)$"]
    t = np.asarray(hinge.get_xdata())
    np.testing.assert_allclose(hinge.get_ydata(), [max(0.0, 1.0 - v) for v in t], atol=1e-15)
    logistic = lines["logistic $\\log_2(1 + e^{-t})$"]
    np.testing.assert_allclose(logistic.get_ydata(), np.log1p(np.exp(-t)) / np.log(2), rtol=1e-12)
    zero_one = lines["0-1 loss $[t \\leq 0]$"]
    zt, zl = np.asarray(zero_one.get_xdata()), np.asarray(zero_one.get_ydata())
    drawn = ~np.isnan(zt)
    assert np.isnan(zt).sum() == 1  # one break at the jump, no vertical segment
    np.testing.assert_array_equal(zl[drawn], (zt[drawn] <= 0).astype(float))
    # both surrogates bound the 0-1 loss from above and equal 1 at t = 0
    assert np.all(hinge.get_ydata() >= (t <= 0)) and np.all(logistic.get_ydata() >= (t <= 0))
    assert logistic.get_ydata()[np.argmin(np.abs(t))] == pytest.approx(1.0, abs=0.02)


def test_margin_losses_rejects_a_bad_interval():
    with pytest.raises(ValueError, match="interval"):
        margin_losses(interval=(1.0, -1.0))


@pytest.fixture(scope="module")
def moons():
    X, y = make_moons(80, noise=0.2, random_state=1)
    return X, y, SVC(kernel="rbf", C=1.0, gamma=1.0, tol=1e-8).fit(X, y)


def contour_vertices(ax, linestyle):
    """Vertices of the line contours (not the filled ones) drawn solid or dashed."""
    from matplotlib.contour import ContourSet

    found = []
    for collection in ax.collections:
        if isinstance(collection, ContourSet) and not collection.filled:
            dashed = collection.get_linestyles()[0][1] is not None
            if dashed == (linestyle == "dashed"):
                found.extend(p.vertices for p in collection.get_paths() if len(p.vertices))
    return np.vstack(found)


def test_contours_are_the_zero_and_unit_level_sets_of_the_decision_function(moons):
    X, y, model = moons
    fig = svm_margins(model, X, y, support=model.support_, resolution=300)
    ax = fig.axes[0]
    grid_step = (X.max(axis=0) - X.min(axis=0) + 1.0).max() / 299
    boundary = model.decision_function(contour_vertices(ax, "solid"))
    margins = model.decision_function(contour_vertices(ax, "dashed"))
    assert np.max(np.abs(boundary)) < 5 * grid_step          # linear interpolation error on the grid
    assert np.max(np.abs(np.abs(margins) - 1.0)) < 5 * grid_step
    assert np.any(margins > 0) and np.any(margins < 0)       # both margins are drawn


def test_default_support_vectors_are_those_of_the_dual_solver(moons):
    X, y, model = moons
    fig = svm_margins(model, X, y)
    circles = fig.axes[0].collections[-1]
    drawn = {tuple(p) for p in np.round(circles.get_offsets(), 12)}
    expected = {tuple(p) for p in np.round(X[model.support_], 12)}
    assert drawn == expected
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels[-1] == f"support vectors ({len(model.support_)})"


def test_linear_model_reports_the_margin_width():
    X, y = make_blobs(60, centers=[[-2, -2], [2, 2]], cluster_std=1.0, random_state=0)
    reference = SVC(kernel="linear", C=1.0, tol=1e-10).fit(X, y)
    ours = LinearSVC(C=1.0, max_iter=3000).fit(X, y)
    for model in (reference, ours):
        fig = svm_margins(model, X, y)
        labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
        width = 2.0 / np.linalg.norm(np.ravel(model.coef_))
        assert f"width $2/\\|w\\|$ = {width:.3g}" in labels[1]
        plt.close(fig)


def test_support_as_a_mask_and_bad_arguments(moons):
    X, y, model = moons
    mask = np.zeros(len(y), dtype=bool)
    mask[:3] = True
    fig = svm_margins(model, X, y, support=mask)
    assert len(fig.axes[0].collections[-1].get_offsets()) == 3
    with pytest.raises(TypeError, match="decision_function"):
        svm_margins(object(), X, y)
    with pytest.raises(ValueError, match="two columns"):
        svm_margins(model, np.c_[X, X], y)
    with pytest.raises(ValueError, match="exactly two classes"):
        svm_margins(model, X, np.arange(len(y)) % 3)
    with pytest.raises(ValueError, match="outside"):
        svm_margins(model, X, y, support=[0, len(y)])
    with pytest.raises(ValueError, match="mask"):
        svm_margins(model, X, y, support=mask[:-1])
