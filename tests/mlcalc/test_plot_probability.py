"""Tests for the figures of the chapter "Probability densities and maximum likelihood" in mlcalc.plot.

The histogram bars are checked against counts made by hand and against
probabilities from scipy.stats (a bar's area is the fraction of samples in its
bin), the density curves against scipy.stats' pdf, and the log-likelihood
contours against scipy.stats.norm.logpdf summed over the data: every vertex of
a contour line lies where the log-likelihood has dropped by that line's amount.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.contour import ContourSet
from scipy import stats

from mlcalc.plot import histogram_with_density, log_likelihood_contours


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


# --- histogram_with_density ------------------------------------------------------

def test_histogram_bars_are_counts_over_n_times_width():
    rng = np.random.default_rng(1)
    samples = rng.exponential(2.0, size=500)
    fig = histogram_with_density(samples, stats.expon(scale=2.0).pdf, bins=12, interval=(0.0, 6.0))
    bars = fig.axes[0].patches
    assert len(bars) == 12
    width = 6.0 / 12
    for k, bar in enumerate(bars):
        left = k * width
        inside = sum(1 for s in samples if left <= s < left + width or (k == 11 and s == 6.0))
        assert bar.get_x() == pytest.approx(left)
        assert bar.get_width() == pytest.approx(width)
        assert bar.get_height() == pytest.approx(inside / (500 * width))
    # samples beyond the interval still count in n: the bars hold only the fraction inside
    total = sum(bar.get_height() * bar.get_width() for bar in bars)
    assert total == pytest.approx(np.mean(samples <= 6.0))


def test_histogram_areas_approach_scipy_probabilities_and_curves_are_the_densities():
    rng = np.random.default_rng(2)
    distribution = stats.gamma(a=3.0, scale=1.5)
    samples = distribution.rvs(size=200_000, random_state=rng)
    fig = histogram_with_density(samples, {"gamma": distribution.pdf, "normal": stats.norm(4.5, 2.6).pdf},
                                 bins=20, interval=(0.0, 15.0))
    ax = fig.axes[0]
    for bar in ax.patches:
        left, width = bar.get_x(), bar.get_width()
        probability = distribution.cdf(left + width) - distribution.cdf(left)
        assert bar.get_height() * width == pytest.approx(probability, abs=3e-3)
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert set(lines) == {"gamma", "normal"}
    x = lines["gamma"].get_xdata()
    np.testing.assert_allclose(lines["gamma"].get_ydata(), distribution.pdf(x), rtol=1e-12)
    np.testing.assert_allclose(lines["normal"].get_ydata(), stats.norm(4.5, 2.6).pdf(x), rtol=1e-12)
    assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel() and ax.get_legend() is not None


def test_histogram_accepts_scalar_only_density_and_given_axes():
    import math

    fig, ax = plt.subplots()
    samples = np.random.default_rng(3).normal(size=300)
    returned = histogram_with_density(samples, lambda t: math.exp(-t * t / 2) / math.sqrt(2 * math.pi), ax=ax,
                                      bins=10, num=50)
    assert returned is fig
    line = ax.get_lines()[0]
    np.testing.assert_allclose(line.get_ydata(), stats.norm.pdf(line.get_xdata()), rtol=1e-12)


@pytest.mark.parametrize("kwargs, error", [
    ({"samples": [[1.0, 2.0]]}, ValueError),
    ({"samples": [1.0, np.nan]}, ValueError),
    ({"densities": 3.0}, TypeError),
    ({"densities": {}}, ValueError),
    ({"bins": 0}, ValueError),
    ({"bins": 2.5}, TypeError),
    ({"interval": (1.0, 0.0)}, ValueError),
])
def test_histogram_rejects_bad_arguments(kwargs, error):
    arguments = {"samples": [0.0, 1.0, 2.0], "densities": stats.norm.pdf}
    arguments.update(kwargs)
    samples = arguments.pop("samples")
    densities = arguments.pop("densities")
    with pytest.raises(error):
        histogram_with_density(samples, densities, **arguments)


# --- log_likelihood_contours ------------------------------------------------------

DATA = np.random.default_rng(4).normal(1.0, 2.0, size=80)
MU_HAT, SIGMA_HAT = DATA.mean(), DATA.std()


def normal_log_likelihood(theta):
    """Sum of scipy's log-densities; for a stacked grid of shape (2, ny, nx) one value per grid point."""
    mu, sigma = np.asarray(theta[0], dtype=float), np.asarray(theta[1], dtype=float)
    with np.errstate(invalid="ignore"):
        values = np.sum(stats.norm.logpdf(DATA, mu[..., None], np.where(sigma > 0, sigma, np.nan)[..., None]),
                        axis=-1)
    values = np.where(sigma > 0, values, -np.inf)
    return float(values) if values.ndim == 0 else values


