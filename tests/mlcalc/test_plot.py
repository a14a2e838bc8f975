"""Tests for mlcalc.plot: the lines drawn are the lines the math says.

References are independent of the plotting code: sympy derivatives and the
two-point form of a line computed here.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
import sympy as sp
from matplotlib.figure import Figure

from mlcalc.plot import function_with_tangent, new_figure, secant_to_tangent, step_error_curve


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def line_labelled(ax, prefix: str, *, exact: bool = False):
    matches = [line for line in ax.get_lines()
               if (line.get_label() == prefix if exact else line.get_label().startswith(prefix))]
    assert len(matches) == 1, [line.get_label() for line in ax.get_lines()]
    return matches[0]


def slope_and_intercept(line) -> tuple[float, float]:
    x, y = np.asarray(line.get_xdata(), float), np.asarray(line.get_ydata(), float)
    slope, intercept = np.polyfit(x, y, 1)
    np.testing.assert_allclose(y, slope * x + intercept, atol=1e-9)  # it is a straight line
    return slope, intercept


# --- Chapter "Derivatives" ------------------------------------------------------

@pytest.mark.parametrize("expr_text, x0", [("sin(x)", 0.7), ("x**3 - 2*x", -1.2), ("exp(x/2)", 1.5)])
def test_function_with_tangent_draws_the_tangent_line(expr_text, x0):
    x = sp.symbols("x")
    expr = sp.sympify(expr_text)
    f = sp.lambdify(x, expr, "numpy")
    slope = float(sp.diff(expr, x).subs(x, x0))
    fig = function_with_tangent(f, x0, slope, interval=(x0 - 2, x0 + 2))
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    got_slope, intercept = slope_and_intercept(line_labelled(ax, "tangent"))
    np.testing.assert_allclose(got_slope, slope, rtol=1e-10)
    # The tangent touches the curve at x0: t(x0) = f(x0).
    np.testing.assert_allclose(got_slope * x0 + intercept, float(expr.subs(x, x0)), rtol=1e-10, atol=1e-12)
    curve = line_labelled(ax, "$f(x)$")
    np.testing.assert_allclose(curve.get_ydata(), f(np.asarray(curve.get_xdata())), rtol=1e-12)
    assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel() and ax.get_legend() is not None


def test_function_with_tangent_accepts_scalar_only_functions_and_given_axes():
    import math

    fig, ax = new_figure()
    returned = function_with_tangent(math.exp, 0.0, 1.0, interval=(-1, 1), ax=ax)
    assert returned is fig
    curve = line_labelled(ax, "$f(x)$")
    np.testing.assert_allclose(curve.get_ydata(), np.exp(curve.get_xdata()), rtol=1e-12)


@pytest.mark.parametrize("h", [1.0, 0.1, -0.5])
def test_secant_to_tangent_passes_through_both_points(h):
    f = lambda x: x ** 3 - x  # noqa: E731
    x0 = 0.8
    fig = secant_to_tangent(f, x0, h, 3 * x0 ** 2 - 1, interval=(-2, 2))
    ax = fig.axes[0]
    slope, intercept = slope_and_intercept(line_labelled(ax, "secant"))
    for point in (x0, x0 + h):
        np.testing.assert_allclose(slope * point + intercept, f(point), rtol=1e-10, atol=1e-12)
    tangent_slope, _ = slope_and_intercept(line_labelled(ax, "tangent"))
    np.testing.assert_allclose(tangent_slope, 3 * x0 ** 2 - 1, rtol=1e-10)


def test_secant_to_tangent_frames_share_limits():
    limits = {secant_to_tangent(np.cos, 0.5, h, -np.sin(0.5), interval=(-3, 3)).axes[0].get_ylim()
              for h in (2.0, 0.5, 0.01)}
    assert len(limits) == 1


def test_step_error_curve_marks_optima_on_log_axes():
    h = np.logspace(-14, -1, 27)
    x0 = 1.0
    forward = np.abs((np.exp(x0 + h) - np.exp(x0)) / h - np.exp(x0))
    central = np.abs((np.exp(x0 + h) - np.exp(x0 - h)) / (2 * h) - np.exp(x0))
    optima = {"forward": np.sqrt(np.finfo(float).eps), "central": np.cbrt(np.finfo(float).eps)}
    fig = step_error_curve(h, {"forward": forward, "central": central}, optimal_steps=optima)
    ax = fig.axes[0]
    assert (ax.get_xscale(), ax.get_yscale()) == ("log", "log")
    for name, best in optima.items():
        curve = line_labelled(ax, name, exact=True)
        marker = line_labelled(ax, f"{name}: $h^*")
        np.testing.assert_allclose(marker.get_xdata(), [best, best])
        assert marker.get_color() == curve.get_color()
    assert ax.get_legend() is not None


def test_step_error_curve_skips_exact_zeros():
    h = np.array([1e-3, 1e-2, 1e-1])
    fig = step_error_curve(h, {"method": [0.0, 1e-4, 1e-2]})
    y = np.asarray(line_labelled(fig.axes[0], "method").get_ydata(), float)
    assert np.isnan(y[0]) and np.all(y[1:] > 0)


@pytest.mark.parametrize("call, error, match", [
    (lambda: function_with_tangent("sin", 0.0, 1.0, interval=(-1, 1)), TypeError, "f must be callable"),
    (lambda: function_with_tangent(np.sin, 0.0, 1.0, interval=(1, -1)), ValueError, "interval"),
    (lambda: function_with_tangent(np.sin, 0.0, float("nan"), interval=(-1, 1)), ValueError, "slope"),
    (lambda: function_with_tangent(np.sin, 0.0, 1.0, interval=(-1, 1), ax="axes"), TypeError, "ax must"),
    (lambda: secant_to_tangent(np.sin, 0.0, 0.0, 1.0, interval=(-1, 1)), ValueError, "h must be non-zero"),
    (lambda: step_error_curve([1e-3, -1e-2], {"a": [1, 2]}), ValueError, "steps must all be positive"),
    (lambda: step_error_curve([1e-3, 1e-2], {}), ValueError, "errors must be"),
    (lambda: step_error_curve([1e-3, 1e-2], {"a": [1, 2, 3]}), ValueError, r"errors\['a'\]"),
    (lambda: step_error_curve([1e-3, 1e-2], {"a": [1, 2]}, optimal_steps={"b": 1e-3}), ValueError,
     r"optimal_steps\['b'\]"),
    (lambda: step_error_curve([1e-3, 1e-2], {"a": [1, 2]}, optimal_steps={"a": -1.0}), ValueError,
     "optimal_steps"),
])
def test_bad_arguments_are_named(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_function_with_tangent_curve_label():
    fig = function_with_tangent(lambda w: (w - 1.0) ** 2, 0.0, -2.0, interval=(-1, 3), curve_label="$L(w)$")
    curve = line_labelled(fig.axes[0], "$L(w)$", exact=True)
    np.testing.assert_allclose(curve.get_ydata(), (np.asarray(curve.get_xdata()) - 1.0) ** 2)
