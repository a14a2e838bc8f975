"""mlcalc.problems, mlcalc.timing and the parameter-vector helpers of mlcalc.nn."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from mlcalc.diff import gradient
from mlcalc.nn import MLP, flatten_params, set_flat_params
from mlcalc.problems import half_mse, half_mse_grad, quadratic, rotation
from mlcalc.timing import time_call


def test_quadratic_gradient_matches_finite_differences():
    rng = np.random.default_rng(0)
    M = rng.normal(size=(4, 4))
    f, grad = quadratic(M @ M.T)
    x = rng.normal(size=4)
    assert_allclose(grad(x), gradient(f, x), rtol=1e-7, atol=1e-9)


def test_quadratic_rejects_bad_matrices():
    with pytest.raises(ValueError, match="square"):
        quadratic(np.ones((2, 3)))
    with pytest.raises(ValueError, match="symmetric"):
        quadratic(np.array([[1.0, 2.0], [0.0, 1.0]]))
    with pytest.raises(ValueError, match="finite"):
        quadratic(np.array([[np.nan, 0.0], [0.0, 1.0]]))


def test_rotation_is_orthogonal_with_determinant_one():
    R = rotation(0.7)
    assert_allclose(R @ R.T, np.eye(2), atol=1e-15)
    assert_allclose(np.linalg.det(R), 1.0)
    tilted = R @ np.diag([1.0, 100.0]) @ R.T
    assert_allclose(np.linalg.eigvalsh(tilted), [1.0, 100.0])
    with pytest.raises(TypeError, match="angle"):
        rotation("0.7")


def test_half_mse_gradient_matches_finite_differences_and_lstsq():
    rng = np.random.default_rng(1)
    A, y = rng.normal(size=(30, 3)), rng.normal(size=30)
    theta = rng.normal(size=3)
    assert_allclose(half_mse_grad(theta, A, y), gradient(lambda t: half_mse(t, A, y), theta), rtol=1e-6)
    best = np.linalg.lstsq(A, y, rcond=None)[0]
    assert_allclose(half_mse_grad(best, A, y), 0.0, atol=1e-12)
    with pytest.raises(ValueError, match="theta must have shape"):
        half_mse(np.zeros(2), A, y)
    with pytest.raises(ValueError, match="y must have shape"):
        half_mse_grad(theta, A, y[:-1])


def test_flat_parameters_round_trip_and_errors():
    net = MLP([3, 4, 2], rng=np.random.default_rng(2))
    theta = flatten_params(net.params)
    assert theta.shape == (3 * 4 + 4 + 4 * 2 + 2,)
    set_flat_params(net, -theta)
    assert_allclose(flatten_params(net.params), -theta)
    with pytest.raises(ValueError, match="length 26"):
        set_flat_params(net, theta[:-1])
    with pytest.raises(TypeError, match="net must be an MLP"):
        set_flat_params(object(), theta)
    with pytest.raises(ValueError, match="at least one"):
        flatten_params([])


def test_time_call_returns_value_and_best_time():
    calls = []
    timing = time_call(lambda: calls.append(1) or len(calls), repeat=3, number=4)
    assert len(calls) == 12 and timing.value == 12
    assert timing.seconds > 0
    with pytest.raises(TypeError, match="func"):
        time_call(3)
    with pytest.raises(ValueError, match="repeat"):
        time_call(lambda: None, repeat=0)
    with pytest.raises(TypeError, match="number"):
        time_call(lambda: None, number=1.5)
