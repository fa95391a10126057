"""int8 files compute the same integers on every x86 CPU: checked on an emulated AVX2 CPU.

onnxruntime picks its integer kernels by the CPU's instruction sets. Without VNNI, its
uint8 x int8 GEMM adds pairs of products in 16-bit lanes, which saturate; uint8 x uint8 and
depthwise kernels widen first and cannot (export/convert.py, "Portable int8"). These tests
run one small QDQ model, a pointwise convolution then a depthwise one, on this machine and
under Debian's qemu-user emulating a Haswell CPU (AVX2 + FMA, no AVX-512, no VNNI), and
compare both with the exact integer arithmetic computed here in numpy:

- with the exporter's weight types (uint8 pointwise, int8 depthwise) both CPUs give exactly
  the reference;
- the control, int8 pointwise weights at full range, saturates on the emulated CPU: the
  emulation does reproduce the fault, so the first test could fail.

Every scale is a power of two, so rescaling an int32 sum is exact and the only rounding is
the kernels' round-half-to-even, which numpy's ``np.round`` matches.

The file is also the script run under emulation:
    python tests/test_int8_portability.py MODEL.onnx INPUTS.npy OUTPUT.npy
"""

from __future__ import annotations

import platform
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

C = 16  # channels, a multiple of the kernels' blocking so no lane is padding
H = W = 6
# power-of-two scales: input 2^-2, pointwise weights 2^-4, its output 2^6 (rescale 2^-12);
# depthwise weights 2^-3, output 2^14 (rescale 2^-11)
SX, SW1, SY1, SW2, SY2 = 2.0**-2, 2.0**-4, 2.0**6, 2.0**-3, 2.0**14
ZY = 128  # zero point of both outputs: the sums are signed


