"""Tests of mlcalc.limits against sympy.limit, mpmath and closed-form epsilon-delta answers."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from mlcalc.limits import ApproachTable, LimitEstimate, approach_table, epsilon_delta, estimate_limit, one_sided_limit

x = sp.Symbol("x", real=True)

# (expression, point) pairs whose one-sided limits sympy computes; the numeric
# estimate must agree with sympy on each side, finite or infinite.
SIDED_CASES = [
    (sp.sin(x) / x, 0),
    ((x**2 - 1) / (x - 1), 1),
    ((sp.exp(x) - 1) / x, 0),
    ((sp.sqrt(1 + x) - 1) / x, 0),
    (sp.tan(x) / x, 0),
    ((1 + x) ** (1 / x), 0),
    (x * sp.sin(1 / x), 0),
    (x**2 * sp.cos(1 / x), 0),
    (sp.sign(x), 0),
    (sp.floor(x), 1),
    (sp.atan(1 / x), 0),
    (1 / x, 0),
    (1 / x**2, 0),
    (-1 / x**2, 0),
    (sp.log(sp.Abs(x)), 0),
    (sp.exp(-1 / x), 0),
    (sp.tan(x), sp.pi / 2),
    (sp.cos(x), 2),
]


def _numeric(expr):
    return sp.lambdify(x, expr, modules="numpy")


def _sympy_limit(expr, point, direction) -> float:
    return float(sp.limit(expr, x, point, dir=direction))


def _assert_matches(estimate: float, reference: float) -> None:
    if math.isinf(reference):
        assert estimate == reference
    else:
        assert estimate == pytest.approx(reference, rel=1e-5, abs=1e-5)


@pytest.mark.parametrize("expr, point", SIDED_CASES, ids=[f"{e} at {p}" for e, p in SIDED_CASES])
@pytest.mark.parametrize("side, direction", [("left", "-"), ("right", "+")])
def test_one_sided_limit_matches_sympy(expr, point, side, direction):
    reference = _sympy_limit(expr, point, direction)
    result = one_sided_limit(_numeric(expr), float(point), side)
    _assert_matches(result.value, reference)
    assert result.exists is math.isfinite(reference)
    assert result.side == side
    assert getattr(result, side) == result.value or math.isnan(result.value)


@pytest.mark.parametrize("expr, point", SIDED_CASES, ids=[f"{e} at {p}" for e, p in SIDED_CASES])
def test_estimate_limit_matches_sympy_from_both_sides(expr, point):
    left, right = _sympy_limit(expr, point, "-"), _sympy_limit(expr, point, "+")
    result = estimate_limit(_numeric(expr), float(point))
    _assert_matches(result.left, left)
    _assert_matches(result.right, right)
    if left == right:
        _assert_matches(result.value, left)
        assert result.kind == ("finite" if math.isfinite(left) else "infinite")
    else:
        # No two-sided limit: the estimate must say so, not return a number.
        assert math.isnan(result.value)
        assert result.kind == ("jump" if math.isfinite(left) and math.isfinite(right) else "unbounded")
    assert result.exists is (left == right and math.isfinite(left))
    assert isinstance(result.exists, bool)


def test_jump_reports_both_sides_and_no_value():
    result = estimate_limit(math.floor, 2.0)
    assert (result.kind, result.left, result.right, result.exists) == ("jump", 1.0, 2.0, False)
    assert math.isnan(result.value)
    assert "differ" in result.reason


@pytest.mark.parametrize("expr", [sp.sin(1 / x), sp.cos(1 / x) + 2, sp.sin(1 / x**2), sp.sin(1 / x) / 1000])
def test_oscillation_is_reported_not_averaged(expr):
    for direction in "+-":  # sympy agrees there is no limit: it returns the bounds of the oscillation
        assert isinstance(sp.limit(expr, x, 0, dir=direction), sp.AccumBounds)
    result = estimate_limit(_numeric(expr), 0.0)
    assert result.kind == "oscillating"
    assert math.isnan(result.value) and result.exists is False
    assert "oscillat" in result.reason


def test_function_defined_on_one_side_uses_that_side():
    result = estimate_limit(math.sqrt, 0.0)
    assert math.isnan(result.left)
    assert result.value == pytest.approx(float(sp.limit(sp.sqrt(x), x, 0, dir="+")), abs=1e-6)
    assert "undefined on the left" in result.reason


def test_undefined_everywhere_is_reported():
    result = estimate_limit(lambda t: math.sqrt(-1 - t * t), 0.0)
    assert result.kind == "undefined" and result.exists is False


# --- the floating-point trap ------------------------------------------------------------------

def naive(t: float) -> float:
    return (1 - math.cos(t)) / t**2


def stable(t: float) -> float:
    return 2 * math.sin(t / 2) ** 2 / t**2


def _reference(t: float) -> float:
    with mpmath.workdps(50):
        value = (1 - mpmath.cos(mpmath.mpf(t))) / mpmath.mpf(t) ** 2
    return float(value)


def test_naive_formula_loses_all_digits_and_stable_rewrite_keeps_them():
    points = np.logspace(-10, 0, 41)
    naive_error = np.array([abs(naive(t) - _reference(t)) / _reference(t) for t in points])
    stable_error = np.array([abs(stable(t) - _reference(t)) / _reference(t) for t in points])
    assert np.all(stable_error < 1e-14)
    assert naive_error[points < 1e-8].min() > 0.5  # 1 - cos(t) rounds to 0 or to one ulp of 1
    # The error of the naive formula grows like eps / t^2 (the relative error of 1 - cos t).
    mid = (points > 1e-7) & (points < 1e-3)
    slope = np.polyfit(np.log10(points[mid]), np.log10(np.maximum(naive_error[mid], 1e-17)), 1)[0]
    assert -2.6 < slope < -1.4


def test_approach_table_shows_the_trap_and_estimate_limit_refuses_a_number():
    table = approach_table(naive, 0.0, side="right", steps=9)
    assert table.right[-1] == 0.0  # at h = 1e-9 the computed value is 0, the limit is 1/2
    assert approach_table(stable, 0.0, side="right", steps=9).right[-1] == pytest.approx(0.5, rel=1e-15)
    verdict = estimate_limit(naive, 0.0)
    assert verdict.kind == "unsettled" and math.isnan(verdict.value)
    assert "rounding" in verdict.reason
    limit = float(sp.limit((1 - sp.cos(x)) / x**2, x, 0))
    assert estimate_limit(stable, 0.0).value == pytest.approx(limit, rel=1e-9)


# --- approach_table ---------------------------------------------------------------------------

def test_approach_table_values_and_layout():
    table = approach_table(math.exp, 1.0, steps=4, h0=0.5, ratio=0.25)
    np.testing.assert_allclose(table.h, [0.5, 0.125, 0.03125, 0.0078125])
    np.testing.assert_allclose(table.left, np.exp(1.0 - table.h), rtol=1e-15)
    np.testing.assert_allclose(table.right, np.exp(1.0 + table.h), rtol=1e-15)
    rows = table.to_array()
    assert rows.shape == (8, 3)
    np.testing.assert_allclose(rows[:, 2], np.exp(rows[:, 1]), rtol=1e-15)
    assert len(table) == 4 and isinstance(table, ApproachTable)
    text = str(table)
    assert "f(a - h)" in text and "f(a + h)" in text and len(text.splitlines()) == 6
    assert table._repr_html_().count("<tr>") == 5


@pytest.mark.parametrize("side, present", [("left", "left"), ("right", "right")])
def test_approach_table_one_side(side, present):
    table = approach_table(lambda t: t, 0.0, side=side, steps=3)
    absent = "right" if present == "left" else "left"
    assert getattr(table, absent) is None
    np.testing.assert_allclose(getattr(table, present), (-1 if side == "left" else 1) * table.h)
    assert table.to_array().shape == (3, 3)


def test_math_errors_become_nan_and_overflow_becomes_inf():
    table = approach_table(lambda t: math.log(t), 0.0, steps=3)
    assert np.all(np.isnan(table.left)) and np.all(np.isfinite(table.right))
    assert approach_table(lambda t: math.exp(1 / t), 0.0, side="right", steps=4).right[-1] == math.inf


# --- epsilon_delta ----------------------------------------------------------------------------

@given(epsilon=st.floats(0.01, 0.9))
@settings(max_examples=25, deadline=None)
def test_epsilon_delta_square_matches_closed_form(epsilon):
    # |x^2 - 1| < eps near 1: the right side binds, delta = sqrt(1 + eps) - 1.
    assert epsilon_delta(lambda t: t * t, 1.0, 1.0, epsilon) == pytest.approx(math.sqrt(1 + epsilon) - 1, abs=1e-9)


@given(slope=st.floats(0.1, 50).map(float) | st.floats(-50, -0.1).map(float), epsilon=st.floats(1e-4, 10))
@settings(max_examples=30, deadline=None)
def test_epsilon_delta_linear_is_epsilon_over_slope(slope, epsilon):
    delta = epsilon_delta(lambda t: slope * t + 3.0, 2.0, 2 * slope + 3.0, epsilon, delta_max=1.0)
    assert delta == pytest.approx(min(epsilon / abs(slope), 1.0), rel=1e-8, abs=1e-11)


def test_epsilon_delta_wrong_limit_gives_zero():
    assert epsilon_delta(math.cos, 0.0, 0.5, 0.1) == 0.0
    assert epsilon_delta(lambda t: math.copysign(1.0, t), 0.0, 0.0, 0.5) == 0.0


# --- continuity as a property: for continuous f the limit is f(a) ---------------------------

@given(coefficients=st.lists(st.floats(-5, 5), min_size=1, max_size=5), a=st.floats(-3, 3))
@settings(max_examples=40, deadline=None)
def test_polynomials_are_continuous(coefficients, a):
    result = estimate_limit(lambda t: float(np.polyval(coefficients, t)), a)
    expected = float(sp.Poly(coefficients, x).eval(sp.Rational(a)))
    assert result.exists
    assert result.value == pytest.approx(expected, rel=1e-6, abs=1e-6)


# --- bad input ---------------------------------------------------------------------------------

@pytest.mark.parametrize("call, error, name", [
    (lambda: approach_table(3.0, 0.0), TypeError, "f"),
    (lambda: approach_table(math.sin, "0"), TypeError, "a"),
    (lambda: approach_table(math.sin, math.nan), ValueError, "a"),
    (lambda: approach_table(math.sin, 0.0, side="up"), ValueError, "side"),
    (lambda: approach_table(math.sin, 0.0, steps=0), ValueError, "steps"),
    (lambda: approach_table(math.sin, 0.0, steps=2.5), TypeError, "steps"),
    (lambda: approach_table(math.sin, 0.0, ratio=1.0), ValueError, "ratio"),
    (lambda: approach_table(math.sin, 0.0, h0=-1.0), ValueError, "h0"),
    (lambda: one_sided_limit(math.sin, 0.0, "both"), ValueError, "side"),
    (lambda: estimate_limit(math.sin, 0.0, steps=4), ValueError, "steps"),
    (lambda: estimate_limit(math.sin, 0.0, rtol=-1.0), ValueError, "rtol"),
    (lambda: estimate_limit(lambda t: "one", 0.0), TypeError, "f must return a real number"),
    (lambda: estimate_limit(lambda t: 1j * t, 0.0), TypeError, "f must return a real number"),
    (lambda: epsilon_delta(math.sin, 0.0, 0.0, 0.0), ValueError, "epsilon"),
    (lambda: epsilon_delta(math.sin, 0.0, None, 0.1), TypeError, "L"),
    (lambda: epsilon_delta(math.sin, 0.0, 0.0, 0.1, n=1), ValueError, "n"),
])
def test_bad_input_names_the_argument(call, error, name):
    with pytest.raises(error, match=name):
        call()


def test_result_is_a_readable_record():
    result = estimate_limit(math.cos, 0.0)
    assert isinstance(result, LimitEstimate)
    assert str(result) == result.reason and "settle at 1" in result.reason
    assert result.table.left is not None and len(result.table) == 18


# --- the figure mlcalc.plot.epsilon_delta_window --------------------------------------------

def test_epsilon_delta_window_draws_band_and_window():
    import matplotlib.pyplot as plt

    from mlcalc.plot import epsilon_delta_window

    fig = epsilon_delta_window(lambda t: t * t, 1.0, 1.0, 0.5, interval=(0.0, 2.0), ylim=(-1.0, 4.0))
    ax = fig.axes[0]
    band, window = ax.patches[:2]
    # axhspan/axvspan give rectangles in data coordinates along their spanned axis.
    assert (band.get_y(), band.get_y() + band.get_height()) == pytest.approx((0.5, 1.5))
    expected_delta = math.sqrt(1.5) - 1  # the closed form, not our own epsilon_delta
    assert (window.get_x(), window.get_x() + window.get_width()) == pytest.approx(
        (1 - expected_delta, 1 + expected_delta), abs=1e-9)
    assert ax.get_ylim() == (-1.0, 4.0)
    assert {"band $L \\pm \\varepsilon$", "window $a \\pm \\delta$", "$f(x)$"} <= set(ax.get_legend_handles_labels()[1])
    plt.close(fig)


def test_epsilon_delta_window_rejects_an_interval_without_a():
    from mlcalc.plot import epsilon_delta_window

    with pytest.raises(ValueError, match="interval"):
        epsilon_delta_window(math.sin, 3.0, 0.0, 0.1, interval=(-1.0, 1.0))
