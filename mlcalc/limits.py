"""Limits by numbers: approach tables, one-sided estimates and epsilon-delta windows.

A computer cannot take a limit: it can only evaluate :math:`f` at points
closer and closer to :math:`a` and look at what the values do. This module
makes that experiment explicit and honest.

* :func:`approach_table` tabulates :math:`f(a \\pm h)` for shrinking steps
  :math:`h`, the table a textbook prints next to a symbolic limit.
* :func:`one_sided_limit` and :func:`estimate_limit` read such a sequence and
  return a :class:`LimitEstimate` that says *what the values do* (settle on a
  number, jump, grow without bound, keep oscillating, or jitter because of
  rounding error) instead of returning the last value as if it were the limit.
* :func:`epsilon_delta` finds, on a fine grid, the largest :math:`\\delta` that
  works for a given :math:`\\varepsilon` in the definition of the limit.

Numerics can suggest a limit, never prove one: a function can behave one way
for every step a float can represent and another way closer still. Use
:func:`sympy.limit` for a proof-grade answer, and these functions to see why
the answer is what it is. See the chapter "Limits and continuity".
"""

from __future__ import annotations

import html
import math
import numbers
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from ._validation import check_callable, check_choice, check_int, check_positive, check_real

__all__ = [
    "ApproachTable",
    "approach_table",
    "LimitEstimate",
    "one_sided_limit",
    "estimate_limit",
    "epsilon_delta",
]

_SIDES = ("both", "left", "right")
# Number of smallest steps whose values decide the verdict of one_sided_limit.
_TAIL = 5
# Difference ratios below this count as geometric convergence, at or above it
# (with growing magnitude) as divergence: log|x| has ratio exactly 1.
_SHRINKING = 0.95


def _evaluate(f: Callable[[float], Any], x: float) -> float:
    """``f(x)`` as a float; NaN where ``f`` is undefined (raises a math error)."""
    try:
        with np.errstate(all="ignore"):
            value = f(x)
    except OverflowError:  # math.exp(1000): the value exists but is too large for a float
        return math.inf
    except (ZeroDivisionError, ValueError, ArithmeticError):
        return math.nan
    if isinstance(value, np.ndarray) and value.size == 1:
        value = value.reshape(()).item()
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Real, np.floating, np.integer)):
        raise TypeError(f"f must return a real number, got {type(value).__name__} for x={x!r}")
    return float(value)


def _steps(h0: Any, ratio: Any, steps: Any, minimum: int = 1) -> np.ndarray:
    h0 = check_positive(h0, "h0")
    ratio = check_positive(ratio, "ratio")
    if ratio >= 1:
        raise ValueError(f"ratio must be between 0 and 1 so that the steps shrink, got {ratio}")
    steps = check_int(steps, "steps", minimum=minimum)
    return h0 * ratio ** np.arange(steps)


def _fmt(value: float) -> str:
    return f"{value + 0.0:.12g}"  # + 0.0 turns -0.0 into 0.0


@dataclass(frozen=True)
class ApproachTable:
    """Values of ``f`` at points approaching ``a``; build it with :func:`approach_table`.

    Attributes
    ----------
    a : float
        The point approached.
    side : {"both", "left", "right"}
        Which sides were sampled.
    h : numpy.ndarray
        The positive steps, largest first.
    left, right : numpy.ndarray or None
        :math:`f(a - h)` and :math:`f(a + h)` for each step (NaN where ``f``
        is undefined); ``None`` for a side that was not sampled.
    """

    a: float
    side: str
    h: np.ndarray
    left: np.ndarray | None
    right: np.ndarray | None

    def __len__(self) -> int:
        return len(self.h)

    def to_array(self) -> np.ndarray:
        """Rows ``(h, x, f(x))``: the left side's rows first, then the right side's.

        Returns
        -------
        numpy.ndarray of shape (n, 3)
        """
        blocks = []
        if self.left is not None:
            blocks.append(np.column_stack([self.h, self.a - self.h, self.left]))
        if self.right is not None:
            blocks.append(np.column_stack([self.h, self.a + self.h, self.right]))
        return np.vstack(blocks)

    def _columns(self) -> list[tuple[str, np.ndarray]]:
        columns = [("h", self.h)]
        if self.left is not None:
            columns += [("x = a - h", self.a - self.h), ("f(a - h)", self.left)]
        if self.right is not None:
            columns += [("x = a + h", self.a + self.h), ("f(a + h)", self.right)]
        return columns

    def _caption(self) -> str:
        where = {"both": "from both sides", "left": "from the left", "right": "from the right"}[self.side]
        return f"f(x) as x approaches a = {_fmt(self.a)} {where}"

    def __str__(self) -> str:
        columns = [(name, [_fmt(v) for v in values]) for name, values in self._columns()]
        widths = [max(len(name), *(len(s) for s in cells)) for name, cells in columns]
        lines = [self._caption(), "  ".join(name.rjust(w) for (name, _), w in zip(columns, widths))]
        for i in range(len(self.h)):
            lines.append("  ".join(cells[i].rjust(w) for (_, cells), w in zip(columns, widths)))
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        columns = self._columns()
        head = "".join(f"<th>{html.escape(name)}</th>" for name, _ in columns)
        rows = "".join(
            "<tr>" + "".join(f"<td style='text-align:right'>{_fmt(values[i])}</td>" for _, values in columns)
            + "</tr>"
            for i in range(len(self.h))
        )
        return (f"<table class='mlcalc-approach-table'><caption>{html.escape(self._caption())}</caption>"
                f"<thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")


