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


def quantize_int8(
    fp32_path: Path,
    path: Path,
    calibration: list[np.ndarray],
    method: str = "minmax",
    keep_first_conv: bool = False,
    keep_last_gemm: bool = False,
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
