"""mlcalc.diff.derivative against sympy's exact derivatives, with scipy alongside.

For a few smooth functions and points, the relative error of the first and
second derivative computed by

* ``derivative(f, x, n=...)``: Richardson-extrapolated central differences
  (the default, ``h=None``);
* ``derivative(f, x, n=..., h=optimal_step("central", n))``: the plain central
  quotient at the textbook step (error about ``eps**(2/3)`` for ``n=1``);
* ``derivative(f, x, method="complex")``: the complex step (``n=1`` only);
* ``scipy.differentiate.derivative``: scipy's own extrapolated central
  differences (``n=1`` only),

and the time per call (best of five runs of a timed loop), in microseconds.
The exact value comes from sympy, evaluated with 30 significant digits.
A NaN error means the method evaluated f outside its domain (scipy's first
steps from x = 0.1 reach negative x for log).
"""

from __future__ import annotations

import time
from typing import Callable

import numpy as np
import sympy as sp
from scipy.differentiate import derivative as scipy_derivative

from mlcalc.diff import derivative, optimal_step

X = sp.Symbol("x")
REPEATS = 5

FUNCTIONS = {
    "sin(x)": (sp.sin(X), [0.5, 2.0]),
    "exp(x)": (sp.exp(X), [1.0, 3.0]),
    "log(x)": (sp.log(X), [0.1, 5.0]),
    "1/(1+x^2)": (1 / (1 + X**2), [0.3, 2.0]),
    "exp(sin(x))": (sp.exp(sp.sin(X)), [1.0]),
    "sigmoid(x)": (1 / (1 + sp.exp(-X)), [-2.0, 0.5]),
}


def microseconds_per_call(call: Callable[[], object], loops: int = 20) -> float:
    """Best of REPEATS timed loops, per call, in microseconds."""
    best = np.inf
    for _ in range(REPEATS):
        start = time.perf_counter()
        for _ in range(loops):
            call()
        best = min(best, (time.perf_counter() - start) / loops)
    return 1e6 * best


def methods(order: int) -> dict[str, Callable[[Callable, float], float]]:
    runs = {
        "mlcalc, extrapolated": lambda f, x: derivative(f, x, n=order),
        f"mlcalc, h = eps^(1/{order + 2})": lambda f, x: derivative(f, x, n=order, h=optimal_step("central", order)),
    }
    if order == 1:
        runs["mlcalc, complex step"] = lambda f, x: derivative(f, x, method="complex")
        # scipy's steps may leave the domain (log near 0): it then returns NaN, reported below.
        runs["scipy.differentiate"] = _quiet(lambda f, x: float(scipy_derivative(f, x).df))
    return runs


def _quiet(run: Callable) -> Callable:
    def quiet_run(f, x):
        with np.errstate(invalid="ignore", divide="ignore"):
            return run(f, x)
    return quiet_run


def main() -> list[dict]:
    rows = []
    for name, (expr, points) in FUNCTIONS.items():
        f = sp.lambdify(X, expr, "numpy")
        for order in (1, 2):
            exact_expr = sp.diff(expr, X, order)
            for x in points:
                exact = float(exact_expr.subs(X, sp.Rational(x)).evalf(30))
                for label, run in methods(order).items():
                    value = run(f, x)
                    rows.append({"function": name, "x": x, "n": order, "method": label,
                                 "relative_error": abs(value - exact) / abs(exact),
                                 "microseconds": microseconds_per_call(lambda: run(f, x))})
    print(f"{'function':<12} {'x':>5} {'n':>2}  {'method':<26} {'rel. error':>10} {'µs/call':>9}")
    for row in rows:
        print(f"{row['function']:<12} {row['x']:>5g} {row['n']:>2}  {row['method']:<26} "
              f"{row['relative_error']:>10.1e} {row['microseconds']:>9.1f}")
    for order in (1, 2):
        for label in methods(order):
            errors = np.array([r["relative_error"] for r in rows if r["n"] == order and r["method"] == label])
            failed = int(np.isnan(errors).sum())
            note = f" (NaN at {failed} point(s): steps left the domain)" if failed else ""
            print(f"n={order}, {label:<26} worst relative error {np.nanmax(errors):.1e}{note}")
    return rows


if __name__ == "__main__":
    main()
