"""Numerical derivatives: difference quotients, gradients, Jacobians, Hessians.

Two ways to differentiate numerically live here.

* With an explicit step ``h`` the functions apply the textbook difference
  quotient exactly as written, so that its error can be studied as a function
  of ``h`` (truncation error for large ``h``, rounding error for small ``h``).
* Without ``h`` they choose the steps themselves and improve the central
  difference by Richardson extrapolation: the quotient is
  computed for a sequence of halving steps and combined so that the leading
  error terms cancel. For smooth, well-scaled functions first derivatives come
  out with a relative error between ``1e-14`` and ``1e-10``, second
  derivatives between ``1e-12`` and ``1e-9`` (``bench/bench_diff.py``
  measures them against sympy).

Functions passed to :func:`derivative` are applied elementwise and should be
vectorised (written with numpy); a function that returns one number for an
array, or fails on an array (``math.sin``, an ``if`` on its argument), is
evaluated point by point instead. Functions
passed to :func:`gradient`, :func:`jacobian` and :func:`hessian` take one
point, a 1-D array of shape ``(n,)``.

See the chapter "Derivatives" for difference quotients and their errors, and
the chapter "Multivariable and matrix calculus" for gradients, Jacobians and
Hessians.
"""

from __future__ import annotations

from math import comb
from typing import Any, Callable

import numpy as np

from ._validation import as_float_array, check_callable, check_choice, check_int

__all__ = ["derivative", "gradient", "jacobian", "hessian", "check_grad", "optimal_step"]

METHODS = ("forward", "backward", "central", "complex")

_EPS = float(np.finfo(float).eps)

# Richardson extrapolation: the quotient is computed for the steps
# t_k * max(log(1 + |x|), 1) with t_k = _LARGEST_STEP / 2**k, down to about
# eps**(1/(n+2)), and extrapolated over _TERMS[power] consecutive steps.
_LARGEST_STEP = 0.5
_TERMS = {1: 4, 2: 2}  # one-sided: error O(h^5) after extrapolation; central: O(h^6)

# The complex step has no cancellation, so its step can be absurdly small.
_COMPLEX_STEP = 1e-20


def _stencil(method: str, n: int) -> tuple[np.ndarray, np.ndarray, float]:
    """Offsets ``o_k``, weights ``w_k`` and factor ``c`` of the quotient ``sum w_k f(x + o_k h) / (c h^n)``."""
    if method == "forward":
        k = np.arange(n + 1)
        return k.astype(float), np.array([(-1) ** (n - i) * comb(n, i) for i in k], float), 1.0
    if method == "backward":
        k = np.arange(n + 1)
        return -k.astype(float), np.array([(-1) ** i * comb(n, i) for i in k], float), 1.0
    central = {
        1: ([-1, 1], [-1, 1], 2.0),
        2: ([-1, 0, 1], [1, -2, 1], 1.0),
        3: ([-2, -1, 1, 2], [-1, 2, -2, 1], 2.0),
        4: ([-2, -1, 0, 1, 2], [1, -4, 6, -4, 1], 1.0),
    }
    offsets, weights, factor = central[n]
    return np.array(offsets, float), np.array(weights, float), factor


def _accuracy_order(method: str) -> int:
    """Power ``p`` of the leading error term ``O(h^p)`` of the difference quotient."""
    return 2 if method in ("central", "complex") else 1


def _as_values(out: Any, shape: tuple[int, ...], *, complex_ok: bool) -> np.ndarray:
    values = np.asarray(out)
    if values.dtype == object or not (np.issubdtype(values.dtype, np.number) or values.dtype == np.bool_):
        raise TypeError(f"f must return real numbers, got {type(out).__name__} with dtype {values.dtype}")
    if np.iscomplexobj(values) and not complex_ok:
        raise TypeError("f must return real numbers, got complex values")
    if values.shape != shape:
        raise ValueError(f"f must return one value per input point: input shape {shape}, "
                         f"output shape {values.shape}")
    return values if complex_ok else values.astype(float)


