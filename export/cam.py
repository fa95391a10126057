"""Class activation maps: where in the photo a class's evidence lies (Zhou et al., CVPR 2016).

A network whose head is global average pooling followed by one linear layer computes each
class's score as the mean over positions of one map:

    logit_c = mean over (y, x) of  M_c(y, x)  +  b_c,   M_c(y, x) = sum_k w_ck F_k(y, x)

where F is the last feature map (K channels, H x W) and w_c the classifier's row for class c.
M_c is the class activation map: exact, not an approximation, and cheap (K x H x W
multiply-accumulates per class). MobileNetV1/V2, EfficientNet-B0/Lite and ResNet have this
head. SqueezeNet's last convolution already has one channel per class, pooled straight into
the scores, so its map for class c is channel c. MobileNetV3 pools, then runs two linear
layers with a non-linearity between them: a map from its features would not add up to its
score, so it gets none.

``add_cam`` appends the map to an exported ONNX file as two more outputs, computed from the
tensors the classifier already has (no second copy of any weight): ``cam`` (batch x 5 x H x
W, the maps of the five highest-scoring classes, best first) and ``cam_classes`` (batch x 5,
their class indices). The extra work is 5 x K x H x W multiply-accumulates (Lite0: 0.31 M,
0.08 % of the model). The page asks for a map only when the reader does; the browser then
upsamples the chosen class's map to the photo (site_app/cammap.js).

``torch_cam`` computes the same maps from the PyTorch model, for the tests and the export's
parity check. The export (export/pipeline.py) calls ``add_maps`` on each of a model's files
and ``map_parity`` to hold each file's maps to PyTorch's.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from lwm.records import CamMaps, CamOutputs, CamParity, NoCam

from .evaluation import ort_session

__all__ = ["CAM_OUTPUT", "CAM_CLASSES_OUTPUT", "CAM_TOP", "NoMapError", "Head", "find_head", "add_cam",
           "torch_cam", "upsample", "correlation", "add_maps", "map_parity"]

CAM_OUTPUT = "cam"
CAM_CLASSES_OUTPUT = "cam_classes"
CAM_TOP = 5  # the classes the page lists, so any of them can be shown

# nodes that pass a tensor on unchanged in value (up to layout or precision) between the
# pooling and the scores
_PASS_THROUGH = {"Flatten", "Reshape", "Identity", "Cast", "QuantizeLinear", "DequantizeLinear", "Dropout"}


class NoMapError(ValueError):
    """The graph's head is not global average pooling + at most one linear layer."""


@dataclass(frozen=True)
class Head:
    kind: str  # "linear": pooling then one linear layer; "channels": the pooled map is the scores
    features: str  # the last feature map (N x K x H x W), the pooling's input
    shape: tuple[int, int, int]  # its (K, H, W)
    weight: str | None  # the linear layer's weight tensor (classes x K), for "linear"
    float16: bool  # the graph computes in half precision
    # an int8 file's weight is DequantizeLinear(8-bit initializer, scale, zero point), one
    # scale per class: (quantized, scale, zero point) then, so that only five rows are dequantized
    quantized: tuple[str, str, str] | None = None


def find_head(model: onnx.ModelProto, logits: str = "logits") -> Head:
    """Walk back from the scores to the global average pooling; raise NoMapError when the
    layers in between are anything but one linear layer and shape or precision changes."""
    g = model.graph
    producer = {out: node for node in g.node for out in node.output}
    inits = {i.name: i for i in g.initializer}
    name, linear = logits, None
    while True:
        node = producer.get(name)
        if node is None:
            raise NoMapError(f"no global average pooling feeds {logits}")
        if node.op_type == "GlobalAveragePool":
            break
        if node.op_type == "Gemm":
            if linear is not None:
                raise NoMapError("the head has more than one linear layer after the pooling")
            attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
            if attrs.get("transB", 0) != 1 or attrs.get("transA", 0) != 0:
                raise NoMapError("the linear layer is not stored as (classes x features)")
            linear = node
        elif node.op_type not in _PASS_THROUGH:
            raise NoMapError(
                f"after the pooling comes another layer with a non-linearity ({node.op_type}), so a "
                "map of the last features would not add up to the scores"
            )
        name = node.input[0]
    features = node.input[0]
    weight = linear.input[1] if linear is not None else None
    elem_type, shape = _feature_map(model, features)
    quantized = None
    dq = producer.get(weight) if weight else None
    if dq is not None and dq.op_type == "DequantizeLinear":
        axis = {a.name: helper.get_attribute_value(a) for a in dq.attribute}.get("axis", 1)
        if axis != 0 or len(dq.input) < 3 or not all(n in inits for n in dq.input):
            raise NoMapError("the linear layer's int8 weights are not quantized per class")
        quantized = tuple(dq.input)
    return Head("linear" if linear is not None else "channels", features, shape, weight,
                elem_type == TensorProto.FLOAT16, quantized)


