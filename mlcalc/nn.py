"""Activations, losses and a multilayer perceptron trained by hand-written backpropagation (numpy).

Three parts, each usable alone:

* **Activations** and their derivatives, numerically stable for any finite
  input (``sigmoid(-1000)`` neither overflows nor warns). :data:`ACTIVATIONS`
  maps each name to its ``(function, derivative)`` pair;
  :func:`activation_table` lists the formulas.
* **Losses** with their gradients with respect to the prediction:
  mean squared error, binary cross-entropy (from probabilities or, stably,
  from logits) and multiclass cross-entropy. Labels of shape ``(n,)`` and
  predictions of shape ``(n, 1)`` are paired row by row; a different number
  of rows is an error, never a silent ``(n, n)`` broadcast.
* :class:`MLP`, a fully connected network whose :meth:`MLP.loss_and_gradients`
  is backpropagation written out layer by layer, and whose
  :meth:`MLP.fit` takes any optimizer of :mod:`mlcalc.optim`.

See the chapter 'Backpropagation and activation functions'.
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple, Sequence

import numpy as np

from mlcalc._validation import as_float_array, check_choice, check_int, check_positive, check_rng
from mlcalc.metrics import accuracy_score, r2_score

__all__ = [
    "sigmoid", "sigmoid_derivative", "tanh", "tanh_derivative", "relu", "relu_derivative",
    "leaky_relu", "leaky_relu_derivative", "softplus", "softplus_derivative",
    "softmax", "log_softmax", "softmax_jacobian",
    "Activation", "ACTIVATIONS", "activation_table",
    "mse", "mse_gradient", "binary_cross_entropy", "binary_cross_entropy_gradient",
    "binary_cross_entropy_with_logits", "binary_cross_entropy_with_logits_gradient",
    "cross_entropy", "cross_entropy_gradient",
    "MLP", "flatten_params", "set_flat_params",
]

ArrayLike = Any


def _result(arr: np.ndarray) -> Any:
    # A 0-d result comes back as a numpy float, like numpy's own ufuncs.
    return arr[()] if arr.ndim == 0 else arr


# ---------------------------------------------------------------------------
# Activations
# ---------------------------------------------------------------------------

def sigmoid(x: ArrayLike) -> Any:
    r"""The logistic sigmoid, computed without overflow.

    .. math::

        \sigma(x) = \frac{1}{1 + e^{-x}} = \frac{e^{x}}{1 + e^{x}}

    The first form is used for :math:`x \ge 0` and the second for :math:`x < 0`,
    so ``exp`` only ever sees :math:`-|x| \le 0` and cannot overflow.

    Parameters
    ----------
    x : array_like
        Finite real numbers.

    Returns
    -------
    numpy.ndarray or numpy.float64
        Values in :math:`[0, 1]`, same shape as ``x``.

    Examples
    --------
    >>> sigmoid([0.0, 1000.0, -1000.0])
    array([0.5, 1. , 0. ])

    See the chapter 'Backpropagation and activation functions'.
    """
    x = as_float_array(x, "x")
    e = np.exp(-np.abs(x))
    return _result(np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e)))


def sigmoid_derivative(x: ArrayLike) -> Any:
    r"""Derivative of the sigmoid, :math:`\sigma'(x) = \sigma(x)\,(1 - \sigma(x))`.

    At most :math:`1/4` (at :math:`x = 0`): each sigmoid layer multiplies the
    backpropagated gradient by at most a quarter, the root of the vanishing
    gradients of deep sigmoid networks.

    Examples
    --------
    >>> sigmoid_derivative([0.0, 1000.0])
    array([0.25, 0.  ])

    See the chapter 'Backpropagation and activation functions'.
    """
    s = sigmoid(x)
    return s * (1.0 - s)


def tanh(x: ArrayLike) -> Any:
    r"""The hyperbolic tangent, :math:`\tanh x = \dfrac{e^{x} - e^{-x}}{e^{x} + e^{-x}} = 2\sigma(2x) - 1`.

    Examples
    --------
    >>> tanh([0.0, 1000.0, -1000.0])
    array([ 0.,  1., -1.])

    See the chapter 'Backpropagation and activation functions'.
    """
    return _result(np.tanh(as_float_array(x, "x")))


def tanh_derivative(x: ArrayLike) -> Any:
    r"""Derivative of tanh, :math:`\tanh'(x) = 1 - \tanh^2 x` (at most 1, at :math:`x = 0`).

    Examples
    --------
    >>> tanh_derivative([0.0, 1000.0])
    array([1., 0.])

    See the chapter 'Backpropagation and activation functions'.
    """
    t = tanh(x)
    return 1.0 - t * t


def relu(x: ArrayLike) -> Any:
    r"""The rectified linear unit, :math:`\operatorname{relu}(x) = \max(x, 0)`.

    Examples
    --------
    >>> relu([-2.0, 0.0, 3.0])
    array([0., 0., 3.])

    See the chapter 'Backpropagation and activation functions'.
    """
    return _result(np.maximum(as_float_array(x, "x"), 0.0))


def relu_derivative(x: ArrayLike) -> Any:
    r"""Derivative of relu: 1 for :math:`x > 0`, 0 for :math:`x < 0`.

    .. math::

        \operatorname{relu}'(x) = \begin{cases} 1 & x > 0 \\ 0 & x \le 0 \end{cases}

    At the kink :math:`x = 0` the derivative does not exist; we return 0 there,
    the convention of PyTorch and TensorFlow (any value in :math:`[0, 1]` is a
    subgradient).

    Examples
    --------
    >>> relu_derivative([-2.0, 0.0, 3.0])
    array([0., 0., 1.])

    See the chapter 'Backpropagation and activation functions'.
    """
    return _result((as_float_array(x, "x") > 0).astype(float))


def leaky_relu(x: ArrayLike, alpha: float = 0.01) -> Any:
    r"""Leaky relu: :math:`x` for :math:`x > 0`, :math:`\alpha x` otherwise.

    The small slope :math:`\alpha` keeps a gradient flowing through units whose
    input is negative (a relu unit stuck there is "dead").

    Parameters
    ----------
    x : array_like
    alpha : float, optional
        Slope for negative inputs, :math:`\alpha \ge 0` (0 gives relu).

    Examples
    --------
    >>> leaky_relu([-2.0, 3.0])
    array([-0.02,  3.  ])

    See the chapter 'Backpropagation and activation functions'.
    """
    alpha = check_positive(alpha, "alpha", allow_zero=True)
    x = as_float_array(x, "x")
    return _result(np.where(x > 0, x, alpha * x))


def leaky_relu_derivative(x: ArrayLike, alpha: float = 0.01) -> Any:
    r"""Derivative of leaky relu: 1 for :math:`x > 0`, :math:`\alpha` for :math:`x \le 0` (0 taken on the left).

    Examples
    --------
    >>> leaky_relu_derivative([-2.0, 3.0], alpha=0.1)
    array([0.1, 1. ])

    See the chapter 'Backpropagation and activation functions'.
    """
    alpha = check_positive(alpha, "alpha", allow_zero=True)
    x = as_float_array(x, "x")
    return _result(np.where(x > 0, 1.0, alpha))


def softplus(x: ArrayLike) -> Any:
    r"""Softplus, a smooth relu: :math:`\operatorname{softplus}(x) = \ln(1 + e^{x})`.

    Computed as ``numpy.logaddexp(0, x)``, i.e.
    :math:`\max(x, 0) + \ln(1 + e^{-|x|})`, which neither overflows for large
    :math:`x` nor loses the small values for very negative :math:`x`.

    Examples
    --------
    >>> softplus([-1000.0, 0.0, 1000.0]).tolist()
    [0.0, 0.6931471805599453, 1000.0]

    See the chapter 'Backpropagation and activation functions'.
    """
    return _result(np.logaddexp(0.0, as_float_array(x, "x")))


def softplus_derivative(x: ArrayLike) -> Any:
    r"""Derivative of softplus: :math:`\dfrac{d}{dx}\ln(1 + e^{x}) = \sigma(x)`.

    Examples
    --------
    >>> softplus_derivative(0.0)
    np.float64(0.5)

    See the chapter 'Backpropagation and activation functions'.
    """
    return sigmoid(x)


def softmax(x: ArrayLike, axis: int = -1) -> np.ndarray:
    r"""Softmax along ``axis``: turns scores (logits) into probabilities.

    .. math::

        \operatorname{softmax}(x)_i = \frac{e^{x_i}}{\sum_j e^{x_j}}
        = \frac{e^{x_i - m}}{\sum_j e^{x_j - m}}, \qquad m = \max_j x_j .

    Subtracting the maximum changes nothing mathematically and keeps every
    exponent :math:`\le 0`, so nothing overflows.

    Parameters
    ----------
    x : array_like
        Scores, at least one-dimensional.
    axis : int, optional
        The axis that sums to one (by default the last: one row per sample).

    Examples
    --------
    >>> softmax([1000.0, 1000.0, -1000.0])
    array([0.5, 0.5, 0. ])
    >>> softmax([[0.0, np.log(3.0)]]).round(6)
    array([[0.25, 0.75]])

    See the chapter 'Backpropagation and activation functions'.
    """
    x = as_float_array(x, "x")
    if x.ndim == 0:
        raise ValueError("x must be at least one-dimensional (a vector of scores)")
    z = x - np.max(x, axis=axis, keepdims=True)
    e = np.exp(z)
    return e / np.sum(e, axis=axis, keepdims=True)


def log_softmax(x: ArrayLike, axis: int = -1) -> np.ndarray:
    r"""Logarithm of the softmax, computed directly (never ``log`` of a probability that underflowed to 0).

    .. math::

        \log \operatorname{softmax}(x)_i = (x_i - m) - \ln \sum_j e^{x_j - m},
        \qquad m = \max_j x_j .

    Examples
    --------
    >>> log_softmax([0.0, -1000.0])
    array([    0., -1000.])

    See the chapter 'Backpropagation and activation functions'.
    """
    x = as_float_array(x, "x")
    if x.ndim == 0:
        raise ValueError("x must be at least one-dimensional (a vector of scores)")
    z = x - np.max(x, axis=axis, keepdims=True)
    return z - np.log(np.sum(np.exp(z), axis=axis, keepdims=True))


def softmax_jacobian(x: ArrayLike) -> np.ndarray:
    r"""The Jacobian of the softmax of a vector: softmax is not elementwise, its derivative is a matrix.

    .. math::

        \frac{\partial s_i}{\partial x_j} = s_i(\delta_{ij} - s_j),
        \qquad J = \operatorname{diag}(s) - s s^{\mathsf T}, \quad s = \operatorname{softmax}(x).

    Each row sums to 0, because the probabilities always sum to 1.

    Parameters
    ----------
    x : array_like, shape (k,)

    Examples
    --------
    >>> softmax_jacobian([0.0, 0.0])
    array([[ 0.25, -0.25],
           [-0.25,  0.25]])

    See the chapter 'Backpropagation and activation functions'.
    """
    x = as_float_array(x, "x", ndim=1)
    s = softmax(x)
    return np.diag(s) - np.outer(s, s)


class Activation(NamedTuple):
    """An elementwise activation function and its derivative, both taking the pre-activation ``x``."""

    function: Callable[[ArrayLike], Any]
    derivative: Callable[[ArrayLike], Any]


Activation.function.__doc__ = "The activation :math:`f`, elementwise."
Activation.derivative.__doc__ = "Its derivative :math:`f'`, elementwise, as a function of the same input."


#: Name → ``Activation(function, derivative)`` for the elementwise activations
#: (leaky relu with its default slope 0.01). These are the hidden-layer
#: activations :class:`MLP` accepts.
ACTIVATIONS: dict[str, Activation] = {
    "sigmoid": Activation(sigmoid, sigmoid_derivative),
    "tanh": Activation(tanh, tanh_derivative),
    "relu": Activation(relu, relu_derivative),
    "leaky_relu": Activation(leaky_relu, leaky_relu_derivative),
    "softplus": Activation(softplus, softplus_derivative),
}

# The formulas of ACTIVATIONS, for people: (f(x), f'(x), range of f'), in LaTeX.
_ACTIVATION_FORMULAS: dict[str, tuple[str, str, str]] = {
    "sigmoid": (r"\sigma(x) = 1/(1 + e^{-x})", r"\sigma(x)\,(1 - \sigma(x))", r"(0, 1/4]"),
    "tanh": (r"\tanh x", r"1 - \tanh^2 x", r"(0, 1]"),
    "relu": (r"\max(x, 0)", r"1 \text{ if } x > 0 \text{ else } 0", r"\{0, 1\}"),
    "leaky_relu": (r"x \text{ if } x > 0 \text{ else } 0.01\,x", r"1 \text{ if } x > 0 \text{ else } 0.01",
                   r"\{0.01, 1\}"),
    "softplus": (r"\ln(1 + e^{x})", r"\sigma(x)", r"(0, 1)"),
}


def activation_table() -> list[dict[str, str]]:
    r"""The activation-derivative table: one row per entry of :data:`ACTIVATIONS`.

    Returns
    -------
    list of dict
        Keys ``"name"``, ``"function"``, ``"derivative"`` and
        ``"derivative_range"`` (LaTeX strings, without ``$``), in the order of
        :data:`ACTIVATIONS`; ready for ``pandas.DataFrame`` or a Markdown table.

    Examples
    --------
    >>> row = activation_table()[0]
    >>> print(row["name"], "|", row["function"], "|", row["derivative"])
    sigmoid | \sigma(x) = 1/(1 + e^{-x}) | \sigma(x)\,(1 - \sigma(x))

    See the chapter 'Backpropagation and activation functions'.
    """
    return [{"name": name, "function": f, "derivative": df, "derivative_range": r}
            for name, (f, df, r) in ((n, _ACTIVATION_FORMULAS[n]) for n in ACTIVATIONS)]


# ---------------------------------------------------------------------------
# Losses (mean over samples) and their gradients with respect to the prediction
# ---------------------------------------------------------------------------

def _paired(prediction: ArrayLike, target: ArrayLike, names: tuple[str, str]) -> tuple[np.ndarray, np.ndarray]:
    """Return prediction and target with the same shape, pairing ``(n,)`` with ``(n, 1)``.

    Broadcasting ``(n, 1) - (n,)`` gives an ``(n, n)`` matrix of every
    difference: a silent, classic bug. We reshape the target to the shape of
    the prediction instead, and reject anything else that differs.
    """
    pred = as_float_array(prediction, names[0], ndim=(1, 2))
    y = as_float_array(target, names[1], ndim=(1, 2))
    if pred.shape[0] != y.shape[0]:
        raise ValueError(f"{names[0]} and {names[1]} must have the same number of samples (rows), "
                         f"got {pred.shape[0]} and {y.shape[0]}")
    if pred.shape != y.shape:
        vector_and_column = ((pred.ndim, y.ndim) == (2, 1) and pred.shape[1] == 1) or \
                            ((pred.ndim, y.ndim) == (1, 2) and y.shape[1] == 1)
        if vector_and_column:
            y = y.reshape(pred.shape)
        else:
            raise ValueError(f"{names[0]} has shape {pred.shape} but {names[1]} has shape {y.shape}; "
                             "they must match (a vector of shape (n,) may pair with a column of shape (n, 1))")
    return pred, y


def mse(y_pred: ArrayLike, y: ArrayLike) -> float:
    r"""Mean squared error over all entries.

    .. math::

        L = \frac{1}{N} \sum_{i=1}^{N} (\hat y_i - y_i)^2

    Parameters
    ----------
    y_pred : array_like, shape (n,) or (n, m)
        Predictions.
    y : array_like
        Targets with the same shape; a vector ``(n,)`` and a column ``(n, 1)``
        are paired row by row.

    Returns
    -------
    float

    Examples
    --------
    >>> mse([[1.0], [2.0], [3.0]], [1.0, 2.0, 5.0])  # not the (3, 3) broadcast
    1.3333333333333333

    See the chapter 'Backpropagation and activation functions'.
    """
    pred, y = _paired(y_pred, y, ("y_pred", "y"))
    return float(np.mean((pred - y) ** 2))


def mse_gradient(y_pred: ArrayLike, y: ArrayLike) -> np.ndarray:
    r"""Gradient of :func:`mse` with respect to the predictions, :math:`\dfrac{2}{N}(\hat y - y)`.

    Returns
    -------
    numpy.ndarray
        Same shape as ``y_pred``.

    Examples
    --------
    >>> mse_gradient([1.0, 2.0], [0.0, 2.0])
    array([1., 0.])

    See the chapter 'Backpropagation and activation functions'.
    """
    pred, y = _paired(y_pred, y, ("y_pred", "y"))
    return 2.0 * (pred - y) / pred.size


def _check_unit_interval(arr: np.ndarray, name: str) -> None:
    if np.any(arr < 0) or np.any(arr > 1):
        raise ValueError(f"{name} must lie in [0, 1], got values from {arr.min()} to {arr.max()}")


_PROBABILITY_EPS = 1e-12  # probabilities are clipped to [eps, 1 - eps] so that log never sees 0


def binary_cross_entropy(p: ArrayLike, y: ArrayLike) -> float:
    r"""Binary cross-entropy (log loss) of predicted probabilities.

    .. math::

        L = -\frac{1}{N} \sum_{i=1}^{N} \bigl[ y_i \ln p_i + (1 - y_i) \ln(1 - p_i) \bigr]

    Probabilities are clipped to :math:`[10^{-12}, 1 - 10^{-12}]`, so a
    confidently wrong prediction costs about 27.6 instead of infinity. From
    logits, :func:`binary_cross_entropy_with_logits` needs no clipping.

    Parameters
    ----------
    p : array_like, shape (n,) or (n, 1)
        Predicted probabilities of class 1, in :math:`[0, 1]`.
    y : array_like
        Labels (0 or 1, or soft labels in :math:`[0, 1]`), paired row by row.

    Examples
    --------
    Predicting 1/2 costs :math:`\ln 2 \approx 0.693147` per sample:

    >>> round(binary_cross_entropy([0.5, 0.5], [0, 1]), 6)
    0.693147

    See the chapter 'Backpropagation and activation functions'.
    """
    p, y = _paired(p, y, ("p", "y"))
    _check_unit_interval(p, "p")
    _check_unit_interval(y, "y")
    p = np.clip(p, _PROBABILITY_EPS, 1 - _PROBABILITY_EPS)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log1p(-p)))


def binary_cross_entropy_gradient(p: ArrayLike, y: ArrayLike) -> np.ndarray:
    r"""Gradient of :func:`binary_cross_entropy` with respect to ``p``.

    .. math::

        \frac{\partial L}{\partial p_i} = \frac{1}{N}\,\frac{p_i - y_i}{p_i (1 - p_i)}

    (with ``p`` clipped as in the loss).

    Examples
    --------
    >>> binary_cross_entropy_gradient([0.5, 0.5], [0, 1])
    array([ 1., -1.])

    See the chapter 'Backpropagation and activation functions'.
    """
    p, y = _paired(p, y, ("p", "y"))
    _check_unit_interval(p, "p")
    _check_unit_interval(y, "y")
    p = np.clip(p, _PROBABILITY_EPS, 1 - _PROBABILITY_EPS)
    return (p - y) / (p * (1 - p)) / p.size


def binary_cross_entropy_with_logits(z: ArrayLike, y: ArrayLike) -> float:
    r"""Binary cross-entropy of :math:`p = \sigma(z)`, computed stably from the logits :math:`z`.

    Since :math:`-\ln\sigma(z) = \operatorname{softplus}(-z)` and
    :math:`-\ln(1 - \sigma(z)) = \operatorname{softplus}(z)`,

    .. math::

        L = \frac{1}{N} \sum_{i=1}^{N} \bigl[\operatorname{softplus}(z_i) - y_i z_i\bigr],

    with no exponential that can overflow and no logarithm of 0.

    Parameters
    ----------
    z : array_like, shape (n,) or (n, 1)
        Logits (any real numbers).
    y : array_like
        Labels in :math:`[0, 1]`, paired row by row.

    Examples
    --------
    >>> binary_cross_entropy_with_logits([1000.0, -1000.0], [1, 0])
    0.0

    See the chapter 'Backpropagation and activation functions'.
    """
    z, y = _paired(z, y, ("z", "y"))
    _check_unit_interval(y, "y")
    return float(np.mean(np.logaddexp(0.0, z) - y * z))


def binary_cross_entropy_with_logits_gradient(z: ArrayLike, y: ArrayLike) -> np.ndarray:
    r"""Gradient of :func:`binary_cross_entropy_with_logits`: :math:`\dfrac{1}{N}(\sigma(z) - y)`.

    The sigmoid's derivative cancels the logarithm's: the error signal at the
    output is simply "prediction minus label".

    Examples
    --------
    >>> binary_cross_entropy_with_logits_gradient([0.0, 0.0], [0, 1])
    array([ 0.25, -0.25])

    See the chapter 'Backpropagation and activation functions'.
    """
    z, y = _paired(z, y, ("z", "y"))
    _check_unit_interval(y, "y")
    return (sigmoid(z) - y) / z.size


def _one_hot_targets(y: ArrayLike, n: int, k: int) -> np.ndarray:
    """Integer labels ``(n,)`` (or ``(n, 1)``) or one-hot / probability rows ``(n, k)`` as an ``(n, k)`` matrix."""
    y = as_float_array(y, "y", ndim=(1, 2))
    if y.shape[0] != n:
        raise ValueError(f"y must have one row per sample: expected {n}, got {y.shape[0]}")
    if y.ndim == 2 and y.shape[1] == k and k > 1:
        if np.any(y < 0) or not np.allclose(y.sum(axis=1), 1.0):
            raise ValueError("y given as a matrix must hold one-hot (or probability) rows that sum to 1")
        return y
    if y.ndim == 2 and y.shape[1] != 1:
        raise ValueError(f"y must be integer labels of shape ({n},) or one-hot rows of shape ({n}, {k}), "
                         f"got shape {y.shape}")
    labels = y.reshape(-1)
    if np.any(labels != np.round(labels)) or np.any(labels < 0) or np.any(labels >= k):
        raise ValueError(f"y must hold integer class labels 0, ..., {k - 1}")
    one_hot = np.zeros((n, k))
    one_hot[np.arange(n), labels.astype(int)] = 1.0
    return one_hot


def _scores(scores: ArrayLike, name: str) -> np.ndarray:
    s = as_float_array(scores, name, ndim=2)
    if s.shape[1] < 2:
        raise ValueError(f"{name} must have one column per class (at least 2), got shape {s.shape}")
    return s


def cross_entropy(scores: ArrayLike, y: ArrayLike, *, from_logits: bool = True) -> float:
    r"""Multiclass cross-entropy, averaged over the samples.

    .. math::

        L = -\frac{1}{n} \sum_{i=1}^{n} \sum_{c=1}^{k} Y_{ic} \ln p_{ic},
        \qquad p_i = \operatorname{softmax}(z_i) \text{ (from logits)}.

    From logits, :math:`\ln p_{ic}` is :func:`log_softmax`, which never takes
    the logarithm of an underflowed 0.

    Parameters
    ----------
    scores : array_like, shape (n, k)
        Logits :math:`z` (``from_logits=True``, the default) or probabilities
        :math:`p` whose rows sum to 1 (``from_logits=False``, clipped at
        :math:`10^{-12}`).
    y : array_like
        Integer labels :math:`0, \ldots, k-1` of shape ``(n,)`` (or ``(n, 1)``),
        or one-hot rows :math:`Y` of shape ``(n, k)`` (probability rows are
        accepted too).
    from_logits : bool, optional

    Returns
    -------
    float

    Examples
    --------
    Two classes with equal scores cost :math:`\ln 2` each:

    >>> round(cross_entropy([[0.0, 0.0], [5.0, 5.0]], [0, 1]), 6)
    0.693147
    >>> round(cross_entropy([[0.5, 0.5]], [[1.0, 0.0]], from_logits=False), 6)
    0.693147

    See the chapter 'Backpropagation and activation functions'.
    """
    s = _scores(scores, "scores")
    Y = _one_hot_targets(y, *s.shape)
    if from_logits:
        log_p = log_softmax(s, axis=1)
    else:
        _check_probability_rows(s)
        log_p = np.log(np.clip(s, _PROBABILITY_EPS, 1.0))
    return float(-np.sum(Y * log_p) / s.shape[0])


def _check_probability_rows(p: np.ndarray) -> None:
    if np.any(p < 0) or np.any(p > 1) or not np.allclose(p.sum(axis=1), 1.0):
        raise ValueError("scores must be probabilities (rows in [0, 1] summing to 1) when from_logits=False; "
                         "pass logits with from_logits=True")


def cross_entropy_gradient(scores: ArrayLike, y: ArrayLike, *, from_logits: bool = True) -> np.ndarray:
    r"""Gradient of :func:`cross_entropy` with respect to ``scores``.

    .. math::

        \frac{\partial L}{\partial z_{ic}} = \frac{1}{n}\bigl(p_{ic} - Y_{ic}\bigr)
        \quad\text{(logits)}, \qquad
        \frac{\partial L}{\partial p_{ic}} = -\frac{1}{n}\,\frac{Y_{ic}}{p_{ic}}
        \quad\text{(probabilities)}.

    From logits the softmax Jacobian and the logarithm's derivative combine
    into "probabilities minus one-hot labels".

    Examples
    --------
    >>> cross_entropy_gradient([[0.0, 0.0]], [1])
    array([[ 0.5, -0.5]])

    See the chapter 'Backpropagation and activation functions'.
    """
    s = _scores(scores, "scores")
    Y = _one_hot_targets(y, *s.shape)
    n = s.shape[0]
    if from_logits:
        return (softmax(s, axis=1) - Y) / n
    _check_probability_rows(s)
    return -Y / np.clip(s, _PROBABILITY_EPS, 1.0) / n


# ---------------------------------------------------------------------------
# The multilayer perceptron
# ---------------------------------------------------------------------------

# Output layer → (output function of the logits, loss from logits, its gradient).
_OUTPUTS: dict[str, tuple[Callable, Callable, Callable]] = {
    "softmax": (lambda z: softmax(z, axis=1), cross_entropy, cross_entropy_gradient),
    "sigmoid": (sigmoid, binary_cross_entropy_with_logits, binary_cross_entropy_with_logits_gradient),
    "identity": (lambda z: z, mse, mse_gradient),
}


class MLP:
    r"""A fully connected feed-forward network trained by backpropagation.

    Layer :math:`l = 1, \ldots, L` computes

    .. math::

        Z^{(l)} = A^{(l-1)} W^{(l)} + b^{(l)}, \qquad A^{(l)} = f(Z^{(l)}),

    with :math:`A^{(0)} = X` (one sample per row), the hidden activation
    :math:`f` from :data:`ACTIVATIONS`, and at the last layer the ``output``
    function (softmax, sigmoid or identity) paired with its loss (cross-entropy,
    binary cross-entropy, mean squared error).

    Parameters
    ----------
    layer_sizes : sequence of int
        ``(n_features, hidden_1, ..., n_outputs)``, at least two entries.
    activation : {"relu", "leaky_relu", "tanh", "sigmoid", "softplus"}
        Hidden-layer activation.
    output : {"softmax", "sigmoid", "identity"}
        ``"softmax"``: multiclass classification (``n_outputs >= 2``, integer
        labels or one-hot rows, cross-entropy). ``"sigmoid"``: binary
        classification (``n_outputs == 1``, labels 0/1, binary cross-entropy
        from logits). ``"identity"``: regression (mean squared error).
    rng : numpy.random.Generator or int
        Draws the initial weights.
    init : {"he", "xavier"}, optional
        He initialisation :math:`W \sim \mathcal N(0, 2/n_\text{in})` (the default
        for relu and leaky relu) or Xavier/Glorot
        :math:`W \sim \mathcal N(0, 2/(n_\text{in} + n_\text{out}))` (the default
        for tanh, sigmoid and softplus). Biases start at 0.

    Attributes
    ----------
    params : list of numpy.ndarray
        ``[W1, b1, W2, b2, ...]``, ``W`` of shape ``(n_in, n_out)``, ``b`` of
        shape ``(n_out,)``. Optimizers update these arrays in place.
    loss_curve_ : list of float
        Mean training loss of each epoch run by :meth:`fit` (appended across calls).
    n_iter_ : int
        Number of epochs run by :meth:`fit`.

    Notes
    -----
    ``MLP`` is deliberately *not* a scikit-learn estimator (unlike the models
    of :mod:`mlcalc.models`), because the chapters need to look inside it:

    * it creates its weights in the constructor, from ``rng``, so that a
      chapter can check the gradients of :meth:`loss_and_gradients` against
      finite differences, or plot activations, before any training. A
      scikit-learn estimator only stores its parameters in ``__init__`` and
      creates its state in ``fit``;
    * :meth:`fit` continues from the current weights (a second call trains
      further and extends :attr:`loss_curve_`), where a scikit-learn
      ``fit`` starts afresh unless ``warm_start=True``;
    * :meth:`fit` takes the optimizer, ``epochs`` and ``rng`` as arguments, so
      that one network can be trained by different optimizers in turn.

    So ``sklearn.base.clone``, ``get_params`` and ``GridSearchCV`` do not
    apply; for those, use :class:`sklearn.neural_network.MLPClassifier` or
    :class:`~sklearn.neural_network.MLPRegressor`, which the chapters use as
    the reference.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> net = MLP([2, 3, 1], activation="tanh", output="sigmoid", rng=rng)
    >>> [p.shape for p in net.params]
    [(2, 3), (3,), (3, 1), (1,)]
    >>> X = rng.normal(size=(5, 2)); y = np.array([0, 1, 1, 0, 1])
    >>> loss, grads = net.loss_and_gradients(X, y)
    >>> [g.shape for g in grads] == [p.shape for p in net.params]
    True

    See the chapter 'Backpropagation and activation functions'.
    """

    def __init__(self, layer_sizes: Sequence[int], *, activation: str = "relu", output: str = "softmax",
                 rng: np.random.Generator | int, init: str | None = None) -> None:
        if isinstance(layer_sizes, (str, bytes)) or not isinstance(layer_sizes, Sequence | np.ndarray):
            raise TypeError(f"layer_sizes must be a sequence of integers, got {type(layer_sizes).__name__}")
        sizes = tuple(check_int(s, "layer_sizes", minimum=1) for s in layer_sizes)
        if len(sizes) < 2:
            raise ValueError(f"layer_sizes needs at least an input and an output size, got {list(sizes)}")
        self.activation = check_choice(activation, "activation", tuple(ACTIVATIONS))
        self.output = check_choice(output, "output", tuple(_OUTPUTS))
        if output == "sigmoid" and sizes[-1] != 1:
            raise ValueError(f"output='sigmoid' needs one output unit (layer_sizes[-1] == 1), got {sizes[-1]}")
        if output == "softmax" and sizes[-1] < 2:
            raise ValueError("output='softmax' needs at least two output units (one per class); "
                             "use output='sigmoid' for two classes with one unit")
        if init is None:
            init = "he" if activation in ("relu", "leaky_relu") else "xavier"
        self.init = check_choice(init, "init", ("he", "xavier"))
        rng = check_rng(rng)
        self.layer_sizes = sizes
        self.params: list[np.ndarray] = []
        for n_in, n_out in zip(sizes[:-1], sizes[1:]):
            variance = 2.0 / n_in if self.init == "he" else 2.0 / (n_in + n_out)
            self.params.append(rng.normal(0.0, np.sqrt(variance), size=(n_in, n_out)))
            self.params.append(np.zeros(n_out))

    def __repr__(self) -> str:
        return (f"MLP(layer_sizes={list(self.layer_sizes)}, activation={self.activation!r}, "
                f"output={self.output!r}, init={self.init!r})")

    @property
    def n_layers(self) -> int:
        """Number of weight layers :math:`L` (hidden layers plus the output layer)."""
        return len(self.layer_sizes) - 1

    # -- forward -----------------------------------------------------------------
    def _check_X(self, X: ArrayLike) -> np.ndarray:
        X = as_float_array(X, "X", ndim=2)
        if X.shape[1] != self.layer_sizes[0]:
            raise ValueError(f"X must have {self.layer_sizes[0]} columns (features), got shape {X.shape}")
        return X

    def _forward(self, X: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Activations ``[A0 = X, A1, ..., A_{L-1}]`` and pre-activations ``[Z1, ..., ZL]`` (ZL: logits)."""
        f = ACTIVATIONS[self.activation].function
        activations, pre_activations = [X], []
        for layer in range(self.n_layers):
            W, b = self.params[2 * layer], self.params[2 * layer + 1]
            Z = activations[-1] @ W + b
            pre_activations.append(Z)
            if layer < self.n_layers - 1:
                activations.append(f(Z))
        return activations, pre_activations

    def forward(self, X: ArrayLike) -> np.ndarray:
        """The network's output for the rows of ``X``.

        Parameters
        ----------
        X : array_like, shape (n, n_features)

        Returns
        -------
        numpy.ndarray, shape (n, n_outputs)
            Class probabilities (softmax), probabilities of class 1 (sigmoid)
            or predicted values (identity).
        """
        _, pre_activations = self._forward(self._check_X(X))
        return _OUTPUTS[self.output][0](pre_activations[-1])

    # -- backward ----------------------------------------------------------------
    def loss_and_gradients(self, X: ArrayLike, y: ArrayLike) -> tuple[float, list[np.ndarray]]:
        r"""The loss on ``(X, y)`` and its gradient with respect to every parameter, by backpropagation.

        With :math:`\delta^{(L)} = \partial L/\partial Z^{(L)}` from the loss
        (e.g. :math:`(\operatorname{softmax}(Z^{(L)}) - Y)/n`), for
        :math:`l = L, \ldots, 1`:

        .. math::

            \frac{\partial L}{\partial W^{(l)}} = A^{(l-1)\mathsf T} \delta^{(l)}, \qquad
            \frac{\partial L}{\partial b^{(l)}} = \sum_{\text{rows}} \delta^{(l)}, \qquad
            \delta^{(l-1)} = \bigl(\delta^{(l)} W^{(l)\mathsf T}\bigr) \odot f'(Z^{(l-1)}).

        Parameters
        ----------
        X : array_like, shape (n, n_features)
        y : array_like
            Labels or targets for the chosen ``output`` (see the class docstring).

        Returns
        -------
        loss : float
        grads : list of numpy.ndarray
            In the order of :attr:`params`: ``[dW1, db1, dW2, db2, ...]``.
        """
        X = self._check_X(X)
        activations, pre_activations = self._forward(X)
        _, loss_fn, loss_gradient = _OUTPUTS[self.output]
        logits = pre_activations[-1]
        loss = loss_fn(logits, y)
        delta = loss_gradient(logits, y)  # ∂L/∂Z at the output layer
        df = ACTIVATIONS[self.activation].derivative
        grads: list[np.ndarray] = [np.empty(0)] * len(self.params)
        for layer in reversed(range(self.n_layers)):
            grads[2 * layer] = activations[layer].T @ delta
            grads[2 * layer + 1] = delta.sum(axis=0)
            if layer > 0:
                delta = (delta @ self.params[2 * layer].T) * df(pre_activations[layer - 1])
        return loss, grads

    def gradient_norms(self, X: ArrayLike, y: ArrayLike) -> np.ndarray:
        r"""The size of the weight gradient of each layer, :math:`\|\partial L/\partial W^{(l)}\|_F`.

        In a deep sigmoid network these shrink towards the input layer
        (vanishing gradients); with relu they stay comparable.

        Returns
        -------
        numpy.ndarray, shape (n_layers,)
            Frobenius norms, first layer first.

        Examples
        --------
        >>> rng = np.random.default_rng(0)
        >>> X = rng.normal(size=(64, 8)); y = rng.integers(0, 2, 64)
        >>> deep = MLP([8] + [16] * 8 + [2], activation="sigmoid", rng=rng)
        >>> norms = deep.gradient_norms(X, y)
        >>> bool(norms[0] < norms[-1] / 100)
        True
        """
        _, grads = self.loss_and_gradients(X, y)
        return np.array([np.linalg.norm(g) for g in grads[0::2]])

    # -- prediction ----------------------------------------------------------------
    def predict_proba(self, X: ArrayLike) -> np.ndarray:
        """Class probabilities, one row per sample: ``(n, k)`` for softmax, ``(n, 2)`` for sigmoid.

        For a sigmoid output the columns are :math:`(1 - p, p)` as in
        scikit-learn. Not available for ``output="identity"``.
        """
        if self.output == "identity":
            raise ValueError("predict_proba needs a classifier: this network has output='identity' (regression)")
        p = self.forward(X)
        return np.hstack([1.0 - p, p]) if self.output == "sigmoid" else p

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Predicted class labels ``(n,)`` for classifiers; predicted values for regression.

        Regression returns shape ``(n,)`` for one output and ``(n, m)`` for ``m``.
        """
        out = self.forward(X)
        if self.output == "softmax":
            return np.argmax(out, axis=1)
        if self.output == "sigmoid":
            return (out[:, 0] >= 0.5).astype(int)
        return out[:, 0] if out.shape[1] == 1 else out

    def score(self, X: ArrayLike, y: ArrayLike) -> float:
        r"""Accuracy for classifiers; the coefficient of determination :math:`R^2` for regression.

        For regression with several outputs, :math:`R^2` is averaged over the
        outputs (scikit-learn's ``r2_score`` default). Both scores come from
        ``mlcalc.metrics``.
        """
        pred = self.predict(X)
        y = as_float_array(y, "y", ndim=(1, 2))
        if y.shape[0] != pred.shape[0]:
            raise ValueError(f"y must have one row per sample of X: expected {pred.shape[0]}, got {y.shape[0]}")
        if self.output == "identity":
            truth = y.reshape(pred.shape) if y.size == pred.size else y
            if truth.shape != pred.shape:
                raise ValueError(f"y must have shape {pred.shape}, got {y.shape}")
            return r2_score(truth, pred)
        if self.output == "softmax":
            labels = _one_hot_targets(y, len(pred), self.layer_sizes[-1]).argmax(axis=1)
        else:
            labels = y.reshape(-1)
        return accuracy_score(labels, pred)

    # -- training ----------------------------------------------------------------------
    def fit(self, X: ArrayLike, y: ArrayLike, *, optimizer: Any, epochs: int = 10, batch_size: int = 32,
            rng: np.random.Generator | int) -> MLP:
        """Train by mini-batch gradient descent with ``optimizer``; return ``self``.

        Each epoch shuffles the rows with ``rng``, then for each mini-batch
        computes :meth:`loss_and_gradients` and calls
        ``optimizer.step(self.params, grads)``.

        Parameters
        ----------
        X : array_like, shape (n, n_features)
        y : array_like
            Labels or targets, ``n`` rows.
        optimizer : object with ``step(params, grads)``
            For example ``mlcalc.optim.Adam(learning_rate=0.01)``; it updates
            the arrays of :attr:`params` in place.
        epochs : int, optional
            Passes over the data.
        batch_size : int, optional
            Rows per mini-batch (the last one may be smaller).
        rng : numpy.random.Generator or int
            Shuffles the rows.

        Returns
        -------
        MLP
            ``self``, with :attr:`loss_curve_` extended by one mean loss per epoch.

        Examples
        --------
        >>> from mlcalc.optim import Adam
        >>> X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]]); y = np.array([0, 1, 1, 0])
        >>> net = MLP([2, 8, 1], activation="tanh", output="sigmoid", rng=0)
        >>> net = net.fit(X, y, optimizer=Adam(learning_rate=0.05), epochs=300, batch_size=4, rng=0)
        >>> net.predict(X)
        array([0, 1, 1, 0])
        """
        step = getattr(optimizer, "step", None)
        if not callable(step):
            raise TypeError(f"optimizer must have a step(params, grads) method (e.g. mlcalc.optim.SGD), "
                            f"got {type(optimizer).__name__}")
        epochs = check_int(epochs, "epochs", minimum=1)
        batch_size = check_int(batch_size, "batch_size", minimum=1)
        rng = check_rng(rng)
        X = self._check_X(X)
        y = np.asarray(y)
        if y.ndim == 0 or y.shape[0] != X.shape[0]:
            raise ValueError(f"y must have one row per row of X ({X.shape[0]}), got shape {y.shape}")
        n = X.shape[0]
        curve = getattr(self, "loss_curve_", [])
        for _ in range(epochs):
            order = rng.permutation(n)
            total = 0.0
            for start in range(0, n, batch_size):
                rows = order[start:start + batch_size]
                loss, grads = self.loss_and_gradients(X[rows], y[rows])
                step(self.params, grads)
                total += loss * len(rows)
            curve.append(total / n)
        self.loss_curve_ = curve
        self.n_iter_ = getattr(self, "n_iter_", 0) + epochs
        return self


def flatten_params(arrays: Any) -> np.ndarray:
    """All entries of a list of arrays as one vector, in order (for gradient checks).

    Examples
    --------
    >>> flatten_params([np.ones((2, 2)), np.zeros(3)]).tolist()
    [1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0]
    """
    arrays = list(arrays)
    if not arrays:
        raise ValueError("arrays must hold at least one array")
    return np.concatenate([np.ravel(np.asarray(a, dtype=float)) for a in arrays])


def set_flat_params(net: MLP, theta: ArrayLike) -> None:
    """Copy the vector ``theta`` into the weight and bias arrays of ``net``, in order.

    The inverse of ``flatten_params(net.params)``; the arrays are changed in place.

    Examples
    --------
    >>> net = MLP([2, 3, 2], rng=np.random.default_rng(0))
    >>> theta = np.arange(17.0)
    >>> set_flat_params(net, theta)
    >>> bool(np.array_equal(flatten_params(net.params), theta))
    True
    """
    params = getattr(net, "params", None)
    if not isinstance(params, list):
        raise TypeError(f"net must be an MLP (with a list of parameter arrays), got {type(net).__name__}")
    theta = np.asarray(theta, dtype=float)
    size = sum(p.size for p in params)
    if theta.shape != (size,):
        raise ValueError(f"theta must be a vector of length {size} (the network's parameter count), "
                         f"got shape {theta.shape}")
    start = 0
    for p in params:
        p[...] = theta[start:start + p.size].reshape(p.shape)
        start += p.size
