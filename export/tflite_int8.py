"""The int8 .tflite file: the fp32 .tflite file statically quantized for LiteRT.js.

    from export.tflite_int8 import quantize
    quantize(Path("build/models/efficientnet_lite0.fp32.tflite"), dest, calibration)

export/tflite.py calls this on each fp32 .tflite file it writes. The recipe follows the ONNX
int8 file's (export/convert.py), with LiteRT's quantizer (PyPI ``ai-edge-quantizer``):

- static: 8-bit activations (asymmetric, one range per tensor) and 8-bit weights (symmetric,
  one scale per output channel), so XNNPACK runs every convolution in integers. Not
  weights-only ("dynamic range") int8: LiteRT.js runs that 3.3x slower than fp32 (XNNPACK
  splits the graph into 17 parts);
- the input and the outputs stay float32, so the page feeds and reads it as the fp32 file;
- each activation's range is its min and max over the calibration images (the quantizer's
  default, a moving average of ranges, clips: 54 % top-1 agreement on EfficientNet-Lite0);
- bias correction (Nagel et al. 2019, as ``convert.quantize_layer``): rounding the weights
  shifts each output channel's mean by dW . E[x], which is taken out of the int32 bias. On
  EfficientNet-Lite0 rounding the weights alone (float activations) flips the top-1 class of
  12 of 84 validation images; the correction brings agreement from 86 % to 92-94 %;
- the class activation maps (export/tflite.py's ClassMaps) stay float: they read the
  classifier's int8 rows of the five best classes and scale them (``int8_map_rows``), as the
  ONNX int8 file does, so the file holds no float copy of the classifier's weights.
"""

from __future__ import annotations

import contextlib
import io
import re
import time
import warnings
from pathlib import Path

import numpy as np

# the maps' ops, found (re.search) in their scope, the names of their outputs joined by ";":
# export/tflite.py's ClassMaps wrapper names its own ops "...ClassMaps;N" (the model's ops
# are "...ClassMaps/<module path>...;"), and the converter names the signature's outputs
# serving_default_<name>_output
MAP_OPS = r"ClassMaps;|serving_default_cam"

_A8W8 = {
    "activation_tensor_config": {"num_bits": 8, "symmetric": False, "granularity": "TENSORWISE", "dtype": "INT"},
    "weight_tensor_config": {"num_bits": 8, "symmetric": True, "granularity": "CHANNELWISE", "dtype": "INT"},
    "compute_precision": "INTEGER",
    "explicit_dequantize": False,
    "skip_checks": False,
    "min_weight_elements": 0,
}
RECIPE = [
    {"regex": ".*", "operation": "*", "algorithm_key": "min_max_uniform_quantize", "op_config": _A8W8},
    # float input and outputs: the quantizer adds a QUANTIZE after the input and a DEQUANTIZE
    # before each output
    {"regex": ".*", "operation": "INPUT", "algorithm_key": "no_quantize"},
    {"regex": ".*", "operation": "OUTPUT", "algorithm_key": "no_quantize"},
    {"regex": MAP_OPS, "operation": "*", "algorithm_key": "no_quantize"},
]


