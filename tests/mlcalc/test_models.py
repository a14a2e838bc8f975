"""Tests of mlcalc.models against scikit-learn, finite differences and closed forms.

Tolerances (stated once here, used below):

* closed-form least squares and ridge: coefficients within rtol 1e-6 of
  scikit-learn (in practice they agree to ~1e-13);
* gradient descent on standardised diabetes: rtol 1e-5;
* logistic regression (L2, both solvers) on standardised breast cancer:
  rtol 1e-4 of scikit-learn's lbfgs run to tol 1e-12;
* L1 logistic regression (proximal gradient): absolute 1e-4 of scikit-learn's
  saga, with the same zero pattern;
* lasso: absolute 1e-5 of scikit-learn with tight tolerances, same zeros;
* linear SVM: accuracy within one percentage point of sklearn.svm.LinearSVC.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from sklearn import datasets, linear_model, svm
from sklearn.preprocessing import StandardScaler

from mlcalc import models
from mlcalc.models import (
    ConvergenceWarning,
    Lasso,
    LinearRegression,
    LinearSVC,
    LogisticRegression,
    NotFittedError,
    Ridge,
)


@pytest.fixture(scope="module")
def diabetes():
    return datasets.load_diabetes(return_X_y=True)


@pytest.fixture(scope="module")
def diabetes_std(diabetes):
    X, y = diabetes
    return StandardScaler().fit_transform(X), y


@pytest.fixture(scope="module")
def cancer():
    X, y = datasets.load_breast_cancer(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.fixture(scope="module")
def iris_two():
    """Versicolor against virginica: two classes that are not linearly separable."""
    X, y = datasets.load_iris(return_X_y=True)
    keep = y > 0
    return StandardScaler().fit_transform(X[keep]), y[keep]


@pytest.fixture(scope="module")
def sklearn_logistic(cancer):
    X, y = cancer
    return linear_model.LogisticRegression(C=1.0, tol=1e-12, max_iter=100_000).fit(X, y)


def central_gradient(f, x, h=1e-6):
    """Central finite differences, written here so the reference is independent of mlcalc."""
    x = np.asarray(x, dtype=float)
    grad = np.empty_like(x)
    for i in range(x.size):
        e = np.zeros_like(x)
        e[i] = h
        grad[i] = (f(x + e) - f(x - e)) / (2 * h)
    return grad


# --------------------------------------------------------------------------
# Losses and derivatives: finite differences
# --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def small_problem():
    rng = np.random.default_rng(0)
    X = models.add_intercept(rng.normal(size=(30, 4)))
    theta = rng.normal(size=5)
    y_real = rng.normal(size=30)
    y_binary = (rng.random(30) < 0.5).astype(float)
    return X, theta, y_real, y_binary


def test_mse_gradient_matches_finite_differences(small_problem):
    X, theta, y, _ = small_problem
    numeric = central_gradient(lambda t: models.mse_loss(t, X, y), theta)
    assert_allclose(models.mse_gradient(theta, X, y), numeric, rtol=1e-7, atol=1e-9)


def test_mse_loss_is_half_mean_squared_error(small_problem):
    X, theta, y, _ = small_problem
    assert models.mse_loss(theta, X, y) == pytest.approx(0.5 * np.mean((X @ theta - y) ** 2), rel=1e-12)


def test_logistic_loss_matches_sklearn_log_loss(small_problem):
    from sklearn.metrics import log_loss

    X, theta, _, y = small_problem
    p = 1 / (1 + np.exp(-(X @ theta)))
    assert models.logistic_loss(theta, X, y) == pytest.approx(log_loss(y, p), rel=1e-10)


def test_logistic_gradient_and_hessian_match_finite_differences(small_problem):
    X, theta, _, y = small_problem
    grad = central_gradient(lambda t: models.logistic_loss(t, X, y), theta)
    assert_allclose(models.logistic_gradient(theta, X, y), grad, rtol=1e-6, atol=1e-9)
    hess = np.array([central_gradient(lambda t: models.logistic_gradient(t, X, y)[i], theta)
                     for i in range(theta.size)])
    assert_allclose(models.logistic_hessian(theta, X, y), hess, rtol=1e-6, atol=1e-9)


def test_logistic_loss_is_stable_for_large_scores():
    X = np.array([[1000.0], [-1000.0]])
    # correctly classified with huge margins: loss ~ e^-1000, no overflow or log(0)
    assert models.logistic_loss([1.0], X, [1, 0]) == pytest.approx(0.0, abs=1e-300)
    # misclassified: loss is exactly the margin 1000
    assert models.logistic_loss([1.0], X, [0, 1]) == pytest.approx(1000.0, rel=1e-12)


def test_hinge_subgradient_is_the_gradient_away_from_kinks():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(40, 3))
    y = np.where(rng.random(40) < 0.5, -1.0, 1.0)
    w, b, C = rng.normal(size=3), 0.3, 0.7
    margins = y * (X @ w + b)
    h = 1e-7
    assert np.min(np.abs(margins - 1)) > 100 * h * (np.abs(X).max() + 1)  # no kink within reach
    params = np.concatenate([w, [b]])
    numeric = central_gradient(lambda p: models.hinge_loss(p[:-1], p[-1], X, y, C), params, h=h)
    grad_w, grad_b = models.hinge_subgradient(w, b, X, y, C)
    assert_allclose(np.concatenate([grad_w, [grad_b]]), numeric, rtol=1e-6, atol=1e-6)


def test_hinge_loss_definition():
    X = np.array([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]])
    y = np.array([1.0, -1.0, -1.0])
    w, b, C = np.array([0.5, -0.5]), 0.25, 2.0
    expected = 0.5 * (0.25 + 0.25) + C * sum(max(0.0, 1 - yi * (xi @ w + b)) for xi, yi in zip(X, y))
    assert models.hinge_loss(w, b, X, y, C) == pytest.approx(expected)


def test_hinge_requires_plus_minus_one_labels():
    with pytest.raises(ValueError, match="-1 and \\+1"):
        models.hinge_loss([1.0], 0.0, [[1.0], [2.0]], [0, 1])


@settings(max_examples=60, deadline=None)
@given(x=st.floats(-50, 50), t=st.floats(0, 10))
def test_soft_threshold_minimises_the_proximal_objective(x, t):
    z = models.soft_threshold(x, t)
    objective = lambda v: 0.5 * (v - x) ** 2 + t * abs(v)
    for other in (z - 1e-3, z + 1e-3, 0.0, x):
        assert objective(z) <= objective(other) + 1e-12


# --------------------------------------------------------------------------
# Regression against scikit-learn
# --------------------------------------------------------------------------

@pytest.mark.parametrize("solver", ["normal", "lstsq"])
def test_linear_regression_closed_form_matches_sklearn(diabetes, solver):
    X, y = diabetes
    ours = LinearRegression(solver=solver).fit(X, y)
    ref = linear_model.LinearRegression().fit(X, y)
    assert_allclose(ours.coef_, ref.coef_, rtol=1e-6)
    assert ours.intercept_ == pytest.approx(ref.intercept_, rel=1e-6)
    assert ours.score(X, y) == pytest.approx(ref.score(X, y), rel=1e-10)
    assert ours.n_iter_ == 1 and ours.loss_curve_.shape == (1,)


def test_linear_regression_without_intercept_matches_sklearn(diabetes):
    X, y = diabetes
    ours = LinearRegression(fit_intercept=False).fit(X, y)
    ref = linear_model.LinearRegression(fit_intercept=False).fit(X, y)
    assert_allclose(ours.coef_, ref.coef_, rtol=1e-6)
    assert ours.intercept_ == 0.0


def test_linear_regression_gradient_descent_matches_sklearn(diabetes_std):
    X, y = diabetes_std
    ours = LinearRegression(solver="gd", learning_rate=0.3, max_iter=20_000, tol=1e-8).fit(X, y)
    ref = linear_model.LinearRegression().fit(X, y)
    assert_allclose(ours.coef_, ref.coef_, rtol=1e-5)
    assert ours.intercept_ == pytest.approx(ref.intercept_, rel=1e-6)
    curve = ours.loss_curve_
    assert curve.shape == (ours.n_iter_ + 1,)
    assert curve[0] == pytest.approx(0.5 * np.mean(y**2))  # the start: all parameters zero
    assert np.all(np.diff(curve) <= 1e-12 * curve[:-1])  # a step below 2/L never increases a quadratic
    residual = ref.predict(X) - y
    assert curve[-1] == pytest.approx(0.5 * np.mean(residual**2), rel=1e-9)


def test_gradient_descent_with_too_few_iterations_warns(diabetes_std):
    X, y = diabetes_std
    with pytest.warns(ConvergenceWarning, match="max_iter=5"):
        LinearRegression(solver="gd", max_iter=5).fit(X, y)


@pytest.mark.parametrize("alpha", [0.01, 1.0, 50.0])
def test_ridge_matches_sklearn(diabetes, alpha):
    X, y = diabetes
    ours = Ridge(alpha=alpha).fit(X, y)
    ref = linear_model.Ridge(alpha=alpha).fit(X, y)
    assert_allclose(ours.coef_, ref.coef_, rtol=1e-6)
    assert ours.intercept_ == pytest.approx(ref.intercept_, rel=1e-6)


def test_ridge_gradient_descent_matches_sklearn(diabetes_std):
    X, y = diabetes_std
    ours = Ridge(alpha=10.0, solver="gd", learning_rate="auto", max_iter=20_000, tol=1e-8).fit(X, y)
    ref = linear_model.Ridge(alpha=10.0).fit(X, y)
    assert_allclose(ours.coef_, ref.coef_, rtol=1e-5)
    assert ours.intercept_ == pytest.approx(ref.intercept_, rel=1e-6)


def test_ridge_rejects_lstsq_and_negative_alpha(diabetes):
    X, y = diabetes
    with pytest.raises(ValueError, match="solver"):
        Ridge(solver="lstsq").fit(X, y)
    with pytest.raises(ValueError, match="alpha"):
        Ridge(alpha=-1.0).fit(X, y)


@pytest.mark.parametrize("alpha", [0.1, 1.0])
def test_lasso_matches_sklearn_and_is_sparse(diabetes, alpha):
    X, y = diabetes
    ours = Lasso(alpha=alpha, tol=1e-10, max_iter=10_000).fit(X, y)
    ref = linear_model.Lasso(alpha=alpha, tol=1e-12, max_iter=100_000).fit(X, y)
    assert_allclose(ours.coef_, ref.coef_, atol=1e-5)
    assert ours.intercept_ == pytest.approx(ref.intercept_, rel=1e-8)
    assert np.array_equal(ours.coef_ == 0.0, ref.coef_ == 0.0)
    assert np.count_nonzero(ours.coef_ == 0.0) >= 2  # exact zeros, not just small numbers
    assert np.all(np.diff(ours.loss_curve_) <= 1e-9)  # each coordinate step is an exact minimisation


def test_lasso_with_zero_alpha_is_least_squares(diabetes):
    X, y = diabetes
    ours = Lasso(alpha=0.0, tol=1e-12, max_iter=100_000).fit(X, y)
    assert_allclose(ours.coef_, linear_model.LinearRegression().fit(X, y).coef_, rtol=1e-5)


# --------------------------------------------------------------------------
# Classification against scikit-learn
# --------------------------------------------------------------------------

def test_logistic_newton_matches_sklearn(cancer, sklearn_logistic):
    X, y = cancer
    ours = LogisticRegression(solver="newton", tol=1e-10).fit(X, y)
    assert_allclose(ours.coef_, sklearn_logistic.coef_[0], rtol=1e-4)
    assert ours.intercept_ == pytest.approx(sklearn_logistic.intercept_[0], rel=1e-4)
    assert_allclose(ours.predict_proba(X), sklearn_logistic.predict_proba(X), atol=1e-6)
    assert_allclose(ours.decision_function(X), sklearn_logistic.decision_function(X), rtol=1e-4, atol=1e-6)


def test_logistic_gradient_descent_matches_sklearn(cancer, sklearn_logistic):
    X, y = cancer
    gd = LogisticRegression(solver="gd", tol=1e-8, max_iter=50_000).fit(X, y)
    assert_allclose(gd.coef_, sklearn_logistic.coef_[0], rtol=1e-4)
    assert gd.intercept_ == pytest.approx(sklearn_logistic.intercept_[0], rel=1e-4)
    newton = LogisticRegression(solver="newton", tol=1e-8).fit(X, y)
    # the point of second-order information: a handful of steps instead of thousands
    assert newton.n_iter_ <= 20
    assert gd.n_iter_ > 100 * newton.n_iter_
    assert gd.loss_curve_.shape == (gd.n_iter_ + 1,)
    assert np.all(np.diff(gd.loss_curve_) <= 1e-12 * gd.loss_curve_[:-1])  # learning rate 1/L guarantees descent


def test_logistic_l1_matches_sklearn_saga(cancer):
    X, y = cancer
    ours = LogisticRegression(penalty="l1", C=0.1, tol=1e-7, max_iter=100_000).fit(X, y)
    ref = linear_model.LogisticRegression(C=0.1, l1_ratio=1.0, solver="saga", tol=1e-8,
                                          max_iter=20_000).fit(X, y)
    assert_allclose(ours.coef_, ref.coef_[0], atol=1e-4)
    assert ours.intercept_ == pytest.approx(ref.intercept_[0], abs=1e-4)
    assert np.array_equal(ours.coef_ == 0.0, ref.coef_[0] == 0.0)
    assert np.count_nonzero(ours.coef_) < X.shape[1] // 2


def test_logistic_without_penalty_matches_unpenalised_sklearn(iris_two):
    X, y = iris_two
    ours = LogisticRegression(penalty=None, solver="newton", tol=1e-10).fit(X, y)
    ref = linear_model.LogisticRegression(C=np.inf, tol=1e-12, max_iter=100_000).fit(X, y)
    assert_allclose(ours.coef_, ref.coef_[0], rtol=1e-4)


def test_logistic_newton_with_l1_is_refused(cancer):
    X, y = cancer
    with pytest.raises(ValueError, match="l1.*gd"):
        LogisticRegression(penalty="l1", solver="newton").fit(X, y)


def test_logistic_maps_any_two_labels(cancer):
    X, y = cancer
    names = np.array(["malignant", "benign"])[y]
    by_name = LogisticRegression(solver="newton").fit(X, names)
    by_number = LogisticRegression(solver="newton").fit(X, y)
    assert by_name.classes_.tolist() == ["benign", "malignant"]
    # "malignant" (0 in the data) sorts second, so it is the positive class here
    assert_allclose(by_name.coef_, -by_number.coef_, rtol=1e-8)
    assert np.array_equal(by_name.predict(X), np.array(["malignant", "benign"])[by_number.predict(X)])
    signs = LogisticRegression(solver="newton").fit(X, 2 * y - 1)
    assert_allclose(signs.coef_, by_number.coef_, rtol=1e-10)


def test_classifiers_refuse_more_than_two_classes():
    X, y = datasets.load_iris(return_X_y=True)
    for model in (LogisticRegression(), LinearSVC()):
        with pytest.raises(ValueError, match="exactly two classes, got 3"):
            model.fit(X, y)


@pytest.mark.parametrize("C", [1.0, 0.1])
def test_linear_svc_accuracy_close_to_sklearn_on_breast_cancer(cancer, C):
    X, y = cancer
    ref = svm.LinearSVC(C=C, loss="hinge", tol=1e-8, max_iter=1_000_000).fit(X, y)
    full = LinearSVC(C=C, max_iter=2000).fit(X, y)
    stochastic = LinearSVC(C=C, max_iter=2000, batch_size=32, rng=np.random.default_rng(0)).fit(X, y)
    for model in (full, stochastic):
        assert abs(model.score(X, y) - ref.score(X, y)) <= 0.01
    # our objective leaves the intercept unpenalised, so it is at most sklearn's (plus the
    # sub-gradient method's slack)
    ours = models.hinge_loss(full.coef_, full.intercept_, X, 2 * y - 1, C)
    theirs = models.hinge_loss(ref.coef_[0], ref.intercept_[0], X, 2 * y - 1, C)
    assert ours <= theirs * 1.01


def test_linear_svc_accuracy_close_to_sklearn_on_iris(iris_two):
    X, y = iris_two
    ref = svm.LinearSVC(C=1.0, loss="hinge", tol=1e-8, max_iter=1_000_000).fit(X, y)
    ours = LinearSVC(C=1.0, max_iter=2000).fit(X, y)
    assert abs(ours.score(X, y) - ref.score(X, y)) <= 0.01
    assert ours.loss_curve_.shape == (2001,)
    assert ours.loss_curve_[0] == pytest.approx(1.0 * len(y))  # w = 0, b = 0: every hinge is 1


def test_linear_svc_is_reproducible_with_a_seed(cancer):
    X, y = cancer
    a = LinearSVC(batch_size=16, max_iter=200, rng=3).fit(X, y)
    b = LinearSVC(batch_size=16, max_iter=200, rng=np.random.default_rng(3)).fit(X, y)
    assert np.array_equal(a.coef_, b.coef_)
    with pytest.raises(ValueError, match="rng"):
        LinearSVC(batch_size=16).fit(X, y)


# --------------------------------------------------------------------------
# The estimator contract and input checks
# --------------------------------------------------------------------------

ALL_MODELS = [
    lambda: LinearRegression(),
    lambda: LinearRegression(solver="gd", max_iter=50),
    lambda: Ridge(alpha=1.0),
    lambda: Lasso(alpha=0.1),
    lambda: LogisticRegression(max_iter=50),
    lambda: LinearSVC(max_iter=50),
]


@pytest.fixture(scope="module")
def toy():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(40, 3))
    y = (X @ np.array([1.0, -2.0, 0.5]) + 0.3 * rng.normal(size=40) > 0).astype(float)
    return X, y


@pytest.mark.parametrize("make", ALL_MODELS)
def test_fit_returns_self_and_column_targets_match_flat_targets(make, toy):
    X, y = toy
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        flat = make()
        assert flat.fit(X, y) is flat
        column = make().fit(X, y.reshape(-1, 1))
    assert_allclose(column.coef_, flat.coef_, rtol=1e-12)
    assert column.coef_.shape == (3,)
    assert isinstance(column.intercept_, float)
    assert column.predict(X).shape == (40,)  # never (40, 40) nor (40, 1)
    assert column.score(X, y.reshape(-1, 1)) == pytest.approx(flat.score(X, y))


def test_init_only_stores_arguments():
    model = LinearRegression(solver="no such solver", learning_rate=-1)
    assert model.solver == "no such solver"  # not validated until fit
    with pytest.raises(ValueError, match="solver"):
        model.fit([[1.0], [2.0]], [1.0, 2.0])


@pytest.mark.parametrize("make", ALL_MODELS)
def test_mismatched_lengths_name_both(make, toy):
    X, y = toy
    with pytest.raises(ValueError, match=r"X has 40 rows, y has 39 entries"):
        make().fit(X, y[:-1])


@pytest.mark.parametrize("make", ALL_MODELS)
def test_one_dimensional_X_suggests_reshape(make):
    with pytest.raises(ValueError, match=r"X\.reshape\(-1, 1\)"):
        make().fit(np.arange(5.0), np.array([0.0, 1.0, 0.0, 1.0, 1.0]))


@pytest.mark.parametrize("make", ALL_MODELS)
def test_nan_is_rejected(make, toy):
    X, y = toy
    X_nan = X.copy()
    X_nan[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        make().fit(X_nan, y)
    y_nan = y.copy()
    y_nan[0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        make().fit(X, y_nan)


def test_predict_before_fit_and_wrong_width(toy):
    X, y = toy
    model = LinearRegression()
    with pytest.raises(NotFittedError, match="not fitted"):
        model.predict(X)
    model.fit(X, y)
    with pytest.raises(ValueError, match="2 features.*3 features"):
        model.predict(X[:, :2])


def test_loss_function_shape_errors():
    with pytest.raises(ValueError, match="add_intercept"):
        models.mse_loss([1.0, 2.0], [[1.0], [2.0]], [1.0, 2.0])
    with pytest.raises(ValueError, match="0 and 1"):
        models.logistic_loss([1.0], [[1.0], [2.0]], [-1, 1])


def test_the_articles_broadcasting_bug_does_not_happen():
    # the article's theta of shape (2, 1) against y of shape (3,): its residual became (3, 3)
    X = models.add_intercept([[1.0], [2.0], [3.0]])
    y = np.array([4.0, 5.0, 6.0])
    theta = np.zeros((2, 1))
    assert models.mse_gradient(theta, X, y).shape == (2,)
    assert models.mse_loss(theta, X, y) == pytest.approx(np.sum(y**2) / 6)


def test_scores_match_sklearn_metrics():
    from sklearn.metrics import accuracy_score, r2_score

    rng = np.random.default_rng(5)
    y, y_hat = rng.normal(size=50), rng.normal(size=50)
    assert models.r2_score(y, y_hat) == pytest.approx(r2_score(y, y_hat), rel=1e-12)
    labels, guesses = rng.integers(0, 2, 50), rng.integers(0, 2, 50)
    assert models.accuracy_score(labels, guesses) == pytest.approx(accuracy_score(labels, guesses))
    with pytest.raises(ValueError, match="single number"):
        models.r2_score(1.0, 1.0)


def test_a_diverging_learning_rate_warns_with_the_reason_and_keeps_the_curve(diabetes):
    X, y = diabetes
    with pytest.warns(ConvergenceWarning, match="learning rate 5 is likely too large"):
        model = LinearRegression(solver="gd", learning_rate=5.0, max_iter=300).fit(30 * X, y)
    assert model.loss_curve_[1] > model.loss_curve_[0]  # the loss grows from the first step
