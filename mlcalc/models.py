"""Linear models trained with calculus: least squares, ridge, lasso, logistic regression, a linear SVM.

Every estimator follows scikit-learn's contract, so it feels like the library a
reader will use later and can be checked against it:

* ``__init__`` only stores its keyword arguments;
* ``fit(X, y)`` validates the data, learns, sets attributes ending in ``_``
  (``coef_``, ``intercept_``, ``n_iter_``, ``loss_curve_``) and returns ``self``;
* ``predict(X)`` and ``score(X, y)`` (R² for regressors, accuracy for
  classifiers).

``X`` is a 2-D array of shape ``(n_samples, n_features)``; ``y`` may be of
shape ``(n_samples,)`` or a column ``(n_samples, 1)`` (it is flattened, so a
column target never broadcasts against a flat prediction into an
``(n, n)`` matrix).

The losses and their derivatives are module-level functions
(:func:`mse_loss`, :func:`logistic_gradient`, :func:`hinge_subgradient`, ...)
so that a chapter or an exercise can differentiate, plot and check them on
their own. They take the parameter vector first, like the objective functions
of :mod:`mlcalc.optim`. The generic solvers come from :mod:`mlcalc.optim`
(:func:`~mlcalc.optim.gradient_descent` for ``solver="gd"``,
:func:`~mlcalc.optim.newton` for ``solver="newton"``). Three solvers that
serve one model each are written next to that model instead: cyclic
coordinate descent in :class:`Lasso`, proximal gradient descent (ISTA) for
L1-penalised :class:`LogisticRegression`, and Pegasos in :class:`LinearSVC`.

The estimators are scikit-learn estimators (they subclass
:class:`sklearn.base.BaseEstimator` and :class:`~sklearn.base.RegressorMixin`
or :class:`~sklearn.base.ClassifierMixin`), so ``clone``, ``get_params``,
``Pipeline``, ``GridSearchCV`` and ``cross_val_score`` accept them, and their
repr shows their parameters. Scores come from ``mlcalc.metrics``.

Attribute conventions shared by all estimators:

``coef_`` : ndarray of shape (n_features,)
    The weights.
``intercept_`` : float
    The bias (0.0 when ``fit_intercept=False``).
``n_iter_`` : int
    Iterations of the solver; 1 for a closed-form solution (one linear solve).
``loss_curve_`` : ndarray
    For an iterative solver, the objective at the starting point (all
    parameters 0) followed by its value after each iteration, so
    ``n_iter_ + 1`` entries, like ``history.fun`` of :mod:`mlcalc.optim`; for a
    closed-form solution a one-element array holding the objective at the
    solution.

See the chapter "Case studies: linear regression, logistic regression and SVMs" for derivations and
plots of each model.
"""

from __future__ import annotations

import warnings
from typing import Any, Callable

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import ConvergenceWarning as _SklearnConvergenceWarning
from sklearn.exceptions import NotFittedError as _SklearnNotFittedError

from . import optim
from ._validation import (
    as_float_array,
    check_choice,
    check_int,
    check_positive,
    check_rng,
)
from .metrics import _flatten_target, accuracy_score, r2_score
from .nn import sigmoid

__all__ = [
    "ConvergenceWarning",
    "NotFittedError",
    "add_intercept",
    "soft_threshold",
    "mse_loss",
    "mse_gradient",
    "logistic_loss",
    "logistic_gradient",
    "logistic_hessian",
    "hinge_loss",
    "hinge_subgradient",
    "r2_score",
    "accuracy_score",
    "LinearRegression",
    "Ridge",
    "Lasso",
    "LogisticRegression",
    "LinearSVC",
]


class ConvergenceWarning(_SklearnConvergenceWarning):
    """An iterative solver stopped at ``max_iter`` before meeting its tolerance.

    A subclass of scikit-learn's ``ConvergenceWarning`` (itself a
    ``UserWarning``), so filtering scikit-learn's warning filters this one too.
    """


class NotFittedError(_SklearnNotFittedError):
    """``predict`` (or a similar method) was called before ``fit``.

    A subclass of scikit-learn's ``NotFittedError`` (a ``ValueError`` and an
    ``AttributeError``).
    """


# --------------------------------------------------------------------------
# Input validation
# --------------------------------------------------------------------------

def _check_X(X: Any, name: str = "X") -> np.ndarray:
    """Return ``X`` as a finite 2-D float array; a 1-D ``X`` gets a reshape hint."""
    if sparse.issparse(X):
        raise TypeError(f"{name} is a scipy sparse matrix, but these models need a dense array: "
                        f"pass {name}.toarray()")
    if not isinstance(X, (str, bytes)):
        try:
            shape = np.asarray(X).shape
        except (ValueError, TypeError):  # ragged nested lists: as_float_array reports them
            shape = None
        if shape is not None and len(shape) == 1:
            raise ValueError(
                f"{name} must be 2-dimensional with shape (n_samples, n_features), got a 1-D array of "
                f"shape {shape}. Reshape your data: for a single feature use {name}.reshape(-1, 1)"
            )
        if shape is not None and len(shape) == 2 and shape[0] > 0 and shape[1] == 0:
            raise ValueError(f"{name} has 0 feature(s) (shape={shape}) while a minimum of 1 is required.")
    return as_float_array(X, name, ndim=2)


def _check_y_given(y: Any) -> None:
    if y is None:
        raise ValueError("fit requires y to be passed, but the target y is None")


