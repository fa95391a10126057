"""export/cpu.py: the CPU's model and instruction sets, read from sample /proc/cpuinfo texts.

Run: .venv/bin/python -m pytest tests/test_cpu.py
"""

from __future__ import annotations

import platform
from pathlib import Path

import pytest

from export import cpu

# Intel Core i7-4770 (Haswell, 2013): AVX2 and FMA, nothing newer
HASWELL = """\
processor	: 0
vendor_id	: GenuineIntel
cpu family	: 6
model		: 60
model name	: Intel(R) Core(TM) i7-4770 CPU @ 3.40GHz
flags		: fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush dts acpi mmx fxsr sse sse2 ss ht tm pbe syscall nx pdpe1gb rdtscp lm constant_tsc arch_perfmon pebs bts rep_good nopl xtopology nonstop_tsc cpuid aperfmperf pni pclmulqdq dtes64 monitor ds_cpl vmx est tm2 ssse3 sdbg fma cx16 xtpr pdcm pcid sse4_1 sse4_2 x2apic movbe popcnt tsc_deadline_timer aes xsave avx f16c rdrand lahf_lm abm cpuid_fault epb invpcid_single pti ssbd ibrs ibpb stibp tpr_shadow vnmi flexpriority ept vpid ept_ad fsgsbase tsc_adjust bmi1 avx2 smep bmi2 erms invpcid xsaveopt dtherm ida arat pln pts md_clear flush_l1d

processor	: 1
vendor_id	: GenuineIntel
model name	: Intel(R) Core(TM) i7-4770 CPU @ 3.40GHz
flags		: fpu sse sse2
"""

# the benchmark machine: an AMD EPYC virtual machine with AVX-512, VNNI and BF16
EPYC = """\
processor	: 0
vendor_id	: AuthenticAMD
cpu family	: 25
model name	: AMD EPYC
flags		: fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr sse sse2 ht syscall nx mmxext fxsr_opt pdpe1gb rdtscp lm constant_tsc rep_good nopl xtopology nonstop_tsc cpuid extd_apicid tsc_known_freq pni pclmulqdq ssse3 fma cx16 pcid sse4_1 sse4_2 x2apic movbe popcnt tsc_deadline_timer aes xsave avx f16c rdrand hypervisor lahf_lm cmp_legacy cr8_legacy abm sse4a misalignsse 3dnowprefetch osvw topoext vmmcall fsgsbase tsc_adjust bmi1 avx2 smep bmi2 erms invpcid avx512f avx512dq rdseed adx smap avx512ifma clflushopt clwb avx512cd sha_ni avx512bw avx512vl xsaveopt xsavec xgetbv1 xsaves avx512_bf16 clzero xsaveerptr arat avx512vbmi umip avx512_vbmi2 gfni vaes vpclmulqdq avx512_vnni avx512_bitalg avx512_vpopcntdq rdpid fsrm
"""

# AWS Graviton2 (Neoverse N1): NEON with the dot product, no i8mm; no "model name" line
GRAVITON2 = """\
processor	: 0
BogoMIPS	: 243.75
Features	: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm lrcpc dcpop asimddp ssbs
CPU implementer	: 0x41
CPU architecture: 8
CPU variant	: 0x3
CPU part	: 0xd0c
CPU revision	: 1
"""

# Intel Core i7-12700 (Alder Lake): VNNI on AVX2 registers, AVX-512 fused off
ALDER_LAKE_FLAGS = "fpu sse sse2 avx avx2 fma f16c avx_vnni"
# Intel Xeon (Sapphire Rapids): AVX-512, VNNI and AMX
SAPPHIRE_RAPIDS_FLAGS = "sse2 avx avx2 fma avx512f avx512bw avx512vl avx512_vnni avx512_bf16 avx512_fp16 amx_tile amx_int8"

# an Apple M2's `sysctl hw.optional` (abridged)
APPLE_M2_SYSCTL = """\
hw.optional.arm.FEAT_DotProd: 1
hw.optional.arm.FEAT_I8MM: 1
hw.optional.arm.FEAT_BF16: 1
hw.optional.arm.FEAT_SME: 0
hw.optional.AdvSIMD: 1
hw.optional.floatingpoint: 1
"""


def _x86(flags: str) -> str:
    return f"model name\t: Some CPU\nflags\t\t: {flags}\n"


def test_an_avx2_only_haswell():
    info = cpu.parse_cpuinfo(HASWELL)
    assert info == {"cpu": "Intel(R) Core(TM) i7-4770 CPU @ 3.40GHz",
                    "cpu_features": ["sse4_1", "avx", "avx2", "fma", "f16c"]}  # the first processor's flags
    assert cpu.summary(info["cpu_features"]) == "AVX2 + FMA (no AVX-512, no VNNI)"


def test_an_avx512_vnni_epyc():
    info = cpu.parse_cpuinfo(EPYC)
    assert info["cpu"] == "AMD EPYC"
    assert info["cpu_features"] == ["sse4_1", "avx", "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512vl",
                                    "avx512_vnni", "avx512_bf16"]
    assert cpu.summary(info["cpu_features"]) == "AVX-512 + VNNI"


def test_an_arm_server_without_a_model_name():
    info = cpu.parse_cpuinfo(GRAVITON2)
    assert info["cpu"] == "ARM CPU (implementer 0x41, part 0xd0c)"
    assert info["cpu_features"] == ["asimd", "asimdhp", "asimddp"]
    assert cpu.summary(info["cpu_features"]) == "NEON + dot product (no i8mm)"


@pytest.mark.parametrize("flags, expected", [
    (ALDER_LAKE_FLAGS, "AVX2 + FMA + AVX-VNNI (no AVX-512)"),
    (SAPPHIRE_RAPIDS_FLAGS, "AVX-512 + VNNI + AMX"),
    ("sse2 avx avx2 fma avx512f avx512bw avx512vl", "AVX-512 (no VNNI)"),  # Skylake-SP
    ("sse2 sse4_2 avx", "AVX (no AVX2, no FMA)"),  # Sandy Bridge
    ("sse2 sse4_1 sse4_2", "no AVX"),  # Nehalem
])
def test_x86_summaries(flags, expected):
    assert cpu.summary(cpu.parse_cpuinfo(_x86(flags))["cpu_features"]) == expected


def test_macos_sysctl():
    features = cpu.parse_sysctl(APPLE_M2_SYSCTL)
    assert features == ["asimd", "asimddp", "i8mm", "bf16"]  # FEAT_SME is 0: not listed
    assert cpu.summary(features) == "NEON + dot product + i8mm"


def test_nothing_known_is_no_summary_rather_than_a_guess():
    assert cpu.parse_cpuinfo("") == {"cpu": None, "cpu_features": []}
    assert cpu.summary([]) is None


def test_describe_reads_this_machine():
    d = cpu.describe()
    assert set(d) == {"cpu", "cpu_features", "cpu_summary"}
    assert d["cpu"]
    assert d["cpu_summary"] == cpu.summary(d["cpu_features"])
    if platform.system() == "Linux":
        assert d["cpu_features"] == cpu.parse_cpuinfo(Path("/proc/cpuinfo").read_text())["cpu_features"]


def test_the_manifest_and_the_benchmark_record_the_same_description(monkeypatch):
    from benchmarks import run
    from export import manifest

    fake = {"cpu": "Test CPU", "cpu_features": ["avx2", "fma"], "cpu_summary": "AVX2 + FMA (no AVX-512, no VNNI)"}
    monkeypatch.setattr(cpu, "describe", lambda: fake)
    assert fake.items() <= manifest._environment().to_json().items()
    assert fake.items() <= run.machine().items()