def contour_lines(ax):
    line_sets = [c for c in ax.collections if isinstance(c, ContourSet) and not c.filled]
    assert len(line_sets) == 1
    return line_sets[0]


def test_contour_lines_lie_where_the_log_likelihood_dropped_by_their_level():
    fig = log_likelihood_contours(normal_log_likelihood, xlim=(-0.5, 2.5), ylim=(1.2, 3.2),
                                  mle=(MU_HAT, SIGMA_HAT), n_grid=150)
    ax = fig.axes[0]
    lines = contour_lines(ax)
    top = normal_log_likelihood((MU_HAT, SIGMA_HAT))
    np.testing.assert_allclose(lines.levels, np.arange(1, 7) ** 2 / 2)
    checked = 0
    for level, segments in zip(lines.levels, lines.allsegs):
        for segment in segments:
            for mu, sigma in segment[::5]:
                assert top - normal_log_likelihood((mu, sigma)) == pytest.approx(level, abs=0.02 * level + 0.01)
                checked += 1
    assert checked > 50
    star = [line for line in ax.get_lines() if line.get_label() == "MLE"][0]
    assert star.get_xdata()[0] == pytest.approx(MU_HAT) and star.get_ydata()[0] == pytest.approx(SIGMA_HAT)


def test_the_half_unit_contour_gives_the_standard_error_of_the_mean():
    # With sigma at its MLE, l(mu) = l_max - n (mu - mu_hat)^2 / (2 sigma^2): the drop-1/2 line crosses
    # sigma = sigma_hat at mu_hat +- sigma_hat / sqrt(n), the standard error of the mean.
    fig = log_likelihood_contours(normal_log_likelihood, xlim=(0.0, 2.0), ylim=(1.5, 2.6),
                                  mle=(MU_HAT, SIGMA_HAT), drops=[0.5], n_grid=301)
    segments = contour_lines(fig.axes[0]).allsegs[0]
    vertices = np.concatenate(segments)
    near = vertices[np.abs(vertices[:, 1] - SIGMA_HAT) < 0.01]
    standard_error = SIGMA_HAT / np.sqrt(DATA.size)
    assert near[:, 0].min() == pytest.approx(MU_HAT - standard_error, abs=0.01)
    assert near[:, 0].max() == pytest.approx(MU_HAT + standard_error, abs=0.01)


def test_without_mle_the_grid_maximum_is_the_reference_and_nan_is_blank():
    def log_likelihood_or_nan(theta):
        return np.nan if theta[1] <= 0 else normal_log_likelihood(theta)

    fig = log_likelihood_contours(log_likelihood_or_nan, xlim=(-1.0, 3.0), ylim=(-0.5, 3.0), n_grid=80)
    ax = fig.axes[0]
    assert [line.get_label() for line in ax.get_lines()] == []
    grid_mu, grid_sigma = np.meshgrid(np.linspace(-1, 3, 80), np.linspace(-0.5, 3, 80))
    values = np.array([normal_log_likelihood(p) for p in zip(grid_mu.ravel(), grid_sigma.ravel())])
    top = np.max(values)
    for level, segments in zip(contour_lines(ax).levels, contour_lines(ax).allsegs):
        for segment in segments:
            assert np.all(segment[:, 1] > 0)
            for mu, sigma in segment[::7]:
                assert top - normal_log_likelihood((mu, sigma)) == pytest.approx(level, abs=0.1 * level + 0.05)


@pytest.mark.parametrize("kwargs, error", [
    ({"log_likelihood": "not callable"}, TypeError),
    ({"xlim": (1.0, 0.0)}, ValueError),
    ({"mle": (1.0, 2.0, 3.0)}, ValueError),
    ({"mle": (1.0, -1.0)}, ValueError),        # the log-likelihood is not finite there
    ({"drops": [0.5, -1.0]}, ValueError),
    ({"n_grid": 1}, ValueError),
    ({"ylim": (-2.0, -1.0)}, ValueError),       # nothing finite on the grid
])
def test_contours_reject_bad_arguments(kwargs, error):
    arguments = {"log_likelihood": normal_log_likelihood, "xlim": (0.0, 2.0), "ylim": (1.0, 3.0), "n_grid": 20}
    arguments.update(kwargs)
    with pytest.raises(error):
        log_likelihood_contours(arguments.pop("log_likelihood"), **arguments)
