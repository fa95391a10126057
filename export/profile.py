"""Where a model's time goes, layer by layer: onnxruntime's profiler mapped back to the layer rows.

    from export.profile import layer_parts, profile_variant
    parts = layer_parts(se_paths, [row["path"] for row in rows], onnx.load("build/models/mobilenet_v2.fp32.onnx"))
    profile_variant(Path("build/models/mobilenet_v2.fp32.onnx"), se_paths, row_paths, (1, 3, 224, 224))

Two steps, one per export phase:

- ``layer_parts`` (with the other counts, export/pipeline.py's measure_model): every node of
  the fp32 classifier graph gets a layer row (its module path, which the exporter writes into
  each node name: "/features/features.3/conv/conv.1/conv.1.0/Conv") and a kind the lesson
  names (``KINDS``); per row and kind it counts MACs and the elements a node reads and writes
  if nothing stays in a cache: its weights, its activation inputs, its outputs;
- ``profile_variant`` (beside the latency, one model at a time on a quiet machine): a second
  session with onnxruntime's profiler on, one thread, runs the classifier ``PROFILE_RUNS``
  times after one warm-up; every kernel's median time goes to the row and kind of the source
  node it computes. onnxruntime rewrites the graph first: it fuses activations and residual
  additions into the convolution before them, and on x86 turns convolutions into its blocked
  NCHWc layout under new names. The graph it actually runs is saved (``optimized_model_filepath``)
  and each of its nodes traced back to the source nodes it replaces: a fused kernel's time
  goes to the kind of its weighted node (what fused into what is counted in ``fused``), and
  the nodes the runtime adds (layout reorders, type casts) to ``layout``, in the row of the
  node they feed.

The profiler times kernels; what lies between them (the executor's own work) it does not
attribute: the least of it in any run is recorded as ``unattributed_us``.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import onnx

from lwm.constants import LAYER_KINDS as KINDS  # the kinds of layer the lesson names
WEIGHTED = {"Conv", "Gemm", "MatMul"}
# what onnxruntime fuses into the weighted node before it
FUSIBLE = {"Relu", "Clip", "Sigmoid", "HardSigmoid", "HardSwish", "LeakyRelu", "Add", "Mul"}
POOL_HEAD = {"GlobalAveragePool", "AveragePool", "MaxPool", "GlobalMaxPool", "Flatten", "Reshape", "Gemm",
             "MatMul", "Softmax", "Squeeze"}
# untimed warm-up runs (the first allocates), then profiled runs: each kernel's fastest is kept
PROFILE_WARMUP, PROFILE_RUNS = 1, 5
# the key of an optimized node that has no name (onnxruntime profiles it as "<op>_<index>")
UNNAMED = "?"


def _module_path(node_name: str) -> str:
    """The module path a node name holds, as the state dict spells it:
    '/features/features.1/features.1.0/block/block.1/fc1/Conv' -> 'features.1.0.block.1.fc1'.

    The exporter writes one scope per module call: a container's child repeats the
    container's name with its index ("features.1", "block.1"), a named child is its attribute
    alone ("fc1"). '' when the name holds no scope."""
    scopes = [s for s in node_name.split("/")[1:-1] if s]
    path = ""
    for s in scopes:
        # the end of the path from its last named attribute on: "features.1" of "features.1"
        parts = path.split(".") if path else []
        i = len(parts)
        while i > 0 and parts[i - 1].isdigit():
            i -= 1
        tail = ".".join(parts[max(i - 1, 0):])
        if tail and s.startswith(tail + "."):
            path = ".".join(parts[: max(i - 1, 0)] + [s])
        else:
            path = f"{path}.{s}" if path else s
    return path


def _row_of(path: str, row_paths: list[str]) -> int | None:
    """The row whose module holds ``path`` (the longest row path that is a prefix of it)."""
    best = None
    for i, rp in enumerate(row_paths):
        if path == rp or path.startswith(rp + "."):
            if best is None or len(rp) > len(row_paths[best]):
                best = i
    return best


def _shapes(model: onnx.ModelProto) -> dict[str, list[int]]:
    from .measure import with_batch_one

    g = with_batch_one(model).graph
    out = {}
    for vi in list(g.value_info) + list(g.input) + list(g.output):
        dims = [d.dim_value for d in vi.type.tensor_type.shape.dim]
        if all(d > 0 for d in dims):
            out[vi.name] = dims
    for init in g.initializer:
        out[init.name] = list(init.dims)
    return out


def _kind(node: onnx.NodeProto, path: str, se_paths: list[str], shapes: dict, inits: set[str]) -> str:
    if any(path == p or path.startswith(p + ".") for p in se_paths):
        return "squeeze_excite"
    if node.op_type == "Conv":
        w = shapes[node.input[1]]  # [out, in / groups, kh, kw]
        group = next((a.i for a in node.attribute if a.name == "group"), 1)
        if group > 1 and w[1] == 1:
            return "depthwise"
        if w[2:] == [1, 1] and group == 1:
            return "pointwise_expand" if w[0] > w[1] else "pointwise_project"
        return "conv"
    if node.op_type in POOL_HEAD:
        return "pool_head"
    return "elementwise"


def _numel(shape: list[int] | None) -> int:
    return int(np.prod(shape)) if shape is not None else 0


def source_nodes(model: onnx.ModelProto, se_paths: list[str], row_paths: list[str]) -> dict[str, dict]:
    """Every node of ``model`` by name: {row, kind, macs, weights, reads, writes} (elements).

    A node whose name holds no module path of a row (the quantizer's QuantizeLinear and
    DequantizeLinear, a Flatten at the top level) takes the row of the node that produces its
    input, or failing that of the node that reads its output; one that quantizes a weight is
    part of that weight, not a node of its own."""
    g = model.graph
    shapes = _shapes(model)
    inits = {i.name for i in g.initializer}
    producer = {o: n for n in g.node for o in n.output}
    consumers: dict[str, list] = {}
    for n in g.node:
        for i in n.input:
            consumers.setdefault(i, []).append(n)
    # a DequantizeLinear of an initializer is a weight at load time: its consumer reads it as one
    weight_like = set(inits) | {n.output[0] for n in g.node if n.op_type == "DequantizeLinear" and n.input[0] in inits}
    info: dict[str, dict] = {}
    for n in g.node:
        path = _module_path(n.name)
        row = _row_of(path, row_paths) if path else None
        macs = 0
        if n.op_type == "Conv":
            w = shapes[n.input[1]]
            macs = _numel(shapes.get(n.output[0])) * w[1] * w[2] * w[3]
        elif n.op_type in ("Gemm", "MatMul"):
            a = shapes[n.input[0]]
            macs = _numel(shapes.get(n.output[0])) * a[-1]
        weights = sum(_numel(shapes.get(i)) for i in n.input if i in weight_like)
        reads = sum(_numel(shapes.get(i)) for i in n.input if i and i not in weight_like)
        writes = sum(_numel(shapes.get(o)) for o in n.output if o)
        info[n.name] = {"row": row, "kind": _kind(n, path, se_paths, shapes, inits) if n.op_type not in (
            "QuantizeLinear", "DequantizeLinear") else "elementwise",
                        "macs": int(macs), "weights": int(weights), "reads": int(reads), "writes": int(writes),
                        "op": n.op_type, "weight_only": n.op_type == "DequantizeLinear" and n.input[0] in inits}
    # rows for the nodes without one: from the producer of their input, else a reader of their output
    for _ in range(len(g.node)):
        missing = [n for n in g.node if info[n.name]["row"] is None]
        if not missing:
            break
        for n in missing:
            near = [producer[i] for i in n.input if i in producer] + [c for o in n.output for c in consumers.get(o, [])]
            rows = [info[m.name]["row"] for m in near if info[m.name]["row"] is not None]
            if rows:
                info[n.name]["row"] = rows[0]
    for name, v in info.items():
        if v["row"] is None:
            raise ValueError(f"node {name} belongs to no layer row")
    return info


def se_paths(model) -> list[str]:
    """The module paths of a PyTorch model's squeeze-and-excitation modules."""
    return [p for p, m in model.named_modules() if "SqueezeExcitation" in type(m).__name__]


