"""Tests of mlcalc.optim against independent references.

References: scipy.optimize.minimize (BFGS, Newton-CG), scipy.optimize.newton,
numpy.linalg.solve / lstsq for analytic optima, the convergence theory of
gradient descent on quadratics, and update formulas written out by hand here,
independently of the module. Tolerances are stated where they are used.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from scipy.optimize import minimize, rosen, rosen_der, rosen_hess
from scipy.optimize import newton as scipy_newton

from mlcalc import optim
from mlcalc.optim import (SGD, AdaGrad, Adam, Momentum, OptimizeResult, RMSProp, adagrad, adam, bfgs,
                          gradient_descent, line_search, momentum, nesterov, newton, newton_root, rmsprop, sgd)

HYPOTHESIS = settings(max_examples=25, deadline=None)


# ---------------------------------------------------------------------------
# Test problems
# ---------------------------------------------------------------------------

def spd_matrix(rng: np.random.Generator, n: int, condition: float) -> np.ndarray:
    """A random symmetric positive definite matrix with eigenvalues from 1 to ``condition``."""
    q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    return (q * np.logspace(0, np.log10(condition), n)) @ q.T


def quadratic(A: np.ndarray, b: np.ndarray):
    """f(x) = x'Ax/2 - b'x, its gradient and Hessian; the minimizer solves A x = b."""
    return (lambda x: float(0.5 * x @ A @ x - b @ x)), (lambda x: A @ x - b), (lambda x: A)


def logistic_problem():
    """L2-regularised logistic regression on 5 standardised breast-cancer features (labels ±1)."""
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer()
    X = data.data[:, :5]
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    X = np.hstack([np.ones((len(X), 1)), X])
    y = np.where(data.target == 1, 1.0, -1.0)
    lam = 1e-2

    def fun(w):
        return float(np.mean(np.logaddexp(0.0, -y * (X @ w))) + 0.5 * lam * w @ w)

    def grad(w):
        p = 0.5 * (1.0 - np.tanh(0.5 * y * (X @ w)))  # sigmoid(-y z), computed stably
        return -(X.T @ (y * p)) / len(y) + lam * w

    def hess(w):
        s = 0.5 * (1.0 + np.tanh(0.5 * (X @ w)))
        return (X.T * (s * (1 - s))) @ X / len(y) + lam * np.eye(X.shape[1])

    return fun, grad, hess, np.zeros(X.shape[1])


# ---------------------------------------------------------------------------
# OptimizeResult and history
# ---------------------------------------------------------------------------

def test_result_reads_like_scipy():
    res = OptimizeResult(x=np.zeros(2), fun=1.5, status=0)
    assert res.fun == res["fun"] == 1.5
    res.nit = 4
    assert res["nit"] == 4
    with pytest.raises(AttributeError):
        res.missing
    assert "fun: 1.5" in repr(res)


def test_result_fields_and_history_shapes():
    A = np.diag([1.0, 4.0, 9.0])
    f, g, _ = quadratic(A, np.ones(3))
    res = gradient_descent(f, g, [1.0, 2.0, 3.0], learning_rate=0.1)
    for field in ("x", "fun", "jac", "nit", "nfev", "njev", "success", "status", "message", "history"):
        assert field in res
    h = res.history
    assert h.x.shape == (res.nit + 1, 3)
    assert h.fun.shape == h.grad_norm.shape == h.iteration.shape == (res.nit + 1,)
    assert_allclose(h.x[0], [1.0, 2.0, 3.0])
    assert_allclose(h.x[-1], res.x)
    assert h.loss is h.fun
    # The history agrees with fresh evaluations at the recorded iterates.
    assert_allclose(h.fun, [f(x) for x in h.x], rtol=1e-14)
    assert_allclose(h.grad_norm, [np.max(np.abs(g(x))) for x in h.x], rtol=1e-14)
    assert h.grad_norm[-1] <= 1e-6 < h.grad_norm[-2]
    assert res.nfev == res.njev == res.nit + 1
    assert isinstance(res.success, bool) and res.success and res.status == 0


def test_scalar_x0_gives_one_element_x():
    res = gradient_descent(lambda x: float((x[0] - 2) ** 2), lambda x: 2 * (x - 2), 5.0)
    assert res.x.shape == (1,)
    assert_allclose(res.x, [2.0], atol=1e-6)
    assert res.history.x.shape == (res.nit + 1, 1)


# ---------------------------------------------------------------------------
# Gradient descent: analytic optimum and the 2/L theory
# ---------------------------------------------------------------------------

def test_gradient_descent_reaches_analytic_optimum():
    rng = np.random.default_rng(1)
    A = spd_matrix(rng, 5, 10.0)
    b = rng.standard_normal(5)
    f, g, _ = quadratic(A, b)
    L = np.linalg.eigvalsh(A).max()
    res = gradient_descent(f, g, np.zeros(5), learning_rate=1.0 / L, max_iter=5000, tol=1e-10)
    assert res.success
    assert_allclose(res.x, np.linalg.solve(A, b), atol=1e-9)


@pytest.mark.parametrize("factor, converges", [(1.9, True), (2.1, False)])
def test_gradient_descent_step_size_threshold_two_over_L(factor, converges):
    A = np.diag([0.5, 2.0, 10.0])  # L = 10
    f, g, _ = quadratic(A, np.zeros(3))
    rate = factor / 10.0
    res = gradient_descent(f, g, [1.0, 1.0, 1.0], learning_rate=rate, max_iter=20000, tol=1e-8)
    if converges:
        assert res.success and res.status == 0
        assert_allclose(res.x, 0.0, atol=1e-8)
    else:
        # The error along the top eigenvector grows by |1 - 2.1| = 1.1 per step until it overflows.
        assert not res.success and res.status == 2
        assert "learning rate" in res.message and f"{rate:g}" in res.message
        assert f"iteration {res.nit}" in res.message
        assert not np.isfinite(res.fun) or not np.all(np.isfinite(res.jac))


def test_gradient_descent_rate_above_threshold_flags_growing_loss_before_overflow():
    A = np.diag([1.0, 10.0])
    f, g, _ = quadratic(A, np.zeros(2))
    res = gradient_descent(f, g, [1.0, 1.0], learning_rate=0.21, max_iter=100)
    assert res.status == 1 and not res.success
    assert "learning rate 0.21 is likely too large" in res.message


@HYPOTHESIS
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 6), fraction=st.floats(0.05, 0.99))
def test_gradient_descent_never_increases_quadratic_loss(seed, n, fraction):
    """With eta < 2/L every mode shrinks (|1 - eta*lambda| < 1), so the loss cannot increase."""
    rng = np.random.default_rng(seed)
    M = rng.standard_normal((n, n))
    A = M @ M.T + 0.1 * np.eye(n)
    b = rng.standard_normal(n)
    f, g, _ = quadratic(A, b)
    rate = fraction * 2.0 / np.linalg.eigvalsh(A).max()
    res = gradient_descent(f, g, rng.standard_normal(n), learning_rate=rate, max_iter=200)
    losses = res.history.fun
    assert np.all(np.diff(losses) <= 1e-12 * (1.0 + np.abs(losses[:-1])))


# ---------------------------------------------------------------------------
# Update rules written out by hand, independently of the module
# ---------------------------------------------------------------------------

def test_adam_first_step_has_the_learning_rate_size():
    rate, beta1, beta2, eps = 0.05, 0.9, 0.999, 1e-8
    g = np.array([3.0, -1e-3, 250.0])
    # Hand formula: m1 = (1-b1) g, v1 = (1-b2) g^2; bias-corrected m1/(1-b1) = g, v1/(1-b2) = g^2.
    m1, v1 = (1 - beta1) * g, (1 - beta2) * g**2
    expected_step = -rate * (m1 / (1 - beta1)) / (np.sqrt(v1 / (1 - beta2)) + eps)
    w = np.array([1.0, 2.0, 3.0])
    Adam(learning_rate=rate, beta1=beta1, beta2=beta2, eps=eps).step([w], [g])
    assert_allclose(w - [1.0, 2.0, 3.0], expected_step, rtol=1e-12)
    assert_allclose(np.abs(w - [1.0, 2.0, 3.0]), rate, rtol=1e-4)


def test_adam_matches_hand_written_loop():
    rng = np.random.default_rng(2)
    grads = rng.standard_normal((6, 4))
    rate, b1, b2, eps = 0.01, 0.8, 0.99, 1e-8
    w = np.ones(4)
    m = v = np.zeros(4)
    expected = np.ones(4)
    opt = Adam(learning_rate=rate, beta1=b1, beta2=b2, eps=eps)
    for t, g in enumerate(grads, start=1):
        opt.step([w], [g])
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        expected = expected - rate * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
    assert_allclose(w, expected, rtol=1e-13)


@pytest.mark.parametrize("decoupled", [False, True])
def test_adam_weight_decay_l2_versus_decoupled(decoupled):
    rate, lam = 0.1, 0.5
    w0 = np.array([2.0, -1.0])
    g = np.array([0.3, 0.3])
    w = w0.copy()
    Adam(learning_rate=rate, weight_decay=lam, decoupled=decoupled).step([w], [g])
    if decoupled:
        # AdamW: shrink by rate*lam*w, then the plain first Adam step -rate*sign(g).
        expected = w0 - rate * lam * w0 - rate * np.sign(g)
    else:
        # L2: the penalty's gradient lam*w joins g before the adaptive scaling.
        expected = w0 - rate * np.sign(g + lam * w0)
    assert_allclose(w, expected, rtol=1e-6)


def test_momentum_rmsprop_adagrad_match_hand_formulas():
    rng = np.random.default_rng(3)
    grads = rng.standard_normal((5, 3))
    w_m, w_r, w_a = np.zeros(3), np.zeros(3), np.zeros(3)
    opts = Momentum(0.1, beta=0.7), RMSProp(0.01, rho=0.8, eps=1e-8), AdaGrad(0.2, eps=1e-8)
    v, s, G = np.zeros(3), np.zeros(3), np.zeros(3)
    e_m, e_r, e_a = np.zeros(3), np.zeros(3), np.zeros(3)
    for g in grads:
        for opt, w in zip(opts, (w_m, w_r, w_a)):
            opt.step([w], [g])
        v = 0.7 * v - 0.1 * g
        e_m = e_m + v
        s = 0.8 * s + 0.2 * g**2
        e_r = e_r - 0.01 * g / (np.sqrt(s) + 1e-8)
        G = G + g**2
        e_a = e_a - 0.2 * g / (np.sqrt(G) + 1e-8)
    assert_allclose(w_m, e_m, rtol=1e-13)
    assert_allclose(w_r, e_r, rtol=1e-13)
    assert_allclose(w_a, e_a, rtol=1e-13)


def test_nesterov_equals_the_original_lookahead_form():
    """Sutskever et al.: v' = b v - eta grad(x + b v), x' = x + v'. The class stores theta = x + b v."""
    A = np.array([[3.0, 1.0], [1.0, 2.0]])
    grad = lambda z: A @ z
    rate, beta = 0.05, 0.9
    x, v = np.array([1.0, -2.0]), np.zeros(2)
    theta = x.copy()
    opt = Momentum(rate, beta, nesterov=True)
    for _ in range(30):
        opt.step([theta], [grad(theta)])
        v = beta * v - rate * grad(x + beta * v)
        x = x + v
        assert_allclose(theta, x + beta * v, rtol=1e-12, atol=1e-14)


