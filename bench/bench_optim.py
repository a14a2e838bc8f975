"""mlcalc.optim.bfgs against scipy.optimize.minimize(method="BFGS"), side by side.

Problems: the Rosenbrock function from (-1.2, 1), and a 100-dimensional
quadratic 0.5 x'Ax - b'x with a random symmetric positive definite A
(condition number 1e3, seeded), once with eigenvalues in [1, 1e3] and once
multiplied by 1e-3 (eigenvalues in [1e-3, 1], gradient tolerance 1e-9
instead of 1e-6). The same loss in other units shows how the
starting inverse Hessian matters: scipy and mlcalc (by default) start from the
identity; ``initial_scaling=True`` rescales it after the first step (Nocedal &
Wright 6.20), which makes the steps independent of the loss's units.

For each run: iterations, loss and gradient evaluations, the best of five
wall-clock times, the ratio of iterations to scipy's, and the largest
difference of the optimum from scipy's and from the exact one.
"""

from __future__ import annotations

import time
from typing import Callable

import numpy as np
from scipy.optimize import minimize, rosen, rosen_der

from mlcalc.optim import bfgs

REPEATS = 5


def spd_quadratic(n: int = 100, condition: float = 1e3, scale: float = 1.0, seed: int = 0):
    """Loss, gradient and exact minimizer of 0.5 x'Ax - b'x with eigenvalues scale*[1, condition]."""
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    A = scale * (q * np.logspace(0.0, np.log10(condition), n)) @ q.T
    b = scale * rng.standard_normal(n)
    return (lambda x: float(0.5 * x @ A @ x - b @ x)), (lambda x: A @ x - b), np.linalg.solve(A, b)


def best_time(run: Callable[[], object]) -> tuple[object, float]:
    """The result of ``run()`` and its fastest wall-clock time over REPEATS calls, in milliseconds."""
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return result, 1e3 * min(times)


def compare(name: str, fun: Callable, grad: Callable, x0: np.ndarray, exact: np.ndarray,
            tol: float = 1e-6) -> list[dict]:
    runs = {
        "scipy BFGS": lambda: minimize(fun, x0, jac=grad, method="BFGS", options={"gtol": tol}),
        "mlcalc bfgs": lambda: bfgs(fun, grad, x0, tol=tol),
        "mlcalc bfgs, initial_scaling": lambda: bfgs(fun, grad, x0, tol=tol, initial_scaling=True),
    }
    rows = []
    reference = None
    for label, run in runs.items():
        res, ms = best_time(run)
        if reference is None:
            reference = res
        rows.append({"problem": name, "method": label, "nit": res.nit, "nfev": res.nfev, "njev": res.njev,
                     "ms": ms, "success": bool(res.success), "nit_ratio": res.nit / reference.nit,
                     "diff_scipy": float(np.max(np.abs(res.x - reference.x))),
                     "diff_exact": float(np.max(np.abs(res.x - exact)))})
    return rows


def main() -> list[dict]:
    rows = compare("Rosenbrock, x0 = (-1.2, 1)", rosen, rosen_der, np.array([-1.2, 1.0]), np.ones(2))
    for scale, label in ((1.0, "eigenvalues in [1, 1e3], tol 1e-6"),
                         (1e-3, "the same loss times 1e-3: eigenvalues in [1e-3, 1], tol 1e-9")):
        fun, grad, exact = spd_quadratic(scale=scale)
        rows += compare(f"quadratic n=100, cond 1e3, {label}", fun, grad, np.zeros(100), exact,
                        tol=1e-6 * scale)
    header = (f"{'method':<26} {'nit':>5} {'nfev':>5} {'njev':>5} {'time ms':>8} {'nit/scipy':>9} "
              f"{'max|x-x_scipy|':>14} {'max|x-x*|':>10}  success")
    problem = None
    for row in rows:
        if row["problem"] != problem:
            problem = row["problem"]
            print(f"\n{problem}\n{header}")
        print(f"{row['method']:<26} {row['nit']:>5} {row['nfev']:>5} {row['njev']:>5} {row['ms']:>8.2f} "
              f"{row['nit_ratio']:>9.2f} {row['diff_scipy']:>14.1e} {row['diff_exact']:>10.1e}  {row['success']}")
    print("\nAll stop when the infinity norm of the gradient is at most tol (scipy's gtol, whose default is\n"
          "1e-5): 1e-6, times 1e-3 for the scaled loss so that it asks for the same accuracy in x.")
    return rows


if __name__ == "__main__":
    main()