def _call_elementwise(f: Callable, *coordinates: np.ndarray, complex_ok: bool = False) -> np.ndarray:
    """Evaluate ``f`` entry by entry over arrays of one shape: ``f(x)``, or ``f(x, y)`` for two arrays.

    Vectorised if ``f`` allows it; a function that returns one number for
    arrays (a constant) or fails on them (``math.sin``, an ``if`` on the
    argument) is called point by point, where a genuine error shows again. Shared by :mod:`mlcalc.integrate`.
    """
    shape = coordinates[0].shape
    scalar = complex if np.iscomplexobj(coordinates[0]) else float
    if not shape:
        return _as_values(f(*(scalar(c) for c in coordinates)), (), complex_ok=complex_ok)
    try:
        out = f(*coordinates)
        vectorised = np.ndim(out) != 0
    except (TypeError, ValueError):  # math.sin(array); `if x > 0:` on an array
        vectorised = False
    if not vectorised:  # a constant, or a function written for single numbers
        flat = [c.ravel() for c in coordinates]
        out = [_as_values(f(*(scalar(c[k]) for c in flat)), (), complex_ok=complex_ok)
               for k in range(flat[0].size)]
        out = np.array(out).reshape(shape)
    return _as_values(out, shape, complex_ok=complex_ok)


def _scalar_value(f: Callable, point: np.ndarray) -> float:
    """``f(point)`` for ``f: R^n -> R``, checked to be one real number."""
    out = np.asarray(f(point.copy()))
    if out.size != 1 or out.ndim > 1:
        raise ValueError(f"f must return a single number, got an array of shape {out.shape} "
                         f"(use jacobian for vector-valued functions)")
    return float(_as_values(out.reshape(()), (), complex_ok=False))


def _vector_value(f: Callable, point: np.ndarray) -> np.ndarray:
    """``f(point)`` for ``f: R^n -> R^m`` as a 1-D float array."""
    out = np.asarray(f(point.copy()))
    if out.ndim > 1:
        raise ValueError(f"f must return a number or a 1-D array, got shape {out.shape}")
    return _as_values(out, out.shape, complex_ok=False).reshape(-1)


def _check_step(h: Any) -> np.ndarray:
    step = as_float_array(h, "h")
    if np.any(step <= 0):
        raise ValueError(f"h must be positive, got {h}")
    return step


def _step_scale(x: np.ndarray) -> np.ndarray:
    """Steps grow slowly with |x|, as ``max(log(1 + |x|), 1)``.

    Proportional growth (``h ~ |x|``) would make the largest steps far too big
    for functions that oscillate at a fixed scale, such as ``sin`` at x = 1000.
    """
    return np.maximum(np.log1p(np.abs(x)), 1.0)


def _extrapolate(quotient: Callable[[np.ndarray], np.ndarray], scale: np.ndarray, n: int,
                 power: int) -> tuple[np.ndarray, np.ndarray]:
    """Richardson-extrapolate ``quotient(h)`` to ``h -> 0``.

    ``quotient(h)`` returns estimates of an ``n``-th derivative whose error
    expands in powers of ``h**power`` (``power=2`` for central quotients, 1 for
    one-sided ones). It is computed for the steps ``t_k * scale``, ``t_k``
    halving from ``_LARGEST_STEP`` to about ``eps**(1/(n+2))``; ``scale`` has
    the shape of the trailing axes of the estimates. Each run of consecutive
    steps is extrapolated (each halving removes one more error term), and for
    every entry the result that agrees best with its neighbours on both sides
    is returned, with that disagreement as its error estimate. Steps where f
    is not finite (outside its domain) are skipped.
    """
    terms = _TERMS[power]
    # Halve until the step is about eps**(1/(n+2)), where rounding error wins.
    smallest = _EPS ** (1.0 / (n + 2))
    count = int(np.ceil(np.log2(_LARGEST_STEP * np.max(scale, initial=1.0) / smallest))) + 1 + terms
    with np.errstate(all="ignore"):
        table = np.array([quotient(_LARGEST_STEP / 2.0**k * scale) for k in range(count)])
        for j in range(1, terms + 1):
            factor = 2.0 ** (power * j)
            table = (factor * table[1:] - table[:-1]) / (factor - 1.0)
        change = np.abs(np.diff(table, axis=0))
        change = np.where(np.isnan(change), np.inf, change)  # NaN: f undefined at some step
        error = np.maximum(np.concatenate([change[:1], change]), np.concatenate([change, change[-1:]]))
    pick = np.argmin(error, axis=0)[None]
    return np.take_along_axis(table, pick, axis=0)[0], np.take_along_axis(error, pick, axis=0)[0]