def test_momentum_with_beta_zero_is_sgd():
    g = np.array([1.0, -2.0])
    a, b = np.array([0.5, 0.5]), np.array([0.5, 0.5])
    m, s = Momentum(0.1, beta=0.0), SGD(0.1)
    for _ in range(3):
        m.step([a], [g])
        s.step([b], [g])
    assert_allclose(a, b, rtol=0, atol=0)


@pytest.mark.parametrize("function, make_optimizer, kwargs", [
    (gradient_descent, lambda: SGD(0.1), dict(learning_rate=0.1)),
    (momentum, lambda: Momentum(0.02, 0.8), dict(learning_rate=0.02, beta=0.8)),
    (nesterov, lambda: Momentum(0.02, 0.8, nesterov=True), dict(learning_rate=0.02, beta=0.8)),
    (adagrad, lambda: AdaGrad(0.3, 1e-8), dict(learning_rate=0.3, eps=1e-8)),
    (rmsprop, lambda: RMSProp(0.01, 0.9, 1e-8), dict(learning_rate=0.01, rho=0.9, eps=1e-8)),
    (adam, lambda: Adam(0.05, 0.9, 0.99, 1e-8), dict(learning_rate=0.05, beta1=0.9, beta2=0.99, eps=1e-8)),
])
def test_function_iterates_equal_a_manual_loop_over_the_class(function, make_optimizer, kwargs):
    A = np.diag([1.0, 5.0])
    f, g, _ = quadratic(A, np.array([1.0, 1.0]))
    res = function(f, g, [2.0, -1.0], max_iter=40, tol=0.0, **kwargs)
    x = np.array([2.0, -1.0])
    opt = make_optimizer()
    manual = [x.copy()]
    for _ in range(40):
        opt.step([x], [g(x)])
        manual.append(x.copy())
    assert_allclose(res.history.x, np.array(manual), rtol=0, atol=0)


