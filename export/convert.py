"""PyTorch -> ONNX fp32 -> fp16 and int8 variants.

- fp32: ``torch.onnx.export`` (``export_fp32``) with a dynamic batch axis, simplified with
  onnxslim, written as a single file (no external data).
- fp16: weights and activations in half precision; inputs and outputs stay float32 so
  every variant takes the same tensor.
- int8: static QDQ quantization with onnxruntime, uint8 activations, per-channel symmetric
  8-bit weights, calibrated on photos disjoint from the validation set. The file computes
  the same integers on every CPU and in the browser: depthwise weights are int8, all other
  weights uint8 (see "Portable int8" below). Weights and biases are set by
  ``quantize_layer``, with bias correction. Min/max calibration is the default: on
  EfficientNet-Lite0 it matched percentile and entropy calibration in agreement at a tenth
  of the time. The classifier's output (the logits) is left in float.
- int8, pre-optimized for the browser (``optimize_for_web``): the int8 file with
  onnxruntime's "extended" graph optimizations already applied and saved, so onnxruntime-web
  does not spend half a second fusing QuantizeLinear/DequantizeLinear pairs into QLinearConv
  every time a reader opens the model. The portable QDQ file stays the int8 variant: other
  runtimes and execution providers (WebGPU, WebNN, TensorRT...) need the QDQ form.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import numpy_helper

from lwm.constants import VARIANTS  # noqa: F401  (convert.VARIANTS: the exporter's callers read it here)

from .evaluation import ort_session

INPUT_NAME = "input"
OUTPUT_NAME = "logits"
OPSET = 20  # the ONNX opset of every file (onnxruntime-web 1.30 runs up to 21)
# variants that also get a file pre-optimized for onnxruntime-web; for fp32 and fp16 the
# browser spends little time optimizing (benchmarks/results.json, the pre-optimized rows)
OPTIMIZED_VARIANTS = ("int8",)
# "extended" is the highest level whose result runs anywhere onnxruntime's CPU kernels run;
# "all" adds layout changes for this machine's instruction set (NCHWc blocks for AVX-512)
# that the WebAssembly build does not have
WEB_OPTIMIZATION_LEVEL = "extended"


def quiet_known_warnings() -> None:
    """Silence the export's known, harmless warnings for the rest of the process.

    - torch's TorchScript exporter is deprecated in favour of the dynamo one (see
      ``export_fp32`` for why it is used), and its tracer warns that the TF-style "same"
      padding of EfficientNet-Lite is computed in Python: it is, from the fixed input size,
      and that its reversed pad order (a Slice with step -1) is not folded: onnxslim folds it;
    - onnxconverter's float16 conversion says it rounds weights below fp16's smallest
      normal number (about 6e-8) to 1e-7: a change far below fp16's own rounding;
    - onnxruntime's quantizer warns about int32 biases it clips: ``quantize_layer`` sets
      every bias again, within range.
    """
    import logging
    import warnings

    warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"torch\.onnx")
    warnings.filterwarnings("ignore", message=r".*dynamo=False", category=DeprecationWarning)
    warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)
    warnings.filterwarnings("ignore", message=r"Constant folding - Only steps=1", category=UserWarning)
    warnings.filterwarnings("ignore", message=r"the float32 number .* will be truncated", category=UserWarning)
    logging.getLogger().setLevel(logging.ERROR)  # the quantizer logs through the root logger


def export_fp32(model: torch.nn.Module, input_size: int, path: Path) -> onnx.ModelProto:
    """Trace ``model`` to ONNX with a dynamic batch axis, simplify it, write it as one file.

    torch's TorchScript-based exporter (``dynamo=False``): for these convolutional networks
    it writes the same graph as the dynamo exporter, but for global average pooling
    (GlobalAveragePool + Flatten instead of ReduceMean + Reshape), in a tenth of the time
    (Lite0: 1.4 s against 15 s), which is most of the export for the smaller models.
    """
    import io

    import onnxslim

    model = model.eval()
    example = torch.zeros(2, 3, input_size, input_size)
    buf = io.BytesIO()
    torch.onnx.export(
        model,
        (example,),
        buf,
        input_names=[INPUT_NAME],
        output_names=[OUTPUT_NAME],
        dynamic_axes={INPUT_NAME: {0: "batch"}, OUTPUT_NAME: {0: "batch"}},
        opset_version=OPSET,
        dynamo=False,
    )
    slim = onnxslim.slim(onnx.load_from_string(buf.getvalue()))
    onnx.checker.check_model(slim, full_check=True)
    onnx.save_model(slim, str(path))
    return slim


def convert_fp16(fp32_path: Path, path: Path) -> onnx.ModelProto:
    from onnxconverter_common import float16

    m = onnx.load(str(fp32_path))
    half = float16.convert_float_to_float16(m, keep_io_types=True)
    onnx.checker.check_model(half, full_check=True)
    onnx.save_model(half, str(path))
    return half


# Portable int8. onnxruntime's x86 kernels for uint8 activations x int8 weights add pairs of
# products in a signed 16-bit lane (VPMADDUBSW) on CPUs without VNNI: 255*127 + 255*127
# saturates at 32767, so an AVX2 laptop computed other logits than an AVX-512 VNNI server
# and than the browser. Two kinds of layers cannot saturate: uint8 x uint8 products, which
# every kernel widens to 16 bits before multiplying, and depthwise convolutions, whose
# kernels widen both operands. So depthwise weights are int8 (the faster kernels), every
# other weighted layer's are uint8 with zero point 128; both use the full 8 bits.
# ``saturation_risks`` checks a file for this; tests/test_int8_portability.py runs the kernels
# on an emulated AVX2 CPU. Quantized additions round the same everywhere thanks to
# ``shared_add_ranges``.
WEIGHT_QMAX = 127  # symmetric per-channel weights in -127..127 (+128 when stored as uint8)
UINT8_WEIGHT_ZERO_POINT = 128
# Bound on |bias| in int32 units: half the int32 range, so bias plus the products' sum
# (at most 255 * 127 * K, under 2**28 for every layer here) never wraps.
BIAS_QMAX = 2**30
# the largest |int8 weight| two of which the non-VNNI kernels can add without saturating:
# 255 * (64 + 64) = 32640 <= 32767
INT8_PAIR_SAFE = 64
CALIBRATION_BATCH = 16


class _Reader:
    """onnxruntime CalibrationDataReader over preprocessed tensors, a batch at a time."""

    def __init__(self, tensors: list[np.ndarray], batch: int = CALIBRATION_BATCH):
        self._it = iter([{INPUT_NAME: np.concatenate(tensors[i : i + batch])} for i in range(0, len(tensors), batch)])

    def get_next(self):
        return next(self._it, None)


def _attrs(node: onnx.NodeProto) -> dict:
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _weighted_nodes(model: onnx.ModelProto) -> list[onnx.NodeProto]:
    inits = {i.name for i in model.graph.initializer}
    return [n for n in model.graph.node if n.op_type in ("Conv", "Gemm") and n.input[1] in inits]


def _is_depthwise(node: onnx.NodeProto, weight_shape) -> bool:
    """A grouped conv with one input channel per group (MobileNet's and EfficientNet's dw)."""
    return node.op_type in ("Conv", "QLinearConv") and _attrs(node).get("group", 1) > 1 and weight_shape[1] == 1


def _channel_axis(node: onnx.NodeProto) -> int:
    """The weight's output-channel axis: Conv (out, in, kh, kw); Gemm B is (N, K) when transB."""
    return 1 if node.op_type == "Gemm" and not _attrs(node).get("transB", 0) else 0


