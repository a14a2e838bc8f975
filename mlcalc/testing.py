"""Assertions for self-check and grading tests, safe on untrusted student code.

A naive test such as ``assert answer == 1.0`` can be fooled: an object whose
``__eq__`` always returns ``True``, a ``float`` subclass, an object with an
``__array__`` method returning the expected array. The assertions here look at
the *exact type* of the student's value before touching it (never through its
own methods or ``isinstance``, which an object can lie to), copy it into a
fresh ``float64`` array and only then compare. Failures raise
``AssertionError`` with a message written for the student: what was expected,
what came back, and by how much it is off.

:func:`no_warnings` turns a warning raised by the student's code (numpy's
bare "RuntimeWarning: overflow encountered in exp", which fails a test cell
when it is graded) into an ``AssertionError`` that names the call and input.

Accepted as a number: Python ``int`` and ``float`` (exact types, not ``bool``
and not subclasses), numpy real scalars (``numpy.float64``, ``numpy.int64``,
...), numpy arrays of exact type ``numpy.ndarray`` with an integer or float
dtype, and (nested) lists or tuples of those.

See the chapters "Derivatives" and "Integrals" for these checks in the
exercises.
"""

from __future__ import annotations

import contextlib
import linecache
import warnings
from typing import Any, Callable, Iterator

import numpy as np

__all__ = ["assert_close", "assert_grad", "assert_bool", "no_warnings"]

_MAX_NESTING = 32

# Exact numpy scalar types accepted as real numbers (bool and complex are not).
_NUMPY_REAL_SCALARS = tuple(
    np.dtype(code).type for code in np.typecodes["AllInteger"] + np.typecodes["Float"]
)


def _type_name(value: Any) -> str:
    # Read the name through ``type`` itself: a hostile metaclass cannot intercept it.
    name = type.__dict__["__name__"].__get__(type(value), type)
    return str.__str__(name)


def _is_exact(value: Any, types: tuple[type, ...]) -> bool:
    # Identity tests only: ``in`` or ``isinstance`` would call methods a class can override.
    kind = type(value)
    return any(kind is t for t in types)


class _Rejected(Exception):
    """The student's value is not a genuine real number or numeric array."""


def _reject_message(value: Any) -> str:
    kind = type(value)
    if kind is bool or kind is np.bool_:
        return "got a boolean (True/False), not a number"
    if _is_exact(value, (complex, np.complex64, np.complex128, np.clongdouble)):
        return "got a complex number; the answer is real"
    if kind is str or kind is bytes:
        return "got a string; return the number itself, not its text"
    if value is None:
        return "got None; did the function forget to `return` its result?"
    if kind is np.ndarray:
        return f"got an array of dtype {str.__str__(str(value.dtype))}; expected real numbers (int or float)"
    for base in (float, int, np.ndarray, list, tuple):
        if issubclass(kind, base):
            return (f"got an object of type {_type_name(value)} (a subclass of {base.__name__}); "
                    f"return a plain {base.__name__} instead")
    return f"got an object of type {_type_name(value)}; expected a number or a numpy array of numbers"


def _as_float_array(value: Any, depth: int = 0) -> np.ndarray:
    """Copy ``value`` into a fresh float64 array, or raise ``_Rejected``."""
    if depth > _MAX_NESTING:
        raise _Rejected(f"got lists nested more than {_MAX_NESTING} levels deep")
    if _is_exact(value, (int, float)) or _is_exact(value, _NUMPY_REAL_SCALARS):
        try:
            return np.array(float(value), dtype=np.float64)
        except OverflowError:
            raise _Rejected("got an integer too large to be represented as a float") from None
    if type(value) is np.ndarray:
        if value.dtype.kind not in "iuf":
            raise _Rejected(_reject_message(value))
        return np.array(value, dtype=np.float64, copy=True)
    if type(value) is list or type(value) is tuple:
        items = [_as_float_array(item, depth + 1) for item in value]
        if not items:
            return np.zeros((0,), dtype=np.float64)
        shapes = {item.shape for item in items}
        if len(shapes) > 1:
            raise _Rejected("got a ragged list (its rows have different lengths)")
        return np.stack(items)
    raise _Rejected(_reject_message(value))


def _fmt(x: Any) -> str:
    return repr(float(x))