def test_optimizer_keeps_separate_state_per_parameter():
    rng = np.random.default_rng(4)
    p1, p2 = rng.standard_normal((2, 3)), rng.standard_normal(4)
    q1, q2 = p1.copy(), p2.copy()
    joint, first, second = Adam(0.1), Adam(0.1), Adam(0.1)
    for _ in range(5):
        g1, g2 = rng.standard_normal((2, 3)), rng.standard_normal(4)
        joint.step([p1, p2], [g1, g2])
        first.step([q1], [g1])
        second.step([q2], [g2])
    assert_allclose(p1, q1, rtol=1e-15)
    assert_allclose(p2, q2, rtol=1e-15)


def test_optimizer_reset_forgets_state():
    g = np.array([1.0])
    opt = Momentum(0.1, 0.9)
    w = np.zeros(1)
    opt.step([w], [g])
    opt.step([w], [g])
    opt.reset()
    w2 = np.zeros(1)
    opt.step([w2], [g])
    assert_allclose(w2, [-0.1])
    assert opt.t == 1


@pytest.mark.parametrize("params, grads, error", [
    ([np.zeros(2)], [np.zeros(3)], ValueError),
    ([np.zeros(2)], [np.zeros(2), np.zeros(2)], ValueError),
    ([np.zeros(2, dtype=int)], [np.zeros(2)], TypeError),
    (np.zeros(2), np.zeros(2), TypeError),
])
def test_optimizer_step_rejects_mismatched_input(params, grads, error):
    with pytest.raises(error):
        Adam().step(params, grads)