def _prepare(model: onnx.ModelProto) -> onnx.ModelProto:
    """Name every node (``_set_weights`` finds each layer again by its name) and give every
    Conv/Gemm a bias (zeros if it had none): bias correction is written into it."""
    for i, node in enumerate(model.graph.node):
        node.name = node.name or f"{node.op_type}_{i}"
    inits = {i.name: i for i in model.graph.initializer}
    for node in _weighted_nodes(model):
        if len(node.input) > 2 and node.input[2]:
            continue
        channels = inits[node.input[1]].dims[_channel_axis(node)]
        name = node.input[1] + "_bias"
        model.graph.initializer.append(numpy_helper.from_array(np.zeros(channels, np.float32), name))
        while len(node.input) < 2:
            node.input.append("")
        node.input.append(name)
    return model


def calibration_statistics(model: onnx.ModelProto, calibration: list[np.ndarray],
                           threads: int = 0) -> tuple[dict, dict]:
    """One pass over the calibration images through the fp32 graph, collecting

    - the min and max of every float tensor that onnxruntime's MinMax calibrator would
      calibrate (each input and output of every node, initializers aside), and
    - the per-channel mean of every Conv/Gemm data input, for bias correction.

    Returns ``(ranges {tensor: (min, max)}, means {tensor: (channels,)})``. Only small
    reductions leave the session. The graph runs with every optimization, which is 1.5x
    faster than onnxruntime's own calibrator (it runs the graph unoptimized); the ranges
    differ from its by float rounding (7e-7 relative on EfficientNet-Lite2).
    """
    probe = onnx.ModelProto()
    probe.CopyFrom(model)
    g = probe.graph
    inits = {i.name for i in g.initializer}
    infos = {vi.name: vi for vi in list(g.value_info) + list(g.output) + list(g.input)}
    floats = (onnx.TensorProto.FLOAT, onnx.TensorProto.FLOAT16)
    tensors = sorted({
        t for n in g.node for t in list(n.input) + list(n.output)
        if t in infos and t not in inits and infos[t].type.tensor_type.elem_type in floats
    })
    conv_inputs = sorted({n.input[0] for n in _weighted_nodes(model)})
    outputs, added = [], []

    def reduce(op: str, tensor: str, axes: list[int] | None) -> str:
        name = f"{tensor}__{op}"
        inputs = [tensor]
        if axes is not None:
            g.initializer.append(numpy_helper.from_array(np.array(axes, np.int64), name + "_axes"))
            inputs.append(name + "_axes")
        added.append(onnx.helper.make_node(op, inputs, [name], keepdims=0))
        g.output.append(onnx.helper.make_empty_tensor_value_info(name))
        outputs.append(name)
        return name

    for t in tensors:
        reduce("ReduceMin", t, None)
        reduce("ReduceMax", t, None)
    for t in conv_inputs:  # NCHW conv input: mean over the batch and the map; (N, K): over the batch
        rank = len(infos[t].type.tensor_type.shape.dim)
        reduce("ReduceSum", t, [0, 2, 3] if rank == 4 else [0])
    g.node.extend(added)
    sess = ort_session(probe.SerializeToString(), threads, optimization="all")
    lo: dict[str, float] = {}
    hi: dict[str, float] = {}
    sums: dict[str, np.ndarray] = {}
    count: dict[str, int] = {}
    batch_dim = next(i for i in model.graph.input if i.name == INPUT_NAME).type.tensor_type.shape.dim[0]
    batch = batch_dim.dim_value or CALIBRATION_BATCH  # a fixed batch size, or our own
    for feed in _Reader(calibration, batch)._it:
        values = dict(zip(outputs, sess.run(outputs, feed)))
        for t in tensors:
            lo[t] = min(lo.get(t, np.inf), float(values[f"{t}__ReduceMin"]))
            hi[t] = max(hi.get(t, -np.inf), float(values[f"{t}__ReduceMax"]))
        for t in conv_inputs:
            sums[t] = sums.get(t, 0.0) + values[f"{t}__ReduceSum"].astype(np.float64)
    for t in conv_inputs:
        rank = len(infos[t].type.tensor_type.shape.dim)
        dims = [d.dim_value for d in infos[t].type.tensor_type.shape.dim]
        per_image = int(np.prod(dims[2:])) if rank == 4 else 1
        count[t] = len(calibration) * per_image
    ranges = {t: (np.float32(lo[t]), np.float32(hi[t])) for t in tensors}
    return ranges, {t: sums[t] / count[t] for t in conv_inputs}


