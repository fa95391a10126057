"""What an export is asked to do (``ExportOptions``) and the weights it starts from (``Weights``).

    from export.options import ExportOptions, resolve_weights
    weights = resolve_weights("efficientnet_lite0", ExportOptions(out_dir=Path("build/models")))

The pipeline (export/pipeline.py), the cache key (export/cachekey.py) and the .tflite
conversion (export/tflite.py) all read these; they live apart from each so none of them has
to import another for them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from lwm.constants import VARIANTS

from .registry import get_entry
from .weights import WeightsNotFoundError, find_weights, verify_checksum


@dataclass
class ExportOptions:
    out_dir: Path
    variants: tuple[str, ...] = VARIANTS
    weights_dir: Path | None = Path("weights")
    allow_download: bool = True
    allow_untrained: bool = False
    calibration: str = "minmax"
    latency_threads: tuple[int, ...] = (1, 2)
    jobs: int = 0  # worker processes; 0: one per core
    reuse: bool = True  # keep a model whose export_key and files are unchanged
    log: Callable[[str], None] = field(default=print)


@dataclass(frozen=True)
class Weights:
    """Where a model's weights come from, resolved before any work starts."""

    pretrained: bool
    origin: str | None = None
    path: str | None = None
    sha256: str | None = None
    missing_reason: str | None = None

    def to_json(self) -> dict:
        return {"loaded_from": self.origin, "file_sha256": self.sha256, "missing_reason": self.missing_reason}


def resolve_weights(name: str, opts: ExportOptions) -> Weights:
    """Find and verify the weight file (or decide on an untrained export) before any work."""
    meta = get_entry(name).weights
    try:
        path, origin = find_weights(name, meta, opts.weights_dir, opts.allow_download)
    except WeightsNotFoundError as exc:
        if not opts.allow_untrained:
            raise
        return Weights(pretrained=False, missing_reason=str(exc))
    return Weights(pretrained=True, origin=origin, path=str(path), sha256=verify_checksum(path, meta))
