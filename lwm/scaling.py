"""MobileNetV1, MobileNetV2 and EfficientNet, layer by layer, from their scaling multipliers.

Pure Python, no dependencies: the PyTorch builders (export/models/mobilenet_v1.py,
mobilenet_v2.py and efficientnet.py) read their layer tables and ``make_divisible`` from
here, and the site loads this very file into Pyodide, so the docs pages' scaling controls
run the same arithmetic the exporter's models are built from.

    from lwm.scaling import describe
    d = describe("mobilenet_v1", width_mult=0.5, resolution=160)
    d["params"], d["macs"], d["peak_activation_bytes"], d["stages"]
    describe("efficientnet_b0", width_mult=1.2, resolution=300, depth_mult=1.4)  # B3's size

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
import math

__all__ = [
    "ARCHITECTURES", "CONTROLS", "PUBLISHED", "make_divisible", "efficientnet_stages", "compound",
    "describe", "describe_json",
]
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


# EfficientNet-B0, Tan and Le 2019, Table 1: stages 2-8 (stage 1 is the 3x3 stem conv with
# 32 channels, stage 9 the 1x1 head conv with 1280). MBConv6 means expansion 6; the stride is
# that of each stage's first block, where the resolution halves. EfficientNet-Lite uses the
# same rows. e: expansion, k: kernel, s: stride, c: output channels, n: repeats
# fmt: off
EFFICIENTNET_STAGES = [
    # e, k, s,   c, n
    (1, 3, 1,  16, 1),
    (6, 3, 2,  24, 2),
    (6, 5, 2,  40, 2),
    (6, 3, 2,  80, 3),
    (6, 5, 1, 112, 3),
    (6, 5, 2, 192, 4),
    (6, 3, 1, 320, 1),
]
# fmt: on
EFFICIENTNET_STEM_CH = 32
EFFICIENTNET_HEAD_CH = 1280

# Compound scaling, Tan and Le 2019, Equation 3 (Section 3.3): depth d = alpha^phi, width
# w = beta^phi, resolution r = gamma^phi, with the values of the grid search on B0 (Section 4,
# step 1). The paper's alpha is not the MobileNets' width multiplier alpha.
COMPOUND_ALPHA, COMPOUND_BETA, COMPOUND_GAMMA = 1.2, 1.1, 1.15
BASE_RESOLUTION = 224

# The published models B0-B7 as the authors' code builds them (tensorflow/tpu,
# efficientnet_builder.py, efficientnet_params): the paper gives no phi for each model, and
# these rounded coefficients are not Equation 3 at phi = 1..7 (B1's depth is 1.1, not 1.2).
# fmt: off
EFFICIENTNET_B = {
    # name:  (width, depth, resolution, dropout)
    "B0": (1.0, 1.0, 224, 0.2),
    "B1": (1.0, 1.1, 240, 0.2),
    "B2": (1.1, 1.2, 260, 0.3),
    "B3": (1.2, 1.4, 300, 0.3),
    "B4": (1.4, 1.8, 380, 0.4),
    "B5": (1.6, 2.2, 456, 0.4),
    "B6": (1.8, 2.6, 528, 0.5),
    "B7": (2.0, 3.1, 600, 0.5),
}
# EfficientNet-Lite, tensorflow/tpu lite/efficientnet_lite_builder.py (width, depth,
# resolution, dropout). Lite keeps its stem, head and first and last stages' repeats fixed.
EFFICIENTNET_LITE = {
    "lite0": (1.0, 1.0, 224, 0.2),
    "lite1": (1.0, 1.1, 240, 0.2),
    "lite2": (1.1, 1.2, 260, 0.3),
}
# fmt: on


def efficientnet_stages(width: float, depth: float, fix_end_repeats: bool = False) -> list[list[tuple]]:
    """EFFICIENTNET_STAGES scaled and unrolled: per stage, one (in_ch, out_ch, e, k, s) row
    per block, the stem's width first (scaled for B*, fixed at 32 for Lite).

    Width: channels times ``width``, rounded by ``make_divisible`` (the authors'
    ``round_filters``); depth: repeats times ``depth``, rounded up (``round_repeats``). Lite
    keeps the repeats of the first and last stage ("fix head and stem").
    """
    in_ch = EFFICIENTNET_STEM_CH if fix_end_repeats else make_divisible(EFFICIENTNET_STEM_CH * width)
    stages = []
    for i, (e, k, s, c, n) in enumerate(EFFICIENTNET_STAGES):
        out_ch = make_divisible(c * width)
        fixed = fix_end_repeats and i in (0, len(EFFICIENTNET_STAGES) - 1)
        repeats = n if fixed else int(math.ceil(n * depth))
        # only the first block of a stage changes resolution and width
        stages.append([(in_ch if j == 0 else out_ch, out_ch, e, k, s if j == 0 else 1) for j in range(repeats)])
        in_ch = out_ch
    return stages


# What the docs pages' controls offer: (min, max, step) per multiplier. The MobileNets' span
# alpha 0.25-1.4 and 96-300 px; EfficientNet's reach B7 (w 2.0, 600 px) and Equation 3 at
# phi = 7 (d = 1.2^7, about 3.6).
CONTROLS = {
    "mobilenet_v1": {"width_mult": (0.25, 1.4, 0.05), "resolution": (96, 300, 4)},
    "mobilenet_v2": {"width_mult": (0.25, 1.4, 0.05), "resolution": (96, 300, 4)},
    "efficientnet_b0": {
        "phi": (0, 7, 0.5), "width_mult": (0.25, 2.0, 0.05), "depth_mult": (0.5, 3.6, 0.1),
        "resolution": (96, 600, 4),
    },
}


def compound(phi: float) -> dict:
    """Equation 3 at ``phi``: the exact multipliers, and the same on the grid of the
    EfficientNet page's controls (the nearest step of each), which is what the page's phi
    control sets them to."""
    exact = {
        "depth_mult": COMPOUND_ALPHA**phi,
        "width_mult": COMPOUND_BETA**phi,
        "resolution": BASE_RESOLUTION * COMPOUND_GAMMA**phi,
    }
    on_grid = {}
    for key, x in exact.items():
        low, _, step = CONTROLS["efficientnet_b0"][key]
        on_grid[key] = round(low + round((x - low) / step) * step, 6)  # 6 digits: no 1.3500000001
    on_grid["resolution"] = int(on_grid["resolution"])
    return {"phi": phi, "exact": exact, **on_grid}


# ---------------------------------------------------------------------------
# The walk: layers, then params, MACs and memory from them
# ---------------------------------------------------------------------------


class _Net:
    """Layers in execution order, each reading named tensors and writing one."""

    def __init__(self, resolution: int) -> None:
        self.layers: list[dict] = []
        self.shapes = {"input": (3, resolution, resolution)}
        self.sizes = {"input": 3 * resolution * resolution}  # elements of each tensor
        self.last = "input"

    @property
    def shape(self) -> tuple:
        return self.shapes[self.last]

    def _add(self, stage, kind, reads, shape, params=0, macs=0):
        name = f"t{len(self.layers)}"
        self.shapes[name] = tuple(shape)
        self.sizes[name] = shape[0] * shape[1] * shape[2]
        self.layers.append({"stage": stage, "kind": kind, "reads": reads, "writes": name,
                            "shape": list(shape), "params": params, "macs": macs})
        self.last = name
        return name

    def conv(self, stage, out_ch, k, stride=1, groups=1, src=None, bias=False):
        """Conv + batch-norm (+ an activation run in place, no parameters), padding (k - 1) // 2;
        ``bias=True``: a conv with a bias and no batch-norm (the SE layers)."""
        src = src or self.last
        c, h, w = self.shapes[src]
        pad = (k - 1) // 2
        oh, ow = (h + 2 * pad - k) // stride + 1, (w + 2 * pad - k) // stride + 1
        per_out = (c // groups) * k * k
        kind = "dw" if groups > 1 and groups == c else f"{k}x{k}"
        params = out_ch * per_out + (out_ch if bias else 2 * out_ch)  # bias, or BN scale and shift
        return self._add(stage, kind, [src], (out_ch, oh, ow), params, out_ch * oh * ow * per_out)

    def op(self, stage, kind, reads, shape=None):
        """A layer without parameters or MACs (add, mul, sigmoid, pool), shaped like its first input."""
        return self._add(stage, kind, reads, shape or self.shapes[reads[0]])

    def add(self, stage, a, b):
        return self.op(stage, "add", [a, b])

    def swish(self, stage):
        """x * sigmoid(x), as the ONNX graph runs SiLU: a Sigmoid, then a Mul that reads both."""
        x = self.last
        return self.op(stage, "mul", [x, self.op(stage, "sigmoid", [x])])

    def head(self, stage):
        """Global average pool, flatten, linear: the three nodes of the exported graph."""
        c = self.shape[0]
        self.op(stage, "pool", [self.last], (c, 1, 1))
        self.op(stage, "flatten", [self.last])
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


def _mbconv_stage_name(i: int, e: int, k: int, n: int) -> str:
    # Table 1's operator and stage number (2-8), with the stage's repeats at this depth
    return f"MBConv{e} k{k} ×{n} (stage {i})"


def _efficientnet(net: _Net, width_mult: float, depth_mult: float) -> None:
    """EfficientNet-B0 scaled (export/models/efficientnet.py's ``EfficientNet``): swish after
    every conv but the projection; squeeze-and-excitation in every block."""
    stages = efficientnet_stages(width_mult, depth_mult)
    net.conv("stem", stages[0][0][0], 3, stride=2)
    net.swish("stem")
    for i, blocks in enumerate(stages, 2):
        e, k = blocks[0][2:4]
        stage = _mbconv_stage_name(i, e, k, len(blocks))
        for in_ch, out_ch, e, k, s in blocks:
            x = net.last
            hidden = make_divisible(in_ch * e)
            if hidden != in_ch:
                net.conv(stage, hidden, 1)  # pw
                net.swish(stage)
            net.conv(stage, hidden, k, stride=s, groups=hidden)  # dw
            y = net.swish(stage)
            # SE: pool, squeeze to a quarter of the block's input width, swish, excite, gate
            net.op(stage, "pool", [y], (hidden, 1, 1))
            net.conv(stage, max(1, in_ch // 4), 1, bias=True)
            net.swish(stage)
            net.conv(stage, hidden, 1, bias=True)  # its sigmoid runs in place: no new tensor
            net.op(stage, "mul", [y, net.last])
            z = net.conv(stage, out_ch, 1)  # pw-linear
            if s == 1 and in_ch == out_ch:
                net.add(stage, x, z)
    net.conv("1x1 conv", make_divisible(EFFICIENTNET_HEAD_CH * width_mult), 1)
    net.swish("1x1 conv")
    net.head("head")


def _efficientnet_lite(net: _Net, width_mult: float, depth_mult: float) -> None:
    """EfficientNet-Lite (``EfficientNetLite``): ReLU6, no SE; stem and head fixed. Its TF
    "same" padding gives the same output sizes as padding (k - 1) // 2, and the exporter folds
    it into the convs, so the walk is the same."""
    stages = efficientnet_stages(width_mult, depth_mult, fix_end_repeats=True)
    net.conv("stem", EFFICIENTNET_STEM_CH, 3, stride=2)
    for i, blocks in enumerate(stages, 2):
        e, k = blocks[0][2:4]
        stage = _mbconv_stage_name(i, e, k, len(blocks))
        for in_ch, out_ch, e, k, s in blocks:
            x, hidden = net.last, in_ch * e
            if e != 1:
                net.conv(stage, hidden, 1)  # pw
            net.conv(stage, hidden, k, stride=s, groups=hidden)  # dw
            z = net.conv(stage, out_ch, 1)  # pw-linear
            if s == 1 and in_ch == out_ch:
                net.add(stage, x, z)
    net.conv("1x1 conv", EFFICIENTNET_HEAD_CH, 1)
    net.head("head")


# name -> (walk, takes a depth multiplier)
ARCHITECTURES = {
    "mobilenet_v1": (_mobilenet_v1, False),
    "mobilenet_v2": (_mobilenet_v2, False),
    "efficientnet_b0": (_efficientnet, True),
    "efficientnet_lite0": (_efficientnet_lite, True),
}


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


def describe(arch: str, width_mult: float = 1.0, resolution: int = 224, depth_mult: float = 1.0) -> dict:
    """Params, MACs, per-stage totals and peak activation memory of ``arch`` scaled by width
    (alpha for the MobileNets, w for EfficientNet), depth (EfficientNet only) and resolution."""
    if arch not in ARCHITECTURES:
        raise ValueError(f"unknown architecture {arch!r}; known: {', '.join(ARCHITECTURES)}")
    walk, has_depth = ARCHITECTURES[arch]
    net = _Net(int(resolution))
    if has_depth:
        walk(net, float(width_mult), float(depth_mult))
    elif float(depth_mult) != 1.0:
        raise ValueError(f"{arch} has no depth multiplier")
    else:
        walk(net, float(width_mult))
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
        "depth_mult": float(depth_mult),
        "resolution": int(resolution),
        "params": sum(layer["params"] for layer in net.layers),
        "macs": sum(layer["macs"] for layer in net.layers),
        "peak_activation_bytes": _peak_bytes(net),
        "largest_activation_bytes": max(net.sizes[layer["writes"]] for layer in net.layers) * FP32_BYTES,
        "stages": list(stages.values()),
    }


def describe_json(arch: str, width_mult: float, resolution: int, depth_mult: float = 1.0) -> str:
    """``describe`` as JSON text: what the page's Pyodide worker hands to the page."""
    return json.dumps(describe(arch, width_mult, resolution, depth_mult))


# Published points, placed on the docs pages' chart beside this module's figures. Only figures
# read in the papers' own text are listed: each table's rows as printed, the settings they
# name, the paper's units (millions of parameters, millions of mult-adds: the EfficientNet
# paper's "FLOPs" count multiply-adds too), its top-1 accuracy on ImageNet. The MobileNetV2
# paper's Figure 5 plots more settings, but prints no figures for them: they are left out.
_V1_URL = "https://arxiv.org/abs/1704.04861"
_B_TOP1 = {"B0": 77.1, "B1": 79.1, "B2": 80.1, "B3": 81.6, "B4": 82.9, "B5": 83.6, "B6": 84.0, "B7": 84.3}
# fmt: off
_B_TABLE_2 = {  # name: (million parameters, million FLOPs)
    "B0": (5.3, 390), "B1": (7.8, 700), "B2": (9.2, 1_000), "B3": (12, 1_800),
    "B4": (19, 4_200), "B5": (30, 9_900), "B6": (43, 19_000), "B7": (66, 37_000),
}
PUBLISHED = {
    "mobilenet_v1": [
        {
            "source": "Howard et al., MobileNets (2017), Table 6: width multiplier at 224 px",
            "ref": "MobileNets, Table 6",
            "url": _V1_URL,
            "labels": True,
            "points": [
                {"label": "α = 1.0, 224 px", "short": "α=1", "width_mult": 1.0, "resolution": 224,
                 "macs_m": 569, "params_m": 4.2, "top1": 70.6},
                {"label": "α = 0.75, 224 px", "short": "α=0.75", "width_mult": 0.75, "resolution": 224,
                 "macs_m": 325, "params_m": 2.6, "top1": 68.4},
                {"label": "α = 0.5, 224 px", "short": "α=0.5", "width_mult": 0.5, "resolution": 224,
                 "macs_m": 149, "params_m": 1.3, "top1": 63.7},
                {"label": "α = 0.25, 224 px", "short": "α=0.25", "width_mult": 0.25, "resolution": 224,
                 "macs_m": 41, "params_m": 0.5, "top1": 50.6},
            ],
        },
        {
            # its first row, alpha 1 at 224 px, is Table 6's first
            "source": "Howard et al., MobileNets (2017), Table 7: resolution at α = 1",
            "ref": "MobileNets, Table 7",
            "url": _V1_URL,
            "labels": False,  # three points on one row of the chart, too close for names
            "points": [
                {"label": "α = 1.0, 192 px", "short": "192", "width_mult": 1.0, "resolution": 192,
                 "macs_m": 418, "params_m": 4.2, "top1": 69.1},
                {"label": "α = 1.0, 160 px", "short": "160", "width_mult": 1.0, "resolution": 160,
                 "macs_m": 290, "params_m": 4.2, "top1": 67.2},
                {"label": "α = 1.0, 128 px", "short": "128", "width_mult": 1.0, "resolution": 128,
                 "macs_m": 186, "params_m": 4.2, "top1": 64.4},
            ],
        },
    ],
    "mobilenet_v2": [
        {
            "source": "Sandler et al., MobileNetV2 (2018), Table 4",
            "ref": "MobileNetV2, Table 4",
            "url": "https://arxiv.org/abs/1801.04381",
            "labels": True,
            "points": [
                {"label": "α = 1.0, 224 px", "short": "α=1", "width_mult": 1.0, "resolution": 224,
                 "macs_m": 300, "params_m": 3.4, "top1": 72.0},
                {"label": "α = 1.4, 224 px", "short": "α=1.4", "width_mult": 1.4, "resolution": 224,
                 "macs_m": 585, "params_m": 6.9, "top1": 74.7},
            ],
        },
    ],
    "efficientnet_b0": [
        {
            "source": "Tan and Le, EfficientNet (2019), Table 2 (arXiv v5)",
            "ref": "EfficientNet, Table 2",
            "url": "https://arxiv.org/abs/1905.11946v5",
            # the paper names no setting per model: EFFICIENTNET_B's, from the authors' code
            "settings": {
                "text": "each model's width, depth and resolution: the authors' efficientnet_builder.py",
                "url": "https://github.com/tensorflow/tpu/blob/master/models/official/efficientnet/"
                       "efficientnet_builder.py",
            },
            "labels": True,
            "points": [
                {"label": f"EfficientNet-{name}", "short": name, "width_mult": w, "depth_mult": d,
                 "resolution": r, "macs_m": _B_TABLE_2[name][1], "params_m": _B_TABLE_2[name][0],
                 "top1": _B_TOP1[name]}
                for name, (w, d, r, _) in EFFICIENTNET_B.items()
            ],
        },
    ],
}
# fmt: on
