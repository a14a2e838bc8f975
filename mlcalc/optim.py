r"""Optimizers: gradient descent and its adaptive variants, Newton's method, BFGS.

Every minimizer follows the contract of ``scipy.optimize.minimize``: it
returns an :class:`OptimizeResult` with the fields ``x, fun, jac, nit, nfev,
njev, success, status, message``, and a ``callback(intermediate_result)`` may
raise ``StopIteration`` to stop the run early. On top of scipy's contract each
result carries the full ``history`` of iterates, losses and gradient norms, so
that a chapter can plot a run without writing the loop by hand.

==========  ==============================================================
``status``  meaning
==========  ==============================================================
0           converged: the infinity norm of the gradient is at most ``tol``
1           ``max_iter`` reached (for :func:`sgd`: all epochs done)
2           diverged: the loss or the gradient is not finite
3           stopped by the callback (it raised ``StopIteration``)
4           the line search failed (:func:`bfgs`, :func:`newton` with
            ``line_search=True``)
5           the Hessian (or, in :func:`newton_root`, the derivative) is
            singular, so the Newton step is undefined
==========  ==============================================================

The update rules of the first-order methods live in one place, the stateful
optimizer classes (:class:`SGD`, :class:`Momentum`, :class:`AdaGrad`,
:class:`RMSProp`, :class:`Adam`) that a training loop calls once per
mini-batch. The functions :func:`gradient_descent`, :func:`momentum`,
:func:`nesterov`, :func:`adagrad`, :func:`rmsprop` and :func:`adam` run one of
these classes on a single parameter vector.

See the chapters 'Gradient descent', 'Optimization' and 'Calculus in deep
learning'.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np
import scipy.optimize

from mlcalc._validation import as_float_array, check_callable, check_int, check_positive, check_real

__all__ = [
    "OptimizeResult",
    "History",
    "LineSearchResult",
    "Optimizer",
    "SGD",
    "Momentum",
    "AdaGrad",
    "RMSProp",
    "Adam",
    "gradient_descent",
    "momentum",
    "nesterov",
    "adagrad",
    "rmsprop",
    "adam",
    "sgd",
    "newton",
    "newton_root",
    "line_search",
    "bfgs",
]

CONVERGED, MAX_ITER, DIVERGED, CALLBACK_STOP, LINE_SEARCH_FAILED, SINGULAR = range(6)


# ---------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------

@dataclass(frozen=True, repr=False)
class History:
    """The path of an optimizer: one row per recorded iterate, ``x0`` first.

    Attributes
    ----------
    x : numpy.ndarray, shape (n_records, dim)
        The iterates; row 0 is the starting point.
    fun : numpy.ndarray, shape (n_records,)
        The loss at each iterate (for :func:`newton_root`, the residual
        :math:`f(x_k)`).
    grad_norm : numpy.ndarray, shape (n_records,)
        The infinity norm :math:`\\max_i |\\partial_i f(x_k)|` of the gradient,
        the quantity compared with ``tol`` (for :func:`newton_root`,
        :math:`|f'(x_k)|`).
    iteration : numpy.ndarray of int, shape (n_records,)
        The number of updates made before each record: ``0, 1, ..., nit`` for
        the iterative methods; the update count at the end of each epoch for
        :func:`sgd`.

    For every method except :func:`sgd`, ``n_records == nit + 1``. ``loss``
    is another name for ``fun``.
    """

    x: np.ndarray
    fun: np.ndarray
    grad_norm: np.ndarray
    iteration: np.ndarray

    @property
    def loss(self) -> np.ndarray:
        """The losses, the same array as :attr:`fun`."""
        return self.fun

    def __len__(self) -> int:
        return len(self.fun)

    def __repr__(self) -> str:
        dim = self.x.shape[1] if self.x.ndim == 2 else 0
        return f"History({len(self)} records of x in dimension {dim}; fields x, fun, grad_norm, iteration)"


class OptimizeResult(scipy.optimize.OptimizeResult):
    """The outcome of a minimization: scipy's ``OptimizeResult`` with a ``history``.

    A ``dict`` whose keys can also be read and written as attributes
    (``res.x`` is ``res["x"]``), exactly as scipy's, of which it is a subclass.

    Attributes
    ----------
    x : numpy.ndarray
        The last iterate (the solution when ``success`` is true). Always a
        1-D array, also when ``x0`` was a scalar.
    fun : float
        The loss at ``x``.
    jac : numpy.ndarray
        The gradient at ``x``.
    nit : int
        Number of iterations (parameter updates).
    nfev, njev : int
        Number of calls of the loss and of the gradient (``nhev``: of the
        Hessian, for :func:`newton`).
    success : bool
        Whether the method stopped because it converged.
    status : int
        0 converged (gradient infinity norm at most ``tol``), 1 ``max_iter``
        reached, 2 diverged (non-finite loss or gradient), 3 stopped by the
        callback, 4 line search failed, 5 singular Hessian (or derivative).
    message : str
        The reason for stopping, in words.
    history : History
        Iterates, losses and gradient norms, starting at ``x0``.

    Examples
    --------
    >>> res = OptimizeResult(x=np.array([1.0, 2.0]), fun=0.5, success=True)
    >>> res.fun
    0.5
    >>> res["success"]
    True
    >>> import scipy.optimize
    >>> isinstance(res, scipy.optimize.OptimizeResult)
    True
    """


@dataclass(frozen=True)
class LineSearchResult:
    """The outcome of :func:`line_search`.

    Attributes
    ----------
    step : float
        The step length :math:`\\alpha` (the last one tried when ``success`` is false).
    fun : float
        :math:`f(x + \\alpha p)`.
    jac : numpy.ndarray
        :math:`\\nabla f(x + \\alpha p)`.
    nfev, njev : int
        Calls of the loss and of the gradient made by the search.
    success : bool
        Whether ``step`` satisfies the strong Wolfe conditions.
    message : str
    """

    step: float
    fun: float
    jac: np.ndarray
    nfev: int
    njev: int
    success: bool
    message: str


# ---------------------------------------------------------------------------
# Shared helpers: argument checks, evaluation, recording
# ---------------------------------------------------------------------------

def _check_fraction(value: Any, name: str) -> float:
    """A decay rate such as ``beta``: a real number in [0, 1)."""
    value = check_real(value, name)
    if not 0.0 <= value < 1.0:
        raise ValueError(f"{name} must be in [0, 1), got {value}")
    return value


def _check_callback(callback: Any) -> Callable | None:
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be callable or None, got {type(callback).__name__}")
    return callback


def _as_x0(x0: Any) -> np.ndarray:
    """``x0`` as a fresh 1-D float array (a scalar becomes a 1-element array)."""
    return as_float_array(x0, "x0", ndim=(0, 1)).reshape(-1).copy()


def _scalar(value: Any, name: str) -> float:
    """The value a loss function returned, as a float (a size-1 array is accepted)."""
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must return a real number, got {type(value).__name__}") from None
    if arr.size != 1:
        raise ValueError(f"{name} must return a scalar, got an array of shape {arr.shape}")
    return float(arr.reshape(()))


def _vector(value: Any, size: int, name: str) -> np.ndarray:
    """The value a gradient function returned, as a 1-D float array of ``size`` entries."""
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must return an array of real numbers, got {type(value).__name__}") from None
    if arr.size != size:
        raise ValueError(f"{name} must return an array with {size} entries (one per entry of x), "
                         f"got shape {arr.shape}")
    return arr.reshape(size).copy()


def _square(value: Any, size: int, name: str) -> np.ndarray:
    """The value a Hessian function returned, as a (size, size) float array."""
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must return an array of real numbers, got {type(value).__name__}") from None
    if arr.size != size * size:
        raise ValueError(f"{name} must return a ({size}, {size}) matrix, got shape {arr.shape}")
    return arr.reshape(size, size)


class _Counted:
    """A user's function (loss, gradient, Hessian) with its number of calls.

    Every call passes a copy of ``x`` (a user's function may modify its
    argument) and checks what comes back with ``check(value, name)``; the
    minimizers report ``calls`` as ``nfev``, ``njev`` and ``nhev``.
    """

    def __init__(self, function: Callable, name: str, check: Callable[[Any, str], Any]) -> None:
        self.function, self.name, self.check = function, name, check
        self.calls = 0

    def __call__(self, x: Any, *args: Any) -> Any:
        self.calls += 1
        return self.check(self.function(x.copy() if isinstance(x, np.ndarray) else x, *args), self.name)


def _counted(fun: Callable, grad: Callable, size: int, hess: Callable | None = None):
    """``fun``, ``grad`` (and ``hess``) of a problem in dimension ``size``, counted and checked."""
    counted = [_Counted(fun, "fun", _scalar),
               _Counted(grad, "grad", lambda value, name: _vector(value, size, name))]
    if hess is not None:
        counted.append(_Counted(hess, "hess", lambda value, name: _square(value, size, name)))
    return counted


def _max_iter_message(max_iter: int, value: float, tol: float, quantity: str = "the gradient norm") -> str:
    """The message of a run that used up ``max_iter`` iterations with ``quantity`` still above ``tol``."""
    return f"Stopped after max_iter = {max_iter} iterations; {quantity} {value:.3g} is still above tol = {tol:g}."


def _finite(f: float, g: np.ndarray) -> bool:
    return bool(np.isfinite(f) and np.all(np.isfinite(g)))


def _inf_norm(g: np.ndarray) -> float:
    return float(np.max(np.abs(g))) if g.size else 0.0


class _Recorder:
    """Collects the history of a run and builds the final :class:`OptimizeResult`."""

    def __init__(self) -> None:
        self.x: list[np.ndarray] = []
        self.fun: list[float] = []
        self.grad_norm: list[float] = []
        self.iteration: list[int] = []

    def record(self, x: np.ndarray, f: float, g: np.ndarray, iteration: int) -> None:
        self.x.append(np.array(x, dtype=float))
        self.fun.append(f)
        self.grad_norm.append(_inf_norm(g))
        self.iteration.append(iteration)

    def history(self) -> History:
        return History(x=np.array(self.x), fun=np.array(self.fun), grad_norm=np.array(self.grad_norm),
                       iteration=np.array(self.iteration, dtype=int))

    def result(self, x: np.ndarray, f: float, g: np.ndarray, *, nit: int, status: int, message: str,
               **counts: int) -> OptimizeResult:
        return OptimizeResult(x=np.array(x, dtype=float), fun=float(f), jac=np.array(g, dtype=float),
                              nit=int(nit), **counts, success=status == CONVERGED, status=status,
                              message=message, history=self.history())


def _call_callback(callback: Callable | None, x: np.ndarray, f: float, g: np.ndarray, nit: int,
                   **extra: Any) -> bool:
    """Call ``callback`` with a snapshot; return True when it asked to stop."""
    if callback is None:
        return False
    snapshot = OptimizeResult(x=np.array(x, dtype=float), fun=float(f), jac=np.array(g, dtype=float),
                              nit=int(nit), **extra)
    try:
        callback(snapshot)
    except StopIteration:
        return True
    return False


def _callback_message(nit: int) -> str:
    return f"Stopped by the callback (it raised StopIteration) after iteration {nit}."


def _not_finite_at_x0(f: float) -> str:
    return f"The loss or its gradient is not finite at x0 (loss = {f}); check fun, grad and x0."



def _start(fun: _Counted, grad: _Counted, x: np.ndarray, tol: float, rec: "_Recorder",
           *args: Any) -> tuple[float, np.ndarray, int, str]:
    """Evaluate the loss and gradient at x0, record them, and say whether the run is already over."""
    f = fun(x, *args)
    g = grad(x, *args)
    rec.record(x, f, g, 0)
    if not _finite(f, g):
        return f, g, DIVERGED, _not_finite_at_x0(f)
    if _inf_norm(g) <= tol:
        return f, g, CONVERGED, f"Converged: the gradient norm is at most tol = {tol:g} at x0."
    return f, g, MAX_ITER, ""

def _stop_check(callback: Callable | None, x: np.ndarray, f: float, g: np.ndarray, nit: int, tol: float,
                learning_rate: float | None = None) -> tuple[int, str] | None:
    """The checks after iteration ``nit``, in order: diverged, stopped by the callback, converged.

    Returns ``(status, message)`` when the run is over, None to go on.
    """
    if not _finite(f, g):
        return DIVERGED, _diverged_message(nit, f, g, learning_rate)
    if _call_callback(callback, x, f, g, nit):
        return CALLBACK_STOP, _callback_message(nit)
    if _inf_norm(g) <= tol:
        return CONVERGED, f"Converged: the gradient norm is at most tol = {tol:g} after {nit} iterations."
    return None


def _diverged_message(nit: int, f: float, g: np.ndarray, learning_rate: float | None) -> str:
    what = "loss" if not np.isfinite(f) else "gradient"
    text = f"Diverged at iteration {nit}: the {what} is not finite (loss = {f})."
    if learning_rate is not None:
        text += (f" The learning rate {learning_rate:g} is likely too large for this function; try a "
                 f"smaller one (on a quadratic, gradient descent needs learning_rate < 2/L, where L is "
                 f"the largest eigenvalue of the Hessian).")
    return text


# ---------------------------------------------------------------------------
# Stateful optimizers: the single home of each first-order update rule
# ---------------------------------------------------------------------------

class Optimizer:
    """Base class of the stateful first-order optimizers.

    Subclasses implement ``_update``, the rule for one parameter array.
    :meth:`step` applies it to every array of a list, in place, keeping a
    separate state (velocity, moment estimates) for each position in the list.
    """

    def __init__(self, learning_rate: float) -> None:
        self.learning_rate = check_positive(learning_rate, "learning_rate")
        self.t = 0
        self._state: list[dict[str, np.ndarray]] | None = None
        self._shapes: list[tuple[int, ...]] | None = None

    def _hyperparameters(self) -> dict[str, Any]:
        return {"learning_rate": self.learning_rate}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._hyperparameters().items())
        return f"{type(self).__name__}({args})"

    def reset(self) -> None:
        """Forget the state (velocities, moment estimates, step counter)."""
        self.t = 0
        self._state = None
        self._shapes = None

    def step(self, params: Sequence[np.ndarray], grads: Sequence[np.ndarray]) -> None:
        """Update every array of ``params`` in place, using the matching entry of ``grads``.

        Parameters
        ----------
        params : list of numpy.ndarray
            Float arrays, modified in place. The optimizer keeps its state per
            position in this list, so pass the arrays in the same order at
            every call (call :meth:`reset` to start over with other arrays).
        grads : list of numpy.ndarray
            The gradients of the loss with respect to each array, same shapes.
        """
        if isinstance(params, np.ndarray) or isinstance(grads, np.ndarray):
            raise TypeError("params and grads must be lists of arrays (wrap a single array as [array])")
        params, grads = list(params), list(grads)
        if len(params) != len(grads):
            raise ValueError(f"params and grads must have the same length, got {len(params)} and {len(grads)}")
        for i, (p, g) in enumerate(zip(params, grads)):
            if not isinstance(p, np.ndarray) or p.dtype.kind != "f":
                raise TypeError(f"params[{i}] must be a float numpy array (it is updated in place), "
                                f"got {type(p).__name__}")
            if np.shape(g) != p.shape:
                raise ValueError(f"grads[{i}] must have the shape of params[{i}], {p.shape}; got {np.shape(g)}")
        shapes = [p.shape for p in params]
        if self._state is None:
            self._state = [{} for _ in params]
            self._shapes = shapes
        elif shapes != self._shapes:
            raise ValueError("params changed (number or shapes of arrays) since the first step; "
                             "call reset() before optimizing other parameters")
        self.t += 1
        for p, g, state in zip(params, grads, self._state):
            self._update(p, np.asarray(g, dtype=float), state)

    def _update(self, p: np.ndarray, g: np.ndarray, state: dict[str, np.ndarray]) -> None:
        raise NotImplementedError


class SGD(Optimizer):
    r"""Plain (stochastic) gradient descent.

    .. math::

        \theta \leftarrow \theta - \eta\, g

    with learning rate :math:`\eta` and gradient (or mini-batch gradient) :math:`g`.

    Parameters
    ----------
    learning_rate : float
        :math:`\eta > 0`.

    Examples
    --------
    >>> w = np.array([1.0, -2.0])
    >>> SGD(learning_rate=0.5).step([w], [np.array([2.0, 2.0])])
    >>> w
    array([ 0., -3.])

    See the chapters 'Gradient descent' and 'Calculus in deep learning'.
    """

    def __init__(self, learning_rate: float = 0.01) -> None:
        super().__init__(learning_rate)

    def _update(self, p: np.ndarray, g: np.ndarray, state: dict[str, np.ndarray]) -> None:
        p -= self.learning_rate * g


class Momentum(Optimizer):
    r"""Gradient descent with (heavy-ball or Nesterov) momentum.

    The velocity :math:`v` (zero at the start) accumulates past gradients:

    .. math::

        v \leftarrow \beta v - \eta\, g, \qquad \theta \leftarrow \theta + v .

    With ``nesterov=True`` the parameter takes the look-ahead step

    .. math::

        v \leftarrow \beta v - \eta\, g, \qquad \theta \leftarrow \theta + \beta v - \eta\, g ,

    the form of Nesterov's accelerated gradient in which the gradient is taken
    at the stored parameters (Sutskever et al. 2013, rewritten as in Bengio et
    al. 2013), so the loop never evaluates the gradient at a second point.

    Parameters
    ----------
    learning_rate : float
        :math:`\eta > 0`.
    beta : float
        Momentum coefficient :math:`\beta \in [0, 1)`; ``beta=0`` is plain
        gradient descent.
    nesterov : bool
        Use Nesterov's look-ahead update.

    Examples
    --------
    >>> w = np.array([1.0])
    >>> opt = Momentum(learning_rate=0.1, beta=0.5)
    >>> opt.step([w], [np.array([1.0])]); w       # v = -0.1
    array([0.9])
    >>> opt.step([w], [np.array([1.0])]); w       # v = 0.5 * (-0.1) - 0.1 = -0.15
    array([0.75])

    See the chapter 'Calculus in deep learning'.
    """

    def __init__(self, learning_rate: float = 0.01, beta: float = 0.9, nesterov: bool = False) -> None:
        super().__init__(learning_rate)
        self.beta = _check_fraction(beta, "beta")
        if not isinstance(nesterov, (bool, np.bool_)):
            raise TypeError(f"nesterov must be True or False, got {type(nesterov).__name__}")
        self.nesterov = bool(nesterov)

    def _hyperparameters(self) -> dict[str, Any]:
        return {"learning_rate": self.learning_rate, "beta": self.beta, "nesterov": self.nesterov}

    def _update(self, p: np.ndarray, g: np.ndarray, state: dict[str, np.ndarray]) -> None:
        v = state.setdefault("velocity", np.zeros_like(p))
        v *= self.beta
        v -= self.learning_rate * g
        if self.nesterov:
            p += self.beta * v - self.learning_rate * g
        else:
            p += v


class AdaGrad(Optimizer):
    r"""AdaGrad (Duchi, Hazan and Singer 2011): per-coordinate steps shrinking with the gradient history.

    .. math::

        G \leftarrow G + g \odot g, \qquad
        \theta \leftarrow \theta - \frac{\eta}{\sqrt{G} + \varepsilon} \odot g

    (element-wise; :math:`G` starts at zero).

    Parameters
    ----------
    learning_rate : float
        :math:`\eta > 0`.
    eps : float
        :math:`\varepsilon > 0`, guards the division.

    Examples
    --------
    >>> w = np.array([0.0, 0.0])
    >>> AdaGrad(learning_rate=0.1).step([w], [np.array([4.0, -0.01])])
    >>> np.round(w, 6)     # the first step is eta * sign(g), whatever the gradient's scale
    array([-0.1,  0.1])

    See the chapter 'Calculus in deep learning'.
    """

    def __init__(self, learning_rate: float = 0.01, eps: float = 1e-8) -> None:
        super().__init__(learning_rate)
        self.eps = check_positive(eps, "eps")

    def _hyperparameters(self) -> dict[str, Any]:
        return {"learning_rate": self.learning_rate, "eps": self.eps}

    def _update(self, p: np.ndarray, g: np.ndarray, state: dict[str, np.ndarray]) -> None:
        acc = state.setdefault("sum_sq_grad", np.zeros_like(p))
        acc += g * g
        p -= self.learning_rate * g / (np.sqrt(acc) + self.eps)


class RMSProp(Optimizer):
    r"""RMSProp (Hinton, *Neural Networks for Machine Learning*, lecture 6e).

    A moving average of squared gradients scales each coordinate's step:

    .. math::

        s \leftarrow \rho s + (1 - \rho)\, g \odot g, \qquad
        \theta \leftarrow \theta - \frac{\eta}{\sqrt{s} + \varepsilon} \odot g

    (element-wise; :math:`s` starts at zero).

    Parameters
    ----------
    learning_rate : float
        :math:`\eta > 0`.
    rho : float
        Decay rate :math:`\rho \in [0, 1)` of the average.
    eps : float
        :math:`\varepsilon > 0`.

    Examples
    --------
    >>> w = np.array([0.0])
    >>> RMSProp(learning_rate=0.01, rho=0.9).step([w], [np.array([2.0])])
    >>> np.round(w, 6)     # -0.01 * 2 / sqrt(0.1 * 4)
    array([-0.031623])

    See the chapter 'Calculus in deep learning'.
    """

    def __init__(self, learning_rate: float = 0.001, rho: float = 0.9, eps: float = 1e-8) -> None:
        super().__init__(learning_rate)
        self.rho = _check_fraction(rho, "rho")
        self.eps = check_positive(eps, "eps")

    def _hyperparameters(self) -> dict[str, Any]:
        return {"learning_rate": self.learning_rate, "rho": self.rho, "eps": self.eps}

    def _update(self, p: np.ndarray, g: np.ndarray, state: dict[str, np.ndarray]) -> None:
        s = state.setdefault("mean_sq_grad", np.zeros_like(p))
        s *= self.rho
        s += (1.0 - self.rho) * g * g
        p -= self.learning_rate * g / (np.sqrt(s) + self.eps)


class Adam(Optimizer):
    r"""Adam (Kingma and Ba 2015) with bias correction, optionally with weight decay (L2 or AdamW).

    With :math:`m, v` starting at zero and :math:`t` the step number:

    .. math::

        m &\leftarrow \beta_1 m + (1 - \beta_1)\, g, \qquad
        v \leftarrow \beta_2 v + (1 - \beta_2)\, g \odot g, \\
        \hat m &= \frac{m}{1 - \beta_1^t}, \qquad \hat v = \frac{v}{1 - \beta_2^t}, \qquad
        \theta \leftarrow \theta - \eta\, \frac{\hat m}{\sqrt{\hat v} + \varepsilon}.

    Bias correction makes the first step :math:`-\eta\,\mathrm{sign}(g)`
    (up to :math:`\varepsilon`): its size is the learning rate.

    Weight decay :math:`\lambda` comes in two flavours. With
    ``decoupled=False`` it is an L2 penalty :math:`\tfrac{\lambda}{2}\|\theta\|^2`
    added to the loss, i.e. :math:`g \leftarrow g + \lambda\theta` before the
    update, and so it is rescaled by the adaptive denominator. With
    ``decoupled=True`` (AdamW, Loshchilov and Hutter 2019) the parameters
    shrink directly, :math:`\theta \leftarrow \theta - \eta\lambda\theta`,
    and the Adam step uses the plain gradient: every weight decays at the same
    rate.

    Parameters
    ----------
    learning_rate : float
        :math:`\eta > 0`.
    beta1, beta2 : float
        Decay rates of the first and second moment estimates, in [0, 1).
    eps : float
        :math:`\varepsilon > 0`.
    weight_decay : float
        :math:`\lambda \ge 0`.
    decoupled : bool
        Decoupled weight decay (AdamW) instead of an L2 penalty.

    Examples
    --------
    >>> w = np.array([1.0, 1.0])
    >>> Adam(learning_rate=0.1).step([w], [np.array([1000.0, -0.01])])
    >>> np.round(w, 6)     # each coordinate moves by the learning rate
    array([0.9, 1.1])

    See the chapter 'Calculus in deep learning'.
    """

    def __init__(self, learning_rate: float = 0.001, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8, weight_decay: float = 0.0, decoupled: bool = False) -> None:
        super().__init__(learning_rate)
        self.beta1 = _check_fraction(beta1, "beta1")
        self.beta2 = _check_fraction(beta2, "beta2")
        self.eps = check_positive(eps, "eps")
        self.weight_decay = check_positive(weight_decay, "weight_decay", allow_zero=True)
        if not isinstance(decoupled, (bool, np.bool_)):
            raise TypeError(f"decoupled must be True or False, got {type(decoupled).__name__}")
        self.decoupled = bool(decoupled)

    def _hyperparameters(self) -> dict[str, Any]:
        return {"learning_rate": self.learning_rate, "beta1": self.beta1, "beta2": self.beta2,
                "eps": self.eps, "weight_decay": self.weight_decay, "decoupled": self.decoupled}

    def _update(self, p: np.ndarray, g: np.ndarray, state: dict[str, np.ndarray]) -> None:
        if self.weight_decay:
            if self.decoupled:
                p -= self.learning_rate * self.weight_decay * p
            else:
                g = g + self.weight_decay * p
        m = state.setdefault("first_moment", np.zeros_like(p))
        v = state.setdefault("second_moment", np.zeros_like(p))
        m *= self.beta1
        m += (1.0 - self.beta1) * g
        v *= self.beta2
        v += (1.0 - self.beta2) * g * g
        m_hat = m / (1.0 - self.beta1 ** self.t)
        v_hat = v / (1.0 - self.beta2 ** self.t)
        p -= self.learning_rate * m_hat / (np.sqrt(v_hat) + self.eps)


# ---------------------------------------------------------------------------
# First-order minimizers (each runs one of the classes above)
# ---------------------------------------------------------------------------

def _run(fun: Callable, grad: Callable, x0: Any, optimizer: Optimizer, *, max_iter: int, tol: float,
         callback: Callable | None) -> OptimizeResult:
    """Iterate ``optimizer`` on a single parameter vector until convergence or ``max_iter``."""
    check_callable(fun, "fun")
    check_callable(grad, "grad")
    x = _as_x0(x0)
    max_iter = check_int(max_iter, "max_iter", minimum=1)
    tol = check_positive(tol, "tol", allow_zero=True)
    _check_callback(callback)
    rate = optimizer.learning_rate
    fun, grad = _counted(fun, grad, x.size)
    rec = _Recorder()
    # Overflow is how divergence shows up; it is reported through status 2, not as a warning.
    with np.errstate(over="ignore", invalid="ignore"):
        f, g, status, message = _start(fun, grad, x, tol, rec)
        nit = 0
        if status == MAX_ITER:
            for nit in range(1, max_iter + 1):
                optimizer.step([x], [g])
                f = fun(x)
                g = grad(x)
                rec.record(x, f, g, nit)
                stop = _stop_check(callback, x, f, g, nit, tol, rate)
                if stop:
                    status, message = stop
                    break
            if status == MAX_ITER:
                message = _max_iter_message(max_iter, _inf_norm(g), tol)
                if f > rec.fun[0]:
                    message += (f" The loss grew from {rec.fun[0]:.3g} to {f:.3g}: the learning rate "
                                f"{rate:g} is likely too large.")
    return rec.result(x, f, g, nit=nit, status=status, message=message, nfev=fun.calls, njev=grad.calls)


_FIRST_ORDER_PARAMETERS = """
    Parameters
    ----------
    fun : callable
        The loss, ``fun(x) -> float``, for ``x`` a 1-D array.
    grad : callable
        Its gradient, ``grad(x) -> array`` of the shape of ``x``.
    x0 : float or array_like
        The starting point. A scalar is treated as a 1-element vector: ``fun``
        and ``grad`` then receive arrays of shape ``(1,)`` and ``res.x`` has
        shape ``(1,)``."""

_FIRST_ORDER_COMMON = """
    max_iter : int
        Maximum number of updates.
    tol : float
        Stop with success once :math:`\\|\\nabla f(x)\\|_\\infty \\le` ``tol``.
    callback : callable, optional
        ``callback(intermediate_result)`` is called after every update with an
        :class:`OptimizeResult` holding ``x, fun, jac, nit``; raising
        ``StopIteration`` ends the run (status 3).

    Returns
    -------
    OptimizeResult
        ``x, fun, jac, nit, nfev, njev, success, status, message, history``.
        A non-finite loss or gradient ends the run with status 2 and a message
        naming the learning rate and the iteration."""


def gradient_descent(fun: Callable[[np.ndarray], float], grad: Callable[[np.ndarray], np.ndarray], x0: Any, *,
                     learning_rate: float = 0.1, max_iter: int = 1000, tol: float = 1e-6,
                     callback: Callable | None = None) -> OptimizeResult:
    r"""Minimize ``fun`` by gradient descent with a fixed learning rate.

    .. math::

        x_{k+1} = x_k - \eta\, \nabla f(x_k)

    On a quadratic :math:`f(x) = \tfrac12 x^\top A x - b^\top x` with
    :math:`A` symmetric positive definite and largest eigenvalue :math:`L`,
    the iteration converges for every :math:`x_0` if and only if
    :math:`0 < \eta < 2/L`.
    {parameters}
    learning_rate : float
        :math:`\eta > 0`.
    {common}

    See Also
    --------
    SGD : the update rule this function runs.

    Examples
    --------
    >>> res = gradient_descent(lambda x: (x[0] - 3) ** 2, lambda x: 2 * (x - 3), 0.0)
    >>> res.success, res.status
    (True, 0)
    >>> round(float(res.x[0]), 5)
    3.0
    >>> res.history.x.shape == (res.nit + 1, 1)
    True

    See the chapter 'Gradient descent'.
    """
    return _run(fun, grad, x0, SGD(learning_rate), max_iter=max_iter, tol=tol, callback=callback)


def momentum(fun: Callable[[np.ndarray], float], grad: Callable[[np.ndarray], np.ndarray], x0: Any, *,
             learning_rate: float = 0.01, beta: float = 0.9, max_iter: int = 1000, tol: float = 1e-6,
             callback: Callable | None = None) -> OptimizeResult:
    r"""Minimize ``fun`` by gradient descent with heavy-ball momentum.

    .. math::

        v_{k+1} = \beta v_k - \eta\, \nabla f(x_k), \qquad x_{k+1} = x_k + v_{k+1}, \qquad v_0 = 0.
    {parameters}
    learning_rate : float
        :math:`\eta > 0`.
    beta : float
        Momentum coefficient in [0, 1).
    {common}

    See Also
    --------
    Momentum : the update rule this function runs.

    Examples
    --------
    >>> A = np.diag([1.0, 50.0])
    >>> res = momentum(lambda x: 0.5 * x @ A @ x, lambda x: A @ x, [1.0, 1.0], learning_rate=0.02)
    >>> res.success, bool(np.allclose(res.x, 0, atol=1e-5))
    (True, True)

    See the chapter 'Calculus in deep learning'.
    """
    return _run(fun, grad, x0, Momentum(learning_rate, beta), max_iter=max_iter, tol=tol, callback=callback)


def nesterov(fun: Callable[[np.ndarray], float], grad: Callable[[np.ndarray], np.ndarray], x0: Any, *,
             learning_rate: float = 0.01, beta: float = 0.9, max_iter: int = 1000, tol: float = 1e-6,
             callback: Callable | None = None) -> OptimizeResult:
    r"""Minimize ``fun`` by Nesterov's accelerated gradient.

    .. math::

        v_{k+1} = \beta v_k - \eta\, \nabla f(x_k), \qquad
        x_{k+1} = x_k + \beta v_{k+1} - \eta\, \nabla f(x_k), \qquad v_0 = 0,

    the look-ahead form of :class:`Momentum` with ``nesterov=True``.
    {parameters}
    learning_rate : float
        :math:`\eta > 0`.
    beta : float
        Momentum coefficient in [0, 1).
    {common}

    See Also
    --------
    Momentum : the update rule this function runs (``nesterov=True``).

    Examples
    --------
    >>> A = np.diag([1.0, 50.0])
    >>> res = nesterov(lambda x: 0.5 * x @ A @ x, lambda x: A @ x, [1.0, 1.0], learning_rate=0.02)
    >>> res.success, bool(np.allclose(res.x, 0, atol=1e-5))
    (True, True)

    See the chapter 'Calculus in deep learning'.
    """
    return _run(fun, grad, x0, Momentum(learning_rate, beta, nesterov=True), max_iter=max_iter, tol=tol,
                callback=callback)


def adagrad(fun: Callable[[np.ndarray], float], grad: Callable[[np.ndarray], np.ndarray], x0: Any, *,
            learning_rate: float = 0.01, eps: float = 1e-8, max_iter: int = 1000, tol: float = 1e-6,
            callback: Callable | None = None) -> OptimizeResult:
    r"""Minimize ``fun`` with AdaGrad (Duchi, Hazan and Singer 2011).

    .. math::

        G_{k+1} = G_k + \nabla f(x_k)^{\odot 2}, \qquad
        x_{k+1} = x_k - \frac{\eta}{\sqrt{G_{k+1}} + \varepsilon} \odot \nabla f(x_k), \qquad G_0 = 0.
    {parameters}
    learning_rate : float
        :math:`\eta > 0`.
    eps : float
        :math:`\varepsilon > 0`.
    {common}

    See Also
    --------
    AdaGrad : the update rule this function runs.

    Examples
    --------
    >>> res = adagrad(lambda x: float(x @ x), lambda x: 2 * x, [1.0, -1.0], learning_rate=0.5, max_iter=5000)
    >>> res.success, bool(np.allclose(res.x, 0, atol=1e-6))
    (True, True)

    See the chapter 'Calculus in deep learning'.
    """
    return _run(fun, grad, x0, AdaGrad(learning_rate, eps), max_iter=max_iter, tol=tol, callback=callback)


def rmsprop(fun: Callable[[np.ndarray], float], grad: Callable[[np.ndarray], np.ndarray], x0: Any, *,
            learning_rate: float = 0.001, rho: float = 0.9, eps: float = 1e-8, max_iter: int = 1000,
            tol: float = 1e-6, callback: Callable | None = None) -> OptimizeResult:
    r"""Minimize ``fun`` with RMSProp (Hinton, lecture 6e).

    .. math::

        s_{k+1} = \rho s_k + (1 - \rho)\, \nabla f(x_k)^{\odot 2}, \qquad
        x_{k+1} = x_k - \frac{\eta}{\sqrt{s_{k+1}} + \varepsilon} \odot \nabla f(x_k), \qquad s_0 = 0.
    {parameters}
    learning_rate : float
        :math:`\eta > 0`.
    rho : float
        Decay rate in [0, 1).
    eps : float
        :math:`\varepsilon > 0`.
    {common}

    See Also
    --------
    RMSProp : the update rule this function runs.

    Examples
    --------
    >>> res = rmsprop(lambda x: float(x @ x), lambda x: 2 * x, [1.0, -1.0], learning_rate=0.01, max_iter=300)
    >>> bool(res.fun < 1e-3)
    True

    See the chapter 'Calculus in deep learning'.
    """
    return _run(fun, grad, x0, RMSProp(learning_rate, rho, eps), max_iter=max_iter, tol=tol, callback=callback)


def adam(fun: Callable[[np.ndarray], float], grad: Callable[[np.ndarray], np.ndarray], x0: Any, *,
         learning_rate: float = 0.001, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8,
         max_iter: int = 1000, tol: float = 1e-6, callback: Callable | None = None) -> OptimizeResult:
    r"""Minimize ``fun`` with Adam (Kingma and Ba 2015), with bias correction.

    .. math::

        m_{k+1} &= \beta_1 m_k + (1 - \beta_1)\, g_k, \qquad
        v_{k+1} = \beta_2 v_k + (1 - \beta_2)\, g_k^{\odot 2}, \qquad g_k = \nabla f(x_k), \\
        x_{k+1} &= x_k - \eta\, \frac{m_{k+1} / (1 - \beta_1^{k+1})}
                   {\sqrt{v_{k+1} / (1 - \beta_2^{k+1})} + \varepsilon}.
    {parameters}
    learning_rate : float
        :math:`\eta > 0`.
    beta1, beta2 : float
        Decay rates of the moment estimates, in [0, 1).
    eps : float
        :math:`\varepsilon > 0`.
    {common}

    See Also
    --------
    Adam : the update rule this function runs (with weight decay options).

    Examples
    --------
    >>> res = adam(lambda x: float(x @ x), lambda x: 2 * x, [1.0, -1.0], learning_rate=0.1, max_iter=2000)
    >>> res.success, bool(np.allclose(res.x, 0, atol=1e-6))
    (True, True)
    >>> round(float(np.abs(res.history.x[1] - res.history.x[0]).max()), 6)   # the first step's size
    0.1

    See the chapter 'Calculus in deep learning'.
    """
    return _run(fun, grad, x0, Adam(learning_rate, beta1, beta2, eps), max_iter=max_iter, tol=tol,
                callback=callback)


for _function in (gradient_descent, momentum, nesterov, adagrad, rmsprop, adam):
    if _function.__doc__:  # docstrings are absent under python -OO
        _function.__doc__ = _function.__doc__.replace("{parameters}", _FIRST_ORDER_PARAMETERS).replace(
            "{common}", _FIRST_ORDER_COMMON.strip("\n").lstrip())
del _function


def sgd(fun: Callable[..., float], grad: Callable[..., np.ndarray], x0: Any, data: Any, *,
        learning_rate: float = 0.01, batch_size: int = 32, epochs: int = 10,
        rng: np.random.Generator, shuffle: bool = True, callback: Callable | None = None,
        optimizer: Optimizer | None = None, tol: float | None = None) -> OptimizeResult:
    r"""Minimize an average loss over a data set by mini-batch stochastic gradient descent.

    The loss is an average over :math:`n` examples,
    :math:`L(x) = \frac1n \sum_i \ell(x; d_i)`. Each epoch visits the examples
    once, in a fresh random order (``shuffle=True``), in mini-batches
    :math:`B` of ``batch_size`` examples, and after each batch updates

    .. math::

        x \leftarrow x - \eta\, \nabla L_B(x), \qquad
        L_B(x) = \frac{1}{|B|} \sum_{i \in B} \ell(x; d_i),

    an unbiased but noisy estimate of the full gradient (the last batch of an
    epoch may be smaller). With ``optimizer`` the update is that optimizer's
    rule (momentum, Adam, ...) applied to the mini-batch gradients.

    Parameters
    ----------
    fun : callable
        ``fun(x, *batch) -> float``, the average loss over a batch (called on
        the full data set once per epoch, for the history).
    grad : callable
        ``grad(x, *batch) -> array``, its gradient.
    x0 : float or array_like
        Starting point (a scalar is a 1-element vector).
    data : tuple of numpy.ndarray
        Arrays sharing their first dimension, the examples, e.g. ``(X, y)``;
        a batch is the tuple of the same rows of each. A single array is
        treated as ``(array,)``.
    learning_rate : float
        :math:`\eta > 0` of plain SGD; ignored when ``optimizer`` is given
        (an optimizer carries its own learning rate).
    batch_size : int
        Examples per mini-batch (at least 1; capped at the data size).
    epochs : int
        Passes over the data.
    rng : numpy.random.Generator
        The source of the shuffling, required so that a run is reproducible
        (``numpy.random.default_rng(seed)``).
    shuffle : bool
        Shuffle the examples at the start of every epoch; with ``False`` the
        batches are consecutive rows, in the same order every epoch.
    callback : callable, optional
        Called after every epoch with an :class:`OptimizeResult` holding
        ``x, fun, jac`` (full-data loss and gradient), ``nit`` (updates so
        far) and ``epoch``; raising ``StopIteration`` stops the run (status 3).
    optimizer : Optimizer, optional
        An :class:`SGD`, :class:`Momentum`, :class:`AdaGrad`, :class:`RMSProp`
        or :class:`Adam` instance; it is :meth:`~Optimizer.reset` first.
        By default ``SGD(learning_rate)``.
    tol : float, optional
        Stop with success at the end of the first epoch where the infinity
        norm of the full-data gradient is at most ``tol`` (checked at ``x0``
        too). By default there is no convergence test and every epoch runs.

    Returns
    -------
    OptimizeResult
        ``nit`` counts the updates (mini-batches), ``nfev`` and ``njev`` the
        calls of ``fun`` and ``grad`` (batch and full-data), ``epochs`` the
        completed epochs. The ``history`` has one record per epoch (plus
        ``x0``): the full-data loss and gradient norm, with
        ``history.iteration`` the update count at each record. As for every
        minimizer here, ``success`` means converged (status 0), which needs
        ``tol``; without it, running all epochs is the normal end: status 1,
        ``success=False``. A non-finite loss or gradient stops the run (status
        2), as does the callback (status 3).

    Examples
    --------
    Least squares :math:`\min_w \frac1n \|Xw - y\|^2` on exact data:

    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 2)); y = X @ np.array([2.0, -1.0])
    >>> loss = lambda w, X, y: float(np.mean((X @ w - y) ** 2))
    >>> grad = lambda w, X, y: 2 * X.T @ (X @ w - y) / len(y)
    >>> res = sgd(loss, grad, np.zeros(2), (X, y), learning_rate=0.1, batch_size=20, epochs=20, rng=rng)
    >>> res.status, res.success, res.nit, res.history.fun.shape   # all epochs run: no tol
    (1, False, 200, (21,))
    >>> np.round(res.x, 4)
    array([ 2., -1.])
    >>> early = sgd(loss, grad, np.zeros(2), (X, y), learning_rate=0.1, batch_size=20, epochs=20,
    ...             rng=np.random.default_rng(0), tol=1e-3)
    >>> early.success, early.epochs < 20
    (True, True)

    See the chapter 'Calculus in deep learning'.
    """
    check_callable(fun, "fun")
    check_callable(grad, "grad")
    x = _as_x0(x0)
    if isinstance(data, np.ndarray):
        data = (data,)
    if not isinstance(data, (tuple, list)) or len(data) == 0:
        raise TypeError(f"data must be a non-empty tuple of arrays such as (X, y), got {type(data).__name__}")
    data = tuple(np.asarray(a) for a in data)
    if any(a.ndim == 0 for a in data):
        raise ValueError("data must hold arrays with a first dimension (one row per example), got a scalar")
    n_examples = len(data[0])
    lengths = [len(a) for a in data]
    if any(length != n_examples for length in lengths):
        raise ValueError(f"data arrays must have the same length (first dimension), got lengths {lengths}")
    if n_examples == 0:
        raise ValueError("data must contain at least one example")
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    epochs = check_int(epochs, "epochs", minimum=1)
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, e.g. numpy.random.default_rng(0); "
                        f"got {type(rng).__name__}")
    if not isinstance(shuffle, (bool, np.bool_)):
        raise TypeError(f"shuffle must be True or False, got {type(shuffle).__name__}")
    _check_callback(callback)
    if tol is not None:
        tol = check_positive(tol, "tol", allow_zero=True)
    if optimizer is None:
        optimizer = SGD(learning_rate)
    elif not isinstance(optimizer, Optimizer):
        raise TypeError(f"optimizer must be an mlcalc.optim optimizer such as Adam(), got {type(optimizer).__name__}")
    else:
        optimizer.reset()
    rate = optimizer.learning_rate
    fun, grad = _counted(fun, grad, x.size)
    rec = _Recorder()
    with np.errstate(over="ignore", invalid="ignore"):
        # without tol, no gradient norm is small enough to stop
        f, g, status, message = _start(fun, grad, x, -np.inf if tol is None else tol, rec, *data)
        nit = 0
        epoch = 0
        while status == MAX_ITER and epoch < epochs:
            order = rng.permutation(n_examples) if shuffle else np.arange(n_examples)
            for start in range(0, n_examples, batch_size):
                rows = order[start:start + batch_size]
                g_batch = grad(x, *(a[rows] for a in data))
                if not np.all(np.isfinite(g_batch)):
                    status = DIVERGED
                    message = (f"Diverged in epoch {epoch + 1} at update {nit + 1}: the mini-batch gradient "
                               f"is not finite. The learning rate {rate:g} is likely too large; try a smaller one.")
                    break
                optimizer.step([x], [g_batch])
                nit += 1
            if status != DIVERGED:
                epoch += 1
            # The full-data loss and gradient at the current x, for the history and the result.
            f = fun(x, *data)
            g = grad(x, *data)
            rec.record(x, f, g, nit)
            if status == DIVERGED:
                break
            if not _finite(f, g):
                status = DIVERGED
                message = (f"Diverged in epoch {epoch} (after {nit} updates): the loss or gradient on the full "
                           f"data is not finite (loss = {f}). The learning rate {rate:g} is likely too large; "
                           f"try a smaller one.")
                break
            if _call_callback(callback, x, f, g, nit, epoch=epoch):
                status, message = CALLBACK_STOP, f"Stopped by the callback (it raised StopIteration) after epoch {epoch}."
                break
            if tol is not None and _inf_norm(g) <= tol:
                status = CONVERGED
                message = (f"Converged: the full-data gradient norm is at most tol = {tol:g} after epoch "
                           f"{epoch} ({nit} updates).")
        if status == MAX_ITER:
            message = f"Completed {epochs} epochs ({nit} updates); full-data loss {f:.6g}."
    result = rec.result(x, f, g, nit=nit, status=status, message=message, nfev=fun.calls, njev=grad.calls)
    result["epochs"] = epoch
    return result


# ---------------------------------------------------------------------------
# Newton's method
# ---------------------------------------------------------------------------

def _singular(H: np.ndarray) -> bool:
    """Whether ``H`` is singular to working precision (so a solve would be meaningless)."""
    if not np.all(np.isfinite(H)):
        return True
    return bool(np.linalg.cond(H) > 1.0 / np.finfo(float).eps)


def _is_positive_definite(H: np.ndarray) -> bool:
    try:
        np.linalg.cholesky(0.5 * (H + H.T))
    except np.linalg.LinAlgError:
        return False
    return True


def newton(fun: Callable[[np.ndarray], float], grad: Callable[[np.ndarray], np.ndarray], x0: Any, *,
           hess: Callable[[np.ndarray], np.ndarray], max_iter: int = 100, tol: float = 1e-8,
           line_search: bool = False, callback: Callable | None = None) -> OptimizeResult:
    r"""Minimize ``fun`` by Newton's method, optionally with a line search.

    .. math::

        x_{k+1} = x_k - \alpha_k\, H(x_k)^{-1} \nabla f(x_k)

    where the Newton direction :math:`p_k = -H(x_k)^{-1}\nabla f(x_k)` is
    computed by solving :math:`H(x_k)\, p_k = -\nabla f(x_k)`
    (``numpy.linalg.solve``, never the inverse). Without a line search
    :math:`\alpha_k = 1`: the method jumps to the stationary point of the local
    quadratic model, converges quadratically near a minimum with positive
    definite Hessian, but can also be attracted to a maximum or a saddle point,
    or diverge from a poor start.

    With ``line_search=True`` the step length comes from :func:`line_search`
    (strong Wolfe conditions, first trial :math:`\alpha = 1`). When
    :math:`H(x_k)` is not positive definite (or is singular), the Newton
    direction need not point downhill; this implementation then falls back to
    the steepest-descent direction :math:`p_k = -\nabla f(x_k)` for that
    iteration (a simple choice; modifying the Hessian, Nocedal and Wright
    section 3.4, is the refined one).

    Parameters
    ----------
    fun : callable
        The loss ``fun(x) -> float``.
    grad : callable
        Its gradient ``grad(x) -> array``.
    x0 : float or array_like
        Starting point; a scalar is a 1-element vector (``fun``, ``grad`` and
        ``hess`` receive arrays of shape ``(1,)``; ``hess`` may return a scalar).
    hess : callable
        The Hessian ``hess(x) -> (n, n) array``.
    max_iter : int
        Maximum number of Newton steps.
    tol : float
        Stop with success once :math:`\|\nabla f(x)\|_\infty \le` ``tol``.
    line_search : bool
        Choose the step length by a strong-Wolfe line search.
    callback : callable, optional
        As in :func:`gradient_descent`.

    Returns
    -------
    OptimizeResult
        With ``nhev``, the number of Hessian evaluations. Without a line
        search, a Hessian that is singular to working precision stops the run
        with status 5; with one, a failed line search stops it with status 4.
        On convergence the message says whether the Hessian at ``x`` is
        positive definite (a minimum) or not.

    Examples
    --------
    >>> f = lambda x: float(np.exp(x[0]) - 2 * x[0])      # minimum at log 2
    >>> res = newton(f, lambda x: np.exp(x) - 2, 0.0, hess=lambda x: np.exp(x))
    >>> res.success, res.nit
    (True, 5)
    >>> bool(abs(res.x[0] - np.log(2)) < 1e-12)
    True

    Without a line search Newton's method is attracted to any stationary
    point, here the maximum of :math:`x^4/4 - x^2/2` at 0:

    >>> f = lambda x: float(x[0] ** 4 / 4 - x[0] ** 2 / 2)
    >>> grad, hess = (lambda x: x ** 3 - x), (lambda x: 3 * x ** 2 - 1)
    >>> res = newton(f, grad, 0.2, hess=hess)
    >>> bool(abs(res.x[0]) < 1e-12), res.message.split(": ")[-1]
    (True, 'this stationary point may be a saddle point or a maximum, not a minimum.')
    >>> round(float(newton(f, grad, 0.2, hess=hess, line_search=True).x[0]), 8)
    1.0

    See the chapter 'Optimization'.
    """
    check_callable(fun, "fun")
    check_callable(grad, "grad")
    check_callable(hess, "hess")
    x = _as_x0(x0)
    max_iter = check_int(max_iter, "max_iter", minimum=1)
    tol = check_positive(tol, "tol", allow_zero=True)
    # The parameter keeps the name chapters pass (newton(..., line_search=True)); below it is read
    # once into use_line_search, and the search itself is _line_search, which line_search() runs.
    if not isinstance(line_search, (bool, np.bool_)):
        raise TypeError(f"line_search must be True or False, got {type(line_search).__name__}")
    use_line_search = bool(line_search)
    _check_callback(callback)
    fun, grad, hess = _counted(fun, grad, x.size, hess)
    rec = _Recorder()
    with np.errstate(over="ignore", invalid="ignore"):
        f, g, status, message = _start(fun, grad, x, tol, rec)
        nit = 0
        while status == MAX_ITER and nit < max_iter:
            H = hess(x)
            singular = _singular(H)
            if singular and not use_line_search:
                status = SINGULAR
                message = (f"The Hessian is singular at iteration {nit} (x = {x}); the Newton step "
                           f"H^-1 grad is undefined. Try another x0, or line_search=True (which then steps "
                           f"along -grad).")
                break
            direction = -g if singular else np.linalg.solve(H, -g)
            if use_line_search:
                if singular or not (_is_positive_definite(H) and g @ direction < 0):
                    direction = -g
                ls = _line_search(fun, grad, x, direction, f, g, c1=1e-4, c2=0.9, max_iter=30,
                                  initial_step=1.0)
                if not ls.success:
                    status = LINE_SEARCH_FAILED
                    message = f"The line search failed at iteration {nit + 1}: {ls.message}"
                    break
                x = x + ls.step * direction
                f, g = ls.fun, ls.jac
            else:
                x = x + direction
                f = fun(x)
                g = grad(x)
            nit += 1
            rec.record(x, f, g, nit)
            stop = _stop_check(callback, x, f, g, nit, tol)
            if stop:
                status, message = stop
                break
        if status == MAX_ITER:
            message = _max_iter_message(max_iter, _inf_norm(g), tol)
        if status == CONVERGED:
            # Newton's method finds stationary points; say so when this one is not a minimum.
            if not _is_positive_definite(hess(x)):
                message += (" The Hessian there is not positive definite: this stationary point may be a "
                            "saddle point or a maximum, not a minimum.")
    return rec.result(x, f, g, nit=nit, status=status, message=message, nfev=fun.calls, njev=grad.calls,
                      nhev=hess.calls)


def newton_root(f: Callable[[float], float], fprime: Callable[[float], float], x0: float, *,
                max_iter: int = 50, tol: float = 1e-12) -> OptimizeResult:
    r"""Find a root of a scalar function by Newton's iteration.

    .. math::

        x_{k+1} = x_k - \frac{f(x_k)}{f'(x_k)}

    This is the same iteration as :func:`newton` applied to the *derivative*
    of a loss: minimizing :math:`L` is finding a root of :math:`f = L'`, with
    :math:`f' = L''`.

    Parameters
    ----------
    f : callable
        ``f(x) -> float`` for a float ``x``.
    fprime : callable
        Its derivative.
    x0 : float
        Starting point.
    max_iter : int
        Maximum number of steps.
    tol : float
        Converged when :math:`|f(x_k)| \le` ``tol`` or the last step
        :math:`|x_k - x_{k-1}| \le` ``tol`` :math:`\cdot \max(1, |x_k|)`.

    Returns
    -------
    OptimizeResult
        ``x`` (shape ``(1,)``), ``fun`` :math:`= f(x)`, ``jac``
        :math:`= f'(x)`, ``nit``, ``nfev``, ``njev``, ``success``, ``status``
        (5 when :math:`f'(x_k) = 0`), ``message`` and ``history`` (whose
        ``fun`` holds the residuals :math:`f(x_k)` and ``grad_norm`` the values
        :math:`|f'(x_k)|`).

    Examples
    --------
    >>> res = newton_root(lambda x: x ** 2 - 2, lambda x: 2 * x, 1.0)
    >>> res.success, bool(abs(res.x[0] - np.sqrt(2)) < 1e-15)
    (True, True)
    >>> res.history.x[:4, 0]
    array([1.        , 1.5       , 1.41666667, 1.41421569])

    See the chapter 'Optimization'.
    """
    check_callable(f, "f")
    check_callable(fprime, "fprime")
    x = check_real(x0, "x0")
    max_iter = check_int(max_iter, "max_iter", minimum=1)
    tol = check_positive(tol, "tol", allow_zero=True)
    f, fprime = _Counted(f, "f", _scalar), _Counted(fprime, "fprime", _scalar)
    rec = _Recorder()
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        fx = f(x)
        dfx = fprime(x)
        nit = 0
        rec.record(np.array([x]), fx, np.array([dfx]), 0)
        status, message = MAX_ITER, ""
        if not _finite(fx, np.array([dfx])):
            status, message = DIVERGED, f"f(x0) or f'(x0) is not finite (f = {fx}, f' = {dfx})."
        elif abs(fx) <= tol:
            status, message = CONVERGED, f"Converged: |f(x0)| is at most tol = {tol:g}."
        while status == MAX_ITER and nit < max_iter:
            if dfx == 0.0:
                status = SINGULAR
                message = f"f'(x) = 0 at iteration {nit} (x = {x}): the Newton step f(x)/f'(x) is undefined."
                break
            step = fx / dfx
            x = x - step
            fx = f(x)
            dfx = fprime(x)
            nit += 1
            rec.record(np.array([x]), fx, np.array([dfx]), nit)
            if not _finite(fx, np.array([dfx])) or not np.isfinite(x):
                status, message = DIVERGED, f"Diverged at iteration {nit}: f(x) = {fx}, f'(x) = {dfx}."
            elif abs(fx) <= tol or abs(step) <= tol * max(1.0, abs(x)):
                status, message = CONVERGED, f"Converged after {nit} iterations (|f(x)| = {abs(fx):.3g})."
        if status == MAX_ITER:
            message = _max_iter_message(max_iter, abs(fx), tol, quantity="|f(x)| =")
    return rec.result(np.array([x]), fx, np.array([dfx]), nit=nit, status=status, message=message,
                      nfev=f.calls, njev=fprime.calls)


# ---------------------------------------------------------------------------
# Line search (strong Wolfe conditions) and BFGS
# ---------------------------------------------------------------------------

def _cubic_minimizer(a: float, fa: float, da: float, b: float, fb: float, db: float) -> float | None:
    """Minimizer of the cubic matching value and slope at ``a`` and ``b`` (Nocedal & Wright 3.59)."""
    if a == b or not all(np.isfinite(v) for v in (fa, da, fb, db)):
        return None
    d1 = da + db - 3.0 * (fa - fb) / (a - b)
    disc = d1 * d1 - da * db
    if disc < 0:
        return None
    d2 = np.copysign(np.sqrt(disc), b - a)
    denom = db - da + 2.0 * d2
    if denom == 0:
        return None
    return float(b - (b - a) * (db + d2 - d1) / denom)


def _quadratic_minimizer(a: float, fa: float, da: float, b: float, fb: float) -> float | None:
    """Minimizer of the parabola with value and slope at ``a`` and value at ``b``."""
    if a == b or not all(np.isfinite(v) for v in (fa, da, fb)):
        return None
    h = b - a
    curvature = (fb - fa - da * h) / (h * h)
    if curvature <= 0:
        return None
    return float(a - da / (2.0 * curvature))


def _line_search(fun: _Counted, grad: _Counted, x: np.ndarray, direction: np.ndarray, f0: float,
                 g0: np.ndarray, *, c1: float, c2: float, max_iter: int,
                 initial_step: float) -> LineSearchResult:
    """Nocedal & Wright Algorithms 3.5 (bracketing) and 3.6 (zoom), with cubic interpolation.

    ``max_iter`` bounds the number of trial steps; each trial evaluates the
    loss and the gradient once (the counted ``fun`` and ``grad`` keep the tally).
    """
    slope0 = float(g0 @ direction)
    if not slope0 < 0:
        raise ValueError(f"direction is not a descent direction: grad(x) . direction = {slope0:.3g} >= 0; "
                         f"a line search needs a direction along which the loss decreases")
    calls_before = fun.calls

    def n_trials() -> int:
        return fun.calls - calls_before

    def trial(alpha: float) -> tuple[float, np.ndarray, float]:
        point = x + alpha * direction
        fa = fun(point)
        ga = grad(point)
        return fa, ga, float(ga @ direction)

    def armijo_fails(alpha: float, fa: float) -> bool:
        return not np.isfinite(fa) or fa > f0 + c1 * alpha * slope0

    def curvature_holds(da: float) -> bool:
        return abs(da) <= -c2 * slope0

    # Near a minimum the decrease c1*alpha*slope0 falls below the rounding error of the loss and the
    # sufficient-decrease test becomes a coin toss. When the loss has not measurably changed, rely on
    # the slope alone (the idea of Hager and Zhang's approximate Wolfe conditions, 2005).
    rounding_band = 1e-10 * abs(f0)

    def approximately_wolfe(fa: float, da: float) -> bool:
        return bool(np.isfinite(fa) and abs(fa - f0) <= rounding_band and curvature_holds(da))

    def done(alpha: float, fa: float, ga: np.ndarray, success: bool, message: str) -> LineSearchResult:
        return LineSearchResult(step=float(alpha), fun=float(fa), jac=ga, nfev=n_trials(),
                                njev=n_trials(), success=success, message=message)

    def zoom(lo: tuple, hi: tuple) -> LineSearchResult:
        # lo = (alpha, f, slope, grad): the best point satisfying sufficient decrease so far;
        # hi = (alpha, f, slope): the other end of an interval that contains strong-Wolfe points.
        while n_trials() < max_iter:
            a_lo, f_lo, d_lo, g_lo = lo
            a_hi, f_hi, d_hi = hi
            width = abs(a_hi - a_lo)
            if width <= 4 * np.finfo(float).eps * max(a_lo, a_hi):
                return done(a_lo, f_lo, g_lo, False, "the bracketing interval shrank to rounding level "
                            "(no further decrease is measurable)")
            alpha = _cubic_minimizer(a_lo, f_lo, d_lo, a_hi, f_hi, d_hi)
            if alpha is None:
                alpha = _quadratic_minimizer(a_lo, f_lo, d_lo, a_hi, f_hi)
            left, right = min(a_lo, a_hi), max(a_lo, a_hi)
            if alpha is None or not left + 0.1 * width <= alpha <= right - 0.1 * width:
                alpha = 0.5 * (a_lo + a_hi)
            fa, ga, da = trial(alpha)
            if approximately_wolfe(fa, da) and (armijo_fails(alpha, fa) or fa >= f_lo):
                return done(alpha, fa, ga, True, "the approximate Wolfe conditions hold (the loss is flat "
                            "to rounding level)")
            if armijo_fails(alpha, fa) or fa >= f_lo:
                hi = (alpha, fa, da)
            else:
                if curvature_holds(da):
                    return done(alpha, fa, ga, True, "the strong Wolfe conditions hold")
                if da * (a_hi - a_lo) >= 0:
                    hi = (a_lo, f_lo, d_lo)
                lo = (alpha, fa, da, ga)
        a_lo, f_lo, _, g_lo = lo
        return done(a_lo, f_lo, g_lo, False, f"no step satisfying the strong Wolfe conditions was found "
                    f"in max_iter = {max_iter} trials")

    previous = (0.0, f0, slope0, g0)
    alpha = initial_step
    while n_trials() < max_iter:
        fa, ga, da = trial(alpha)
        if armijo_fails(alpha, fa) or (n_trials() > 1 and fa >= previous[1]):
            if approximately_wolfe(fa, da):
                return done(alpha, fa, ga, True, "the approximate Wolfe conditions hold (the loss is flat "
                            "to rounding level)")
            return zoom(previous, (alpha, fa, da))
        if curvature_holds(da):
            return done(alpha, fa, ga, True, "the strong Wolfe conditions hold")
        if da >= 0:
            return zoom((alpha, fa, da, ga), previous[:3])
        previous = (alpha, fa, da, ga)
        alpha = 2.0 * alpha
    return done(previous[0], previous[1], previous[3], False,
                f"the loss kept decreasing along the direction for max_iter = {max_iter} doublings of the "
                f"step (is it bounded below?)")


def line_search(fun: Callable[[np.ndarray], float], grad: Callable[[np.ndarray], np.ndarray], x: Any,
                direction: Any, *, c1: float = 1e-4, c2: float = 0.9, max_iter: int = 30,
                initial_step: float = 1.0) -> LineSearchResult:
    r"""Find a step length satisfying the strong Wolfe conditions.

    Along :math:`\phi(\alpha) = f(x + \alpha p)` the step must give sufficient
    decrease and a flattened slope:

    .. math::

        \phi(\alpha) \le \phi(0) + c_1 \alpha\, \phi'(0), \qquad
        |\phi'(\alpha)| \le c_2\, |\phi'(0)|, \qquad 0 < c_1 < c_2 < 1.

    The search doubles the trial step until it brackets an acceptable one, then
    shrinks the bracket by safeguarded cubic interpolation (Nocedal and
    Wright, *Numerical Optimization*, Algorithms 3.5 and 3.6). Where the
    loss is flat to rounding level, :math:`|\phi(\alpha) - \phi(0)| \le
    10^{-10}|\phi(0)|`, the first condition cannot be checked reliably; a
    step that satisfies the second one is then accepted (the idea of the
    approximate Wolfe conditions of Hager and Zhang, 2005), so that a
    minimizer can reach gradient tolerances finer than the loss's resolution.

    Parameters
    ----------
    fun, grad : callable
        The loss and its gradient.
    x : array_like
        The current point.
    direction : array_like
        A descent direction :math:`p`, i.e. :math:`\nabla f(x)^\top p < 0`.
    c1, c2 : float
        The Wolfe constants; 0.9 suits (quasi-)Newton directions, 0.1 is
        usual for conjugate gradients.
    max_iter : int
        Maximum number of trial steps.
    initial_step : float
        The first trial; 1 is the natural step of (quasi-)Newton directions.

    Returns
    -------
    LineSearchResult
        ``step``, ``fun`` and ``jac`` at the new point, ``nfev``, ``njev``,
        ``success`` and ``message``. When ``success`` is false, ``step`` is the
        best step found that gives sufficient decrease (0 if none did).

    Raises
    ------
    ValueError
        If ``direction`` is not a descent direction.

    Examples
    --------
    >>> f = lambda x: float(x @ x)
    >>> ls = line_search(f, lambda x: 2 * x, [1.0, 1.0], [-1.0, -1.0])
    >>> ls.success, ls.step       # the exact minimizer along the line
    (True, 1.0)
    >>> line_search(f, lambda x: 2 * x, [1.0, 1.0], [1.0, 0.0])
    Traceback (most recent call last):
    ...
    ValueError: direction is not a descent direction: grad(x) . direction = 2 >= 0; a line search needs a direction along which the loss decreases

    See the chapter 'Optimization'.
    """
    check_callable(fun, "fun")
    check_callable(grad, "grad")
    x = as_float_array(x, "x", ndim=(0, 1)).reshape(-1)
    direction = as_float_array(direction, "direction", ndim=(0, 1)).reshape(-1)
    if direction.size != x.size:
        raise ValueError(f"direction must have the size of x, {x.size}; got {direction.size}")
    c1 = check_real(c1, "c1")
    c2 = check_real(c2, "c2")
    if not 0 < c1 < c2 < 1:
        raise ValueError(f"c1 and c2 must satisfy 0 < c1 < c2 < 1, got c1={c1}, c2={c2}")
    max_iter = check_int(max_iter, "max_iter", minimum=1)
    initial_step = check_positive(initial_step, "initial_step")
    fun, grad = _counted(fun, grad, x.size)
    with np.errstate(over="ignore", invalid="ignore"):
        f0 = fun(x)
        g0 = grad(x)
        if not _finite(f0, g0):
            raise ValueError(f"the loss or gradient at x is not finite (loss = {f0})")
        result = _line_search(fun, grad, x, direction, f0, g0, c1=c1, c2=c2, max_iter=max_iter,
                              initial_step=initial_step)
    # the counts include the evaluation at x
    return dataclasses.replace(result, nfev=fun.calls, njev=grad.calls)


def bfgs(fun: Callable[[np.ndarray], float], grad: Callable[[np.ndarray], np.ndarray], x0: Any, *,
         max_iter: int = 1000, tol: float = 1e-6, callback: Callable | None = None,
         hess_inv0: Any = None, initial_scaling: bool = False) -> OptimizeResult:
    r"""Minimize ``fun`` by the BFGS quasi-Newton method.

    BFGS keeps an approximation :math:`H_k` of the *inverse* Hessian, moves
    along :math:`p_k = -H_k \nabla f(x_k)` with a step :math:`\alpha_k` from
    :func:`line_search` (strong Wolfe conditions, :math:`c_1 = 10^{-4}`,
    :math:`c_2 = 0.9`), and updates :math:`H` from the step
    :math:`s_k = x_{k+1} - x_k` and the change of gradient
    :math:`y_k = \nabla f(x_{k+1}) - \nabla f(x_k)`:

    .. math::

        H_{k+1} = (I - \rho_k s_k y_k^\top)\, H_k\, (I - \rho_k y_k s_k^\top)
                  + \rho_k s_k s_k^\top, \qquad \rho_k = \frac{1}{y_k^\top s_k}.

    By default :math:`H_0 = I`, as in ``scipy.optimize.minimize(method="BFGS")``.
    With ``initial_scaling=True`` the first step is tried with unit length and,
    before the first update, :math:`H_0` is rescaled to
    :math:`\frac{y_0^\top s_0}{y_0^\top y_0} I` (Nocedal and Wright,
    eq. 6.20), an estimate of the size of the inverse Hessian along the first
    step. That makes the iterates independent of the units of the loss
    (minimizing :math:`c f` for any :math:`c > 0` takes the same steps). Which
    start needs fewer iterations depends on the problem: :math:`I` is a good
    start when the Hessian's eigenvalues are near or above 1 (BFGS corrects a
    too large :math:`H` faster than a too small one), the scaled start when they
    are far below 1. ``make bench`` measures both against scipy.

    The update keeps :math:`H` positive definite when
    :math:`y_k^\top s_k > 0`, which the Wolfe conditions guarantee; should
    rounding break it, the update is skipped. After the first step, every
    line search first tries :math:`\alpha = 1` when ``initial_scaling`` is on.

    Parameters
    ----------
    fun : callable
        The loss ``fun(x) -> float``.
    grad : callable
        Its gradient ``grad(x) -> array``.
    x0 : float or array_like
        Starting point (a scalar is a 1-element vector).
    max_iter : int
        Maximum number of iterations.
    tol : float
        Stop with success once :math:`\|\nabla f(x)\|_\infty \le` ``tol``
        (scipy's ``gtol`` with its default norm).
    callback : callable, optional
        As in :func:`gradient_descent`.
    hess_inv0 : array_like, optional
        A symmetric positive definite starting inverse Hessian, used as given
        (no rescaling); by default the identity. As such a matrix may be badly
        scaled, each line search then starts from
        the step that would repeat the last decrease of the loss,
        :math:`\min(1, 1.01 \cdot 2 (f_k - f_{k-1}) / \nabla f_k^\top p_k)`
        (Nocedal and Wright, eq. 3.60), as scipy does.
    initial_scaling : bool
        Start from the identity rescaled after the first step (Nocedal and
        Wright, eq. 6.20) instead; not allowed together with ``hess_inv0``.

    Returns
    -------
    OptimizeResult
        Also ``hess_inv``, the final :math:`H_k`. Status 4 when the line
        search fails (usually: rounding errors prevent further decrease).

    Examples
    --------
    >>> from scipy.optimize import rosen, rosen_der
    >>> res = bfgs(rosen, rosen_der, [-1.2, 1.0])
    >>> res.success, bool(np.allclose(res.x, [1.0, 1.0], atol=1e-6))
    (True, True)

    See the chapter 'Optimization'.
    """
    check_callable(fun, "fun")
    check_callable(grad, "grad")
    x = _as_x0(x0)
    max_iter = check_int(max_iter, "max_iter", minimum=1)
    tol = check_positive(tol, "tol", allow_zero=True)
    _check_callback(callback)
    n = x.size
    if not isinstance(initial_scaling, (bool, np.bool_)):
        raise TypeError(f"initial_scaling must be True or False, got {initial_scaling!r}")
    if initial_scaling and hess_inv0 is not None:
        raise ValueError("initial_scaling=True rescales the identity; it cannot be combined with hess_inv0")
    if initial_scaling:
        H, scale_first_update = np.eye(n), True
    elif hess_inv0 is None:
        H, scale_first_update = np.eye(n), False
    else:
        H = as_float_array(hess_inv0, "hess_inv0", ndim=2)
        if H.shape != (n, n):
            raise ValueError(f"hess_inv0 must have shape ({n}, {n}) to match x0, got {H.shape}")
        if not np.allclose(H, H.T) or not _is_positive_definite(H):
            raise ValueError("hess_inv0 must be symmetric positive definite")
        H, scale_first_update = H.copy(), False
    user_start = not initial_scaling
    f_previous = None
    fun, grad = _counted(fun, grad, n)
    rec = _Recorder()
    with np.errstate(over="ignore", invalid="ignore"):
        f, g, status, message = _start(fun, grad, x, tol, rec)
        nit = 0
        while status == MAX_ITER and nit < max_iter:
            direction = -H @ g
            if not g @ direction < 0:  # H lost positive definiteness to rounding: restart
                H, scale_first_update = np.eye(n), True
                direction = -g
            if scale_first_update:
                # The identity knows nothing of the loss's scale: first try a step of unit length
                # (which keeps the iterates independent of the loss's units).
                initial_step = 1.0 / float(np.linalg.norm(g))
            elif user_start and f_previous is not None:
                # A user's H0 need not be scaled: guess the step from the last decrease (N&W eq. 3.60),
                # capped at 1 so that the unit quasi-Newton step is still tried once H is good.
                guess = 2.02 * (f - f_previous) / float(g @ direction)
                initial_step = min(1.0, guess) if np.isfinite(guess) and guess > 0 else 1.0
            else:
                initial_step = 1.0
            ls = _line_search(fun, grad, x, direction, f, g, c1=1e-4, c2=0.9, max_iter=30,
                              initial_step=initial_step)
            if not ls.success:
                status = LINE_SEARCH_FAILED
                message = (f"The line search failed at iteration {nit + 1}: {ls.message}. The gradient norm "
                           f"is {_inf_norm(g):.3g} (tol = {tol:g}).")
                break
            s = ls.step * direction
            x = x + s
            y = ls.jac - g
            f_previous = f
            f, g = ls.fun, ls.jac
            nit += 1
            rec.record(x, f, g, nit)
            stop = _stop_check(callback, x, f, g, nit, tol)
            if stop:
                status, message = stop
                break
            ys = float(y @ s)
            if ys > 0:
                if scale_first_update:
                    H = (ys / float(y @ y)) * np.eye(n)
                    scale_first_update = False
                rho = 1.0 / ys
                Hy = H @ y
                H = H + (rho * rho * (ys + float(y @ Hy))) * np.outer(s, s) - rho * (np.outer(Hy, s) + np.outer(s, Hy))
        if status == MAX_ITER:
            message = _max_iter_message(max_iter, _inf_norm(g), tol)
    result = rec.result(x, f, g, nit=nit, status=status, message=message, nfev=fun.calls, njev=grad.calls)
    result["hess_inv"] = H
    return result