def _check_finite_result(result: np.ndarray, x: np.ndarray, what: str) -> None:
    if not np.all(np.isfinite(result)):
        where = x if x.ndim == 0 else x[np.nonzero(~np.isfinite(result))[0][0]]
        raise ValueError(f"f is not finite near x={where}, so its {what} could not be estimated; "
                         f"is f defined on both sides of x? (try method='forward' or 'backward')")


def derivative(f: Callable, x: Any, *, n: int = 1, h: Any = None, method: str = "central") -> Any:
    """Estimate the ``n``-th derivative of ``f`` at ``x`` by difference quotients.

    With an explicit step ``h`` the textbook quotients are used as they stand.
    For the first derivative:

    .. math::

        D_h^{+} f(x) = \\frac{f(x+h) - f(x)}{h}, \\qquad
        D_h^{-} f(x) = \\frac{f(x) - f(x-h)}{h}, \\qquad
        D_h^{0} f(x) = \\frac{f(x+h) - f(x-h)}{2h},

    with errors :math:`O(h)`, :math:`O(h)` and :math:`O(h^2)`; the complex
    step :math:`\\operatorname{Im} f(x + ih)/h` is :math:`O(h^2)` without any
    cancellation. Higher derivatives use the binomial quotients
    :math:`\\frac{1}{h^n}\\sum_{k=0}^n (-1)^{n-k}\\binom{n}{k} f(x+kh)` (forward,
    mirrored for backward) and the second-order central ones, e.g.
    :math:`\\frac{f(x+h) - 2f(x) + f(x-h)}{h^2}` for ``n=2`` and
    :math:`\\frac{f(x+2h) - 2f(x+h) + 2f(x-h) - f(x-2h)}{2h^3}` for ``n=3``.

    With ``h=None`` the central (or one-sided) quotient is computed for the
    halving steps :math:`h_k = 2^{-k} h_0`, :math:`h_0 = \\tfrac12\\max(\\log(1+|x|), 1)`,
    and Richardson extrapolation combines consecutive ones,

    .. math::

        D^{(j)}(h) = \\frac{2^{pj} D^{(j-1)}(h/2) - D^{(j-1)}(h)}{2^{pj} - 1},

    which cancels the error terms :math:`h^{p}, h^{2p}, h^{3p}` one after
    another (:math:`p = 2` central, 1 one-sided). Of the extrapolated values
    the one that agrees best with its neighbours is returned: large steps
    suffer from truncation, small ones from rounding.

    Parameters
    ----------
    f : callable
        A real function of one variable, vectorised over numpy arrays (one
        that is not is evaluated point by point). For ``method="complex"`` it
        must accept complex arguments (numpy functions do; ``math`` ones do not).
    x : float or array_like
        Point(s); an array gives the derivative at each entry.
    n : int, optional
        Order of the derivative, 1 to 4 (the complex step: 1 only).
    h : float or array_like, optional
        Step, positive. An array of steps (broadcast against ``x``) gives the
        quotient for each step: handy to plot the error against ``h``.
    method : {"central", "forward", "backward", "complex"}, optional
        The quotient.

    Returns
    -------
    float or numpy.ndarray
        A float when ``x`` and ``h`` are scalars, otherwise an array of their
        broadcast shape.

    Raises
    ------
    TypeError
        If ``f`` is not callable or ``x``, ``h`` are not real numbers.
    ValueError
        If ``n`` is outside 1..4, ``h`` is not positive, ``method`` is
        unknown, ``x`` is not finite, or ``f`` is not finite near ``x``.

    See Also
    --------
    optimal_step : the step that balances truncation and rounding error.

    Notes
    -----
    See the chapter "Derivatives".

    Examples
    --------
    >>> import numpy as np
    >>> round(derivative(np.sin, 0.0), 12)                           # cos(0)
    1.0
    >>> derivative(lambda x: x**2, 3.0, h=0.5, method="forward")   # 2x + h
    6.5
    >>> derivative(lambda x: x**3, [1.0, 2.0], n=2).round(8)        # 6x
    array([ 6., 12.])
    """
    check_callable(f, "f")
    n = check_int(n, "n", minimum=1)
    if n > 4:
        raise ValueError(f"n must be between 1 and 4, got {n}")
    check_choice(method, "method", METHODS)
    if method == "complex" and n != 1:
        raise ValueError(f"method='complex' computes first derivatives only (n=1), got n={n}")
    points = as_float_array(x, "x", allow_empty=True)
    scale = _step_scale(points)

    if method == "complex":
        step = _COMPLEX_STEP * scale if h is None else _check_step(h)
        z = points + 1j * step
        result = _call_elementwise(f, z, complex_ok=True).imag / step
        return float(result) if result.ndim == 0 else result

    offsets, weights, factor = _stencil(method, n)

    def quotient(step: np.ndarray) -> np.ndarray:
        total = sum(w * _call_elementwise(f, points + o * step) for o, w in zip(offsets, weights) if w != 0)
        return total / (factor * step**n)

    if h is not None:
        step = _check_step(h)
        grid = np.broadcast_arrays(points, step)
        points = np.array(grid[0])
        with np.errstate(all="ignore"):  # the textbook formula, rounding error and all
            result = quotient(np.array(grid[1]))
        return float(result) if result.ndim == 0 else result

    result, _ = _extrapolate(quotient, scale, n, _accuracy_order(method))
    _check_finite_result(result, points, "derivative")
    return float(result) if result.ndim == 0 else result


