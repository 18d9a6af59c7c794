"""Networks exported to ONNX, run by onnxruntime: the same activations (within each dtype's
rounding) and the same labels as fastgd on MNIST's test set, for every activation, output
layer and dtype; and NetworkClassifier, alone and in a Pipeline, through skl2onnx."""

import subprocess
import sys
import warnings

import numpy as np
import pytest

import fastgd

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

# Pairs, not every combination: each dtype meets each activation and each output layer.
CASES = [
    ("float64", [784, 30, 10], "sigmoid", "sigmoid"),
    ("float64", [784, 40, 20, 10], "tanh", "softmax"),
    ("float64", [784, 16, 10], "relu", "sigmoid"),
    ("float32", [784, 30, 10], "relu", "softmax"),
    ("float32", [784, 24, 12, 10], "sigmoid", "softmax"),
    ("float32", [784, 10], "sigmoid", "sigmoid"),  # no hidden layer
    ("float32", [784, 20, 10], "tanh", "sigmoid"),
]
# Largest difference allowed, relative to the largest activation: each dtype's rounding over
# a few hundred terms of a dot product.
TOLERANCE = {"float64": 1e-12, "float32": 2e-5}


@pytest.fixture(scope="module")
def mnist_test(mnist_dir):
    (X, y), (X_test, y_test) = fastgd.load_mnist(mnist_dir)
    return X[:2000], y[:2000], X_test, y_test


def trained(dtype, sizes, activation, output, X, y):
    net = fastgd.Network(
        sizes, seed=1, dtype=dtype, activation=activation, output=output, init="scaled"
    )
    cost = "log_likelihood" if output == "softmax" else "cross_entropy"
    eta = 0.05 if activation == "relu" else 0.5
    fastgd.Trainer(net, eta=eta, mini_batch_size=10, epochs=2, cost=cost, seed=0, verbose=0).fit(
        X, y
    )
    return net


@pytest.mark.parametrize(("dtype", "sizes", "activation", "output"), CASES)
def test_onnxruntime_computes_what_fastgd_computes(
    mnist_test, tmp_path, dtype, sizes, activation, output
):
    X, y, X_test, y_test = mnist_test
    net = trained(dtype, sizes, activation, output, X.astype(dtype), y)
    path = tmp_path / "net.onnx"
    model = fastgd.to_onnx(net, path)
    assert model.graph.input[0].name == "X"
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    activations, labels = session.run(None, {"X": X_test.astype(dtype)})
    expected = net.feedforward(X_test.astype(dtype))
    assert activations.dtype == np.dtype(dtype) and activations.shape == (10000, sizes[-1])
    scale = np.abs(expected).max()
    assert np.abs(activations - expected).max() <= TOLERANCE[dtype] * scale
    assert labels.dtype == np.int64
    np.testing.assert_array_equal(labels, net.predict(X_test.astype(dtype)))
    assert np.mean(labels == y_test) > 0.6  # a trained network, not a constant one


def test_the_file_is_the_model_and_is_written_as_network_files_are(tmp_path, mnist_test):
    X, y, X_test, _ = mnist_test
    net = fastgd.Network([784, 12, 10], seed=0)
    model = fastgd.to_onnx(net, tmp_path / "a.onnx")
    assert onnx.load(str(tmp_path / "a.onnx")) == model
    assert model.producer_name == "fastgd" and model.producer_version == fastgd.__version__
    with pytest.raises(IsADirectoryError, match="is a directory"):
        fastgd.to_onnx(net, tmp_path)
    (tmp_path / "b.onnx").write_bytes(b"the user's")
    net.weights[0][0, 0] = np.nan
    with pytest.raises(ValueError, match=r"cannot export to .*b\.onnx: weights_0 holds nan"):
        fastgd.to_onnx(net, tmp_path / "b.onnx")  # non-finite weights: refused before writing
    assert (tmp_path / "b.onnx").read_bytes() == b"the user's"


def test_importing_fastgd_does_not_import_onnx_and_its_absence_names_the_extra():
    script = (
        "import sys, fastgd\n"
        "print('onnx' in sys.modules, 'skl2onnx' in sys.modules)\n"
        "sys.modules['onnx'] = None\n"
        "try:\n    fastgd.to_onnx(fastgd.Network([4, 3, 2], seed=0))\n"
        "except ImportError as e:\n    print(e)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    first, second = out.stdout.splitlines()
    assert first == "False False"
    assert 'pip install "fastgd[onnx]"' in second


skl2onnx = pytest.importorskip("skl2onnx")


@pytest.mark.parametrize(
    ("dtype", "cost", "labels", "given"),
    [
        ("float64", "log_likelihood", "digits", np.float64),
        ("float32", "cross_entropy", "names", np.float32),
        ("float64", "quadratic", "names", np.float32),
    ],
)
def test_a_pipeline_holding_a_network_classifier_converts_with_skl2onnx(
    mnist_test, dtype, cost, labels, given
):
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import MinMaxScaler

    from fastgd.sklearn import NetworkClassifier, register_skl2onnx

    X, y, X_test, y_test = mnist_test
    names = np.array(["zero", "one", "two", "three", "four", "five", "six", "seven", "eight",
                      "nine"])  # fmt: skip
    target = y if labels == "digits" else names[y]
    eta = 3.0 if cost == "quadratic" else 0.1
    clf = NetworkClassifier(
        (30,), eta=eta, epochs=3, dtype=dtype, cost=cost, random_state=0, n_threads=1
    )
    pipe = Pipeline([("scale", MinMaxScaler(clip=True)), ("net", clf)]).fit(X, target)
    register_skl2onnx()
    register_skl2onnx()  # twice: the same
    model = skl2onnx.to_onnx(pipe, X[:1].astype(given), options={"zipmap": False})
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    inputs = X_test.astype(given)
    label, proba = session.run(None, {session.get_inputs()[0].name: inputs})
    # Both sides read the same float inputs (float32 ones as scikit-learn reads them).
    np.testing.assert_array_equal(label, pipe.predict(inputs))
    tolerance = 1e-6 if given == np.float32 or dtype == "float32" else 1e-12
    np.testing.assert_allclose(proba, pipe.predict_proba(inputs), rtol=0, atol=tolerance)
    truth = names[y_test] if labels == "names" else y_test
    assert np.mean(label == truth) > 0.8  # trained: most test images right


def test_the_classifier_converts_alone_with_zipmap(mnist_test):
    from fastgd.sklearn import NetworkClassifier, register_skl2onnx

    X, y, X_test, _ = mnist_test
    clf = NetworkClassifier((20,), epochs=2, random_state=0, n_threads=1).fit(X, y + 3)
    register_skl2onnx()
    model = skl2onnx.to_onnx(clf, X[:1].astype(np.float32))  # (ZipMap takes floats only)
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    inputs = X_test[:50].astype(np.float32)
    label, proba = session.run(None, {session.get_inputs()[0].name: inputs})
    np.testing.assert_array_equal(label, clf.predict(inputs))
    assert sorted(proba[0]) == list(range(3, 13))  # a dict per sample, keyed by the classes
    expected = clf.predict_proba(inputs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = np.array([[p[c] for c in clf.classes_] for p in proba])
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-6)
