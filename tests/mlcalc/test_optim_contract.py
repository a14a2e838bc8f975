"""The shared contract of mlcalc.optim's minimizers: scipy's result type, honest call counts, success.

The counts are checked against an independent tally: each test wraps the
user's functions in its own counter and compares with ``nfev``, ``njev`` and
``nhev``.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.optimize
from scipy.optimize import rosen, rosen_der, rosen_hess

from mlcalc import optim


class Tally:
    """A function that counts its calls."""

    def __init__(self, function):
        self.function = function
        self.calls = 0

    def __call__(self, *args):
        self.calls += 1
        return self.function(*args)


def test_result_is_scipys_optimize_result():
    res = optim.gradient_descent(lambda x: float(x @ x), lambda x: 2 * x, [1.0, 2.0])
    assert isinstance(res, scipy.optimize.OptimizeResult)
    assert res.x is res["x"] and res.history is res["history"]


@pytest.mark.parametrize("method, options", [
    (optim.gradient_descent, {"learning_rate": 1e-3, "max_iter": 300}),
    (optim.momentum, {"learning_rate": 1e-3, "max_iter": 300}),
    (optim.adam, {"learning_rate": 1e-2, "max_iter": 300}),
    (optim.bfgs, {}),
    (optim.bfgs, {"initial_scaling": True}),
])
def test_first_order_and_bfgs_counts_are_the_calls_made(method, options):
    fun, grad = Tally(rosen), Tally(rosen_der)
    res = method(fun, grad, [-1.2, 1.0], **options)
    assert (res.nfev, res.njev) == (fun.calls, grad.calls)
    assert res.nfev >= res.nit + 1


@pytest.mark.parametrize("line_search", [False, True])
def test_newton_counts_are_the_calls_made(line_search):
    fun, grad, hess = Tally(rosen), Tally(rosen_der), Tally(rosen_hess)
    res = optim.newton(fun, grad, [-1.2, 1.0], hess=hess, line_search=line_search, max_iter=200)
    assert res.success
    assert (res.nfev, res.njev, res.nhev) == (fun.calls, grad.calls, hess.calls)
    # one Hessian per step, and one more to say whether the stationary point is a minimum
    assert res.nhev == res.nit + 1


def test_newton_root_and_line_search_counts_are_the_calls_made():
    f, fprime = Tally(lambda x: x ** 3 - 2), Tally(lambda x: 3 * x ** 2)
    res = optim.newton_root(f, fprime, 1.0)
    assert (res.nfev, res.njev) == (f.calls, fprime.calls) == (res.nit + 1, res.nit + 1)
    fun, grad = Tally(rosen), Tally(rosen_der)
    x = np.array([-1.2, 1.0])
    ls = optim.line_search(fun, grad, x, -rosen_der(x))
    assert (ls.nfev, ls.njev) == (fun.calls, grad.calls)


def _least_squares(n=80):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(n, 2))
    y = X @ np.array([1.5, -0.5])
    loss = lambda w, X, y: float(np.mean((X @ w - y) ** 2)) / 2
    grad = lambda w, X, y: X.T @ (X @ w - y) / len(y)
    return X, y, loss, grad


def test_sgd_counts_and_success_means_converged():
    X, y, loss, grad = _least_squares()
    fun, gradient = Tally(loss), Tally(grad)
    res = optim.sgd(fun, gradient, np.zeros(2), (X, y), learning_rate=0.1, batch_size=16, epochs=30,
                    rng=np.random.default_rng(0))
    assert (res.nfev, res.njev) == (fun.calls, gradient.calls)
    assert (res.status, res.success, res.epochs) == (1, False, 30)  # no tol: all epochs, not "converged"
    early = optim.sgd(loss, grad, np.zeros(2), (X, y), learning_rate=0.1, batch_size=16, epochs=30,
                      rng=np.random.default_rng(0), tol=1e-4)
    assert (early.status, early.success) == (0, True) and early.epochs < 30
    assert np.max(np.abs(grad(early.x, X, y))) <= 1e-4 < np.max(np.abs(grad(early.history.x[-2], X, y)))
    # without tol the same seed takes the same path: the early run is a prefix of the full one
    np.testing.assert_array_equal(early.history.x, res.history.x[:len(early.history)])


def test_sgd_tol_at_the_start_and_bad_tol():
    X, y, loss, grad = _least_squares()
    solution = np.array([1.5, -0.5])
    res = optim.sgd(loss, grad, solution, (X, y), tol=1e-8, rng=np.random.default_rng(0))
    assert res.success and res.nit == 0 and "x0" in res.message
    with pytest.raises(ValueError, match="tol"):
        optim.sgd(loss, grad, solution, (X, y), tol=-1.0, rng=np.random.default_rng(0))


def test_max_iter_messages_share_one_wording():
    runs = [optim.gradient_descent(rosen, rosen_der, [-1.2, 1.0], learning_rate=1e-3, max_iter=3),
            optim.bfgs(rosen, rosen_der, [-1.2, 1.0], max_iter=2),
            optim.newton(rosen, rosen_der, [-1.2, 1.0], hess=rosen_hess, max_iter=2),
            optim.newton_root(lambda x: x ** 2 - 2, lambda x: 2 * x, 10.0, max_iter=2)]
    for res in runs:
        assert res.status == 1 and not res.success
        assert res.message.startswith("Stopped after max_iter = ") and "is still above tol = " in res.message
