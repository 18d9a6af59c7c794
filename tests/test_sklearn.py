"""fastgd.sklearn.NetworkClassifier: scikit-learn's own estimator checks, and its use in
pipelines, grid searches (on Dask too), pickles and online learning."""

import os
import pickle
import subprocess
import sys

import numpy as np
import pytest

import fastgd

try:
    import sklearn  # noqa: F401
except ImportError:
    if os.environ.get("CI"):
        raise ImportError(
            "scikit-learn is not installed: CI installs the test extra, which has it"
        ) from None
    pytest.skip("scikit-learn is not installed", allow_module_level=True)

from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from fastgd.sklearn import NetworkClassifier

# Every check passes for these, but the one expected_failures names: the defaults, the book's
# setting in float32 with online learning, early stopping, no hidden layer with warm starts,
# summed updates, no shuffling (in 0.2's defaults, a cross-entropy of sigmoid outputs at
# eta=0.5: a check refits the same estimator on labels that cannot be learned and wants the same
# predictions, which a warm start keeps only where training has settled), ReLU neurons with an
# L2 penalty and momentum, and full-batch descent, on which weighting a sample by 2 is repeating
# it (scikit-learn's check of sample weights against repeated samples; with mini-batches, as for
# MLPClassifier's sgd solver, the batches differ and so does the training: expected to fail).
FULL_BATCH = NetworkClassifier(mini_batch_size=100_000, epochs=20, eta=0.5, alpha=0.0)


def expected_failures(estimator):
    if estimator.mini_batch_size < 100_000:
        return {
            "check_sample_weight_equivalence_on_dense_data": (
                "mini-batches: a sample of weight 2 is not that sample twice in the batches, "
                "whose make-up the repeat changes (MLPClassifier's sgd solver fails it too; "
                "full-batch descent passes)"
            )
        }
    return {}


@parametrize_with_checks(
    [
        NetworkClassifier(),
        NetworkClassifier(
            cost="quadratic", init="normal", eta=3.0, mini_batch_size=1, dtype="float32"
        ),
        NetworkClassifier(early_stopping=True),
        NetworkClassifier(
            hidden_layer_sizes=(),
            warm_start=True,
            reduction="sum",
            shuffle=False,
            cost="cross_entropy",
            eta=0.5,
        ),
        NetworkClassifier(activation="relu", alpha=1e-4, momentum=0.9, eta=0.01),
        FULL_BATCH,
    ],
    expected_failed_checks=expected_failures,
)
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def blobs():
    """Three classes of 8-feature points, scaled to [0, 1]."""
    from sklearn.datasets import make_blobs

    X, y = make_blobs(n_samples=600, n_features=8, centers=3, cluster_std=3.0, random_state=0)
    return MinMaxScaler().fit_transform(X), y


@pytest.fixture(scope="module")
def mnist_slice(mnist_dir):
    (X, y), (X_test, y_test) = fastgd.load_mnist(mnist_dir, dtype="uint8")
    return X[:3000].astype(np.float64), y[:3000], X_test[:1000].astype(np.float64), y_test[:1000]


def test_an_int_random_state_trains_what_network_and_trainer_train(blobs):
    """NetworkClassifier(random_state=s) is fastgd.Network(..., seed=s) trained by
    fastgd.Trainer(..., seed=s): the same weights, bit for bit; alpha is lmbda = alpha * n / m,
    momentum and nesterovs_momentum are momentum and nesterov."""
    X, y = blobs
    clf = NetworkClassifier(
        (12,),
        eta=0.7,
        epochs=4,
        cost="quadratic",
        init="normal",
        dtype="float32",
        random_state=5,
        alpha=0.01,
        momentum=0.5,
        activation="tanh",
    ).fit(X, y)
    net = fastgd.Network([8, 12, 3], seed=5, dtype="float32", init="normal", activation="tanh")
    with fastgd._validation.inputs_of_any_range():
        history = fastgd.Trainer(
            net,
            eta=0.7,
            mini_batch_size=10,
            epochs=4,
            seed=5,
            cost="quadratic",
            verbose=0,
            lmbda=0.01 * len(X) / 10,
            momentum=0.5,
            nesterov=True,
        ).fit(X, y)
    for ours, theirs in zip(clf.network_.weights + clf.network_.biases, net.weights + net.biases):
        np.testing.assert_array_equal(ours, theirs)
    assert clf.loss_curve_ == history.train_cost and clf.n_iter_ == 4
    assert [c.shape for c in clf.coefs_] == [(8, 12), (12, 3)]
    np.testing.assert_array_equal(clf.coefs_[0], net.weights[0].T)
    np.testing.assert_array_equal(clf.intercepts_[1], net.biases[1])


