"""Measurements that go into the manifest. Nothing here is typed in; everything is counted.

- parameters: every element of every ``nn.Parameter``;
- MACs: multiply-accumulates of Conv2d and Linear layers for one image at the model's input
  size (what papers call "mult-adds"; batch-norm, activations, pooling and additions are not
  counted, as in the MobileNet and ResNet papers);
- layer rows: the same parameters and MACs, one row per block, with its output shape and
  the convolutions inside (the layer tables of the docs pages);
- depth: weighted layers (Conv, Gemm, MatMul) on the longest path through the ONNX graph,
  which reproduces the papers' "ResNet-50" and "28-layer MobileNet"; of these, the layers
  inside squeeze-and-excitation modules (``se_layers``);
- largest activation: the largest tensor one layer writes for one image, fp32;
- peak activation memory: the largest total size of intermediate tensors alive at once when
  the ONNX graph's nodes run in their stored order, batch 1 (weights not included); a tensor
  whose shape onnx cannot infer is an error, not 0 bytes that would make the peak too low; an int8
  (QDQ) graph is counted as onnxruntime runs it, fused, with 8-bit tensors between layers,
  and an activation whose input has no other reader is counted in place, as runtimes run it;
- latency: onnxruntime on the CPU, median of timed runs after warm-up.
"""

from __future__ import annotations

import gzip
import hashlib
import statistics
import time
from pathlib import Path
from typing import Callable

import numpy as np
import onnx
import torch
import torch.nn as nn

from .evaluation import ort_session

ONNX_ITEMSIZE = {
    onnx.TensorProto.FLOAT: 4,
    onnx.TensorProto.FLOAT16: 2,
    onnx.TensorProto.UINT8: 1,
    onnx.TensorProto.INT8: 1,
    onnx.TensorProto.INT32: 4,
    onnx.TensorProto.INT64: 8,
    onnx.TensorProto.BOOL: 1,
    onnx.TensorProto.DOUBLE: 8,
}
IN_PLACE_OPS = {"Relu", "Clip", "HardSwish", "HardSigmoid", "Sigmoid", "LeakyRelu"}
WEIGHTED_OPS = {"Conv", "ConvInteger", "QLinearConv", "Gemm", "MatMul", "QLinearMatMul"}


class UnknownShapeError(ValueError):
    """A graph whose activation memory cannot be counted: some tensor's size is not known."""


def count_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def _macs(m: nn.Module, out: torch.Tensor) -> int:
    """Multiply-accumulates of one Conv2d or Linear call, from its output."""
    if isinstance(m, nn.Conv2d):
        kh, kw = m.kernel_size
        return out.numel() * (m.in_channels // m.groups) * kh * kw
    return out.numel() * m.in_features


def _mac_hooks(model: nn.Module, add: Callable[[nn.Module, int], None]) -> list:
    """Forward hooks that report each Conv2d and Linear call's MACs to ``add(module, macs)``."""
    def hook(m, _inp, out):
        add(m, _macs(m, out))

    return [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]


@torch.no_grad()
def _forward(model: nn.Module, input_size: int, handles: list) -> None:
    """One (1, 3, S, S) image through ``model`` in eval mode on its device; then the hooks go."""
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    try:
        model(torch.zeros(1, 3, input_size, input_size, device=device))
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)


def count_macs(model: nn.Module, input_size: int) -> int:
    """Multiply-accumulates of Conv2d and Linear layers for one (1, 3, S, S) image."""
    total = 0

    def add(_m, n):
        nonlocal total
        total += n

    _forward(model, input_size, _mac_hooks(model, add))
    return int(total)


# ---------------------------------------------------------------------------
# Layer rows: the layer table of a model's docs page
# ---------------------------------------------------------------------------
# Shape-keeping layers that get no row of their own: their parameters join the row before.
_FOLDED = (nn.BatchNorm2d, nn.ReLU, nn.ReLU6, nn.Hardswish, nn.Hardsigmoid, nn.SiLU, nn.Sigmoid,
           nn.Dropout, nn.Identity, nn.Flatten)
_SHORT = {"Conv2d": "Conv", "BatchNorm2d": "BN", "Linear": "FC", "AdaptiveAvgPool2d": "Pool"}


def _is_container(module: nn.Module) -> bool:
    # exact types: Conv2dNormActivation subclasses Sequential but is one layer, not a stage
    return type(module) in (nn.Sequential, nn.ModuleList) and any(
        next(c.children(), None) is not None for c in module.children()
    )