def shared_add_ranges(model: onnx.ModelProto, ranges: dict) -> dict:
    """Give the inputs and the output of every Add of two activations one common range.

    onnxruntime runs a quantized Add (QLinearAdd) in fixed-point integers on x86 and in
    float in WebAssembly and on ARM; with three different scales the two roundings
    disagree on rare values (one element in Lite0's ninth block on the cat photo, which
    then spreads). With one scale and zero point the sum is (a - z) + (b - z) + z in both,
    exactly. Residual streams chain Adds, so the ranges are merged transitively; the
    common range is the union of the calibrated ones.
    """
    parent = {t: t for t in ranges}

    def root(t: str) -> str:
        while parent[t] != t:
            parent[t] = parent[parent[t]]
            t = parent[t]
        return t

    for node in model.graph.node:
        if node.op_type == "Add" and all(t in ranges for t in (*node.input[:2], node.output[0])):
            a, b, c = (root(t) for t in (*node.input[:2], node.output[0]))
            parent[b] = a
            parent[c] = a
    groups: dict[str, list[str]] = {}
    for t in ranges:
        groups.setdefault(root(t), []).append(t)
    out = dict(ranges)
    for members in groups.values():
        lo = min(ranges[t][0] for t in members)
        hi = max(ranges[t][1] for t in members)
        for t in members:
            out[t] = (np.float32(lo), np.float32(hi))
    return out


