"""Probability with calculus: densities, maximum likelihood, expectations as integrals.

* The normal density, its logarithm and its distribution function
  (:func:`normal_pdf`, :func:`normal_logpdf`, :func:`normal_cdf`).
* Maximum likelihood: the closed form for a normal sample
  (:func:`mle_normal`) and a numeric fit of any model by minimising its
  negative log-likelihood with :mod:`mlcalc.optim` (:func:`fit_mle`).
* Expectations and variances as integrals of ``g(x) p(x)``
  (:func:`expectation`, :func:`variance`).
* The Kullback-Leibler divergence between two normals in closed form
  (:func:`gaussian_kl`), the term of a variational autoencoder's loss.
* The change-of-variables formula for densities (:func:`transform_density`).

See the chapter "Probability densities and maximum likelihood".
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Callable, Sequence

import numpy as np
from scipy import integrate as _scipy_integrate
from scipy import special

from ._validation import as_float_array, check_callable, check_choice, check_int

__all__ = [
    "normal_pdf",
    "normal_logpdf",
    "normal_cdf",
    "mle_normal",
    "log_likelihood",
    "fit_mle",
    "expectation",
    "variance",
    "gaussian_kl",
    "transform_density",
]

_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)


def _real_array(value: Any, name: str) -> np.ndarray:
    return as_float_array(value, name, allow_empty=True)


def _positive_array(value: Any, name: str) -> np.ndarray:
    arr = _real_array(value, name)
    if np.any(arr <= 0):
        raise ValueError(f"{name} must be positive, got {value!r}")
    return arr


def _out(result: np.ndarray) -> float | np.ndarray:
    """A Python float for a scalar result, the array otherwise."""
    return float(result) if np.ndim(result) == 0 else result


# --------------------------------------------------------------------------
# The normal distribution
# --------------------------------------------------------------------------

def normal_logpdf(x: Any, mu: Any = 0.0, sigma: Any = 1.0) -> float | np.ndarray:
    """Logarithm of the normal density :math:`\\mathcal N(\\mu, \\sigma^2)`.

    .. math::

        \\log p(x) = -\\frac{(x - \\mu)^2}{2\\sigma^2} - \\log\\sigma - \\tfrac12\\log(2\\pi).

    Computed directly rather than as ``log(normal_pdf(x))``: far in the tails
    the density underflows to 0 (whose logarithm is :math:`-\\infty`) while
    its logarithm is an ordinary number. Log-likelihoods are sums of these.

    Parameters
    ----------
    x : float or array_like
    mu : float or array_like
        Mean; broadcasts against ``x``.
    sigma : float or array_like
        Standard deviation, positive; broadcasts against ``x``.

    Returns
    -------
    float or ndarray

    Examples
    --------
    >>> round(normal_logpdf(0.0), 10)
    -0.9189385332
    >>> round(normal_logpdf(40.0), 6)     # the density itself, exp(-800.9...), underflows to 0
    -800.918939
    """
    x = _real_array(x, "x")
    mu = _real_array(mu, "mu")
    sigma = _positive_array(sigma, "sigma")
    z = (x - mu) / sigma
    return _out(-0.5 * z**2 - np.log(sigma) - _LOG_SQRT_2PI)


def normal_pdf(x: Any, mu: Any = 0.0, sigma: Any = 1.0) -> float | np.ndarray:
    """The normal density :math:`\\mathcal N(\\mu, \\sigma^2)`.

    .. math::

        p(x) = \\frac{1}{\\sigma\\sqrt{2\\pi}} \\exp\\Big(-\\frac{(x - \\mu)^2}{2\\sigma^2}\\Big).

    Parameters
    ----------
    x : float or array_like
    mu : float or array_like
    sigma : float or array_like
        Positive.

    Examples
    --------
    >>> round(normal_pdf(0.0), 10)       # 1 / sqrt(2 pi)
    0.3989422804
    >>> normal_pdf([-1.0, 1.0], mu=1.0, sigma=2.0).round(6)
    array([0.120985, 0.199471])
    """
    return _out(np.exp(np.asarray(normal_logpdf(x, mu, sigma))))


def normal_cdf(x: Any, mu: Any = 0.0, sigma: Any = 1.0) -> float | np.ndarray:
    """Distribution function of :math:`\\mathcal N(\\mu, \\sigma^2)`, the integral of :func:`normal_pdf`.

    .. math::

        \\Phi(x) = \\int_{-\\infty}^{x} p(t)\\,dt
                 = \\tfrac12\\Big(1 + \\operatorname{erf}\\frac{x - \\mu}{\\sigma\\sqrt2}\\Big)
                 = \\tfrac12 \\operatorname{erfc}\\Big(-\\frac{x - \\mu}{\\sigma\\sqrt2}\\Big).

    The ``erfc`` form (``scipy.special.erfc``) keeps its relative accuracy in
    the lower tail, where :math:`1 + \\operatorname{erf}` would cancel to 0.

    Examples
    --------
    >>> normal_cdf(0.0)
    0.5
    >>> round(normal_cdf(1.96), 4)
    0.975
    """
    x = _real_array(x, "x")
    mu = _real_array(mu, "mu")
    sigma = _positive_array(sigma, "sigma")
    return _out(0.5 * special.erfc(-(x - mu) / (sigma * math.sqrt(2.0))))


# --------------------------------------------------------------------------
# Maximum likelihood
# --------------------------------------------------------------------------

def mle_normal(samples: Any) -> tuple[float, float]:
    """Maximum-likelihood estimates of the mean and standard deviation of a normal sample.

    Setting the partial derivatives of the log-likelihood
    :math:`\\ell(\\mu, \\sigma) = -n\\log\\sigma - \\sum_i (x_i - \\mu)^2/(2\\sigma^2) + \\text{const}`
    to zero gives

    .. math::

        \\hat\\mu = \\frac1n \\sum_{i=1}^n x_i, \\qquad
        \\hat\\sigma = \\sqrt{\\frac1n \\sum_{i=1}^n (x_i - \\hat\\mu)^2}.

    Note the divisor :math:`n`: the maximum-likelihood variance is biased
    (its expectation is :math:`\\frac{n-1}{n}\\sigma^2`); the unbiased sample
    variance divides by :math:`n - 1` (``numpy.var(x, ddof=1)``). This function
    returns the MLE, as ``scipy.stats.norm.fit`` does.

    Parameters
    ----------
    samples : array_like of shape (n,)
        At least two finite numbers.

    Returns
    -------
    mu_hat, sigma_hat : float

    Examples
    --------
    >>> mle_normal([1.0, 2.0, 3.0, 4.0])
    (2.5, 1.118033988749895)
    """
    x = as_float_array(samples, "samples", ndim=1)
    if x.size < 2:
        raise ValueError(f"samples must hold at least 2 values, got {x.size}")
    mu = float(np.mean(x))
    return mu, float(np.sqrt(np.mean((x - mu) ** 2)))


def _params_tuple(params: Any) -> tuple:
    if isinstance(params, (numbers.Real, np.number)):
        return (params,)
    if isinstance(params, (str, bytes)):
        raise TypeError("params must be a sequence of numbers, got a string")
    return tuple(np.asarray(params, dtype=float).ravel())


def log_likelihood(logpdf: Callable[..., Any], params: Sequence[float] | float, data: Any) -> float:
    """Log-likelihood of ``data`` under a model with log-density ``logpdf(x, *params)``.

    .. math::

        \\ell(\\theta) = \\log \\prod_{i=1}^n p(x_i \\mid \\theta) = \\sum_{i=1}^n \\log p(x_i \\mid \\theta).

    The sum of logarithms replaces a product of many small numbers, which
    would underflow to 0.

    Parameters
    ----------
    logpdf : callable
        ``logpdf(x, *params)`` for an array ``x``, e.g. :func:`normal_logpdf`
        or ``scipy.stats.gamma.logpdf``.
    params : sequence of float or float
        The model's parameters, passed positionally after ``x``.
    data : array_like of shape (n,)

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np
    >>> data = np.array([-1.0, 0.0, 1.0])
    >>> round(log_likelihood(normal_logpdf, (0.0, 1.0), data), 6)   # -1 - 3 log sqrt(2 pi)
    -3.756816
    """
    check_callable(logpdf, "logpdf")
    x = as_float_array(data, "data", ndim=1)
    values = np.asarray(logpdf(x, *_params_tuple(params)), dtype=float)
    return float(np.sum(values))


def fit_mle(negative_log_likelihood: Callable[[np.ndarray, np.ndarray], float], x0: Any, data: Any, *,
            grad: Callable[[np.ndarray, np.ndarray], Any] | None = None, method: str = "bfgs",
            **options: Any):
    """Maximum-likelihood estimate by numerically minimising the negative log-likelihood.

    .. math::

        \\hat\\theta = \\arg\\min_\\theta\\; -\\ell(\\theta)
                     = \\arg\\min_\\theta\\; -\\sum_{i=1}^n \\log p(x_i \\mid \\theta).

    Minimising :math:`-\\ell` is maximising the likelihood; the optimiser is
    :func:`mlcalc.optim.bfgs` (default) or :func:`mlcalc.optim.gradient_descent`.
    Without ``grad`` the gradient comes from central finite differences,
    :func:`mlcalc.diff.gradient`; where the negative log-likelihood is not
    finite (a trial step of the line search too far out) it is reported as NaN,
    so that the line search shortens the step.

    Parameters that must stay positive (a scale, a shape) are best optimised
    through their logarithm: write the negative log-likelihood in terms of
    :math:`\\log\\sigma`, so that every real value is valid and a line search
    cannot step outside the domain.

    Parameters
    ----------
    negative_log_likelihood : callable
        ``negative_log_likelihood(params, data) -> float`` for a 1-D array
        ``params``.
    x0 : float or array_like
        Starting parameters.
    data : array_like
        The observations, passed to ``negative_log_likelihood`` as a float array.
    grad : callable, optional
        ``grad(params, data) -> array``, the gradient of
        ``negative_log_likelihood`` with respect to ``params``.
    method : {"bfgs", "gradient_descent"}
    **options
        Passed to the optimiser: ``max_iter``, ``tol``, ``callback``, and
        ``learning_rate`` for gradient descent. BFGS runs with
        ``initial_scaling=True`` unless told otherwise: its first step has
        unit length in parameter space, and the iterates do not depend on
        whether the negative log-likelihood is a sum or a mean.

    Returns
    -------
    OptimizeResult
        :mod:`mlcalc.optim`'s result: ``x`` the estimate, ``fun`` the minimal
        negative log-likelihood, ``success``, ``history``, ...

    Examples
    --------
    The normal MLE found numerically agrees with the closed form
    :func:`mle_normal`:

    >>> import numpy as np
    >>> data = np.random.default_rng(0).normal(3.0, 2.0, size=200)
    >>> def nll(params, x):
    ...     mu, log_sigma = params
    ...     return -log_likelihood(normal_logpdf, (mu, np.exp(log_sigma)), x)
    >>> res = fit_mle(nll, [0.0, 0.0], data)
    >>> mu_hat, sigma_hat = mle_normal(data)
    >>> res.success, bool(np.allclose([res.x[0], np.exp(res.x[1])], [mu_hat, sigma_hat], rtol=1e-6))
    (True, True)

    See the chapter "Probability densities and maximum likelihood", section on maximum likelihood.
    """
    from . import diff, optim

    check_callable(negative_log_likelihood, "negative_log_likelihood")
    method = check_choice(method, "method", ("bfgs", "gradient_descent"))
    x = as_float_array(data, "data", allow_empty=False)

    def fun(params: np.ndarray) -> float:
        return negative_log_likelihood(params, x)

    if grad is None:
        def gradient(params: np.ndarray) -> np.ndarray:
            # Where the likelihood is 0 (an overflowing trial step of the line search) there is no
            # gradient to estimate; NaN tells the optimiser to shorten the step.
            nan = np.full(np.size(params), np.nan)
            if not np.isfinite(fun(params)):
                return nan
            try:
                return diff.gradient(fun, params)
            except ValueError:  # not finite at a neighbouring point of the difference quotient
                return nan
    else:
        check_callable(grad, "grad")

        def gradient(params: np.ndarray) -> np.ndarray:
            return np.asarray(grad(params, x), dtype=float)

    if method == "bfgs" and "hess_inv0" not in options:
        # A total log-likelihood grows with the sample size, and so does its gradient: a first
        # step of -gradient would leap far outside any sensible range (e^2400 for a log scale).
        # Scaled BFGS tries a first step of unit length and is independent of the loss's units.
        options.setdefault("initial_scaling", True)
    return getattr(optim, method)(fun, gradient, x0, **options)


# --------------------------------------------------------------------------
# Expectations as integrals
# --------------------------------------------------------------------------

def _check_limits(a: Any, b: Any) -> tuple[float, float]:
    values = []
    for value, name in ((a, "a"), (b, "b")):
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Real, np.number)):
            raise TypeError(f"{name} must be a real number (or ±numpy.inf), got {type(value).__name__}")
        if math.isnan(value):
            raise ValueError(f"{name} must not be NaN")
        values.append(float(value))
    if not values[0] < values[1]:
        raise ValueError(f"a must be smaller than b, got a={values[0]}, b={values[1]}")
    return values[0], values[1]


def _integrate(f: Callable[[Any], Any], a: float, b: float, n: int | None) -> float:
    if n is None:
        value, _ = _scipy_integrate.quad(lambda t: float(f(t)), a, b, limit=200)
        return float(value)
    n = check_int(n, "n", minimum=2)
    if not (math.isfinite(a) and math.isfinite(b)):
        raise ValueError("Simpson's rule (n given) needs finite limits a and b; "
                         "leave n=None for infinite limits (adaptive quadrature)")
    from . import integrate

    return float(integrate.simpson(f, a, b, n))


def expectation(g: Callable[[Any], Any], pdf: Callable[[Any], Any], a: float = -np.inf,
                b: float = np.inf, *, n: int | None = None) -> float:
    """Expected value :math:`E[g(X)]` of a continuous random variable, by numerical integration.

    .. math::

        E[g(X)] = \\int_a^b g(x)\\, p(x)\\, dx .

    ``[a, b]`` should hold (almost) all of the probability: the integral over
    a truncated range is not renormalised.

    Parameters
    ----------
    g : callable
        The function whose mean is wanted, e.g. ``lambda x: x`` for the mean.
    pdf : callable
        The density :math:`p` of :math:`X`.
    a, b : float
        Integration limits; ``-numpy.inf`` and ``numpy.inf`` are allowed when
        ``n`` is None.
    n : int or None
        ``None``: adaptive Gauss-Kronrod quadrature
        (``scipy.integrate.quad``), which handles infinite limits; ``g`` and
        ``pdf`` are then called with one float at a time. An integer:
        composite Simpson's rule with ``n`` subintervals,
        :func:`mlcalc.integrate.simpson`, on finite limits.

    Returns
    -------
    float

    Examples
    --------
    The second moment of a standard normal is its variance, 1:

    >>> round(expectation(lambda x: x**2, normal_pdf), 10)
    1.0

    See the chapter "Probability densities and maximum likelihood", section on expectations.
    """
    check_callable(g, "g")
    check_callable(pdf, "pdf")
    a, b = _check_limits(a, b)
    return _integrate(lambda x: g(x) * pdf(x), a, b, n)


def variance(pdf: Callable[[Any], Any], a: float = -np.inf, b: float = np.inf, *,
             g: Callable[[Any], Any] | None = None, n: int | None = None) -> float:
    """Variance :math:`\\operatorname{Var}[g(X)]` by numerical integration (default :math:`g(x) = x`).

    .. math::

        \\operatorname{Var}[g(X)] = E\\big[(g(X) - \\mu)^2\\big]
        = \\int_a^b \\big(g(x) - \\mu\\big)^2 p(x)\\, dx,
        \\qquad \\mu = E[g(X)].

    The centred form is integrated rather than :math:`E[g^2] - \\mu^2`, which
    loses digits to cancellation when the mean is large compared with the
    spread.

    Parameters
    ----------
    pdf, a, b, n
        As in :func:`expectation`.
    g : callable, optional
        Defaults to the identity.

    Examples
    --------
    >>> round(variance(lambda x: normal_pdf(x, 5.0, 2.0)), 8)
    4.0
    """
    check_callable(pdf, "pdf")
    if g is None:
        def g(x: Any) -> Any:
            return x
    check_callable(g, "g")
    a, b = _check_limits(a, b)
    mean = _integrate(lambda x: g(x) * pdf(x), a, b, n)
    return _integrate(lambda x: (g(x) - mean) ** 2 * pdf(x), a, b, n)


def gaussian_kl(mu1: Any, sigma1: Any, mu2: Any = 0.0, sigma2: Any = 1.0) -> float | np.ndarray:
    """Kullback-Leibler divergence :math:`\\mathrm{KL}(\\mathcal N(\\mu_1, \\sigma_1^2) \\,\\|\\, \\mathcal N(\\mu_2, \\sigma_2^2))`.

    .. math::

        \\mathrm{KL}(p_1 \\| p_2) = \\int p_1(x) \\log\\frac{p_1(x)}{p_2(x)}\\,dx
        = \\log\\frac{\\sigma_2}{\\sigma_1}
          + \\frac{\\sigma_1^2 + (\\mu_1 - \\mu_2)^2}{2\\sigma_2^2} - \\frac12 .

    It is non-negative, zero only when the two normals are equal, and not
    symmetric. Against the standard normal (the defaults) it is the
    regulariser of a variational autoencoder,
    :math:`\\tfrac12(\\mu^2 + \\sigma^2 - 1 - \\log\\sigma^2)`. All arguments
    broadcast, giving one divergence per latent dimension.

    Parameters
    ----------
    mu1, sigma1 : float or array_like
        Mean and (positive) standard deviation of the first normal.
    mu2, sigma2 : float or array_like
        Of the second normal; by default the standard normal.

    Examples
    --------
    >>> gaussian_kl(0.0, 1.0, 0.0, 1.0)
    0.0
    >>> round(gaussian_kl(1.0, 1.0), 6)   # shifting by one standard deviation: 1/2
    0.5

    See the chapter "Probability densities and maximum likelihood" and the variational
    autoencoder in "Calculus in deep learning".
    """
    mu1 = _real_array(mu1, "mu1")
    mu2 = _real_array(mu2, "mu2")
    sigma1 = _positive_array(sigma1, "sigma1")
    sigma2 = _positive_array(sigma2, "sigma2")
    kl = np.log(sigma2 / sigma1) + (sigma1**2 + (mu1 - mu2) ** 2) / (2.0 * sigma2**2) - 0.5
    return _out(kl)


def transform_density(pdf: Callable[[Any], Any], inverse: Callable[[Any], Any],
                      inverse_derivative: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Density of :math:`Y = g(X)` for a monotone, differentiable :math:`g` (change of variables).

    .. math::

        p_Y(y) = p_X\\big(g^{-1}(y)\\big)\\, \\Big|\\frac{d g^{-1}}{dy}(y)\\Big| .

    The factor :math:`|dg^{-1}/dy|` is the substitution rule of integration:
    it stretches or squeezes the density so that it still integrates to 1.

    Parameters
    ----------
    pdf : callable
        The density :math:`p_X`.
    inverse : callable
        :math:`g^{-1}`, mapping a value of :math:`Y` back to :math:`X`.
    inverse_derivative : callable
        :math:`dg^{-1}/dy`.

    Returns
    -------
    callable
        ``p_Y(y)``, evaluated on the support of :math:`Y` (it calls
        ``inverse`` on its argument as given).

    Examples
    --------
    :math:`Y = e^X` with :math:`X` standard normal is log-normal:

    >>> import numpy as np
    >>> p_y = transform_density(normal_pdf, np.log, lambda y: 1.0 / y)
    >>> round(float(p_y(1.0)), 10)      # at y = 1: p_X(0) * 1
    0.3989422804

    See the chapter "Probability densities and maximum likelihood", section on change of variables.
    """
    check_callable(pdf, "pdf")
    check_callable(inverse, "inverse")
    check_callable(inverse_derivative, "inverse_derivative")

    def transformed_pdf(y: Any) -> Any:
        return pdf(inverse(y)) * np.abs(inverse_derivative(y))

    transformed_pdf.__doc__ = "p_Y(y) = p_X(inverse(y)) * |inverse_derivative(y)|"
    return transformed_pdf
