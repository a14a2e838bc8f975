"""Tests for the figures of the chapter "Multivariable and matrix calculus" in mlcalc.plot.

What is drawn is compared with independent references: the slices and the
tangent slopes with sympy's function and partial derivatives, the arrows with
sympy's gradient, the highlighted contour with the function value at the point.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
import sympy as sp
from matplotlib.contour import ContourSet
from matplotlib.patches import FancyArrow
from matplotlib.quiver import Quiver

from mlcalc.plot import contour_with_gradients, new_figure, surface_with_slices

x_sym, y_sym = sp.symbols("x y", real=True)
EXPR = x_sym * sp.exp(-x_sym**2 - y_sym**2) + (x_sym**2 + y_sym**2) / 20
F_XY = sp.lambdify((x_sym, y_sym), EXPR, "numpy")
GRAD_XY = sp.lambdify((x_sym, y_sym), [sp.diff(EXPR, x_sym), sp.diff(EXPR, y_sym)], "numpy")


def f(p):
    return F_XY(p[0], p[1])


def grad(p):
    return np.array(GRAD_XY(p[0], p[1]), dtype=float)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def labelled(ax):
    return {line.get_label(): line for line in ax.get_lines() if not line.get_label().startswith("_")}


# --- surface_with_slices -----------------------------------------------------------

@pytest.mark.parametrize("point", [(-0.5, 0.5), (1.0, -0.25), (0.0, 0.0)])
def test_slices_follow_the_function_and_tangents_have_the_partial_derivatives(point):
    x0, y0 = point
    fig = surface_with_slices(f, point, xlim=(-2, 2), ylim=(-1.5, 1.5), tangent_length=0.8)
    ax = fig.axes[0]
    lines = list(labelled(ax).values())
    slice_y, slice_x, tangent_x, tangent_y = lines
    xs, ys, zs = slice_y.get_data_3d()
    np.testing.assert_allclose(ys, y0)
    np.testing.assert_allclose(zs, F_XY(xs, y0), rtol=1e-12, atol=1e-14)
    assert xs.min() == -2 and xs.max() == 2
    xs, ys, zs = slice_x.get_data_3d()
    np.testing.assert_allclose(xs, x0)
    np.testing.assert_allclose(zs, F_XY(x0, ys), rtol=1e-12, atol=1e-14)
    expected = GRAD_XY(x0, y0)
    for line, axis, slope in ((tangent_x, 0, expected[0]), (tangent_y, 1, expected[1])):
        coords = line.get_data_3d()
        run = coords[axis][-1] - coords[axis][0]
        assert run == pytest.approx(0.8)
        assert (coords[2][-1] - coords[2][0]) / run == pytest.approx(slope, rel=1e-7, abs=1e-9)
        # The tangent passes through (x0, y0, f(x0, y0)) at its midpoint.
        assert np.mean(coords[2]) == pytest.approx(F_XY(x0, y0), rel=1e-12, abs=1e-14)
        assert np.mean(coords[axis]) == pytest.approx(point[axis])
    assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel() and ax.get_zlabel() and ax.get_legend() is not None


def test_given_partials_are_drawn_as_given():
    fig = surface_with_slices(f, (0.5, 0.5), xlim=(-1, 1), ylim=(-1, 1), partials=(2.0, -3.0), tangent_length=1.0)
    tangent_x, tangent_y = list(labelled(fig.axes[0]).values())[2:]
    assert np.ptp(tangent_x.get_data_3d()[2]) == pytest.approx(2.0)
    assert tangent_y.get_data_3d()[2][-1] - tangent_y.get_data_3d()[2][0] == pytest.approx(-3.0)
    assert "2" in tangent_x.get_label() and "-3" in tangent_y.get_label()


def test_surface_draws_on_given_3d_axes_and_rejects_flat_axes():
    fig, ax = new_figure(projection="3d")
    assert surface_with_slices(f, (0, 0), xlim=(-1, 1), ylim=(-1, 1), ax=ax) is fig
    _, flat = new_figure()
    with pytest.raises(TypeError, match="3-D"):
        surface_with_slices(f, (0, 0), xlim=(-1, 1), ylim=(-1, 1), ax=flat)


@pytest.mark.parametrize("kwargs, error, message", [
    ({"point": (3.0, 0.0)}, ValueError, "inside"),
    ({"point": (0.0, 0.0, 0.0)}, ValueError, "shape"),
    ({"point": (0.0, 0.0), "partials": (1.0,)}, ValueError, "partials"),
    ({"point": (0.0, 0.0), "tangent_length": -1.0}, ValueError, "tangent_length"),
    ({"point": (0.0, 0.0), "xlim": (1, -1)}, ValueError, "xlim"),
])
def test_surface_rejects_bad_arguments(kwargs, error, message):
    arguments = {"xlim": (-1, 1), "ylim": (-1, 1)} | kwargs
    with pytest.raises(error, match=message):
        surface_with_slices(f, **arguments)


def test_surface_rejects_a_non_callable():
    with pytest.raises(TypeError, match="f must be callable"):
        surface_with_slices(3.0, (0, 0), xlim=(-1, 1), ylim=(-1, 1))


# --- contour_with_gradients --------------------------------------------------------

def quiver_of(ax):
    (quiver,) = [c for c in ax.collections if isinstance(c, Quiver)]
    return quiver


@pytest.mark.parametrize("given_grad", [grad, None])
def test_arrows_are_the_gradient_at_their_base_points(given_grad):
    fig = contour_with_gradients(f, xlim=(-2, 2), ylim=(-1, 1), grad=given_grad, n_arrows=8)
    quiver = quiver_of(fig.axes[0])
    assert quiver.N == 64
    expected = np.array(GRAD_XY(quiver.X, quiver.Y))
    np.testing.assert_allclose(quiver.U, expected[0], rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(quiver.V, expected[1], rtol=1e-6, atol=1e-9)
    # Base points: cell centres of an 8 x 8 grid over the rectangle.
    np.testing.assert_allclose(np.unique(quiver.X), -2 + 4 * (np.arange(8) + 0.5) / 8)
    np.testing.assert_allclose(np.unique(quiver.Y), -1 + 2 * (np.arange(8) + 0.5) / 8)
    # The longest arrow is 0.9 grid spacings (the smaller side, 2, over 8 arrows).
    longest = np.max(np.hypot(expected[0], expected[1]))
    assert longest / quiver.scale == pytest.approx(0.9 * 2 / 8, rel=1e-6)


def test_highlighted_point_has_its_contour_gradient_and_directional_derivative():
    point, direction = np.array([-0.5, 0.5]), np.array([3.0, 4.0])
    fig = contour_with_gradients(f, xlim=(-2, 2), ylim=(-2, 2), grad=grad, point=point, direction=direction)
    ax = fig.axes[0]
    contour_sets = [c for c in ax.collections if isinstance(c, ContourSet)]
    assert len(contour_sets) == 2
    np.testing.assert_allclose(contour_sets[-1].levels, [F_XY(*point)], rtol=1e-12)
    arrows = {patch.get_label().split(",")[0]: patch for patch in ax.patches if isinstance(patch, FancyArrow)}
    assert set(arrows) == {"gradient $\\nabla f$", "direction $u$"}
    g = np.array(GRAD_XY(*point))
    u = direction / 5.0
    assert f"{g @ u:.3g}" in arrows["direction $u$"].get_label()
    assert f"{np.hypot(*g):.3g}" in arrows["gradient $\\nabla f$"].get_label()
    for name, vector in (("gradient $\\nabla f$", g / np.hypot(*g)), ("direction $u$", u)):
        vertices = arrows[name].get_xy()
        tip = vertices[np.argmax(vertices @ vector)]
        np.testing.assert_allclose(tip, point + 0.25 * 4 * vector, atol=1e-9)
    assert ax.get_legend() is not None and ax.get_title() and ax.get_xlabel() and ax.get_ylabel()


def test_explicit_levels_and_no_field():
    fig = contour_with_gradients(f, xlim=(-1, 1), ylim=(-1, 1), grad=grad, n_arrows=0, levels=[-0.2, 0.0, 0.2])
    ax = fig.axes[0]
    assert not [c for c in ax.collections if isinstance(c, Quiver)]
    (contours,) = [c for c in ax.collections if isinstance(c, ContourSet)]
    np.testing.assert_allclose(contours.levels, [-0.2, 0.0, 0.2])
    assert ax.get_legend() is None


@pytest.mark.parametrize("kwargs, error, message", [
    ({"direction": (1.0, 0.0)}, ValueError, "point"),
    ({"point": (0.0, 0.0), "direction": (0.0, 0.0)}, ValueError, "non-zero"),
    ({"point": (0.0, 0.0, 1.0)}, ValueError, "point"),
    ({"grad": lambda p: np.zeros(3)}, ValueError, "shape"),
    ({"grad": "gradient"}, TypeError, "grad must be callable"),
    ({"n_arrows": -1}, ValueError, "n_arrows"),
    ({"ylim": (1, 1)}, ValueError, "ylim"),
])
def test_contours_reject_bad_arguments(kwargs, error, message):
    arguments = {"xlim": (-1, 1), "ylim": (-1, 1), "grad": grad} | kwargs
    with pytest.raises(error, match=message):
        contour_with_gradients(f, **arguments)
