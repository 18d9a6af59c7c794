"""fastgd inside scikit-learn: NetworkClassifier, an estimator for pipelines, grid searches and
scikit-learn's metrics, trained by fastgd's compiled core.

Needs scikit-learn 1.6 or newer (pip install "fastgd[sklearn]"); `import fastgd` does not import
this module or scikit-learn.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

try:
    from sklearn.base import BaseEstimator, ClassifierMixin
    from sklearn.utils.multiclass import check_classification_targets
    from sklearn.utils.validation import check_is_fitted, check_random_state, validate_data
except ImportError as error:  # scikit-learn missing, or older than 1.6 (no validate_data)
    raise ImportError(
        "fastgd.sklearn needs scikit-learn 1.6 or newer: pip install "
        '"fastgd[sklearn]" (or pip install "scikit-learn>=1.6")'
    ) from error

from . import _sklearn_checks as _checks
from . import costs
from ._validation import inputs_of_any_range
from .callbacks import EarlyStopping
from .history import History
from .network import Network
from .training.trainer import Trainer

__all__ = ["NetworkClassifier", "register_skl2onnx"]

# A seed for the Network and the Trainer is an int below this.
_SEED_LIMIT = 2**32


class NetworkClassifier(ClassifierMixin, BaseEstimator):
    """A network of neurons trained by mini-batch stochastic gradient descent.

    One output neuron per class; the predicted class is the most active output neuron. With the
    default log-likelihood cost the output layer is a softmax, as in MLPClassifier, and
    predict_proba gives its probabilities.

    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default=(30,)
        Neurons of each hidden layer, as in MLPClassifier; () is no hidden layer.
    activation : {"sigmoid", "relu", "tanh"}, default="sigmoid"
        The hidden layers' neurons ("logistic", MLPClassifier's name, is "sigmoid").
    eta : float, default=0.1
        The learning rate.
    mini_batch_size : int, default=10
        Samples per update; 1 is online learning.
    epochs : int, default=30
        Passes over the training data per fit (partial_fit: one pass per call).
    cost : {"log_likelihood", "cross_entropy", "quadratic"}, default="log_likelihood"
        The cost minimised: the log-likelihood of a softmax output layer (MLPClassifier's
        log-loss), or one of sigmoid outputs; the book's first network uses "quadratic".
    alpha : float, default=0.0001
        Strength of the L2 penalty, as in MLPClassifier (and its default): each step moves the
        weights by -eta * alpha / m * w besides their gradient's step (m the mini-batch size),
        which is fastgd's lmbda = alpha * n / m for n training samples (the book's lambda:
        0.5 for MNIST's 50,000 images in mini-batches of 10).
    momentum : float, default=0.0
        Momentum of the updates, in [0, 1) (MLPClassifier's, for its solver="sgd").
    nesterovs_momentum : bool, default=True
        Nesterov's form of the momentum (when momentum > 0), as in MLPClassifier.
    init : {"scaled", "normal", "he"}, default="scaled"
        Initial weights: N(0, 1/n_in) ("scaled") or N(0, 1) ("normal", the book's first), with
        biases from N(0, 1); or N(0, 2/n_in) with biases 0 ("he", for ReLU neurons).
    reduction : {"mean", "sum"}, default="mean"
        Each update averages (or sums) the mini-batch's gradients.
    dtype : {"float64", "float32"}, default="float64"
        The network's floating-point type; float32 trains about twice as fast.
    shuffle : bool, default=True
        Shuffle the samples before every epoch.
    random_state : int, RandomState instance or None, default=None
        Seeds the initial weights and the shuffling (and the early-stopping split). An int
        gives the same network as fastgd.Network(..., seed=random_state) trained by
        fastgd.Trainer(..., seed=random_state).
    n_threads : int or None, default=None
        Threads of the compiled core and BLAS; None lets fastgd choose (at most 2). Inside a
        parallel grid search, 1 keeps the jobs from competing for cores.
    verbose : int, default=0
        0 silent, 1 a line per epoch, 2 also a progress bar.
    warm_start : bool, default=False
        fit continues from the network of the previous fit (same features and classes)
        instead of starting from new weights.
    early_stopping : bool, default=False
        Keep validation_fraction of the training data apart (stratified, rounded up, at
        least one sample of each class), stop when its
        accuracy has not improved for n_iter_no_change epochs, and keep the weights of its best
        epoch.
    validation_fraction : float, default=0.1
        The part of the training data kept apart for early stopping.
    n_iter_no_change : int, default=10
        Epochs without improvement of the validation accuracy before stopping.

    input_range : {"unit", "any"}, default="unit"
        The scale of the inputs. "unit": features in [0, 1], as the network of the book reads
        its pixels; fit, partial_fit and the predictions warn (fastgd.InputRangeWarning) when
        X holds values outside it, such as MNIST's 0-255 pixels unscaled (11% accuracy
        instead of 94%), or test pixels beyond what a MinMaxScaler saw in training. "any":
        the scale is intended (standardised features, say): no warning.

    Attributes
    ----------
    network_ : fastgd.Network
        The trained network.
    history_ : fastgd.History
        The figures of each epoch of the last fit (or partial_fit).
    loss_curve_ : list of float
        The training cost of each epoch, over every fit of a warm start and every partial_fit.
    validation_scores_ : list of float or None
        The validation accuracy of each epoch with early_stopping, else None.
    n_iter_ : int
        Epochs trained, over every fit of a warm start and every partial_fit.
    classes_ : ndarray
        The class labels, in the order of the output neurons.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Defined when X had feature names (a pandas DataFrame).
    coefs_, intercepts_ : lists of ndarray
        Copies of the weights and biases in scikit-learn's layout: coefs_[i] of shape
        (n_in, n_out), intercepts_[i] of shape (n_out,).

    Notes
    -----
    X is used as the numbers it holds: scale MNIST's 0-255 pixels to [0, 1] first (X / 255, or
    MinMaxScaler(clip=True) in a Pipeline). The book's setting is
    ``set_params(cost="quadratic", init="normal", eta=3.0, mini_batch_size=10, epochs=30)``.

    The defaults were chosen on MNIST's validation images (50,000 to train, 10,000 to
    validate; 30 epochs of [784, 30, 10], three seeds): a softmax output with the
    log-likelihood, sigmoid hidden neurons, eta=0.1 and alpha=0.0001 gave the best validation
    accuracy of the settings tried, 96.68% (ReLU and tanh neurons, other etas, no penalty,
    momentum 0.9 and the cross-entropy of sigmoid outputs: 96.4-96.6%; the scikit-learn page
    of the docs has the table), and softmax outputs give probabilities.

    A fitted estimator pickles (scikit-learn's way of saving estimators); unpickle only files
    you trust, as pickle can run any code. fastgd.Network.save writes the network alone in a
    format that loads without that risk.
    """

    def __init__(
        self,
        hidden_layer_sizes: int | Sequence[int] = (30,),
        *,
        activation: str = "sigmoid",
        eta: float = 0.1,
        mini_batch_size: int = 10,
        epochs: int = 30,
        cost: str = "log_likelihood",
        alpha: float = 0.0001,
        momentum: float = 0.0,
        nesterovs_momentum: bool = True,
        init: str = "scaled",
        reduction: str = "mean",
        dtype: str = "float64",
        shuffle: bool = True,
        random_state: int | np.random.RandomState | None = None,
        n_threads: int | None = None,
        verbose: int = 0,
        warm_start: bool = False,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        n_iter_no_change: int = 10,
        input_range: str = "unit",
    ) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.eta = eta
        self.mini_batch_size = mini_batch_size
        self.epochs = epochs
        self.cost = cost
        self.alpha = alpha
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.init = init
        self.reduction = reduction
        self.dtype = dtype
        self.shuffle = shuffle
        self.random_state = random_state
        self.n_threads = n_threads
        self.verbose = verbose
        self.warm_start = warm_start
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.input_range = input_range

    # ---- fitting ---------------------------------------------------------------------------

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> NetworkClassifier:
        """Train on X (n_samples, n_features) and class labels y for `epochs` epochs (fewer
        with early stopping); returns self. sample_weight (n_samples,) weighs each sample's
        gradient as MLPClassifier does: every update the weighted mean of its mini-batch's
        gradients (fastgd.Trainer.fit's sample_weight). With early stopping the validation
        part keeps its weights apart, and its accuracy is the unweighted one."""
        hidden = self._check_params()
        X, y = validate_data(self, X, y, dtype=(np.float64, np.float32))
        self._check_range(X)
        check_classification_targets(y)
        weights = _checks.sample_weights(sample_weight, X)
        classes, labels = np.unique(y, return_inverse=True)
        if len(classes) < 2:
            raise ValueError(
                f"{type(self).__name__} needs samples of at least 2 classes; y "
                f"has 1 class, {classes[0]!r}"
            )
        sizes = [X.shape[1], *hidden, len(classes)]
        if self._continues(sizes, classes):
            network = self.network_
            seed = self._next_seed()  # a shuffling of its own for the new epochs
        else:
            seed = self._first_seed()
            network = self._network(sizes, seed)
            self.loss_curve_: list[float] = []
            self.n_iter_ = 0
            self._seed, self._calls = seed, 0
        validation = None
        callbacks: list[EarlyStopping] = []
        if self.early_stopping:
            X, labels, validation, weights = self._split(X, labels, seed, weights)
            callbacks = [
                EarlyStopping(
                    "validation_accuracy",
                    patience=self.n_iter_no_change,
                    restore_best_weights=True,
                    verbose=self.verbose > 0,
                )
            ]
        with inputs_of_any_range():
            history = self._trainer(network, self.epochs, seed, len(X)).fit(
                X, labels, validation_data=validation, callbacks=callbacks, sample_weight=weights
            )
        self.classes_ = classes
        self._fitted(network, history)
        self.validation_scores_ = list(history.validation_accuracy) if validation else None
        return self

    def partial_fit(
        self, X: Any, y: Any, classes: Any = None, sample_weight: Any = None
    ) -> NetworkClassifier:
        """One pass over X and y (mini-batches of mini_batch_size), keeping the network:
        online learning across calls. classes, all the labels y will ever hold, is required on
        the first call (and may be given again, the same). sample_weight as for fit. Returns
        self."""
        hidden = self._check_params()
        first = not hasattr(self, "network_")
        if first:
            if classes is None:
                raise ValueError("classes must be passed on the first call to partial_fit")
            check_classification_targets(classes)
            classes = np.unique(classes)
            if len(classes) < 2:
                raise ValueError(
                    f"{type(self).__name__} needs at least 2 classes, got "
                    f"classes={classes.tolist()}"
                )
        else:
            if classes is not None and not np.array_equal(np.unique(classes), self.classes_):
                raise ValueError(
                    f"classes={np.unique(classes).tolist()} differ from the "
                    f"classes of the network, {self.classes_.tolist()}"
                )
            classes = self.classes_
        X, y = validate_data(self, X, y, dtype=(np.float64, np.float32), reset=first)
        self._check_range(X)
        check_classification_targets(y)
        weights = _checks.sample_weights(sample_weight, X)
        labels = np.searchsorted(classes, y)
        unknown = (labels >= len(classes)) | (classes[np.minimum(labels, len(classes) - 1)] != y)
        if unknown.any():
            raise ValueError(
                f"y holds labels not in classes {classes.tolist()}: "
                f"{sorted(set(np.asarray(y)[unknown].tolist()))[:5]}"
            )
        if first:
            # (Only now that everything is checked: a refused first call leaves no state.)
            self._seed, self._calls = self._first_seed(), 0
            network = self._network([X.shape[1], *hidden, len(classes)], self._seed)
            self.classes_, self.loss_curve_, self.n_iter_ = classes, [], 0
        else:
            network = self.network_
        seed = self._next_seed()
        with inputs_of_any_range():
            history = self._trainer(network, 1, seed, len(X)).fit(X, labels, sample_weight=weights)
        self._fitted(network, history)
        self.validation_scores_ = None
        return self

    def _check_params(self) -> list[int]:
        """The hidden layer sizes as a list; ValueError naming a bad parameter."""
        return _checks.hidden_sizes(self)

    def _check_range(self, X: np.ndarray, stacklevel: int = 3) -> None:
        """The InputRangeWarning of inputs outside [0, 1], unless input_range="any", naming the
        frame stacklevel up (3: the caller's caller)."""
        _checks.warn_out_of_range(self, X, stacklevel + 1)

    def _activation(self) -> str:
        """The hidden activation's fastgd name ("logistic", scikit-learn's, is "sigmoid")."""
        return _checks.activation_name(self)

    def _network(self, sizes: list[int], seed: int) -> Network:
        return Network(
            sizes,
            seed=seed,
            dtype=self.dtype,
            init=self.init,
            activation=self._activation(),
            output=costs.get(self.cost).output,
        )

    def _first_seed(self) -> int:
        """The seed of a new network (and its shuffling): random_state itself when an int."""
        if isinstance(self.random_state, numbers.Integral):
            return int(self.random_state)
        return int(check_random_state(self.random_state).randint(_SEED_LIMIT))

    def _next_seed(self) -> int:
        """The shuffling seed of a later call on the same network (a warm fit, a partial_fit):
        each its own, all following from the first seed, so a series of calls repeats."""
        seed = np.random.SeedSequence(self._seed, spawn_key=(self._calls,)).generate_state(1)[0]
        self._calls += 1
        return int(seed)

    def _continues(self, sizes: list[int], classes: np.ndarray) -> bool:
        """Whether fit continues the previous fit's network (warm_start, same shape and
        classes)."""
        return (
            self.warm_start
            and hasattr(self, "network_")
            and list(self.network_.sizes) == sizes
            and np.array_equal(self.classes_, classes)
            and self.network_.dtype == np.dtype(self.dtype)
            and self.network_.layer_activations == self._network_kind(len(sizes))
        )

    def _network_kind(self, n_sizes: int) -> tuple[str, ...]:
        """The layers' activations a network of n_sizes layers of these parameters has."""
        return (*[self._activation()] * (n_sizes - 2), costs.get(self.cost).output)

    def _split(
        self, X: np.ndarray, labels: np.ndarray, seed: int, weights: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray], np.ndarray | None]:
        """Training and validation parts, stratified: validation_fraction of the samples,
        rounded up, and at least one of each class (a stratified split needs that many)."""
        from sklearn.model_selection import train_test_split

        n, n_classes = len(labels), int(labels.max()) + 1
        size = max(int(np.ceil(self.validation_fraction * n)), n_classes)
        if n - size < n_classes or np.bincount(labels).min() < 2:
            raise ValueError(
                f"early_stopping keeps a stratified part of the training data "
                f"apart ({size} of {n} samples here), which needs at least 2 "
                f"samples of each of the {n_classes} classes in the data and "
                f"{n_classes} left to train on; use more data or "
                f"early_stopping=False"
            )
        parts = train_test_split(
            X,
            labels,
            *([] if weights is None else [weights]),
            test_size=size,
            stratify=labels,
            random_state=seed % _SEED_LIMIT,
        )
        X, X_valid, labels, labels_valid = parts[:4]
        return X, labels, (X_valid, labels_valid), (parts[4] if weights is not None else None)

    def _trainer(self, network: Network, epochs: int, seed: int, n_samples: int) -> Trainer:
        # scikit-learn's alpha adds alpha/m * w to the mean gradient of each mini-batch of m:
        # fastgd's (the book's) lmbda/n * w for lmbda = alpha * n / m.
        m = min(self.mini_batch_size, n_samples)
        return Trainer(
            network,
            eta=self.eta,
            mini_batch_size=self.mini_batch_size,
            epochs=epochs,
            seed=seed,
            shuffle=self.shuffle,
            reduction=self.reduction,
            cost=self.cost,
            lmbda=float(self.alpha) * n_samples / m,
            momentum=self.momentum,
            nesterov=bool(self.nesterovs_momentum) and self.momentum > 0,
            n_threads=self.n_threads,
            verbose=self.verbose,
            on_interrupt="stop",  # as MLPClassifier: Ctrl-C ends fit with what it trained
        )

    def _fitted(self, network: Network, history: History) -> None:
        self.network_ = network
        self.history_ = history
        self.loss_curve_ = list(self.loss_curve_) + list(history.train_cost)
        self.n_iter_ += len(history.epoch)

    # ---- predicting ------------------------------------------------------------------------

    def _activations(self, X: Any) -> np.ndarray:
        check_is_fitted(self)
        X = validate_data(self, X, dtype=(np.float64, np.float32), reset=False)
        self._check_range(X, stacklevel=4)  # (predict's caller)
        with inputs_of_any_range():
            return self.network_.feedforward(X)

    def predict(self, X: Any) -> np.ndarray:
        """The class of each sample: the label of its most active output neuron."""
        activations = self._activations(X)  # (first: it checks that self is fitted)
        return self.classes_[np.argmax(activations, axis=1)]

    def predict_proba(self, X: Any) -> np.ndarray:
        """The probability of each class for each sample. With the log-likelihood cost (the
        default) the softmax outputs, a probability distribution trained as one. With a cost of
        sigmoid outputs, the outputs divided by their sum (an even split where all are 0):
        scores that sum to 1 and rank the classes as predict does, but not calibrated (the
        outputs are trained independently; sklearn.calibration.CalibratedClassifierCV makes
        probabilities of them)."""
        a = self._activations(X).astype(np.float64)
        if self.network_.output == "softmax":
            return a / a.sum(axis=1, keepdims=True)  # (sums of 1, to float64's rounding)
        total = a.sum(axis=1, keepdims=True)
        even = total[:, 0] == 0
        a[even], total[even] = 1.0, a.shape[1]
        return a / total

    def decision_function(self, X: Any) -> np.ndarray:
        """The output activations, (n_samples, n_classes); with two classes, one score per
        sample, log(a_1) - log(a_0): positive where the second class is predicted, ranked as
        predict_proba[:, 1]."""
        a = self._activations(X).astype(np.float64)
        if a.shape[1] == 2:
            tiny = np.finfo(np.float64).tiny
            return np.log(np.maximum(a[:, 1], tiny)) - np.log(np.maximum(a[:, 0], tiny))
        return a

    # ---- the layout scikit-learn users know ------------------------------------------------

    @property
    def coefs_(self) -> list[np.ndarray]:
        check_is_fitted(self)
        return [np.array(w.T) for w in self.network_.weights]

    @property
    def intercepts_(self) -> list[np.ndarray]:
        check_is_fitted(self)
        return [np.array(b) for b in self.network_.biases]

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        tags.input_tags.sparse = False
        tags.classifier_tags.multi_label = False
        return tags


def register_skl2onnx() -> None:
    """Register NetworkClassifier's converter with skl2onnx (pip install skl2onnx): after it,
    skl2onnx.to_onnx converts a fitted NetworkClassifier, or a Pipeline holding one, to an ONNX
    model with the outputs of skl2onnx's classifiers (label, probabilities). See
    fastgd.files.onnx."""
    from .files.onnx import register_skl2onnx as register

    register(NetworkClassifier)
