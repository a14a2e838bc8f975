"""A small scalar reverse-mode automatic differentiation engine.

Every arithmetic operation on a :class:`Value` records its inputs, so a
computation builds a graph; :meth:`Value.backward` walks that graph once, from
the output back to the inputs, and applies the chain rule

.. math::

    \\frac{\\partial L}{\\partial x} = \\sum_{c \\,\\in\\, \\text{children}(x)}
    \\frac{\\partial L}{\\partial c}\\,\\frac{\\partial c}{\\partial x}.

The only calculus in this module is the table :data:`RULES`: for every
operation, its value and its *local* derivatives ``∂out/∂input``. Everything
else is bookkeeping. The design follows Karpathy's *micrograd*, with one
change: the topological sort is iterative, so a chain of a hundred thousand
operations does not hit Python's recursion limit.

See the chapter 'Backpropagation and activation functions'.
"""

from __future__ import annotations

import inspect
import math
import numbers
import operator
from typing import Any, Callable, NamedTuple

from mlcalc._validation import check_callable, check_real

__all__ = ["Value", "RULES", "Rule", "rules_table", "grad", "topological_order", "trace", "Graph",
           "zero_grad"]


# ---------------------------------------------------------------------------
# Forward functions that need a domain check (the error names the operation).
# ---------------------------------------------------------------------------

def _divide(a: float, b: float) -> float:
    if b == 0:
        raise ZeroDivisionError(f"division by zero in Value division: {a!r} / {b!r}")
    return a / b


def _power(a: float, k: float) -> float:
    if a == 0 and k < 0:
        raise ZeroDivisionError(f"division by zero in Value power: 0.0 ** {k!r} (a negative power of zero)")
    if a < 0 and not float(k).is_integer():
        raise ValueError(f"Value power: {a!r} ** {k!r} is not a real number "
                         "(a negative base needs an integer exponent)")
    return a ** k


def _power_slope(a: float, k: float) -> float:
    if k == 0:
        return 0.0
    if a == 0 and k < 1:
        raise ZeroDivisionError(f"derivative of Value power a ** {k!r} is infinite at a = 0")
    return k * a ** (k - 1)


def _power_of_values(a: float, b: float) -> float:
    if a <= 0:
        raise ValueError(f"Value power with a Value exponent needs a positive base, got {a!r} ** {b!r} "
                         "(its derivative in the exponent is a**b * log(a))")
    return a ** b


def _exp(a: float) -> float:
    try:
        return math.exp(a)
    except OverflowError:
        raise OverflowError(f"exp overflows a float: exp({a!r}) (the largest is about exp(709.78))") from None


def _log(a: float) -> float:
    if a <= 0:
        raise ValueError(f"log of a non-positive number: log({a!r}) is undefined")
    return math.log(a)


def _sigmoid(a: float) -> float:
    # Two branches so that exp never overflows: exp is only called on -|a|.
    if a >= 0:
        return 1.0 / (1.0 + math.exp(-a))
    e = math.exp(a)
    return e / (1.0 + e)


class Rule(NamedTuple):
    """How one operation computes its value and its local derivatives.

    ``forward(*inputs, *constants)`` returns the output;
    ``local_gradients(out, *inputs, *constants)`` returns ``∂out/∂input`` for each
    input :class:`Value` (constants such as the exponent of ``x ** 3`` get none).
    ``formula`` states the rule for people.
    """

    forward: Callable[..., float]
    local_gradients: Callable[..., tuple[float, ...]]
    formula: str


Rule.forward.__doc__ = "The operation: ``forward(*inputs, *constants) -> float``."
Rule.local_gradients.__doc__ = "``local_gradients(out, *inputs, *constants)``: one ``∂out/∂input`` per input Value."
Rule.formula.__doc__ = "The derivative rule, written for people."