def _is_folded(module: nn.Module) -> bool:
    return isinstance(module, _FOLDED) or type(module).__name__ == "TFSamePad"


def _conv_summary(module: nn.Module) -> str:
    """'1×1 → 3×3 dw /2 → SE → 1×1': kernel, depthwise, stride; SE modules as one token."""
    tokens: list[str] = []
    skip: set[int] = set()
    for m in module.modules():
        if id(m) in skip:
            continue
        if "SqueezeExcitation" in type(m).__name__:
            tokens.append("SE")
            skip.update(id(s) for s in m.modules())
        elif isinstance(m, nn.Conv2d):
            kh, kw = m.kernel_size
            tok = f"{kh}×{kw}"
            if m.groups > 1 and m.groups == m.in_channels:
                tok += " dw"
            if m.stride[0] > 1:
                tok += f" /{m.stride[0]}"
            tokens.append(tok)
        elif isinstance(m, nn.Linear):
            tokens.append(f"fc {m.in_features}→{m.out_features}")
        elif isinstance(m, (nn.MaxPool2d, nn.AvgPool2d)):
            tokens.append("max pool" if isinstance(m, nn.MaxPool2d) else "avg pool")
        elif isinstance(m, nn.AdaptiveAvgPool2d):
            tokens.append("global avg pool")
    return " → ".join(tokens)


def _block_name(module: nn.Module) -> str:
    """The class name, or for a plain Sequential its layers: 'Conv-BN-ReLU6', 'FC-Hardswish-FC'."""
    if type(module) is not nn.Sequential:
        return type(module).__name__
    names = [type(m).__name__ for m in module.children() if not isinstance(m, (nn.Dropout, nn.Identity, nn.Flatten))]
    return "-".join(_SHORT.get(n, n) for n in names)


def layer_rows(model: nn.Module, input_size: int) -> list[dict]:
    """One row per block, for one (1, 3, S, S) image: {"path" (as in the state dict, e.g.
    features.3), "block" (class name), "convs" ("1×1 → 3×3 dw /2 → 1×1"), "shape" [C, H, W],
    "params", "macs"}.

    The model is walked from the top: plain containers (``nn.Sequential`` and
    ``nn.ModuleList`` that hold blocks, such as ``features`` or ``layer1``) are opened, and
    every other module becomes a row. Batch-norm, activations, dropout and padding get no
    rows: their parameters join the row before them, so the rows sum to ``count_params``.
    MACs are counted by ``count_macs``'s hooks, each layer's to the row that holds it.
    """
    chosen: list[tuple[dict, nn.Module]] = []
    carried = 0  # folded parameters met before the first row

    def visit(module: nn.Module, path: str) -> None:
        nonlocal carried
        for child_name, child in module.named_children():
            child_path = f"{path}.{child_name}" if path else child_name
            if _is_container(child):
                visit(child, child_path)
            elif _is_folded(child):
                n = count_params(child)
                if chosen:
                    chosen[-1][0]["params"] += n
                else:
                    carried += n
            else:
                row = {"path": child_path, "block": _block_name(child), "convs": _conv_summary(child),
                       "shape": [], "params": count_params(child) + carried, "macs": 0}
                carried = 0
                chosen.append((row, child))

    visit(model, "")
    owner = {id(m): row for row, block in chosen for m in block.modules()}

    def add(m, n):
        owner[id(m)]["macs"] += int(n)

    def shape_hook(row):
        def record(_m, _inp, out):
            row["shape"] = [int(d) for d in out.shape[1:]]  # batch dimension dropped

        return record

    handles = [block.register_forward_hook(shape_hook(row)) for row, block in chosen]
    _forward(model, input_size, handles + _mac_hooks(model, add))
    return [row for row, _ in chosen]


def se_layers(model: nn.Module) -> int:
    """Weighted layers (Conv2d, Linear) inside the model's squeeze-and-excitation modules.

    Each SE module sits on the main path of its block, and its two 1×1 layers are longer than
    the plain multiply that skips them, so the longest path ("depth") counts all of them.
    """
    return sum(
        isinstance(m, (nn.Conv2d, nn.Linear))
        for se in model.modules() if "SqueezeExcitation" in type(se).__name__
        for m in se.modules()
    )


