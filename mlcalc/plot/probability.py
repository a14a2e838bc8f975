"""Figures of probability: a histogram with densities on top, contours of a log-likelihood.

See the chapter "Probability densities and maximum likelihood".
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .._validation import as_float_array, check_callable, check_int, check_interval
from ._core import (_evaluate_on_grid, _figure_and_axes, _labelled, _point_2d, _value_at, _values_on_rectangle,
                    label_axes)

__all__ = ["histogram_with_density", "log_likelihood_contours"]


def histogram_with_density(samples: Any, densities: Callable[[Any], Any] | Mapping[str, Callable[[Any], Any]], *,
                           bins: int = 50, interval: tuple[float, float] | None = None, ax: Axes | None = None,
                           num: int = 400, title: str = "Samples and density", xlabel: str = "x",
                           ylabel: str = "density", sample_label: str = "samples (histogram, area 1)") -> Figure:
    """Histogram of samples on the density scale, with one or several densities drawn on top.

    The histogram is normalised so that its bars have total area 1: a bar over
    a bin :math:`[x_k, x_{k+1})` holding :math:`n_k` of the :math:`n` samples
    has height

    .. math::

        \\frac{n_k}{n\\,(x_{k+1} - x_k)} \\approx \\frac{1}{x_{k+1} - x_k}\\int_{x_k}^{x_{k+1}} p(x)\\,dx ,

    the average of the density over the bin, which is what makes it
    comparable with a density curve :math:`p`.

    Parameters
    ----------
    samples : array_like of shape (n,)
        Finite numbers.
    densities : callable or mapping of str to callable
        A density ``p(x)`` (evaluated on a numpy array, or point by point if it
        does not vectorise), or legend labels mapped to densities.
    bins : int, optional
        Number of equal-width bins.
    interval : (float, float), optional
        Range of the bins and the curves; by default that of the samples.
        Samples outside it are not drawn but still count in :math:`n`, so the
        bars show probabilities of the whole sample.
    ax : matplotlib.axes.Axes, optional
    num : int, optional
        Points of each density curve.
    title, xlabel, ylabel, sample_label : str, optional

    Returns
    -------
    matplotlib.figure.Figure

    See the chapter "Probability densities and maximum likelihood".

    Examples
    --------
    >>> import numpy as np
    >>> from mlcalc.prob import normal_pdf
    >>> x = np.random.default_rng(0).normal(size=1000)
    >>> fig = histogram_with_density(x, {"N(0, 1)": normal_pdf}, bins=30)
    >>> ax = fig.axes[0]
    >>> len(ax.patches), [line.get_label() for line in ax.get_lines()]
    (30, ['N(0, 1)'])
    >>> round(float(sum(p.get_height() * p.get_width() for p in ax.patches)), 10)
    1.0
    >>> import matplotlib.pyplot as plt; plt.close(fig)
    """
    x = as_float_array(samples, "samples", ndim=1)
    bins = check_int(bins, "bins", minimum=1)
    num = check_int(num, "num", minimum=2)
    named = _labelled(densities, "densities", check_callable, "density")
    if interval is None:
        lo, hi = float(x.min()), float(x.max())
        if lo == hi:
            lo, hi = lo - 0.5, hi + 0.5
    else:
        lo, hi = check_interval(*interval, names=("interval[0]", "interval[1]"))
    edges = np.linspace(lo, hi, bins + 1)
    counts, _ = np.histogram(x, bins=edges)
    heights = counts / (x.size * np.diff(edges))
    fig, ax = _figure_and_axes(ax)
    ax.bar(edges[:-1], heights, width=np.diff(edges), align="edge", color="0.8", edgecolor="white",
           linewidth=0.5, label=sample_label)
    grid = np.linspace(lo, hi, num)
    for index, (label, pdf) in enumerate(named.items()):
        ax.plot(grid, _evaluate_on_grid(pdf, grid, strict=False), color=f"C{index}", linewidth=2, label=label)
    ax.set_xlim(lo, hi)
    label_axes(ax, title=title, xlabel=xlabel, ylabel=ylabel, legend=True)
    return fig


def log_likelihood_contours(log_likelihood: Callable[[np.ndarray], Any], *, xlim: tuple[float, float],
                            ylim: tuple[float, float], mle: Any = None, drops: Any = None,
                            ax: Axes | None = None, n_grid: int = 120,
                            title: str = "Log-likelihood surface", xlabel: str = "$\\theta_1$",
                            ylabel: str = "$\\theta_2$") -> Figure:
    """Contours of a log-likelihood of two parameters, measured down from its maximum, with the MLE marked.

    The contour lines are the sets where the log-likelihood has dropped by
    ``drops`` below its largest value :math:`\\ell_{\\max}` on the grid (or its
    value at ``mle`` when given):

    .. math::

        \\{\\theta : \\ell(\\theta) = \\ell_{\\max} - d\\}, \\qquad d = \\tfrac12, 2, \\tfrac92, 8, \\dots
        \\;(d = k^2/2 \\text{ by default}).

    For a large sample :math:`\\ell` is close to a quadratic around the MLE
    and the region :math:`\\ell \\ge \\ell_{\\max} - k^2/2` is roughly a
    :math:`k`-standard-error region of each parameter taken alone, so the
    default contours show how precisely the data pin the parameters down.

    Parameters
    ----------
    log_likelihood : callable
        ``log_likelihood(theta) -> float`` for ``theta`` of shape (2,); NaN or
        :math:`-\\infty` (outside the parameter space) is left blank.
    xlim, ylim : (float, float)
        The rectangle of parameter values drawn.
    mle : (float, float), optional
        The maximum-likelihood estimate, marked with a star; the drops are
        measured from :math:`\\ell` there (it must be finite).
    drops : sequence of positive float, optional
        How far below the maximum to draw the contour lines; by default
        :math:`k^2/2` for :math:`k = 1, \\dots, 6`.
    ax : matplotlib.axes.Axes, optional
    n_grid : int, optional
        Grid points per axis.
    title, xlabel, ylabel : str, optional

    Returns
    -------
    matplotlib.figure.Figure
        The axes hold the filled contours (``ax.collections``) and, when
        ``mle`` is given, a line labelled ``"MLE"``.

    See the chapter "Probability densities and maximum likelihood", section on maximum likelihood.

    Examples
    --------
    >>> import numpy as np
    >>> from mlcalc.prob import log_likelihood, mle_normal, normal_logpdf
    >>> data = np.random.default_rng(0).normal(1.0, 2.0, size=100)
    >>> mu_hat, sigma_hat = mle_normal(data)
    >>> ll = lambda theta: log_likelihood(normal_logpdf, (theta[0], theta[1]), data)
    >>> fig = log_likelihood_contours(ll, xlim=(0, 2), ylim=(1.5, 2.8), mle=(mu_hat, sigma_hat))
    >>> [line.get_label() for line in fig.axes[0].get_lines()]
    ['MLE']
    >>> import matplotlib.pyplot as plt; plt.close(fig)
    """
    check_callable(log_likelihood, "log_likelihood")
    x_lo, x_hi = check_interval(*xlim, names=("xlim[0]", "xlim[1]"))
    y_lo, y_hi = check_interval(*ylim, names=("ylim[0]", "ylim[1]"))
    n_grid = check_int(n_grid, "n_grid", minimum=2)
    if drops is None:
        drop_values = np.arange(1, 7) ** 2 / 2.0
    else:
        drop_values = np.unique(as_float_array(drops, "drops", ndim=1))
        if np.any(drop_values <= 0):
            raise ValueError(f"drops must be positive, got {drops!r}")
    star = None if mle is None else _point_2d(mle, "mle")
    X, Y, Z = _values_on_rectangle(log_likelihood, (x_lo, x_hi), (y_lo, y_hi), n_grid, "log_likelihood")
    if star is not None:
        top = _value_at(log_likelihood, star, "log_likelihood")
        if not np.isfinite(top):
            raise ValueError(f"log_likelihood must be finite at mle, got {top}")
    else:
        top = float(np.nanmax(Z))
    drop = top - Z
    fig, ax = _figure_and_axes(ax)
    bounds = np.concatenate([[min(0.0, float(np.nanmin(drop)))], drop_values])
    filled = ax.contourf(X, Y, drop, levels=bounds, cmap="viridis", alpha=0.85)
    ax.contour(X, Y, drop, levels=drop_values, colors="black", linewidths=0.6)
    colorbar = fig.colorbar(filled, ax=ax)
    colorbar.set_label(r"$\ell_{\max} - \ell(\theta)$")
    if star is not None:
        ax.plot(star[0], star[1], "*", color="white", markeredgecolor="black", markersize=15, label="MLE")
    ax.set_xlim(x_lo, x_hi)
    ax.set_ylim(y_lo, y_hi)
    label_axes(ax, title=title, xlabel=xlabel, ylabel=ylabel, legend=star is not None)
    return fig
