"""Tests for the figures of the chapter "Integrals" in mlcalc.plot.

What is drawn is checked against independent references: the shaded areas
against scipy.integrate.quad, the rectangles against the integrand evaluated
at the rule's sample points, the trapezoids against scipy.integrate.trapezoid,
and the fitted slopes against scipy.stats.linregress.
"""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.collections import PolyCollection
from matplotlib.patches import Polygon, Rectangle
from scipy import integrate, stats

from mlcalc.plot import area_under_curve, convergence_plot, riemann_rectangles


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def shoelace(vertices: np.ndarray) -> float:
    """Area of a simple polygon from its vertices."""
    x, y = vertices[:, 0], vertices[:, 1]
    return 0.5 * abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))


def shaded_area(ax, label: str) -> float:
    """Total area of the fill_between regions carrying ``label``."""
    total = 0.0
    for collection in ax.collections:
        if isinstance(collection, PolyCollection) and collection.get_label() == label:
            for path in collection.get_paths():
                for polygon in path.to_polygons():
                    total += shoelace(polygon)
    return total


# --- area_under_curve ----------------------------------------------------------

def test_area_under_curve_shades_positive_and_negative_parts_like_quad():
    fig = area_under_curve(np.sin, 0.0, 5.0, num=4001)
    ax = fig.axes[0]
    above = shaded_area(ax, "area above the axis (counts +)")
    below = shaded_area(ax, "area below the axis (counts −)")
    expected_above = integrate.quad(lambda x: max(math.sin(x), 0.0), 0.0, 5.0, points=[math.pi])[0]
    expected_below = integrate.quad(lambda x: max(-math.sin(x), 0.0), 0.0, 5.0, points=[math.pi])[0]
    assert above == pytest.approx(expected_above, rel=1e-5)
    assert below == pytest.approx(expected_below, rel=1e-5)
    assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()


def test_area_under_curve_positive_function_has_no_negative_region():
    fig = area_under_curve(lambda x: 1.0 + x ** 2, -1.0, 2.0, num=2001)
    ax = fig.axes[0]
    labels = [c.get_label() for c in ax.collections]
    assert "area below the axis (counts −)" not in labels
    assert shaded_area(ax, "area above the axis (counts +)") == pytest.approx(6.0, rel=1e-5)


def test_area_under_curve_accepts_scalar_only_functions_and_given_axes():
    fig, ax = plt.subplots()
    returned = area_under_curve(lambda x: math.exp(-x * x), -2.0, 2.0, ax=ax, num=2001)
    assert returned is fig
    assert shaded_area(ax, "area above the axis (counts +)") == pytest.approx(
        math.sqrt(math.pi) * math.erf(2.0), rel=1e-5)


@pytest.mark.parametrize("kwargs, error", [
    (dict(f=3.0, a=0.0, b=1.0), TypeError),
    (dict(f=np.sin, a=1.0, b=0.0), ValueError),
    (dict(f=np.sin, a="0", b=1.0), TypeError),
    (dict(f=np.sin, a=0.0, b=1.0, num=1), ValueError),
    (dict(f=np.sin, a=0.0, b=1.0, ax="axes"), TypeError),
    (dict(f=np.log, a=-1.0, b=1.0), ValueError),
])
def test_area_under_curve_rejects_bad_input(kwargs, error):
    with np.errstate(all="ignore"), pytest.raises(error):
        area_under_curve(**kwargs)


# --- riemann_rectangles ----------------------------------------------------------

@pytest.mark.parametrize("rule, offset", [("left", 0.0), ("right", 1.0), ("midpoint", 0.5)])
def test_rectangles_sit_on_the_grid_with_heights_at_the_sample_points(rule, offset):
    f, a, b, n = np.cos, -1.0, 2.0, 7
    fig = riemann_rectangles(f, a, b, n, rule=rule)
    bars = [p for p in fig.axes[0].patches if isinstance(p, Rectangle)]
    assert len(bars) == n
    h = (b - a) / n
    for i, bar in enumerate(sorted(bars, key=lambda p: p.get_x())):
        assert bar.get_x() == pytest.approx(a + i * h)
        assert bar.get_width() == pytest.approx(h)
        assert bar.get_height() == pytest.approx(math.cos(a + (i + offset) * h))


@given(n=st.integers(min_value=1, max_value=40), rule=st.sampled_from(["left", "right", "midpoint"]))
@settings(max_examples=15, deadline=None)
def test_total_rectangle_area_is_the_riemann_sum(n, rule):
    f, a, b = (lambda x: np.exp(x) - 1.5), 0.0, 1.0
    fig = riemann_rectangles(f, a, b, n, rule=rule)
    signed_area = sum(p.get_width() * p.get_height() for p in fig.axes[0].patches)
    h = (b - a) / n
    offset = {"left": 0.0, "right": 1.0, "midpoint": 0.5}[rule]
    # Independent reference: the sum written out with math.fsum.
    expected = math.fsum((math.exp(a + (i + offset) * h) - 1.5) * h for i in range(n))
    assert signed_area == pytest.approx(expected, rel=1e-12, abs=1e-12)
    plt.close(fig)


