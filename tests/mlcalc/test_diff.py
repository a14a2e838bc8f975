"""Tests for mlcalc.diff against sympy's exact derivatives and numeric properties."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from mlcalc.diff import check_grad, derivative, gradient, hessian, jacobian, optimal_step

X = sp.Symbol("x")

# Smooth, well-scaled functions of one variable, with points inside their domains.
FUNCTIONS = {
    "sin": (sp.sin(X), [-2.0, 0.3, 1.0, 2.5, 7.0]),
    "exp": (sp.exp(X), [-1.5, 0.0, 0.7, 2.0]),
    "log": (sp.log(X), [0.05, 0.5, 1.0, 3.0, 30.0]),
    "rational": ((X**2 - 1) / (X**2 + 1), [-1.2, 0.4, 2.0, 5.0]),
    "exp_of_sin": (sp.exp(sp.sin(X)), [-1.0, 0.2, 2.0]),
    "logistic": (1 / (1 + sp.exp(-X)), [-3.0, 0.5, 2.0]),
    "sqrt_of_poly": (sp.sqrt(1 + X**2 + X**4), [-1.0, 0.3, 1.7]),
    "log_of_cosh": (sp.log(sp.cosh(X)), [-2.0, 0.5, 1.5]),
    "poly": (X**5 - 3 * X**2 + X, [-1.1, 0.6, 2.0]),
}


def cases(order: int):
    """(name, numpy function, x, exact derivative) with the derivative not close to zero."""
    for name, (expr, points) in FUNCTIONS.items():
        f = sp.lambdify(X, expr, "numpy")
        d = sp.diff(expr, X, order)
        for x in points:
            exact = float(d.subs(X, sp.Rational(x)).evalf(30))
            if abs(exact) > 1e-2:  # relative error is meaningless near a zero
                yield pytest.param(f, x, exact, id=f"{name}-{x}")


# --- accuracy of the extrapolated derivative (h=None) ---------------------------

@pytest.mark.parametrize("f, x, exact", list(cases(1)))
def test_first_derivative_relative_error_below_1e8(f, x, exact):
    assert abs(derivative(f, x) - exact) <= 1e-8 * abs(exact)


@pytest.mark.parametrize("f, x, exact", list(cases(2)))
def test_second_derivative_relative_error_below_1e6(f, x, exact):
    assert abs(derivative(f, x, n=2) - exact) <= 1e-6 * abs(exact)


@pytest.mark.parametrize("order, rtol", [(3, 1e-5), (4, 1e-4)])
def test_third_and_fourth_derivatives(order, rtol):
    for param in cases(order):
        f, x, exact = param.values
        assert abs(derivative(f, x, n=order) - exact) <= rtol * abs(exact), param.id


@pytest.mark.parametrize("method", ["forward", "backward"])
@pytest.mark.parametrize("order, rtol", [(1, 1e-8), (2, 1e-5)])
def test_one_sided_extrapolation(method, order, rtol):
    for param in cases(order):
        f, x, exact = param.values
        assert abs(derivative(f, x, n=order, method=method) - exact) <= rtol * abs(exact), param.id


@pytest.mark.parametrize("f, x, exact", list(cases(1)))
def test_complex_step_is_exact_to_rounding(f, x, exact):
    assert abs(derivative(f, x, method="complex") - exact) <= 1e-14 * abs(exact)


def only_right_of_one(x):
    """x + (x - 1)^2, defined for x >= 1 only (NaN elsewhere): its derivative at 1 is 1."""
    x = np.asarray(x, dtype=float)
    return np.where(x >= 1.0, x + (np.maximum(x, 1.0) - 1.0) ** 2, np.nan)


def test_forward_quotient_works_at_the_left_edge_of_the_domain():
    assert abs(derivative(only_right_of_one, 1.0, method="forward") - 1.0) < 1e-9
    assert abs(derivative(only_right_of_one, 1.0, n=2, method="forward") - 2.0) < 1e-6
    with pytest.raises(ValueError, match="not finite near x=1.0"):
        derivative(only_right_of_one, 1.0)


def test_function_undefined_on_one_side_raises_for_central():
    with pytest.raises(ValueError, match="not finite near x=0"):
        derivative(np.sqrt, 0.0)


@pytest.mark.parametrize("f, x, exact1, exact2", [
    (np.sin, 1000.0, math.cos(1000.0), -math.sin(1000.0)),
    (np.log, 1000.0, 1e-3, -1e-6),
    (lambda t: np.sin(10 * t), 30.0, 10 * math.cos(300.0), -100 * math.sin(300.0)),
    (lambda t: np.cos(t / 1000), 2000.0, -math.sin(2.0) / 1000, -math.cos(2.0) / 1e6),
])
def test_steps_suit_large_x_and_fast_or_slow_variation(f, x, exact1, exact2):
    assert abs(derivative(f, x) - exact1) <= 1e-8 * abs(exact1)
    assert abs(derivative(f, x, n=2) - exact2) <= 1e-6 * abs(exact2)


def test_large_steps_outside_the_domain_are_skipped():
    # The largest trial steps leave the domain of log; the result must not suffer.
    assert abs(derivative(np.log, 1e-3) - 1e3) <= 1e-8 * 1e3


# --- shapes and evaluation -------------------------------------------------------

def test_array_input_is_elementwise_and_matches_scalar_calls():
    x = np.array([[0.1, 0.5], [1.0, 2.0]])
    result = derivative(np.tanh, x)
    assert result.shape == (2, 2)
    assert_allclose(result, [[derivative(np.tanh, float(v)) for v in row] for row in x], rtol=1e-14)
    assert_allclose(result, 1 / np.cosh(x) ** 2, rtol=1e-9)


def test_scalar_input_gives_python_float():
    assert type(derivative(np.sin, 1.0)) is float
    assert type(derivative(np.sin, 1.0, h=1e-3)) is float
    assert type(derivative(np.sin, np.float32(1.0), method="complex")) is float


def test_function_written_for_single_numbers_is_evaluated_pointwise():
    assert_allclose(derivative(math.sin, [0.0, 1.0]), np.cos([0.0, 1.0]), rtol=1e-10)
    assert_allclose(derivative(lambda x: 3.0, [0.0, 1.0]), [0.0, 0.0], atol=1e-12)

    def ramp(x):
        if x > 0:
            return x**2
        return 0.0

    assert_allclose(derivative(ramp, [-1.0, 2.0]), [0.0, 4.0], atol=1e-9)


def test_f_returning_wrong_shape_or_type_is_reported():
    with pytest.raises(ValueError, match="one value per input point"):
        derivative(lambda x: np.ones(3), np.zeros(2))
    with pytest.raises(TypeError, match="real numbers"):
        derivative(lambda x: "1", 0.0)
    with pytest.raises(TypeError, match="complex"):
        derivative(lambda x: x + 1j, 0.0)


# --- the plain formulas with an explicit step ---------------------------------------

TEXTBOOK = {
    # Written out independently of the module's stencil table.
    ("forward", 1): lambda f, x, h: (f(x + h) - f(x)) / h,
    ("backward", 1): lambda f, x, h: (f(x) - f(x - h)) / h,
    ("central", 1): lambda f, x, h: (f(x + h) - f(x - h)) / (2 * h),
    ("forward", 2): lambda f, x, h: (f(x + 2 * h) - 2 * f(x + h) + f(x)) / h**2,
    ("backward", 2): lambda f, x, h: (f(x) - 2 * f(x - h) + f(x - 2 * h)) / h**2,
    ("central", 2): lambda f, x, h: (f(x + h) - 2 * f(x) + f(x - h)) / h**2,
    ("forward", 3): lambda f, x, h: (f(x + 3 * h) - 3 * f(x + 2 * h) + 3 * f(x + h) - f(x)) / h**3,
    ("central", 3): lambda f, x, h: (f(x + 2 * h) - 2 * f(x + h) + 2 * f(x - h) - f(x - 2 * h)) / (2 * h**3),
    ("backward", 4): lambda f, x, h: (f(x) - 4 * f(x - h) + 6 * f(x - 2 * h) - 4 * f(x - 3 * h) + f(x - 4 * h)) / h**4,
    ("central", 4): lambda f, x, h: (f(x + 2 * h) - 4 * f(x + h) + 6 * f(x) - 4 * f(x - h) + f(x - 2 * h)) / h**4,
}


@pytest.mark.parametrize("method, order", list(TEXTBOOK))
def test_explicit_step_uses_the_textbook_quotient(method, order):
    expr = sp.exp(X) * sp.sin(2 * X) + X**6
    f = sp.lambdify(X, expr, "numpy")
    for x, h in [(0.5, 0.25), (-1.0, 0.1), (2.0, 0.03)]:
        want = float(sp.N(TEXTBOOK[method, order](lambda t: expr.subs(X, t), sp.Rational(x), sp.Rational(h)), 30))
        got = derivative(f, x, n=order, h=h, method=method)
        # Rounding in f is amplified by 1/h^n; allow for it, nothing more.
        assert abs(got - want) <= 1e-13 * 2 ** order / h**order * max(1.0, abs(float(expr.subs(X, x)))), (x, h)


def test_forward_quotient_of_a_square_is_exactly_2x_plus_h():
    # All numbers are dyadic, so the floating-point quotient is exact.
    for x, h in [(3.0, 0.5), (1.0, 2.0**-10), (-2.0, 0.25)]:
        assert derivative(lambda t: t**2, x, h=h, method="forward") == 2 * x + h


def test_array_of_steps_broadcasts():
    steps = np.logspace(-1, -5, 5)
    result = derivative(np.exp, 1.0, h=steps, method="forward")
    assert result.shape == (5,)
    assert_allclose(result, (np.exp(1.0 + steps) - np.exp(1.0)) / steps, rtol=1e-12)


def slope(steps: np.ndarray, errors: np.ndarray) -> float:
    return float(np.polyfit(np.log(steps), np.log(errors), 1)[0])


@pytest.mark.parametrize("method, order, expected_slope", [
    ("forward", 1, 1), ("backward", 1, 1), ("central", 1, 2), ("complex", 1, 2),
    ("forward", 2, 1), ("central", 2, 2), ("central", 3, 2), ("central", 4, 2),
])
def test_error_order_measured_on_log_log_plot(method, order, expected_slope):
    x = 0.7
    exact = {1: math.cos(x), 2: -math.sin(x), 3: -math.cos(x), 4: math.sin(x)}[order]
    # Steps small enough for the leading term to dominate, large enough to keep rounding out.
    steps = np.logspace(-1.5, -3, 7) if order <= 2 else np.logspace(-0.5, -1.5, 7)
    errors = np.abs(derivative(np.sin, x, n=order, h=steps, method=method) - exact)
    assert abs(slope(steps, errors) - expected_slope) < 0.1


def test_tiny_steps_lose_to_rounding_error():
    # The U-shaped error curve of chapter 2: too small a step is worse than the optimal one.
    exact = math.exp(1.0)
    steps = np.logspace(-15, -1, 141)
    errors = np.abs(derivative(np.exp, 1.0, h=steps, method="forward") - exact)
    best = steps[np.argmin(errors)]
    assert errors[0] > 1e3 * errors.min()
    assert optimal_step("forward") / 30 < best < optimal_step("forward") * 30
    errors = np.abs(derivative(np.exp, 1.0, h=steps, method="central") - exact)
    assert optimal_step("central") / 30 < steps[np.argmin(errors)] < optimal_step("central") * 30


def test_optimal_step_values():
    eps = np.finfo(float).eps
    assert optimal_step("forward") == pytest.approx(eps ** (1 / 2))
    assert optimal_step("backward") == pytest.approx(eps ** (1 / 2))
    assert optimal_step("central") == pytest.approx(eps ** (1 / 3))
    assert optimal_step("central", 2) == pytest.approx(eps ** (1 / 4))
    assert optimal_step("forward", 2) == pytest.approx(eps ** (1 / 3))


# --- properties -----------------------------------------------------------------------

finite = st.floats(-3.0, 3.0, allow_nan=False)


@settings(max_examples=40, deadline=None)
@given(a=finite, b=finite, x=finite)
def test_linearity(a, b, x):
    combined = derivative(lambda t: a * np.sin(t) + b * np.exp(t / 2), x)
    separate = a * derivative(np.sin, x) + b * derivative(lambda t: np.exp(t / 2), x)
    assert abs(combined - separate) <= 1e-8 * (abs(a) + abs(b) + 1)


@settings(max_examples=40, deadline=None)
@given(x=finite)
def test_product_and_chain_rules(x):
    f, g = np.cos, lambda t: t**3 + 2 * t
    product = derivative(lambda t: f(t) * g(t), x)
    assert abs(product - (derivative(f, x) * g(x) + f(x) * derivative(g, x))) <= 1e-8 * (1 + abs(g(x)))
    chain = derivative(lambda t: f(g(t)), x)
    assert abs(chain - derivative(f, g(x)) * derivative(g, x)) <= 1e-7 * (1 + abs(derivative(g, x)))


# --- gradient, Jacobian, Hessian ------------------------------------------------------------

V = sp.symbols("v0:3")
SCALAR_FIELDS = [
    ((1 - V[0]) ** 2 + 100 * (V[1] - V[0] ** 2) ** 2, [-1.2, 1.0]),
    (sp.exp(V[0]) * sp.sin(V[1]) + V[0] * V[1] ** 3, [0.7, -1.3]),
    (sp.log(sp.exp(V[0]) + sp.exp(V[1]) + sp.exp(V[2])), [0.1, -0.4, 1.2]),
    (V[0] * V[1] * V[2] + sp.cos(V[0] + 2 * V[2]), [1.5, -0.5, 0.25]),
    (sp.sqrt(1 + V[0] ** 2 + 3 * V[1] ** 2), [20.0, -4.0]),
]


def field(expr, point):
    symbols = V[: len(point)]
    f = sp.lambdify([symbols], expr, "numpy")
    at = dict(zip(symbols, [sp.Rational(p) for p in point]))
    grad = np.array([float(sp.diff(expr, s).subs(at)) for s in symbols])
    hess = np.array([[float(sp.diff(expr, s, t).subs(at)) for t in symbols] for s in symbols])
    return f, np.array(point), grad, hess


@pytest.mark.parametrize("expr, point", SCALAR_FIELDS)
def test_gradient_and_hessian_against_sympy(expr, point):
    f, x, grad, hess = field(expr, point)
    g = gradient(f, x)
    assert g.shape == x.shape
    assert_allclose(g, grad, rtol=1e-8, atol=1e-10 * np.abs(grad).max())
    H = hessian(f, x)
    assert H.shape == (x.size, x.size)
    assert np.array_equal(H, H.T)
    assert_allclose(H, hess, rtol=1e-6, atol=1e-8 * np.abs(hess).max())


def test_jacobian_against_sympy():
    outputs = sp.Matrix([V[0] * sp.cos(V[1]), V[0] * sp.sin(V[1]) * V[2], sp.exp(V[2] - V[0])])
    f = sp.lambdify([V], list(outputs), "numpy")
    point = [1.5, 0.3, -0.2]
    exact = np.array(outputs.jacobian(V).subs(dict(zip(V, map(sp.Rational, point)))), dtype=float)
    J = jacobian(lambda v: np.array(f(v)), point)
    assert J.shape == (3, 3)
    assert_allclose(J, exact, rtol=1e-8, atol=1e-12)
    J = jacobian(lambda v: np.array(f(v))[:2], point)
    assert J.shape == (2, 3)


def test_softmax_jacobian():
    def softmax(z):
        e = np.exp(z - z.max())
        return e / e.sum()

    z = np.array([0.5, -1.0, 2.0, 0.0])
    s = softmax(z)
    assert_allclose(jacobian(softmax, z), np.diag(s) - np.outer(s, s), atol=1e-10)


def test_jacobian_of_scalar_function_is_one_row_and_gradient_rejects_vectors():
    assert jacobian(lambda v: v @ v, [1.0, 2.0]).shape == (1, 2)
    with pytest.raises(ValueError, match="single number"):
        gradient(lambda v: v * 2, [1.0, 2.0])


def test_explicit_steps_give_the_plain_central_quotients():
    f = lambda v: np.exp(v[0]) * v[1] ** 2  # noqa: E731
    x, h = np.array([0.3, 1.1]), 1e-3
    e = np.eye(2)
    plain = [(f(x + h * e[i]) - f(x - h * e[i])) / (2 * h) for i in range(2)]
    assert_allclose(gradient(f, x, h=h), plain, rtol=1e-12)
    H = hessian(f, x, h=h)
    assert_allclose(H[0, 0], (f(x + h * e[0]) - 2 * f(x) + f(x - h * e[0])) / h**2, rtol=1e-12)
    cross = (f(x + h * e[0] + h * e[1]) - f(x + h * e[0] - h * e[1])
             - f(x - h * e[0] + h * e[1]) + f(x - h * e[0] - h * e[1])) / (4 * h * h)
    assert_allclose(H[0, 1], cross, rtol=1e-12)


def test_gradient_does_not_modify_x_even_if_f_does():
    def f(v):
        value = float(np.sum(v**2))
        v[:] = 0.0
        return value

    x = np.array([1.0, 2.0])
    assert_allclose(gradient(f, x), [2.0, 4.0], rtol=1e-9)
    assert x.tolist() == [1.0, 2.0]


# --- check_grad ------------------------------------------------------------------------------

def test_check_grad_small_for_right_and_large_for_wrong_gradients():
    for expr, point in SCALAR_FIELDS:
        f, x, grad, _ = field(expr, point)
        symbols = V[: len(point)]
        exact = sp.lambdify([symbols], [sp.diff(expr, s) for s in symbols], "numpy")
        assert check_grad(f, lambda v: np.array(exact(v)), x) < 1e-8
        assert check_grad(f, lambda v: np.array(exact(v)) * 1.01, x) > 1e-3


def test_check_grad_with_zero_components_and_at_a_stationary_point():
    f = lambda v: (v[0] - 1.3) ** 2 + np.sin(v[1])  # noqa: E731
    grad = lambda v: np.array([2 * (v[0] - 1.3), np.cos(v[1])])  # noqa: E731
    assert check_grad(f, grad, [1.3, 0.4]) < 1e-9                    # first component is 0
    assert check_grad(f, grad, [1.3, np.pi / 2]) < 1e-9              # whole gradient is 0
    assert check_grad(f, lambda v: grad(v) + [1e-4, 0.0], [1.3, np.pi / 2]) > 1e-5


def test_check_grad_with_explicit_step_for_many_parameters():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((30, 40))
    f = lambda v: float(np.sum(np.tanh(A @ v) ** 2))  # noqa: E731
    grad = lambda v: A.T @ (2 * np.tanh(A @ v) * (1 - np.tanh(A @ v) ** 2))  # noqa: E731
    x = 0.1 * rng.standard_normal(40)
    assert check_grad(f, grad, x, h=1e-5) < 1e-8
    assert check_grad(f, lambda v: grad(v) + 1e-4 * (np.arange(40) == 7), x, h=1e-5) > 1e-5


def test_check_grad_rejects_wrong_shape():
    with pytest.raises(ValueError, match=r"shape \(2,\)"):
        check_grad(lambda v: v @ v, lambda v: 2 * v[:1], [1.0, 2.0])


# --- bad input --------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, error, fragment", [
    (dict(f=3.0), TypeError, "f must be callable"),
    (dict(n=0), ValueError, "n must be at least 1"),
    (dict(n=5), ValueError, "n must be between 1 and 4"),
    (dict(n=1.5), TypeError, "n must be an integer"),
    (dict(n=True), TypeError, "n must be an integer"),
    (dict(h=0.0), ValueError, "h must be positive"),
    (dict(h=-1e-3), ValueError, "h must be positive"),
    (dict(h=[1e-3, -1e-3]), ValueError, "h must be positive"),
    (dict(h=math.nan), ValueError, "h must contain only finite"),
    (dict(method="centre"), ValueError, "method must be one of"),
    (dict(method="complex", n=2), ValueError, "n=1"),
    (dict(x=math.nan), ValueError, "x must contain only finite"),
    (dict(x=math.inf), ValueError, "x must contain only finite"),
    (dict(x="1.0"), TypeError, "x must be numeric"),
    (dict(x=1 + 2j), TypeError, "x must be"),
])
def test_derivative_bad_input(kwargs, error, fragment):
    args = dict(f=np.sin, x=1.0) | kwargs
    with pytest.raises(error, match=fragment):
        derivative(args.pop("f"), args.pop("x"), **args)


@pytest.mark.parametrize("function", [gradient, hessian, jacobian])
def test_multivariate_bad_input(function):
    with pytest.raises(TypeError, match="f must be callable"):
        function(None, [1.0, 2.0])
    with pytest.raises(ValueError, match="x must be 1-dimensional"):
        function(lambda v: 0.0, [[1.0, 2.0]])
    with pytest.raises(ValueError, match="x must contain only finite"):
        function(lambda v: 0.0, [1.0, math.nan])
    with pytest.raises(ValueError, match="h must be positive"):
        function(lambda v: v @ v, [1.0, 2.0], h=0.0)


def test_optimal_step_bad_input():
    with pytest.raises(ValueError, match="method"):
        optimal_step("complex")
    with pytest.raises(ValueError, match="n must be between"):
        optimal_step("central", 7)
