"""Argument checks shared by every public function of :mod:`mlcalc`.

Each check raises ``TypeError`` or ``ValueError`` whose message names the
argument and says what was wrong, in the caller's terms.
"""

from __future__ import annotations

import numbers
from typing import Any, Callable

import numpy as np


def check_callable(f: Any, name: str = "f") -> Callable:
    """Return ``f`` if it is callable, else raise ``TypeError`` naming it."""
    if not callable(f):
        raise TypeError(f"{name} must be callable (a function), got {type(f).__name__}")
    return f


def check_real(value: Any, name: str) -> float:
    """Return ``value`` as a finite Python float; reject bools, strings, NaN and infinity."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Real, np.number)):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    return value


def check_positive(value: Any, name: str, *, allow_zero: bool = False) -> float:
    """Return ``value`` as a float if it is positive (or zero when ``allow_zero``)."""
    value = check_real(value, name)
    if value < 0 or (value == 0 and not allow_zero):
        bound = "non-negative" if allow_zero else "positive"
        raise ValueError(f"{name} must be {bound}, got {value}")
    return value


def check_int(value: Any, name: str, *, minimum: int | None = None) -> int:
    """Return ``value`` as an int if it is an integer at least ``minimum``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Integral, np.integer)):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")
    return value


def check_interval(a: Any, b: Any, names: tuple[str, str] = ("a", "b")) -> tuple[float, float]:
    """Return ``(a, b)`` as floats if ``a < b``."""
    a = check_real(a, names[0])
    b = check_real(b, names[1])
    if not a < b:
        raise ValueError(f"{names[0]} must be smaller than {names[1]}, got {names[0]}={a}, {names[1]}={b}")
    return a, b


def check_choice(value: Any, name: str, choices: tuple[Any, ...]) -> Any:
    """Return ``value`` if it is one of ``choices``."""
    if value not in choices:
        options = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {options}; got {value!r}")
    return value


def as_float_array(x: Any, name: str, *, ndim: int | tuple[int, ...] | None = None,
                   allow_empty: bool = False) -> np.ndarray:
    """Return ``x`` as a finite float array, checking its number of dimensions.

    Strings, objects and complex numbers are rejected with ``TypeError``;
    NaN or infinite entries, the wrong ``ndim`` or an empty array with
    ``ValueError``.
    """
    if isinstance(x, (str, bytes)):
        raise TypeError(f"{name} must be numeric, got a string")
    try:
        arr = np.asarray(x)
    except Exception as exc:  # ragged lists and the like
        raise ValueError(f"{name} could not be converted to an array: {exc}") from None
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == np.bool_):
        raise TypeError(f"{name} must be an array of real numbers, got dtype {arr.dtype}")
    if np.iscomplexobj(arr):
        raise TypeError(f"{name} must be real, got complex values")
    arr = arr.astype(float)
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in allowed:
            want = " or ".join(str(d) for d in allowed)
            raise ValueError(f"{name} must be {want}-dimensional, got shape {arr.shape}")
    if arr.size == 0 and not allow_empty:
        raise ValueError(f"{name} must not be empty")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must contain only finite values (no NaN or infinity)")
    return arr


def check_rng(rng: Any, name: str = "rng") -> np.random.Generator:
    """Return a ``numpy.random.Generator``: accept a Generator or an int seed."""
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (numbers.Integral, np.integer)) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))
    raise TypeError(
        f"{name} must be a numpy.random.Generator (numpy.random.default_rng(seed)) or an integer seed, "
        f"got {type(rng).__name__}"
    )