def test_many_rectangles_fill_the_area_given_by_quad():
    fig = riemann_rectangles(lambda x: x ** 3 - x, -1.0, 2.0, 400, rule="midpoint")
    signed_area = sum(p.get_width() * p.get_height() for p in fig.axes[0].patches)
    assert signed_area == pytest.approx(integrate.quad(lambda x: x ** 3 - x, -1.0, 2.0)[0], rel=1e-4)


def test_trapezoids_match_scipy_trapezoid():
    f, a, b, n = (lambda x: np.sqrt(x) * np.sin(3 * x)), 0.0, 2.0, 9
    fig = riemann_rectangles(f, a, b, n, rule="trapezoid")
    polygons = [p for p in fig.axes[0].patches if isinstance(p, Polygon)]
    assert len(polygons) == n
    # Each trapezoid lies on one side of the axis except where f changes sign;
    # compare signed areas: (f(x_i) + f(x_{i+1})) h / 2 through the vertices.
    nodes = np.linspace(a, b, n + 1)
    signed = 0.0
    for polygon in polygons:
        xy = polygon.get_xy()
        width = xy[2, 0] - xy[0, 0]
        signed += width * (xy[1, 1] + xy[2, 1]) / 2
    assert signed == pytest.approx(integrate.trapezoid(f(nodes), nodes), rel=1e-12)


def test_riemann_rectangles_title_and_legend():
    fig = riemann_rectangles(np.sin, 0.0, np.pi, 5, rule="right")
    ax = fig.axes[0]
    assert "Right" in ax.get_title() and "n = 5" in ax.get_title()
    assert ax.get_legend() is not None


@pytest.mark.parametrize("kwargs, error", [
    (dict(n=0), ValueError),
    (dict(n=2.5), TypeError),
    (dict(n=True), TypeError),
    (dict(rule="simpson"), ValueError),
    (dict(b=-1.0), ValueError),
    (dict(f="sin"), TypeError),
])
def test_riemann_rectangles_rejects_bad_input(kwargs, error):
    arguments = dict(f=np.sin, a=0.0, b=1.0, n=4) | kwargs
    with pytest.raises(error):
        riemann_rectangles(**arguments)


# --- convergence_plot ------------------------------------------------------------

def test_convergence_plot_recovers_known_orders():
    n = np.array([8, 16, 32, 64, 128, 256])
    fig, slopes = convergence_plot(n, {"O(h)": 2.0 / n, "O(h^2)": 0.3 / n ** 2, "O(h^4)": 5.0 / n ** 4})
    assert slopes["O(h)"] == pytest.approx(-1.0, abs=1e-12)
    assert slopes["O(h^2)"] == pytest.approx(-2.0, abs=1e-12)
    assert slopes["O(h^4)"] == pytest.approx(-4.0, abs=1e-12)
    ax = fig.axes[0]
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["O(h) (slope -1.00)", "O(h^2) (slope -2.00)", "O(h^4) (slope -4.00)"]


@given(seed=st.integers(min_value=0, max_value=2 ** 32 - 1))
@settings(max_examples=20, deadline=None)
def test_convergence_plot_slope_is_the_least_squares_slope(seed):
    rng = np.random.default_rng(seed)
    n = np.sort(rng.uniform(1.0, 1e4, size=8))
    errors = np.exp(rng.normal(size=8)) * n ** rng.uniform(-5, 0)
    fig, slopes = convergence_plot(n, {"noisy": errors})
    assert slopes["noisy"] == pytest.approx(stats.linregress(np.log(n), np.log(errors)).slope, abs=1e-9)
    plt.close(fig)


def test_convergence_plot_on_real_quadrature_errors():
    # Composite trapezoid rule written out here, against the exact integral 2 of sin on [0, pi].
    n = np.array([4, 8, 16, 32, 64])
    errors = [abs(integrate.trapezoid(np.sin(np.linspace(0, np.pi, k + 1)), dx=np.pi / k) - 2.0) for k in n]
    _, slopes = convergence_plot(n, {"trapezoid": errors})
    assert slopes["trapezoid"] == pytest.approx(-2.0, abs=0.05)


@pytest.mark.parametrize("n, errors, error", [
    ([10], {"a": [0.1]}, ValueError),
    ([10, 20], {"a": [0.1, 0.0]}, ValueError),
    ([0, 20], {"a": [0.1, 0.01]}, ValueError),
    ([10, 20], {"a": [0.1, 0.01, 0.001]}, ValueError),
    ([10, 20], {}, TypeError),
    ([10, 20], [0.1, 0.01], TypeError),
    ([10, 20], {"a": ["x", "y"]}, TypeError),
])
def test_convergence_plot_rejects_bad_input(n, errors, error):
    with pytest.raises(error):
        convergence_plot(n, errors)
