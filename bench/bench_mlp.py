"""One training epoch of mlcalc.nn.MLP against scikit-learn's MLPClassifier on the digits.

Same data (8x8 digits scaled to [0, 1], 75/25 stratified split), same
architecture (64-64-10, relu, softmax output, cross-entropy), same mini-batch
size, same optimizer and learning rate, no L2 penalty. scikit-learn runs
``max_iter=1`` (one epoch; its "did not converge" warning is silenced), ours
``epochs=1``. Initial weights differ (scikit-learn draws Glorot-uniform, we
draw He-normal), so the accuracies are close, not equal.

Run: ``python bench/bench_mlp.py`` (or ``make bench``).
"""

from __future__ import annotations

import timeit
import warnings

from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

from mlcalc import optim
from mlcalc.nn import MLP

HIDDEN = 64
BATCH_SIZE = 32
# solver -> (our optimizer, scikit-learn's matching keyword arguments)
SOLVERS = {
    "sgd": (lambda: optim.SGD(learning_rate=0.05),
            dict(solver="sgd", learning_rate_init=0.05, momentum=0.0, nesterovs_momentum=False)),
    "adam": (lambda: optim.Adam(learning_rate=0.001, beta1=0.9, beta2=0.999, eps=1e-8),
             dict(solver="adam", learning_rate_init=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-8)),
}


def run(repeat: int = 5) -> list[dict[str, float | int | str]]:
    """Time one epoch of both networks per solver (best of ``repeat``); return one row per solver."""
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X / 16.0, y, test_size=0.25, stratify=y, random_state=0)
    rows = []
    for solver, (make_optimizer, sklearn_kwargs) in SOLVERS.items():
        def ours():
            net = MLP([64, HIDDEN, 10], activation="relu", output="softmax", rng=0)
            return net.fit(X_train, y_train, optimizer=make_optimizer(), epochs=1, batch_size=BATCH_SIZE, rng=1)

        def theirs():
            clf = MLPClassifier(hidden_layer_sizes=(HIDDEN,), activation="relu", batch_size=BATCH_SIZE, alpha=0.0,
                                max_iter=1, shuffle=True, random_state=0, **sklearn_kwargs)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                return clf.fit(X_train, y_train)

        ours_time = min(timeit.repeat(ours, number=1, repeat=repeat))
        theirs_time = min(timeit.repeat(theirs, number=1, repeat=repeat))
        rows.append({"solver": solver, "n_train": len(X_train), "mlcalc_time": ours_time, "sklearn_time": theirs_time,
                     "mlcalc_accuracy": ours().score(X_test, y_test),
                     "sklearn_accuracy": theirs().score(X_test, y_test)})
    return rows


def main(repeat: int = 5) -> None:
    """Print the epoch time and test accuracy of both networks, with the time ratio."""
    rows = run(repeat)
    print(f"One epoch on digits ({rows[0]['n_train']} training rows), MLP 64-{HIDDEN}-10 relu/softmax, batch {BATCH_SIZE}, "
          f"best of {repeat}")
    print(f"{'solver':<8}{'mlcalc.nn.MLP':>15}{'sklearn MLP':>14}{'ratio':>9}{'accuracy mlcalc':>18}{'sklearn':>9}")
    for r in rows:
        print(f"{r['solver']:<8}{r['mlcalc_time'] * 1e3:>12.1f} ms{r['sklearn_time'] * 1e3:>11.1f} ms"
              f"{r['mlcalc_time'] / r['sklearn_time']:>8.2f}x{r['mlcalc_accuracy']:>18.3f}{r['sklearn_accuracy']:>9.3f}")


if __name__ == "__main__":
    main()
