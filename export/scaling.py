"""MobileNetV1 and MobileNetV2, layer by layer, from a width multiplier and a resolution.

Pure Python, no dependencies: the PyTorch builders (export/models/mobilenet_v1.py and
mobilenet_v2.py) read their layer tables and ``make_divisible`` from here, and the site
loads this very file into Pyodide, so the docs pages' scaling controls run the same
arithmetic the exporter's models are built from.

    from export.scaling import describe
    d = describe("mobilenet_v1", width_mult=0.5, resolution=160)
    d["params"], d["macs"], d["peak_activation_bytes"], d["stages"]

What is counted (tests/test_scaling.py holds each one to PyTorch or to the ONNX graph):

- params: every parameter of the PyTorch model: conv weights, batch-norm scale and shift
  (2 per channel; the running statistics are buffers), the classifier's weight and bias;
- MACs: multiply-accumulates of the conv and linear layers for one image, as
  export/measure.py's ``count_macs`` counts them (output elements × inputs per output);
- peak activation memory: fp32 bytes, batch 1, of the tensors alive at once when the layers
  run in order, each conv with its batch-norm and activation fused into it (as the exported
  ONNX graph and onnxruntime run it); a tensor lives from the layer that writes it to the last
  layer that reads it, so a residual block keeps its input until its addition. This is the
  definition of the manifest's ``activation_memory_bytes`` for an fp32 graph.
"""

from __future__ import annotations

import json

__all__ = ["ARCHITECTURES", "WIDTH_RANGE", "RESOLUTION_RANGE", "make_divisible", "describe", "describe_json"]

# the ranges the docs pages' controls offer (issue 12: alpha 0.25-1.4, 96-300 px)
WIDTH_RANGE = (0.25, 1.4)
RESOLUTION_RANGE = (96, 300)
NUM_CLASSES = 1000
FP32_BYTES = 4


def make_divisible(v: float, divisor: int = 8, min_value: int | None = None) -> int:
    """Round a scaled channel count to a multiple of ``divisor``, never down by more than 10%.

    The rule of the MobileNet and EfficientNet authors' TensorFlow code (``round_filters``):
    widths divisible by 8 suit hardware, and a width multiplier would otherwise give counts
    like 0.35 * 32 = 11.2 or 1.1 * 16 = 17.6.
    """
    if min_value is None:
        min_value = divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


# ---------------------------------------------------------------------------
# Layer tables (the PyTorch builders import these)
# ---------------------------------------------------------------------------

# MobileNetV1 body, Howard et al. 2017, Table 1: one row per depthwise separable block (a
# "Conv dw" line and the "Conv" 1x1 line after it); the stride is the depthwise conv's.
# The table gives the last "Conv dw" stride 2 on a 7x7 input, yet its output is still 7x7:
# a typo, and the authors' TensorFlow code uses stride 1 there. Strides hold no parameters.
# fmt: off
V1_BLOCKS = [
    # out, s
    (64,   1),
    (128,  2),
    (128,  1),
    (256,  2),
    (256,  1),
    (512,  2),
    (512,  1), (512, 1), (512, 1), (512, 1), (512, 1),  # the "5x" rows
    (1024, 2),
    (1024, 1),
]
# fmt: on
V1_STEM_CH = 32  # "Conv / s2, 3x3x3x32", the only standard convolution

# MobileNetV2 bottlenecks, Sandler et al. 2018, Table 2 (input 224x224). Each row is a stage
# of n blocks; the first block of a stage has stride s, the rest stride 1.
# t: expansion factor, c: output channels, n: repeats, s: stride
# fmt: off
V2_SETTINGS = [
    # t,   c, n, s
    (1,  16, 1, 1),
    (6,  24, 2, 2),
    (6,  32, 3, 2),
    (6,  64, 4, 2),
    (6,  96, 3, 1),
    (6, 160, 3, 2),
    (6, 320, 1, 1),
]
# fmt: on
V2_STEM_CH = 32  # conv2d 3x3, stride 2 (Table 2, first row)
V2_LAST_CH = 1280  # conv2d 1x1 before the pooling (Table 2)


def v1_width(c: int, width_mult: float) -> int:
    """MobileNetV1's thinned width: alpha * c, truncated (the paper has no rounding rule)."""
    return int(c * width_mult)


def v2_last_width(width_mult: float) -> int:
    """The 1x1 conv before pooling is never thinned: the paper keeps 1280 for alpha below 1."""
    return make_divisible(V2_LAST_CH * max(1.0, width_mult))


# ---------------------------------------------------------------------------
# The walk: layers, then params, MACs and memory from them
# ---------------------------------------------------------------------------