def assert_close(actual: Any, expected: Any, *, rtol: float = 1e-7, atol: float = 0.0,
                 name: str = "value", input: Any = None, allow_nonfinite: bool = False) -> None:
    """Assert that a student's number or array equals ``expected`` within a tolerance.

    Entry by entry the test is

    .. math::

        |\\text{actual} - \\text{expected}| \\le \\text{atol}
        + \\text{rtol}\\,|\\text{expected}|,

    the rule of ``numpy.testing.assert_allclose``, after checking that
    ``actual`` is a genuine real number or numeric array (see the module
    docstring) of exactly the expected shape: there is no broadcasting, so
    shape ``(3,)`` against ``(3, 1)`` fails.

    Parameters
    ----------
    actual : object
        The value to check (untrusted). Nothing of it is called before its
        exact type is known.
    expected : float or array_like
        The reference value (trusted).
    rtol, atol : float, optional
        Relative and absolute tolerance.
    name : str, optional
        What the value is, as the student should read it, e.g.
        ``"limit_estimate(f, 0)"``.
    input : object, optional
        A description of the input that produced ``actual``, added to the
        message.
    allow_nonfinite : bool, optional
        When ``False`` (default) NaN or infinity anywhere in ``actual`` fails.
        When ``True`` they pass only where ``expected`` holds the same value
        (NaN where NaN is expected, ``inf`` where ``inf`` is).

    Raises
    ------
    AssertionError
        With a message saying what was expected, what came back and, for
        arrays, the index of the worst entry.

    Examples
    --------
    >>> assert_close(0.1 + 0.2, 0.3)
    >>> assert_close(0.9983, 1.0, name="limit_estimate(f, 0)")
    Traceback (most recent call last):
    ...
    AssertionError: limit_estimate(f, 0): expected 1.0 (within rtol=1e-07, atol=0), got 0.9983 — off by 1.7e-03
    >>> assert_close([1, 2, 3], [1.0, 2.0, 3.0])
    >>> class Liar(float):
    ...     def __eq__(self, other): return True
    >>> assert_close(Liar(5.0), 1.0, name="answer")
    Traceback (most recent call last):
    ...
    AssertionError: answer: got an object of type Liar (a subclass of float); return a plain float instead
    """
    label = name if input is None else f"{name} (input: {input})"
    try:
        got = _as_float_array(actual)
    except _Rejected as exc:
        raise AssertionError(f"{label}: {exc}") from None
    want = np.array(expected, dtype=np.float64)

    if got.shape != want.shape:
        if want.ndim == 0:
            raise AssertionError(f"{label}: expected a single number, got an array of shape {got.shape}")
        if got.ndim == 0:
            raise AssertionError(f"{label}: expected an array of shape {want.shape}, got a single number")
        raise AssertionError(f"{label}: expected shape {want.shape}, got shape {got.shape} "
                             f"(shapes must match exactly; there is no broadcasting)")

    got_finite = np.isfinite(got)
    want_finite = np.isfinite(want)
    matching = (got == want) | (np.isnan(got) & np.isnan(want))
    unexpected = ~got_finite & ~(matching if allow_nonfinite else False)
    if np.any(unexpected):
        where = tuple(int(i) for i in np.argwhere(unexpected)[0])
        at = "" if got.ndim == 0 else f" at index {where}"
        raise AssertionError(f"{label}: got {_fmt(got[where])}{at}, expected {_fmt(want[where])}; "
                             f"NaN or infinity usually comes from a division by zero or the log "
                             f"of a non-positive number")

    with np.errstate(invalid="ignore", over="ignore"):
        error = np.where(got_finite & want_finite, np.abs(got - want), np.inf)
        allowed = atol + rtol * np.abs(np.where(want_finite, want, 0.0))
    # Entries that are non-finite in both (and allowed) match; a finite answer
    # where a non-finite one is expected does not.
    bad = ~(error <= allowed) & ~(~got_finite & matching)
    if not np.any(bad):
        return
    tol = f"within rtol={rtol:g}, atol={atol:g}"
    if got.ndim == 0:
        raise AssertionError(f"{label}: expected {_fmt(want)} ({tol}), got {_fmt(got)} "
                             f"— off by {float(error):.1e}")
    excess = np.where(bad, error - allowed, -np.inf)
    worst = tuple(int(i) for i in np.unravel_index(np.argmax(excess), got.shape))
    raise AssertionError(
        f"{label}: {int(bad.sum())} of {got.size} entries differ from the expected values ({tol}); "
        f"worst at index {worst}: expected {_fmt(want[worst])}, got {_fmt(got[worst])} "
        f"— off by {error[worst]:.1e}"
    )


def assert_bool(actual: Any, expected: bool, *, name: str = "answer", input: Any = None) -> None:
    """Assert that a student's answer is the boolean ``expected``.

    Only ``True``/``False`` and ``numpy.bool_`` count: ``1``, ``"True"`` or an
    object that compares equal to everything do not.

    Parameters
    ----------
    actual : object
        The value to check (untrusted).
    expected : bool
        The right answer.
    name, input : optional
        As in :func:`assert_close`.

    Examples
    --------
    >>> assert_bool(True, True)
    >>> assert_bool(1, True, name="is_continuous")
    Traceback (most recent call last):
    ...
    AssertionError: is_continuous: expected True or False, got an object of type int
    """
    label = name if input is None else f"{name} (input: {input})"
    if actual is True or actual is False:
        value = actual
    elif type(actual) is np.bool_:
        value = bool(actual)
    else:
        raise AssertionError(f"{label}: expected True or False, got an object of type {_type_name(actual)}")
    if value is not bool(expected):
        raise AssertionError(f"{label}: expected {bool(expected)}, got {value}")