def optimal_step(method: str = "central", n: int = 1) -> float:
    """The step that balances truncation and rounding error of a difference quotient.

    A quotient of order :math:`p` for the ``n``-th derivative has truncation
    error :math:`\\approx C_1 h^p` and rounding error
    :math:`\\approx C_2\\,\\varepsilon / h^n` (:math:`\\varepsilon` the machine
    epsilon), so the total is smallest near

    .. math::

        h^\\ast \\approx \\varepsilon^{1/(n+p)},

    e.g. :math:`\\sqrt{\\varepsilon} \\approx 1.5\\cdot10^{-8}` for the forward
    quotient and :math:`\\varepsilon^{1/3} \\approx 6\\cdot10^{-6}` for the
    central one. This assumes :math:`|x|`, :math:`|f|` and its derivatives of
    order one; multiply by :math:`\\max(|x|, 1)` for larger :math:`x`.

    Parameters
    ----------
    method : {"central", "forward", "backward"}, optional
    n : int, optional
        Order of the derivative, 1 to 4.

    Returns
    -------
    float

    Notes
    -----
    See the chapter "Derivatives".

    Examples
    --------
    >>> import numpy as np
    >>> bool(np.isclose(optimal_step("forward"), np.finfo(float).eps ** 0.5))
    True
    >>> print(f"{optimal_step('central'):.1e}")
    6.1e-06
    """
    check_choice(method, "method", ("central", "forward", "backward"))
    n = check_int(n, "n", minimum=1)
    if n > 4:
        raise ValueError(f"n must be between 1 and 4, got {n}")
    return _EPS ** (1.0 / (n + _accuracy_order(method)))


def _point(x: Any) -> np.ndarray:
    return as_float_array(x, "x", ndim=1)


def _steps(point: np.ndarray, h: Any) -> tuple[np.ndarray | None, np.ndarray]:
    """Explicit steps per coordinate (or ``None``) and the step scale per coordinate."""
    scale = _step_scale(point)
    if h is None:
        return None, scale
    step = np.broadcast_to(_check_step(h), point.shape).copy()
    return step, step


