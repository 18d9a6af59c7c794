"""A network as an ONNX model, for serving it where fastgd is not installed (onnxruntime, and
whatever reads ONNX), and NetworkClassifier's converter for skl2onnx.

The graph is the feedforward, layer by layer: Gemm (X W^T + b) and the layer's activation
(Sigmoid, Tanh, Relu; Softmax over each row for a softmax output layer), in the network's
dtype (float32: ONNX's FLOAT, float64: DOUBLE). Its input "X" is (n, sizes[0]) inputs in that
dtype, pixels as x / 255 (uint8 images divided first: fastgd reads bytes that way); its outputs
are "activations" (n, sizes[-1]), what Network.feedforward returns, and "label" (n,), int64, the
index of the largest activation, what Network.predict returns.

onnx is an optional extra (pip install "fastgd[onnx]"); nothing here imports it until called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .._typing import PathLike
    from ..network import Network

# The opset of the graphs: Gemm, Sigmoid, Tanh, Relu, Softmax(axis), ArgMax as ONNX 13 has them
# (Softmax over one axis since 13), which every onnxruntime of the last years runs.
OPSET = 13
_NODES = {"sigmoid": "Sigmoid", "tanh": "Tanh", "relu": "Relu", "softmax": "Softmax"}


def _onnx() -> Any:
    try:
        import onnx
    except ImportError:
        raise ImportError(
            'exporting to ONNX needs the onnx package: pip install "fastgd[onnx]"'
        ) from None
    return onnx


def _elem_type(onnx: Any, dtype: np.dtype) -> int:
    return onnx.TensorProto.FLOAT if dtype == np.float32 else onnx.TensorProto.DOUBLE


def _parameters(network: Network, context: str) -> list[tuple[np.ndarray, np.ndarray, str]]:
    """Each layer's (weights, biases, activation): copies taken as save takes them (between two
    chunks of a fit in another thread), finite (else a ValueError naming the first bad one)."""
    from .networks import check_finite

    network.check_parameters()
    with network._updating:
        arrays = network._arrays()
        layers = [
            (np.array(w, copy=True), np.array(b, copy=True), kind)
            for w, b, kind in zip(network.weights, network.biases, network.layer_activations)
        ]
    check_finite(arrays, context)
    return layers


def layer_nodes(
    onnx: Any, layers: list[tuple[np.ndarray, np.ndarray, str]], x: str, prefix: str = ""
) -> tuple[list[Any], list[Any], str]:
    """The feedforward of layers (_parameters) on the tensor named x: (nodes, initializers, the
    name of the last layer's activations). Names start with prefix (for a graph that holds
    other nodes)."""
    helper, numpy_helper = onnx.helper, onnx.numpy_helper
    nodes, weights = [], []
    a = x
    for layer, (w, b, kind) in enumerate(layers):
        name = f"{prefix}layer{layer + 1}"
        weights += [
            numpy_helper.from_array(np.ascontiguousarray(w), f"{name}_W"),
            numpy_helper.from_array(np.ascontiguousarray(b), f"{name}_b"),
        ]
        z = f"{name}_z"
        nodes.append(helper.make_node("Gemm", [a, f"{name}_W", f"{name}_b"], [z], transB=1, name=z))
        a = f"{name}_a"
        extra = {"axis": 1} if kind == "softmax" else {}
        nodes.append(helper.make_node(_NODES[kind], [z], [a], name=a, **extra))
    return nodes, weights, a


def to_onnx(network: Network, path: PathLike | None = None, *, name: str = "fastgd") -> Any:
    """The network as an onnx.ModelProto (see the module's docstring for the graph), written to
    path as well when given (atomically, as Network.save writes). Checked by onnx.checker.

    Examples
    --------
    >>> import fastgd, onnxruntime  # doctest: +SKIP
    >>> fastgd.to_onnx(net, "net.onnx")  # doctest: +SKIP
    >>> session = onnxruntime.InferenceSession("net.onnx")  # doctest: +SKIP
    >>> activations, labels = session.run(None, {"X": test_X / 255})  # doctest: +SKIP
    """
    onnx = _onnx()
    layers = _parameters(network, f"cannot export to {path if path is not None else 'ONNX'}:")
    helper = onnx.helper
    elem = _elem_type(onnx, network.dtype)
    nodes, weights, a = layer_nodes(onnx, layers, "X")
    nodes.append(helper.make_node("Identity", [a], ["activations"], name="activations"))
    nodes.append(helper.make_node("ArgMax", [a], ["label"], axis=1, keepdims=0, name="label"))
    graph = helper.make_graph(
        nodes,
        name,
        [helper.make_tensor_value_info("X", elem, ["n", network.sizes[0]])],
        [
            helper.make_tensor_value_info("activations", elem, ["n", network.sizes[-1]]),
            helper.make_tensor_value_info("label", onnx.TensorProto.INT64, ["n"]),
        ],
        initializer=weights,
    )
    from .._version import __version__

    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET)],
        producer_name="fastgd",
        producer_version=__version__,
        doc_string=f"fastgd Network({network.sizes}, activation={list(network.activation)}, "
        f"output={network.output!r}, dtype={network.dtype.name!r})",
    )
    # (A model made by one onnx runs on older runtimes: the IR version its opset needs.)
    model.ir_version = 7
    onnx.checker.check_model(model, full_check=True)
    if path is not None:
        from .writing import atomic_write

        data = model.SerializeToString()
        atomic_write(path, lambda f: f.write(data))
    return model


# ---- skl2onnx ----------------------------------------------------------------------------------


def _convert_classifier(scope: Any, operator: Any, container: Any) -> None:
    """skl2onnx's converter of a fitted NetworkClassifier: outputs label (the classes_ entry of
    the largest activation) and probabilities (predict_proba's), as skl2onnx's classifiers."""
    onnx = _onnx()
    TensorProto = onnx.TensorProto
    clf = operator.raw_operator
    network = clf.network_
    elem = _elem_type(onnx, network.dtype)
    given = operator.inputs[0].type.to_onnx_type().tensor_type.elem_type
    out_elem = TensorProto.DOUBLE if given == TensorProto.DOUBLE else TensorProto.FLOAT

    def var(name: str) -> str:
        return str(scope.get_unique_variable_name(name))

    def node(op: str, inputs: list[str], output: str, **attrs: Any) -> None:
        domain = attrs.pop("op_domain", "")
        container.add_node(
            op, inputs, output, name=scope.get_unique_operator_name(op), op_domain=domain, **attrs
        )

    x = var("fastgd_X")
    node("Cast", [operator.inputs[0].full_name], x, to=elem)
    prefix = var("fastgd_")
    layers = _parameters(network, "cannot convert the classifier's network to ONNX:")
    nodes, weights, a = layer_nodes(onnx, layers, x, prefix=prefix)
    for w in weights:
        container.add_initializer(w.name, w.data_type, list(w.dims), onnx.numpy_helper.to_array(w))
    for n in nodes:
        attrs = {attr.name: onnx.helper.get_attribute_value(attr) for attr in n.attribute}
        node(n.op_type, list(n.input), n.output[0], **attrs)
    # predict_proba: the activations over their sum; for sigmoid outputs whose sum is 0, an
    # even split.
    axes, total = var("axes"), var("total")
    container.add_initializer(axes, TensorProto.INT64, [1], [1])
    node("ReduceSum", [a, axes], total, keepdims=1)
    proba = var("proba")
    if network.output == "softmax":
        node("Div", [a, total], proba)
    else:
        zero, even, none, shared = var("zero"), var("even"), var("none"), var("shared")
        container.add_initializer(zero, elem, [], [0.0])
        container.add_initializer(even, elem, [], [1.0 / network.sizes[-1]])
        node("Equal", [total, zero], none)
        node("Div", [a, total], shared)
        node("Where", [none, even, shared], proba)
    node("Cast", [proba], operator.outputs[1].full_name, to=out_elem)
    classes = np.asarray(clf.classes_)
    if classes.dtype.kind in "iub" or (
        classes.dtype.kind == "f" and np.array_equal(classes, np.round(classes))
    ):
        class_type, values = TensorProto.INT64, classes.astype(np.int64)
    elif classes.dtype.kind in "UO":
        class_type = TensorProto.STRING
        values = np.array([str(c).encode("utf-8") for c in classes], dtype=object)
    else:
        raise ValueError(
            f"ONNX labels are integers or strings; this classifier's classes are "
            f"{classes.dtype} ({classes[:3].tolist()}...)"
        )
    table, index, picked = var("classes"), var("index"), var("picked")
    container.add_initializer(table, class_type, list(values.shape), values.tolist())
    node("ArgMax", [a], index, axis=1, keepdims=1)
    node("ArrayFeatureExtractor", [table, index], picked, op_domain="ai.onnx.ml")
    shape = var("shape")
    container.add_initializer(shape, TensorProto.INT64, [1], [-1])
    node("Reshape", [picked, shape], operator.outputs[0].full_name)


def register_skl2onnx(estimator: type) -> None:
    """Register the converter of estimator (fastgd.sklearn.NetworkClassifier, which calls this
    with itself) with skl2onnx: afterwards skl2onnx.to_onnx (and convert_sklearn) convert a
    fitted one, and pipelines holding one, to ONNX models with the outputs skl2onnx's
    classifiers have (label, probabilities; zipmap as its option says). Calling it again does
    nothing more."""
    try:
        from skl2onnx import update_registered_converter
        from skl2onnx.common.shape_calculator import calculate_linear_classifier_output_shapes
    except ImportError:
        raise ImportError(
            'converting a NetworkClassifier needs skl2onnx: pip install "fastgd[onnx]" skl2onnx'
        ) from None
    update_registered_converter(
        estimator,
        "FastgdNetworkClassifier",
        calculate_linear_classifier_output_shapes,
        _convert_classifier,
        options={"zipmap": [True, False, "columns"], "nocl": [True, False]},
    )