# ---------------------------------------------------------------------------
# THE DERIVATIVE RULES. Every local derivative the engine knows is here.
# ---------------------------------------------------------------------------
#: Operation name → :class:`Rule` (value, local derivatives, formula): the
#: complete list of what :class:`Value` can differentiate.
RULES: dict[str, Rule] = {
    "+":       Rule(operator.add,     lambda out, a, b: (1.0, 1.0),          "d(a+b)/da = 1,   d(a+b)/db = 1"),
    "-":       Rule(operator.sub,     lambda out, a, b: (1.0, -1.0),         "d(a-b)/da = 1,   d(a-b)/db = -1"),
    "*":       Rule(operator.mul,     lambda out, a, b: (b, a),              "d(a*b)/da = b,   d(a*b)/db = a"),
    "/":       Rule(_divide,          lambda out, a, b: (1.0 / b, -out / b), "d(a/b)/da = 1/b, d(a/b)/db = -a/b**2"),
    "neg":     Rule(operator.neg,     lambda out, a: (-1.0,),                "d(-a)/da = -1"),
    "**":      Rule(_power,           lambda out, a, k: (_power_slope(a, k),),
                    "d(a**k)/da = k*a**(k-1)   (k a constant)"),
    "pow":     Rule(_power_of_values, lambda out, a, b: (b * a ** (b - 1), out * math.log(a)),
                    "d(a**b)/da = b*a**(b-1), d(a**b)/db = a**b*log(a)"),
    "exp":     Rule(_exp,             lambda out, a: (out,),                 "d exp(a)/da = exp(a)"),
    "log":     Rule(_log,             lambda out, a: (1.0 / a,),             "d log(a)/da = 1/a"),
    "tanh":    Rule(math.tanh,        lambda out, a: (1.0 - out * out,),     "d tanh(a)/da = 1 - tanh(a)**2"),
    "sigmoid": Rule(_sigmoid,         lambda out, a: (out * (1.0 - out),),   "d sigmoid(a)/da = sigmoid(a)*(1 - sigmoid(a))"),
    "relu":    Rule(lambda a: a if a > 0 else 0.0,
                    lambda out, a: (1.0 if a > 0 else 0.0,),                 "d relu(a)/da = 1 if a > 0 else 0"),
}


def rules_table() -> list[dict[str, str]]:
    """List the supported operations and their derivative rules.

    Returns
    -------
    list of dict
        One row per operation with keys ``"op"`` and ``"rule"``, in the order
        of :data:`RULES`; ready for ``pandas.DataFrame`` or a Markdown table.

    Examples
    --------
    >>> rows = rules_table()
    >>> rows[2]
    {'op': '*', 'rule': 'd(a*b)/da = b,   d(a*b)/db = a'}
    >>> [row["op"] for row in rules_table()][-4:]
    ['log', 'tanh', 'sigmoid', 'relu']

    See the chapter 'Backpropagation and activation functions'.
    """
    return [{"op": op, "rule": rule.formula} for op, rule in RULES.items()]