def layer_parts(model: onnx.ModelProto, se_paths: list[str], row_paths: list[str]) -> list[dict[str, dict]]:
    """Per layer row, per kind: {macs, weights, reads, writes} of the fp32 classifier graph
    ``model`` (elements; bytes are these times a variant's element size)."""
    parts: list[dict[str, dict]] = [{} for _ in row_paths]
    for v in source_nodes(model, se_paths, row_paths).values():
        p = parts[v["row"]].setdefault(v["kind"], {"macs": 0, "weights": 0, "reads": 0, "writes": 0})
        for k in p:
            p[k] += v[k]
    return parts


def _trace(opt: onnx.ModelProto, src: onnx.ModelProto, info: dict[str, dict]) -> dict[str, dict]:
    """Each node of the optimized graph ``opt``: {row, kind, covers} where covers lists the
    source nodes it computes (a fused kernel covers several); a node the runtime inserted
    covers none and is of kind "layout"."""
    producer = {o: n for n in src.graph.node for o in n.output}
    by_name = {n.name: n for n in src.graph.node}
    present = {t for n in opt.graph.node for t in [*n.input, *n.output]}
    present |= {n.name[: -len("_nchwc")] for n in opt.graph.node if n.name.endswith("_nchwc")}
    present |= {i.name for i in opt.graph.input}
    def anchor_of(n: onnx.NodeProto) -> onnx.NodeProto | None:
        """The source node whose output this node writes (or whose name it keeps)."""
        if n.name.endswith("_nchwc") and n.name[: -len("_nchwc")] in producer:
            return producer[n.name[: -len("_nchwc")]]
        if any(o in producer for o in n.output):
            return producer[next(o for o in n.output if o in producer)]
        return by_name.get(n.name)

    anchors = {a.name for a in map(anchor_of, opt.graph.node) if a is not None}
    traced: dict[str, dict] = {}
    for i, n in enumerate(opt.graph.node):
        key = n.name or f"{UNNAMED}{n.op_type}#{i}"
        anchor = anchor_of(n)
        if anchor is None:
            traced[key] = {"row": None, "kind": "layout", "covers": [], "node": n}
            continue
        covers, todo = [], [anchor]
        while todo:  # an activation or addition fused into the node before it: back to one weighted node
            s = todo.pop()
            if s.name in covers:
                continue
            covers.append(s.name)
            if s.op_type not in FUSIBLE:
                continue
            todo.extend(producer[t] for t in s.input if t and t not in present and t in producer
                        and producer[t].name not in anchors and producer[t].op_type in FUSIBLE | WEIGHTED)
        traced[key] = {"covers": covers, "node": n}
    # what was fused into a node whose name keeps the first node's (a residual addition and its
    # activation inside a convolution, as ResNet's): a source node that no longer writes its
    # output joins the node that computes its input
    owner = {c: k for k, t in traced.items() for c in t["covers"]}
    for s in src.graph.node:
        if s.name in owner or info[s.name]["weight_only"] or any(o in present for o in s.output):
            continue
        near = [owner[producer[t].name] for t in s.input if t in producer and producer[t].name in owner]
        if near:
            traced[near[0]]["covers"].append(s.name)
            owner[s.name] = near[0]
    for key, t in traced.items():
        if not t["covers"]:
            continue
        main = next((c for c in t["covers"] if info[c]["op"] in WEIGHTED), t["covers"][0])
        t.update(row=info[main]["row"], kind=info[main]["kind"], main=main)
    # an inserted node belongs to the row of the node that reads its output (else that feeds it)
    readers: dict[str, list[str]] = {}
    makers: dict[str, str] = {}
    for key, t in traced.items():
        for i in t["node"].input:
            readers.setdefault(i, []).append(key)
        for o in t["node"].output:
            makers[o] = key
    for _ in range(len(traced)):
        open_ = [k for k, v in traced.items() if v["row"] is None]
        if not open_:
            break
        for k in open_:
            n = traced[k]["node"]
            near = [r for o in n.output for r in readers.get(o, [])] + [makers[i] for i in n.input if i in makers]
            rows = [traced[m]["row"] for m in near if traced[m]["row"] is not None]
            if rows:
                traced[k]["row"] = rows[0]
    return traced