def _feature_map(model: onnx.ModelProto, name: str) -> tuple[int, tuple[int, int, int]]:
    """The element type and (K, H, W) of the feature map ``name``, from one shape inference."""
    inferred = onnx.shape_inference.infer_shapes(model)
    for vi in inferred.graph.value_info:
        if vi.name == name:
            dims = [d.dim_value for d in vi.type.tensor_type.shape.dim]
            if len(dims) == 4 and all(dims[1:]):
                return vi.type.tensor_type.elem_type, (dims[1], dims[2], dims[3])
    raise NoMapError(f"the shape of the feature map {name} is unknown")


def add_cam(model: onnx.ModelProto, logits: str = "logits") -> tuple[onnx.ModelProto, dict]:
    """Return a copy of ``model`` with the ``cam`` and ``cam_classes`` outputs, and what they
    are: {kind, features: [K, H, W], classes, macs}."""
    head = find_head(model, logits)
    k, h, w = head.shape
    out = onnx.ModelProto()
    out.CopyFrom(model)
    g = out.graph
    p = "cam/"

    def const(name: str, values: list[int]) -> str:
        g.initializer.append(numpy_helper.from_array(np.array(values, dtype=np.int64), p + name))
        return p + name

    nodes = [
        helper.make_node("TopK", [logits, const("k", [CAM_TOP])], [p + "top_scores", CAM_CLASSES_OUTPUT],
                         axis=-1, largest=1, sorted=1),
    ]
    if head.kind == "linear" and head.quantized:
        # (q - zero point) * scale of the five rows only: dequantizing the whole weight for them
        # would cost a pass over all of it on every run
        q, scale, zero = head.quantized
        nodes += [
            helper.make_node("Gather", [q, CAM_CLASSES_OUTPUT], [p + "q_rows"], axis=0),
            helper.make_node("Cast", [p + "q_rows"], [p + "q_rows_f"], to=TensorProto.FLOAT),
            helper.make_node("Gather", [zero, CAM_CLASSES_OUTPUT], [p + "zero_rows"], axis=0),
            helper.make_node("Cast", [p + "zero_rows"], [p + "zero_rows_f"], to=TensorProto.FLOAT),
            helper.make_node("Unsqueeze", [p + "zero_rows_f", const("last", [-1])], [p + "zero_col"]),
            helper.make_node("Gather", [scale, CAM_CLASSES_OUTPUT], [p + "scale_rows"], axis=0),
            helper.make_node("Unsqueeze", [p + "scale_rows", p + "last"], [p + "scale_col"]),
            helper.make_node("Sub", [p + "q_rows_f", p + "zero_col"], [p + "centred"]),
            helper.make_node("Mul", [p + "centred", p + "scale_col"], [p + "rows"]),
        ]
    elif head.kind == "linear":
        nodes.append(helper.make_node("Gather", [head.weight, CAM_CLASSES_OUTPUT], [p + "rows"], axis=0))
    if head.kind == "linear":
        # the classifier's rows of the five classes (N x 5 x K) times the features (N x K x HW)
        nodes += [
            helper.make_node("Reshape", [head.features, const("nk_hw", [0, k, h * w])], [p + "features"]),
            helper.make_node("MatMul", [p + "rows", p + "features"], [p + "maps"]),
        ]
        macs = CAM_TOP * k * h * w
    else:
        # one channel per class: pick the five channels of each image
        nodes += [
            helper.make_node("Unsqueeze", [CAM_CLASSES_OUTPUT, const("last", [-1])], [p + "channels"]),
            helper.make_node("GatherND", [head.features, p + "channels"], [p + "maps"], batch_dims=1),
        ]
        macs = 0
    maps = p + "maps"
    nodes.append(helper.make_node("Reshape", [maps, const("n5hw", [0, CAM_TOP, h, w])], [p + "maps_nchw"]))
    maps = p + "maps_nchw"
    if head.float16:
        nodes.append(helper.make_node("Cast", [maps], [p + "maps_fp32"], to=TensorProto.FLOAT))
        maps = p + "maps_fp32"
    nodes.append(helper.make_node("Identity", [maps], [CAM_OUTPUT]))
    g.node.extend(nodes)
    g.output.extend([
        helper.make_tensor_value_info(CAM_OUTPUT, TensorProto.FLOAT, ["batch", CAM_TOP, h, w]),
        helper.make_tensor_value_info(CAM_CLASSES_OUTPUT, TensorProto.INT64, ["batch", CAM_TOP]),
    ])
    onnx.checker.check_model(out, full_check=True)
    return out, {"kind": head.kind, "features": [k, h, w], "classes": CAM_TOP, "macs": macs}


