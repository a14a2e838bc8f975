"""Scores of fitted models: the coefficient of determination and accuracy.

One home for the two scores the estimators report: :mod:`mlcalc.models`
(``score`` of its regressors and classifiers) and :class:`mlcalc.nn.MLP`
(``score``) both call these functions, and both follow scikit-learn's
``sklearn.metrics`` on the same inputs.

Targets of shape ``(n_samples,)`` and columns ``(n_samples, 1)`` are paired row
by row (a column is flattened, so it never broadcasts against a flat
prediction into an ``(n, n)`` matrix).

See the chapters "Case studies: linear regression, logistic regression and
SVMs" and "Backpropagation and activation functions".
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._validation import as_float_array

__all__ = ["r2_score", "accuracy_score"]


def _n_entries(y: Any, name: str) -> int:
    shape = np.shape(y)
    if len(shape) == 0:
        raise ValueError(f"{name} must be an array of shape (n_samples,), got a single number")
    return shape[0]


def _flatten_target(y: Any, n_samples: int, name: str = "y") -> np.ndarray:
    """Return ``y`` as a 1-D array (a column ``(n, 1)`` is flattened) of length ``n_samples``."""
    if isinstance(y, (str, bytes)):
        raise TypeError(f"{name} must be an array, got a string")
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    elif y.ndim != 1:
        raise ValueError(f"{name} must have shape (n_samples,) or (n_samples, 1), got shape {y.shape}")
    if y.shape[0] != n_samples:
        raise ValueError(
            f"X and {name} have different numbers of samples: X has {n_samples} rows, "
            f"{name} has {y.shape[0]} entries"
        )
    return y


def _r2_one_output(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    total = float(np.sum((y_true - y_true.mean()) ** 2))
    residual = float(np.sum((y_true - y_pred) ** 2))
    if total == 0.0:  # a constant target: scikit-learn's convention (force_finite=True)
        return 1.0 if residual == 0.0 else 0.0
    return 1.0 - residual / total


def r2_score(y_true: Any, y_pred: Any) -> float:
    """Coefficient of determination :math:`R^2 = 1 - \\sum (y_i - \\hat y_i)^2 / \\sum (y_i - \\bar y)^2`.

    1 is a perfect fit, 0 is no better than predicting the mean. A constant
    ``y_true`` scores 1 when predicted exactly and 0 otherwise (scikit-learn's
    convention, instead of dividing by zero).

    Parameters
    ----------
    y_true, y_pred : array_like of shape (n_samples,), (n_samples, 1) or (n_samples, n_outputs)
        With several outputs (both arrays of the same 2-D shape), :math:`R^2`
        is computed per output and averaged, as ``sklearn.metrics.r2_score``
        does by default.

    Returns
    -------
    float

    Examples
    --------
    >>> r2_score([1.0, 2.0, 3.0], [1.0, 2.0, 4.0])
    0.5
    >>> r2_score([[1.0, 0.0], [2.0, 1.0], [3.0, 2.0]], [[1.0, 0.0], [2.0, 1.0], [4.0, 2.0]])  # (0.5 + 1) / 2
    0.75
    """
    n = _n_entries(y_true, "y_true")
    if np.ndim(y_true) == 2 and np.shape(y_true)[1] > 1:
        y_true = as_float_array(y_true, "y_true", ndim=2)
        y_pred = as_float_array(y_pred, "y_pred", ndim=2)
        if y_pred.shape != y_true.shape:
            raise ValueError(f"y_pred must have the shape of y_true, {y_true.shape}; got {y_pred.shape}")
        return float(np.mean([_r2_one_output(y_true[:, k], y_pred[:, k]) for k in range(y_true.shape[1])]))
    y_true = as_float_array(_flatten_target(y_true, n, "y_true"), "y_true", ndim=1)
    y_pred = as_float_array(_flatten_target(y_pred, y_true.shape[0], "y_pred"), "y_pred", ndim=1)
    return _r2_one_output(y_true, y_pred)


def accuracy_score(y_true: Any, y_pred: Any) -> float:
    """Fraction of predictions equal to the true labels.

    .. math:: \\operatorname{accuracy} = \\frac1m \\sum_{i=1}^m [\\hat y_i = y_i]

    Examples
    --------
    >>> accuracy_score([0, 1, 1, 0], [0, 1, 0, 0])
    0.75
    """
    y_true = _flatten_target(y_true, _n_entries(y_true, "y_true"), "y_true")
    y_pred = _flatten_target(y_pred, y_true.shape[0], "y_pred")
    return float(np.mean(y_true == y_pred))
