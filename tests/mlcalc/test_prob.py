"""Tests of mlcalc.prob against scipy.stats, scipy.integrate.quad and closed-form moments.

Tolerances: densities rtol 1e-12 of scipy.stats; maximum-likelihood fits rtol
1e-5 of scipy.stats ``fit``; adaptive-quadrature expectations rtol 1e-8 of the
analytic moments; Simpson with 200 subintervals rtol 1e-6; KL divergence rtol
1e-8 of a quadrature of its definition.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from scipy import integrate, special, stats

from mlcalc import prob


# --------------------------------------------------------------------------
# Normal density
# --------------------------------------------------------------------------

def test_normal_pdf_logpdf_cdf_match_scipy():
    x = np.linspace(-8, 12, 81)
    assert_allclose(prob.normal_pdf(x, 2.0, 1.5), stats.norm.pdf(x, 2.0, 1.5), rtol=1e-12)
    assert_allclose(prob.normal_logpdf(x, 2.0, 1.5), stats.norm.logpdf(x, 2.0, 1.5), rtol=1e-12)
    assert_allclose(prob.normal_cdf(x, 2.0, 1.5), stats.norm.cdf(x, 2.0, 1.5), rtol=1e-12)


@settings(max_examples=80, deadline=None)
@given(x=st.floats(-1e3, 1e3), mu=st.floats(-100, 100), sigma=st.floats(1e-3, 1e3))
def test_normal_logpdf_matches_scipy_everywhere(x, mu, sigma):
    expected = stats.norm.logpdf(x, mu, sigma)
    assert prob.normal_logpdf(x, mu, sigma) == pytest.approx(expected, rel=1e-10, abs=1e-10)


def test_logpdf_is_finite_where_the_density_underflows():
    assert prob.normal_pdf(40.0) == 0.0
    assert prob.normal_logpdf(40.0) == pytest.approx(stats.norm.logpdf(40.0), rel=1e-14)


def test_cdf_keeps_relative_accuracy_in_the_lower_tail():
    # 1 + erf(-10) cancels to 0; the erfc form does not
    assert prob.normal_cdf(-10.0) == pytest.approx(stats.norm.cdf(-10.0), rel=1e-12)
    assert prob.normal_cdf(-10.0) > 0


def test_normal_density_integrates_to_one_and_cdf_is_its_integral():
    total, _ = integrate.quad(lambda t: prob.normal_pdf(t, 1.0, 0.5), -np.inf, np.inf)
    assert total == pytest.approx(1.0, rel=1e-10)
    partial, _ = integrate.quad(lambda t: prob.normal_pdf(t, 1.0, 0.5), -np.inf, 1.7)
    assert prob.normal_cdf(1.7, 1.0, 0.5) == pytest.approx(partial, rel=1e-10)


def test_normal_functions_broadcast_and_return_floats_for_scalars():
    assert isinstance(prob.normal_pdf(0.0), float)
    out = prob.normal_logpdf(np.zeros((3, 1)), np.array([0.0, 1.0]), 2.0)
    assert out.shape == (3, 2)


@pytest.mark.parametrize("sigma", [0.0, -1.0, [1.0, -2.0]])
def test_nonpositive_sigma_is_rejected(sigma):
    with pytest.raises(ValueError, match="sigma must be positive"):
        prob.normal_pdf(0.0, 0.0, sigma)


# --------------------------------------------------------------------------
# Maximum likelihood
# --------------------------------------------------------------------------

def test_mle_normal_matches_scipy_norm_fit():
    data = np.random.default_rng(0).normal(-2.0, 3.0, size=500)
    mu, sigma = prob.mle_normal(data)
    mu_ref, sigma_ref = stats.norm.fit(data)
    assert mu == pytest.approx(mu_ref, rel=1e-12)
    assert sigma == pytest.approx(sigma_ref, rel=1e-12)
    assert sigma == pytest.approx(np.std(data, ddof=1) * np.sqrt(499 / 500), rel=1e-12)  # divisor n


def test_mle_normal_needs_two_samples():
    with pytest.raises(ValueError, match="at least 2"):
        prob.mle_normal([1.0])


def test_log_likelihood_matches_scipy():
    data = np.random.default_rng(1).gamma(2.0, 1.5, size=50)
    expected = np.sum(stats.gamma.logpdf(data, 2.0, scale=1.5))
    assert prob.log_likelihood(lambda x, k, s: stats.gamma.logpdf(x, k, scale=s), (2.0, 1.5), data) \
        == pytest.approx(expected, rel=1e-12)
    assert prob.log_likelihood(prob.normal_logpdf, (0.0, 1.0), data) \
        == pytest.approx(np.sum(stats.norm.logpdf(data)), rel=1e-12)


def _gamma_nll(params, x):
    log_shape, log_scale = params
    return -np.sum(stats.gamma.logpdf(x, np.exp(log_shape), scale=np.exp(log_scale)))


def test_numeric_mle_of_a_gamma_matches_scipy_fit():
    data = np.random.default_rng(2).gamma(3.0, 2.0, size=400)
    res = prob.fit_mle(_gamma_nll, [0.0, 0.0], data, tol=1e-6)
    assert res.success
    shape_ref, _, scale_ref = stats.gamma.fit(data, floc=0)
    assert_allclose(np.exp(res.x), [shape_ref, scale_ref], rtol=1e-5)
    assert res.fun == pytest.approx(-np.sum(stats.gamma.logpdf(data, shape_ref, scale=scale_ref)), rel=1e-9)


def test_fit_mle_survives_trial_steps_where_the_likelihood_overflows():
    # unscaled BFGS first tries a step of length |gradient| (hundreds here): e^shape overflows,
    # the finite-difference gradient is reported as NaN, and the line search shortens the step
    data = np.random.default_rng(2).gamma(3.0, 2.0, size=400)
    with np.errstate(over="ignore", invalid="ignore"):
        res = prob.fit_mle(_gamma_nll, [0.0, 0.0], data, initial_scaling=False, tol=1e-6)
    assert res.success
    shape_ref, _, scale_ref = stats.gamma.fit(data, floc=0)
    assert_allclose(np.exp(res.x), [shape_ref, scale_ref], rtol=1e-5)


def test_fit_mle_of_a_sum_and_of_a_mean_agree():
    data = np.random.default_rng(5).normal(-1.0, 0.5, size=1000)
    total = lambda p, x: -prob.log_likelihood(prob.normal_logpdf, (p[0], np.exp(p[1])), x)
    mean = lambda p, x: total(p, x) / len(x)
    a = prob.fit_mle(total, [0.0, 0.0], data, tol=1e-6)
    b = prob.fit_mle(mean, [0.0, 0.0], data, tol=1e-9)
    assert_allclose(a.x, b.x, rtol=1e-6, atol=1e-9)
    assert_allclose([a.x[0], np.exp(a.x[1])], stats.norm.fit(data), rtol=1e-6)


def test_numeric_mle_of_a_logistic_distribution_with_analytic_gradient():
    data = np.random.default_rng(3).logistic(1.0, 0.5, size=400)

    def nll(params, x):
        loc, log_scale = params
        return -np.sum(stats.logistic.logpdf(x, loc, np.exp(log_scale)))

    def grad(params, x):
        loc, log_scale = params
        s = np.exp(log_scale)
        z = (x - loc) / s
        # d/dz of -log p = z + 2 log(1 + e^-z) + log s is 1 - 2 sigmoid(-z) = tanh(z / 2)
        t = np.tanh(z / 2)
        return np.array([-np.sum(t) / s, np.sum(1 - z * t)])

    res = prob.fit_mle(nll, [0.0, 0.0], data, grad=grad, tol=1e-7)
    assert res.success
    loc_ref, scale_ref = stats.logistic.fit(data)
    assert_allclose([res.x[0], np.exp(res.x[1])], [loc_ref, scale_ref], rtol=1e-5)


def test_fit_mle_by_gradient_descent_recovers_the_closed_form():
    data = np.random.default_rng(4).normal(1.0, 2.0, size=300)

    def nll(params, x):
        return -prob.log_likelihood(prob.normal_logpdf, (params[0], np.exp(params[1])), x) / len(x)

    res = prob.fit_mle(nll, [0.0, 0.0], data, method="gradient_descent", learning_rate=0.5,
                       max_iter=5000, tol=1e-9)
    assert res.success
    assert_allclose([res.x[0], np.exp(res.x[1])], stats.norm.fit(data), rtol=1e-7)
    assert res.history.fun[0] > res.history.fun[-1]


def test_fit_mle_rejects_unknown_method():
    with pytest.raises(ValueError, match="method"):
        prob.fit_mle(_gamma_nll, [0.0, 0.0], [1.0, 2.0], method="simplex")


# --------------------------------------------------------------------------
# Expectations, variance, KL, change of variables
# --------------------------------------------------------------------------

def test_expectations_match_analytic_moments():
    rate = 2.5
    exp_pdf = lambda x: rate * np.exp(-rate * x)
    assert prob.expectation(lambda x: x, exp_pdf, 0.0, np.inf) == pytest.approx(1 / rate, rel=1e-8)
    assert prob.expectation(lambda x: x**2, exp_pdf, 0.0, np.inf) == pytest.approx(2 / rate**2, rel=1e-8)
    assert prob.variance(exp_pdf, 0.0, np.inf) == pytest.approx(1 / rate**2, rel=1e-8)
    pdf = lambda x: prob.normal_pdf(x, 3.0, 0.5)
    assert prob.expectation(lambda x: x, pdf) == pytest.approx(3.0, rel=1e-10)
    # the log-normal mean; finite limits (20 standard deviations) keep e^x from overflowing
    assert prob.expectation(np.exp, pdf, -7.0, 13.0) == pytest.approx(np.exp(3.0 + 0.125), rel=1e-8)
    assert prob.variance(pdf, g=lambda x: x**2) == pytest.approx(stats.norm(3.0, 0.5).moment(4)
                                                                 - stats.norm(3.0, 0.5).moment(2) ** 2,
                                                                 rel=1e-8)


def test_expectation_with_simpson_matches_beta_moments():
    a, b = 2.0, 5.0
    pdf = lambda x: stats.beta.pdf(x, a, b)
    assert prob.expectation(lambda x: x, pdf, 0.0, 1.0, n=200) == pytest.approx(a / (a + b), rel=1e-6)
    assert prob.variance(pdf, 0.0, 1.0, n=200) == pytest.approx(stats.beta.var(a, b), rel=1e-6)


def test_expectation_argument_checks():
    with pytest.raises(ValueError, match="finite limits"):
        prob.expectation(lambda x: x, prob.normal_pdf, 0.0, np.inf, n=100)
    with pytest.raises(ValueError, match="a must be smaller than b"):
        prob.expectation(lambda x: x, prob.normal_pdf, 1.0, 0.0)
    with pytest.raises(TypeError, match="g must be callable"):
        prob.expectation(2.0, prob.normal_pdf)


@pytest.mark.parametrize("mu1, sigma1, mu2, sigma2", [
    (0.0, 1.0, 0.0, 1.0), (1.0, 0.5, -1.0, 2.0), (3.0, 2.0, 0.0, 1.0), (0.0, 0.1, 0.2, 0.3),
])
def test_gaussian_kl_matches_integral_of_its_definition(mu1, sigma1, mu2, sigma2):
    p1, p2 = stats.norm(mu1, sigma1), stats.norm(mu2, sigma2)
    integrand = lambda x: p1.pdf(x) * (p1.logpdf(x) - p2.logpdf(x))
    lo, hi = mu1 - 40 * sigma1, mu1 + 40 * sigma1
    numeric, _ = integrate.quad(integrand, lo, hi, points=[mu1], limit=200)
    assert prob.gaussian_kl(mu1, sigma1, mu2, sigma2) == pytest.approx(numeric, rel=1e-8, abs=1e-12)


def test_gaussian_kl_vae_form_broadcasting_and_asymmetry():
    mu = np.array([0.0, 1.0, -2.0])
    sigma = np.array([1.0, 0.5, 2.0])
    vae = 0.5 * (mu**2 + sigma**2 - 1 - np.log(sigma**2))
    assert_allclose(prob.gaussian_kl(mu, sigma), vae, rtol=1e-12, atol=1e-15)
    assert prob.gaussian_kl(0.0, 1.0, 1.0, 2.0) != pytest.approx(prob.gaussian_kl(1.0, 2.0, 0.0, 1.0))
    with pytest.raises(ValueError, match="sigma1"):
        prob.gaussian_kl(0.0, 0.0)


def test_change_of_variables_gives_the_lognormal():
    mu, sigma = 0.3, 0.8
    p_y = prob.transform_density(lambda x: prob.normal_pdf(x, mu, sigma), np.log, lambda y: 1.0 / y)
    y = np.linspace(0.05, 8.0, 60)
    assert_allclose(p_y(y), stats.lognorm.pdf(y, s=sigma, scale=np.exp(mu)), rtol=1e-12)
    total, _ = integrate.quad(p_y, 0.0, np.inf)
    assert total == pytest.approx(1.0, rel=1e-8)


def test_change_of_variables_with_a_decreasing_map_uses_the_absolute_value():
    # Y = -2 X + 1 with X ~ N(0, 1) is N(1, 2^2); d g^{-1}/dy = -1/2 is negative
    p_y = prob.transform_density(prob.normal_pdf, lambda y: (1.0 - y) / 2.0, lambda y: -0.5 + 0 * y)
    y = np.linspace(-6, 8, 29)
    assert_allclose(p_y(y), stats.norm.pdf(y, 1.0, 2.0), rtol=1e-12)


def test_change_of_variables_of_a_uniform_through_the_logistic_quantile():
    # inverse-transform sampling: X = logit(U) for U uniform is standard logistic
    p_x = prob.transform_density(lambda u: np.where((u > 0) & (u < 1), 1.0, 0.0), special.expit,
                                 lambda x: special.expit(x) * (1 - special.expit(x)))
    x = np.linspace(-10, 10, 41)
    assert_allclose(p_x(x), stats.logistic.pdf(x), rtol=1e-10)  # 1 - expit(x) loses digits for large x
