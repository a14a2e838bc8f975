"""Figures of neural networks: computation graphs of :mod:`mlcalc.autodiff`, activation functions.

See the chapter "Backpropagation and activation functions".
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .._validation import check_choice, check_int, check_interval, check_positive
from ._core import _figure_and_axes, label_axes, new_figure

__all__ = ["computation_graph", "activation_panels"]


def computation_graph(root: Any, *, ax: Axes | None = None, show_grad: bool = True, max_nodes: int = 40,
                      title: str = "Computation graph") -> Figure:
    """Draw the computation graph of an :class:`mlcalc.autodiff.Value`, inputs on the left.

    Each node is a box showing its label (inputs, constants) or operation,
    its value and, with ``show_grad``, the gradient stored by ``backward()``;
    arrows go from the inputs of an operation to its output. Columns are the
    depth in the graph, so the forward pass reads left to right and the
    backward pass right to left.

    Parameters
    ----------
    root : mlcalc.autodiff.Value or mlcalc.autodiff.Graph
        The output (its graph is collected with :func:`mlcalc.autodiff.trace`)
        or an already traced graph.
    ax : matplotlib.axes.Axes, optional
    show_grad : bool, optional
    max_nodes : int, optional
        Larger graphs are refused (a table, ``trace(root).table()``, reads better).
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from mlcalc.autodiff import Value
    >>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    >>> L = (a * b).tanh(); L.backward()
    >>> fig = computation_graph(L)
    >>> len(fig.axes[0].texts), len(fig.axes[0].patches)  # nodes a, b, *, tanh; three arrows
    (4, 3)
    >>> import matplotlib.pyplot as plt; plt.close(fig)

    See the chapter 'Backpropagation and activation functions'.
    """
    from matplotlib.patches import FancyArrowPatch

    from mlcalc.autodiff import Graph, Value, trace

    if isinstance(root, Value):
        graph = trace(root)
    elif isinstance(root, Graph):
        graph = root
    else:
        raise TypeError(f"root must be a mlcalc.autodiff Value or Graph, got {type(root).__name__}")
    max_nodes = check_int(max_nodes, "max_nodes", minimum=1)
    nodes, edges = graph.nodes, graph.edges
    if len(nodes) > max_nodes:
        raise ValueError(f"the graph has {len(nodes)} nodes, more than max_nodes={max_nodes}; "
                         "list it with mlcalc.autodiff.trace(root).table() instead")
    inputs_of: list[list[int]] = [[] for _ in nodes]
    outputs_of: list[list[int]] = [[] for _ in nodes]
    for i, j in edges:
        inputs_of[j].append(i)
        outputs_of[i].append(j)
    # Operations sit one column right of their deepest input; inputs and
    # constants sit just left of the first operation that uses them.
    depth = [0] * len(nodes)
    for j in range(len(nodes)):
        if inputs_of[j]:
            depth[j] = 1 + max(depth[i] for i in inputs_of[j])
    for i in range(len(nodes)):
        if not inputs_of[i] and outputs_of[i]:
            depth[i] = min(depth[j] for j in outputs_of[i]) - 1
    columns: dict[int, list[int]] = {}
    for i, d in enumerate(depth):
        columns.setdefault(d, []).append(i)
    position = {}
    for d, members in columns.items():
        for row, i in enumerate(members):
            position[i] = (float(d), (len(members) - 1) / 2 - row)
    n_columns, n_rows = max(depth) + 1, max(len(m) for m in columns.values())
    if ax is None:
        fig, ax = new_figure(figsize=(min(2.0 + 1.6 * n_columns, 14.0), min(1.5 + 1.1 * n_rows, 10.0)))
    else:
        fig, ax = _figure_and_axes(ax)
    for i, j in edges:
        ax.add_patch(FancyArrowPatch(position[i], position[j], arrowstyle="->", mutation_scale=12,
                                     color="gray", shrinkA=26, shrinkB=28))
    for i, v in enumerate(nodes):
        name = v.label if not v.op else (v.op if not v.label else f"{v.label} = {v.op}")
        text = f"{name}\ndata {v.data:.4g}" + (f"\ngrad {v.grad:.4g}" if show_grad else "")
        color = "C1" if not v.op else ("C2" if i == len(nodes) - 1 else "C0")
        ax.text(*position[i], text, ha="center", va="center", fontsize=9,
                bbox=dict(boxstyle="round,pad=0.4", facecolor=color, alpha=0.25, edgecolor=color))
    ax.set_xlim(-0.7, n_columns - 0.3)
    ax.set_ylim(-n_rows / 2 - 0.2, n_rows / 2 + 0.2)
    ax.set_axis_off()
    ax.set_title(title)
    return fig


def activation_panels(names: Any = None, *, interval: tuple[float, float] = (-5.0, 5.0), alpha: float = 0.01,
                      axes: Any = None, n_points: int = 401) -> Figure:
    """Draw activation functions and their derivatives, one panel per activation.

    Each panel shows :math:`f(x)` (solid) and :math:`f'(x)` (dashed), taken from
    :data:`mlcalc.nn.ACTIVATIONS`. The largest value of :math:`f'` on the
    interval drawn is in the legend, because it bounds how much a layer can
    pass a gradient back:

    .. math::

        \\max_x \\sigma'(x) = \\tfrac14, \\qquad \\max_x \\tanh'(x) = 1, \\qquad
        \\operatorname{relu}'(x) \\in \\{0, 1\\}.

    Where :math:`f'` jumps (relu and leaky relu at 0, where the derivative does
    not exist) the dashed line is broken instead of drawn vertically.

    Parameters
    ----------
    names : str or sequence of str, optional
        Keys of :data:`mlcalc.nn.ACTIVATIONS`; all of them by default.
    interval : (float, float), optional
        The x-range drawn.
    alpha : float, optional
        Slope of leaky relu for negative inputs, :math:`\\alpha \\ge 0`.
    axes : sequence of matplotlib.axes.Axes, optional
        One Axes per name; a new row of panels by default.
    n_points : int, optional
        Number of sample points per curve.

    Returns
    -------
    matplotlib.figure.Figure

    See the chapter 'Backpropagation and activation functions'.

    Examples
    --------
    >>> fig = activation_panels(["sigmoid", "relu"])
    >>> [ax.get_title() for ax in fig.axes]
    ['sigmoid', 'relu']
    >>> [line.get_label() for line in fig.axes[0].get_lines()][:2]
    ['$f(x)$', "$f'(x)$, max 0.25"]
    >>> import matplotlib.pyplot as plt; plt.close(fig)
    """
    from ..nn import ACTIVATIONS, leaky_relu, leaky_relu_derivative

    if names is None:
        names = list(ACTIVATIONS)
    elif isinstance(names, str):
        names = [names]
    elif not isinstance(names, (list, tuple)) or not names:
        raise TypeError(f"names must be an activation name or a non-empty list of names, got {names!r}")
    names = [check_choice(name, "names", tuple(ACTIVATIONS)) for name in names]
    a, b = check_interval(*interval, names=("interval[0]", "interval[1]"))
    alpha = check_positive(alpha, "alpha", allow_zero=True)
    n_points = check_int(n_points, "n_points", minimum=2)
    if axes is None:
        fig, axes = new_figure(len(names), figsize=(min(3.2 * len(names) + 0.6, 16.0), 3.2))
        axes = np.atleast_1d(axes)
    else:
        axes = list(np.atleast_1d(np.asarray(axes, dtype=object)).ravel())
        if len(axes) != len(names):
            raise ValueError(f"axes must hold one Axes per name ({len(names)}), got {len(axes)}")
        for ax in axes:
            if not isinstance(ax, Axes):
                raise TypeError(f"axes must hold matplotlib Axes, got {type(ax).__name__}")
        fig = axes[0].figure
    x = np.linspace(a, b, n_points)
    for ax, name in zip(axes, names):
        if name == "leaky_relu":
            f, df = (lambda t: leaky_relu(t, alpha)), (lambda t: leaky_relu_derivative(t, alpha))
            title = f"leaky_relu ($\\alpha$ = {alpha:g})"
        else:
            f, df = ACTIVATIONS[name]
            title = name
        y, dy = np.asarray(f(x)), np.asarray(df(x))
        # The jumps of relu-like derivatives are large next to the change between
        # two samples of a smooth derivative (slopes of f' are at most about 1).
        threshold = max(0.1, 20 * (b - a) / (n_points - 1))
        jumps = np.flatnonzero(np.abs(np.diff(dy)) > threshold) + 1
        x_shown, dy_shown = np.insert(x, jumps, np.nan), np.insert(dy, jumps, np.nan)
        ax.plot(x, y, color="C0", label="$f(x)$")
        ax.plot(x_shown, dy_shown, "--", color="C3", label=f"$f'(x)$, max {dy.max():.3g}")
        ax.axhline(0, color="gray", linewidth=0.5)
        ax.axvline(0, color="gray", linewidth=0.5)
        label_axes(ax, title=title, xlabel="$x$", ylabel="value", legend=True)
    return fig
