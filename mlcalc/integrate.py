"""Numerical integration: Riemann sums, the trapezoid and Simpson rules, Monte Carlo.

Every rule splits :math:`[a, b]` into ``n`` subintervals of width
:math:`h = (b - a)/n` and adds up weighted values of the integrand. Their
errors shrink at different rates as ``n`` grows: :math:`O(h)` for left and
right Riemann sums, :math:`O(h^2)` for the midpoint and trapezoid rules,
:math:`O(h^4)` for Simpson's rule, and :math:`O(n^{-1/2})` for Monte Carlo,
whatever the dimension, which is why Monte Carlo wins in high dimension
(compare :func:`monte_carlo_box` with :func:`midpoint_box`).

Integrands should be vectorised (written with numpy): ``f(x)`` receives an
array of nodes and returns an array of the same shape. A function that
returns one number for an array (a constant) or fails on an array (one written
with ``math``, or with an ``if`` on its argument) is evaluated node by node instead, which is slower but
gives the same result.

See the chapter "Integrals"; double integrals and Monte Carlo in several
dimensions appear in the chapter "Multivariable and matrix calculus".
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple

import numpy as np

from ._validation import as_float_array, check_callable, check_choice, check_int, check_interval
from .diff import _call_elementwise

__all__ = [
    "riemann_sum",
    "trapezoid",
    "simpson",
    "double_integral",
    "MonteCarloResult",
    "monte_carlo",
    "monte_carlo_box",
    "midpoint_box",
]

RIEMANN_RULES = ("left", "right", "midpoint")


class MonteCarloResult(NamedTuple):
    """A Monte Carlo estimate and its standard error; unpacks as ``estimate, standard_error``."""

    estimate: float
    """The estimate of the integral."""
    standard_error: float
    """Estimated standard deviation of ``estimate``, :math:`\\sim n^{-1/2}`."""


def _values(f: Callable, *nodes: np.ndarray) -> np.ndarray:
    """``f`` at the nodes, checked to be finite."""
    values = _call_elementwise(f, *nodes)
    if not np.all(np.isfinite(values)):
        index = np.argwhere(~np.isfinite(values))[0]
        where = ", ".join(f"{c[tuple(index)]:g}" for c in nodes)
        raise ValueError(f"f returned {values[tuple(index)]} at ({where}); the integrand must be finite "
                         f"at every node (if it is singular at an endpoint, try the midpoint rule)")
    return values


def _check_common(f: Any, a: Any, b: Any, n: Any) -> tuple[float, float, int]:
    check_callable(f, "f")
    a, b = check_interval(a, b)
    n = check_int(n, "n", minimum=1)
    return a, b, n


def _check_generator(rng: Any) -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, e.g. numpy.random.default_rng(0); "
                        f"got {type(rng).__name__}")
    return rng


def riemann_sum(f: Callable, a: float, b: float, n: int, rule: str = "left") -> float:
    """Riemann sum of ``f`` over :math:`[a, b]` with ``n`` subintervals of equal width.

    With :math:`h = (b-a)/n` and :math:`x_k = a + kh`:

    .. math::

        L_n = h\\sum_{k=0}^{n-1} f(x_k), \\qquad
        R_n = h\\sum_{k=1}^{n} f(x_k), \\qquad
        M_n = h\\sum_{k=0}^{n-1} f\\left(x_k + \\tfrac{h}{2}\\right).

    The left and right sums have error :math:`O(h)`, the midpoint sum
    :math:`O(h^2)` (for twice differentiable ``f``).

    Parameters
    ----------
    f : callable
        The integrand, vectorised over numpy arrays.
    a, b : float
        The interval, ``a < b``.
    n : int
        Number of subintervals, at least 1.
    rule : {"left", "right", "midpoint"}, optional
        Where in each subinterval ``f`` is evaluated.

    Returns
    -------
    float

    Raises
    ------
    TypeError
        If ``f`` is not callable or ``n`` is not an integer.
    ValueError
        If ``a >= b``, ``n < 1``, ``rule`` is unknown or ``f`` is not finite at a node.

    Notes
    -----
    See the chapter "Integrals".

    Examples
    --------
    >>> riemann_sum(lambda x: x, 0.0, 1.0, 4)                  # (0 + 1/4 + 2/4 + 3/4) / 4
    0.375
    >>> riemann_sum(lambda x: x, 0.0, 1.0, 4, rule="right")
    0.625
    >>> riemann_sum(lambda x: x**2, 0.0, 1.0, 2, rule="midpoint")   # (1/16 + 9/16) / 2
    0.3125
    """
    a, b, n = _check_common(f, a, b, n)
    check_choice(rule, "rule", RIEMANN_RULES)
    offset = {"left": 0.0, "right": 1.0, "midpoint": 0.5}[rule]
    nodes = a + (b - a) * (np.arange(n) + offset) / n
    return float((b - a) / n * _values(f, nodes).sum())


def trapezoid(f: Callable, a: float, b: float, n: int) -> float:
    """Composite trapezoid rule for the integral of ``f`` over :math:`[a, b]`.

    With :math:`h = (b-a)/n` and :math:`x_k = a + kh`:

    .. math::

        T_n = h\\left(\\frac{f(x_0)}{2} + f(x_1) + \\dots + f(x_{n-1})
        + \\frac{f(x_n)}{2}\\right) = \\frac{L_n + R_n}{2},

    with error :math:`-\\frac{(b-a)h^2}{12} f''(\\xi)`, that is :math:`O(h^2)`.

    Parameters
    ----------
    f : callable
        The integrand, vectorised over numpy arrays.
    a, b : float
        The interval, ``a < b``.
    n : int
        Number of subintervals, at least 1.

    Returns
    -------
    float

    Notes
    -----
    See the chapter "Integrals".

    Examples
    --------
    >>> trapezoid(lambda x: x**2, 0.0, 1.0, 2)     # (0/2 + 1/4 + 1/2) / 2
    0.375
    >>> trapezoid(lambda x: 3 * x + 1, 0.0, 2.0, 1)  # exact for straight lines
    8.0
    """
    a, b, n = _check_common(f, a, b, n)
    values = _values(f, np.linspace(a, b, n + 1))
    return float((b - a) / n * (values.sum() - (values[0] + values[-1]) / 2))


def _simpson_weights(a: float, b: float, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights of the composite Simpson rule with ``n`` (even) subintervals."""
    weights = np.ones(n + 1)
    weights[1:-1:2] = 4.0
    weights[2:-1:2] = 2.0
    return np.linspace(a, b, n + 1), weights * (b - a) / (3 * n)