def test_optimizer_rejects_changed_parameters_without_reset():
    opt = SGD(0.1)
    opt.step([np.zeros(2)], [np.ones(2)])
    with pytest.raises(ValueError, match="reset"):
        opt.step([np.zeros(3)], [np.ones(3)])


@pytest.mark.parametrize("function, kwargs", [
    (momentum, dict(learning_rate=0.02)),
    (nesterov, dict(learning_rate=0.02)),
    (adagrad, dict(learning_rate=0.5, max_iter=20000)),
    (rmsprop, dict(learning_rate=0.001, max_iter=20000)),
    (adam, dict(learning_rate=0.01, max_iter=20000)),
])
def test_adaptive_methods_reach_quadratic_optimum(function, kwargs):
    A = np.diag([1.0, 30.0])
    b = np.array([1.0, -2.0])
    f, g, _ = quadratic(A, b)
    res = function(f, g, [0.0, 0.0], tol=1e-7, **kwargs)
    assert res.success, res.message
    assert_allclose(res.x, np.linalg.solve(A, b), atol=1e-6)


# ---------------------------------------------------------------------------
# Callbacks
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("run", [
    lambda cb: gradient_descent(rosen, rosen_der, [-1.2, 1.0], learning_rate=1e-3, callback=cb),
    lambda cb: adam(rosen, rosen_der, [-1.2, 1.0], callback=cb),
    lambda cb: bfgs(rosen, rosen_der, [-1.2, 1.0], callback=cb),
    lambda cb: newton(rosen, rosen_der, [-1.2, 1.0], hess=rosen_hess, callback=cb),
    lambda cb: newton(rosen, rosen_der, [-1.2, 1.0], hess=rosen_hess, line_search=True, callback=cb),
])
def test_stop_iteration_in_callback_stops_the_run(run):
    f = rosen
    seen = []

    def callback(intermediate):
        seen.append((intermediate.nit, intermediate.x.copy(), intermediate.fun))
        if intermediate.nit == 2:
            raise StopIteration

    res = run(callback)
    assert res.status == 3 and res.success is False
    assert "callback" in res.message and "StopIteration" in res.message
    assert res.nit == 2 and [s[0] for s in seen] == [1, 2]
    assert res.history.x.shape == (3, 2)
    assert_allclose(seen[-1][1], res.x)
    assert seen[-1][2] == pytest.approx(f(res.x))


def test_sgd_callback_runs_per_epoch_and_can_stop():
    X = np.random.default_rng(0).standard_normal((50, 2))
    y = X @ np.array([1.0, 2.0])
    loss, grad = least_squares()
    epochs = []

    def callback(r):
        epochs.append(r.epoch)
        if r.epoch == 3:
            raise StopIteration

    res = sgd(loss, grad, np.zeros(2), (X, y), batch_size=10, epochs=10, rng=np.random.default_rng(0),
              callback=callback)
    assert epochs == [1, 2, 3] and res.status == 3 and not res.success
    assert res.nit == 15 and len(res.history) == 4


