"""int8 conversion pieces, on small graphs built here (fast, no exported models needed)."""

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

from export.convert import INPUT_NAME, quantize_layer, saturation_risks


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


def _run(model, xs):
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return np.concatenate([sess.run(None, {INPUT_NAME: x})[0] for x in xs])


def _conv_out(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    """A 1x1 convolution (out, in, 1, 1) on NCHW, in float64."""
    return np.einsum("nkhw,ck->nchw", x, w[:, :, 0, 0]) + b[None, :, None, None]


def test_bias_correction_cancels_the_mean_shift_of_rounded_weights():
    rng = np.random.default_rng(0)
    w = rng.standard_normal((6, 8, 1, 1)) * 0.3
    b = rng.standard_normal(6)
    # inputs with a non-zero mean, so rounding errors shift the outputs' means
    x = rng.standard_normal((64, 8, 5, 5)) + 1.5
    mean = x.mean(axis=(0, 2, 3))
    w_int, w_scale, b_int, b_scale = quantize_layer(w, b, input_scale=0.05, input_mean=mean)
    rounded = w_int * w_scale.astype(np.float64)[:, None, None, None]
    ref = _conv_out(x, w, b)
    plain = _conv_out(x, rounded, b)  # the rounded weights with the original bias
    corrected = _conv_out(x, rounded, b_int * b_scale.astype(np.float64))
    shift_plain = np.abs((plain - ref).mean(axis=(0, 2, 3))).max()
    shift_corrected = np.abs((corrected - ref).mean(axis=(0, 2, 3))).max()
    assert shift_plain > 1e-3  # the test has something to correct
    assert shift_corrected < 0.05 * shift_plain
    assert np.abs(w_int).max() == 127 and w_int.dtype == np.int32  # the full 8 bits, symmetric
    np.testing.assert_array_equal(b_scale, (np.float32(0.05) * w_scale).astype(np.float32))


def test_a_channel_without_weights_keeps_its_bias_in_int32_range():
    w = np.zeros((2, 3, 1, 1))
    w[1] = 0.5
    b = np.array([40.0, 0.1])  # channel 0: weights all zero, a large bias
    w_int, w_scale, b_int, b_scale = quantize_layer(w, b, input_scale=1e-3, input_mean=np.zeros(3))
    assert np.abs(b_int.astype(np.int64)).max() <= 2**30
    np.testing.assert_allclose(b_int * b_scale.astype(np.float64), b, rtol=1e-6)
    assert (w_int[0] == 0).all() and w_scale[0] > 0


def test_optimized_for_web_is_fused_and_computes_the_same(tmp_path):
    # quantize the tiny graph, then pre-optimize it as the exporter does for the browser
    from export.convert import optimize_for_web, quantize_int8

    rng = np.random.default_rng(0)
    fp32 = tmp_path / "tiny.fp32.onnx"
    onnx.save(_graph(rng), fp32)
    cal = [rng.standard_normal((1, 4, 6, 6)).astype(np.float32) for _ in range(8)]
    int8, opt = tmp_path / "tiny.int8.onnx", tmp_path / "tiny.int8.opt.onnx"
    quantize_int8(fp32, int8, cal)
    info = optimize_for_web(int8, opt)
    assert info == {"graph_optimization_level": "extended", "onnxruntime": ort.__version__}

    # the file holds what the recorded level does, no less and no more
    nodes = onnx.load(str(opt)).graph.node
    ops = {n.op_type for n in nodes}
    assert "QLinearConv" in ops  # 'extended' fused the QDQ pairs around the convolutions...
    assert "QLinearConv" not in {n.op_type for n in onnx.load(str(int8)).graph.node}  # ...here, not before
    # ...and 'all' was not applied: its layout pass (NHWC for this CPU's uint8 kernels) writes
    # com.microsoft QLinearConv with channels_last between Transposes, which WebAssembly lacks
    assert "Transpose" not in ops
    assert not [n.name for n in nodes if any(a.name == "channels_last" for a in n.attribute)]
    assert {n.domain for n in nodes if n.op_type == "QLinearConv"} == {""}
    assert saturation_risks(onnx.load(str(int8))) == saturation_risks(onnx.load(str(opt))) == []

    x = rng.standard_normal((1, 4, 6, 6)).astype(np.float32)
    run = lambda p: ort.InferenceSession(str(p), providers=["CPUExecutionProvider"]).run(None, {INPUT_NAME: x})[0]
    np.testing.assert_allclose(run(opt), run(int8), rtol=0, atol=1e-5)

    # the same graph in onnxruntime's own format (the benchmark's ORT-format experiment)
    ort_file = tmp_path / "tiny.int8.ort"
    optimize_for_web(int8, ort_file, model_format="ORT")
    assert ort_file.read_bytes()[4:8] == b"ORTM"  # a FlatBuffers ORT model, not ONNX protobuf
    np.testing.assert_allclose(run(ort_file), run(int8), rtol=0, atol=1e-5)


def test_every_int8_variant_has_a_matching_optimized_file(manifest, models_dir):
    import hashlib

    from export import images
    from export.preprocess import preprocess
    from export.weights import Preprocess

    label, img = images.validation_images()[0]
    for name, e in manifest["models"].items():
        v = e["variants"]["int8"]
        o = v["optimized"]
        assert o["file"] == f"{name}.int8.opt.onnx"
        data = (models_dir / o["file"]).read_bytes()
        assert (o["bytes"], o["sha256"]) == (len(data), hashlib.sha256(data).hexdigest()), name
        # recomputed here, not read from the manifest: one validation image through both files
        x = preprocess(img, Preprocess(**e["preprocess"]))
        outs = [
            ort.InferenceSession(str(models_dir / f), providers=["CPUExecutionProvider"]).run(None, {e["input"]["name"]: x})[0]
            for f in (v["file"], o["file"])
        ]
        assert outs[0].argmax() == outs[1].argmax(), (name, label)
        np.testing.assert_allclose(outs[1], outs[0], rtol=0, atol=1e-3, err_msg=name)
        assert o["against_variant"]["top1_same"] == 1.0, name


def _weight_of(model: onnx.ModelProto, op_type: str, nth: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(stored weights, scales, zero points) feeding the nth ``op_type`` node of a QDQ model."""
    inits = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    producer = {o: n for n in model.graph.node for o in n.output}
    node = [n for n in model.graph.node if n.op_type == op_type][nth]
    dq = producer[node.input[1]]
    return inits[dq.input[0]], inits[dq.input[1]], inits[dq.input[2]]


def test_int8_weights_are_of_the_kinds_no_kernel_saturates(tmp_path):
    """Grouped/depthwise conv: int8; 1x1 conv and Gemm: uint8 around 128; per channel, 8 bits."""
    from export.convert import quantize_int8

    rng = np.random.default_rng(0)
    fp32 = tmp_path / "tiny.fp32.onnx"
    g = _graph(rng)
    # make the first conv depthwise (one input channel per group), as MobileNet's are
    g.graph.node[0].attribute[0].i = 4
    for init in g.graph.initializer:
        if init.name == "w1":
            init.CopyFrom(numpy_helper.from_array(rng.standard_normal((8, 1, 3, 3)).astype(np.float32), "w1"))
    onnx.save(g, fp32)
    cal = [rng.standard_normal((1, 4, 6, 6)).astype(np.float32) for _ in range(8)]
    quantize_int8(fp32, tmp_path / "tiny.int8.onnx", cal)
    q = onnx.load(str(tmp_path / "tiny.int8.onnx"))

    dw, dw_scale, dw_zero = _weight_of(q, "Conv", 0)
    assert dw.dtype == np.int8 and (dw_zero == 0).all() and np.abs(dw).max() == 127
    for op, nth in (("Conv", 1), ("Gemm", 0)):
        w, scale, zero = _weight_of(q, op, nth)
        assert w.dtype == np.uint8 and (zero == 128).all(), op
        assert np.abs(w.astype(int) - 128).max() == 127, op
        assert scale.shape == (w.shape[0],), op  # one scale per output channel
    assert saturation_risks(q) == []


def test_saturation_risks_flags_full_range_int8_weights_on_a_pointwise_conv():
    rng = np.random.default_rng(0)

    def qdq(weights: np.ndarray, group: int = 1) -> onnx.ModelProto:
        cout, cin = weights.shape[:2]
        nodes = [
            helper.make_node("DequantizeLinear", ["w", "ws", "wz"], ["wf"], axis=0),
            helper.make_node("Conv", ["x", "wf"], ["y"], group=group, name="the_conv"),
        ]
        inits = [
            numpy_helper.from_array(weights, "w"),
            numpy_helper.from_array(np.ones(cout, np.float32), "ws"),
            numpy_helper.from_array(np.zeros(cout, weights.dtype), "wz"),
        ]
        g = helper.make_graph(
            nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, cin * group, 4, 4])],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], inits,
        )
        return helper.make_model(g, opset_imports=[helper.make_opsetid("", 21)])

    full = rng.integers(-127, 128, (8, 8, 1, 1)).astype(np.int8)
    full[0, 0] = 127
    risks = saturation_risks(qdq(full))
    assert len(risks) == 1 and "the_conv" in risks[0] and "127" in risks[0]
    assert saturation_risks(qdq(np.clip(full, -64, 64).astype(np.int8))) == []  # 7-bit weights: safe
    assert saturation_risks(qdq(rng.integers(-127, 128, (8, 1, 3, 3)).astype(np.int8), group=8)) == []  # depthwise


def test_adds_share_one_range_so_every_runtime_rounds_the_same():
    """x -> conv -> a; y = a + x; z = y + b: x, a, y, b and z all get the union of their ranges."""
    from export.convert import shared_add_ranges

    nodes = [
        helper.make_node("Conv", ["x", "w"], ["a"]),
        helper.make_node("Add", ["a", "x"], ["y"]),
        helper.make_node("Relu", ["y"], ["r"]),
        helper.make_node("Add", ["y", "b"], ["z"]),
        helper.make_node("Add", ["z", "bias"], ["out"]),  # an initializer: not an activation, left alone
    ]
    g = helper.make_graph(nodes, "g", [], [], [numpy_helper.from_array(np.ones(1, np.float32), "bias")])
    ranges = {"x": (-1.0, 2.0), "a": (-3.0, 1.0), "y": (-2.0, 2.5), "b": (0.0, 0.5), "z": (-2.0, 3.0),
              "r": (0.0, 2.5), "out": (-1.0, 4.0)}
    shared = shared_add_ranges(helper.make_model(g), ranges)
    for t in ("x", "a", "y", "b", "z"):
        assert shared[t] == (-3.0, 3.0), t
    assert shared["r"] == (0.0, 2.5) and shared["out"] == (-1.0, 4.0)
