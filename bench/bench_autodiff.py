"""Backward-pass time of mlcalc.autodiff against HIPS autograd on the same scalar expression.

Both libraries differentiate the same chain of scalar operations,

    y_0 = x,   y_{k+1} = tanh(w * y_k + 0.3) + 0.01 * y_k ** 2,

about six operations per step. Each side first builds the graph (the forward
pass) and then runs only the backward pass, which is what we time (best of
several repeats). Both must return the same derivatives before any timing.

Run: ``python bench/bench_autodiff.py`` (or ``make bench``).
"""

from __future__ import annotations

import math
import timeit

import autograd.numpy as anp
from autograd import make_vjp

from mlcalc.autodiff import Value, topological_order


def chain(x, w, n_steps: int, tanh):
    """The benchmark expression, written once for every backend (``tanh`` is the backend's)."""
    y = x
    for _ in range(n_steps):
        y = tanh(w * y + 0.3) + 0.01 * y ** 2
    return y


def _best(fn, repeat: int) -> float:
    return min(timeit.repeat(fn, number=1, repeat=repeat))


def run(n_steps: int = 500, repeat: int = 5) -> dict[str, float]:
    """Time forward and backward passes of both libraries; return the timings in seconds."""
    x0, w0 = 0.4, 0.9

    # mlcalc: build the graph once, time backward() alone (gradients reset in between).
    def mlcalc_forward():
        x, w = Value(x0, label="x"), Value(w0, label="w")
        return x, w, chain(x, w, n_steps, Value.tanh)

    x, w, out = mlcalc_forward()
    nodes = topological_order(out)

    def mlcalc_backward():
        for node in nodes:
            node.grad = 0.0
        out.backward()

    mlcalc_backward()
    ours = (x.grad, w.grad)

    # autograd: make_vjp traces the forward pass; calling the vjp is the backward pass.
    def autograd_forward():
        return make_vjp(lambda params: chain(params[0], params[1], n_steps, anp.tanh))(anp.array([x0, w0]))

    vjp, value = autograd_forward()
    theirs = tuple(float(g) for g in vjp(1.0))
    if not all(math.isclose(a, b, rel_tol=1e-10, abs_tol=1e-14) for a, b in zip(ours, theirs)):
        raise AssertionError(f"the libraries disagree: mlcalc {ours}, autograd {theirs}")
    if not math.isclose(out.data, float(value), rel_tol=1e-12):
        raise AssertionError(f"the forward values disagree: {out.data} and {float(value)}")

    return {
        "nodes": len(nodes),
        "mlcalc_forward": _best(mlcalc_forward, repeat),
        "mlcalc_backward": _best(mlcalc_backward, repeat),
        "autograd_forward": _best(autograd_forward, repeat),
        "autograd_backward": _best(lambda: vjp(1.0), repeat),
    }


def main(n_steps: int = 500, repeat: int = 5) -> None:
    """Print the forward and backward times of both libraries side by side, with their ratio."""
    t = run(n_steps, repeat)
    print(f"Reverse-mode AD of a scalar chain: {n_steps} steps, {t['nodes']} graph nodes in mlcalc "
          f"(best of {repeat})")
    print(f"{'pass':<10}{'mlcalc.autodiff':>18}{'autograd (HIPS)':>18}{'mlcalc / autograd':>20}")
    for name in ("forward", "backward"):
        ours, theirs = t[f"mlcalc_{name}"], t[f"autograd_{name}"]
        print(f"{name:<10}{ours * 1e3:>15.2f} ms{theirs * 1e3:>15.2f} ms{ours / theirs:>19.2f}x")
    print("Both return the same gradient (checked to 1e-10) before timing.")


if __name__ == "__main__":
    main()
