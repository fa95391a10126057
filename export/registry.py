"""One registry of model builders.

The registry key is the builder's function name, and it is also the ONNX file stem, the
manifest key and the id of the model's card on its docs page, which is named after the
family's module (``ModelEntry.docs_page``): one name for one thing everywhere.

    from export.registry import build_model, list_models
    model = build_model("mobilenet_v2")
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Callable

import torch.nn as nn

from .weights import WeightsMeta

# Modules that register builders when imported; one file per architecture family.
_FAMILY_MODULES = (
    "mobilenet_v1",
    "mobilenet_v2",
    "mobilenet_v3",
    "squeezenet",
    "efficientnet",
    "resnet",
)


@dataclass(frozen=True)
class ModelEntry:
    name: str
    title: str  # as the papers write it, e.g. "MobileNetV3-Small"
    family: str  # e.g. "mobilenet", "squeezenet"; groups pages and charts
    builder: Callable[..., nn.Module]
    weights: WeightsMeta

    @property
    def docs_page(self) -> str:
        """The site page that teaches the model: one per family module, named after it
        (export/models/mobilenet_v3.py -> docs/architectures/mobilenet_v3.md)."""
        return f"architectures/{self.builder.__module__.rsplit('.', 1)[-1]}/"


_REGISTRY: dict[str, ModelEntry] = {}


def register_model(*, family: str, weights: WeightsMeta, title: str):
    """Decorator: register a builder under its function name. Duplicates are refused."""

    def wrap(fn: Callable[..., nn.Module]) -> Callable[..., nn.Module]:
        name = fn.__name__
        if name in _REGISTRY:
            raise ValueError(f"model {name!r} is already registered")
        _REGISTRY[name] = ModelEntry(name=name, title=title, family=family, builder=fn, weights=weights)
        return fn

    return wrap


def _load_families() -> None:
    for mod in _FAMILY_MODULES:
        importlib.import_module(f"export.models.{mod}")


def list_models() -> list[str]:
    """Registered model names, in a stable order (registration order)."""
    _load_families()
    return list(_REGISTRY)


class UnknownModelError(KeyError):
    def __str__(self) -> str:  # KeyError quotes its message; we want plain text
        return str(self.args[0])


def get_entry(name: str) -> ModelEntry:
    _load_families()
    try:
        return _REGISTRY[name]
    except KeyError:
        valid = ", ".join(_REGISTRY)
        raise UnknownModelError(f"unknown model {name!r}; valid names: {valid}") from None


def build_model(name: str, **kwargs) -> nn.Module:
    """Build the architecture with freshly initialised weights (no loading)."""
    return get_entry(name).builder(**kwargs)