def simpson(f: Callable, a: float, b: float, n: int) -> float:
    """Composite Simpson rule for the integral of ``f`` over :math:`[a, b]`; ``n`` must be even.

    Over each pair of subintervals ``f`` is replaced by the parabola through
    three nodes. With :math:`h = (b-a)/n`, :math:`x_k = a + kh`:

    .. math::

        S_n = \\frac{h}{3}\\left(f(x_0) + 4f(x_1) + 2f(x_2) + 4f(x_3) + \\dots
        + 4f(x_{n-1}) + f(x_n)\\right),

    with error :math:`-\\frac{(b-a)h^4}{180} f^{(4)}(\\xi)`, that is
    :math:`O(h^4)`; it is exact for cubic polynomials.

    Parameters
    ----------
    f : callable
        The integrand, vectorised over numpy arrays.
    a, b : float
        The interval, ``a < b``.
    n : int
        Number of subintervals, even and at least 2.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If ``n`` is odd (besides the checks of :func:`trapezoid`).

    Notes
    -----
    See the chapter "Integrals".

    Examples
    --------
    >>> simpson(lambda x: x**3, 0.0, 2.0, 2)    # exact: 2^4 / 4
    4.0
    >>> import numpy as np
    >>> round(simpson(np.sin, 0.0, np.pi, 20), 6)
    2.000007
    """
    a, b, n = _check_common(f, a, b, n)
    if n % 2:
        raise ValueError(f"n must be even for Simpson's rule (it pairs up subintervals), got {n}")
    nodes, weights = _simpson_weights(a, b, n)
    return float(weights @ _values(f, nodes))