def approach_table(f: Callable[[float], Any], a: float, *, side: str = "both", steps: int = 8,
                   h0: float = 0.1, ratio: float = 0.1) -> ApproachTable:
    """Tabulate ``f`` at points approaching ``a``: :math:`f(a \\pm h_k)` for shrinking steps.

    The steps are

    .. math::

        h_k = h_0 \\, r^k, \\qquad k = 0, 1, \\dots, \\text{steps} - 1,

    so with the defaults :math:`h = 10^{-1}, 10^{-2}, \\dots, 10^{-8}`.

    Parameters
    ----------
    f : callable
        ``f(x)`` for a float ``x`` returns a real number. Where it raises
        ``ZeroDivisionError`` or ``ValueError`` (a math domain error) the
        table holds NaN; where it raises ``OverflowError`` (``math.exp(1000)``)
        it holds ``inf`` (write ``f`` with numpy, which returns ``-inf`` where
        due, when the sign of an overflow matters).
    a : float
        The point approached; ``f`` is never evaluated at ``a`` itself.
    side : {"both", "left", "right"}, optional
        Approach from both sides, from below (:math:`x = a - h`) or from above
        (:math:`x = a + h`).
    steps : int, optional
        Number of rows.
    h0 : float, optional
        The first (largest) step.
    ratio : float, optional
        Factor between successive steps, between 0 and 1.

    Returns
    -------
    ApproachTable
        Prints as a text table and displays as an HTML table in a notebook.

    See Also
    --------
    estimate_limit : reads such values and says whether they settle.

    Examples
    --------
    >>> import math
    >>> table = approach_table(lambda x: math.sin(x) / x, 0.0, steps=3)
    >>> print(table)
    f(x) as x approaches a = 0 from both sides
        h  x = a - h        f(a - h)  x = a + h        f(a + h)
      0.1       -0.1  0.998334166468        0.1  0.998334166468
     0.01      -0.01  0.999983333417       0.01  0.999983333417
    0.001     -0.001  0.999999833333      0.001  0.999999833333
    >>> table.to_array().shape
    (6, 3)
    """
    check_callable(f, "f")
    a = check_real(a, "a")
    check_choice(side, "side", _SIDES)
    h = _steps(h0, ratio, steps)
    left = np.array([_evaluate(f, a - step) for step in h]) if side in ("both", "left") else None
    right = np.array([_evaluate(f, a + step) for step in h]) if side in ("both", "right") else None
    return ApproachTable(a=a, side=side, h=h, left=left, right=right)


@dataclass(frozen=True)
class LimitEstimate:
    """What the values of ``f`` do near ``a``: the result of :func:`estimate_limit`.

    Attributes
    ----------
    value : float
        The estimated limit: a finite number, ``inf`` or ``-inf`` when ``f``
        grows without bound (as :func:`sympy.limit` returns ``oo``), or NaN
        when there is no limit.
    left, right : float
        The one-sided estimates with the same convention; NaN for a side that
        was not examined or has no limit.
    exists : bool
        ``True`` only when the values settle on a finite number (from every
        side examined).
    kind : str
        ``"finite"``, ``"infinite"`` (grows to ``+inf`` or ``-inf``),
        ``"jump"`` (finite one-sided limits that differ), ``"unbounded"``
        (one side infinite, or the two sides infinite with opposite signs),
        ``"oscillating"`` (values keep moving between bounds), ``"unsettled"``
        (values still drift or jitter at the smallest step, e.g. because of
        rounding error) or ``"undefined"`` (``f`` gave NaN near ``a``).
    reason : str
        One or two sentences saying what the values did.
    error : float
        A rough estimate of the error of ``value`` (from how much the last
        values still move); NaN when there is no finite limit.
    side : {"both", "left", "right"}
        Which sides were examined.
    table : ApproachTable
        The values the verdict is based on.
    """

    value: float
    left: float
    right: float
    exists: bool
    kind: str
    reason: str
    error: float
    side: str
    table: ApproachTable = field(repr=False)

    def __str__(self) -> str:
        return self.reason