def _runs(events: list[dict], traced: dict[str, dict]) -> list[dict[str, float]]:
    """The profile's runs, each {node key: kernel µs, "": the run's own µs}, in order.

    A node the saved graph leaves unnamed (an operator onnxruntime expands into a function,
    as HardSwish into HardSigmoid and Mul) is profiled as "<op>_<index>": such kernels are
    matched to the unnamed nodes of their operator in graph order."""
    named = {k for k in traced if not k.startswith(UNNAMED)}
    unnamed: dict[str, list[str]] = {}
    for k, t in traced.items():
        if k.startswith(UNNAMED):
            unnamed.setdefault(t["node"].op_type, []).append(k)
    orphans: dict[str, list[tuple[int, str]]] = {}
    for e in events:
        if e.get("cat") == "Node" and e["name"].endswith("_kernel_time"):
            node = e["name"][: -len("_kernel_time")]
            if node not in named:
                orphans.setdefault(e["args"]["op_name"], []).append((int(e["args"]["node_index"]), node))
    alias = {}
    for op, found in orphans.items():
        names = sorted(set(found))
        if len(names) != len(unnamed.get(op, [])):
            raise ValueError(f"{len(names)} {op} kernel(s) of no node in the optimized graph: {names[:5]}")
        alias.update({n: k for (_, n), k in zip(names, unnamed[op])})
    runs = [{"": float(e["dur"]), "_ts": e["ts"]} for e in events
            if e.get("cat") == "Session" and e.get("name") == "SequentialExecutor::Execute"]
    for e in events:
        if e.get("cat") == "Node" and e["name"].endswith("_kernel_time"):
            node = e["name"][: -len("_kernel_time")]
            node = alias.get(node, node)
            for r in runs:
                if r["_ts"] <= e["ts"] <= r["_ts"] + r[""]:
                    r[node] = r.get(node, 0.0) + float(e["dur"])
                    break
    for r in runs:
        del r["_ts"]
    return runs