def jacobian(f: Callable[[np.ndarray], Any], x: Any, *, h: Any = None) -> np.ndarray:
    """Estimate the Jacobian matrix of ``f: R^n -> R^m`` at ``x``.

    Column :math:`j` is the central difference along the :math:`j`-th axis,

    .. math::

        J_{ij} = \\frac{\\partial f_i}{\\partial x_j}(x) \\approx
        \\frac{f_i(x + h_j e_j) - f_i(x - h_j e_j)}{2 h_j},

    Richardson-extrapolated when ``h`` is ``None``.

    Parameters
    ----------
    f : callable
        Takes a 1-D array of shape ``(n,)``, returns a 1-D array of shape
        ``(m,)`` (or a number, then ``m = 1``).
    x : array_like, shape (n,)
    h : float or array_like of shape (n,), optional
        Explicit steps for the plain central quotient.

    Returns
    -------
    numpy.ndarray, shape (m, n)

    Notes
    -----
    See the chapter "Multivariable and matrix calculus".

    Examples
    --------
    >>> import numpy as np
    >>> polar = lambda v: np.array([v[0] * np.cos(v[1]), v[0] * np.sin(v[1])])
    >>> J = jacobian(polar, [2.0, 0.0])
    >>> np.allclose(J, [[1.0, 0.0], [0.0, 2.0]])
    True
    """
    check_callable(f, "f")
    point = _point(x)
    explicit, scale = _steps(point, h)
    m = _vector_value(f, point).size
    eye = np.eye(point.size)

    def quotient(step: np.ndarray) -> np.ndarray:
        columns = [(_vector_value(f, point + s * e) - _vector_value(f, point - s * e)) / (2 * s)
                   for s, e in zip(step, eye)]
        return np.array(columns).reshape(point.size, m).T

    if explicit is not None:
        with np.errstate(all="ignore"):
            return quotient(explicit)
    result, _ = _extrapolate(quotient, scale, 1, power=2)
    _check_finite_result(result, point, "Jacobian")
    return result


def gradient(f: Callable[[np.ndarray], float], x: Any, *, h: Any = None) -> np.ndarray:
    """Estimate the gradient of ``f: R^n -> R`` at ``x``.

    .. math::

        \\nabla f(x)_j = \\frac{\\partial f}{\\partial x_j}(x) \\approx
        \\frac{f(x + h_j e_j) - f(x - h_j e_j)}{2 h_j},

    Richardson-extrapolated when ``h`` is ``None`` (relative error around
    ``1e-10`` for smooth, well-scaled ``f``); with an explicit ``h`` the plain
    quotient costs :math:`2n` evaluations of ``f``.

    Parameters
    ----------
    f : callable
        Takes a 1-D array of shape ``(n,)`` and returns a number.
    x : array_like, shape (n,)
    h : float or array_like of shape (n,), optional
        Explicit steps for the plain central quotient.

    Returns
    -------
    numpy.ndarray, shape (n,)

    Notes
    -----
    See the chapter "Multivariable and matrix calculus".

    Examples
    --------
    >>> import numpy as np
    >>> f = lambda v: v[0] ** 2 * v[1] + np.exp(v[1])
    >>> g = gradient(f, [1.0, 0.0])          # (2 x y, x^2 + e^y)
    >>> np.allclose(g, [0.0, 2.0], rtol=1e-10, atol=1e-12)
    True
    """
    check_callable(f, "f")
    point = _point(x)
    _scalar_value(f, point)  # fail early, with a clear message, on vector-valued f
    return jacobian(f, point, h=h)[0]