def _is_monotone(values: np.ndarray) -> bool:
    differences = np.diff(values)
    return bool(np.all(differences > 0) or np.all(differences < 0))


def _classify(values: np.ndarray, h: np.ndarray, rtol: float, atol: float) -> tuple[str, float, float, str]:
    """Verdict on one side's sequence of values: (kind, value, error, reason)."""
    tail = values[-_TAIL:]
    h_small = h[-1]
    if np.all(np.isnan(values)):
        return "undefined", math.nan, math.nan, "f is not defined (NaN or a math error) at any point tried"
    if np.any(np.isnan(tail)):
        return "undefined", math.nan, math.nan, f"f is not defined (NaN) at some of the points closest to a (h down to {h_small:.1e})"
    if np.any(np.isinf(tail)):
        signs = np.sign(tail[np.isinf(tail)])
        if np.isinf(tail[-1]) and np.all(signs == signs[0]) and np.all(np.sign(tail) == signs[0]):
            value = float(signs[0] * math.inf)
            return "infinite", value, math.nan, f"the values overflow to {value} as x approaches a"
        return "oscillating", math.nan, math.nan, "the values jump between huge positive and negative numbers"

    differences = np.diff(tail)
    spread = float(tail.max() - tail.min())
    scale = atol + rtol * float(np.max(np.abs(tail)))
    if spread <= scale:
        value = float(tail[-1])
        return "finite", value, spread, f"the values settle at {_fmt(value)} (the last {_TAIL} agree to within {spread:.1e})"

    monotone = _is_monotone(tail)
    if monotone:
        q = np.abs(differences[1:]) / np.abs(differences[:-1])
        same_sign = bool(np.all(tail > 0) or np.all(tail < 0))
        growing = bool(np.all(np.diff(np.abs(tail)) > 0))
        if np.all(q < _SHRINKING):
            # Geometric tail: the remaining change is about d q / (1 - q) (Aitken's extrapolation).
            ratio = float(q[-1])
            correction = float(differences[-1]) * ratio / (1 - ratio)
            value = float(tail[-1] + correction)
            error = abs(correction) + scale
            return ("finite", value, error,
                    f"the values converge towards {_fmt(value)} (changes shrink by a factor of about "
                    f"{ratio:.2g} per step; extrapolated from {_fmt(float(tail[-1]))})")
        if same_sign and growing and np.all(q >= _SHRINKING):
            value = float(np.sign(tail[-1]) * math.inf)
            return ("infinite", value, math.nan,
                    f"the values grow without bound towards {value}: |f| reached {abs(tail[-1]):.3g} "
                    f"at h = {h_small:.1e} and the changes do not shrink")

    previous = values[-2 * _TAIL:-_TAIL]
    previous_spread = float(previous.max() - previous.min()) if len(previous) >= 2 else math.inf
    if spread <= 0.25 * previous_spread:
        # Oscillations whose size shrinks with h, like x sin(1/x): squeezed to a value.
        value = float((tail.max() + tail.min()) / 2)
        return ("finite", value, spread,
                f"the values oscillate but the oscillation shrinks with h (width {spread:.1e} at the end, "
                f"{previous_spread:.1e} before), closing in on {_fmt(value)}")
    if monotone and (len(values) < 2 * _TAIL or _is_monotone(values[-2 * _TAIL:])):
        return ("unsettled", math.nan, math.nan,
                f"the values are still changing at h = {h_small:.1e} (last {_fmt(float(tail[-1]))}) "
                "without a clear trend; no reliable estimate")
    centre = float(np.mean(tail))
    if spread < 1e-3 * abs(centre):
        return ("unsettled", math.nan, math.nan,
                f"the values agree to about {int(-math.log10(spread / abs(centre)))} digits near {_fmt(centre)} "
                "but jitter more as h shrinks: this looks like rounding error (catastrophic cancellation), "
                "not a property of the function")
    return ("oscillating", math.nan, math.nan,
            f"the values keep oscillating between {tail.min():.3g} and {tail.max():.3g} as h shrinks: "
            "they do not settle")