def test_sample_weight_trains_what_the_trainer_trains_with_it(blobs):
    """fit(X, y, sample_weight=w) is Trainer.fit(..., sample_weight=w), bit for bit; weights
    of 1 are no weights; partial_fit and early stopping take them too."""
    X, y = blobs
    w = np.random.default_rng(0).uniform(0, 3, len(y))
    clf = NetworkClassifier((6,), epochs=3, random_state=2, alpha=0.0).fit(X, y, sample_weight=w)
    net = fastgd.Network([8, 6, 3], seed=2, init="scaled", output="softmax")
    fastgd.Trainer(
        net, eta=0.1, mini_batch_size=10, epochs=3, seed=2, cost="log_likelihood", verbose=0
    ).fit(X, y, sample_weight=w)
    for ours, theirs in zip(clf.network_.weights + clf.network_.biases, net.weights + net.biases):
        np.testing.assert_array_equal(ours, theirs)
    unweighted = NetworkClassifier((6,), epochs=3, random_state=2).fit(X, y)
    ones = NetworkClassifier((6,), epochs=3, random_state=2).fit(X, y, sample_weight=[1] * len(y))
    np.testing.assert_array_equal(unweighted.coefs_[0], ones.coefs_[0])
    assert not np.array_equal(clf.coefs_[0], unweighted.coefs_[0])
    online = NetworkClassifier((6,), random_state=2)
    online.partial_fit(X, y, classes=[0, 1, 2], sample_weight=w)
    assert online.n_iter_ == 1
    stopped = NetworkClassifier((6,), early_stopping=True, random_state=2).fit(X, y, w)
    assert stopped.validation_scores_
    with pytest.raises(ValueError, match=r"sample_weight\[0\] is -1.0"):
        NetworkClassifier().fit(X, y, sample_weight=-np.ones(len(y)))


def test_predictions_probabilities_and_scores_agree(blobs):
    X, y = blobs
    clf = NetworkClassifier(random_state=0).fit(X, y)
    assert clf.score(X, y) > 0.9
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    # The default output layer is a softmax: the probabilities are its outputs.
    assert clf.network_.output == "softmax"
    np.testing.assert_allclose(proba, clf.network_.feedforward(X), rtol=1e-12)
    np.testing.assert_array_equal(clf.classes_[proba.argmax(axis=1)], clf.predict(X))
    np.testing.assert_array_equal(clf.decision_function(X).argmax(axis=1), proba.argmax(axis=1))
    # Two classes: one score per sample, positive where the second class is predicted.
    binary = NetworkClassifier(random_state=0).fit(X, y == 2)
    scores = binary.decision_function(X)
    assert scores.shape == (len(X),)
    np.testing.assert_array_equal(binary.predict(X), scores > 0)


def test_logistic_is_scikit_learns_name_for_sigmoid(blobs):
    X, y = blobs
    a = NetworkClassifier(activation="logistic", epochs=2, random_state=0).fit(X, y)
    b = NetworkClassifier(activation="sigmoid", epochs=2, random_state=0).fit(X, y)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))