class Value:
    """A real number that remembers how it was computed, for reverse-mode differentiation.

    Parameters
    ----------
    data : float
        The number.
    label : str, optional
        A name shown in the repr and in :func:`trace` tables.

    Attributes
    ----------
    data : float
        The value computed in the forward pass.
    grad : float
        ``∂root/∂self`` accumulated by :meth:`backward` calls on a graph that uses
        this value (0 until then).
    label : str
    op : str
        The operation in :data:`RULES` that produced this value; ``""`` for an input.
    parents : tuple of Value
        The inputs of that operation.

    Notes
    -----
    Supported: ``+ - * /`` with Values or real numbers on either side, unary
    minus, ``x ** k`` for a constant ``k``, ``x ** y`` and ``k ** y`` for a
    positive base, and the methods :meth:`exp`, :meth:`log`, :meth:`tanh`,
    :meth:`sigmoid`, :meth:`relu`. Their derivatives are the rows of
    :data:`RULES`.

    Examples
    --------
    The derivative of :math:`f(x, y) = x y + \\tanh(x)` at :math:`(1, 2)`:
    :math:`\\partial f/\\partial x = y + 1 - \\tanh^2 x` and
    :math:`\\partial f/\\partial y = x`.

    >>> x, y = Value(1.0, label="x"), Value(2.0, label="y")
    >>> f = x * y + x.tanh()
    >>> f.backward()
    >>> round(x.grad, 6), y.grad
    (2.419974, 1.0)
    >>> x
    Value(data=1, grad=2.41997, label='x')

    See the chapter 'Backpropagation and activation functions'.
    """

    __slots__ = ("data", "grad", "label", "op", "parents", "_constants")

    def __init__(self, data: float, *, label: str = "") -> None:
        self.data = check_real(data, "data")
        if not isinstance(label, str):
            raise TypeError(f"label must be a string, got {type(label).__name__}")
        self.grad = 0.0
        self.label = label
        self.op = ""
        self.parents: tuple[Value, ...] = ()
        self._constants: tuple[float, ...] = ()

    # -- building the graph ---------------------------------------------------
    @staticmethod
    def _apply(op: str, *inputs: Value, constants: tuple[float, ...] = ()) -> Value:
        """Run ``RULES[op]`` forward on ``inputs`` and record the new node."""
        out = Value.__new__(Value)
        out.data = float(RULES[op].forward(*(v.data for v in inputs), *constants))
        out.grad = 0.0
        out.label = ""
        out.op = op
        out.parents = inputs
        out._constants = constants
        return out

    def __add__(self, other: Any) -> Value:
        other = _coerce(other)
        return NotImplemented if other is NotImplemented else Value._apply("+", self, other)

    def __radd__(self, other: Any) -> Value:
        other = _coerce(other)
        return NotImplemented if other is NotImplemented else Value._apply("+", other, self)

    def __sub__(self, other: Any) -> Value:
        other = _coerce(other)
        return NotImplemented if other is NotImplemented else Value._apply("-", self, other)

    def __rsub__(self, other: Any) -> Value:
        other = _coerce(other)
        return NotImplemented if other is NotImplemented else Value._apply("-", other, self)

    def __mul__(self, other: Any) -> Value:
        other = _coerce(other)
        return NotImplemented if other is NotImplemented else Value._apply("*", self, other)

    def __rmul__(self, other: Any) -> Value:
        other = _coerce(other)
        return NotImplemented if other is NotImplemented else Value._apply("*", other, self)

    def __truediv__(self, other: Any) -> Value:
        other = _coerce(other)
        return NotImplemented if other is NotImplemented else Value._apply("/", self, other)

    def __rtruediv__(self, other: Any) -> Value:
        other = _coerce(other)
        return NotImplemented if other is NotImplemented else Value._apply("/", other, self)

    def __neg__(self) -> Value:
        return Value._apply("neg", self)

    def __pos__(self) -> Value:
        return self

    def __pow__(self, exponent: Any) -> Value:
        if isinstance(exponent, Value):
            return Value._apply("pow", self, exponent)
        if not _is_real(exponent):
            return NotImplemented
        return Value._apply("**", self, constants=(check_real(exponent, "exponent"),))

    def __rpow__(self, base: Any) -> Value:
        base = _coerce(base)
        return NotImplemented if base is NotImplemented else Value._apply("pow", base, self)

    def exp(self) -> Value:
        """:math:`e^x`, with derivative :math:`e^x`."""
        return Value._apply("exp", self)

    def log(self) -> Value:
        """Natural logarithm :math:`\\ln x` (``ValueError`` for :math:`x \\le 0`), derivative :math:`1/x`."""
        return Value._apply("log", self)

    def tanh(self) -> Value:
        """:math:`\\tanh x`, with derivative :math:`1 - \\tanh^2 x`."""
        return Value._apply("tanh", self)

    def sigmoid(self) -> Value:
        """:math:`\\sigma(x) = 1/(1 + e^{-x})`, with derivative :math:`\\sigma(x)(1 - \\sigma(x))`."""
        return Value._apply("sigmoid", self)

    def relu(self) -> Value:
        """:math:`\\max(x, 0)`, with derivative 1 for :math:`x > 0` and 0 otherwise."""
        return Value._apply("relu", self)

    # -- the backward pass ------------------------------------------------------
    def backward(self, gradient: float = 1.0) -> None:
        """Add :math:`\\partial(\\text{self})/\\partial v` to ``v.grad`` for every node ``v`` of the graph.

        Parameters
        ----------
        gradient : float, optional
            The seed :math:`\\partial L/\\partial\\,\\text{self}`; 1 for the derivative of ``self`` itself.

        Notes
        -----
        Gradients *accumulate*, as in PyTorch: calling ``backward`` twice
        doubles every ``grad``. Use :func:`zero_grad` (or new Values) in between.
        Each node is visited once, in reverse topological order, so the cost
        is linear in the size of the graph.

        Examples
        --------
        >>> x = Value(3.0)
        >>> (x * x).backward()
        >>> x.grad
        6.0
        """
        seed = check_real(gradient, "gradient")
        order = topological_order(self)
        # Upstream gradients of this pass only, so that an earlier backward() on
        # the same graph does not leak into this one.
        upstream: dict[int, float] = {id(self): seed}
        for node in reversed(order):
            g = upstream.pop(id(node), 0.0)
            node.grad += g
            if not node.parents:
                continue
            rule = RULES[node.op]
            local = rule.local_gradients(node.data, *(p.data for p in node.parents), *node._constants)
            for parent, d in zip(node.parents, local):
                key = id(parent)
                upstream[key] = upstream.get(key, 0.0) + d * g

    def __repr__(self) -> str:
        parts = [f"data={self.data:.6g}", f"grad={self.grad:.6g}"]
        if self.label:
            parts.append(f"label={self.label!r}")
        if self.op:
            parts.append(f"op={self.op!r}")
        return f"Value({', '.join(parts)})"

    # Values are graph nodes, compared by identity (so they can be dict keys);
    # compare ``a.data == b.data`` for numbers.
    __hash__ = object.__hash__