def _check_tolerances(rtol: Any, atol: Any) -> tuple[float, float]:
    return check_positive(rtol, "rtol", allow_zero=True), check_positive(atol, "atol", allow_zero=True)


def _one_side(f: Callable, a: float, side: str, h: np.ndarray, rtol: float, atol: float):
    x = a - h if side == "left" else a + h
    values = np.array([_evaluate(f, float(point)) for point in x])
    return values, _classify(values, h, rtol, atol)


def one_sided_limit(f: Callable[[float], Any], a: float, side: str, *, h0: float = 0.1,
                    ratio: float = 0.5, steps: int = 18, rtol: float = 1e-7,
                    atol: float = 1e-10) -> LimitEstimate:
    """Estimate :math:`\\lim_{x \\to a^-} f(x)` or :math:`\\lim_{x \\to a^+} f(x)` from values of ``f``.

    ``f`` is evaluated at :math:`x = a \\mp h_k` with :math:`h_k = h_0 r^k`
    and the last five values decide (see Notes of :func:`estimate_limit`).

    Parameters
    ----------
    f : callable
        ``f(x)`` for a float ``x`` returns a real number.
    a : float
        The point approached.
    side : {"left", "right"}
        ``"left"`` for :math:`x \\to a^-` (from below), ``"right"`` for
        :math:`x \\to a^+`.
    h0, ratio, steps : optional
        The steps :math:`h_k = h_0 r^k` (at least 5 of them); by default from
        0.1 down to about :math:`7.6 \\times 10^{-7}`.
    rtol, atol : float, optional
        Values that agree within ``atol + rtol * |value|`` count as settled.

    Returns
    -------
    LimitEstimate
        With ``side`` set; the other side's field is NaN.

    Examples
    --------
    >>> import math
    >>> right = one_sided_limit(lambda x: math.copysign(1.0, x), 0.0, "right")
    >>> right.value, right.exists
    (1.0, True)
    >>> one_sided_limit(lambda x: 1 / x, 0.0, "left").value
    -inf
    """
    check_callable(f, "f")
    a = check_real(a, "a")
    check_choice(side, "side", ("left", "right"))
    rtol, atol = _check_tolerances(rtol, atol)
    h = _steps(h0, ratio, steps, minimum=_TAIL)
    values, (kind, value, error, reason) = _one_side(f, a, side, h, rtol, atol)
    table = ApproachTable(a=a, side=side, h=h, left=values if side == "left" else None,
                          right=values if side == "right" else None)
    where = "from the left" if side == "left" else "from the right"
    return LimitEstimate(
        value=value, left=value if side == "left" else math.nan, right=value if side == "right" else math.nan,
        exists=kind == "finite", kind=kind, reason=f"As x approaches {_fmt(a)} {where}, {reason}.",
        error=error, side=side, table=table,
    )


