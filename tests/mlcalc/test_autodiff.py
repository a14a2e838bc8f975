"""Tests of mlcalc.autodiff against sympy, central finite differences and hypothesis properties."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from mlcalc.autodiff import RULES, Value, grad, rules_table, topological_order, trace, zero_grad

# The same expression is written once and evaluated with two "backends":
# sympy symbols (the reference) and our Values.
SYMPY = SimpleNamespace(exp=sp.exp, log=sp.log, tanh=sp.tanh,
                        sigmoid=lambda t: 1 / (1 + sp.exp(-t)), relu=lambda t: sp.Max(0, t))
VALUES = SimpleNamespace(exp=Value.exp, log=Value.log, tanh=Value.tanh,
                         sigmoid=Value.sigmoid, relu=Value.relu)

# (name, f(x, y, z, ops)); y > 0 at every test point, so log(y) and powers of y are defined.
EXPRESSIONS = [
    ("x*y + z", lambda x, y, z, m: x * y + z),
    ("x/y - z**3", lambda x, y, z, m: x / y - z ** 3),
    ("reflected", lambda x, y, z, m: 2 - x + 3 * y - 1 / y + (-z) / 4 + 5 / (1 + y * y)),
    ("exp(x*y)/(1+z**2)", lambda x, y, z, m: m.exp(x * y) / (1 + z ** 2)),
    ("log(x**2+1)*tanh(y)", lambda x, y, z, m: m.log(x ** 2 + 1) * m.tanh(y)),
    ("sigmoid(x - 2y) z", lambda x, y, z, m: m.sigmoid(x - 2 * y) * z),
    ("shared subexpressions", lambda x, y, z, m: (x * x + x) / (x + y * y + 3) + x * z * x),
    ("y**x * 2**z", lambda x, y, z, m: y ** x * 2 ** z),
    ("y**z**2", lambda x, y, z, m: y ** (z ** 2 + 0.5)),
    ("sqrt and inverse powers", lambda x, y, z, m: y ** 0.5 + y ** -2.5 * x ** 4),
    ("relu", lambda x, y, z, m: m.relu(x * y) + m.relu(z - 10) + m.relu(y)),
    ("nested tanh", lambda x, y, z, m: m.tanh(m.tanh(m.tanh(x + y * z)))),
    ("neuron", lambda x, y, z, m: m.tanh(0.3 * x - 1.2 * y + 0.7 * z + 0.1)),
    ("log-sum-exp", lambda x, y, z, m: m.log(m.exp(x) + m.exp(y) + m.exp(z))),
]

rng = np.random.default_rng(0)
# Points away from the kinks of relu (x*y, z - 10 and y never vanish here).
POINTS = [(float(a), float(b), float(c))
          for a, b, c in zip(rng.uniform(-2, 2, 4), rng.uniform(0.3, 2, 4), rng.uniform(-2, 2, 4))]


def value_gradient(f, point):
    return np.array(grad(lambda x, y, z: f(x, y, z, VALUES))(*point))


@pytest.mark.parametrize("name, f", EXPRESSIONS, ids=[e[0] for e in EXPRESSIONS])
def test_gradient_matches_sympy(name, f):
    symbols = sp.symbols("x y z", real=True)
    expr = f(*symbols, SYMPY)
    derivatives = [sp.lambdify(symbols, sp.diff(expr, s), "math") for s in symbols]
    value_fn = sp.lambdify(symbols, expr, "math")
    for point in POINTS:
        expected = [d(*point) for d in derivatives]
        # rtol 1e-10: both sides are exact formulas evaluated in double precision.
        assert_allclose(value_gradient(f, point), expected, rtol=1e-10, atol=1e-12)
        out = f(*(Value(p) for p in point), VALUES)
        assert out.data == pytest.approx(value_fn(*point), rel=1e-12)


def central_difference(f, point, h=1e-6):
    point = np.asarray(point, dtype=float)
    result = []
    for i in range(point.size):
        e = np.zeros_like(point)
        e[i] = h
        result.append((f(*(point + e)) - f(*(point - e))) / (2 * h))
    return np.array(result)


@pytest.mark.parametrize("name, f", EXPRESSIONS, ids=[e[0] for e in EXPRESSIONS])
def test_gradient_matches_central_differences(name, f):
    def as_float(*xyz):
        return f(*(Value(t) for t in xyz), VALUES).data

    for point in POINTS:
        # Central differences have error O(h^2) plus roundoff O(eps/h): about 1e-9 here.
        assert_allclose(value_gradient(f, point), central_difference(as_float, point), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("op", list(RULES))
def test_every_rule_in_the_table_matches_finite_differences(op):
    rule = RULES[op]
    n_args = rule.local_gradients.__code__.co_argcount - 1  # inputs and constants
    args = [1.3, 0.7][:n_args]
    if op == "**":  # the exponent is a constant, differentiated only in its base
        args = [1.3, 2.5]
    out = rule.forward(*args)
    local = rule.local_gradients(out, *args)
    n_inputs = 1 if op == "**" else n_args
    assert len(local) == n_inputs
    for i in range(n_inputs):
        def partial(t, i=i):
            shifted = list(args)
            shifted[i] = t
            return rule.forward(*shifted)
        h = 1e-6
        fd = (partial(args[i] + h) - partial(args[i] - h)) / (2 * h)
        assert local[i] == pytest.approx(fd, rel=1e-7, abs=1e-9), f"rule {op!r}, input {i}"


def test_rules_table_lists_every_rule():
    rows = rules_table()
    assert [r["op"] for r in rows] == list(RULES)
    assert all(r["rule"] for r in rows)
    assert {"+", "-", "*", "/", "**", "exp", "log", "tanh", "sigmoid", "relu"} <= set(RULES)


# --- hypothesis properties of the rules ------------------------------------------
reals = st.floats(min_value=-1e3, max_value=1e3, allow_nan=False, allow_infinity=False)
nonzero = reals.filter(lambda t: abs(t) > 1e-3)


@given(reals, reals)
def test_product_rule(a, b):
    x, y = Value(a), Value(b)
    (x * y).backward()
    assert x.grad == b and y.grad == a


@given(reals, reals)
def test_sum_and_difference_rules(a, b):
    x, y = Value(a), Value(b)
    (x - y).backward()
    assert (x.grad, y.grad) == (1.0, -1.0)
    x, y = Value(a), Value(b)
    (x + y).backward()
    assert (x.grad, y.grad) == (1.0, 1.0)


@given(reals, nonzero)
def test_quotient_rule(a, b):
    x, y = Value(a), Value(b)
    (x / y).backward()
    assert x.grad == pytest.approx(1 / b, rel=1e-12)
    assert y.grad == pytest.approx(-a / b ** 2, rel=1e-12, abs=1e-300)


@given(st.floats(-30, 30))
def test_tanh_sigmoid_exp_rules(a):
    t = Value(a)
    t.tanh().backward()
    assert t.grad == pytest.approx(1 - math.tanh(a) ** 2, rel=1e-12, abs=1e-300)
    s = Value(a)
    s.sigmoid().backward()
    sig = 1 / (1 + math.exp(-a))
    assert s.grad == pytest.approx(sig * (1 - sig), rel=1e-9, abs=1e-300)
    e = Value(a)
    e.exp().backward()
    assert e.grad == pytest.approx(math.exp(a), rel=1e-12)


@given(st.floats(1e-3, 1e3), st.integers(-4, 4))
def test_power_rule(a, k):
    x = Value(a)
    (x ** k).backward()
    assert x.grad == pytest.approx(k * a ** (k - 1), rel=1e-12)


@given(reals)
def test_relu_rule(a):
    x = Value(a)
    x.relu().backward()
    assert x.grad == (1.0 if a > 0 else 0.0)
    assert x.relu().data == max(a, 0.0)


@given(st.floats(-5, 5), st.floats(-5, 5))
def test_chain_rule_of_composition(a, b):
    # d/dx exp(tanh(b x)) = exp(tanh(b x)) (1 - tanh^2(b x)) b, three table rules chained.
    x = Value(a)
    f = (x * b).tanh().exp()
    f.backward()
    expected = math.exp(math.tanh(a * b)) * (1 - math.tanh(a * b) ** 2) * b
    assert x.grad == pytest.approx(expected, rel=1e-12, abs=1e-300)


@settings(max_examples=50)
@given(st.lists(st.tuples(st.sampled_from(["+", "*", "-", "tanh"]), st.integers(0, 100), st.integers(0, 100)),
                min_size=1, max_size=40))
def test_topological_order_puts_inputs_first(program):
    nodes = [Value(0.5, label="a"), Value(-0.25, label="b")]
    for op, i, j in program:
        a, b = nodes[i % len(nodes)], nodes[j % len(nodes)]
        nodes.append(a.tanh() if op == "tanh" else Value._apply(op, a, b))
    root = nodes[-1]
    order = topological_order(root)
    position = {id(v): k for k, v in enumerate(order)}
    assert len(position) == len(order)  # each node once
    assert order[-1] is root
    for v in order:
        for p in v.parents:
            assert position[id(p)] < position[id(v)]


# --- accumulation when a node is used several times -----------------------------
def test_x_times_x_and_x_plus_x():
    x = Value(3.0)
    (x * x).backward()
    assert x.grad == 6.0
    x = Value(3.0)
    (x + x).backward()
    assert x.grad == 2.0


def test_diamond_and_reuse():
    x = Value(2.0)
    a = x * 3          # 6
    b = a * a + a      # a used three times: d/da = 2a + 1 = 13
    c = b * x          # x used twice overall
    c.backward()
    # c = (9x^2 + 3x) x = 9x^3 + 3x^2, dc/dx = 27x^2 + 6x
    assert x.grad == pytest.approx(27 * 4 + 12)
    assert a.grad == pytest.approx((2 * 6 + 1) * 2)


def test_backward_accumulates_like_pytorch_and_zero_grad_resets():
    x = Value(1.5)
    y = (x * x).tanh() + x
    y.backward()
    first = x.grad
    y.backward()
    assert x.grad == pytest.approx(2 * first, rel=1e-15)
    zero_grad(y)
    assert all(v.grad == 0.0 for v in topological_order(y))
    y.backward(gradient=0.5)
    assert x.grad == pytest.approx(0.5 * first, rel=1e-15)


# --- a chain of 100,000 operations ----------------------------------------------
def test_chain_of_100000_operations_has_no_recursion_error():
    n = 100_000
    x = Value(1.0, label="x")
    y = x
    for _ in range(n):
        y = y * 1.00001
    assert len(topological_order(y)) == 2 * n + 1  # x, n constants and n products
    y.backward()
    assert x.grad == pytest.approx(1.00001 ** n, rel=1e-9)
    assert y.data == pytest.approx(1.00001 ** n, rel=1e-9)


# --- errors -------------------------------------------------------------------------
def test_log_of_non_positive_is_a_value_error_naming_log():
    for bad in (0.0, -1.0):
        with pytest.raises(ValueError, match="log"):
            Value(bad).log()


def test_division_by_zero_names_division():
    with pytest.raises(ZeroDivisionError, match="division"):
        Value(1.0) / 0
    with pytest.raises(ZeroDivisionError, match="division"):
        1.0 / Value(0.0)
    with pytest.raises(ZeroDivisionError, match="power"):
        Value(0.0) ** -1


def test_power_domain_errors():
    with pytest.raises(ValueError, match="power"):
        Value(-8.0) ** (1 / 3)
    assert (Value(-2.0) ** 3).data == -8.0
    with pytest.raises(ValueError, match="positive base"):
        Value(-2.0) ** Value(2.0)
    with pytest.raises(ZeroDivisionError, match="infinite"):
        (Value(0.0) ** 0.5).backward()


def test_exp_overflow_names_exp_and_sigmoid_is_stable():
    with pytest.raises(OverflowError, match="exp"):
        Value(1000.0).exp()
    for a, expected in ((1000.0, 1.0), (-1000.0, 0.0)):
        x = Value(a)
        s = x.sigmoid()
        s.backward()
        assert s.data == expected and x.grad == 0.0


def test_bad_arguments():
    with pytest.raises(TypeError, match="data"):
        Value("1.0")
    with pytest.raises(ValueError, match="data"):
        Value(float("nan"))
    with pytest.raises(TypeError, match="label"):
        Value(1.0, label=3)
    with pytest.raises(TypeError):
        Value(1.0) + "a"
    with pytest.raises(TypeError):
        Value(1.0) ** "a"
    with pytest.raises(TypeError, match="f"):
        grad(3)
    with pytest.raises(TypeError, match="Value"):
        grad(lambda x: "no")(1.0)
    with pytest.raises(TypeError, match="root"):
        topological_order(1.0)


# --- helpers ------------------------------------------------------------------------
def test_grad_helper():
    # f(x, y) = x^2 y + e^y, gradient (2xy, x^2 + e^y)
    df = grad(lambda x, y: x ** 2 * y + y.exp())
    assert_allclose(df(1.5, 0.3), (2 * 1.5 * 0.3, 1.5 ** 2 + math.exp(0.3)), rtol=1e-14)
    assert grad(lambda x: 3.0)(2.0) == (0.0,)
    assert df(Value(1.5), 0.3) == df(1.5, 0.3)


def test_trace_lists_nodes_and_edges():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    d = a * b
    out = (d + d.tanh()) * a
    out.backward()
    g = trace(out)
    assert g.nodes[-1] is out
    assert len(g.nodes) == len({id(v) for v in g.nodes}) == 6
    expected_edges = {(g.nodes.index(p), j) for j, v in enumerate(g.nodes) for p in v.parents}
    assert set(g.edges) == expected_edges and len(g.edges) == 7
    rows = g.table()
    assert [r["node"] for r in rows] == list(range(6))
    assert rows[-1]["op"] == "*" and rows[-1]["grad"] == 1.0
    assert rows[0]["label"] == "a" and rows[0]["grad"] == a.grad


def test_repr_is_readable():
    x = Value(2.5, label="x")
    assert repr(x) == "Value(data=2.5, grad=0, label='x')"
    assert "op='*'" in repr(x * 2)


def test_computation_graph_figure_draws_every_node_and_edge_left_to_right():
    import matplotlib.pyplot as plt

    from mlcalc.plot import computation_graph

    x1, w1, x2, w2, b = (Value(v, label=n) for v, n in [(2.0, "x1"), (-3.0, "w1"), (0.0, "x2"), (1.0, "w2"),
                                                         (6.88, "b")])
    out = (x1 * w1 + x2 * w2 + b).tanh()
    out.backward()
    g = trace(out)
    fig = computation_graph(out)
    ax = fig.axes[0]
    assert len(ax.texts) == len(g.nodes) and len(ax.patches) == len(g.edges)
    centres = [text.get_position() for text in ax.texts]
    for i, j in g.edges:
        assert centres[i][0] < centres[j][0]  # data flows left to right
    assert f"grad {x1.grad:.4g}" in ax.texts[0].get_text()
    plt.close(fig)
    y = x1
    for _ in range(30):
        y = y * 1.5
    with pytest.raises(ValueError, match="max_nodes"):
        computation_graph(y)
    with pytest.raises(TypeError, match="Value"):
        computation_graph(3.0)
