"""Tests for mlcalc.testing: honest answers pass, wrong and tricky answers fail."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mlcalc.testing import assert_bool, assert_close, assert_grad, no_warnings


def fails(actual, expected, match: str | None = None, **kwargs) -> str:
    """Assert that assert_close rejects ``actual`` and return the message."""
    with pytest.raises(AssertionError, match=match) as info:
        assert_close(actual, expected, **kwargs)
    return str(info.value)


# --- honest answers pass -----------------------------------------------------

@pytest.mark.parametrize("actual, expected", [
    (1.0, 1.0),
    (3, 3.0),
    (0.1 + 0.2, 0.3),
    (np.float64(2.5), 2.5),
    (np.float32(0.5), 0.5),
    (np.int64(7), 7),
    (np.uint8(200), 200),
    (np.array(4.0), 4.0),
    (np.array([1, 2, 3]), [1.0, 2.0, 3.0]),
    (np.array([[1.0, 2.0], [3.0, 4.0]]), [[1, 2], [3, 4]]),
    ([1, 2.0, np.float64(3)], np.array([1.0, 2.0, 3.0])),
    ((1.0, 2.0), [1.0, 2.0]),
    ([[1.0, 2.0], [3.0, 4.0]], np.array([[1.0, 2.0], [3.0, 4.0]])),
    ([np.array([1.0, 2.0]), np.array([3.0, 4.0])], [[1, 2], [3, 4]]),
    ([], np.zeros(0)),
])
def test_genuine_numbers_pass(actual, expected):
    assert_close(actual, expected)


def test_tolerances_follow_numpy_rule():
    assert_close(1.0 + 1e-8, 1.0)                       # |diff| = 1e-8 <= 1e-7
    fails(1.0 + 1e-6, 1.0)
    assert_close(1.0 + 1e-6, 1.0, rtol=1e-5)
    assert_close(1e-12, 0.0, atol=1e-10)
    fails(1e-12, 0.0)                                   # rtol alone cannot accept anything near 0


@given(st.floats(-1e6, 1e6), st.floats(-1e6, 1e6))
def test_agrees_with_numpy_isclose(actual, expected):
    honest = bool(np.isclose(actual, expected, rtol=1e-7, atol=1e-9))
    try:
        assert_close(actual, expected, rtol=1e-7, atol=1e-9)
        passed = True
    except AssertionError:
        passed = False
    assert passed == honest


def test_input_does_not_get_modified():
    answer = np.array([1.0, 2.0])
    assert_close(answer, [1.0, 2.0])
    assert answer.tolist() == [1.0, 2.0]


# --- wrong answers fail with a helpful message -------------------------------

def test_scalar_message_names_quantity_expected_got_and_error():
    message = fails(0.9983, 1.0, name="limit_estimate(f, 0)")
    assert message == ("limit_estimate(f, 0): expected 1.0 (within rtol=1e-07, atol=0), "
                       "got 0.9983 — off by 1.7e-03")


def test_input_description_is_included():
    assert "(input: x=2)" in fails(1.0, 2.0, name="f'", input="x=2")


def test_array_message_reports_worst_index_and_count():
    message = fails(np.array([[1.0, 2.0], [3.0, 9.0]]), [[1.0, 2.1], [3.0, 4.0]])
    assert "2 of 4 entries" in message
    assert "worst at index (1, 1)" in message
    assert "expected 4.0, got 9.0" in message


@pytest.mark.parametrize("actual, expected, fragment", [
    (np.zeros(3), np.zeros((3, 1)), "expected shape (3, 1), got shape (3,)"),
    (np.zeros((3, 1)), np.zeros(3), "expected shape (3,), got shape (3, 1)"),
    (np.zeros(1), 0.0, "expected a single number"),
    (0.0, np.zeros(2), "got a single number"),
    ([1.0, 2.0], [[1.0, 2.0]], "shape"),
])
def test_wrong_shape_fails_without_broadcasting(actual, expected, fragment):
    assert fragment in fails(actual, expected)


# --- tricks a naive comparison would accept -----------------------------------

class AlwaysEqualFloat(float):
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = float.__hash__

    def __sub__(self, other):
        return 0.0

    def __abs__(self):
        return 0.0


class ArrayLike:
    """Pretends to be whatever array is expected."""

    def __array__(self, dtype=None, copy=None):
        return np.array([1.0, 2.0, 3.0])

    def __len__(self):
        return 3


class FloatLike:
    def __float__(self):
        return 1.0

    def __eq__(self, other):
        return True


class UfuncHijacker:
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        return np.zeros(3) if ufunc is np.subtract else np.ones(3, dtype=bool)

    def __array__(self, dtype=None, copy=None):
        return np.array([1.0, 2.0, 3.0])


class SneakyArray(np.ndarray):
    def __eq__(self, other):
        return np.ones(self.shape, dtype=bool)

    def __sub__(self, other):
        return np.zeros(self.shape)


class LyingClass:
    """Claims to be a float through ``__class__``; isinstance would believe it."""

    @property
    def __class__(self):
        return float


class EqualsEverythingMeta(type):
    def __eq__(cls, other):
        return True

    __hash__ = type.__hash__


class MetaTrick(metaclass=EqualsEverythingMeta):
    pass


class IntSubclass(int):
    pass


@pytest.mark.parametrize("cheat, expected, fragment", [
    pytest.param(AlwaysEqualFloat(99.0), 1.0, "subclass of float", id="always-equal-float"),
    pytest.param(IntSubclass(1), 1, "subclass of int", id="int-subclass"),
    pytest.param(ArrayLike(), [1.0, 2.0, 3.0], "type ArrayLike", id="array-protocol"),
    pytest.param(FloatLike(), 1.0, "type FloatLike", id="float-protocol"),
    pytest.param(UfuncHijacker(), [1.0, 2.0, 3.0], "type UfuncHijacker", id="ufunc-hijacker"),
    pytest.param(np.array([5.0, 5.0]).view(SneakyArray), [1.0, 2.0], "subclass of ndarray", id="sneaky-array-wrong"),
    pytest.param(np.array([1.0, 2.0]).view(SneakyArray), [1.0, 2.0], "subclass of ndarray", id="sneaky-array-right"),
    pytest.param(LyingClass(), 1.0, "type LyingClass", id="lying-class"),
    pytest.param(MetaTrick(), 1.0, "type MetaTrick", id="metaclass"),
    pytest.param([1.0, AlwaysEqualFloat(7.0)], [1.0, 2.0], "subclass of float", id="list-with-cheat"),
    pytest.param(np.ma.masked_array([1.0, 2.0], mask=[False, True]), [1.0, 5.0], "subclass of ndarray", id="masked-array"),
    pytest.param(np.array([1.0, 2.0], dtype=object), [1.0, 2.0], "dtype object", id="object-dtype"),
])
def test_tricky_objects_are_rejected(cheat, expected, fragment):
    assert fragment in fails(cheat, expected)


def test_even_the_correct_value_inside_a_subclass_is_rejected():
    # A float subclass carrying the right number still could override anything.
    fails(AlwaysEqualFloat(1.0), 1.0, match="plain float")


@pytest.mark.parametrize("actual, fragment", [
    ("1.0", "string"),
    (b"1.0", "string"),
    (None, "None"),
    (True, "boolean"),
    (np.bool_(True), "boolean"),
    (1 + 0j, "complex"),
    (np.complex128(1.0), "complex"),
    (np.array([1.0 + 0j]), "dtype complex128"),
    (np.array([True]), "dtype bool"),
    (np.array(["1"]), "dtype <U1"),
    ({1.0}, "type set"),
    (10 ** 400, "too large"),
    (print, "type builtin_function_or_method"),
])
def test_non_numbers_are_rejected(actual, fragment):
    expected = [1.0] if isinstance(actual, np.ndarray) else 1.0
    assert fragment in fails(actual, expected)


def test_ragged_and_self_referential_lists_are_rejected():
    fails([[1.0, 2.0], [3.0]], [[1.0, 2.0], [3.0, 4.0]], match="ragged")
    loop: list = []
    loop.append(loop)
    fails(loop, 1.0, match="nested")


def test_list_subclass_is_rejected():
    class MyList(list):
        pass

    fails(MyList([1.0]), [1.0], match="subclass of list")


# --- NaN and infinity ----------------------------------------------------------

@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, np.float64("nan")])
def test_nonfinite_answer_fails_by_default(bad):
    assert "NaN or infinity" in fails(bad, 1.0)


def test_nan_in_array_is_located():
    assert "at index (1,)" in fails(np.array([1.0, np.nan]), [1.0, 2.0])


def test_nonfinite_passes_only_where_expected_when_allowed():
    assert_close(math.nan, math.nan, allow_nonfinite=True)
    assert_close(np.array([1.0, math.inf]), [1.0, math.inf], allow_nonfinite=True)
    fails(math.nan, math.nan)                          # not allowed by default
    fails(-math.inf, math.inf, allow_nonfinite=True)   # wrong sign
    fails(math.nan, 1.0, allow_nonfinite=True)
    fails(1.0, math.nan, allow_nonfinite=True)         # finite where NaN is expected
    fails(1e300, math.inf, allow_nonfinite=True)


# --- assert_bool -----------------------------------------------------------------

def test_assert_bool():
    assert_bool(True, True)
    assert_bool(False, False)
    assert_bool(np.bool_(False), False)
    with pytest.raises(AssertionError, match="expected True, got False"):
        assert_bool(False, True)
    for cheat in (1, 0, "True", None, AlwaysEqualFloat(1.0), np.array([True])):
        with pytest.raises(AssertionError, match="expected True or False"):
            assert_bool(cheat, True)


# --- assert_grad -----------------------------------------------------------------

def rosenbrock(v):
    return (1 - v[0]) ** 2 + 100 * (v[1] - v[0] ** 2) ** 2


def rosenbrock_grad(v):
    return np.array([-2 * (1 - v[0]) - 400 * v[0] * (v[1] - v[0] ** 2), 200 * (v[1] - v[0] ** 2)])


def test_assert_grad_accepts_the_true_gradient():
    assert_grad(rosenbrock, rosenbrock_grad, [-1.2, 1.0])
    assert_grad(np.sin, np.cos, 0.7)


def test_assert_grad_rejects_wrong_gradients():
    with pytest.raises(AssertionError, match="worst at index"):
        assert_grad(rosenbrock, lambda v: rosenbrock_grad(v) * [1.0, 1.001], [-1.2, 1.0])
    with pytest.raises(AssertionError, match="expected shape"):
        assert_grad(rosenbrock, lambda v: rosenbrock_grad(v)[:, None], [-1.2, 1.0])
    with pytest.raises(AssertionError, match="subclass of float"):
        assert_grad(np.sin, lambda x: AlwaysEqualFloat(0.0), 0.7)


def test_assert_grad_does_not_let_grad_modify_the_point():
    def grad_that_moves_x(v):
        v += 10.0
        return rosenbrock_grad(v - 10.0)

    x = np.array([0.5, 0.5])
    assert_grad(rosenbrock, grad_that_moves_x, x)
    assert x.tolist() == [0.5, 0.5]


# --- no_warnings: a warning becomes a message naming the call ------------------

def test_no_warnings_passes_quiet_code_and_returns_nothing_printed(recwarn):
    with no_warnings("np.exp(1.0)"):
        value = np.exp(1.0)
    assert value == pytest.approx(math.e)
    assert len(recwarn) == 0


@pytest.mark.parametrize("action, fragments", [
    (lambda: np.exp(np.float64(1000.0)), ["overflow encountered in exp", "too large for a float", "np.exp"]),
    (lambda: np.log(np.zeros(2)), ["divide by zero", "log of 0"]),
    (lambda: np.zeros(1) / np.zeros(1), ["invalid value", "0/0"]),
])
def test_no_warnings_names_the_call_the_input_the_warning_and_its_meaning(action, fragments):
    with pytest.raises(AssertionError) as info:
        with no_warnings("softplus(x)", input="x = 1000"):
            action()
    message = str(info.value)
    assert message.startswith("softplus(x) (input: x = 1000) raised a warning")
    assert "RuntimeWarning" in message and "fails the test when your work is graded" in message
    for fragment in fragments:
        assert fragment in message, (fragment, message)


def test_no_warnings_quotes_the_line_and_counts_further_warnings():
    def student(z):
        first = np.exp(z)
        second = 1.0 / (1.0 + np.exp(z))
        return first, second

    with pytest.raises(AssertionError, match=r"in the line `first = np.exp\(z\)`.*1 more warning followed"):
        with no_warnings("sigmoid"):
            student(np.float64(1000.0))


def test_no_warnings_catches_warnings_shown_before_and_non_numpy_warnings():
    import warnings
    for _ in range(2):  # the second time the default filter would no longer print it
        with pytest.raises(AssertionError, match="UserWarning: careful"):
            with no_warnings():
                warnings.warn("careful")


def test_no_warnings_lets_an_exception_of_the_code_through():
    with pytest.raises(ZeroDivisionError):
        with no_warnings("f(0)"):
            np.exp(np.float64(1000.0))
            1 / 0