def estimate_limit(f: Callable[[float], Any], a: float, *, h0: float = 0.1, ratio: float = 0.5,
                   steps: int = 18, rtol: float = 1e-7, atol: float = 1e-10) -> LimitEstimate:
    """Estimate :math:`\\lim_{x \\to a} f(x)` from both sides, or say why there is no limit.

    The two-sided limit exists when both one-sided limits exist and agree:

    .. math::

        \\lim_{x \\to a} f(x) = L \\iff \\lim_{x \\to a^-} f(x) = L = \\lim_{x \\to a^+} f(x).

    Parameters
    ----------
    f : callable
        ``f(x)`` for a float ``x`` returns a real number. Points where it
        raises a math error (``ZeroDivisionError``, ``ValueError``, ...) count
        as undefined.
    a : float
        The point approached; ``f`` is never evaluated at ``a``.
    h0, ratio, steps : optional
        The steps :math:`h_k = h_0 r^k`, at least 5 of them (by default 0.1
        down to about :math:`7.6 \\times 10^{-7}`).
    rtol, atol : float, optional
        Tolerance for "the values have settled" and for "the two sides agree".

    Returns
    -------
    LimitEstimate
        ``value``, ``left``, ``right``, ``exists``, ``kind`` and a ``reason``
        in words.

    Notes
    -----
    This is a heuristic; numerics can suggest a limit but never prove one.
    For each side, the values at the five smallest steps decide:

    1. they agree within ``atol + rtol * |value|``: the limit is the last value;
    2. they move monotonically and their changes shrink geometrically (ratio
       of successive changes below 0.95): the limit is extrapolated from the
       geometric tail (Aitken's :math:`\\Delta^2`), which handles slow
       convergence such as :math:`\\sqrt{x} \\to 0`;
    3. they move monotonically away from zero and the changes do not shrink
       (as for :math:`1/x` or :math:`\\ln|x|`): the limit is :math:`\\pm\\infty`;
    4. they go up and down, but the width of the last five is under a quarter
       of the width of the five before (like :math:`x \\sin(1/x)`): the limit
       is the middle of the last values;
    5. otherwise there is no limit: ``"oscillating"``, or ``"unsettled"`` when
       the values agree to three or more digits but jitter, the signature of
       rounding error.

    It can be fooled: a function that changes only at scales below the
    smallest step (:math:`\\sin(10^9 x)`), converges too slowly
    (:math:`x^{0.01}` looks like :math:`\\ln x`), or whose formula cancels
    catastrophically (:math:`(1 - \\cos x)/x^2` at tiny :math:`x`) gets a
    wrong or no verdict. Compare with :func:`sympy.limit`.

    Examples
    --------
    >>> import math
    >>> result = estimate_limit(lambda x: math.sin(x) / x, 0.0)
    >>> round(result.value, 9), result.exists
    (1.0, True)
    >>> jump = estimate_limit(lambda x: math.floor(x), 1.0)
    >>> jump.kind, jump.left, jump.right, jump.exists
    ('jump', 0.0, 1.0, False)
    >>> estimate_limit(lambda x: 1 / x**2, 0.0).value
    inf
    >>> estimate_limit(lambda x: math.sin(1 / x), 0.0).kind
    'oscillating'
    """
    check_callable(f, "f")
    a = check_real(a, "a")
    rtol, atol = _check_tolerances(rtol, atol)
    h = _steps(h0, ratio, steps, minimum=_TAIL)
    left_values, (left_kind, left, left_error, left_reason) = _one_side(f, a, "left", h, rtol, atol)
    right_values, (right_kind, right, right_error, right_reason) = _one_side(f, a, "right", h, rtol, atol)
    table = ApproachTable(a=a, side="both", h=h, left=left_values, right=right_values)
    intro = f"As x approaches {_fmt(a)}"
    kinds = {left_kind, right_kind}

    def result(value: float, kind: str, reason: str, error: float = math.nan) -> LimitEstimate:
        return LimitEstimate(value=value, left=left, right=right, exists=kind == "finite", kind=kind,
                             reason=reason, error=error, side="both", table=table)

    if kinds == {"finite"}:
        gap = abs(left - right)
        tolerance = atol + rtol * max(abs(left), abs(right)) + left_error + right_error
        if gap <= tolerance:
            value = (left + right) / 2
            sides = [(name, reason) for name, reason in (("left", left_reason), ("right", right_reason))
                     if not reason.startswith("the values settle")]
            if len(sides) == 2 and left_reason == right_reason:
                sides = [("either", left_reason)]
            how = "".join(f" From {'the ' + name if name != 'either' else 'either side'}, {reason}."
                          for name, reason in sides)
            return result(value, "finite",
                          f"{intro} from either side the values settle at {_fmt(value)} "
                          f"(left {_fmt(left)}, right {_fmt(right)}).{how}", max(left_error, right_error, gap))
        return result(math.nan, "jump",
                      f"The one-sided limits differ: {_fmt(left)} from the left and {_fmt(right)} from the right "
                      f"(a jump of {_fmt(right - left)}), so the limit at {_fmt(a)} does not exist.")
    left_missing, right_missing = bool(np.all(np.isnan(left_values))), bool(np.all(np.isnan(right_values)))
    if left_missing != right_missing:
        # f defined on one side only (sqrt at 0): the limit within its domain is the one-sided one.
        defined = "right" if left_missing else "left"
        kind, value, error, reason = ((right_kind, right, right_error, right_reason) if defined == "right"
                                      else (left_kind, left, left_error, left_reason))
        undefined = "left" if defined == "right" else "right"
        return result(value, kind,
                      f"f is undefined on the {undefined} of {_fmt(a)}, so only the {defined} side counts: "
                      f"as x approaches {_fmt(a)} from the {defined}, {reason}.", error)
    if kinds == {"infinite"}:
        if left == right:
            return result(left, "infinite", f"{intro} from either side, the values grow without bound "
                          f"towards {left}; the limit is {left} (it does not exist as a real number).")
        return result(math.nan, "unbounded", f"{intro} the values go to {left} from the left but to {right} "
                      "from the right, so there is no limit, not even an infinite one.")
    if "infinite" in kinds and kinds <= {"infinite", "finite"}:
        return result(math.nan, "unbounded", f"{intro}, from the left {left_reason}; from the right "
                      f"{right_reason}. One side is unbounded, so there is no limit.")
    # At least one side oscillates, drifts or is undefined: report the first such side.
    for kind in ("oscillating", "unsettled", "undefined"):
        if kind in kinds:
            reasons = []
            if left_kind == kind:
                reasons.append(f"from the left {left_reason}")
            if right_kind == kind:
                reasons.append(f"from the right {right_reason}")
            return result(math.nan, kind, f"{intro}, " + "; ".join(reasons) + ". No limit can be read off.")
    raise AssertionError(f"unhandled combination of one-sided verdicts: {left_kind}, {right_kind}")