def hessian(f: Callable[[np.ndarray], float], x: Any, *, h: Any = None) -> np.ndarray:
    """Estimate the Hessian matrix of ``f: R^n -> R`` at ``x``.

    With :math:`h_i` the step along axis :math:`i`:

    .. math::

        H_{ii} \\approx \\frac{f(x + h_i e_i) - 2 f(x) + f(x - h_i e_i)}{h_i^2}, \\qquad
        H_{ij} \\approx \\frac{f(x^{++}) - f(x^{+-}) - f(x^{-+}) + f(x^{--})}{4 h_i h_j},

    where :math:`x^{\\pm\\pm} = x \\pm h_i e_i \\pm h_j e_j`. Both errors are
    :math:`O(h^2)`; with ``h=None`` they are Richardson-extrapolated. Only
    :math:`i \\le j` is computed and mirrored, so the result is exactly
    symmetric.

    Parameters
    ----------
    f : callable
        Takes a 1-D array of shape ``(n,)`` and returns a number.
    x : array_like, shape (n,)
    h : float or array_like of shape (n,), optional
        Explicit steps for the plain quotients.

    Returns
    -------
    numpy.ndarray, shape (n, n), symmetric

    Notes
    -----
    See the chapter "Multivariable and matrix calculus".

    Examples
    --------
    >>> import numpy as np
    >>> f = lambda v: v[0] ** 2 * v[1] + v[1] ** 3
    >>> np.allclose(hessian(f, [1.0, 2.0]), [[4.0, 2.0], [2.0, 12.0]])
    True
    """
    check_callable(f, "f")
    point = _point(x)
    size = point.size
    explicit, scale = _steps(point, h)
    eye = np.eye(size)
    upper = np.triu_indices(size)
    center = _scalar_value(f, point)

    def quotient(step: np.ndarray) -> np.ndarray:
        # The entries in the upper triangle, in the order of ``upper``.
        def at(shift: np.ndarray) -> float:
            return _scalar_value(f, point + shift)

        entries = []
        for i, j in zip(*upper):
            di, dj = step[i] * eye[i], step[j] * eye[j]
            if i == j:
                entries.append((at(di) - 2 * center + at(-di)) / step[i] ** 2)
            else:
                entries.append((at(di + dj) - at(di - dj) - at(-di + dj) + at(-di - dj)) / (4 * step[i] * step[j]))
        return np.array(entries)

    if explicit is not None:
        with np.errstate(all="ignore"):
            values = quotient(explicit)
    else:
        # One scalar step parameter t, steps t * scale_i, so that every entry's
        # error expands in even powers of t.
        values, _ = _extrapolate(lambda t: quotient(t * scale), np.array(1.0), 2, power=2)
        _check_finite_result(values, point, "Hessian")
    result = np.empty((size, size))
    result[upper] = values
    result.T[upper] = values
    return result


def check_grad(f: Callable[[np.ndarray], float], grad: Callable[[np.ndarray], Any], x: Any, *,
               h: Any = None) -> float:
    """Compare a gradient function with a finite-difference gradient; return the error.

    With :math:`a` = ``grad(x)`` and :math:`b` the Richardson-extrapolated
    central-difference gradient (:func:`gradient`), the error is

    .. math::

        \\frac{\\max_i |a_i - b_i|}{\\max(\\max_i |a_i|,\\ \\max_i |b_i|,\\ 1)}.

    Measuring every component against the size of the whole gradient keeps
    components that are (nearly) zero from blowing the ratio up, and the
    floor 1 makes the error absolute where the gradient itself is smaller than
    1 (at a stationary point a relative error means nothing). A correct
    gradient gives about ``1e-9`` or less for smooth, well-scaled ``f``; a
    wrong one typically ``1e-2`` or more.

    Parameters
    ----------
    f : callable
        Takes a 1-D array of shape ``(n,)`` and returns a number.
    grad : callable
        The gradient to check; returns an array of shape ``(n,)``.
    x : array_like, shape (n,)
    h : float or array_like of shape (n,), optional
        Explicit steps: the plain central quotient, :math:`2n` evaluations of
        ``f`` instead of about :math:`40n` (for many parameters; expect errors
        around ``1e-10`` for a correct gradient with ``h=1e-5``).

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If ``grad(x)`` does not have shape ``(n,)``.

    Notes
    -----
    See the chapter "Multivariable and matrix calculus".

    Examples
    --------
    >>> import numpy as np
    >>> f = lambda v: np.sum(v ** 3)
    >>> check_grad(f, lambda v: 3 * v ** 2, [1.0, -2.0, 0.5]) < 1e-8
    True
    >>> check_grad(f, lambda v: 2 * v ** 2, [1.0, -2.0, 0.5]) > 0.1
    True
    """
    check_callable(grad, "grad")
    point = _point(x)
    reference = gradient(f, point, h=h)
    candidate = as_float_array(grad(point.copy()), "grad(x)", allow_empty=True)
    if candidate.shape != reference.shape:
        raise ValueError(f"grad(x) must have shape {reference.shape}, got {candidate.shape}")
    if candidate.size == 0:
        return 0.0
    scale = max(np.abs(candidate).max(), np.abs(reference).max(), 1.0)
    return float(np.abs(candidate - reference).max() / scale)
