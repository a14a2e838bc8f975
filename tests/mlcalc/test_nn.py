"""Tests of mlcalc.nn against scipy, sympy, scikit-learn, finite differences and mlcalc.autodiff."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.special
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from sklearn.datasets import load_digits
from sklearn.metrics import accuracy_score, log_loss, mean_squared_error, r2_score
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor

from mlcalc import optim
from mlcalc.autodiff import Value
from mlcalc.nn import (
    ACTIVATIONS, MLP, activation_table, binary_cross_entropy, binary_cross_entropy_gradient,
    binary_cross_entropy_with_logits, binary_cross_entropy_with_logits_gradient, cross_entropy,
    cross_entropy_gradient, leaky_relu, leaky_relu_derivative, log_softmax, mse, mse_gradient, relu,
    sigmoid, softmax, softmax_jacobian, softplus, tanh,
)


def central_difference_gradient(f, x, h=1e-6):
    """Gradient of the scalar function f at the array x, entry by entry (error O(h^2))."""
    x = np.array(x, dtype=float)
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        up = f(x)
        x[i] = old - h
        down = f(x)
        x[i] = old
        g[i] = (up - down) / (2 * h)
    return g


class StandInSGD:
    """A minimal optimizer with the mlcalc.optim interface: step(params, grads) updates in place."""

    def __init__(self, learning_rate):
        self.learning_rate = learning_rate

    def step(self, params, grads):
        for p, g in zip(params, grads):
            p -= self.learning_rate * g


# --- activations ---------------------------------------------------------------------
x_sym = sp.Symbol("x", real=True)
SYMPY_ACTIVATIONS = {
    "sigmoid": 1 / (1 + sp.exp(-x_sym)),
    "tanh": sp.tanh(x_sym),
    "relu": sp.Max(x_sym, 0),
    "leaky_relu": sp.Piecewise((x_sym, x_sym > 0), (sp.Rational(1, 100) * x_sym, True)),
    "softplus": sp.log(1 + sp.exp(x_sym)),
}
# Points away from the kink at 0 of relu and leaky relu.
GRID = np.array([-7.5, -3.0, -1.2, -0.4, 0.3, 0.9, 2.2, 6.0])


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_activation_and_derivative_match_sympy(name):
    f, df = ACTIVATIONS[name]
    expr = SYMPY_ACTIVATIONS[name]
    f_ref = np.array([float(expr.subs(x_sym, t)) for t in GRID])
    df_ref = np.array([float(sp.diff(expr, x_sym).subs(x_sym, t)) for t in GRID])
    assert_allclose(f(GRID), f_ref, rtol=1e-13, atol=1e-15)
    assert_allclose(df(GRID), df_ref, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_activation_derivative_matches_central_differences(name):
    f, df = ACTIVATIONS[name]
    h = 1e-6
    assert_allclose(df(GRID), (f(GRID + h) - f(GRID - h)) / (2 * h), rtol=1e-7, atol=1e-9)


def test_activations_match_scipy_and_numpy():
    x = np.linspace(-30, 30, 121)
    assert_allclose(sigmoid(x), scipy.special.expit(x), rtol=1e-14)
    assert_allclose(tanh(x), np.tanh(x))
    assert_allclose(softplus(x), np.log1p(np.exp(x)), rtol=1e-14)
    assert_allclose(relu(x), np.where(x > 0, x, 0))
    assert_allclose(leaky_relu(x, alpha=0.2), np.where(x > 0, x, 0.2 * x))
    assert_allclose(leaky_relu_derivative(x, alpha=0.2), np.where(x > 0, 1.0, 0.2))
    scores = np.random.default_rng(0).normal(scale=5, size=(7, 4))
    assert_allclose(softmax(scores), scipy.special.softmax(scores, axis=-1), rtol=1e-14)
    assert_allclose(softmax(scores, axis=0), scipy.special.softmax(scores, axis=0), rtol=1e-14)
    assert_allclose(log_softmax(scores), scipy.special.log_softmax(scores, axis=-1), rtol=1e-13)


def test_scalar_input_gives_a_scalar():
    assert sigmoid(0.0) == 0.5 and np.ndim(sigmoid(0.0)) == 0
    assert ACTIVATIONS["relu"].derivative(2.0) == 1.0


def test_softmax_jacobian_matches_finite_differences():
    x = np.array([0.3, -1.2, 2.0, 0.1])
    J = softmax_jacobian(x)
    for j in range(x.size):
        e = np.zeros_like(x)
        e[j] = 1e-6
        assert_allclose(J[:, j], (softmax(x + e) - softmax(x - e)) / 2e-6, atol=1e-9)
    assert_allclose(J.sum(axis=1), 0.0, atol=1e-15)


@given(st.floats(-50, 50), st.floats(-50, 50))
def test_softmax_is_shift_invariant_and_sums_to_one(a, b):
    x = np.array([a, b, 0.0])
    assert_allclose(softmax(x + 123.0), softmax(x), rtol=1e-12, atol=1e-300)
    assert softmax(x).sum() == pytest.approx(1.0, rel=1e-14)


def test_activation_table_matches_activations():
    rows = activation_table()
    assert [r["name"] for r in rows] == list(ACTIVATIONS)
    assert all(r["function"] and r["derivative"] and r["derivative_range"] for r in rows)


EXTREMES = np.array([-1000.0, -500.0, 0.0, 500.0, 1000.0])


def test_activations_are_stable_at_plus_minus_1000():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for name, (f, df) in ACTIVATIONS.items():
            values, slopes = f(EXTREMES), df(EXTREMES)
            assert np.all(np.isfinite(values)) and np.all(np.isfinite(slopes)), name
        assert_allclose(sigmoid(EXTREMES), [0, np.exp(-500.0), 0.5, 1, 1], rtol=1e-12)
        assert_allclose(softplus(EXTREMES), [0, np.exp(-500.0), np.log(2), 500, 1000], rtol=1e-12)
        assert_allclose(softmax([[1000.0, -1000.0, 1000.0]]), [[0.5, 0, 0.5]])
        assert_allclose(log_softmax([[1000.0, -1000.0]]), [[0, -2000.0]])
        z = np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 0.0]])
        assert cross_entropy(z, [0, 1]) == 0.0
        assert cross_entropy(z, [2, 0]) == pytest.approx(1500.0)
        assert np.all(np.isfinite(cross_entropy_gradient(z, [2, 0])))
        assert binary_cross_entropy_with_logits(EXTREMES, [0, 1, 1, 1, 1]) == pytest.approx((500.0 + np.log(2)) / 5)
        assert np.all(np.isfinite(binary_cross_entropy_with_logits_gradient(EXTREMES, [0, 1, 1, 1, 0])))
        p = sigmoid(EXTREMES)  # exactly 0 and 1 at the ends: clipped, so still finite
        assert np.isfinite(binary_cross_entropy(p, [1, 0, 1, 0, 1]))
        assert np.all(np.isfinite(binary_cross_entropy_gradient(p, [1, 0, 1, 0, 1])))


# --- losses ----------------------------------------------------------------------------------
rng = np.random.default_rng(1)
N, K = 9, 4
PRED = rng.normal(size=(N, 1))
TARGET = rng.normal(size=N)
PROBS = rng.uniform(0.05, 0.95, size=N)
LABELS01 = rng.integers(0, 2, size=N)
LOGITS = rng.normal(scale=2, size=(N, K))
LABELS = rng.integers(0, K, size=N)


def test_losses_match_scikit_learn():
    assert mse(PRED, TARGET) == pytest.approx(mean_squared_error(TARGET, PRED.ravel()), rel=1e-14)
    assert binary_cross_entropy(PROBS, LABELS01) == pytest.approx(log_loss(LABELS01, PROBS), rel=1e-12)
    probs = scipy.special.softmax(LOGITS, axis=1)
    expected = log_loss(LABELS, probs, labels=range(K))
    assert cross_entropy(LOGITS, LABELS) == pytest.approx(expected, rel=1e-12)
    assert cross_entropy(probs, LABELS, from_logits=False) == pytest.approx(expected, rel=1e-12)
    z = np.log(PROBS / (1 - PROBS))
    assert binary_cross_entropy_with_logits(z, LABELS01) == pytest.approx(log_loss(LABELS01, PROBS), rel=1e-12)


def test_one_hot_and_integer_labels_agree():
    one_hot = np.eye(K)[LABELS]
    assert cross_entropy(LOGITS, one_hot) == pytest.approx(cross_entropy(LOGITS, LABELS), rel=1e-15)
    assert_allclose(cross_entropy_gradient(LOGITS, one_hot), cross_entropy_gradient(LOGITS, LABELS))
    assert cross_entropy(LOGITS, LABELS[:, None]) == cross_entropy(LOGITS, LABELS)


@pytest.mark.parametrize("loss, gradient, prediction, target", [
    (mse, mse_gradient, PRED, TARGET),
    (mse, mse_gradient, rng.normal(size=(N, 3)), rng.normal(size=(N, 3))),
    (binary_cross_entropy, binary_cross_entropy_gradient, PROBS, LABELS01),
    (binary_cross_entropy, binary_cross_entropy_gradient, PROBS[:, None], rng.uniform(size=N)),
    (binary_cross_entropy_with_logits, binary_cross_entropy_with_logits_gradient, PRED, LABELS01),
    (cross_entropy, cross_entropy_gradient, LOGITS, LABELS),
], ids=["mse", "mse-multi", "bce", "bce-soft", "bce-logits", "cross-entropy"])
def test_loss_gradients_match_central_differences(loss, gradient, prediction, target):
    g = gradient(prediction, target)
    assert g.shape == np.shape(prediction)
    assert_allclose(g, central_difference_gradient(lambda p: loss(p, target), prediction), rtol=1e-6, atol=1e-9)


def test_cross_entropy_gradient_from_probabilities_matches_central_differences():
    p = scipy.special.softmax(LOGITS, axis=1)
    fd = central_difference_gradient(lambda q: -np.sum(np.eye(K)[LABELS] * np.log(q)) / N, p)
    assert_allclose(cross_entropy_gradient(p, LABELS, from_logits=False), fd, rtol=1e-6)


def test_vector_and_column_are_paired_never_broadcast_to_n_by_n():
    y_col, y_vec = TARGET[:, None], TARGET
    expected = mean_squared_error(TARGET, PRED.ravel())
    for a, b in ((PRED, y_vec), (PRED.ravel(), y_col), (PRED, y_col), (PRED.ravel(), y_vec)):
        assert mse(a, b) == pytest.approx(expected, rel=1e-14)
        assert mse_gradient(a, b).shape == a.shape
    # What the broadcasting bug would compute instead: a different number.
    assert np.mean((PRED - y_vec) ** 2) != pytest.approx(expected)


@pytest.mark.parametrize("call", [
    lambda: mse(np.ones(5), np.ones(4)),
    lambda: mse(np.ones((5, 1)), np.ones(4)),
    lambda: mse_gradient(np.ones((5, 2)), np.ones(5)),
    lambda: binary_cross_entropy(np.full(3, 0.5), np.ones(2)),
    lambda: binary_cross_entropy_with_logits(np.zeros((3, 1)), np.ones((2, 1))),
    lambda: cross_entropy(np.zeros((3, 2)), np.zeros(4, dtype=int)),
])
def test_length_mismatch_is_a_value_error(call):
    with pytest.raises(ValueError, match="sample|rows|shape"):
        call()


def test_bad_loss_inputs():
    with pytest.raises(ValueError, match="p must lie in"):
        binary_cross_entropy([1.5, 0.5], [1, 0])
    with pytest.raises(ValueError, match="y must lie in"):
        binary_cross_entropy_with_logits([1.5, 0.5], [2, 0])
    with pytest.raises(ValueError, match="labels"):
        cross_entropy(LOGITS, LABELS + K)
    with pytest.raises(ValueError, match="labels"):
        cross_entropy(LOGITS, LABELS + 0.5)
    with pytest.raises(ValueError, match="sum to 1"):
        cross_entropy(LOGITS, np.ones((N, K)))
    with pytest.raises(ValueError, match="from_logits"):
        cross_entropy(LOGITS, LABELS, from_logits=False)
    with pytest.raises(ValueError, match="one column per class"):
        cross_entropy(np.zeros((3, 1)), [0, 0, 0])
    with pytest.raises(TypeError, match="y_pred"):
        mse("abc", [1.0])
    with pytest.raises(ValueError, match="y"):
        mse([1.0, 2.0], [1.0, np.nan])
    with pytest.raises(ValueError, match="alpha"):
        leaky_relu([1.0], alpha=-0.1)


# --- the MLP: backpropagation -------------------------------------------------------------
OUTPUT_CASES = {"softmax": 3, "sigmoid": 1, "identity": 2}


def targets_for(output, n, r):
    if output == "softmax":
        return r.integers(0, 3, size=n)
    if output == "sigmoid":
        return r.integers(0, 2, size=n)
    return r.normal(size=(n, 2))


@pytest.mark.parametrize("output", list(OUTPUT_CASES))
@pytest.mark.parametrize("activation", list(ACTIVATIONS))
def test_backprop_matches_central_differences(activation, output):
    r = np.random.default_rng([list(ACTIVATIONS).index(activation), list(OUTPUT_CASES).index(output)])
    net = MLP([3, 5, 4, OUTPUT_CASES[output]], activation=activation, output=output, rng=r)
    for p in net.params[1::2]:  # non-zero biases, so their gradients are exercised too
        p[:] = r.normal(scale=0.3, size=p.shape)
    X = r.normal(size=(6, 3))
    y = targets_for(output, 6, r)
    loss, grads = net.loss_and_gradients(X, y)
    assert [g.shape for g in grads] == [p.shape for p in net.params]
    for p, g in zip(net.params, grads):
        def loss_at(values, p=p):
            saved = p.copy()
            p[...] = values
            try:
                return net.loss_and_gradients(X, y)[0]
            finally:
                p[...] = saved
        # Central differences, h = 1e-6: error about 1e-9 relative to the gradient.
        assert_allclose(g, central_difference_gradient(loss_at, p), rtol=1e-5, atol=1e-8)
    assert loss == pytest.approx(net.loss_and_gradients(X, y)[0])


def value_network_loss(params, X, y, *, activation, output):
    """The same network built from mlcalc.autodiff Values, sample by sample."""
    W1, b1, W2, b2 = params
    total = 0
    for x, target in zip(X, y):
        hidden = [getattr(sum((x[i] * W1[i][j] for i in range(len(x))), b1[j]), activation)()
                  for j in range(len(b1))]
        logits = [sum((hidden[j] * W2[j][k] for j in range(len(hidden))), b2[k]) for k in range(len(b2))]
        if output == "sigmoid":
            z = logits[0]
            total = total + (1 + (-z).exp()).log() + (1 - target) * z  # -log sigmoid(z) or -log(1 - sigmoid(z))
        else:
            log_sum = sum(z.exp() for z in logits).log()
            total = total + log_sum - logits[int(target)]
    return total / len(X)


@pytest.mark.parametrize("activation, output, sizes", [
    ("tanh", "sigmoid", [2, 3, 1]),
    ("relu", "softmax", [2, 4, 3]),
    ("sigmoid", "softmax", [3, 2, 2]),
])
def test_backprop_matches_autodiff(activation, output, sizes):
    r = np.random.default_rng(7)
    net = MLP(sizes, activation=activation, output=output, rng=r)
    net.params[1][:] = r.normal(scale=0.5, size=sizes[1])
    X = r.normal(size=(5, sizes[0]))
    y = r.integers(0, sizes[-1] if output == "softmax" else 2, size=5)
    loss, grads = net.loss_and_gradients(X, y)

    values = [np.vectorize(Value, otypes=[object])(p) for p in net.params]
    value_loss = value_network_loss([v.tolist() for v in values], X, y, activation=activation, output=output)
    value_loss.backward()
    assert value_loss.data == pytest.approx(loss, rel=1e-12)
    for g, v in zip(grads, values):
        assert_allclose(g, np.vectorize(lambda node: node.grad)(v), rtol=1e-10, atol=1e-14)


def test_forward_matches_scikit_learn_with_the_same_weights():
    X, y = load_digits(return_X_y=True)
    X = X[:200] / 16.0
    y = y[:200]
    net = MLP([64, 20, 10], activation="tanh", output="softmax", rng=3)
    sk = MLPClassifier(hidden_layer_sizes=(20,), activation="tanh", max_iter=1, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sk.fit(X, y)
    sk.coefs_ = [w.copy() for w in net.params[0::2]]
    sk.intercepts_ = [b.copy() for b in net.params[1::2]]
    assert_allclose(net.predict_proba(X), sk.predict_proba(X), rtol=1e-10, atol=1e-14)
    assert_allclose(net.predict(X), sk.predict(X))
    # sklearn's training loss is the same cross-entropy (with alpha=0 the L2 term vanishes).
    assert net.loss_and_gradients(X, y)[0] == pytest.approx(log_loss(y, sk.predict_proba(X)), rel=1e-10)


def test_regression_forward_and_score_match_scikit_learn():
    r = np.random.default_rng(5)
    X = r.normal(size=(40, 3))
    Y = np.column_stack([X @ [1.0, -2.0, 0.5], np.sin(X[:, 0])])
    net = MLP([3, 6, 2], activation="relu", output="identity", rng=r)
    sk = MLPRegressor(hidden_layer_sizes=(6,), max_iter=1, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sk.fit(X, Y)
    sk.coefs_ = [w.copy() for w in net.params[0::2]]
    sk.intercepts_ = [b.copy() for b in net.params[1::2]]
    assert_allclose(net.predict(X), sk.predict(X), rtol=1e-12)
    assert net.score(X, Y) == pytest.approx(r2_score(Y, sk.predict(X)), rel=1e-12)
    assert net.loss_and_gradients(X, Y)[0] == pytest.approx(mean_squared_error(Y, sk.predict(X)), rel=1e-12)


def test_sigmoid_output_predict_proba_has_two_columns():
    r = np.random.default_rng(2)
    net = MLP([2, 3, 1], activation="tanh", output="sigmoid", rng=r)
    X = r.normal(size=(4, 2))
    proba = net.predict_proba(X)
    assert proba.shape == (4, 2)
    assert_allclose(proba.sum(axis=1), 1.0)
    assert_allclose(net.predict(X), (proba[:, 1] >= 0.5).astype(int))


def test_gradient_norms_vanish_in_a_deep_sigmoid_network_but_not_with_relu():
    r = np.random.default_rng(0)
    X = r.normal(size=(128, 10))
    y = r.integers(0, 2, size=128)
    ratios = {}
    for activation in ("sigmoid", "relu"):
        net = MLP([10] + [32] * 8 + [2], activation=activation, rng=np.random.default_rng(1))
        norms = net.gradient_norms(X, y)
        _, grads = net.loss_and_gradients(X, y)
        assert_allclose(norms, [np.linalg.norm(g) for g in grads[0::2]])
        assert norms.shape == (9,)
        ratios[activation] = norms[0] / norms[-1]
    # sigma' <= 1/4 per layer: eight sigmoid layers shrink the signal by orders of magnitude.
    assert ratios["sigmoid"] < 1e-3
    assert ratios["relu"] > 1e-2


# --- the MLP: training ----------------------------------------------------------------------
XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_Y = np.array([0, 1, 1, 0])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_xor_is_learned_by_a_2_4_1_network(seed):
    net = MLP([2, 4, 1], activation="tanh", output="sigmoid", rng=seed)
    net.fit(XOR_X, XOR_Y, optimizer=StandInSGD(learning_rate=0.5), epochs=2000, batch_size=4, rng=seed)
    assert_allclose(net.predict(XOR_X), XOR_Y)
    assert net.loss_curve_[-1] < 0.1 < net.loss_curve_[0]


@pytest.mark.parametrize("optimizer", [optim.SGD(learning_rate=0.5), optim.Momentum(learning_rate=0.2, beta=0.9),
                                       optim.RMSProp(learning_rate=0.02), optim.Adam(learning_rate=0.05)],
                         ids=["SGD", "Momentum", "RMSProp", "Adam"])
def test_xor_with_every_mlcalc_optimizer(optimizer):
    net = MLP([2, 4, 1], activation="tanh", output="sigmoid", rng=0)
    net.fit(XOR_X, XOR_Y, optimizer=optimizer, epochs=1000, batch_size=4, rng=0)
    assert_allclose(net.predict(XOR_X), XOR_Y)


@pytest.fixture(scope="module")
def digits_split():
    X, y = load_digits(return_X_y=True)
    return train_test_split(X / 16.0, y, test_size=0.25, stratify=y, random_state=0)


@pytest.mark.parametrize("make_optimizer, epochs", [
    (lambda: StandInSGD(learning_rate=0.05), 30),
    (lambda: optim.Momentum(learning_rate=0.05, beta=0.9), 10),
    (lambda: optim.Adam(learning_rate=0.01), 10),
], ids=["stand-in SGD", "Momentum", "Adam"])
def test_digits_accuracy_above_90_percent(digits_split, make_optimizer, epochs):
    X_train, X_test, y_train, y_test = digits_split
    net = MLP([64, 32, 10], activation="relu", output="softmax", rng=0)
    net.fit(X_train, y_train, optimizer=make_optimizer(), epochs=epochs, batch_size=32, rng=1)
    assert net.score(X_test, y_test) > 0.9
    assert net.score(X_test, y_test) == accuracy_score(y_test, net.predict(X_test))
    assert len(net.loss_curve_) == net.n_iter_ == epochs
    assert net.loss_curve_[-1] < net.loss_curve_[0]


def test_fit_updates_params_in_place_is_reproducible_and_continues():
    r = np.random.default_rng(4)
    X = r.normal(size=(30, 3))
    y = r.integers(0, 3, size=30)
    a = MLP([3, 4, 3], rng=0)
    arrays = list(a.params)
    a.fit(X, y, optimizer=StandInSGD(0.1), epochs=3, batch_size=8, rng=5)
    assert all(p is q for p, q in zip(a.params, arrays))
    b = MLP([3, 4, 3], rng=0).fit(X, y, optimizer=StandInSGD(0.1), epochs=3, batch_size=8, rng=5)
    for p, q in zip(a.params, b.params):
        assert_allclose(p, q)
    a.fit(X, y, optimizer=StandInSGD(0.1), epochs=2, rng=6)
    assert len(a.loss_curve_) == a.n_iter_ == 5


def test_one_epoch_of_full_batch_is_one_gradient_step():
    r = np.random.default_rng(8)
    X = r.normal(size=(10, 3))
    y = r.normal(size=10)
    net = MLP([3, 4, 1], activation="tanh", output="identity", rng=1)
    loss, grads = net.loss_and_gradients(X, y)
    expected = [p - 0.1 * g for p, g in zip(net.params, grads)]
    net.fit(X, y, optimizer=StandInSGD(0.1), epochs=1, batch_size=100, rng=0)
    for p, e in zip(net.params, expected):
        assert_allclose(p, e, rtol=1e-12)
    assert net.loss_curve_ == [pytest.approx(loss)]


def test_initialisation_scales():
    he = MLP([400, 300, 2], activation="relu", rng=0)
    xavier = MLP([400, 300, 2], activation="tanh", rng=0)
    assert he.init == "he" and xavier.init == "xavier"
    assert he.params[0].std() == pytest.approx(np.sqrt(2 / 400), rel=0.02)
    assert xavier.params[0].std() == pytest.approx(np.sqrt(2 / 700), rel=0.02)
    assert np.all(he.params[1] == 0)
    assert_allclose(MLP([3, 2], rng=5).params[0], MLP([3, 2], rng=np.random.default_rng(5)).params[0])


def test_mlp_errors():
    with pytest.raises(ValueError, match="layer_sizes"):
        MLP([3], rng=0)
    with pytest.raises(ValueError, match="layer_sizes"):
        MLP([3, 0, 2], rng=0)
    with pytest.raises(TypeError, match="layer_sizes"):
        MLP("32", rng=0)
    with pytest.raises(ValueError, match="activation"):
        MLP([3, 2], activation="swish", rng=0)
    with pytest.raises(ValueError, match="output"):
        MLP([3, 2], output="linear", rng=0)
    with pytest.raises(ValueError, match="one output unit"):
        MLP([3, 2], output="sigmoid", rng=0)
    with pytest.raises(ValueError, match="two output units"):
        MLP([3, 1], output="softmax", rng=0)
    with pytest.raises(TypeError, match="rng"):
        MLP([3, 2], rng=None)
    net = MLP([3, 4, 2], rng=0)
    with pytest.raises(ValueError, match="X must have 3 columns"):
        net.forward(np.zeros((5, 4)))
    with pytest.raises(ValueError, match="y"):
        net.loss_and_gradients(np.zeros((5, 3)), np.zeros(4, dtype=int))
    with pytest.raises(ValueError, match="y must have one row per row of X"):
        net.fit(np.zeros((5, 3)), np.zeros(4, dtype=int), optimizer=StandInSGD(0.1), rng=0)
    with pytest.raises(TypeError, match="optimizer"):
        net.fit(np.zeros((5, 3)), np.zeros(5, dtype=int), optimizer=0.1, rng=0)
    with pytest.raises(ValueError, match="epochs"):
        net.fit(np.zeros((5, 3)), np.zeros(5, dtype=int), optimizer=StandInSGD(0.1), epochs=0, rng=0)
    with pytest.raises(ValueError, match="predict_proba"):
        MLP([3, 1], output="identity", rng=0).predict_proba(np.zeros((2, 3)))
