"""PyTorch -> ONNX fp32 -> fp16 and int8 variants.

- fp32: ``torch.onnx.export(dynamo=True)`` with a dynamic batch axis, simplified with
  onnxslim, written as a single file (no external data).
- fp16: weights and activations in half precision; inputs and outputs stay float32 so
  every variant takes the same tensor.
- int8: static QDQ quantization with onnxruntime, per-channel int8 weights and uint8
  activations, calibrated on photos disjoint from the validation set. Min/max calibration
  is the default: on EfficientNet-Lite0 it matched percentile and entropy calibration in
  agreement at a tenth of the time, and moving-average or symmetric activation ranges were
  much worse. The classifier's output (the logits) is left in float.
- int8, pre-optimized for the browser (``optimize_for_web``): the int8 file with
  onnxruntime's "extended" graph optimizations already applied and saved, so onnxruntime-web
  does not spend half a second fusing QuantizeLinear/DequantizeLinear pairs into QLinearConv
  every time a reader opens the model. The portable QDQ file stays the int8 variant: other
  runtimes and execution providers (WebGPU, WebNN, TensorRT...) need the QDQ form.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Iterable

import numpy as np
import onnx
import torch

INPUT_NAME = "input"
OUTPUT_NAME = "logits"
VARIANTS = ("fp32", "fp16", "int8")
# variants that also get a file pre-optimized for onnxruntime-web; for fp32 and fp16 the
# browser spends little time optimizing (benchmarks/results.json, the pre-optimized rows)
OPTIMIZED_VARIANTS = ("int8",)
# "extended" is the highest level whose result runs anywhere onnxruntime's CPU kernels run;
# "all" adds layout changes for this machine's instruction set (NCHWc blocks for AVX-512)
# that the WebAssembly build does not have
WEB_OPTIMIZATION_LEVEL = "extended"


def export_fp32(model: torch.nn.Module, input_size: int, path: Path) -> onnx.ModelProto:
    import onnxslim

    model = model.eval()
    example = torch.zeros(2, 3, input_size, input_size)
    batch = torch.export.Dim("batch", min=1, max=1024)
    program = torch.onnx.export(
        model,
        (example,),
        input_names=[INPUT_NAME],
        output_names=[OUTPUT_NAME],
        dynamic_shapes=({0: batch},),
        dynamo=True,
        external_data=False,
        verbose=False,
    )
    slim = onnxslim.slim(program.model_proto)
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


class _Reader:
    """onnxruntime CalibrationDataReader over preprocessed tensors, one image at a time."""

    def __init__(self, tensors: Iterable[np.ndarray]):
        self._it = iter([{INPUT_NAME: t} for t in tensors])

    def get_next(self):
        return next(self._it, None)


def _float_kept_nodes(model: onnx.ModelProto, keep_first_conv: bool, keep_last_gemm: bool) -> list[str]:
    """Nodes left in float: the stem conv sees raw pixels, the classifier sets the logits."""
    names = []
    convs = [n for n in model.graph.node if n.op_type == "Conv"]
    if keep_first_conv and convs:
        names.append(convs[0].name)
    heads = [n for n in model.graph.node if n.op_type in ("Gemm", "MatMul")]
    if keep_last_gemm and heads:
        names.append(heads[-1].name)
    elif keep_last_gemm and convs:  # SqueezeNet's classifier is a 1x1 conv
        names.append(convs[-1].name)
    return names


def _input_means(model: onnx.ModelProto, nodes: list, calibration: list[np.ndarray]) -> dict[str, np.ndarray]:
    """Per-channel mean of each node's data input over the calibration images (fp32 graph)."""
    import onnxruntime as ort

    probe = onnx.ModelProto()
    probe.CopyFrom(model)
    names = list(dict.fromkeys(n.input[0] for n in nodes))
    known = {o.name for o in probe.graph.output}
    for name in names:
        if name not in known:
            probe.graph.output.append(onnx.helper.make_empty_tensor_value_info(name))
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL  # keep every tensor
    so.log_severity_level = 3
    sess = ort.InferenceSession(probe.SerializeToString(), so, providers=["CPUExecutionProvider"])
    sums: dict[str, np.ndarray] = {}
    for x in calibration:
        for name, value in zip(names, sess.run(names, {INPUT_NAME: x})):
            axes = (0, 2, 3) if value.ndim == 4 else (0,)  # NCHW conv input or (N, K) Gemm input
            sums[name] = sums.get(name, 0.0) + value.astype(np.float64).mean(axis=axes)
    return {k: v / len(calibration) for k, v in sums.items()}


