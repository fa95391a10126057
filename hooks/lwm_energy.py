"""Energy per inference, estimated from counted MACs and the bytes of weights a model reads.

The per-operation energies are published figures for a 45 nm process, not measurements:
- arithmetic: M. Horowitz, "Computing's energy problem (and what we can do about it)",
  ISSCC 2014, https://doi.org/10.1109/ISSCC.2014.6757323;
- memory, per 32-bit read: Han et al., "Learning both Weights and Connections for Efficient
  Neural Networks", NeurIPS 2015, Fig. 1, https://arxiv.org/abs/1506.02626. Horowitz gives
  memory energies per 64-bit access; Han et al.'s table states them per 32-bit word, and
  that is the table this estimate uses.

The model is deliberately simple, and the docs page states every assumption:
- each MAC is one multiply and one add at the variant's precision (fp32 and fp16 use the
  32-bit float costs, because onnxruntime on a CPU computes fp16 graphs in fp32; int8 uses
  the 8-bit integer costs, which ignores the wider accumulator a real int8 kernel keeps);
- every weight byte is read once from DRAM per inference, at the 32-bit DRAM read cost
  divided by 4 per byte; the weight bytes are the variant's ONNX file size;
- activations are not counted at all.
It is not a bound in either direction: the weight term is too high for a chip whose caches
hold the weights across images, and the missing activation traffic makes it too low.

A second estimate (:func:`estimate_moved`) adds the feature maps each layer reads and writes,
with a stated cache model (below), from the per-layer rows of the manifest.
"""

from __future__ import annotations

from dataclasses import dataclass

HOROWITZ_URL = "https://doi.org/10.1109/ISSCC.2014.6757323"
HOROWITZ_CITATION = "M. Horowitz, Computing's energy problem (and what we can do about it), ISSCC 2014"
HAN_URL = "https://arxiv.org/abs/1506.02626"
HAN_CITATION = "Han et al., Learning both Weights and Connections for Efficient Neural Networks, NeurIPS 2015, Fig. 1"

# Published per-operation energies in picojoules, 45 nm, and the publication of each
PJ = {
    "fp32_mult": 3.7,
    "fp32_add": 0.9,
    "int8_mult": 0.2,
    "int8_add": 0.03,
    "dram_read_32bit": 640.0,
    "sram_8kb_read_32bit": 5.0,  # shown for scale on the page; not used by the estimate
}
SOURCE = {
    "fp32_mult": "horowitz", "fp32_add": "horowitz", "int8_mult": "horowitz", "int8_add": "horowitz",
    # per 32-bit word: Han et al.'s Fig. 1, from Horowitz's 64-bit accesses
    "dram_read_32bit": "han", "sram_8kb_read_32bit": "han",
}

# Horowitz's own memory figures, per 64-bit access, in picojoules (the same ISSCC 2014 paper,
# its memory table): a cache read costs more the larger the cache, and DRAM 1.3 to 2.6 nJ. They
# set a cache read against a DRAM read on the Energy page; the estimate does not use them.
HOROWITZ_64BIT_PJ = {
    "cache 8 KB": 10.0,
    "cache 32 KB": 20.0,
    "cache 1 MB": 100.0,
    "dram": (1300.0, 2600.0),
}

# One phone chip's caches, to set the models' peak activations against: Apple publishes no cache
# sizes, so these are AnandTech's measurements of the A15 (iPhone 13), binary megabytes.
PHONE_CACHE = {
    "chip": "Apple's A15",
    "bytes": 32 * 2**20,
    "label": "32 MB",
    "what": "system cache",
    "l2_label": "12 MB",
    "source": "AnandTech's review of the A15",
    "url": "https://www.anandtech.com/show/16983/the-apple-a15-soc-performance-review-faster-more-efficient",
}

# which arithmetic each exported variant is charged for (see the module docstring)
ARITHMETIC = {"fp32": "fp32", "fp16": "fp32", "int8": "int8"}


@dataclass(frozen=True)
class Estimate:
    compute_pj: float
    memory_pj: float

    @property
    def total_pj(self) -> float:
        return self.compute_pj + self.memory_pj

    @property
    def memory_share(self) -> float:
        return self.memory_pj / self.total_pj


# The second estimate, from the bytes each layer moves (the per-layer rows' reads and writes of
# feature maps, export/profile.py), with one cache between the arithmetic and DRAM:
# - a part of a layer (its depthwise, pointwise, ... convolution) whose input and output maps
#   together fit in CACHE_BYTES keeps them there: each byte read or written costs a cache
#   access; a larger one goes to DRAM for all of its bytes;
# - the elementwise passes (activation functions, residual additions, concatenations) move
#   nothing of their own: a runtime computes them in the pass of the convolution beside them,
#   as onnxruntime's optimized graphs do with most of them (the per-layer profile lists them);
# - a write costs what a read does (both sources tabulate reads);
# - weights as in the first estimate: every weight byte read once from DRAM per image;
# - an int8 file's feature maps are one byte an element, fp32's four.
CACHE_BYTES = 2**20  # 1 MB: the largest cache in Horowitz's table, so no figure is extrapolated
CACHE_LABEL = "1 MB"
# per 32-bit word: half of Horowitz's 1 MB cache figure per 64-bit access, as Han et al.'s
# Fig. 1 halves his 64-bit DRAM and 8 KB figures
CACHE_READ_32BIT_PJ = HOROWITZ_64BIT_PJ["cache 1 MB"] / 2
ACTIVATION_BYTES = {"fp32": 4, "int8": 1}
FUSED_KINDS = ("elementwise",)


@dataclass(frozen=True)
class Moved:
    """The second estimate's terms, in picojoules."""
    compute_pj: float
    weights_pj: float
    activations_cache_pj: float
    activations_dram_pj: float

    @property
    def activations_pj(self) -> float:
        return self.activations_cache_pj + self.activations_dram_pj

    @property
    def total_pj(self) -> float:
        return self.compute_pj + self.weights_pj + self.activations_pj


def activation_traffic(layers: list[dict], variant: str) -> tuple[int, int]:
    """Bytes of feature maps read and written per image: (in the cache, in DRAM)."""
    size = ACTIVATION_BYTES[variant]
    cache = dram = 0
    for layer in layers:
        for part in layer["parts"]:
            if part["kind"] in FUSED_KINDS:
                continue
            moved = (part["reads"] + part["writes"]) * size
            if moved <= CACHE_BYTES:
                cache += moved
            else:
                dram += moved
    return cache, dram


def estimate_moved(macs: int, weight_bytes: int, layers: list[dict], variant: str) -> Moved:
    """Energy of one inference counting feature maps too (see the cache model above)."""
    first = estimate(macs, weight_bytes, variant)
    cache, dram = activation_traffic(layers, variant)
    return Moved(compute_pj=first.compute_pj, weights_pj=first.memory_pj,
                 activations_cache_pj=cache * CACHE_READ_32BIT_PJ / 4,
                 activations_dram_pj=dram * PJ["dram_read_32bit"] / 4)


def estimate(macs: int, weight_bytes: int, variant: str) -> Estimate:
    """Energy of one inference: MACs times (mult + add), plus weight bytes read from DRAM."""
    kind = ARITHMETIC[variant]
    per_mac = PJ[f"{kind}_mult"] + PJ[f"{kind}_add"]
    per_byte = PJ["dram_read_32bit"] / 4
    return Estimate(compute_pj=macs * per_mac, memory_pj=weight_bytes * per_byte)