def profile_variant(path: Path, se_paths: list[str], row_paths: list[str], input_shape: tuple[int, ...],
                    output: str = "logits") -> dict:
    """Profile the classifier (``output`` only) of one ONNX file, one thread: {runs, total_us,
    kernels_us, unattributed_us, kinds {kind: µs}, layers [{kind: µs} per row], fused
    {"Clip→Conv": n, ...}}. Each kernel's time is its fastest of the profiled runs (other work
    on the machine only adds time), so the kinds sum to ``kernels_us``; ``total_us`` is the
    fastest run, and ``unattributed_us`` the least time any run spent between its kernels,
    so kernels_us + unattributed_us <= total_us, the difference being the interference no
    run escaped."""
    import onnxruntime as ort

    from .measure import only_outputs

    src = only_outputs(onnx.load(str(path)), (output,))
    info = source_nodes(src, se_paths, row_paths)
    with tempfile.TemporaryDirectory() as tmp:
        so = ort.SessionOptions()
        so.intra_op_num_threads = 1
        so.inter_op_num_threads = 1
        so.log_severity_level = 3
        so.enable_profiling = True
        so.profile_file_prefix = str(Path(tmp) / "profile")
        so.optimized_model_filepath = str(Path(tmp) / "optimized.onnx")
        sess = ort.InferenceSession(src.SerializeToString(), so, providers=["CPUExecutionProvider"])
        name = sess.get_inputs()[0].name
        x = np.random.default_rng(0).standard_normal(input_shape).astype(np.float32)
        for _ in range(PROFILE_WARMUP + PROFILE_RUNS):
            sess.run([output], {name: x})
        events = json.loads(Path(sess.end_profiling()).read_text())
        opt = onnx.load(str(Path(tmp) / "optimized.onnx"))
    traced = _trace(opt, src, info)
    runs = _runs(events, traced)[PROFILE_WARMUP:]
    fastest = {k: min(r.get(k, 0.0) for r in runs) for k in {k for r in runs for k in r}}
    unknown = sorted(set(fastest) - set(traced) - {""})
    if unknown:
        raise ValueError(f"{path.name}: kernels of no node in the optimized graph: {unknown[:5]}")
    kinds = {k: 0.0 for k in KINDS}
    layers: list[dict[str, float]] = [{} for _ in row_paths]
    for node, us in fastest.items():
        if node == "":
            continue
        t = traced[node]
        kinds[t["kind"]] += us
        layers[t["row"]][t["kind"]] = layers[t["row"]].get(t["kind"], 0.0) + us
    fused: dict[str, int] = {}
    for t in traced.values():
        for c in t["covers"]:
            if c != t["main"] and not info[c]["weight_only"]:
                key = f"{info[c]['op']}→{info[t['main']]['op']}"
                fused[key] = fused.get(key, 0) + 1
    kernels = sum(us for k, us in fastest.items() if k)
    # the executor's own time between kernels: its least in any run (more is other work's)
    gap = min(r[""] - sum(us for k, us in r.items() if k) for r in runs)
    return {
        "runs": len(runs),
        "total_us": round(fastest[""], 1),
        "kernels_us": round(kernels, 1),
        "unattributed_us": round(gap, 1),
        "kinds": {k: round(v, 1) for k, v in kinds.items()},
        "layers": [{k: round(v, 1) for k, v in row.items()} for row in layers],
        "fused": dict(sorted(fused.items())),
    }