def _is_real(x: Any) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def _coerce(x: Any) -> Any:
    """A Value for ``x``: itself, or a constant leaf labelled with the number."""
    if isinstance(x, Value):
        return x
    if _is_real(x):
        value = Value(x)
        value.label = f"{value.data:g}"
        return value
    return NotImplemented


def topological_order(root: Value) -> list[Value]:
    """Every node that ``root`` depends on, each after all of its inputs, ending with ``root``.

    An iterative depth-first search (an explicit stack instead of recursion),
    so arbitrarily long chains work.

    Parameters
    ----------
    root : Value

    Returns
    -------
    list of Value
        Inputs first, ``root`` last; each node appears once.

    Examples
    --------
    >>> x = Value(2.0, label="x")
    >>> y = x * x
    >>> [v.label or v.op for v in topological_order(y + 1)]
    ['x', '*', '1', '+']
    """
    if not isinstance(root, Value):
        raise TypeError(f"root must be a Value, got {type(root).__name__}")
    order: list[Value] = []
    visited: set[int] = set()
    stack: list[tuple[Value, bool]] = [(root, False)]
    while stack:
        node, inputs_done = stack.pop()
        if inputs_done:
            order.append(node)
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        stack.append((node, True))  # revisited once all its inputs are in `order`
        for parent in reversed(node.parents):
            if id(parent) not in visited:
                stack.append((parent, False))
    return order


def zero_grad(root: Value) -> None:
    """Set ``grad`` to 0 on every node of the graph of ``root``.

    Examples
    --------
    >>> x = Value(2.0); y = x * 3
    >>> y.backward(); zero_grad(y); x.grad
    0.0
    """
    for node in topological_order(root):
        node.grad = 0.0


