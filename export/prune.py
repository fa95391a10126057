"""Magnitude pruning, measured: what zeroing a trained model's smallest weights does to it.

    from export.prune import prune_sweep
    rows = prune_sweep(model, 224, validation_batch, reference_logits)

The export runs this on the pretrained models in PRUNED_MODELS and records the rows in the
model's manifest entry (``pruning``, lwm/records.py's Pruning). For each sparsity in SPARSITIES:

1. **prune**: global magnitude pruning, unstructured. Every weight of every Conv2d and
   Linear layer is ranked by its absolute value across the whole network, and the smallest
   fraction is set to zero (biases and batch-norm parameters are kept). This is what
   ``torch.nn.utils.prune.global_unstructured(..., pruning_method=L1Unstructured)`` does;
   ``prune_global`` ranks the weights once for every sparsity instead of once per sparsity
   (tests/test_pruning.py checks that both zero the same weights). One shot, no fine-tuning:
   the figures show pruning alone, not what retraining would win back.
2. **export** the pruned model with ``convert.export_fp32``, like the fp32 variant, into a
   temporary folder: the pruned files are measured, not shipped.
3. **measure** the file (bytes, gzip bytes), the non-zero parameters, the MACs (counted as
   for every model: a dense runtime multiplies the zeros too) and the top-1 agreement and
   top-5 overlap of the file's logits with the dense PyTorch model's on the validation set.

gzip is taken at level 6 (gzip's default) here, not 9 as for the shipped files: on the runs
of zeros of a sparse file level 9 spends about eight times as long (Lite0 at 50%: 8 s
against 1 s) for a file a few percent smaller (2% at 50%).
"""

from __future__ import annotations

import copy
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn

from lwm.records import Pruning, PruningRow

from . import convert, measure
from .evaluation import agreement, run_onnx

# Pretrained models whose export also measures pruning (Lite0: about 18 s on one thread)
PRUNED_MODELS = ("efficientnet_lite0",)
# Fractions of the Conv2d and Linear weights set to zero: steps of 10% up to half, where a
# compact network that is not retrained loses its answers (at 50%, pruned Lite0's top-1 is
# the dense model's on none of the validation images); then 90%, what Han et al. (2015)
# removed from AlexNet with retraining. Each sparsity but 0 (the dense file, already written)
# costs about 3 s on one thread: 1 s export, 1 s for the validation images, 1 s gzip.
SPARSITIES = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.9)
GZIP_LEVEL = 6
METHOD = (
    "global magnitude pruning, unstructured: the smallest |w| of all Conv2d and Linear weights "
    "together set to zero (torch.nn.utils.prune.global_unstructured with L1Unstructured), "
    "one shot, no fine-tuning; biases and batch norm kept"
)


def prunable(model: nn.Module) -> list[nn.Module]:
    """The layers whose weights are pruned: every Conv2d and Linear, in module order."""
    return [m for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]


def count_nonzero(model: nn.Module) -> int:
    """Parameters that are not exactly zero, over every parameter of the model."""
    return sum(int(torch.count_nonzero(p)) for p in model.parameters())


class MagnitudeRanking:
    """Every prunable weight of ``model`` ranked once by |w|, smallest first.

    ``prune_global(s)`` then zeroes the first round(s * n) of them in a copy of the model, so
    the weights pruned at a lower sparsity are also pruned at every higher one.
    """

    def __init__(self, model: nn.Module):
        self.model = model
        if not prunable(model):
            raise ValueError(f"{type(model).__name__} has no Conv2d or Linear layer to prune")
        with torch.no_grad():
            flat = torch.cat([m.weight.detach().reshape(-1).abs() for m in prunable(model)])
        self.size = int(flat.numel())
        # stable: equal magnitudes (the exact zeros) are ranked the same way on every run
        self.order = torch.sort(flat, stable=True).indices

    def prune_global(self, sparsity: float) -> nn.Module:
        """A copy of the model with the smallest ``sparsity`` fraction of weights set to zero."""
        if not 0.0 <= sparsity <= 1.0:
            raise ValueError(f"sparsity must be in [0, 1], got {sparsity}")
        pruned = copy.deepcopy(self.model).to(memory_format=torch.contiguous_format).eval()
        k = round(sparsity * self.size)  # as torch.nn.utils.prune counts an amount
        keep = torch.ones(self.size, dtype=torch.bool)
        keep[self.order[:k]] = False
        offset = 0
        with torch.no_grad():
            for m in prunable(pruned):
                n = m.weight.numel()
                m.weight.mul_(keep[offset : offset + n].view(m.weight.shape))
                offset += n
        return pruned


def prune_global(model: nn.Module, sparsity: float) -> nn.Module:
    """A pruned copy of ``model`` at one sparsity (see MagnitudeRanking for several)."""
    return MagnitudeRanking(model).prune_global(sparsity)


def prune_sweep(model: nn.Module, input_size: int, batch: np.ndarray, ref_logits: np.ndarray,
                sparsities: tuple[float, ...] = SPARSITIES, threads: int = 1,
                workdir: Path | None = None, dense: tuple[Path, np.ndarray] | None = None) -> list[PruningRow]:
    """One row per sparsity: the pruned model exported to fp32 ONNX and measured.

    ``ref_logits`` are the dense model's logits on ``batch`` (the validation images); each
    row's ``validation`` compares its file's logits with them. The files go to ``workdir``
    (kept) or to a temporary folder (deleted). ``dense``, the dense model's fp32 file and its
    logits on ``batch``, stands for sparsity 0: pruning nothing exports the same file again.
    """
    ranking = MagnitudeRanking(model)
    rows = []
    with tempfile.TemporaryDirectory(prefix="lwm-prune-") as tmp:
        folder = Path(workdir) if workdir is not None else Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        for sparsity in sparsities:
            pruned = ranking.prune_global(sparsity)
            if sparsity == 0 and dense is not None:
                path, logits = dense
            else:
                path = folder / f"pruned-{round(sparsity * 100):02d}.fp32.onnx"
                convert.export_fp32(pruned, input_size, path)
                logits = run_onnx(path, batch, threads)
            zero_weights = sum(int((m.weight == 0).sum()) for m in prunable(pruned))
            stats = measure.file_stats(path, gzip_level=GZIP_LEVEL)
            rows.append(PruningRow(
                sparsity=sparsity,
                zero_weights=zero_weights,
                weight_sparsity=zero_weights / ranking.size,
                nonzero_params=count_nonzero(pruned),
                # counted on the pruned model: a dense runtime multiplies the zeros too
                macs=measure.count_macs(pruned, input_size),
                bytes=stats["bytes"],
                gzip_bytes=stats["gzip_bytes"],
                validation=agreement(ref_logits, logits),
            ))
    return rows


def pruning_block(model: nn.Module, input_size: int, batch: np.ndarray, ref_logits: np.ndarray,
                  threads: int = 1, dense: tuple[Path, np.ndarray] | None = None) -> Pruning:
    """The manifest's ``pruning`` field of a model entry (lwm/records.py's Pruning)."""
    t0 = time.perf_counter()
    rows = prune_sweep(model, input_size, batch, ref_logits, SPARSITIES, threads, dense=dense)
    return Pruning(
        method=METHOD,
        variant="fp32",
        prunable_weights=sum(m.weight.numel() for m in prunable(model)),
        params=measure.count_params(model),
        fine_tuned=False,
        gzip_level=GZIP_LEVEL,
        rows=rows,
        seconds=round(time.perf_counter() - t0, 1),
    )