def double_integral(f: Callable, ax: float, bx: float, ay: float, by: float, n: int, *,
                    rule: str = "simpson") -> float:
    """Integral of ``f(x, y)`` over the rectangle :math:`[a_x, b_x] \\times [a_y, b_y]`.

    A tensor-product rule: the one-dimensional rule with ``n`` subintervals
    along each axis, applied in ``x`` and then in ``y``,

    .. math::

        \\iint f(x, y)\\,dx\\,dy \\approx \\sum_{i}\\sum_{j} w_i v_j f(x_i, y_j),

    with Simpson weights (default, error :math:`O(h^4)`, ``n`` even) or
    midpoint weights (error :math:`O(h^2)`). It costs :math:`(n+1)^2` or
    :math:`n^2` evaluations of ``f``.

    Parameters
    ----------
    f : callable
        ``f(x, y)``, vectorised: called once with two arrays of the same shape.
    ax, bx, ay, by : float
        The rectangle, ``ax < bx`` and ``ay < by``.
    n : int
        Subintervals per axis (even for Simpson).
    rule : {"simpson", "midpoint"}, optional

    Returns
    -------
    float

    Notes
    -----
    See the chapter "Multivariable and matrix calculus".

    Examples
    --------
    >>> double_integral(lambda x, y: x * y**2, 0.0, 2.0, 0.0, 3.0, 2)   # (2^2/2)(3^3/3)
    18.0
    >>> double_integral(lambda x, y: x + y, 0.0, 1.0, 0.0, 1.0, 10, rule="midpoint")
    1.0
    """
    check_callable(f, "f")
    ax, bx = check_interval(ax, bx, ("ax", "bx"))
    ay, by = check_interval(ay, by, ("ay", "by"))
    n = check_int(n, "n", minimum=1)
    check_choice(rule, "rule", ("simpson", "midpoint"))
    if rule == "simpson":
        if n % 2:
            raise ValueError(f"n must be even for Simpson's rule (it pairs up subintervals), got {n}")
        (x, wx), (y, wy) = _simpson_weights(ax, bx, n), _simpson_weights(ay, by, n)
    else:
        x, wx = ax + (bx - ax) * (np.arange(n) + 0.5) / n, np.full(n, (bx - ax) / n)
        y, wy = ay + (by - ay) * (np.arange(n) + 0.5) / n, np.full(n, (by - ay) / n)
    grid_x, grid_y = np.meshgrid(x, y, indexing="ij")
    return float(wx @ _values(f, grid_x, grid_y) @ wy)


def monte_carlo(f: Callable, a: float, b: float, n: int, *, rng: np.random.Generator) -> MonteCarloResult:
    """Monte Carlo estimate of the integral of ``f`` over :math:`[a, b]`.

    With :math:`U_1, \\dots, U_n` independent and uniform on :math:`[a, b]`,

    .. math::

        \\hat I_n = \\frac{b-a}{n}\\sum_{k=1}^n f(U_k), \\qquad
        \\operatorname{SE} = (b-a)\\frac{s}{\\sqrt n},

    where :math:`s` is the sample standard deviation of the :math:`f(U_k)`.
    :math:`\\hat I_n` is unbiased and its error shrinks like :math:`n^{-1/2}`.

    Parameters
    ----------
    f : callable
        The integrand, vectorised over numpy arrays.
    a, b : float
        The interval, ``a < b``.
    n : int
        Number of samples, at least 2 (for the standard error).
    rng : numpy.random.Generator
        Source of the samples, e.g. ``numpy.random.default_rng(0)``.

    Returns
    -------
    MonteCarloResult
        ``(estimate, standard_error)``; unpack it or use the fields.

    Raises
    ------
    TypeError
        If ``rng`` is not a ``numpy.random.Generator`` (besides the checks of
        :func:`trapezoid`).

    Notes
    -----
    See the chapter "Integrals".

    Examples
    --------
    >>> import numpy as np
    >>> estimate, standard_error = monte_carlo(np.exp, 0.0, 1.0, 10_000, rng=np.random.default_rng(0))
    >>> abs(estimate - (np.e - 1)) < 3 * standard_error
    True
    >>> 0.004 < standard_error < 0.006       # the standard deviation of e^U is about 0.49
    True
    """
    a, b, n = _check_common(f, a, b, n)
    if n < 2:
        raise ValueError(f"n must be at least 2 to estimate the standard error, got {n}")
    rng = _check_generator(rng)
    values = _values(f, rng.uniform(a, b, size=n))
    width = b - a
    return MonteCarloResult(float(width * values.mean()), float(width * values.std(ddof=1) / np.sqrt(n)))


def _box(lower: Any, upper: Any) -> tuple[np.ndarray, np.ndarray]:
    lower = as_float_array(lower, "lower", ndim=1)
    upper = as_float_array(upper, "upper", ndim=1)
    if lower.shape != upper.shape:
        raise ValueError(f"lower and upper must have the same length, got {lower.size} and {upper.size}")
    if not np.all(lower < upper):
        raise ValueError(f"lower must be smaller than upper in every coordinate, got {lower} and {upper}")
    return lower, upper


def _values_at_points(f: Callable, points: np.ndarray) -> np.ndarray:
    """``f`` at the rows of ``points`` (shape ``(N, d)``), checked to be ``N`` finite numbers."""
    try:
        out = f(points)
        values = np.asarray(out, dtype=float) if np.ndim(out) else None
    except (TypeError, ValueError):  # float(...) or `if` on an array of points
        values = None
    if values is None:  # f handles one point at a time
        values = np.array([float(f(p)) for p in points])
    if values.shape != (len(points),):
        raise ValueError(f"f must map an array of shape (N, d) to shape (N,), got {values.shape} "
                         f"for N = {len(points)}")
    if not np.all(np.isfinite(values)):
        raise ValueError("f returned NaN or infinity at some points; the integrand must be finite")
    return values


