"""The book's recurring figures, built with matplotlib.

Every function returns the ``Figure`` (and draws on axes you may pass in); none
calls ``plt.show()`` or keeps global state, so the notebook decides what to
display. The functions live in one module per topic and are all importable
from here (``from mlcalc.plot import loss_curves``):

==================  =============================================================
``calculus``        tangents, secants, step-size errors, the epsilon-delta window
``integrals``       area under a curve, Riemann rectangles, convergence of rules
``surfaces``        surfaces and slices, level sets and gradients, constraints
``descent``         optimisation paths on contours, loss curves
``networks``        computation graphs, activation functions
``probability``     histograms with densities, log-likelihood contours
``classifiers``     decision regions, margin losses, SVM margins
``regularization``  L1/L2 balls against loss contours, coefficient paths
==================  =============================================================

The private module ``_core`` holds what they share: :func:`new_figure`,
:func:`label_axes`, the evaluation of a function on a grid or on the plane,
and the grid over the plane of a data set ``(X, y)``. Numerical work a figure
needs comes from the rest of :mod:`mlcalc` (gradients from :mod:`mlcalc.diff`,
paths from :mod:`mlcalc.optim`), not from figure code.
"""

from __future__ import annotations

from ._core import DEFAULT_FIGSIZE, label_axes, new_figure
from .calculus import epsilon_delta_window, function_with_tangent, secant_to_tangent, step_error_curve
from .classifiers import decision_boundary, margin_losses, svm_margins
from .descent import descent_path_on_contours, loss_curves
from .integrals import area_under_curve, convergence_plot, riemann_rectangles
from .networks import activation_panels, computation_graph
from .probability import histogram_with_density, log_likelihood_contours
from .regularization import coefficient_paths, penalty_geometry
from .surfaces import constraint_geometry, contour_with_gradients, surface_with_slices

__all__ = ["new_figure", "label_axes", "function_with_tangent", "secant_to_tangent", "step_error_curve",
           "area_under_curve", "riemann_rectangles", "convergence_plot", "epsilon_delta_window",
           "computation_graph", "descent_path_on_contours", "loss_curves",
           "surface_with_slices", "contour_with_gradients", "activation_panels", "decision_boundary",
           "constraint_geometry", "histogram_with_density", "log_likelihood_contours",
           "margin_losses", "svm_margins", "penalty_geometry", "coefficient_paths"]