# ---------------------------------------------------------------------------
# BFGS and the line search, against scipy
# ---------------------------------------------------------------------------

def test_bfgs_rosenbrock_matches_scipy():
    ours = bfgs(rosen, rosen_der, [-1.2, 1.0])
    ref = minimize(rosen, [-1.2, 1.0], jac=rosen_der, method="BFGS")
    assert ours.success and ref.success
    assert_allclose(ours.x, [1.0, 1.0], atol=1e-6)
    assert_allclose(ours.x, ref.x, atol=1e-6)
    assert ours.nit <= 1.5 * ref.nit


def test_bfgs_ill_conditioned_quadratic_matches_solve_and_scipy():
    rng = np.random.default_rng(0)
    A = spd_matrix(rng, 30, 1e3)
    b = rng.standard_normal(30)
    f, g, _ = quadratic(A, b)
    exact = np.linalg.solve(A, b)
    ours = bfgs(f, g, np.zeros(30), tol=1e-8)
    ref = minimize(f, np.zeros(30), jac=g, method="BFGS", options={"gtol": 1e-8})
    assert ours.success
    assert_allclose(ours.x, exact, atol=1e-8)
    assert_allclose(ours.x, ref.x, atol=1e-7)
    # With scipy's starting matrix (the unscaled identity, our default) the iteration counts are comparable.
    assert ours.nit <= 1.5 * ref.nit
    same_start = bfgs(f, g, np.zeros(30), tol=1e-8, hess_inv0=np.eye(30))
    assert same_start.success and same_start.nit == ours.nit


def test_bfgs_and_newton_logistic_regression_match_scipy():
    fun, grad, hess, w0 = logistic_problem()
    ref_bfgs = minimize(fun, w0, jac=grad, method="BFGS", options={"gtol": 1e-9})
    ref_ncg = minimize(fun, w0, jac=grad, hess=hess, method="Newton-CG", options={"xtol": 1e-12})
    assert_allclose(ref_bfgs.x, ref_ncg.x, atol=1e-6)  # the two references agree
    ours = bfgs(fun, grad, w0, tol=1e-9)
    ours_newton = newton(fun, grad, w0, hess=hess)
    assert ours.success and ours_newton.success
    assert_allclose(ours.x, ref_ncg.x, atol=1e-6)
    assert_allclose(ours_newton.x, ref_ncg.x, atol=1e-6)
    assert ours.fun == pytest.approx(ref_bfgs.fun, rel=1e-10)


def test_bfgs_is_invariant_to_scaling_the_loss():
    """The scaled H0 (Nocedal & Wright 6.20) makes the steps independent of the loss's units."""
    a = bfgs(rosen, rosen_der, [-1.2, 1.0], initial_scaling=True)
    b = bfgs(lambda x: 1e-3 * rosen(x), lambda x: 1e-3 * rosen_der(x), [-1.2, 1.0], tol=1e-9,
             initial_scaling=True)
    assert_allclose(a.history.x[:10], b.history.x[:10], rtol=1e-8)


@HYPOTHESIS
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 12), log_condition=st.floats(0.0, 3.0))
def test_bfgs_reaches_solve_solution_on_random_convex_quadratics(seed, n, log_condition):
    rng = np.random.default_rng(seed)
    A = spd_matrix(rng, n, 10.0**log_condition)
    b = rng.standard_normal(n)
    f, g, _ = quadratic(A, b)
    res = bfgs(f, g, rng.standard_normal(n), tol=1e-10)
    assert res.success, res.message
    assert_allclose(res.x, np.linalg.solve(A, b), atol=1e-8)


@HYPOTHESIS
@given(seed=st.integers(0, 2**32 - 1), c2=st.sampled_from([0.1, 0.5, 0.9]))
def test_line_search_step_satisfies_strong_wolfe(seed, c2):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2, 2, size=2)
    g0 = rosen_der(x)
    direction = -g0 * rng.uniform(0.01, 2.0, size=2)  # a descent direction (positive diagonal scaling)
    c1 = 1e-4
    ls = line_search(rosen, rosen_der, x, direction, c1=c1, c2=c2, max_iter=60)
    assert ls.success, ls.message
    slope0 = g0 @ direction
    new = x + ls.step * direction
    # Sufficient decrease, except where the loss is flat to rounding level (documented relaxation).
    assert rosen(new) <= rosen(x) + c1 * ls.step * slope0 or abs(rosen(new) - rosen(x)) <= 1e-10 * rosen(x)
    assert abs(rosen_der(new) @ direction) <= c2 * abs(slope0)
    assert ls.fun == pytest.approx(rosen(new), rel=1e-12)
    assert_allclose(ls.jac, rosen_der(new), rtol=1e-12)