def monte_carlo_box(f: Callable[[np.ndarray], np.ndarray], lower: Any, upper: Any, n: int, *,
                    rng: np.random.Generator) -> MonteCarloResult:
    """Monte Carlo estimate of the integral of ``f`` over a box in :math:`d` dimensions.

    With :math:`U_k` uniform on :math:`B = \\prod_i [\\ell_i, u_i]`:

    .. math::

        \\int_B f \\approx \\frac{|B|}{n}\\sum_{k=1}^n f(U_k), \\qquad
        \\operatorname{SE} = |B|\\frac{s}{\\sqrt n}, \\qquad |B| = \\prod_i (u_i - \\ell_i).

    The error shrinks like :math:`n^{-1/2}` in every dimension, while a grid
    rule with :math:`n` points (:func:`midpoint_box`) has error
    :math:`O(n^{-2/d})`: beyond four dimensions Monte Carlo wins.

    Parameters
    ----------
    f : callable
        Takes an array of points of shape ``(N, d)`` (one point per row) and
        returns ``N`` values, e.g. ``lambda p: np.sum(p**2, axis=1)``. A
        function that returns one number for such an array (or fails on it)
        is applied row by row. Beware of writing ``p[0]`` for the first
        coordinate: that is the first *point*; write ``p[:, 0]``.
    lower, upper : array_like, shape (d,)
        Corners of the box, ``lower < upper`` in every coordinate.
    n : int
        Number of samples, at least 2.
    rng : numpy.random.Generator

    Returns
    -------
    MonteCarloResult

    Notes
    -----
    See the chapter "Multivariable and matrix calculus".

    Examples
    --------
    >>> import numpy as np
    >>> f = lambda p: np.sum(p**2, axis=1)             # integral over [0, 1]^5 is 5/3
    >>> result = monte_carlo_box(f, np.zeros(5), np.ones(5), 20_000, rng=np.random.default_rng(1))
    >>> abs(result.estimate - 5 / 3) < 3 * result.standard_error
    True
    """
    check_callable(f, "f")
    lower, upper = _box(lower, upper)
    n = check_int(n, "n", minimum=2)
    rng = _check_generator(rng)
    points = lower + (upper - lower) * rng.random((n, lower.size))
    values = _values_at_points(f, points)
    volume = float(np.prod(upper - lower))
    return MonteCarloResult(float(volume * values.mean()), float(volume * values.std(ddof=1) / np.sqrt(n)))


def midpoint_box(f: Callable[[np.ndarray], np.ndarray], lower: Any, upper: Any, n: int) -> float:
    """Tensor-product midpoint rule over a box in :math:`d` dimensions, ``n`` points per axis.

    The box is cut into :math:`n^d` equal cells and ``f`` is evaluated at
    their centres :math:`c`:

    .. math::

        \\int_B f \\approx \\frac{|B|}{n^d}\\sum_{\\text{cells}} f(c).

    The error is :math:`O(h^2) = O(N^{-2/d})` for :math:`N = n^d` evaluations,
    so for a fixed budget the grid gets coarse quickly as :math:`d` grows,
    unlike :func:`monte_carlo_box`.

    Parameters
    ----------
    f : callable
        Takes an array of points of shape ``(N, d)`` and returns ``N`` values.
    lower, upper : array_like, shape (d,)
        Corners of the box.
    n : int
        Points per axis; the rule uses :math:`n^d` points (at most ten million).

    Returns
    -------
    float

    Notes
    -----
    See the chapter "Multivariable and matrix calculus".

    Examples
    --------
    >>> import numpy as np
    >>> midpoint_box(lambda p: p[:, 0] + p[:, 1], [0.0, 0.0], [1.0, 2.0], 4)   # exact for linear f
    3.0
    """
    check_callable(f, "f")
    lower, upper = _box(lower, upper)
    n = check_int(n, "n", minimum=1)
    count = n ** lower.size
    if count > 10_000_000:
        raise ValueError(f"n^d = {n}^{lower.size} = {count} points is too many (at most 10^7); "
                         f"use monte_carlo_box in high dimension")
    axes = [lo + (hi - lo) * (np.arange(n) + 0.5) / n for lo, hi in zip(lower, upper)]
    points = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, lower.size)
    volume = float(np.prod(upper - lower))
    return float(volume * _values_at_points(f, points).mean())
