"""scikit-learn accepts mlcalc.models: its own conformance suite, and the tools students use.

``parametrize_with_checks`` runs scikit-learn's estimator checks on every
estimator (and on the non-default solvers, which take other code paths). A
check that cannot apply by design is listed in ``_DESIGN`` with its reason;
scikit-learn marks it as an expected failure (xfail) that the report shows with
that reason. The marks are strict: a listed check that starts to pass fails the
run, so the list cannot outlive its reasons. Nothing is skipped.
"""

from __future__ import annotations

import warnings
from unittest import SkipTest

import numpy as np
import pytest
from sklearn.base import clone, is_classifier, is_regressor
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.exceptions import ConvergenceWarning as SklearnConvergenceWarning
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import check_estimators_data_not_an_array, parametrize_with_checks

from mlcalc import models

# The reasons are the design of mlcalc's input checks, shared by every estimator.
_DESIGN = {
    "check_complex_data": (
        "mlcalc's input checks (mlcalc._validation.as_float_array) raise TypeError naming the argument "
        "for complex X, the rule for a wrong type across mlcalc; scikit-learn expects ValueError"
    ),
    "check_dtype_object": (
        "X of dtype object is rejected with a TypeError even when it holds numbers: mlcalc accepts "
        "real numeric arrays only, so that a column of strings is never converted silently"
    ),
    "check_supervised_y_2d": (
        "a column target y of shape (n_samples, 1) is flattened on purpose and without a "
        "DataConversionWarning (module docstring of mlcalc.models): chapters pass column targets"
    ),
}

# One instance per estimator; the solvers chosen cover the code paths that differ in what
# scikit-learn checks (closed form, mlcalc.optim's gradient descent and Newton, coordinate descent,
# a stochastic solver whose randomness comes from the rng parameter).
ESTIMATORS = [
    models.LinearRegression(),
    models.Ridge(solver="gd"),
    models.Lasso(),
    models.LogisticRegression(),
    models.LogisticRegression(solver="newton"),
    models.LinearSVC(batch_size=8, rng=0),
]


# Checks whose prerequisite is absent by choice. scikit-learn would skip them (SkipTest); the test
# below turns a skip into a failure, and these entries say why that failure is expected.
_PREREQUISITES = {
    "check_array_api_input": (
        "needs SCIPY_ARRAY_API=1 set before scipy is first imported, which would change scipy for "
        "the whole test process; mlcalc's models compute with numpy only"
    ),
}
_PANDAS = ("pandas is not a dependency of the book, so scikit-learn cannot feed DataFrames; the "
           "NotAnArray half of this check runs in test_non_array_inputs_are_accepted")


def _expected_failures(estimator) -> dict[str, str]:
    data_check = ("check_classifier_data_not_an_array" if is_classifier(estimator)
                  else "check_regressor_data_not_an_array")
    return {**_DESIGN, **_PREREQUISITES, data_check: _PANDAS}


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected_failures, xfail_strict=True)
def test_sklearn_estimator_checks(estimator, check):
    with warnings.catch_warnings():
        # The checks fit on tiny random data sets with the default budgets; not converging there is
        # expected and says nothing about conformance.
        warnings.simplefilter("ignore", SklearnConvergenceWarning)
        try:
            check(estimator)
        except SkipTest as exc:
            pytest.fail(f"scikit-learn skipped this check ({exc}); install what it needs, or list the "
                        f"check with its reason in _DESIGN or _PREREQUISITES")


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=repr)
def test_non_array_inputs_are_accepted(estimator):
    # scikit-learn's _NotAnArray: array-like through __array__, but refuses numpy functions
    X = np.array([[3, 0], [0, 1], [0, 2], [1, 1], [1, 2], [2, 1], [0, 3], [1, 0], [2, 0], [4, 4], [2, 3],
                  [3, 2]], dtype=float)
    y = np.array([1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SklearnConvergenceWarning)
        check_estimators_data_not_an_array(type(estimator).__name__, estimator, X, y, "NotAnArray")


# --- the tools a student reaches for ------------------------------------------------------------

@pytest.fixture(scope="module")
def cancer():
    data = load_breast_cancer()
    return data.data, data.target


@pytest.fixture(scope="module")
def diabetes():
    data = load_diabetes()
    return data.data, data.target


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=repr)
def test_clone_keeps_parameters_and_drops_fitted_state(estimator, cancer):
    X, y = cancer
    fitted = clone(estimator)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SklearnConvergenceWarning)
        fitted.fit(StandardScaler().fit_transform(X), y)
    copy = clone(fitted)
    assert copy.get_params() == fitted.get_params()
    assert not hasattr(copy, "coef_")
    assert is_classifier(estimator) != is_regressor(estimator)


def test_repr_shows_the_parameters():
    assert repr(models.LinearRegression()) == "LinearRegression()"
    assert repr(models.Ridge(alpha=2.0, solver="gd")) == "Ridge(alpha=2.0, solver='gd')"
    assert repr(models.LogisticRegression(C=0.5)) == "LogisticRegression(C=0.5)"


def test_get_and_set_params_round_trip():
    model = models.LogisticRegression()
    assert model.get_params()["solver"] == "gd"
    assert model.set_params(solver="newton", C=3.0) is model
    assert (model.solver, model.C) == ("newton", 3.0)
    with pytest.raises(ValueError, match="learning_rat"):
        model.set_params(learning_rat=0.1)


def test_cross_val_score_of_a_pipeline_matches_scikit_learn(cancer):
    # the reproducer: this returned [nan nan nan] before the models were sklearn estimators
    from sklearn.linear_model import LogisticRegression as SkLogisticRegression

    X, y = cancer
    ours = cross_val_score(make_pipeline(StandardScaler(), models.LogisticRegression(solver="newton")), X, y,
                           cv=3, error_score="raise")
    theirs = cross_val_score(make_pipeline(StandardScaler(), SkLogisticRegression()), X, y, cv=3)
    assert np.all(np.isfinite(ours))
    # the same objective, so the same fold accuracies up to a sample or two per fold
    np.testing.assert_allclose(ours, theirs, atol=0.02)


def test_grid_search_picks_the_ridge_penalty_by_cross_validation(diabetes):
    from sklearn.linear_model import Ridge as SkRidge

    X, y = diabetes
    grid = {"alpha": [0.01, 0.1, 1.0, 10.0]}
    ours = GridSearchCV(models.Ridge(), grid, cv=5, error_score="raise").fit(X, y)
    theirs = GridSearchCV(SkRidge(), grid, cv=5).fit(X, y)
    assert ours.best_params_ == theirs.best_params_
    np.testing.assert_allclose(ours.cv_results_["mean_test_score"], theirs.cv_results_["mean_test_score"],
                               rtol=1e-9)
    assert isinstance(ours.best_estimator_, models.Ridge)


def test_our_warnings_and_errors_are_scikit_learns():
    from sklearn.exceptions import NotFittedError

    assert issubclass(models.ConvergenceWarning, SklearnConvergenceWarning)
    with pytest.raises(NotFittedError, match="not fitted"):
        models.LinearSVC().predict([[1.0]])