def test_line_search_rejects_ascent_direction():
    with pytest.raises(ValueError, match="not a descent direction"):
        line_search(rosen, rosen_der, [-1.2, 1.0], rosen_der(np.array([-1.2, 1.0])))


def test_line_search_exact_on_quadratic_along_gradient_when_curvature_is_uniform():
    f, g, _ = quadratic(3.0 * np.eye(2), np.zeros(2))
    ls = line_search(f, g, [1.0, 1.0], -g(np.array([1.0, 1.0])), initial_step=1.0)
    assert ls.success and ls.step == pytest.approx(1 / 3)


# ---------------------------------------------------------------------------
# Newton's method
# ---------------------------------------------------------------------------

def test_newton_solves_a_quadratic_in_one_step():
    rng = np.random.default_rng(5)
    A = spd_matrix(rng, 6, 100.0)
    b = rng.standard_normal(6)
    f, g, h = quadratic(A, b)
    res = newton(f, g, np.zeros(6), hess=h)
    assert res.success and res.nit == 1
    assert_allclose(res.x, np.linalg.solve(A, b), rtol=1e-10)


def test_newton_one_dimensional_with_scalar_hessian():
    res = newton(lambda x: float((x[0] - 3.0) ** 2), lambda x: 2 * (x - 3.0), 0.0, hess=lambda x: 2.0)
    assert res.success and res.nit == 1 and res.x.shape == (1,)
    assert res.x[0] == pytest.approx(3.0, abs=1e-15)


def test_non_finite_loss_at_x0_is_reported():
    res = gradient_descent(lambda x: float(np.log(x[0] - 1.0)), lambda x: 1.0 / (x - 1.0), 0.0)
    assert res.status == 2 and res.nit == 0 and "x0" in res.message


def test_newton_converges_quadratically():
    """e_{k+1} <= C e_k^2 near a minimum with Lipschitz Hessian; for exp(x) - 2x, C -> f'''/(2 f'') = 1/2."""
    f = lambda x: float(np.exp(x[0]) - 2 * x[0])
    res = newton(f, lambda x: np.exp(x) - 2, 1.5, hess=lambda x: np.exp(x), tol=1e-15)
    errors = np.abs(res.history.x[:, 0] - np.log(2.0))
    errors = errors[errors > 1e-13]
    ratios = errors[1:] / errors[:-1] ** 2
    assert len(ratios) >= 3
    assert np.all(ratios < 1.0)
    assert ratios[-1] == pytest.approx(0.5, rel=0.05)


def test_newton_rosenbrock_with_line_search_matches_scipy_newton_cg():
    ref = minimize(rosen, [-1.2, 1.0], jac=rosen_der, hess=rosen_hess, method="Newton-CG",
                   options={"xtol": 1e-12})
    res = newton(rosen, rosen_der, [-1.2, 1.0], hess=rosen_hess, line_search=True)
    assert res.success, res.message
    assert_allclose(res.x, ref.x, atol=1e-6)
    assert res.nhev >= res.nit


def test_newton_singular_hessian_stops_with_a_clear_message():
    f = lambda x: float(x[0] ** 2 + x[1])  # linear in x[1]: Hessian [[2, 0], [0, 0]]
    res = newton(f, lambda x: np.array([2 * x[0], 1.0]), [1.0, 1.0], hess=lambda x: np.diag([2.0, 0.0]))
    assert res.status == 5 and not res.success
    assert "singular" in res.message


def test_newton_with_line_search_steps_along_minus_gradient_where_hessian_is_singular():
    f = lambda x: float(x[0] ** 2 + x[1] ** 4)  # Hessian diag(2, 12 x1^2): singular on x1 = 0
    g = lambda x: np.array([2 * x[0], 4 * x[1] ** 3])
    h = lambda x: np.diag([2.0, 12 * x[1] ** 2])
    assert newton(f, g, [1.0, 0.0], hess=h).status == 5
    res = newton(f, g, [1.0, 0.0], hess=h, line_search=True)
    assert res.success and res.status == 0
    assert_allclose(res.x, [0.0, 0.0], atol=1e-8)


