"""Which CPU a latency was measured on: its model name and the instruction sets that matter.

    .venv/bin/python -m export.cpu     # prints this machine's {"cpu", "cpu_features", "cpu_summary"}

Native onnxruntime picks its fp32 and int8 kernels by the CPU's features (AVX2 + FMA,
AVX-512, the VNNI dot-product instructions, AMX; on ARM NEON's dot product and i8mm), while
onnxruntime-web's WebAssembly is the same everywhere. So a browser ÷ native ratio belongs to
one CPU, and the manifest (export/manifest.py) and the benchmark (benchmarks/run.py) record
it with ``describe()``. Standard library only: both import it before anything heavy.
"""

from __future__ import annotations

import platform
import subprocess
from pathlib import Path

# The features recorded, in this order, under Linux's /proc/cpuinfo names; everything else
# in the flags line (dozens of them) says nothing about onnxruntime's kernels.
X86_FEATURES = (
    "sse4_1", "avx", "avx2", "fma", "f16c",
    "avx512f", "avx512bw", "avx512vl", "avx512_vnni", "avx512_bf16", "avx512_fp16",
    "avx_vnni", "amx_tile", "amx_int8", "amx_bf16",
)
ARM_FEATURES = ("neon", "asimd", "asimdhp", "asimddp", "i8mm", "bf16", "sve", "sve2")
FEATURES = X86_FEATURES + ARM_FEATURES

# macOS has no /proc/cpuinfo: `sysctl hw.optional` names the same features its own way
SYSCTL_FEATURES = {
    "hw.optional.sse4_1": "sse4_1", "hw.optional.avx1_0": "avx", "hw.optional.avx2_0": "avx2", "hw.optional.fma": "fma",
    "hw.optional.avx512f": "avx512f", "hw.optional.avx512bw": "avx512bw", "hw.optional.avx512vl": "avx512vl",
    "hw.optional.avx512vnni": "avx512_vnni",
    "hw.optional.neon": "asimd", "hw.optional.AdvSIMD": "asimd", "hw.optional.neon_hpfp": "asimdhp",
    "hw.optional.arm.FEAT_DotProd": "asimddp", "hw.optional.arm.FEAT_I8MM": "i8mm",
    "hw.optional.arm.FEAT_BF16": "bf16",
}


def _fields(text: str) -> dict[str, str]:
    """The first value of each ``key : value`` line (every processor repeats the block)."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            out.setdefault(key.strip(), value.strip())
    return out


def parse_cpuinfo(text: str) -> dict:
    """Model name and recorded features from the text of Linux's /proc/cpuinfo (x86 or ARM)."""
    f = _fields(text)
    # x86 has "flags", ARM "Features"; ARM kernels rarely give a model name, so fall back
    # to the board (Raspberry Pi's "Model") or to the implementer and part numbers
    flags = set((f.get("flags") or f.get("Features") or "").split())
    model = f.get("model name") or f.get("Model") or f.get("Hardware")
    if not model and "CPU implementer" in f:
        model = f"ARM CPU (implementer {f['CPU implementer']}, part {f.get('CPU part', '?')})"
    return {"cpu": model or None, "cpu_features": [x for x in FEATURES if x in flags]}


def parse_sysctl(text: str) -> list[str]:
    """Recorded features from macOS's ``sysctl hw.optional`` output (``name: 0|1`` lines)."""
    on = {k for k, v in _fields(text).items() if v == "1"}
    found = {SYSCTL_FEATURES[k] for k in on if k in SYSCTL_FEATURES}
    return [x for x in FEATURES if x in found]


def summary(features: list[str]) -> str | None:
    """A few words a reader can compare: "AVX-512 + VNNI", "AVX2 + FMA (no AVX-512, no VNNI)".
    None when nothing was recorded (an unknown CPU, not one without the features)."""
    f = set(features)
    if not f:
        return None
    if f & {"neon", "asimd"}:
        extras = [name for flag, name in (("asimddp", "dot product"), ("i8mm", "i8mm"), ("sve", "SVE")) if flag in f]
        missing = [f"no {name}" for flag, name in (("asimddp", "dot product"), ("i8mm", "i8mm")) if flag not in f]
        return " + ".join(["NEON", *extras]) + (f" ({', '.join(missing)})" if missing else "")
    amx = " + AMX" if "amx_int8" in f else ""
    if "avx512f" in f:
        return "AVX-512 + VNNI" + amx if "avx512_vnni" in f else "AVX-512 (no VNNI)"
    if "avx2" in f:
        base = "AVX2 + FMA" if "fma" in f else "AVX2"
        # Alder Lake and later: VNNI on 256-bit registers without AVX-512
        return base + (" + AVX-VNNI (no AVX-512)" if "avx_vnni" in f else " (no AVX-512, no VNNI)")
    if "avx" in f:
        return "AVX (no AVX2, no FMA)"
    return "no AVX"


def _read_linux() -> dict | None:
    try:
        return parse_cpuinfo(Path("/proc/cpuinfo").read_text())
    except OSError:
        return None


def _read_macos() -> dict | None:
    def sysctl(*args: str) -> str:
        return subprocess.run(["sysctl", *args], capture_output=True, text=True, timeout=5).stdout

    try:
        return {"cpu": sysctl("-n", "machdep.cpu.brand_string").strip() or None,
                "cpu_features": parse_sysctl(sysctl("hw.optional"))}
    except (OSError, subprocess.SubprocessError):
        return None


def describe() -> dict:
    """This machine's ``{"cpu", "cpu_features", "cpu_summary"}``; elsewhere than Linux and macOS
    (or when reading fails) the model from ``platform`` and no features."""
    info = {"Linux": _read_linux, "Darwin": _read_macos}.get(platform.system(), lambda: None)() or {}
    return {
        "cpu": info.get("cpu") or platform.processor() or platform.machine() or None,
        "cpu_features": info.get("cpu_features", []),
        "cpu_summary": summary(info.get("cpu_features", [])),
    }


if __name__ == "__main__":
    import json

    print(json.dumps(describe(), indent=1))