# the compute ceiling: the benchmark's MatMul (benchmarks/latency.py's CEILING_N), fp32, one thread
CEILING_N = 512
# the memory ceilings: a copy far larger than any cache (64 MiB read, 64 MiB written), and one
# that a core's own cache holds (256 KiB each way: x86 cores of the last decade have 512 KiB or
# more of L2), for tensors that never leave the cache
COPY_BYTES, CACHE_COPY_BYTES = 64 * 2**20, 256 * 2**10
MATMUL_RUNS, COPY_RUNS, CACHE_COPY_RUNS = 20, 10, 300


def ceilings() -> dict:
    """This machine's compute ceiling (one fp32 MatMul in onnxruntime, one thread, GMAC/s) and
    memory bandwidth (a numpy copy much larger than the caches, bytes read + written, GB/s)
    and cache bandwidth (a copy the core's cache holds), each the fastest of its runs after one
    warm-up."""
    from onnx import TensorProto, helper, numpy_helper

    from .evaluation import ort_session

    n = CEILING_N
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"])], "matmul",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, n, n])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, n, n])],
        [numpy_helper.from_array(np.random.default_rng(0).standard_normal((n, n)).astype(np.float32), "w")])
    proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 20)], ir_version=10)
    sess = ort_session(proto.SerializeToString(), 1)
    x = np.random.default_rng(1).standard_normal((1, n, n)).astype(np.float32)

    def fastest_seconds(run, runs: int) -> float:
        # the fastest run, as each kernel's time in the profile: other work only adds time
        run()
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            run()
            times.append(time.perf_counter() - t0)
        return min(times)

    matmul_s = fastest_seconds(lambda: sess.run(None, {"x": x}), MATMUL_RUNS)
    src = np.ones(COPY_BYTES // 4, np.float32)
    dst = np.empty_like(src)
    copy_s = fastest_seconds(lambda: np.copyto(dst, src), COPY_RUNS)
    small, small_dst = src[: CACHE_COPY_BYTES // 4], dst[: CACHE_COPY_BYTES // 4]
    cache_s = fastest_seconds(lambda: np.copyto(small_dst, small), CACHE_COPY_RUNS)
    return {
        "compute_gmacs": round(n**3 / matmul_s / 1e9, 2),
        "matmul": f"fp32 [1, {n}, {n}] × [{n}, {n}], one thread",
        "bandwidth_gbs": round(2 * COPY_BYTES / copy_s / 1e9, 2),
        "copy_bytes": COPY_BYTES,
        "cache_bandwidth_gbs": round(2 * CACHE_COPY_BYTES / cache_s / 1e9, 2),
        "cache_copy_bytes": CACHE_COPY_BYTES,
    }