def test_newton_without_line_search_can_stop_at_a_maximum():
    f = lambda x: float(x[0] ** 4 / 4 - x[0] ** 2 / 2)
    g = lambda x: x**3 - x
    h = lambda x: 3 * x**2 - 1
    pure = newton(f, g, 0.3, hess=h)
    assert pure.success and abs(pure.x[0]) < 1e-8 and "not positive definite" in pure.message
    guarded = newton(f, g, 0.3, hess=h, line_search=True)
    assert guarded.success and guarded.x[0] == pytest.approx(1.0, abs=1e-8)
    assert "not positive definite" not in guarded.message


def test_newton_root_matches_scipy_newton():
    f = lambda x: np.cos(x) - x
    fp = lambda x: -np.sin(x) - 1
    ours = newton_root(f, fp, 1.0)
    assert ours.success
    assert ours.x[0] == pytest.approx(scipy_newton(f, 1.0, fprime=fp, tol=1e-14), abs=1e-14)
    assert abs(ours.fun) <= 1e-12
    assert ours.history.x.shape == (ours.nit + 1, 1)
    assert_allclose(ours.history.fun, [f(x) for x in ours.history.x[:, 0]])


def test_newton_root_is_newton_on_the_derivative():
    """Minimising L by newton() and finding the root of L' by newton_root() take the same steps."""
    L = lambda x: float(np.exp(x[0]) - 2 * x[0])
    minimize_run = newton(L, lambda x: np.exp(x) - 2, 1.0, hess=lambda x: np.exp(x), tol=1e-13)
    root_run = newton_root(lambda x: np.exp(x) - 2, np.exp, 1.0, tol=1e-13)
    k = min(len(minimize_run.history), len(root_run.history))
    assert_allclose(minimize_run.history.x[:k], root_run.history.x[:k], rtol=1e-14)


def test_newton_root_zero_derivative():
    res = newton_root(lambda x: x**2 + 1, lambda x: 2 * x, 0.0)
    assert res.status == 5 and "f'(x) = 0" in res.message


# ---------------------------------------------------------------------------
# Mini-batch SGD
# ---------------------------------------------------------------------------

def least_squares():
    loss = lambda w, X, y: float(np.mean((X @ w - y) ** 2))
    grad = lambda w, X, y: 2 * X.T @ (X @ w - y) / len(y)
    return loss, grad


def regression_data(seed=0, n=300):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.standard_normal(n)
    return X, y


def test_sgd_reproducible_for_a_seed_and_different_across_seeds():
    X, y = regression_data()
    loss, grad = least_squares()
    run = lambda seed: sgd(loss, grad, np.zeros(3), (X, y), learning_rate=0.05, batch_size=16, epochs=3,
                           rng=np.random.default_rng(seed))
    a, b, c = run(7), run(7), run(8)
    assert_allclose(a.history.x, b.history.x, rtol=0, atol=0)
    assert not np.allclose(a.x, c.x, rtol=0, atol=1e-12)


def test_sgd_counts_and_history():
    X, y = regression_data(n=100)
    loss, grad = least_squares()
    res = sgd(loss, grad, np.zeros(3), (X, y), batch_size=32, epochs=5, rng=np.random.default_rng(0))
    # all epochs run, no convergence test (no tol): status 1, and success means converged only
    assert not res.success and res.status == 1 and res.epochs == 5
    assert res.nit == 5 * 4  # ceil(100 / 32) = 4 batches per epoch
    assert res.history.x.shape == (6, 3)
    assert_allclose(res.history.iteration, [0, 4, 8, 12, 16, 20])
    assert_allclose(res.history.fun, [loss(w, X, y) for w in res.history.x])


def test_sgd_full_batch_without_shuffle_is_gradient_descent():
    X, y = regression_data(n=64)
    loss, grad = least_squares()
    res = sgd(loss, grad, np.zeros(3), (X, y), learning_rate=0.1, batch_size=64, epochs=7,
              rng=np.random.default_rng(0), shuffle=False)
    gd = gradient_descent(lambda w: loss(w, X, y), lambda w: grad(w, X, y), np.zeros(3), learning_rate=0.1,
                          max_iter=7, tol=0.0)
    assert_allclose(res.history.x, gd.history.x, rtol=1e-14)


@pytest.mark.parametrize("optimizer", [None, Momentum(0.01, 0.9), Adam(0.02)])
def test_sgd_approaches_least_squares_solution(optimizer):
    X, y = regression_data()
    loss, grad = least_squares()
    res = sgd(loss, grad, np.zeros(3), (X, y), learning_rate=0.05, batch_size=10, epochs=40,
              rng=np.random.default_rng(1), optimizer=optimizer)
    exact = np.linalg.lstsq(X, y, rcond=None)[0]
    # Mini-batch noise keeps SGD a small distance from the optimum at a fixed learning rate.
    assert_allclose(res.x, exact, atol=0.02)
    assert res.history.fun[-1] < 0.05 * res.history.fun[0]


