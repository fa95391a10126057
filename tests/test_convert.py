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

    ops = {n.op_type for n in onnx.load(str(opt)).graph.node}
    assert "QLinearConv" in ops  # the QDQ pairs around the convolutions were fused...
    assert "QLinearConv" not in {n.op_type for n in onnx.load(str(int8)).graph.node}  # ...here, not before

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