def quantize(fp32: Path, dest: Path, calibration: list[np.ndarray], input_name: str, threads: int = 1) -> dict:
    """Write ``dest``, the int8 form of the .tflite file ``fp32``, calibrated on
    ``calibration`` ((1, 3, S, S) float32 images). Returns what the manifest records of it
    (lwm/records.py's TfliteCalibration)."""
    import importlib.metadata

    from ai_edge_quantizer import calibrator, quantizer
    from ai_edge_quantizer.utils import qsv_utils

    t0 = time.perf_counter()
    q = quantizer.Quantizer(str(fp32))
    q.load_quantization_recipe(RECIPE)
    (signature,) = _signatures(fp32)
    # the quantizer draws progress bars on stderr, several hundred a model: they say nothing we report
    with contextlib.redirect_stderr(io.StringIO()), warnings.catch_warnings():
        # its calibrator keeps every tensor (LiteRT warns that this is for debugging), and
        # its rounding warns of an invalid value in a cast on every model: what the file
        # computes is checked after, on every validation photo and every map
        warnings.simplefilter("ignore", UserWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        cal = calibrator.Calibrator(fp32.read_bytes(), num_threads=threads, qsv_update_func=qsv_utils.min_max_update)
        cal.calibrate({signature: [{input_name: np.ascontiguousarray(x, np.float32)} for x in calibration]},
                      q._recipe_manager)  # the Calibrator is public, its recipe manager the Quantizer's
        model = q.quantize(cal.get_model_qsvs(), enable_progress_report=False).quantized_model
        model = correct_biases(fp32, bytes(model), calibration, threads)
    model = signature_outputs(int8_map_rows(model))
    tmp = dest.with_name(dest.name + ".tmp")
    tmp.write_bytes(model)
    tmp.replace(dest)
    return {
        "quantizer": f"ai-edge-quantizer {importlib.metadata.version('ai-edge-quantizer')}",
        "method": "minmax",
        "images": len(calibration),
        "bias_correction": True,
        "seconds": round(time.perf_counter() - t0, 1),
    }


def _signatures(path: Path) -> list[str]:
    from ai_edge_litert.interpreter import Interpreter

    return list(Interpreter(model_path=str(path)).get_signature_list())


def _schema():
    from ai_edge_litert import schema_py_generated as schema

    return schema


_NUMPY = {"INT8": np.int8, "INT32": np.int32, "FLOAT32": np.float32}


def _array(model, tensor) -> np.ndarray | None:
    """A constant tensor's values (a copy), or None for an activation."""
    schema = _schema()
    data = model.buffers[tensor.buffer].data
    if data is None or len(data) == 0:
        return None
    name = next(k for k, v in vars(schema.TensorType).items() if v == tensor.type)
    return np.frombuffer(np.asarray(data, np.uint8).tobytes(), _NUMPY[name]).reshape(tensor.shape)


def _set(model, tensor, values: np.ndarray) -> None:
    model.buffers[tensor.buffer].data = np.frombuffer(np.ascontiguousarray(values).tobytes(), np.uint8)


def _op_name(model, op) -> str:
    from ai_edge_litert.tools import flatbuffer_utils

    return flatbuffer_utils.opcode_to_name(model, op.opcodeIndex)


def input_means(fp32: Path, names: list[str], images: list[np.ndarray], threads: int = 1) -> dict[str, np.ndarray]:
    """The per-channel mean of each named activation of the fp32 file (NHWC inside: the last
    axis is the channel) over ``images``."""
    from ai_edge_litert.interpreter import Interpreter

    it = Interpreter(model_path=str(fp32), num_threads=threads, experimental_preserve_all_tensors=True)
    it.allocate_tensors()
    index = {d["name"]: d["index"] for d in it.get_tensor_details()}
    inp = it.get_input_details()[0]["index"]
    sums = {n: 0.0 for n in names}
    for x in images:
        it.set_tensor(inp, np.ascontiguousarray(x, np.float32))
        it.invoke()
        for n in names:
            a = it.get_tensor(index[n]).astype(np.float64)
            sums[n] = sums[n] + a.reshape(-1, a.shape[-1]).mean(axis=0)
    return {n: s / len(images) for n, s in sums.items()}


def correct_biases(fp32: Path, quantized: bytes, images: list[np.ndarray], threads: int = 1) -> bytes:
    """``quantized`` with the int32 bias of every int8 convolution and fully connected layer
    corrected: new bias = bias - dW . E[x], dW the rounding of the layer's weights (int8 x
    scale - fp32), E[x] the mean of its input over ``images`` in the fp32 file."""
    from ai_edge_litert.tools import flatbuffer_utils as fb

    schema = _schema()
    float_model = fb.read_model(str(fp32))
    model = fb.read_model_from_bytearray(bytearray(quantized))
    graph = model.subgraphs[0]
    float_tensors = {t.name: t for t in float_model.subgraphs[0].tensors}
    layers = []
    for op in graph.operators:
        kind = _op_name(model, op)
        if kind not in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED") or len(op.inputs) < 3 or op.inputs[2] < 0:
            continue
        x, w, b = (graph.tensors[i] for i in op.inputs[:3])
        if w.type == schema.TensorType.INT8 and b.type == schema.TensorType.INT32:
            layers.append((kind, x, w, b))
    means = input_means(fp32, sorted({x.name.decode() for _, x, _, _ in layers}), images, threads)
    for kind, x, w, b in layers:
        # the quantizer renames a constant it had to copy (name_duplicated_N)
        original = float_tensors[re.sub(rb"_duplicated_\d+$", b"", w.name)]
        w_float = _array(float_model, original).astype(np.float64)
        scale = np.asarray(w.quantization.scale, np.float64)
        mean = means[x.name.decode()]
        if kind == "DEPTHWISE_CONV_2D":  # [1, kh, kw, out]: output channel c reads input c // multiplier
            dw = _array(model, w).astype(np.float64) * scale - w_float
            shift = dw.sum(axis=(0, 1, 2)) * np.repeat(mean, dw.shape[-1] // mean.shape[0])
        else:  # [out, (kh, kw,) in], in per group
            dw = _array(model, w).astype(np.float64) * scale.reshape(-1, *[1] * (w_float.ndim - 1)) - w_float
            cin = dw.shape[-1]
            groups = mean.shape[0] // cin
            per_out = np.repeat(mean.reshape(groups, cin), dw.shape[0] // groups, axis=0)
            shift = (dw.reshape(dw.shape[0], -1, cin).sum(axis=1) * per_out).sum(axis=1)
        bias = _array(model, b).astype(np.float64)
        bias_scale = np.asarray(b.quantization.scale, np.float64)
        _set(model, b, np.clip(np.round(bias - shift / bias_scale), -(2**31), 2**31 - 1).astype(np.int32))
    return bytes(fb.convert_object_to_bytearray(model))


def signature_outputs(quantized: bytes) -> bytes:
    """Point each signature output at the graph's float output. The quantizer dequantizes an
    output that another op also reads (the logits, which the maps' TOPK_V2 reads) into a
    new tensor, and makes that the graph's output, but its signature still names the int8
    tensor, which the interpreter then does not fill."""
    from ai_edge_litert.tools import flatbuffer_utils as fb

    model = fb.read_model_from_bytearray(bytearray(quantized))
    graph = model.subgraphs[0]
    dequantized = {op.inputs[0]: op.outputs[0] for op in graph.operators if _op_name(model, op) == "DEQUANTIZE"}
    changed = False
    for out in model.signatureDefs[0].outputs:
        if out.tensorIndex not in graph.outputs and dequantized.get(out.tensorIndex) in graph.outputs:
            out.tensorIndex = dequantized[out.tensorIndex]
            changed = True
    return bytes(fb.convert_object_to_bytearray(model)) if changed else quantized


def _opcode(model, builtin: int) -> int:
    """The index of ``builtin`` in the model's operator codes, added if missing."""
    schema = _schema()
    for i, code in enumerate(model.operatorCodes):
        if max(code.builtinCode, code.deprecatedBuiltinCode) == builtin:
            return i
    code = schema.OperatorCodeT()
    code.builtinCode, code.deprecatedBuiltinCode, code.version = builtin, min(builtin, 127), 1
    model.operatorCodes.append(code)
    return len(model.operatorCodes) - 1


def int8_map_rows(quantized: bytes) -> bytes:
    """The maps' rows read from the classifier's int8 weights, not from a float copy.

    The fp32 file's maps gather the five best classes' rows of the classifier's weight
    (GATHER_ND). The quantizer leaves that gather in float and so keeps a float copy of the
    whole weight (Lite0: 5.1 MB, as much as the rest of the int8 file). Here the gather reads
    the int8 weight instead, and its rows are scaled by their classes' scales:

        rows = CAST(GATHER_ND(W_int8, classes)) * GATHER_ND(scales, classes)

    The float copy's tensor becomes the (classes, 1) scales. A file without maps is returned
    unchanged."""
    from ai_edge_litert.tools import flatbuffer_utils as fb

    schema = _schema()
    model = fb.read_model_from_bytearray(bytearray(quantized))
    graph = model.subgraphs[0]
    fcs = [op for op in graph.operators if _op_name(model, op) == "FULLY_CONNECTED"]
    weight = graph.tensors[fcs[-1].inputs[1]]  # the classifier, the last fully connected layer
    gathers = [op for op in graph.operators if _op_name(model, op) == "GATHER_ND"
               and graph.tensors[op.inputs[0]].type == schema.TensorType.FLOAT32
               and list(graph.tensors[op.inputs[0]].shape) == list(weight.shape)]
    if not gathers:
        return quantized
    (gather,) = gathers
    if weight.type != schema.TensorType.INT8 or np.any(np.asarray(weight.quantization.zeroPoint) != 0):
        raise RuntimeError("the classifier's weights are not symmetric int8")
    copy = graph.tensors[gather.inputs[0]]
    producer = {out: op for op in graph.operators for out in op.outputs}
    dequantize = producer.get(gather.inputs[0])
    if dequantize is not None:
        # the quantizer's other form of the copy: a second int8 copy, dequantized on every run
        if _op_name(model, dequantize) != "DEQUANTIZE":
            raise RuntimeError("the maps' rows come from an unexpected operator")
        second = graph.tensors[dequantize.inputs[0]]
        if not np.array_equal(_array(model, second), _array(model, weight)):
            raise RuntimeError("the maps' int8 rows differ from the classifier's")
        model.buffers[second.buffer].data = None  # its bytes leave the file
        graph.operators.remove(dequantize)
        model.buffers.append(schema.BufferT())
        copy.buffer = len(model.buffers) - 1
    else:  # a float copy: its buffer is reused
        copy.quantization = None
    # the copy's tensor becomes the classes' scales
    scales = np.asarray(weight.quantization.scale, np.float32)
    copy.shape = [len(scales), 1]
    copy.name = b"ClassMaps/row_scales"
    _set(model, copy, scales.reshape(-1, 1))
    rows = graph.tensors[gather.outputs[0]]
    classes = gather.inputs[1]

    def tensor(name: str, type_: int, shape: list[int]) -> int:
        t = schema.TensorT()
        t.name, t.type, t.shape, t.buffer = name.encode(), type_, list(shape), 0  # buffer 0: no data
        graph.tensors.append(t)
        return len(graph.tensors) - 1

    q_rows = tensor("ClassMaps/rows_int8", schema.TensorType.INT8, rows.shape)
    f_rows = tensor("ClassMaps/rows_unscaled", schema.TensorType.FLOAT32, rows.shape)
    row_scales = tensor("ClassMaps/rows_scales", schema.TensorType.FLOAT32, [rows.shape[0], 1])

    def op(builtin: int, inputs: list[int], outputs: list[int], options=None, options_type: int = 0):
        o = schema.OperatorT()
        o.opcodeIndex, o.inputs, o.outputs = _opcode(model, builtin), inputs, outputs
        o.builtinOptionsType, o.builtinOptions = options_type, options
        return o

    cast = schema.CastOptionsT()
    cast.inDataType, cast.outDataType = schema.TensorType.INT8, schema.TensorType.FLOAT32
    mul = schema.MulOptionsT()
    mul.fusedActivationFunction = schema.ActivationFunctionType.NONE
    ops = [
        op(schema.BuiltinOperator.GATHER_ND, [fcs[-1].inputs[1], classes], [q_rows]),
        op(schema.BuiltinOperator.CAST, [q_rows], [f_rows], cast, schema.BuiltinOptions.CastOptions),
        op(schema.BuiltinOperator.GATHER_ND, [gather.inputs[0], classes], [row_scales]),
        op(schema.BuiltinOperator.MUL, [f_rows, row_scales], [gather.outputs[0]], mul, schema.BuiltinOptions.MulOptions),
    ]
    at = graph.operators.index(gather)
    graph.operators[at:at + 1] = ops
    return bytes(fb.convert_object_to_bytearray(model))
