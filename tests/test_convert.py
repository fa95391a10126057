"""int8 conversion pieces, on small graphs built here (fast, no exported models needed)."""

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

from export.convert import INPUT_NAME, correct_bias


def _graph(rng) -> onnx.ModelProto:
    """input -> grouped 3x3 conv (with bias) -> 1x1 conv (no bias) -> mean -> Gemm."""
    w1 = rng.standard_normal((8, 2, 3, 3)).astype(np.float32) * 0.3
    b1 = rng.standard_normal(8).astype(np.float32)
    w2 = rng.standard_normal((6, 8, 1, 1)).astype(np.float32) * 0.3
    wg = rng.standard_normal((5, 6)).astype(np.float32) * 0.3
    bg = np.zeros(5, np.float32)
    nodes = [
        helper.make_node("Conv", [INPUT_NAME, "w1", "b1"], ["c1"], group=2, pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"]),
        helper.make_node("Conv", ["r1", "w2"], ["c2"]),
        helper.make_node("ReduceMean", ["c2"], ["m"], axes=[2, 3], keepdims=0),
        helper.make_node("Gemm", ["m", "wg", "bg"], ["logits"], transB=1),
    ]
    inits = [numpy_helper.from_array(a, n) for a, n in ((w1, "w1"), (b1, "b1"), (w2, "w2"), (wg, "wg"), (bg, "bg"))]
    g = helper.make_graph(
        nodes, "tiny",
        [helper.make_tensor_value_info(INPUT_NAME, TensorProto.FLOAT, [1, 4, 6, 6])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 5])],
        inits,
    )
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], ir_version=8)


def _weights_rounded_like_ort(model: onnx.ModelProto) -> onnx.ModelProto:
    """Replace Conv/Gemm weights by their int8 per-channel symmetric rounding (float)."""
    m = onnx.ModelProto()
    m.CopyFrom(model)
    for init in m.graph.initializer:
        if init.name in ("w1", "w2", "wg"):
            w = numpy_helper.to_array(init)
            flat = w.reshape(w.shape[0], -1)
            s = np.abs(flat).max(1, keepdims=True) / 127.0
            init.CopyFrom(numpy_helper.from_array((np.round(flat / s) * s).reshape(w.shape).astype(np.float32), init.name))
    return m


def _run(model, xs):
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return np.concatenate([sess.run(None, {INPUT_NAME: x})[0] for x in xs])


def test_bias_correction_cancels_the_mean_shift_of_rounded_weights():
    rng = np.random.default_rng(0)
    model = _graph(rng)
    # inputs with a non-zero mean, so rounding errors shift the outputs' means
    xs = [(rng.standard_normal((1, 4, 6, 6)) + 1.5).astype(np.float32) for _ in range(64)]
    ref = _run(model, xs)
    plain = _run(_weights_rounded_like_ort(model), xs)
    corrected_model = correct_bias(_graph(np.random.default_rng(0)), xs)
    corrected = _run(_weights_rounded_like_ort(corrected_model), xs)
    shift_plain = np.abs((plain - ref).mean(0)).max()
    shift_corrected = np.abs((corrected - ref).mean(0)).max()
    assert shift_plain > 1e-4  # the test has something to correct
    assert shift_corrected < 0.25 * shift_plain
    # a conv without a bias gets one; the graph stays valid
    conv2 = [n for n in corrected_model.graph.node if n.op_type == "Conv"][1]
    assert len(conv2.input) == 3 and conv2.input[2]
    onnx.checker.check_model(corrected_model)