def test_sgd_divergence_is_reported():
    X, y = regression_data(n=50)
    loss, grad = least_squares()
    res = sgd(loss, grad, np.zeros(3), (X, y), learning_rate=5.0, batch_size=10, epochs=200,
              rng=np.random.default_rng(0))
    assert res.status == 2 and not res.success
    assert "learning rate 5 is likely too large" in res.message


# ---------------------------------------------------------------------------
# Bad input
# ---------------------------------------------------------------------------

def quad_f(x):
    return float(x @ x)


def quad_g(x):
    return 2 * x


@pytest.mark.parametrize("call, error, name", [
    (lambda: gradient_descent(quad_f, quad_g, [1.0], learning_rate=0.0), ValueError, "learning_rate"),
    (lambda: gradient_descent(quad_f, quad_g, [1.0], learning_rate=-0.1), ValueError, "learning_rate"),
    (lambda: adam(quad_f, quad_g, [1.0], max_iter=0), ValueError, "max_iter"),
    (lambda: adam(quad_f, quad_g, [1.0], max_iter=2.5), TypeError, "max_iter"),
    (lambda: momentum("f", quad_g, [1.0]), TypeError, "fun"),
    (lambda: momentum(quad_f, None, [1.0]), TypeError, "grad"),
    (lambda: rmsprop(quad_f, quad_g, [np.inf]), ValueError, "x0"),
    (lambda: rmsprop(quad_f, quad_g, [[1.0]]), ValueError, "x0"),
    (lambda: momentum(quad_f, quad_g, [1.0], beta=1.0), ValueError, "beta"),
    (lambda: nesterov(quad_f, quad_g, [1.0], beta=-0.1), ValueError, "beta"),
    (lambda: adam(quad_f, quad_g, [1.0], beta2=1.5), ValueError, "beta2"),
    (lambda: rmsprop(quad_f, quad_g, [1.0], rho=1.0), ValueError, "rho"),
    (lambda: adagrad(quad_f, quad_g, [1.0], eps=0.0), ValueError, "eps"),
    (lambda: gradient_descent(quad_f, quad_g, [1.0], callback=3), TypeError, "callback"),
    (lambda: newton(quad_f, quad_g, [1.0], hess="H"), TypeError, "hess"),
    (lambda: bfgs(quad_f, quad_g, [1.0, 2.0], hess_inv0=-np.eye(2)), ValueError, "hess_inv0"),
    (lambda: line_search(quad_f, quad_g, [1.0], [-1.0], c1=0.5, c2=0.1), ValueError, "c1"),
    (lambda: newton_root(np.cos, np.sin, "1"), TypeError, "x0"),
    (lambda: Adam(weight_decay=-1.0), ValueError, "weight_decay"),
    (lambda: SGD(learning_rate=0), ValueError, "learning_rate"),
    (lambda: gradient_descent(lambda x: x, quad_g, [1.0, 2.0]), ValueError, "fun must return a scalar"),
    (lambda: gradient_descent(quad_f, lambda x: np.ones(3), [1.0, 2.0]), ValueError, "grad must return"),
])
def test_bad_input_names_the_argument(call, error, name):
    with pytest.raises(error, match=name):
        call()


@pytest.mark.parametrize("kwargs, error, name", [
    (dict(rng=None), TypeError, "rng"),
    (dict(rng=0), TypeError, "rng"),
    (dict(batch_size=0), ValueError, "batch_size"),
    (dict(epochs=0), ValueError, "epochs"),
    (dict(optimizer="adam"), TypeError, "optimizer"),
])
def test_sgd_bad_input(kwargs, error, name):
    X, y = regression_data(n=10)
    loss, grad = least_squares()
    kwargs = {"rng": np.random.default_rng(0), **kwargs}
    with pytest.raises(error, match=name):
        sgd(loss, grad, np.zeros(3), (X, y), **kwargs)


def test_sgd_requires_rng_and_equal_lengths():
    X, y = regression_data(n=10)
    loss, grad = least_squares()
    with pytest.raises(TypeError, match="rng"):
        sgd(loss, grad, np.zeros(3), (X, y))
    with pytest.raises(ValueError, match="same length"):
        sgd(loss, grad, np.zeros(3), (X, y[:-1]), rng=np.random.default_rng(0))


def test_public_names():
    for name in optim.__all__:
        assert hasattr(optim, name)
