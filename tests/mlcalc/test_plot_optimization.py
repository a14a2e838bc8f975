"""Tests for the figures of the chapter "Optimization" in mlcalc.plot.

The constraint curve is checked against the constraint itself (its vertices
satisfy g = 0), the arrows against gradients written out by hand, and the
angle in the legend against numpy's arccos of the normalised gradients.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.patches import FancyArrow

from mlcalc.plot import constraint_geometry


def f(p):
    return p[0] ** 2 + 2 * p[1] ** 2


def f_grad(p):
    return np.array([2 * p[0], 4 * p[1]])


def g(p):
    return p[0] + p[1] - 1


G_GRAD = np.array([1.0, 1.0])


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def arrows(ax):
    return {patch.get_label(): patch for patch in ax.patches if isinstance(patch, FancyArrow)}


def arrow_direction(patch, base):
    """Unit vector from the base to the tip (the polygon vertex farthest from the base)."""
    xy = patch.get_xy()
    tip = xy[np.argmax(np.hypot(*(xy - base).T))]
    return (tip - base) / np.hypot(*(tip - base))


def test_constraint_curve_satisfies_the_constraint():
    fig = constraint_geometry(f, g, xlim=(-1, 2), ylim=(-1, 2))
    ax = fig.axes[0]
    curve = ax.collections[-1]  # the constraint is drawn after the level sets
    vertices = np.vstack([path.vertices for path in curve.get_paths() if len(path.vertices)])
    assert vertices.shape[0] > 10
    np.testing.assert_allclose(vertices.sum(axis=1), 1.0, atol=1e-9)
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert "constraint $g = 0$" in labels


@pytest.mark.parametrize("point", [(1.0, 0.0), (0.2, 0.8), (-0.5, 1.5)])
def test_arrows_point_along_the_gradients_and_the_angle_is_right(point):
    p = np.array(point)
    fig = constraint_geometry(f, g, xlim=(-1, 2), ylim=(-1, 2), point=p)
    found = arrows(fig.axes[0])
    assert len(found) == 2
    grad_f = f_grad(p)
    expected_angle = np.degrees(np.arccos(grad_f @ G_GRAD / (np.linalg.norm(grad_f) * np.linalg.norm(G_GRAD))))
    label_f = "$\\nabla f$"
    label_g = f"$\\nabla g$, angle to $\\nabla f$: {expected_angle:.0f}°"
    assert set(found) == {label_f, label_g}
    np.testing.assert_allclose(arrow_direction(found[label_f], p), grad_f / np.linalg.norm(grad_f), atol=1e-6)
    np.testing.assert_allclose(arrow_direction(found[label_g], p), G_GRAD / np.sqrt(2), atol=1e-6)


def test_explicit_gradients_are_used():
    fig = constraint_geometry(f, g, xlim=(-1, 2), ylim=(-1, 2), point=(1.0, 0.0),
                              grad=lambda p: np.array([0.0, 1.0]), constraint_grad=lambda p: np.array([0.0, -2.0]))
    labels = set(arrows(fig.axes[0]))
    assert "$\\nabla g$, angle to $\\nabla f$: 180°" in labels


def test_angle_is_zero_at_the_lagrange_point():
    # min f on x + y = 1: grad f = (2x, 4y) parallel to (1, 1) gives x = 2y, so (2/3, 1/3).
    fig = constraint_geometry(f, g, xlim=(-1, 2), ylim=(-1, 2), point=(2 / 3, 1 / 3), optimum=(2 / 3, 1 / 3))
    ax = fig.axes[0]
    assert "$\\nabla g$, angle to $\\nabla f$: 0°" in arrows(ax)
    star = [line for line in ax.get_lines() if line.get_label() == "constrained minimum"]
    assert len(star) == 1 and np.allclose(star[0].get_xydata(), [[2 / 3, 1 / 3]])


def test_feasible_region_is_shaded_on_the_right_side():
    fig = constraint_geometry(f, g, xlim=(-1, 2), ylim=(-1, 2), feasible_side="le")
    ax = fig.axes[0]
    shading = ax.collections[0]
    inside = np.vstack([path.vertices for path in shading.get_paths() if len(path.vertices)])
    assert np.all(inside.sum(axis=1) <= 1 + 1e-9)  # every shaded vertex satisfies g <= 0
    assert "feasible set $g \\leq 0$" in [text.get_text() for text in ax.get_legend().get_texts()]


@pytest.mark.parametrize("kwargs, error", [
    ({"feasible_side": "ge"}, ValueError),
    ({"point": (1.0, 2.0, 3.0)}, ValueError),
    ({"xlim": (2, 1)}, ValueError),
    ({"grad": "not callable", "point": (0.0, 0.0)}, TypeError),
])
def test_bad_arguments(kwargs, error):
    options = {"xlim": (-1, 2), "ylim": (-1, 2)} | kwargs
    with pytest.raises(error):
        constraint_geometry(f, g, **options)


def test_constraint_outside_the_rectangle_is_reported():
    with pytest.raises(ValueError, match="does not cross"):
        constraint_geometry(f, lambda p: p[0] + p[1] - 10, xlim=(-1, 1), ylim=(-1, 1))
    with pytest.raises(TypeError, match="constraint"):
        constraint_geometry(f, 3.0, xlim=(-1, 1), ylim=(-1, 1))
