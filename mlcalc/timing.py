"""Timing a call, for the "In practice" comparisons of the chapters.

One helper on the standard library's :mod:`timeit`, so every chapter measures
the same way: the best of a few repeats (the least disturbed by other work on
the machine), divided by the number of calls per repeat.
"""

from __future__ import annotations

import timeit
from typing import Any, Callable, NamedTuple

from ._validation import check_callable


class Timing(NamedTuple):
    """The value a timed call returned and its time per call in seconds."""

    value: Any
    seconds: float


def time_call(func: Callable[[], Any], *, repeat: int = 5, number: int = 1) -> Timing:
    """Time ``func()`` with :mod:`timeit`: the best of ``repeat`` runs of ``number`` calls.

    Parameters
    ----------
    func : callable
        Called with no arguments (wrap arguments in a ``lambda``).
    repeat : int
        How many times the ``number`` calls are timed; the fastest run counts.
    number : int
        Calls per run; raise it for calls much shorter than a millisecond.

    Returns
    -------
    Timing
        ``value``, what the last call returned, and ``seconds``, the best time
        per call.

    Examples
    --------
    >>> timing = time_call(lambda: sum(range(1000)), repeat=3, number=10)
    >>> timing.value
    499500
    >>> 0 < timing.seconds < 1
    True

    See the chapters' "In practice" sections.
    """
    check_callable(func, "func")
    for value, name in ((repeat, "repeat"), (number, "number")):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{name} must be an int, got {type(value).__name__}")
        if value < 1:
            raise ValueError(f"{name} must be at least 1, got {value}")
    last: list[Any] = [None]

    def call() -> None:
        last[0] = func()

    runs = timeit.Timer(call).repeat(repeat=repeat, number=number)
    return Timing(last[0], min(runs) / number)