def _check_X_y(X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    X = _check_X(X)
    _check_y_given(y)
    y = as_float_array(_flatten_target(y, X.shape[0]), "y", ndim=1)
    return X, y


def _check_theta(theta: Any, X: np.ndarray, name: str = "theta") -> np.ndarray:
    theta = as_float_array(theta, name, ndim=(1, 2))
    if theta.ndim == 2:
        if theta.shape[1] != 1:
            raise ValueError(f"{name} must have shape (n_features,) or (n_features, 1), got {theta.shape}")
        theta = theta[:, 0]
    if theta.shape[0] != X.shape[1]:
        raise ValueError(
            f"{name} has {theta.shape[0]} entries but X has {X.shape[1]} columns; "
            "add a column of ones with add_intercept(X) if theta includes the intercept"
        )
    return theta


def _check_learning_rate(value: Any) -> float | str:
    if isinstance(value, str):
        return check_choice(value, "learning_rate", ("auto",))
    return check_positive(value, "learning_rate")


def add_intercept(X: Any) -> np.ndarray:
    """Prepend a column of ones to ``X``, so that ``theta[0]`` acts as the intercept.

    With the design matrix :math:`A = [\\mathbf{1}, X]` a linear model is
    :math:`h_\\theta(x) = \\theta_0 + \\theta_1 x_1 + \\dots + \\theta_n x_n = A\\theta`.

    Parameters
    ----------
    X : array_like of shape (n_samples, n_features)

    Returns
    -------
    ndarray of shape (n_samples, n_features + 1)

    Examples
    --------
    >>> add_intercept([[2.0], [3.0]])
    array([[1., 2.],
           [1., 3.]])
    """
    X = _check_X(X)
    return np.column_stack([np.ones(X.shape[0]), X])


def soft_threshold(x: Any, threshold: float) -> np.ndarray | float:
    """The soft-thresholding operator, the proximal map of :math:`t\\lVert\\cdot\\rVert_1`.

    .. math::

        S_t(x) = \\operatorname{sign}(x)\\,\\max(|x| - t, 0)
               = \\arg\\min_z \\tfrac12 (z - x)^2 + t|z|.

    It sets small entries to exactly zero, which is why the lasso and
    L1-penalised logistic regression give sparse coefficients.

    Parameters
    ----------
    x : float or array_like
    threshold : float
        :math:`t \\ge 0`.

    Examples
    --------
    >>> soft_threshold([-3.0, -0.5, 0.2, 2.0], 1.0)
    array([-2., -0.,  0.,  1.])
    """
    threshold = check_positive(threshold, "threshold", allow_zero=True)
    x_arr = as_float_array(x, "x", allow_empty=True)
    result = np.sign(x_arr) * np.maximum(np.abs(x_arr) - threshold, 0.0)
    return float(result) if result.ndim == 0 else result


def _soft_threshold(x: np.ndarray, threshold: float) -> np.ndarray:
    return np.sign(x) * np.maximum(np.abs(x) - threshold, 0.0)


# --------------------------------------------------------------------------
# Losses and their derivatives
# --------------------------------------------------------------------------

def _mse_loss(theta: np.ndarray, X: np.ndarray, y: np.ndarray) -> float:
    residual = X @ theta - y
    return float(residual @ residual) / (2 * X.shape[0])


def _mse_gradient(theta: np.ndarray, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    return X.T @ (X @ theta - y) / X.shape[0]


def mse_loss(theta: Any, X: Any, y: Any) -> float:
    """Half the mean squared error of the linear model :math:`X\\theta`.

    .. math::

        J(\\theta) = \\frac{1}{2m} \\sum_{i=1}^{m} (x^{(i)} \\cdot \\theta - y^{(i)})^2
                   = \\frac{1}{2m} \\lVert X\\theta - y \\rVert^2 .

    The factor :math:`\\tfrac12` cancels the 2 of the derivative
    (:func:`mse_gradient`). For an intercept, pass ``add_intercept(X)``.

    Parameters
    ----------
    theta : array_like of shape (n_features,) or (n_features, 1)
    X : array_like of shape (m, n_features)
    y : array_like of shape (m,) or (m, 1)

    Returns
    -------
    float

    Examples
    --------
    >>> mse_loss([0.0, 1.0], [[1.0, 1.0], [1.0, 2.0]], [1.0, 4.0])
    1.0
    """
    X, y = _check_X_y(X, y)
    return _mse_loss(_check_theta(theta, X), X, y)


def mse_gradient(theta: Any, X: Any, y: Any) -> np.ndarray:
    """Gradient of :func:`mse_loss` with respect to ``theta``.

    .. math::

        \\nabla J(\\theta) = \\frac{1}{m} X^\\top (X\\theta - y),
        \\qquad
        \\frac{\\partial J}{\\partial \\theta_j}
        = \\frac{1}{m}\\sum_{i=1}^{m} (x^{(i)}\\cdot\\theta - y^{(i)})\\, x^{(i)}_j .

    Returns
    -------
    ndarray of shape (n_features,)

    Examples
    --------
    >>> mse_gradient([0.0, 1.0], [[1.0, 1.0], [1.0, 2.0]], [1.0, 4.0])
    array([-1., -2.])
    """
    X, y = _check_X_y(X, y)
    return _mse_gradient(_check_theta(theta, X), X, y)


def _logistic_loss(theta: np.ndarray, X: np.ndarray, y: np.ndarray) -> float:
    z = X @ theta
    # log(1 + e^z) - y z is the log-loss written so that it never overflows
    return float(np.mean(np.logaddexp(0.0, z) - y * z))


def _logistic_gradient(theta: np.ndarray, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    return X.T @ (sigmoid(X @ theta) - y) / X.shape[0]


def _logistic_hessian(theta: np.ndarray, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    p = sigmoid(X @ theta)
    return (X.T * (p * (1.0 - p))) @ X / X.shape[0]


def _check_binary01(y: np.ndarray, name: str = "y") -> np.ndarray:
    if not np.all((y == 0) | (y == 1)):
        raise ValueError(f"{name} must contain only the labels 0 and 1")
    return y


def logistic_loss(theta: Any, X: Any, y: Any) -> float:
    """Mean log-loss (cross-entropy) of logistic regression, labels in {0, 1}.

    .. math::

        J(\\theta) = \\frac1m \\sum_{i=1}^m \\Big[-y_i \\log \\sigma(z_i)
                     - (1 - y_i)\\log\\big(1 - \\sigma(z_i)\\big)\\Big]
                   = \\frac1m \\sum_{i=1}^m \\big[\\log(1 + e^{z_i}) - y_i z_i\\big],
        \\qquad z = X\\theta,\\; \\sigma(z) = \\frac{1}{1 + e^{-z}} .

    The right-hand form is evaluated with ``numpy.logaddexp``, so large
    :math:`|z|` neither overflows nor takes the logarithm of 0. The sigmoid is
    :func:`mlcalc.nn.sigmoid`.

    Examples
    --------
    >>> round(logistic_loss([0.0], [[1.0], [2.0]], [0, 1]), 6)  # log 2
    0.693147
    """
    X, y = _check_X_y(X, y)
    return _logistic_loss(_check_theta(theta, X), X, _check_binary01(y))


def logistic_gradient(theta: Any, X: Any, y: Any) -> np.ndarray:
    """Gradient of :func:`logistic_loss`.

    .. math::

        \\nabla J(\\theta) = \\frac1m X^\\top \\big(\\sigma(X\\theta) - y\\big),

    the same form as the least-squares gradient with the prediction
    :math:`\\sigma(X\\theta)` in place of :math:`X\\theta`, because
    :math:`\\sigma'(z) = \\sigma(z)(1 - \\sigma(z))` cancels the derivative of the logarithm.

    Examples
    --------
    >>> logistic_gradient([0.0], [[1.0], [2.0]], [0, 1])
    array([-0.25])
    """
    X, y = _check_X_y(X, y)
    return _logistic_gradient(_check_theta(theta, X), X, _check_binary01(y))


def logistic_hessian(theta: Any, X: Any, y: Any) -> np.ndarray:
    """Hessian of :func:`logistic_loss`, the matrix Newton's method (IRLS) inverts.

    .. math::

        \\nabla^2 J(\\theta) = \\frac1m X^\\top S X,
        \\qquad S = \\operatorname{diag}\\big(\\sigma(z_i)(1 - \\sigma(z_i))\\big).

    It does not depend on ``y`` (the argument is kept for a uniform signature)
    and is positive semi-definite, so the log-loss is convex.

    Examples
    --------
    >>> logistic_hessian([0.0], [[1.0], [2.0]], [0, 1])
    array([[0.625]])
    """
    X, y = _check_X_y(X, y)
    return _logistic_hessian(_check_theta(theta, X), X, _check_binary01(y))


def _hinge_margins(w: np.ndarray, b: float, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    return y * (X @ w + b)


def _hinge_loss(w: np.ndarray, b: float, X: np.ndarray, y: np.ndarray, C: float) -> float:
    margins = _hinge_margins(w, b, X, y)
    return 0.5 * float(w @ w) + C * float(np.sum(np.maximum(0.0, 1.0 - margins)))


def _hinge_subgradient(w: np.ndarray, b: float, X: np.ndarray, y: np.ndarray,
                       C: float) -> tuple[np.ndarray, float]:
    active = _hinge_margins(w, b, X, y) < 1.0
    return w - C * (X[active].T @ y[active]), -C * float(np.sum(y[active]))


def _check_hinge_args(w: Any, b: Any, X: Any, y: Any, C: Any):
    X, y = _check_X_y(X, y)
    w = _check_theta(w, X, "w")
    b = float(as_float_array(b, "b", ndim=0))
    if not np.all(np.abs(y) == 1):
        raise ValueError("y must contain only the labels -1 and +1 for the hinge loss")
    return w, b, X, y, check_positive(C, "C")


def hinge_loss(w: Any, b: float, X: Any, y: Any, C: float = 1.0) -> float:
    """Primal objective of the soft-margin linear SVM, labels in {-1, +1}.

    .. math::

        L(w, b) = \\tfrac12 \\lVert w \\rVert^2
                  + C \\sum_{i=1}^m \\max\\big(0,\\; 1 - y_i (w\\cdot x_i + b)\\big).

    The hinge :math:`\\max(0, 1 - t)` has a kink at :math:`t = 1`, so the
    objective is convex but not differentiable there: see :func:`hinge_subgradient`.

    Examples
    --------
    >>> hinge_loss([1.0], 0.0, [[2.0], [-0.5]], [1, -1], C=1.0)
    1.0
    """
    return _hinge_loss(*_check_hinge_args(w, b, X, y, C))


def hinge_subgradient(w: Any, b: float, X: Any, y: Any, C: float = 1.0) -> tuple[np.ndarray, float]:
    """A subgradient of :func:`hinge_loss` with respect to ``(w, b)``.

    .. math::

        g_w = w - C \\sum_{i:\\, y_i(w\\cdot x_i + b) < 1} y_i x_i,
        \\qquad
        g_b = -C \\sum_{i:\\, y_i(w\\cdot x_i + b) < 1} y_i .

    Away from the kinks (no margin exactly 1) this is the gradient; at a kink
    the term of that sample is taken as 0, one valid element of the
    subdifferential.

    Returns
    -------
    grad_w : ndarray of shape (n_features,)
    grad_b : float

    Examples
    --------
    >>> hinge_subgradient([1.0], 0.0, [[2.0], [-0.5]], [1, -1], C=1.0)
    (array([0.5]), 1.0)
    """
    return _hinge_subgradient(*_check_hinge_args(w, b, X, y, C))


# --------------------------------------------------------------------------
# Shared machinery
# --------------------------------------------------------------------------

def _center(X: np.ndarray, y: np.ndarray, fit_intercept: bool):
    """Center ``X`` and ``y`` so that the intercept separates from the weights."""
    if not fit_intercept:
        return X, y, np.zeros(X.shape[1]), 0.0
    x_mean, y_mean = X.mean(axis=0), float(y.mean())
    return X - x_mean, y - y_mean, x_mean, y_mean


def _warn_if_not_converged(estimator: Any, converged: bool, max_iter: int, detail: str = "", *,
                           stacklevel: int = 3) -> None:
    """Warn (do not raise) so that a chapter can still plot the loss curve of a failed run."""
    if not converged:
        warnings.warn(
            f"{type(estimator).__name__} did not converge within max_iter={max_iter} iterations; "
            f"increase max_iter, or adjust learning_rate or tol. {detail}".rstrip(),
            ConvergenceWarning,
            stacklevel=stacklevel,
        )


def _loss_curve(result: Any) -> np.ndarray:
    return np.asarray(result.history.fun, dtype=float)


class _LinearModel(BaseEstimator):
    """Prediction and checks shared by the estimators: ``X @ coef_ + intercept_``.

    ``BaseEstimator`` gives ``get_params``/``set_params`` (read from each
    ``__init__`` signature), the repr with the parameters, and
    ``__sklearn_tags__``, which ``sklearn.base.clone`` and the model-selection
    tools need.
    """

    def _check_fitted(self) -> None:
        if not hasattr(self, "coef_"):
            raise NotFittedError(
                f"this {type(self).__name__} is not fitted yet; call fit(X, y) before using it"
            )

    def _check_predict_X(self, X: Any) -> np.ndarray:
        self._check_fitted()
        X = _check_X(X)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {X.shape[1]} features, but {type(self).__name__} is expecting "
                f"{self.n_features_in_} features as input (the number it was fitted with)"
            )
        return X

    def _set_linear(self, coef: np.ndarray, intercept: float, n_iter: int,
                    loss_curve: np.ndarray, n_features: int) -> None:
        self.coef_ = np.asarray(coef, dtype=float).copy()
        self.intercept_ = float(intercept)
        self.n_iter_ = int(n_iter)
        self.loss_curve_ = np.atleast_1d(np.asarray(loss_curve, dtype=float))
        self.n_features_in_ = n_features

    def _linear(self, X: Any) -> np.ndarray:
        X = self._check_predict_X(X)
        return X @ self.coef_ + self.intercept_


class _Regressor(RegressorMixin, _LinearModel):
    def predict(self, X: Any) -> np.ndarray:
        """Predicted targets :math:`\\hat y = X w + b`, shape ``(n_samples,)``."""
        return self._linear(X)

    def score(self, X: Any, y: Any) -> float:
        """:math:`R^2` of the predictions on ``(X, y)`` (see :func:`r2_score`)."""
        X, y = _check_X_y(X, y)
        return r2_score(y, self.predict(X))


class _BinaryClassifier(ClassifierMixin, _LinearModel):
    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False  # two classes only; more raise a ValueError
        return tags

    def _encode_labels(self, y: Any, n_samples: int) -> np.ndarray:
        """Store the two classes in ``classes_``; return 1.0 for ``classes_[1]`` else 0.0."""
        _check_y_given(y)
        y = _flatten_target(y, n_samples)
        if y.dtype.kind in "fc" and not np.all(np.isfinite(y)):
            raise ValueError("y must contain only finite values (no NaN or infinity)")
        if y.dtype == object:
            if not all(isinstance(label, str) for label in y):
                raise TypeError("y must hold labels of one type (numbers or strings), got dtype object "
                                "with mixed or other values")
            y = y.astype(str)
        classes = np.unique(y)
        if classes.size != 2:
            shown = ", ".join(repr(c) for c in classes[:5].tolist())
            continuous = (" Unknown label type: continuous (y holds non-integer numbers; a classifier "
                          "needs class labels)." if y.dtype.kind == "f" and np.any(y != np.round(y)) else "")
            raise ValueError(
                f"{type(self).__name__} is a binary classifier: y must contain exactly two classes, "
                f"got {classes.size} class{'' if classes.size == 1 else 'es'} "
                f"({shown}{', ...' if classes.size > 5 else ''}). Only binary classification is supported."
                + continuous
            )
        self.classes_ = classes
        return (y == classes[1]).astype(float)

    def decision_function(self, X: Any) -> np.ndarray:
        """Signed score :math:`X w + b`; positive means ``classes_[1]``."""
        return self._linear(X)

    def predict(self, X: Any) -> np.ndarray:
        """Predicted labels: ``classes_[1]`` where the decision function is positive."""
        positive = self.decision_function(X) > 0  # first, so that an unfitted model raises NotFittedError
        return self.classes_[positive.astype(int)]

    def score(self, X: Any, y: Any) -> float:
        """Accuracy of the predictions on ``(X, y)``."""
        X = _check_X(X)
        y = _flatten_target(y, X.shape[0])
        return accuracy_score(y, self.predict(X))


# --------------------------------------------------------------------------
# Regression
# --------------------------------------------------------------------------

class LinearRegression(_Regressor):
    """Ordinary least squares, solved in closed form or by gradient descent.

    Minimises

    .. math::

        J(w, b) = \\frac{1}{2m} \\lVert X w + b - y \\rVert^2 .

    Setting the gradient to zero gives the normal equations
    :math:`X_c^\\top X_c\\, w = X_c^\\top y_c` for the centred data
    :math:`X_c = X - \\bar x`, :math:`y_c = y - \\bar y`, and then
    :math:`b = \\bar y - \\bar x \\cdot w` (centring is equivalent to a column of
    ones and better conditioned).

    Parameters
    ----------
    solver : {"normal", "lstsq", "gd"}
        ``"normal"`` solves the normal equations with ``numpy.linalg.solve``;
        ``"lstsq"`` calls ``numpy.linalg.lstsq`` (SVD-based, also works when
        :math:`X^\\top X` is singular); ``"gd"`` runs
        :func:`mlcalc.optim.gradient_descent` on :func:`mse_loss` over the
        design matrix ``add_intercept(X)`` with gradient :func:`mse_gradient`.
    fit_intercept : bool
        Learn the bias :math:`b`; otherwise :math:`b = 0`.
    learning_rate : float or "auto"
        Step size for ``"gd"``. ``"auto"`` uses :math:`1/L` with
        :math:`L = \\lVert A \\rVert_2^2 / m` the Lipschitz constant of the
        gradient (largest eigenvalue of the Hessian :math:`A^\\top A / m`).
    max_iter : int
        Iteration budget for ``"gd"``.
    tol : float
        For ``"gd"``: stop once the largest absolute entry of the gradient is
        at most ``tol``.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
    intercept_ : float
    n_iter_ : int
        Iterations of gradient descent; 1 for the closed-form solvers.
    loss_curve_ : ndarray
        :math:`J` at the start and after each iteration of ``"gd"``; one
        element (:math:`J` at the solution) for the closed-form solvers.
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> y = 1.0 + 2.0 * X[:, 0]
    >>> model = LinearRegression().fit(X, y)
    >>> model.coef_.round(6).tolist(), round(model.intercept_, 6)
    ([2.0], 1.0)
    >>> model.predict([[4.0]]).round(6).tolist()
    [9.0]
    >>> gd = LinearRegression(solver="gd", learning_rate=0.2, max_iter=5000, tol=1e-10).fit(X, y)
    >>> np.allclose(gd.coef_, [2.0], atol=1e-6)
    True

    See the chapter "Case studies: linear regression, logistic regression and SVMs", section on linear regression.
    """

    def __init__(self, *, solver: str = "normal", fit_intercept: bool = True,
                 learning_rate: float | str = 0.1, max_iter: int = 1000, tol: float = 1e-6):
        self.solver = solver
        self.fit_intercept = fit_intercept
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.tol = tol

    _solvers: tuple[str, ...] = ("normal", "lstsq", "gd")

    def _penalty(self) -> float:
        return 0.0

    def fit(self, X: Any, y: Any) -> "LinearRegression":
        """Learn ``coef_`` and ``intercept_`` from ``X`` of shape (m, n) and ``y`` of shape (m,) or (m, 1)."""
        X, y = _check_X_y(X, y)
        solver = check_choice(self.solver, "solver", self._solvers)
        alpha = self._penalty()
        m, n = X.shape
        if solver == "gd":
            self._fit_gd(X, y, alpha)
            return self
        Xc, yc, x_mean, y_mean = _center(X, y, bool(self.fit_intercept))
        if solver == "lstsq":
            coef = np.linalg.lstsq(Xc, yc, rcond=None)[0]
        else:
            gram = Xc.T @ Xc + alpha * np.eye(n)
            try:
                coef = np.linalg.solve(gram, Xc.T @ yc)
            except np.linalg.LinAlgError:
                raise ValueError(
                    f"X^T X is singular (collinear or constant columns, or too few samples: "
                    f"n_samples={m}); use solver='lstsq'"
                    + (" or a positive alpha" if alpha == 0.0 else "")
                ) from None
        intercept = y_mean - x_mean @ coef
        residual = X @ coef + intercept - y
        objective = (residual @ residual + alpha * coef @ coef) / (2 * m)
        self._set_linear(coef, intercept, 1, [objective], n)
        return self

    def _fit_gd(self, X: np.ndarray, y: np.ndarray, alpha: float) -> None:
        learning_rate = _check_learning_rate(self.learning_rate)
        max_iter = check_int(self.max_iter, "max_iter", minimum=1)
        tol = check_positive(self.tol, "tol")
        m, n = X.shape
        A = np.column_stack([np.ones(m), X]) if self.fit_intercept else X
        # the intercept (first entry of theta when fitted) is not penalised
        penalised = np.ones(A.shape[1])
        if self.fit_intercept:
            penalised[0] = 0.0

        def fun(theta: np.ndarray) -> float:
            return _mse_loss(theta, A, y) + alpha * float(np.sum(penalised * theta**2)) / (2 * m)

        def grad(theta: np.ndarray) -> np.ndarray:
            return _mse_gradient(theta, A, y) + (alpha / m) * penalised * theta

        if learning_rate == "auto":
            learning_rate = 1.0 / (np.linalg.norm(A, 2) ** 2 / m + alpha / m)
        result = optim.gradient_descent(fun, grad, np.zeros(A.shape[1]),
                                        learning_rate=learning_rate, max_iter=max_iter, tol=tol)
        theta = np.asarray(result.x, dtype=float)
        coef, intercept = (theta[1:], theta[0]) if self.fit_intercept else (theta, 0.0)
        self._set_linear(coef, intercept, result.nit, _loss_curve(result), n)
        _warn_if_not_converged(self, bool(result.success), max_iter, result.message, stacklevel=4)


class Ridge(LinearRegression):
    """Least squares with an L2 penalty on the weights (not on the intercept).

    Same objective as :class:`sklearn.linear_model.Ridge`:

    .. math::

        \\min_{w, b}\\; \\lVert y - X w - b \\rVert^2 + \\alpha \\lVert w \\rVert^2 ,

    whose solution is :math:`w = (X_c^\\top X_c + \\alpha I)^{-1} X_c^\\top y_c`
    on centred data and :math:`b = \\bar y - \\bar x \\cdot w`. The penalty
    makes the matrix invertible for every :math:`\\alpha > 0`.
    ``loss_curve_`` (and gradient descent) use the same objective divided by
    :math:`2m`, which has the same minimiser:
    :math:`\\frac{1}{2m}(\\lVert y - Xw - b\\rVert^2 + \\alpha\\lVert w\\rVert^2)`.

    Parameters
    ----------
    alpha : float
        Penalty strength, :math:`\\alpha \\ge 0` (0 is ordinary least squares).
    solver : {"normal", "gd"}
    fit_intercept, learning_rate, max_iter, tol
        As in :class:`LinearRegression`.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0], [2.0], [3.0]])
    >>> y = np.array([1.0, 2.0, 3.0])
    >>> round(float(Ridge(alpha=2.0).fit(X, y).coef_[0]), 6)  # 2 / (2 + alpha)
    0.5

    See the chapter "Case studies: linear regression, logistic regression and SVMs", section on regularisation.
    """

    def __init__(self, alpha: float = 1.0, *, solver: str = "normal", fit_intercept: bool = True,
                 learning_rate: float | str = 0.1, max_iter: int = 1000, tol: float = 1e-6):
        self.alpha = alpha
        self.solver = solver
        self.fit_intercept = fit_intercept
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.tol = tol

    _solvers = ("normal", "gd")

    def _penalty(self) -> float:
        return check_positive(self.alpha, "alpha", allow_zero=True)


class Lasso(_Regressor):
    """Least squares with an L1 penalty, fitted by cyclic coordinate descent.

    Same objective as :class:`sklearn.linear_model.Lasso`:

    .. math::

        \\min_{w, b}\\; \\frac{1}{2m} \\lVert y - X w - b \\rVert^2 + \\alpha \\lVert w \\rVert_1 .

    The objective is not differentiable where a weight is 0, but along one
    coordinate it is a parabola plus :math:`\\alpha|w_j|`, minimised in closed
    form by soft-thresholding (:func:`soft_threshold`):

    .. math::

        w_j \\leftarrow \\frac{S_\\alpha(\\rho_j)}{z_j},\\qquad
        \\rho_j = \\frac1m x_j^\\top (r + x_j w_j),\\quad
        z_j = \\frac1m \\lVert x_j \\rVert^2 ,

    with :math:`r` the residual of the centred data. Weights whose
    :math:`|\\rho_j| \\le \\alpha` become exactly zero.

    Parameters
    ----------
    alpha : float
        Penalty strength, :math:`\\alpha \\ge 0`.
    fit_intercept : bool
    max_iter : int
        Maximum number of sweeps over all coordinates.
    tol : float
        Stop when the largest change of a weight in a sweep is at most
        ``tol`` times the largest weight (as scikit-learn's first criterion).

    Attributes
    ----------
    coef_, intercept_, n_features_in_
    n_iter_ : int
        Number of sweeps.
    loss_curve_ : ndarray
        The objective at the start and after each sweep (non-increasing).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(50, 3))
    >>> y = 3.0 * X[:, 0] + 0.01 * rng.normal(size=50)
    >>> model = Lasso(alpha=0.1).fit(X, y)
    >>> bool(model.coef_[0] > 2.5), model.coef_[1:].tolist()
    (True, [0.0, 0.0])

    See the chapter "Case studies: linear regression, logistic regression and SVMs", section on regularisation.
    """

    def __init__(self, alpha: float = 1.0, *, fit_intercept: bool = True,
                 max_iter: int = 1000, tol: float = 1e-4):
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol

    def fit(self, X: Any, y: Any) -> "Lasso":
        """Learn sparse ``coef_`` and ``intercept_`` by coordinate descent."""
        X, y = _check_X_y(X, y)
        alpha = check_positive(self.alpha, "alpha", allow_zero=True)
        max_iter = check_int(self.max_iter, "max_iter", minimum=1)
        tol = check_positive(self.tol, "tol")
        m, n = X.shape
        Xc, yc, x_mean, y_mean = _center(X, y, bool(self.fit_intercept))
        column_norms = np.einsum("ij,ij->j", Xc, Xc) / m
        coef = np.zeros(n)
        residual = yc.copy()
        losses = [yc @ yc / (2 * m)]
        converged = False
        for sweep in range(1, max_iter + 1):
            largest_change = 0.0
            for j in range(n):
                if column_norms[j] == 0.0:  # a constant column carries no information
                    continue
                old = coef[j]
                rho = Xc[:, j] @ residual / m + column_norms[j] * old
                new = float(_soft_threshold(np.asarray(rho), alpha)) / column_norms[j]
                if new != old:
                    residual -= Xc[:, j] * (new - old)
                    coef[j] = new
                    largest_change = max(largest_change, abs(new - old))
            losses.append(residual @ residual / (2 * m) + alpha * np.abs(coef).sum())
            if largest_change <= tol * max(np.abs(coef).max(), np.finfo(float).tiny):
                converged = True
                break
        self._set_linear(coef, y_mean - x_mean @ coef, sweep, losses, n)
        _warn_if_not_converged(self, converged, max_iter)
        return self


# --------------------------------------------------------------------------
# Classification
# --------------------------------------------------------------------------

def _proximal_gradient(fun: Callable, grad: Callable, x0: np.ndarray, *, l1: float,
                       penalised: np.ndarray, learning_rate: float, max_iter: int,
                       tol: float) -> tuple[np.ndarray, list[float], int, bool]:
    """ISTA: a gradient step on the smooth part, then soft-thresholding for ``l1 * ||x||_1``.

    Stops when the gradient mapping ``(x - x_new) / learning_rate`` has
    infinity norm at most ``tol`` (it is the gradient when no weight sits at
    zero), the criterion :mod:`mlcalc.optim` applies to the gradient.
    """
    x = x0.copy()
    mask = penalised.astype(bool)
    losses = [fun(x) + l1 * float(np.abs(x[mask]).sum())]
    for iteration in range(1, max_iter + 1):
        step = x - learning_rate * grad(x)
        step[mask] = _soft_threshold(step[mask], learning_rate * l1)
        mapping = (x - step) / learning_rate
        x = step
        losses.append(fun(x) + l1 * float(np.abs(x[mask]).sum()))
        if np.max(np.abs(mapping)) <= tol:
            return x, losses, iteration, True
    return x, losses, max_iter, False


class LogisticRegression(_BinaryClassifier):
    """Binary logistic regression, by gradient descent or Newton's method (IRLS).

    The model is :math:`P(y = 1 \\mid x) = \\sigma(w \\cdot x + b)`. Training
    minimises scikit-learn's objective (:class:`sklearn.linear_model.LogisticRegression`)
    divided by :math:`Cm`, which has the same minimiser:

    .. math::

        \\frac1m \\sum_{i=1}^m \\big[\\log(1 + e^{z_i}) - y_i z_i\\big]
        + \\frac{1}{Cm}\\, r(w), \\qquad z_i = w\\cdot x_i + b,

    with :math:`r(w) = \\tfrac12\\lVert w\\rVert^2` (``penalty="l2"``),
    :math:`\\lVert w\\rVert_1` (``"l1"``) or 0 (``None``). The intercept is
    not penalised. In scikit-learn 1.8 and later the same choices are spelled
    ``l1_ratio=0`` (L2), ``l1_ratio=1`` (L1) and ``C=np.inf`` (no penalty).

    Parameters
    ----------
    penalty : {"l2", "l1", None}
    C : float
        Inverse regularisation strength (larger C, weaker penalty).
    solver : {"gd", "newton"}
        ``"gd"``: :func:`mlcalc.optim.gradient_descent` with
        :func:`logistic_gradient` (for ``"l1"``, proximal gradient descent:
        each step is followed by :func:`soft_threshold`). ``"newton"``:
        :func:`mlcalc.optim.newton` with :func:`logistic_hessian` plus the
        penalty's Hessian :math:`I/(Cm)` (iteratively reweighted least
        squares); not available for ``"l1"``, whose penalty has no Hessian.
    fit_intercept : bool
    learning_rate : float or "auto"
        Step size for ``"gd"``. ``"auto"`` is :math:`1/L`, with
        :math:`L = \\lVert A\\rVert_2^2/(4m) + 1/(Cm)` a bound on the
        curvature (:math:`\\sigma' \\le 1/4`), which guarantees descent.
    max_iter : int
    tol : float
        Stop once the largest absolute entry of the gradient (of the gradient
        mapping for ``"l1"``) is at most ``tol``.

    Attributes
    ----------
    classes_ : ndarray of shape (2,)
        The two labels; ``classes_[1]`` is the positive class.
    coef_, intercept_, n_iter_, loss_curve_, n_features_in_

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[-2.0], [-1.0], [-0.5], [0.5], [1.0], [2.0]])
    >>> y = np.array(["no", "no", "yes", "no", "yes", "yes"])
    >>> model = LogisticRegression(solver="newton").fit(X, y)
    >>> model.classes_.tolist()
    ['no', 'yes']
    >>> model.predict([[-3.0], [3.0]]).tolist()
    ['no', 'yes']
    >>> model.predict_proba([[0.0]]).shape
    (1, 2)

    See the chapter "Case studies: linear regression, logistic regression and SVMs", section on logistic regression.
    """

    def __init__(self, *, penalty: str | None = "l2", C: float = 1.0, solver: str = "gd",
                 fit_intercept: bool = True, learning_rate: float | str = "auto",
                 max_iter: int = 1000, tol: float = 1e-6):
        self.penalty = penalty
        self.C = C
        self.solver = solver
        self.fit_intercept = fit_intercept
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.tol = tol

    def fit(self, X: Any, y: Any) -> "LogisticRegression":
        """Learn ``coef_`` and ``intercept_``; ``y`` may hold any two labels."""
        X = _check_X(X)
        target = self._encode_labels(y, X.shape[0])
        penalty = check_choice(self.penalty, "penalty", ("l2", "l1", None))
        solver = check_choice(self.solver, "solver", ("gd", "newton"))
        C = check_positive(self.C, "C")
        max_iter = check_int(self.max_iter, "max_iter", minimum=1)
        tol = check_positive(self.tol, "tol")
        if penalty == "l1" and solver == "newton":
            raise ValueError("penalty='l1' needs solver='gd' (proximal gradient): the L1 penalty "
                             "has no Hessian, so Newton's method does not apply")
        m, n = X.shape
        A = np.column_stack([np.ones(m), X]) if self.fit_intercept else X
        penalised = np.ones(A.shape[1])
        if self.fit_intercept:
            penalised[0] = 0.0
        l2 = 1.0 / (C * m) if penalty == "l2" else 0.0

        def fun(theta: np.ndarray) -> float:
            return _logistic_loss(theta, A, target) + 0.5 * l2 * float(np.sum(penalised * theta**2))

        def grad(theta: np.ndarray) -> np.ndarray:
            return _logistic_gradient(theta, A, target) + l2 * penalised * theta

        def hess(theta: np.ndarray) -> np.ndarray:
            return _logistic_hessian(theta, A, target) + np.diag(l2 * penalised)

        theta0 = np.zeros(A.shape[1])
        detail = ""
        if solver == "newton":
            result = optim.newton(fun, grad, theta0, hess=hess, max_iter=max_iter, tol=tol,
                                  line_search=True)
            theta, losses, n_iter, converged = result.x, _loss_curve(result), result.nit, result.success
            detail = result.message
        else:
            learning_rate = _check_learning_rate(self.learning_rate)
            if learning_rate == "auto":
                learning_rate = 1.0 / (np.linalg.norm(A, 2) ** 2 / (4 * m) + l2)
            if penalty == "l1":
                theta, losses, n_iter, converged = _proximal_gradient(
                    fun, grad, theta0, l1=1.0 / (C * m), penalised=penalised,
                    learning_rate=learning_rate, max_iter=max_iter, tol=tol)
            else:
                result = optim.gradient_descent(fun, grad, theta0, learning_rate=learning_rate,
                                                max_iter=max_iter, tol=tol)
                theta, losses, n_iter, converged = (result.x, _loss_curve(result), result.nit,
                                                    result.success)
                detail = result.message
        theta = np.asarray(theta, dtype=float)
        coef, intercept = (theta[1:], theta[0]) if self.fit_intercept else (theta, 0.0)
        self._set_linear(coef, intercept, n_iter, losses, n)
        _warn_if_not_converged(self, bool(converged), max_iter, detail)
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, shape ``(n_samples, 2)``: columns ``classes_[0]``, ``classes_[1]``.

        The second column is the model's probability of the positive class
        ``classes_[1]``, the first its complement:

        .. math:: P(y = 1 \\mid x) = \\sigma(w\\cdot x + b), \\qquad P(y = 0 \\mid x) = 1 - \\sigma(w\\cdot x + b).
        """
        p = sigmoid(self.decision_function(X))
        return np.column_stack([1.0 - p, p])


class LinearSVC(_BinaryClassifier):
    """Soft-margin linear support vector machine, trained by Pegasos sub-gradient descent.

    Minimises the primal objective (:func:`hinge_loss`, labels mapped to ±1)

    .. math::

        \\tfrac12 \\lVert w \\rVert^2 + C \\sum_{i=1}^m \\max\\big(0, 1 - y_i (w\\cdot x_i + b)\\big)

    which equals :math:`Cm` times the Pegasos objective
    :math:`\\frac\\lambda2\\lVert w\\rVert^2 + \\frac1m\\sum_i \\max(0, 1 - y_i(w\\cdot x_i + b))`
    with :math:`\\lambda = 1/(Cm)` (Shalev-Shwartz, Singer, Srebro and Cotter,
    2011). Iteration :math:`t` takes a sub-gradient step with step size
    :math:`\\eta_t = 1/(\\lambda t)` on a batch :math:`B_t`:

    .. math::

        w \\leftarrow (1 - \\eta_t\\lambda) w + \\frac{\\eta_t}{|B_t|} \\sum_{i \\in B_t,\\, y_i(w\\cdot x_i + b) < 1} y_i x_i ,
        \\qquad
        b \\leftarrow b + \\frac{\\eta_t}{|B_t|} \\sum_{i \\in B_t,\\, y_i(w\\cdot x_i + b) < 1} y_i ,

    then projects :math:`w` onto the ball :math:`\\lVert w\\rVert \\le 1/\\sqrt\\lambda`
    that contains the optimum. The returned weights are the average of the
    iterates of the second half of the run ("suffix averaging"), which removes
    most of the zig-zag of the sub-gradient steps. The intercept is not penalised
    (scikit-learn's ``LinearSVC`` penalises it slightly through
    ``intercept_scaling``, so coefficients differ a little while accuracies agree).

    Parameters
    ----------
    C : float
        Weight of the hinge losses against the margin term.
    max_iter : int
        Number of sub-gradient steps.
    batch_size : int or None
        Samples per step, drawn without replacement with ``rng``. ``None``
        uses all samples every step (deterministic; ``rng`` is not needed).
    rng : numpy.random.Generator, int or None
        Source of the batches; required when ``batch_size`` is an integer.
    fit_intercept : bool

    Attributes
    ----------
    classes_ : ndarray of shape (2,)
    coef_, intercept_, n_features_in_
    n_iter_ : int
        Equal to ``max_iter`` (Pegasos runs a fixed number of steps).
    loss_curve_ : ndarray of shape (max_iter + 1,)
        The primal objective at the start and at each iterate (before averaging).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(-2.0, 1.0, size=(20, 2)), rng.normal(2.0, 1.0, size=(20, 2))])
    >>> y = np.repeat([0, 1], 20)
    >>> model = LinearSVC(C=1.0, max_iter=500).fit(X, y)
    >>> model.score(X, y)
    1.0
    >>> stochastic = LinearSVC(batch_size=8, rng=np.random.default_rng(1)).fit(X, y)
    >>> stochastic.score(X, y)
    1.0

    See the chapter "Case studies: linear regression, logistic regression and SVMs", section on support vector machines.
    """

    def __init__(self, *, C: float = 1.0, max_iter: int = 1000, batch_size: int | None = None,
                 rng: np.random.Generator | int | None = None, fit_intercept: bool = True):
        self.C = C
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.rng = rng
        self.fit_intercept = fit_intercept

    def fit(self, X: Any, y: Any) -> "LinearSVC":
        """Learn ``coef_`` and ``intercept_``; ``y`` may hold any two labels."""
        X = _check_X(X)
        signs = 2.0 * self._encode_labels(y, X.shape[0]) - 1.0
        C = check_positive(self.C, "C")
        max_iter = check_int(self.max_iter, "max_iter", minimum=1)
        m, n = X.shape
        if self.batch_size is None:
            rng, batch_size = None, m
        else:
            batch_size = min(check_int(self.batch_size, "batch_size", minimum=1), m)
            if self.rng is None:
                raise ValueError("rng is required when batch_size is set: pass "
                                 "rng=numpy.random.default_rng(seed) or an integer seed")
            rng = check_rng(self.rng)
        lam = 1.0 / (C * m)
        radius = 1.0 / np.sqrt(lam)
        w, b = np.zeros(n), 0.0
        w_sum, b_sum, n_averaged = np.zeros(n), 0.0, 0
        losses = np.empty(max_iter + 1)
        losses[0] = _hinge_loss(w, b, X, signs, C)
        start_averaging = max_iter // 2 + 1
        for t in range(1, max_iter + 1):
            batch = slice(None) if rng is None else rng.choice(m, size=batch_size, replace=False)
            Xb, yb = X[batch], signs[batch]
            active = yb * (Xb @ w + b) < 1.0
            step = 1.0 / (lam * t)
            w = (1.0 - step * lam) * w + (step / batch_size) * (Xb[active].T @ yb[active])
            if self.fit_intercept:
                b += (step / batch_size) * float(np.sum(yb[active]))
            norm = np.linalg.norm(w)
            if norm > radius:
                w *= radius / norm
            losses[t] = _hinge_loss(w, b, X, signs, C)
            if t >= start_averaging:
                w_sum += w
                b_sum += b
                n_averaged += 1
        self._set_linear(w_sum / n_averaged, b_sum / n_averaged, max_iter, losses, n)
        return self