def tiny_model(pointwise: str, rng: np.random.Generator):
    """(ONNX QDQ model, integer parameters). ``pointwise``: "uint8" (the exporter's choice)
    or "int8" (full-range signed weights, the control)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    w1 = rng.integers(-127, 128, (C, C, 1, 1))
    w1[:4] = 127  # a few extreme channels: saturation needs two large products side by side
    w1[4:6] = -127
    w2 = rng.integers(-127, 128, (C, 1, 3, 3))
    w2[:2] = 127
    b1 = rng.integers(-(2**12), 2**12, C)
    b2 = rng.integers(-(2**10), 2**10, C)
    if pointwise == "uint8":
        w1_stored, w1_zero = (w1 + 128).astype(np.uint8), np.full(C, 128, np.uint8)
    else:
        w1_stored, w1_zero = w1.astype(np.int8), np.zeros(C, np.int8)

    def f32(*v):
        return np.array(v if len(v) > 1 else v[0], np.float32)

    inits = [
        numpy_helper.from_array(f32(SX), "sx"), numpy_helper.from_array(np.array(0, np.uint8), "zx"),
        numpy_helper.from_array(w1_stored, "w1"), numpy_helper.from_array(np.full(C, SW1, np.float32), "sw1"),
        numpy_helper.from_array(w1_zero, "zw1"),
        numpy_helper.from_array(b1.astype(np.int32), "b1"), numpy_helper.from_array(np.full(C, SX * SW1, np.float32), "sb1"),
        numpy_helper.from_array(np.zeros(C, np.int32), "zb"),
        numpy_helper.from_array(f32(SY1), "sy1"), numpy_helper.from_array(np.array(ZY, np.uint8), "zy"),
        numpy_helper.from_array(w2.astype(np.int8), "w2"), numpy_helper.from_array(np.full(C, SW2, np.float32), "sw2"),
        numpy_helper.from_array(np.zeros(C, np.int8), "zw2"),
        numpy_helper.from_array(b2.astype(np.int32), "b2"), numpy_helper.from_array(np.full(C, SY1 * SW2, np.float32), "sb2"),
        numpy_helper.from_array(f32(SY2), "sy2"),
    ]
    dq = lambda x, s, z, out, **kw: helper.make_node("DequantizeLinear", [x, s, z], [out], **kw)  # noqa: E731
    nodes = [
        helper.make_node("QuantizeLinear", ["x", "sx", "zx"], ["xq"]),
        dq("xq", "sx", "zx", "xf"),
        dq("w1", "sw1", "zw1", "w1f", axis=0),
        dq("b1", "sb1", "zb", "b1f", axis=0),
        helper.make_node("Conv", ["xf", "w1f", "b1f"], ["y1"]),
        helper.make_node("QuantizeLinear", ["y1", "sy1", "zy"], ["y1q"]),
        dq("y1q", "sy1", "zy", "y1f"),
        dq("w2", "sw2", "zw2", "w2f", axis=0),
        dq("b2", "sb2", "zb", "b2f", axis=0),
        helper.make_node("Conv", ["y1f", "w2f", "b2f"], ["y2"], group=C, pads=[1, 1, 1, 1]),
        helper.make_node("QuantizeLinear", ["y2", "sy2", "zy"], ["y2q"]),
        dq("y2q", "sy2", "zy", "out"),
    ]
    graph = helper.make_graph(
        nodes, "pointwise_then_depthwise",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, C, H, W])],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, [None, C, H, W])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)], ir_version=10)
    onnx.checker.check_model(model, full_check=True)
    return model, {"w1": w1, "b1": b1, "w2": w2, "b2": b2}


def reference(x_q: np.ndarray, p: dict) -> np.ndarray:
    """The model's output computed exactly: int64 sums, rescale by a power of two, round
    half to even, clamp to uint8, then back to float as the last DequantizeLinear does."""
    acc1 = np.einsum("nkhw,ck->nchw", x_q.astype(np.int64), p["w1"][:, :, 0, 0]) + p["b1"][None, :, None, None]
    y1 = np.clip(np.round(acc1 * (SX * SW1 / SY1)) + ZY, 0, 255).astype(np.int64)
    centred = np.pad(y1 - ZY, ((0, 0), (0, 0), (1, 1), (1, 1)))  # padding is the zero point
    acc2 = np.zeros_like(y1)
    for i in range(3):
        for j in range(3):
            acc2 += centred[:, :, i : i + H, j : j + W] * p["w2"][None, :, 0, i, j, None, None]
    acc2 += p["b2"][None, :, None, None]
    y2 = np.clip(np.round(acc2 * (SY1 * SW2 / SY2)) + ZY, 0, 255)
    return ((y2 - ZY) * SY2).astype(np.float32)


def inputs(rng: np.random.Generator) -> np.ndarray:
    """uint8 activations: all 255 (the worst case), bright random, uniform random."""
    x = np.stack([
        np.full((C, H, W), 255),
        rng.integers(200, 256, (C, H, W)),
        rng.integers(0, 256, (C, H, W)),
    ])
    return x.astype(np.uint8)


def run(model_path: str, x: np.ndarray) -> np.ndarray:
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.log_severity_level = 3
    so.intra_op_num_threads = 1
    sess = ort.InferenceSession(model_path, so, providers=["CPUExecutionProvider"])
    return sess.run(None, {"x": x.astype(np.float32) * np.float32(SX)})[0]


def _on_emulated_haswell(model_path: Path, x_q: np.ndarray, tmp: Path) -> np.ndarray:
    np.save(tmp / "x.npy", x_q)
    r = subprocess.run(
        ["qemu-x86_64", "-cpu", "Haswell", sys.executable, __file__, str(model_path), str(tmp / "x.npy"), str(tmp / "y.npy")],
        capture_output=True, text=True, timeout=600,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    return np.load(tmp / "y.npy")


def _needs_qemu():
    import pytest

    if platform.machine() not in ("x86_64", "AMD64"):
        pytest.skip(f"qemu-x86_64 emulates an x86-64 CPU for x86-64 programs; this machine is {platform.machine()}")
    if shutil.which("qemu-x86_64") is None:
        pytest.skip("qemu-x86_64 is not installed (Debian: apt-get install qemu-user); .ci/run installs it")


def _model_file(tmp: Path, pointwise: str) -> tuple[Path, dict, np.ndarray]:
    import onnx

    rng = np.random.default_rng(0)
    model, params = tiny_model(pointwise, rng)
    path = tmp / f"tiny.{pointwise}.onnx"
    onnx.save(model, str(path))
    return path, params, inputs(rng)


def test_the_reference_and_the_kernels_agree_on_this_cpu(tmp_path):
    # the exporter's weight types, on whatever CPU runs the tests
    path, params, x = _model_file(tmp_path, "uint8")
    ref = reference(x, params)
    assert np.ptp(ref) > 0 and (ref != 0).mean() > 0.5  # not a degenerate, clamped output
    np.testing.assert_array_equal(run(str(path), x), ref)


def test_exporter_weight_types_give_exact_integers_on_an_avx2_cpu(tmp_path):
    _needs_qemu()
    path, params, x = _model_file(tmp_path, "uint8")
    np.testing.assert_array_equal(_on_emulated_haswell(path, x, tmp_path), reference(x, params))


def test_full_range_int8_weights_saturate_on_an_avx2_cpu(tmp_path):
    """The control: without it, the test above could pass on an emulation that never saturates."""
    _needs_qemu()
    path, params, x = _model_file(tmp_path, "int8")
    emulated = _on_emulated_haswell(path, x, tmp_path)
    wrong = emulated != reference(x, params)
    assert wrong[0].any(), "full-range int8 weights did not saturate on the emulated AVX2 CPU"


def test_exported_int8_files_cannot_saturate(manifest, models_dir):
    """Every exported int8 file, portable and pre-optimized, passes the exporter's check."""
    import onnx

    from export.convert import saturation_risks

    for name, e in manifest["models"].items():
        v = e["variants"]["int8"]
        for file in (v["file"], v["optimized"]["file"]):
            assert saturation_risks(onnx.load(str(models_dir / file))) == [], (name, file)
        assert v["portable"] is True, name


if __name__ == "__main__":
    model, x_file, out_file = sys.argv[1:4]
    np.save(out_file, run(model, np.load(x_file)))