# ---------------------------------------------------------------------------------------
# The reference, from PyTorch
# ---------------------------------------------------------------------------------------
def torch_cam(model, x, classes: np.ndarray) -> np.ndarray:
    """The maps of ``classes`` (N x C class indices) for the batch ``x``, from the PyTorch
    model: the input of its last global average pooling, weighted by its last linear layer's
    rows (or, with no linear layer after the pooling, its channels). N x C x H x W."""
    import torch
    import torch.nn as nn

    pools = [m for m in model.modules() if isinstance(m, nn.AdaptiveAvgPool2d)]
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    seen = {}

    def keep(module, inputs, output) -> None:
        seen["f"] = inputs[0].detach()

    handle = pools[-1].register_forward_hook(keep)
    try:
        with torch.no_grad():
            logits = model(torch.as_tensor(x))
    finally:
        handle.remove()
    f = seen["f"]  # N x K x H x W
    idx = torch.as_tensor(classes, dtype=torch.long)
    if linears and linears[-1].in_features == f.shape[1] and linears[-1].out_features == logits.shape[1]:
        rows = linears[-1].weight.detach()[idx]  # N x C x K
        maps = torch.einsum("nck,nkhw->nchw", rows, f)
    else:
        maps = torch.stack([f[i, idx[i]] for i in range(len(f))])
    return maps.numpy()


def upsample(maps: np.ndarray, size: int) -> np.ndarray:
    """Bilinear upsampling of (... x H x W) maps to size x size, half-pixel centres (PyTorch's
    ``interpolate(mode="bilinear", align_corners=False)``): the grid the browser draws."""
    import torch
    import torch.nn.functional as F

    t = torch.as_tensor(np.asarray(maps, dtype=np.float32))
    lead = t.shape[:-2]
    flat = t.reshape(-1, 1, *t.shape[-2:])
    up = F.interpolate(flat, size=(size, size), mode="bilinear", align_corners=False)
    return up.reshape(*lead, size, size).numpy()


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation of two maps (blind to the scale and offset a display normalises);
    NaN when either map is constant, as an untrained network's can be in half precision."""
    a = np.asarray(a, dtype=np.float64).ravel()
    b = np.asarray(b, dtype=np.float64).ravel()
    a, b = a - a.mean(), b - b.mean()
    denom = np.sqrt((a * a).sum() * (b * b).sum())
    return float((a * b).sum() / denom) if denom > 0 else float("nan")


# ---------------------------------------------------------------------------------------
# The export's use of them: the outputs added to each file, checked against PyTorch
# ---------------------------------------------------------------------------------------
def add_maps(paths: dict[str, Path], output_name: str) -> CamMaps | NoCam:
    """Give each file the class activation map outputs (``add_cam``), made from the
    tensors its classifier already has. Returns what they are and the bytes they add to each
    file, or {"kind": None, "reason"} for a head that has no exact map."""
    added: dict = {}
    extra = {}
    for v, path in paths.items():
        before = path.stat().st_size
        try:
            model, added = add_cam(onnx.load(str(path)), output_name)
        except NoMapError as err:
            return NoCam(kind=None, reason=str(err))
        onnx.save_model(model, str(path))
        extra[v] = path.stat().st_size - before
    return CamMaps(
        **added,
        outputs=CamOutputs(maps=CAM_OUTPUT, classes=CAM_CLASSES_OUTPUT),
        extra_bytes=extra,
    )


def map_parity(model, path: Path, samples: dict[str, np.ndarray], size: int, threads: int) -> CamParity:
    """The file's maps of its five best classes against PyTorch's maps of the same classes,
    on each sample photo (whole view), both upsampled to the input grid: the lowest
    correlation."""
    x = np.concatenate([views[:1] for views in samples.values()])
    sess = ort_session(path, threads)
    feed = {sess.get_inputs()[0].name: x}  # the exporter's files have one input
    outputs = dict(zip([o.name for o in sess.get_outputs()], sess.run(None, feed)))
    classes = outputs[CAM_CLASSES_OUTPUT]
    ours = upsample(outputs[CAM_OUTPUT], size)
    ref = upsample(torch_cam(model, x, classes), size)
    corr = [correlation(ours[i, j], ref[i, j]) for i in range(len(x)) for j in range(classes.shape[1])]
    defined = [c for c in corr if np.isfinite(c)]
    return CamParity(
        images=int(len(x)),
        maps=len(corr),
        # a constant map has no correlation: an untrained network's activations are so small
        # that they round to zero in half precision
        constant_maps=len(corr) - len(defined),
        min_correlation=round(min(defined), 6) if defined else None,
    )