def test_string_labels_with_gaps_come_back_as_given(blobs):
    X, y = blobs
    names = np.array(["cat", "dog", "emu"])[y]
    clf = NetworkClassifier(random_state=1).fit(X, names)
    assert list(clf.classes_) == ["cat", "dog", "emu"]
    assert set(clf.predict(X)) <= {"cat", "dog", "emu"} and clf.score(X, names) > 0.9
    gaps = np.array([3, 10, 42])[y]
    assert set(NetworkClassifier(random_state=1).fit(X, gaps).predict(X)) <= {3, 10, 42}


def test_a_pickled_classifier_predicts_the_same(blobs):
    X, y = blobs
    clf = NetworkClassifier(random_state=2, dtype="float32").fit(X, y)
    again = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(again.predict_proba(X), clf.predict_proba(X))
    assert again.network_.dtype == np.float32 and again.n_iter_ == clf.n_iter_
    # The copy is a network of its own: training it leaves the original alone.
    before = clf.coefs_[0].copy()
    again.partial_fit(X, y)
    np.testing.assert_array_equal(clf.coefs_[0], before)


def test_clone_gives_an_unfitted_copy_with_the_same_parameters(blobs):
    X, y = blobs
    clf = NetworkClassifier((5, 4), eta=1.5, random_state=3).fit(X, y)
    copy = clone(clf)
    assert copy.get_params() == clf.get_params() and not hasattr(copy, "network_")
    np.testing.assert_array_equal(copy.fit(X, y).predict_proba(X), clf.predict_proba(X))


def test_partial_fit_over_chunks_equals_fit_for_one_epoch(blobs):
    X, y = blobs
    whole = NetworkClassifier(epochs=1, shuffle=False, random_state=4).fit(X, y)
    online = NetworkClassifier(shuffle=False, random_state=4)
    for start in range(0, len(X), 100):  # chunks of whole mini-batches
        online.partial_fit(X[start : start + 100], y[start : start + 100], classes=[0, 1, 2])
    for a, b in zip(online.coefs_ + online.intercepts_, whole.coefs_ + whole.intercepts_):
        np.testing.assert_array_equal(a, b)
    assert online.n_iter_ == len(X) // 100 and len(online.loss_curve_) == online.n_iter_


def test_partial_fit_needs_classes_first_and_refuses_unknown_labels(blobs):
    X, y = blobs
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        NetworkClassifier().partial_fit(X, y)
    clf = NetworkClassifier().partial_fit(X, y, classes=[0, 1, 2, 3])
    assert list(clf.classes_) == [0, 1, 2, 3] and clf.network_.sizes[-1] == 4
    with pytest.raises(ValueError, match=r"labels not in classes \[0, 1, 2, 3\]: \[7\]"):
        clf.partial_fit(X[:5], [0, 1, 7, 2, 3])
    with pytest.raises(ValueError, match="differ from the classes of the network"):
        clf.partial_fit(X[:5], y[:5], classes=[0, 1])
    # A refused first call leaves nothing behind: the next first call starts cleanly.
    fresh = NetworkClassifier()
    with pytest.raises(ValueError, match="labels not in classes"):
        fresh.partial_fit(X[:5], [0, 1, 9, 1, 0], classes=[0, 1])
    assert not hasattr(fresh, "classes_")
    fresh.partial_fit(X, y, classes=[0, 1, 2])
    assert fresh.n_iter_ == 1


def test_warm_start_continues_and_a_new_fit_starts_over(blobs):
    X, y = blobs
    clf = NetworkClassifier(epochs=2, warm_start=True, random_state=6).fit(X, y)
    first = clf.coefs_[0].copy()
    clf.fit(X, y)
    assert clf.n_iter_ == 4 and len(clf.loss_curve_) == 4
    assert not np.array_equal(clf.coefs_[0], first)
    cold = NetworkClassifier(epochs=2, random_state=6).fit(X, y)
    cold.fit(X, y)
    np.testing.assert_array_equal(cold.coefs_[0], first)
    assert cold.n_iter_ == 2
    # A series of warm fits repeats with the same random_state, each fit shuffling anew.
    again = NetworkClassifier(epochs=2, warm_start=True, random_state=6).fit(X, y).fit(X, y)
    np.testing.assert_array_equal(again.coefs_[0], clf.coefs_[0])
    assert len(set(map(tuple, np.round(clf.loss_curve_, 12).reshape(2, 2)))) == 2