class Graph(NamedTuple):
    """The computation graph of a :class:`Value`, from :func:`trace`: its ``nodes`` and ``edges``."""

    nodes: list[Value]
    edges: list[tuple[int, int]]

    def table(self) -> list[dict[str, Any]]:
        """One row per node: ``node`` (index), ``label``, ``op``, ``inputs`` (indices), ``data``, ``grad``.

        Examples
        --------
        >>> x = Value(3.0, label="x")
        >>> y = (x * 2).relu(); y.backward()
        >>> trace(y).table()[-1]
        {'node': 3, 'label': '', 'op': 'relu', 'inputs': (2,), 'data': 6.0, 'grad': 1.0}
        """
        index = {id(v): i for i, v in enumerate(self.nodes)}
        return [{"node": i, "label": v.label, "op": v.op, "inputs": tuple(index[id(p)] for p in v.parents),
                 "data": v.data, "grad": v.grad} for i, v in enumerate(self.nodes)]


Graph.nodes.__doc__ = "list of Value: the nodes in topological order (inputs first, the output last)."
Graph.edges.__doc__ = "list of (int, int): ``(i, j)`` when ``nodes[i]`` is an input of ``nodes[j]``."


def trace(root: Value) -> Graph:
    """The nodes and edges of the computation graph of ``root``, for a table or a drawing.

    Parameters
    ----------
    root : Value

    Returns
    -------
    Graph
        ``nodes`` in topological order and ``edges`` as index pairs
        ``(input, output)``; ``Graph.table()`` lists the nodes as rows.

    Examples
    --------
    :math:`L = (a b + c)^2`:

    >>> a, b, c = Value(2.0, label="a"), Value(-3.0, label="b"), Value(10.0, label="c")
    >>> L = (a * b + c) ** 2
    >>> g = trace(L)
    >>> [v.label or v.op for v in g.nodes]
    ['a', 'b', '*', 'c', '+', '**']
    >>> g.edges
    [(0, 2), (1, 2), (2, 4), (3, 4), (4, 5)]

    See the chapter 'Backpropagation and activation functions'.
    """
    nodes = topological_order(root)
    index = {id(v): i for i, v in enumerate(nodes)}
    edges = [(index[id(p)], j) for j, v in enumerate(nodes) for p in v.parents]
    return Graph(nodes, edges)


def grad(f: Callable[..., Value]) -> Callable[..., tuple[float, ...]]:
    """Turn a scalar function of Values into the function returning its gradient.

    Parameters
    ----------
    f : callable
        ``f(x1, ..., xn)`` built from :class:`Value` operations, returning a
        :class:`Value` (or a plain number, for a constant function).

    Returns
    -------
    callable
        ``grad(f)(x1, ..., xn)`` takes real numbers and returns the tuple
        :math:`(\\partial f/\\partial x_1, \\ldots, \\partial f/\\partial x_n)`
        of floats (a tuple even for one argument).

    Examples
    --------
    :math:`f(x, y) = x^2 y + e^y`, so :math:`\\nabla f = (2xy,\\; x^2 + e^y)`:

    >>> df = grad(lambda x, y: x ** 2 * y + y.exp())
    >>> dx, dy = df(3.0, 0.0)
    >>> dx, dy
    (0.0, 10.0)
    >>> grad(lambda x: x.sigmoid())(0.0)
    (0.25,)

    See the chapter 'Backpropagation and activation functions'.
    """
    check_callable(f, "f")
    try:
        names = [p.name for p in inspect.signature(f).parameters.values()]
    except (TypeError, ValueError):  # builtins without a signature
        names = []

    def gradient(*xs: float) -> tuple[float, ...]:
        if not xs:
            raise TypeError("the gradient needs at least one argument")
        labels = names if len(names) == len(xs) else [f"x{i}" for i in range(len(xs))]
        inputs = [Value(x.data if isinstance(x, Value) else x, label=label) for x, label in zip(xs, labels)]
        out = f(*inputs)
        if isinstance(out, Value):
            out.backward()
        elif not _is_real(out):
            raise TypeError(f"f must return a Value (or a number), got {type(out).__name__}")
        return tuple(v.grad for v in inputs)

    gradient.__name__ = f"grad_{getattr(f, '__name__', 'f')}"
    gradient.__doc__ = f"Gradient of {getattr(f, '__name__', 'f')} by reverse-mode automatic differentiation."
    return gradient