def assert_grad(f: Callable[[np.ndarray], float], grad: Callable[[np.ndarray], Any], x: Any, *,
                rtol: float = 1e-6, atol: float = 1e-8, name: str = "gradient") -> None:
    """Assert that ``grad(x)`` matches a finite-difference gradient of ``f`` at ``x``.

    The reference is :func:`mlcalc.diff.gradient` (central differences with
    Richardson extrapolation); the comparison is :func:`assert_close`:

    .. math::

        |\\text{grad}(x)_i - \\widehat{\\nabla f}(x)_i| \\le \\text{atol}
        + \\text{rtol}\\,|\\widehat{\\nabla f}(x)_i|.

    For a scalar ``x`` the reference is the derivative
    :func:`mlcalc.diff.derivative`.

    Parameters
    ----------
    f : callable
        The function, ``R^n -> R``.
    grad : callable
        The gradient to check (untrusted); must return an array of shape ``(n,)``.
    x : float or array_like of shape (n,)
        The point.
    rtol, atol : float, optional
        Tolerances as in :func:`assert_close`.
    name : str, optional
        Name used in the message.

    Examples
    --------
    >>> import numpy as np
    >>> f = lambda v: v[0] ** 2 + 3 * v[0] * v[1]
    >>> assert_grad(f, lambda v: np.array([2 * v[0] + 3 * v[1], 3 * v[0]]), [1.0, 2.0])
    >>> assert_grad(f, lambda v: np.array([2 * v[0], 3 * v[0]]), [1.0, 2.0])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    AssertionError: gradient (input: x=[1.0, 2.0]): 1 of 2 entries differ ...
    """
    from .diff import derivative, gradient

    point = np.array(x, dtype=np.float64)
    reference = derivative(f, float(point)) if point.ndim == 0 else gradient(f, point)
    actual = grad(float(point) if point.ndim == 0 else point.copy())
    assert_close(actual, reference, rtol=rtol, atol=atol, name=name, input=f"x={point.tolist()}")


# What a numpy floating-point warning usually means, by a word of its message.
_WARNING_HINTS = (
    ("overflow", "a result too large for a float, for example np.exp of a large positive number"),
    ("divide by zero", "a division by zero, or the log of 0"),
    ("invalid value", "an undefined operation such as 0/0, inf - inf, or the log or square root of a "
                      "negative number"),
)


@contextlib.contextmanager
def no_warnings(name: str = "your code", *, input: Any = None) -> Iterator[None]:
    """Fail, naming the call and its input, if the code inside the block emits a warning.

    A warning printed while a test cell runs fails that cell when it is graded
    (nbgrader counts any output on stderr as an error), and numpy's own message,
    such as ``RuntimeWarning: overflow encountered in exp``, says neither which
    call nor which input caused it. Inside this block every warning is recorded
    (none is printed); when the block ends without an exception and a warning
    was recorded, the first one becomes an ``AssertionError``:

    .. math::

        \\text{pass} \\iff \\text{no warning is emitted in the block}.

    Parameters
    ----------
    name : str, optional
        The call, as the student should read it, e.g. ``"softplus(1000.0)"``.
    input : object, optional
        A description of the input, added to the message as in :func:`assert_close`.

    Raises
    ------
    AssertionError
        Naming the call, the warning, the line of code that emitted it (when
        known) and what such a warning usually means.

    Examples
    --------
    >>> import numpy as np
    >>> with no_warnings("np.exp(1.0)"):
    ...     value = np.exp(1.0)
    >>> with no_warnings("sigmoid(-1000)", input="z = -1000"):  # doctest: +ELLIPSIS
    ...     value = 1 / (1 + np.exp(np.float64(1000.0)))
    Traceback (most recent call last):
    ...
    AssertionError: sigmoid(-1000) (input: z = -1000) raised a warning ...: RuntimeWarning: overflow encountered in exp. ...
    """
    label = name if input is None else f"{name} (input: {input})"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    if not caught:
        return
    first = caught[0]
    try:
        text = str(first.message)
    except Exception:  # a warning whose text cannot be printed is still a warning
        text = "(a warning that cannot be printed)"
    kind = _type_name(first.message) if isinstance(first.message, Warning) else "Warning"
    try:
        code = linecache.getline(str(first.filename), int(first.lineno)).strip()
    except Exception:
        code = ""
    where = f" in the line `{code}`" if code else ""
    hints = [hint for word, hint in _WARNING_HINTS if word in text]
    meaning = f" This usually means {hints[0]}." if hints else ""
    more = f" ({len(caught) - 1} more warning{'s' if len(caught) > 2 else ''} followed.)" if len(caught) > 1 else ""
    raise AssertionError(f"{label} raised a warning{where}: {kind}: {text}.{meaning}{more} A warning fails the "
                         f"test when your work is graded: rewrite the computation so that it cannot occur.")