def test_early_stopping_keeps_the_best_validation_epoch(blobs):
    X, y = blobs
    clf = NetworkClassifier(
        epochs=200, eta=3.0, early_stopping=True, n_iter_no_change=3, random_state=0
    ).fit(X, y)
    scores = clf.validation_scores_
    assert len(scores) == clf.n_iter_ < 200
    best = int(np.argmax(scores))
    assert len(scores) - 1 - best == 3  # stopped 3 epochs without improvement
    with pytest.raises(ValueError, match="at least 2 samples of each of the 3 classes"):
        NetworkClassifier(early_stopping=True).fit(X[:7], [0, 0, 0, 1, 1, 1, 2])


@pytest.mark.parametrize(
    "params, match",
    [
        (dict(hidden_layer_sizes=(30, 0)), "hidden_layer_sizes must be a tuple of positive ints"),
        (dict(hidden_layer_sizes="30"), "hidden_layer_sizes must be a tuple of positive ints"),
        (dict(cost="hinge"), "cost must be one of"),
        (dict(init="zeros"), "init must be one of"),
        (dict(eta=-1.0), "eta"),
        (dict(mini_batch_size=0), "mini_batch_size"),
        (dict(early_stopping=True, validation_fraction=1.5), "validation_fraction"),
        (dict(early_stopping=True, n_iter_no_change=0), "n_iter_no_change"),
        (dict(activation="softmax"), "an output layer's"),
        (dict(activation="elu"), "activation must be one of"),
        (dict(alpha=-1.0), "alpha must be a finite number of at least 0"),
        (dict(momentum=1.5), "momentum must be at least 0 and below 1"),
        (dict(nesterovs_momentum="yes"), "nesterovs_momentum must be True or False"),
        (dict(input_range="pixels"), "input_range must be"),
    ],
)
def test_bad_parameters_are_named_when_fit_starts(blobs, params, match):
    X, y = blobs
    clf = NetworkClassifier(**params)  # scikit-learn's convention: __init__ only stores
    with pytest.raises(ValueError, match=match):
        clf.fit(X, y)


def test_inputs_outside_0_1_are_warned_unless_their_scale_is_intended(mnist_slice):
    """MNIST's 0-255 pixels given as they are (uint8, as load_mnist(dtype="uint8") returns them,
    or as floats) train a network that scores about 11%: fit says so, naming the fix, from the
    caller's line; so do the predictions when test inputs go beyond what a MinMaxScaler saw."""
    X, y, X_test, y_test = mnist_slice
    clf = NetworkClassifier(epochs=1, random_state=0, n_threads=1)
    for pixels in (X.astype(np.uint8), X):
        with pytest.warns(fastgd.InputRangeWarning) as caught:
            clf.fit(pixels[:500], y[:500])
        assert "values in [0, 255]" in str(caught[0].message)
        assert "input_range='any'" in str(caught[0].message)
        assert caught[0].filename == __file__
    # A scaler fitted on the first 100 images: some pixels it saw only at 0 reach 255 later.
    pipe = Pipeline([("scale", MinMaxScaler()), ("net", clf)]).fit(X[:100], y[:100])
    with pytest.warns(fastgd.InputRangeWarning, match=r"values in \[0, 255\]") as caught:
        pipe.predict(X_test)
    assert caught[0].filename == __file__ or "sklearn" in caught[0].filename
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scaled = clf.set_params(input_range="any")
        scaled.fit(StandardScaler().fit_transform(X[:500]), y[:500])  # no warning
        pipe.set_params(net__input_range="any").predict(X_test)
        NetworkClassifier(epochs=1, random_state=0).fit(X[:500] / 255, y[:500]).predict(
            X_test / 255
        )