def correct_bias(model: onnx.ModelProto, calibration: list[np.ndarray]) -> onnx.ModelProto:
    """Empirical bias correction (Nagel et al. 2019, "Data-Free Quantization", section 4.2).

    Rounding weights to int8 shifts each output channel's mean by dW . E[x]; subtracting
    that shift from the float bias before quantization cancels it. dW is computed exactly as
    onnxruntime will round: per output channel, symmetric, scale = max|w| / 127, round half
    to even. On EfficientNet-Lite0 the weight rounding alone, with float activations, caused
    every top-1 flip of the int8 model on our validation set.
    """
    from onnx import numpy_helper

    inits = {i.name: i for i in model.graph.initializer}
    nodes = [n for n in model.graph.node if n.op_type in ("Conv", "Gemm") and n.input[1] in inits]
    means = _input_means(model, nodes, calibration)
    for node in nodes:
        w = numpy_helper.to_array(inits[node.input[1]]).astype(np.float64)
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        if node.op_type == "Gemm" and not attrs.get("transB", 0):
            w = w.T  # make it (out, in)
        flat = w.reshape(w.shape[0], -1)
        scale = np.abs(flat).max(axis=1) / 127.0
        scale[scale == 0] = 1.0
        dw = (np.clip(np.round(flat / scale[:, None]), -127, 127) * scale[:, None] - flat).reshape(w.shape)
        mean = means[node.input[0]]
        if node.op_type == "Gemm":
            shift = dw @ mean
        else:  # grouped conv: each output channel sees only its group's inputs
            groups = attrs.get("group", 1)
            cin = dw.shape[1]
            per_in = np.repeat(mean.reshape(groups, cin), dw.shape[0] // groups, axis=0)  # (out, cin)
            shift = (dw.sum(axis=(2, 3)) * per_in).sum(axis=1)
        if len(node.input) > 2 and node.input[2]:
            bias = numpy_helper.to_array(inits[node.input[2]]).astype(np.float64)
            inits[node.input[2]].CopyFrom(numpy_helper.from_array((bias - shift).astype(np.float32), node.input[2]))
        else:
            name = node.input[1] + "_corrected_bias"
            model.graph.initializer.append(numpy_helper.from_array((-shift).astype(np.float32), name))
            while len(node.input) < 2:
                node.input.append("")
            node.input.append(name)
    return model


def quantize_int8(
    fp32_path: Path,
    path: Path,
    calibration: list[np.ndarray],
    method: str = "minmax",
    keep_first_conv: bool = False,
    keep_last_gemm: bool = False,
    bias_correction: bool = True,
) -> str:
    """Write the int8 model; return the calibration method actually used."""
    from onnxruntime.quantization import (
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )
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
        if bias_correction:
            onnx.save_model(correct_bias(onnx.load(str(prepped)), calibration), str(prepped))
        exclude = _float_kept_nodes(onnx.load(str(prepped)), keep_first_conv, keep_last_gemm)

        def run(m: str) -> None:
            quantize_static(
                str(prepped),
                str(path),
                _Reader(calibration),
                quant_format=QuantFormat.QDQ,
                per_channel=True,
                activation_type=QuantType.QUInt8,
                weight_type=QuantType.QInt8,
                calibrate_method=methods[m],
                nodes_to_exclude=exclude,
                extra_options={
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
    onnx.checker.check_model(q, full_check=True)
    return used


def optimize_for_web(path: Path, dest: Path, model_format: str = "ONNX") -> dict:
    """Save ``path`` with onnxruntime's graph optimizations applied, for onnxruntime-web.

    The browser loads ``dest`` with graphOptimizationLevel 'all': the remaining layout passes
    there are cheap, and the saved graph contains only standard ONNX and com.microsoft
    operators that the WebAssembly build implements. ``model_format`` "ORT" saves it in
    onnxruntime's own format instead (benchmarks/run.py compares the two). Returns what the
    manifest records.
    """
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
    so.optimized_model_filepath = str(dest)
    so.intra_op_num_threads = 1
    so.log_severity_level = 3
    so.add_session_config_entry("session.save_model_format", model_format)
    ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
    if not dest.is_file():
        raise RuntimeError(f"onnxruntime did not write the optimized model {dest}")
    # the saved graph uses contrib operators (QLinearConv, QLinearAdd...), which the onnx
    # checker does not know; loading it in onnxruntime is the check that matters
    ort.InferenceSession(str(dest), providers=["CPUExecutionProvider"])
    return {"graph_optimization_level": WEB_OPTIMIZATION_LEVEL, "onnxruntime": ort.__version__}