def _mean_shift(dw: np.ndarray, mean: np.ndarray, groups: int) -> np.ndarray:
    """dW . E[x] per output channel; ``dw`` is (out, in/groups, ...) with channels first."""
    if dw.ndim == 2:  # Gemm
        return dw @ mean
    cin = dw.shape[1]
    per_in = np.repeat(mean.reshape(groups, cin), dw.shape[0] // groups, axis=0)  # (out, cin)
    return (dw.sum(axis=tuple(range(2, dw.ndim))) * per_in).sum(axis=1)


def quantize_layer(w: np.ndarray, bias: np.ndarray, input_scale: float, input_mean: np.ndarray,
                   groups: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One layer's weights and bias as the int8 file stores them.

    ``w`` has its output channels first. Returns (w_int in -127..127, weight scale (float32),
    int32 bias, bias scale (float32) = input_scale * weight scale, as the kernels assume).

    Bias correction (Nagel et al. 2019, "Data-Free Quantization", section 4.2): rounding the
    weights shifts each output channel's mean by dW . E[x]; it is taken out of the bias.
    On EfficientNet-Lite0 the weight rounding alone, with float activations, caused every
    top-1 flip of the int8 model on our validation set. A channel whose weights are all
    (nearly) zero gets a scale large enough for its bias to fit the int32 range.
    """
    w = w.astype(np.float64)
    flat = w.reshape(w.shape[0], -1)
    scale = np.abs(flat).max(axis=1) / WEIGHT_QMAX
    corrected = bias.astype(np.float64)
    for _ in range(2):  # the bias bound can raise a scale, which changes that channel's rounding
        safe = np.where(scale > 0, scale, 1.0)
        w_int = np.clip(np.round(flat / safe[:, None]), -WEIGHT_QMAX, WEIGHT_QMAX)
        dw = (w_int * safe[:, None] - flat).reshape(w.shape)
        corrected = bias - _mean_shift(dw, input_mean, groups)
        scale = np.maximum(scale, np.abs(corrected) / (input_scale * BIAS_QMAX))
    scale32 = np.where(scale > 0, scale, 1.0).astype(np.float32)
    w_int = np.clip(np.round(flat / scale32[:, None].astype(np.float64)), -WEIGHT_QMAX, WEIGHT_QMAX)
    bias_scale32 = (np.float32(input_scale) * scale32).astype(np.float32)
    b_int = np.round(corrected / bias_scale32.astype(np.float64))
    return w_int.reshape(w.shape).astype(np.int32), scale32, b_int.astype(np.int32), bias_scale32


def _set_axis(node: onnx.NodeProto, axis: int) -> None:
    del node.attribute[:]  # DequantizeLinear's only attributes are axis and block_size
    node.attribute.append(onnx.helper.make_attribute("axis", axis))


def _set_weights(q: onnx.ModelProto, fp32: onnx.ModelProto, means: dict[str, np.ndarray]) -> None:
    """Overwrite the quantizer's weights and biases with ``quantize_layer``'s, in place.

    The quantizer is asked for per-tensor weights (its per-channel rounding is a Python loop
    over channels, a tenth of the export's time, and would be thrown away here): this makes
    them per channel, with the DequantizeLinear nodes' axis set to match.
    """
    q_inits = {i.name: i for i in q.graph.initializer}
    uses: dict[str, int] = {}
    for n in q.graph.node:
        for name in n.input:
            uses[name] = uses.get(name, 0) + 1
    f_inits = {i.name: numpy_helper.to_array(i) for i in fp32.graph.initializer}
    f_nodes = {n.name: n for n in fp32.graph.node}
    if len(f_nodes) != len(fp32.graph.node):
        raise RuntimeError("node names must be unique (see _prepare)")
    producer = {o: n for n in q.graph.node for o in n.output}
    for node in q.graph.node:
        f_node = f_nodes.get(node.name)
        if node.op_type not in ("Conv", "Gemm") or f_node is None or f_node.input[1] not in f_inits:
            continue
        x_dq, w_dq, b_dq = (producer.get(node.input[i]) for i in range(3))
        if not all(p is not None and p.op_type == "DequantizeLinear" for p in (x_dq, w_dq, b_dq)):
            raise RuntimeError(f"{node.name}: expected quantized input, weight and bias")
        axis = _channel_axis(node)
        w = np.moveaxis(f_inits[f_node.input[1]], axis, 0)
        x_scale = float(numpy_helper.to_array(q_inits[x_dq.input[1]]))
        w_int, w_scale, b_int, b_scale = quantize_layer(
            w, f_inits[f_node.input[2]], x_scale, means[f_node.input[0]], _attrs(node).get("group", 1)
        )
        stored = numpy_helper.to_array(q_inits[w_dq.input[0]]).dtype
        zero = UINT8_WEIGHT_ZERO_POINT if stored == np.uint8 else 0
        values = {
            w_dq.input[0]: np.moveaxis(w_int + zero, 0, axis).astype(stored),
            w_dq.input[1]: w_scale,
            w_dq.input[2]: np.full(len(w_scale), zero, stored),
            b_dq.input[0]: b_int,
            b_dq.input[1]: b_scale,
            b_dq.input[2]: np.zeros(len(b_scale), np.int32),
        }
        for name, value in values.items():
            if uses.get(name, 0) != 1:
                raise RuntimeError(f"{node.name}: {name} is shared with other nodes; it cannot become per-channel")
            q_inits[name].CopyFrom(numpy_helper.from_array(value, name))
        _set_axis(w_dq, axis)
        _set_axis(b_dq, 0)


def quantize_int8(fp32_path: Path, path: Path, calibration: list[np.ndarray], method: str = "minmax",
                  threads: int = 0) -> str:
    """Write the portable int8 model; return the calibration method actually used.
    ``threads``: onnxruntime's threads for the calibration pass (0: one per core)."""
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.calibrate import TensorsData, save_tensors_data
    from onnxruntime.quantization.shape_inference import quant_pre_process

    methods = {
        "minmax": CalibrationMethod.MinMax,
        "percentile": CalibrationMethod.Percentile,
        "entropy": CalibrationMethod.Entropy,
    }
    if method not in methods:
        raise ValueError(f"unknown calibration method {method!r}: choose from {', '.join(methods)}")
    with tempfile.TemporaryDirectory() as tmp:
        prepped = Path(tmp) / "prep.onnx"
        # shape inference + graph cleanup first, as onnxruntime recommends for static QDQ
        quant_pre_process(str(fp32_path), str(prepped), skip_symbolic_shape=True)
        fp32 = _prepare(onnx.load(str(prepped)))
        onnx.save_model(fp32, str(prepped))
        nodes = _weighted_nodes(fp32)
        ranges, means = calibration_statistics(fp32, calibration, threads)
        ranges = shared_add_ranges(fp32, ranges)
        # min/max ranges go to the quantizer as its calibration cache, so the photos run once
        cache = Path(tmp) / "ranges.json"
        save_tensors_data(TensorsData(CalibrationMethod.MinMax, ranges), cache)
        inits = {i.name: i for i in fp32.graph.initializer}
        # the quantizer picks the scales of activations; weight types are chosen here
        overrides = {
            n.input[1]: [{"quant_type": QuantType.QUInt8, "symmetric": True}]
            for n in nodes if not _is_depthwise(n, inits[n.input[1]].dims)
        }

        def run(m: str) -> None:
            quantize_static(
                str(prepped),
                str(path),
                None if m == "minmax" else _Reader(calibration),
                quant_format=QuantFormat.QDQ,
                per_channel=False,  # _set_weights makes the weights per channel
                activation_type=QuantType.QUInt8,
                weight_type=QuantType.QInt8,
                calibrate_method=methods[m],
                calibration_cache_path=cache if m == "minmax" else None,
                extra_options={
                    "TensorQuantOverrides": overrides,
                    # the logits stay float: rounding them to 8 bits flips near-ties for free
                    "OpTypesToExcludeOutputQuantization": ["Gemm", "MatMul"],
                    **({"CalibPercentile": 99.999} if m == "percentile" else {}),
                },
            )

        used = method
        try:
            run(method)
        except ValueError:
            # histogram methods fail on degenerate ranges (a constant activation, common in
            # untrained networks); min/max calibration is always defined
            if method == "minmax":
                raise
            used = "minmax"
            run(used)
    q = onnx.load(str(path))
    _set_weights(q, fp32, means)
    risks = saturation_risks(q)
    if risks:
        raise RuntimeError("int8 layers that can saturate on CPUs without VNNI: " + "; ".join(risks))
    onnx.checker.check_model(q, full_check=True)
    onnx.save_model(q, str(path))
    return used


def saturation_risks(model: onnx.ModelProto) -> list[str]:
    """Layers of an int8 file whose integer products some CPU's kernels can saturate.

    Works on the portable QDQ file (DequantizeLinear -> Conv/Gemm) and on the pre-optimized
    one (QLinearConv, QGemm). A layer is safe when its weights are uint8 (kernels widen u8 x
    u8 before multiplying), when it is a depthwise convolution (those kernels widen both
    operands), or when its int8 weights lie in -64..64 (two products of 255 * 64 fit 16 bits).
    An empty list means every CPU computes the same integers.
    """
    inits = {i.name: i for i in model.graph.initializer}
    producer = {o: n for n in model.graph.node for o in n.output}
    risks = []

    def check(node, weight_name: str, zero_point_name: str | None) -> None:
        w = numpy_helper.to_array(inits[weight_name])
        if w.dtype == np.uint8 or _is_depthwise(node, w.shape):
            return
        if w.dtype != np.int8:
            risks.append(f"{node.name}: weights of type {w.dtype}")
            return
        zp = numpy_helper.to_array(inits[zero_point_name]).astype(np.int32) if zero_point_name else np.int32(0)
        if zp.size > 1:  # per channel: along the first axis, or the last (a (K, N) matrix)
            zp = zp.reshape([-1] + [1] * (w.ndim - 1)) if zp.size == w.shape[0] else zp.reshape(-1)
        peak = int(np.abs(w.astype(np.int32) - zp).max())
        if peak > INT8_PAIR_SAFE:
            risks.append(f"{node.name}: int8 weights up to {peak} (safe: {INT8_PAIR_SAFE})")

    for node in model.graph.node:
        if node.op_type in ("Conv", "Gemm", "MatMul"):
            dq = producer.get(node.input[1])
            if dq is not None and dq.op_type == "DequantizeLinear" and dq.input[0] in inits:
                check(node, dq.input[0], dq.input[2] if len(dq.input) > 2 else None)
        elif node.op_type == "QLinearConv":  # x, x_scale, x_zp, w, w_scale, w_zp, ...
            check(node, node.input[3], node.input[5])
        elif node.op_type in ("QGemm", "QLinearMatMul", "MatMulInteger", "ConvInteger"):
            w_index, zp_index = {"QGemm": (3, 5), "QLinearMatMul": (3, 5), "MatMulInteger": (1, 3),
                                 "ConvInteger": (1, 3)}[node.op_type]
            if node.input[w_index] in inits:
                zp = node.input[zp_index] if len(node.input) > zp_index and node.input[zp_index] else None
                check(node, node.input[w_index], zp)
    return risks


def optimize_for_web(path: Path, dest: Path, model_format: str = "ONNX") -> dict:
    """Save ``path`` with onnxruntime's graph optimizations applied, for onnxruntime-web.

    The browser loads ``dest`` with graphOptimizationLevel 'all': the remaining layout passes
    there are cheap, and the saved graph contains only standard ONNX and com.microsoft
    operators that the WebAssembly build implements. ``model_format`` "ORT" saves it in
    onnxruntime's own format instead (benchmarks/run.py compares the two). Returns what the
    manifest records.
    """
    import onnxruntime as ort

    # the level applied is the level recorded: both read WEB_OPTIMIZATION_LEVEL
    ort_session(path, 1, optimization=WEB_OPTIMIZATION_LEVEL, save_to=dest, save_format=model_format)
    if not dest.is_file():
        raise RuntimeError(f"onnxruntime did not write the optimized model {dest}")
    # the saved graph uses contrib operators (QLinearConv, QLinearAdd...), which the onnx
    # checker does not know; loading it in onnxruntime is the check that matters
    ort_session(dest)
    return {"graph_optimization_level": WEB_OPTIMIZATION_LEVEL, "onnxruntime": ort.__version__}