class _Net:
    """Layers in execution order, each reading named tensors and writing one."""

    def __init__(self, resolution: int) -> None:
        self.layers: list[dict] = []
        self.sizes = {"input": 3 * resolution * resolution}  # elements of each tensor
        self.shape = (3, resolution, resolution)
        self.last = "input"

    def _add(self, stage, kind, reads, shape, params, macs):
        name = f"t{len(self.layers)}"
        self.sizes[name] = shape[0] * shape[1] * shape[2]
        self.layers.append({"stage": stage, "kind": kind, "reads": reads, "writes": name,
                            "shape": list(shape), "params": params, "macs": macs})
        self.shape, self.last = shape, name
        return name

    def conv(self, stage, out_ch, k, stride=1, groups=1, src=None):
        """Conv (no bias) + batch-norm (+ activation, no parameters), padding (k - 1) // 2."""
        src = src or self.last
        c, h, w = self.shape if src == self.last else self._shape_of(src)
        pad = (k - 1) // 2
        oh, ow = (h + 2 * pad - k) // stride + 1, (w + 2 * pad - k) // stride + 1
        per_out = (c // groups) * k * k
        kind = "dw" if groups > 1 and groups == c else f"{k}x{k}"
        return self._add(stage, kind, [src], (out_ch, oh, ow), out_ch * per_out + 2 * out_ch, out_ch * oh * ow * per_out)

    def _shape_of(self, name):
        return next(tuple(layer["shape"]) for layer in self.layers if layer["writes"] == name)

    def add(self, stage, a, b):
        return self._add(stage, "add", [a, b], self.shape, 0, 0)

    def head(self, stage):
        """Global average pool, flatten, linear: the three nodes of the exported graph."""
        c = self.shape[0]
        self._add(stage, "pool", [self.last], (c, 1, 1), 0, 0)
        self._add(stage, "flatten", [self.last], (c, 1, 1), 0, 0)
        self._add(stage, "fc", [self.last], (NUM_CLASSES, 1, 1), c * NUM_CLASSES + NUM_CLASSES, c * NUM_CLASSES)


def _mobilenet_v1(net: _Net, width_mult: float) -> None:
    net.conv("stem", v1_width(V1_STEM_CH, width_mult), 3, stride=2)
    for out, s in V1_BLOCKS:
        c = net.shape[0]
        # stages by the resolution they leave, as Table 1's rows group: 112, 56, 28, 14, 7
        r = -(-net.shape[1] // s)  # ceil: a 3x3 conv with padding 1 and stride s
        stage = f"{r}×{r}"
        net.conv(stage, c, 3, stride=s, groups=c)  # dw
        net.conv(stage, v1_width(out, width_mult), 1)  # pw
    net.head("head")


def _mobilenet_v2(net: _Net, width_mult: float) -> None:
    net.conv("stem", make_divisible(V2_STEM_CH * width_mult), 3, stride=2)
    for row, (t, c, n, s) in enumerate(V2_SETTINGS, 1):
        out_ch = make_divisible(c * width_mult)
        stage = f"t{t} c{c}"
        for i in range(n):
            x, in_ch, stride = net.last, net.shape[0], s if i == 0 else 1
            hidden = int(round(in_ch * t))
            if t != 1:
                net.conv(stage, hidden, 1)  # pw
            net.conv(stage, hidden, 3, stride=stride, groups=hidden)  # dw
            y = net.conv(stage, out_ch, 1)  # pw-linear
            if stride == 1 and in_ch == out_ch:
                net.add(stage, x, y)  # the shortcut joins the thin ends
    net.conv("1x1 conv", v2_last_width(width_mult), 1)
    net.head("head")


ARCHITECTURES = {"mobilenet_v1": _mobilenet_v1, "mobilenet_v2": _mobilenet_v2}


def _peak_bytes(net: _Net) -> int:
    """Largest total of tensors alive at once: each layer's output joins the live set, then
    every tensor no later layer reads leaves it (the network's output stays)."""
    last_read = {}
    for i, layer in enumerate(net.layers):
        for name in layer["reads"]:
            last_read[name] = i
    live = {"input": net.sizes["input"]}
    peak = sum(live.values())
    for i, layer in enumerate(net.layers):
        live[layer["writes"]] = net.sizes[layer["writes"]]
        peak = max(peak, sum(live.values()))
        for name in [n for n in live if last_read.get(n, -1) <= i and n != net.last]:
            del live[name]
    return peak * FP32_BYTES


def describe(arch: str, width_mult: float = 1.0, resolution: int = 224) -> dict:
    """Params, MACs, per-stage totals and peak activation memory of ``arch`` at (alpha, px)."""
    if arch not in ARCHITECTURES:
        raise ValueError(f"unknown architecture {arch!r}; known: {', '.join(ARCHITECTURES)}")
    net = _Net(int(resolution))
    ARCHITECTURES[arch](net, float(width_mult))
    stages: dict[str, dict] = {}
    for layer in net.layers:
        s = stages.setdefault(layer["stage"], {"name": layer["stage"], "params": 0, "macs": 0, "shape": None})
        s["params"] += layer["params"]
        s["macs"] += layer["macs"]
        if layer["kind"] not in ("pool", "flatten", "fc"):
            s["shape"] = layer["shape"]  # the stage's output map
    return {
        "arch": arch,
        "width_mult": float(width_mult),
        "resolution": int(resolution),
        "params": sum(layer["params"] for layer in net.layers),
        "macs": sum(layer["macs"] for layer in net.layers),
        "peak_activation_bytes": _peak_bytes(net),
        "largest_activation_bytes": max(net.sizes[layer["writes"]] for layer in net.layers) * FP32_BYTES,
        "stages": list(stages.values()),
    }


def describe_json(arch: str, width_mult: float, resolution: int) -> str:
    """``describe`` as JSON text: what the page's Pyodide worker hands to the page."""
    return json.dumps(describe(arch, width_mult, resolution))


# Published points, placed on the docs pages' chart beside the computed curve. Only figures
# checked against the paper's text are listed (see the commit that added them).
PUBLISHED = {
    "mobilenet_v1": {
        "source": "Howard et al., MobileNets (2017), Table 6: width multiplier at 224×224",
        "url": "https://arxiv.org/abs/1704.04861",
        "points": [
            # alpha, resolution, million mult-adds, million parameters
            {"width_mult": 1.0, "resolution": 224, "macs_m": 569, "params_m": 4.2},
            {"width_mult": 0.75, "resolution": 224, "macs_m": 325, "params_m": 2.6},
            {"width_mult": 0.5, "resolution": 224, "macs_m": 149, "params_m": 1.3},
            {"width_mult": 0.25, "resolution": 224, "macs_m": 41, "params_m": 0.5},
        ],
    },
}