def test_pandas_input_keeps_feature_names(blobs):
    pd = pytest.importorskip("pandas")
    X, y = blobs
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    clf = NetworkClassifier(random_state=0).fit(frame, pd.Series(y))
    assert list(clf.feature_names_in_) == list(frame.columns)
    with pytest.warns(UserWarning, match="fitted with feature names"):
        np.testing.assert_array_equal(clf.predict(frame), clf.predict(X))
    with pytest.raises(ValueError, match="feature names"):
        clf.predict(frame[frame.columns[::-1]])


def test_a_pipeline_in_a_grid_search_on_mnist(mnist_slice):
    X, y, X_test, y_test = mnist_slice
    pipe = Pipeline(
        [
            ("scale", MinMaxScaler(clip=True)),
            ("net", NetworkClassifier(epochs=5, random_state=0, n_threads=1)),
        ]
    )
    search = GridSearchCV(pipe, {"net__eta": [0.005, 0.5]}, cv=3, n_jobs=2).fit(X, y)
    # eta=0.005 is far too small to learn in 5 epochs (about 57% against 88% here).
    assert search.best_params_["net__eta"] == 0.5
    assert search.cv_results_["mean_test_score"][0] < 0.75
    assert search.best_estimator_.score(X_test, y_test) > 0.85
    scores = cross_val_score(pipe, X, y, cv=3)
    assert scores.shape == (3,) and scores.min() > 0.85


def test_a_grid_search_on_a_dask_cluster(dask_client, blobs):
    joblib = pytest.importorskip("joblib")
    X, y = blobs
    grid = {"eta": [0.05, 2.0], "hidden_layer_sizes": [(4,), (16,)]}
    here = GridSearchCV(NetworkClassifier(epochs=5, random_state=0, n_threads=1), grid, cv=3).fit(
        X, y
    )
    from distributed import get_task_stream

    with get_task_stream(dask_client) as stream, joblib.parallel_config(backend="dask"):
        there = GridSearchCV(
            NetworkClassifier(epochs=5, random_state=0, n_threads=1), grid, cv=3
        ).fit(X, y)
    assert len(stream.data) >= 12  # 4 settings x 3 folds (and the refit) ran as tasks
    # The same fits, run by the cluster's workers: the same scores, bit for bit.
    np.testing.assert_array_equal(
        there.cv_results_["mean_test_score"], here.cv_results_["mean_test_score"]
    )
    assert there.best_params_ == here.best_params_


def test_importing_fastgd_does_not_import_scikit_learn():
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, fastgd; print(sorted(m for m in "
            "('fastgd.sklearn', 'sklearn') if m in sys.modules))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "[]"


def test_without_scikit_learn_the_error_names_the_extra():
    out = subprocess.run(
        [sys.executable, "-c", "import sys; sys.modules['sklearn'] = None; import fastgd.sklearn"],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 1 and 'pip install "fastgd[sklearn]"' in out.stderr


def test_the_defaults_table_is_the_results_files():
    """docs/sklearn.md's table of defaults comes from the committed results of its sweep: the
    default setting is the best one there, with the figure the page gives."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    result = fastgd.SweepResult.load(root / "docs" / "results" / "sklearn-defaults-round2.jsonl")
    rows = result.table("best_validation_accuracy")
    best = rows[0]
    # (A run's key leaves out the settings at their defaults: sigmoid is the default activation.)
    assert best["setting"].get("activation", "sigmoid") == "sigmoid"
    assert best["setting"]["eta"] == 0.1
    assert best["setting"]["lmbda"] == 0.5 and best["runs"] == 3
    figure = best["best_validation_accuracy"]
    shown = f"**{figure['mean']:.2%} ± {figure['std']:.2%}**"
    assert shown in (root / "docs" / "sklearn.md").read_text()
    defaults = NetworkClassifier().get_params()
    assert (defaults["activation"], defaults["eta"], defaults["cost"]) == (
        "sigmoid",
        0.1,
        "log_likelihood",
    )
    assert defaults["alpha"] * 50000 / defaults["mini_batch_size"] == pytest.approx(0.5)