def largest_activation(model: nn.Module, input_size: int) -> dict:
    """The largest tensor any layer writes for one image (the first, if several tie):
    {"module": path, "shape": [C, H, W], "bytes": fp32 bytes}."""
    best: dict = {}

    def hook(path):
        def record(_m, _inp, out):
            shape = [int(d) for d in out.shape[1:]]  # batch dimension dropped
            nbytes = 4 * int(np.prod(shape))
            if not best or nbytes > best["bytes"]:
                best.update(module=path, shape=shape, bytes=nbytes)

        return record

    # leaves only (a container's output is also its last layer's), and not Lite's "same"
    # padding: the exported graph folds it into the convolution's own padding
    handles = [m.register_forward_hook(hook(p)) for p, m in model.named_modules()
               if p and next(m.children(), None) is None and type(m).__name__ != "TFSamePad"]
    _forward(model, input_size, handles)
    return best


def file_stats(path: str | Path, compress: bool = True, gzip_level: int = 9) -> dict:
    """Size, sha256 and (unless ``compress`` is false) gzip size of a file, -9 by default."""
    data = Path(path).read_bytes()
    stats = {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    if compress:
        stats["gzip_bytes"] = len(gzip.compress(data, compresslevel=gzip_level, mtime=0))
    return stats


def with_batch_one(model: onnx.ModelProto) -> onnx.ModelProto:
    """A copy with every symbolic dimension of the inputs set to 1, shapes inferred."""
    m = onnx.ModelProto()
    m.CopyFrom(model)
    for vi in m.graph.input:
        for d in vi.type.tensor_type.shape.dim:
            if d.dim_param or not d.HasField("dim_value"):
                d.ClearField("dim_param")
                d.dim_value = 1
    del m.graph.value_info[:]
    for vi in m.graph.output:  # let inference recompute outputs too
        for d in vi.type.tensor_type.shape.dim:
            if d.dim_param:
                d.ClearField("dim_param")
                d.dim_value = 1
    return onnx.shape_inference.infer_shapes(m, data_prop=True)


def _tensor_bytes(vi: onnx.ValueInfoProto) -> int | None:
    t = vi.type.tensor_type
    if t.elem_type not in ONNX_ITEMSIZE:
        return None
    n = 1
    for d in t.shape.dim:
        if not d.HasField("dim_value"):
            return None
        n *= d.dim_value
    return n * ONNX_ITEMSIZE[t.elem_type]


def only_outputs(model: onnx.ModelProto, names: tuple[str, ...]) -> onnx.ModelProto:
    """A copy of ``model`` that keeps only the nodes the outputs ``names`` depend on (for
    example the classifier alone, without the class activation map's extra outputs)."""
    g = model.graph
    missing = set(names) - {o.name for o in g.output}
    if missing:
        raise ValueError(f"the graph has no output {', '.join(sorted(missing))}")
    producer = {out: i for i, node in enumerate(g.node) for out in node.output}
    needed: set[int] = set()
    todo = list(names)
    while todo:
        i = producer.get(todo.pop())
        if i is None or i in needed:
            continue
        needed.add(i)
        todo.extend(n for n in g.node[i].input if n)
    out = onnx.ModelProto()
    out.CopyFrom(model)
    keep = [n for i, n in enumerate(g.node) if i in needed]
    del out.graph.node[:]
    out.graph.node.extend(keep)
    kept_outputs = [o for o in g.output if o.name in names]
    del out.graph.output[:]
    out.graph.output.extend(kept_outputs)
    used = {n for node in keep for n in node.input}
    inits = [i for i in g.initializer if i.name in used]
    del out.graph.initializer[:]
    out.graph.initializer.extend(inits)
    return out


def graph_stats(model: onnx.ModelProto, outputs: tuple[str, ...] | None = None) -> dict:
    """Peak live activation bytes (batch 1, stored node order) and longest weighted path;
    with ``outputs``, of the part of the graph that computes those outputs only."""
    if outputs is not None:
        model = only_outputs(model, outputs)
    m = with_batch_one(model)
    g = m.graph
    sizes: dict[str, int] = {}
    for vi in list(g.value_info) + list(g.input) + list(g.output):
        b = _tensor_bytes(vi)
        if b is not None:
            sizes[vi.name] = b
    initializers = {i.name for i in g.initializer}
    consumers: dict[str, set[str]] = {}
    for node in g.node:
        for name in node.input:
            consumers.setdefault(name, set()).add(node.op_type)
    # QDQ graphs run fused (QLinearConv and friends read and write uint8 tensors). The float
    # result that only feeds a QuantizeLinear, its 8-bit output and the DequantizeLinear's
    # float view are one tensor at run time: alias them to the 8-bit one.
    n_consumers: dict[str, int] = {}
    for node in g.node:
        for name in node.input:
            n_consumers[name] = n_consumers.get(name, 0) + 1
    alias: dict[str, str] = {}
    for node in g.node:
        if node.op_type in IN_PLACE_OPS and n_consumers.get(node.input[0]) == 1:
            # runtimes fuse an activation into the conv before it or run it in place
            alias[node.output[0]] = node.input[0]
        elif node.op_type == "QuantizeLinear" and consumers.get(node.input[0]) == {"QuantizeLinear"}:
            alias[node.input[0]] = node.output[0]
        elif node.op_type == "DequantizeLinear" and node.input[0] not in initializers:
            alias[node.output[0]] = node.input[0]
        elif node.op_type == "DequantizeLinear":
            sizes[node.output[0]] = 0  # a weight or bias: folded at load, not an activation

    def root(name: str) -> str:
        while name in alias:
            name = alias[name]
        return name

    last_use: dict[str, int] = {}
    for i, node in enumerate(g.node):
        for name in node.input:
            last_use[root(name)] = i
    outputs = {root(o.name) for o in g.output}
    live: dict[str, int] = {vi.name: sizes.get(vi.name, 0) for vi in g.input if vi.name not in initializers}
    peak = sum(live.values())
    unknown: list[str] = []
    depth: dict[str, int] = {name: 0 for name in live}
    longest = 0
    for i, node in enumerate(g.node):
        # longest weighted path: max over inputs, +1 if this node carries weights
        d = max((depth.get(n, 0) for n in node.input if n), default=0) + (node.op_type in WEIGHTED_OPS)
        for out in node.output:
            if not out:
                continue
            depth[out] = d
            if node.op_type == "Constant":
                continue
            r = root(out)
            if r not in sizes:
                unknown.append(f"{r} ({node.op_type})")
            live[r] = sizes.get(r, 0)
        longest = max(longest, d)
        peak = max(peak, sum(live.values()))
        for name in list(live):
            if last_use.get(name, -1) <= i and name not in outputs:
                del live[name]
    if unknown:
        raise UnknownShapeError(
            f"{len(unknown)} tensor(s) of unknown shape or type, so the peak activation memory "
            f"cannot be counted: {', '.join(unknown[:5])}{' …' if len(unknown) > 5 else ''}")
    return {"peak_activation_bytes": int(peak), "depth": int(longest)}


def summarize(times: list[float]) -> dict:
    """Median and p90 (ms, to the microsecond) of timed runs, and how many there were."""
    t = sorted(times)
    return {
        "median_ms": round(statistics.median(t), 3),
        "p90_ms": round(t[int(0.9 * (len(t) - 1))], 3),
        "runs": len(t),
    }


# how every native figure is timed: untimed warm-up runs, then at least MIN_RUNS timed runs
# over at least MIN_SECONDS, at most MAX_RUNS (the benchmark's method text quotes them)
WARMUP_RUNS, MIN_RUNS, MIN_SECONDS, MAX_RUNS = 5, 20, 0.5, 500


def time_runs(run_once: Callable[[], object]) -> dict:
    """Median and p90 latency (ms) of ``run_once()``, timed as WARMUP_RUNS, MIN_RUNS,
    MIN_SECONDS and MAX_RUNS say. Every native figure (onnxruntime here, LiteRT in
    export/tflite.py) is taken this way."""
    for _ in range(WARMUP_RUNS):
        run_once()
    times = []
    start = time.perf_counter()
    while len(times) < MIN_RUNS or time.perf_counter() - start < MIN_SECONDS:
        t0 = time.perf_counter()
        run_once()
        times.append((time.perf_counter() - t0) * 1000.0)
        if len(times) >= MAX_RUNS:
            break
    return summarize(times)


def ort_latency_ms(path: str | Path, input_shape: tuple[int, ...], threads: int) -> dict:
    """One batch-1 inference with onnxruntime on the CPU, timed by :func:`time_runs`."""
    sess = ort_session(Path(path), threads, optimization="all")
    name = sess.get_inputs()[0].name
    x = np.random.default_rng(0).standard_normal(input_shape).astype(np.float32)
    return time_runs(lambda: sess.run(None, {name: x}))
