"""The helpers of mlcalc.plot._core that several topics share, and the errors they give through the figures."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from mlcalc.optim import OptimizeResult
from mlcalc.plot import (constraint_geometry, contour_with_gradients, descent_path_on_contours,
                         histogram_with_density, log_likelihood_contours, loss_curves)
from mlcalc.plot._core import _labelled, _values_on_rectangle


def _check(item: object, where: str) -> str:
    return f"{where}={item}"


def test_labelled_converts_each_item_of_a_mapping_under_its_label():
    assert _labelled({"a": 1, 2: 3}, "runs", _check, "single") == {"a": "runs['a']=1", "2": "runs[2]=3"}


def test_labelled_puts_a_single_item_under_the_given_label():
    assert _labelled(5, "runs", _check, "single") == {"single": "runs=5"}


def test_labelled_refuses_an_empty_mapping_by_name():
    with pytest.raises(ValueError, match="^runs must not be empty$"):
        _labelled({}, "runs", _check, "single")


def test_values_on_rectangle_is_the_function_on_the_meshgrid():
    X, Y, Z = _values_on_rectangle(lambda p: p[0] + 10 * p[1], (0.0, 1.0), (-1.0, 1.0), 3, "fun")
    assert X.shape == Y.shape == Z.shape == (3, 3)
    assert X[0].tolist() == [0.0, 0.5, 1.0]
    assert Y[:, 0].tolist() == [-1.0, 0.0, 1.0]
    np.testing.assert_allclose(Z, X + 10 * Y)


def test_values_on_rectangle_keeps_undefined_values_as_nan():
    _, _, Z = _values_on_rectangle(lambda p: np.log(p[0]), (-1.0, 1.0), (0.0, 1.0), 3, "fun")
    assert np.isnan(Z[:, :2]).all() and Z[:, 2].tolist() == [0.0, 0.0, 0.0]


def test_values_on_rectangle_refuses_a_function_finite_nowhere_by_name():
    with pytest.raises(ValueError, match="^loss is not finite anywhere on the grid given by xlim and ylim$"):
        _values_on_rectangle(lambda p: np.nan, (0.0, 1.0), (0.0, 1.0), 4, "loss")


@pytest.mark.parametrize("draw, message", [
    (lambda: descent_path_on_contours(lambda p: np.nan, np.zeros((2, 2)), xlim=(-1, 1), ylim=(-1, 1), n_grid=5),
     "fun is not finite anywhere"),
    (lambda: contour_with_gradients(lambda p: np.nan, xlim=(-1, 1), ylim=(-1, 1), n_grid=5),
     "f is not finite anywhere"),
    (lambda: constraint_geometry(lambda p: np.nan, lambda p: p[0], xlim=(-1, 1), ylim=(-1, 1), n_grid=5),
     "fun is not finite anywhere"),
    (lambda: log_likelihood_contours(lambda p: np.nan, xlim=(-1, 1), ylim=(-1, 1), n_grid=5),
     "log_likelihood is not finite anywhere"),
    (lambda: descent_path_on_contours(lambda p: p @ p, {}, xlim=(-1, 1), ylim=(-1, 1)), "paths must not be empty"),
    (lambda: histogram_with_density([0.0, 1.0], {}), "densities must not be empty"),
])
def test_figures_name_the_argument_that_is_wrong(draw, message):
    with pytest.raises(ValueError, match=message):
        draw()
    plt.close("all")


def test_a_density_that_is_not_callable_is_named_by_its_label():
    with pytest.raises(TypeError, match=r"densities\['wide'\] must be callable"):
        histogram_with_density([0.0, 1.0], {"wide": 3})


def test_an_optimize_result_without_history_is_named():
    with pytest.raises(TypeError, match=r"^runs\['a'\] is an OptimizeResult without a history$"):
        loss_curves({"a": OptimizeResult(x=1.0)})


def test_single_densities_and_labelled_paths_keep_their_legend_entries():
    fig = histogram_with_density(np.linspace(-1.0, 1.0, 50), lambda x: np.full_like(x, 0.5))
    assert [line.get_label() for line in fig.axes[0].get_lines()] == ["density"]
    plt.close(fig)
    path = np.array([[1.0, 1.0], [0.5, 0.2], [0.0, 0.0]])
    fig = descent_path_on_contours(lambda p: p @ p, {"run": path}, xlim=(-2, 2), ylim=(-2, 2), n_grid=20)
    assert fig.axes[0].get_lines()[0].get_label() == "run"
    plt.close(fig)
    fig = descent_path_on_contours(lambda p: p @ p, path, xlim=(-2, 2), ylim=(-2, 2), n_grid=20)
    assert fig.axes[0].get_lines()[0].get_label() == "_path"
    plt.close(fig)