def epsilon_delta(f: Callable[[float], Any], a: float, L: float, epsilon: float, *,
                  delta_max: float = 1.0, n: int = 4001) -> float:
    """The largest :math:`\\delta \\le` ``delta_max`` that works for ``epsilon``, found on a grid.

    The definition of :math:`\\lim_{x \\to a} f(x) = L` asks, for every
    :math:`\\varepsilon > 0`, for a :math:`\\delta > 0` with

    .. math::

        0 < |x - a| < \\delta \\implies |f(x) - L| < \\varepsilon.

    This function checks :math:`|f(a \\pm t) - L| < \\varepsilon` on a grid of
    offsets :math:`t` (evenly spaced up to ``delta_max``, plus geometrically
    spaced ones down to :math:`10^{-12}\\,` ``delta_max``) and returns the
    first offset where it fails, refined by bisection to full floating-point
    precision. It is exact for functions that cross the
    band once near ``a``, but a grid can miss a brief excursion outside the
    band between two grid points.

    Parameters
    ----------
    f : callable
        ``f(x)`` for a float ``x`` returns a real number.
    a, L : float
        The point and the proposed limit.
    epsilon : float
        Half the height of the band around ``L``; positive.
    delta_max : float, optional
        The largest :math:`\\delta` considered (returned when the whole window
        stays in the band).
    n : int, optional
        Number of evenly spaced grid offsets.

    Returns
    -------
    float
        The largest working :math:`\\delta` found; ``0.0`` when even the
        smallest offset fails, which suggests that ``L`` is not the limit.

    Examples
    --------
    For :math:`f(x) = x^2` at :math:`a = 1`, :math:`L = 1`, the right side
    binds: :math:`(1 + \\delta)^2 - 1 = \\varepsilon` gives
    :math:`\\delta = \\sqrt{1 + \\varepsilon} - 1`.

    >>> import math
    >>> delta = epsilon_delta(lambda x: x**2, 1.0, 1.0, 0.5)
    >>> abs(delta - (math.sqrt(1.5) - 1)) < 1e-9
    True
    >>> epsilon_delta(lambda x: math.copysign(1.0, x), 0.0, 1.0, 0.5)
    0.0
    """
    check_callable(f, "f")
    a = check_real(a, "a")
    L = check_real(L, "L")
    epsilon = check_positive(epsilon, "epsilon")
    delta_max = check_positive(delta_max, "delta_max")
    n = check_int(n, "n", minimum=2)

    def fails(t: float) -> bool:
        for x in (a - t, a + t):
            value = _evaluate(f, x)
            if not abs(value - L) < epsilon:  # NaN fails too
                return True
        return False

    offsets = np.union1d(delta_max * np.geomspace(1e-12, 1.0 / n, 40), np.linspace(0, delta_max, n + 1)[1:])
    good = 0.0
    for t in offsets:
        t = float(t)
        if fails(t):
            bad = t
            break
        good = t
    else:
        return delta_max
    if good == 0.0:
        return 0.0
    # A crossing lies between the last good and the first bad offset: bisect to it.
    for _ in range(200):  # until good and bad are neighbouring floats
        middle = (good + bad) / 2
        if middle in (good, bad):
            break
        if fails(middle):
            bad = middle
        else:
            good = middle
    return good
