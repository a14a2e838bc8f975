"""mlcalc: the helper package of the book *Calculus for Machine Learning*.

Each module mirrors a chapter of the book:

================  =====================================================
``limits``        numeric approach tables, one-sided limits (chapter 1)
``diff``          numerical derivatives, gradients, Jacobians, Hessians (2, 4)
``integrate``     Riemann sums, quadrature rules, Monte Carlo (3, 4)
``optim``         gradient descent and friends, Newton, BFGS (5, 7, 10)
``autodiff``      a small scalar reverse-mode automatic differentiation (6)
``nn``            activations, losses and a numpy multilayer perceptron (6, 10)
``models``        linear/logistic regression and a linear SVM, as scikit-learn estimators (9)
``metrics``       R² and accuracy, the scores of ``models`` and ``nn`` (6, 9)
``prob``          densities and maximum likelihood (8)
``problems``      quadratic bowls and least squares shared by chapters (5, 10)
``plot``          the book's recurring figures, a package with one module per topic
``widgets``       interactive explorers (ipywidgets) and kernel-free sliders
``testing``       assertions used by the self-check and grading tests
``timing``        one way to time a call, for the "In practice" sections
================  =====================================================

Submodules are imported on first use, so ``import mlcalc`` is cheap and
``mlcalc.diff.derivative`` works without a separate import.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

__all__ = [
    "limits",
    "diff",
    "integrate",
    "optim",
    "autodiff",
    "nn",
    "models",
    "metrics",
    "prob",
    "problems",
    "plot",
    "widgets",
    "testing",
    "timing",
]


def __getattr__(name: str) -> Any:
    if name in __all__:
        module = importlib.import_module(f"{__name__}.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'mlcalc' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(list(globals()) + __all__)
