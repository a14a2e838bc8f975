"""Tests for mlcalc.integrate against scipy's adaptive quadrature, sympy and measured error orders."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp
from scipy import integrate as scipy_integrate
from scipy.special import erf

from mlcalc.integrate import (
    MonteCarloResult,
    double_integral,
    midpoint_box,
    monte_carlo,
    monte_carlo_box,
    riemann_sum,
    simpson,
    trapezoid,
)

X = sp.Symbol("x")

# Smooth integrands on intervals, with sympy expressions for the error predictions.
INTEGRANDS = {
    "exp": (sp.exp(X), 0.0, 1.0),
    "sin": (sp.sin(X), 0.0, 2.0),
    "lorentzian": (1 / (1 + X**2), -2.0, 3.0),
    "gamma_like": (X**2 * sp.exp(-X), 0.0, 5.0),
    "log1p": (sp.log(1 + X), 0.0, 2.0),
    "gaussian": (sp.exp(-(X**2) / 2), -3.0, 1.5),
}


def integrand(name):
    expr, a, b = INTEGRANDS[name]
    return sp.lambdify(X, expr, "numpy"), a, b, scipy_integrate.quad(sp.lambdify(X, expr, "math"), a, b,
                                                                       epsabs=0.0, epsrel=1e-13, limit=200)[0]


def rule(name, f, a, b, n):
    if name in ("left", "right", "midpoint"):
        return riemann_sum(f, a, b, n, rule=name)
    return {"trapezoid": trapezoid, "simpson": simpson}[name](f, a, b, n)


# --- agreement with scipy.integrate.quad -----------------------------------------

@pytest.mark.parametrize("name", list(INTEGRANDS))
@pytest.mark.parametrize("method, n, rtol", [
    ("left", 20_000, 1e-3), ("right", 20_000, 1e-3),
    ("midpoint", 1000, 1e-5), ("trapezoid", 1000, 1e-5), ("simpson", 200, 1e-8),
])
def test_rules_agree_with_scipy_quad(name, method, n, rtol):
    f, a, b, exact = integrand(name)
    assert abs(rule(method, f, a, b, n) - exact) <= rtol * abs(exact)


# --- error constants predicted by the Euler-Maclaurin formula ------------------------

@pytest.mark.parametrize("name", ["exp", "sin", "lorentzian", "gaussian"])
def test_leading_error_terms_match_theory(name):
    expr, a, b = INTEGRANDS[name]
    f, _, _, exact = integrand(name)

    def at(order, t):
        return float(sp.diff(expr, X, order).subs(X, t)) if order else float(expr.subs(X, t))

    def jump(order):
        return at(order, b) - at(order, a)

    n = 64
    h = (b - a) / n
    predicted = {
        "left": -h / 2 * jump(0),
        "right": h / 2 * jump(0),
        "midpoint": -(h**2) / 24 * jump(1),
        "trapezoid": h**2 / 12 * jump(1),
        "simpson": h**4 / 180 * jump(3),
    }
    for method, error in predicted.items():
        actual = rule(method, f, a, b, n) - exact
        # The next term of the expansion is smaller by a factor of order h (h^2 for the symmetric rules).
        assert actual == pytest.approx(error, rel=0.1), method


# --- convergence orders measured on a log-log plot ----------------------------------

def fitted_slope(x, y) -> float:
    return float(np.polyfit(np.log(x), np.log(y), 1)[0])


@pytest.mark.parametrize("method, order, counts", [
    ("left", 1, 2 ** np.arange(4, 11)),
    ("right", 1, 2 ** np.arange(4, 11)),
    ("midpoint", 2, 2 ** np.arange(3, 10)),
    ("trapezoid", 2, 2 ** np.arange(3, 10)),
    ("simpson", 4, 2 ** np.arange(5, 10)),
])
@pytest.mark.parametrize("name", ["exp", "lorentzian", "gamma_like"])
def test_measured_order_of_convergence(method, order, counts, name):
    f, a, b, exact = integrand(name)
    steps = (b - a) / counts
    errors = [abs(rule(method, f, a, b, int(n)) - exact) for n in counts]
    assert abs(fitted_slope(steps, errors) - order) < 0.15


def test_monte_carlo_error_shrinks_like_one_over_root_n():
    rng = np.random.default_rng(2024)
    exact = math.e - 1
    counts = np.array([64, 256, 1024, 4096])
    rms_errors, standard_errors = [], []
    for n in counts:
        runs = [monte_carlo(np.exp, 0.0, 1.0, int(n), rng=rng) for _ in range(300)]
        rms_errors.append(np.sqrt(np.mean([(r.estimate - exact) ** 2 for r in runs])))
        standard_errors.append(np.mean([r.standard_error for r in runs]))
    assert abs(fitted_slope(counts, rms_errors) + 0.5) < 0.1
    assert abs(fitted_slope(counts, standard_errors) + 0.5) < 0.02
    # The reported standard error is an honest estimate of the actual spread.
    assert_ratio = np.array(rms_errors) / np.array(standard_errors)
    assert np.all((0.8 < assert_ratio) & (assert_ratio < 1.25))


# --- exactness and simple values --------------------------------------------------------

def test_simpson_is_exact_for_cubics_and_trapezoid_for_lines():
    cubic = lambda x: 4 * x**3 - 3 * x**2 + 2 * x - 1  # noqa: E731
    assert simpson(cubic, -1.0, 2.0, 2) == pytest.approx(15.0 - 9.0 + 3.0 - 3.0, rel=1e-14)
    assert trapezoid(lambda x: 2 * x + 1, 1.0, 4.0, 1) == pytest.approx(18.0, rel=1e-14)
    assert riemann_sum(lambda x: 2 * x + 1, 1.0, 4.0, 5, rule="midpoint") == pytest.approx(18.0, rel=1e-14)


def test_left_right_and_trapezoid_relations():
    f, a, b, _ = integrand("sin")
    for n in (1, 7, 50):
        left = riemann_sum(f, a, b, n, rule="left")
        right = riemann_sum(f, a, b, n, rule="right")
        assert trapezoid(f, a, b, n) == pytest.approx((left + right) / 2, rel=1e-13)
        # Simpson = (2 M_n + T_n) / 3 on n subintervals = S_{2n}
        mid = riemann_sum(f, a, b, n, rule="midpoint")
        assert simpson(f, a, b, 2 * n) == pytest.approx((2 * mid + trapezoid(f, a, b, n)) / 3, rel=1e-13)


def test_monotone_function_is_bracketed_by_left_and_right_sums():
    exact = math.e - 1
    for n in (1, 3, 10):
        assert riemann_sum(np.exp, 0.0, 1.0, n, rule="left") < exact < riemann_sum(np.exp, 0.0, 1.0, n, rule="right")


def test_non_vectorised_and_constant_integrands():
    assert trapezoid(math.exp, 0.0, 1.0, 100) == pytest.approx(trapezoid(np.exp, 0.0, 1.0, 100), rel=1e-15)
    assert simpson(lambda x: 2.0, 1.0, 4.0, 4) == pytest.approx(6.0)
    assert riemann_sum(lambda x: 2.0, 1.0, 4.0, 3) == pytest.approx(6.0)
    assert double_integral(lambda x, y: 1.0, 0.0, 2.0, 0.0, 3.0, 4) == pytest.approx(6.0)
    assert double_integral(lambda x, y: math.exp(x + y), 0.0, 1.0, 0.0, 1.0, 4) == pytest.approx(
        double_integral(lambda x, y: np.exp(x + y), 0.0, 1.0, 0.0, 1.0, 4), rel=1e-14)
    assert monte_carlo(lambda x: 2.0, 1.0, 4.0, 10, rng=np.random.default_rng(0)) == (6.0, 0.0)


def piecewise(x):
    """|x| written with an `if`, for single numbers only."""
    if x >= 0:
        return x
    return -x


def test_piecewise_integrand_written_with_if_is_evaluated_node_by_node():
    assert trapezoid(piecewise, -1.0, 2.0, 3) == pytest.approx(2.5, rel=1e-14)
    assert riemann_sum(piecewise, -1.0, 2.0, 30, rule="midpoint") == pytest.approx(2.5, rel=1e-14)
    with pytest.raises(ZeroDivisionError):  # a genuine error still shows
        trapezoid(lambda x: 1 / 0, 0.0, 1.0, 4)


def test_results_are_python_floats():
    for value in (riemann_sum(np.exp, 0, 1, 3), trapezoid(np.exp, 0, 1, 3), simpson(np.exp, 0, 1, 2),
                  double_integral(np.add, 0, 1, 0, 1, 2), midpoint_box(lambda p: p[:, 0], [0], [1], 3)):
        assert type(value) is float


# --- double integrals ------------------------------------------------------------------

DOUBLE = [
    (lambda x, y: x * y**2, (0.0, 2.0, 0.0, 3.0)),
    (lambda x, y: np.exp(-(x**2 + y**2)), (-1.0, 2.0, -0.5, 1.0)),
    (lambda x, y: np.sin(x) * np.cos(x * y), (0.0, np.pi, 0.0, 1.0)),
    (lambda x, y: 1 / (1 + x + y), (0.0, 1.0, 0.0, 2.0)),
]


@pytest.mark.parametrize("f, box", DOUBLE)
def test_double_integral_agrees_with_dblquad(f, box):
    ax, bx, ay, by = box
    exact = scipy_integrate.dblquad(lambda y, x: f(x, y), ax, bx, ay, by, epsabs=1e-13, epsrel=1e-13)[0]
    assert double_integral(f, ax, bx, ay, by, 40) == pytest.approx(exact, rel=1e-6)
    assert double_integral(f, ax, bx, ay, by, 200, rule="midpoint") == pytest.approx(exact, rel=1e-4)


@pytest.mark.parametrize("rule_name, order", [("simpson", 4), ("midpoint", 2)])
def test_double_integral_order_of_convergence(rule_name, order):
    # Not harmonic: for harmonic f the h^2 error terms of the midpoint rule cancel.
    f = lambda x, y: np.exp(x) * np.cos(2 * y)  # noqa: E731
    exact = (math.e - 1) * math.sin(2.0) / 2
    counts = np.array([4, 8, 16, 32])
    errors = [abs(double_integral(f, 0.0, 1.0, 0.0, 1.0, int(n), rule=rule_name) - exact) for n in counts]
    assert abs(fitted_slope(1 / counts, errors) - order) < 0.15


def test_double_integral_orientation():
    # Not symmetric in x and y, on a non-square rectangle: swapping axes would change the value.
    assert double_integral(lambda x, y: x**2 * y, 0.0, 1.0, 0.0, 3.0, 2) == pytest.approx(1 / 3 * 9 / 2)


# --- Monte Carlo -----------------------------------------------------------------------

def test_monte_carlo_result_unpacks_and_has_fields():
    result = monte_carlo(np.sin, 0.0, np.pi, 1000, rng=np.random.default_rng(0))
    assert isinstance(result, MonteCarloResult)
    estimate, standard_error = result
    assert (estimate, standard_error) == (result.estimate, result.standard_error)
    assert type(estimate) is float and type(standard_error) is float


@pytest.mark.parametrize("name", list(INTEGRANDS))
def test_monte_carlo_within_a_few_standard_errors(name):
    f, a, b, exact = integrand(name)
    estimate, standard_error = monte_carlo(f, a, b, 50_000, rng=np.random.default_rng(7))
    assert abs(estimate - exact) < 4 * standard_error
    assert standard_error < 0.02 * (b - a)


def test_monte_carlo_confidence_interval_coverage():
    rng = np.random.default_rng(11)
    exact = 2.0
    hits = sum(abs(r.estimate - exact) < 1.96 * r.standard_error
               for r in (monte_carlo(np.sin, 0.0, np.pi, 400, rng=rng) for _ in range(1000)))
    assert 0.92 < hits / 1000 < 0.98


def test_monte_carlo_is_reproducible_with_a_seed_and_uses_only_rng():
    one = monte_carlo(np.exp, 0.0, 1.0, 100, rng=np.random.default_rng(3))
    two = monte_carlo(np.exp, 0.0, 1.0, 100, rng=np.random.default_rng(3))
    assert one == two
    assert one != monte_carlo(np.exp, 0.0, 1.0, 100, rng=np.random.default_rng(4))


def gaussian_box_exact(d):
    # integral of exp(-|x|^2) over [0, 1]^d
    return (math.sqrt(math.pi) / 2 * erf(1.0)) ** d


@pytest.mark.parametrize("d", [1, 3, 6])
def test_monte_carlo_box_within_a_few_standard_errors(d):
    f = lambda p: np.exp(-np.sum(p**2, axis=1))  # noqa: E731
    result = monte_carlo_box(f, np.zeros(d), np.ones(d), 40_000, rng=np.random.default_rng(d))
    assert abs(result.estimate - gaussian_box_exact(d)) < 4 * result.standard_error


def test_monte_carlo_box_scales_by_volume_and_accepts_row_functions():
    lower, upper = [-1.0, 0.0, 2.0], [1.0, 3.0, 2.5]
    result = monte_carlo_box(lambda p: np.ones(len(p)), lower, upper, 10, rng=np.random.default_rng(0))
    assert result == (3.0, 0.0)
    # x0 * x1 + x2 over the box: 0 * ... + 2.25 * volume
    by_row = monte_carlo_box(lambda p: float(p[0] * p[1] + p[2]), lower, upper, 20_000, rng=np.random.default_rng(5))
    assert abs(by_row.estimate - 2.25 * 3.0) < 4 * by_row.standard_error


def test_midpoint_box_matches_double_integral_midpoint():
    f2 = lambda x, y: np.exp(x) * np.sin(3 * y)  # noqa: E731
    fd = lambda p: f2(p[:, 0], p[:, 1])  # noqa: E731
    assert midpoint_box(fd, [0.0, -1.0], [2.0, 1.5], 30) == pytest.approx(
        double_integral(f2, 0.0, 2.0, -1.0, 1.5, 30, rule="midpoint"), rel=1e-12)


@pytest.mark.parametrize("d", [1, 2, 3])
def test_midpoint_box_error_is_order_n_to_the_minus_2_over_d(d):
    f = lambda p: np.exp(-np.sum(p**2, axis=1))  # noqa: E731
    per_axis = np.array([4, 8, 16, 32]) if d < 3 else np.array([4, 8, 16])
    errors = [abs(midpoint_box(f, np.zeros(d), np.ones(d), int(n)) - gaussian_box_exact(d)) for n in per_axis]
    assert abs(fitted_slope(per_axis**d, errors) + 2 / d) < 0.1 / d


def test_monte_carlo_beats_the_grid_in_eight_dimensions():
    d, per_axis = 8, 4
    f = lambda p: np.exp(-np.sum(p**2, axis=1))  # noqa: E731
    exact = gaussian_box_exact(d)
    grid_error = abs(midpoint_box(f, np.zeros(d), np.ones(d), per_axis) - exact)
    result = monte_carlo_box(f, np.zeros(d), np.ones(d), per_axis**d, rng=np.random.default_rng(0))
    # Same budget of 4^8 evaluations: the grid error exceeds several Monte Carlo standard errors.
    assert grid_error > 3 * result.standard_error
    assert abs(result.estimate - exact) < grid_error


# --- bad input ----------------------------------------------------------------------------

@pytest.mark.parametrize("function", [riemann_sum, trapezoid, simpson])
@pytest.mark.parametrize("args, error, fragment", [
    ((3.0, 0.0, 1.0, 4), TypeError, "f must be callable"),
    ((np.exp, 1.0, 1.0, 4), ValueError, "a must be smaller than b"),
    ((np.exp, 2.0, 1.0, 4), ValueError, "a must be smaller than b"),
    ((np.exp, 0.0, math.inf, 4), ValueError, "b must be finite"),
    ((np.exp, "0", 1.0, 4), TypeError, "a must be a real number"),
    ((np.exp, 0.0, 1.0, 0), ValueError, "n must be at least 1"),
    ((np.exp, 0.0, 1.0, -2), ValueError, "n must be at least 1"),
    ((np.exp, 0.0, 1.0, 4.0), TypeError, "n must be an integer"),
    ((np.exp, 0.0, 1.0, True), TypeError, "n must be an integer"),
])
def test_one_dimensional_bad_input(function, args, error, fragment):
    with pytest.raises(error, match=fragment):
        function(*args)


def test_specific_bad_input():
    with pytest.raises(ValueError, match="n must be even"):
        simpson(np.exp, 0.0, 1.0, 5)
    with pytest.raises(ValueError, match="n must be even"):
        double_integral(np.add, 0.0, 1.0, 0.0, 1.0, 3)
    with pytest.raises(ValueError, match="rule must be one of"):
        riemann_sum(np.exp, 0.0, 1.0, 4, rule="center")
    with pytest.raises(ValueError, match="ay must be smaller than by"):
        double_integral(np.add, 0.0, 1.0, 1.0, 0.0, 4)
    with pytest.raises(ValueError, match="finite at every node"), np.errstate(divide="ignore"):
        riemann_sum(lambda x: 1 / x, 0.0, 1.0, 10)
    # The midpoint rule never touches the singular endpoint.
    assert riemann_sum(lambda x: 1 / np.sqrt(x), 0.0, 1.0, 10_000, rule="midpoint") == pytest.approx(2.0, rel=1e-2)
    with pytest.raises(ValueError, match="one value per input point"):
        trapezoid(lambda x: np.ones(3), 0.0, 1.0, 10)


@pytest.mark.parametrize("rng", [0, None, "seed", np.random.RandomState(0)])
def test_monte_carlo_requires_a_generator(rng):
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        monte_carlo(np.exp, 0.0, 1.0, 10, rng=rng)
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        monte_carlo_box(lambda p: p[:, 0], [0.0], [1.0], 10, rng=rng)


def test_monte_carlo_bad_input():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="at least 2"):
        monte_carlo(np.exp, 0.0, 1.0, 1, rng=rng)
    with pytest.raises(ValueError, match="same length"):
        monte_carlo_box(lambda p: p[:, 0], [0.0, 0.0], [1.0], 10, rng=rng)
    with pytest.raises(ValueError, match="lower must be smaller than upper"):
        monte_carlo_box(lambda p: p[:, 0], [0.0, 1.0], [1.0, 1.0], 10, rng=rng)
    with pytest.raises(ValueError, match=r"shape \(N,\)"):
        monte_carlo_box(lambda p: p, [0.0, 0.0], [1.0, 1.0], 10, rng=rng)
    with pytest.raises(ValueError, match="too many"):
        midpoint_box(lambda p: p[:, 0], np.zeros(10), np.ones(10), 10)
