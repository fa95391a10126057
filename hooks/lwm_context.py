"""What every marker receives and reads: the build context and the manifest entry's figures.

A marker function takes ``(ctx, arg)``: ``ctx`` holds the manifest and where the page sits
(for relative links); the helpers below read a model entry the same way on every page.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any, Callable

from mkdocs.exceptions import PluginError


class Context:
    """The manifest and the page being built (its URL gives the relative path to the root)."""

    def __init__(self, manifest: dict, page_url: str, docs_dir: str = "docs"):
        self.manifest = manifest
        self.docs_dir = Path(docs_dir)
        self.models: dict = manifest["models"]
        # "architectures/mobilenet_v2/" -> "../../": links work under any sub-path
        self.root = "../" * page_url.count("/")
        self._loaded: dict = {}

    def once(self, key: str, load: Callable[[], Any]) -> Any:
        """``load()`` the first time a marker of this page asks for ``key``, the same result
        after: the Benchmarks page's 21 markers read and check benchmarks/results.json once.
        A new page (and each rebuild of ``mkdocs serve``) loads it again, so an edited file
        is seen."""
        if key not in self._loaded:
            self._loaded[key] = load()
        return self._loaded[key]

    def model(self, key: str | None) -> dict:
        if not key:
            raise PluginError("this marker needs a model name, e.g. <!-- model-card: mobilenet_v2 -->")
        key = key.strip()
        if key not in self.models:
            valid = ", ".join(self.models)
            raise PluginError(f"unknown model {key!r} in a marker; models in the manifest: {valid}")
        return self.models[key]

    def display_name(self, key: str) -> str:
        """The name as the papers write it (the registry's ``title``)."""
        return self.models[key]["display_name"]

    def model_link(self, key: str) -> str:
        """The model's name, linked to its card on the page that teaches it."""
        page = measured(self.models[key], "docs_page")
        return f'<a href="{self.root}{page}#{key}">{escape(self.display_name(key))}</a>'


# an untrained network's top-1 class is arbitrary: agreement is shown for trained models only
NOT_MEASURED_UNTRAINED = '<span title="untrained weights: agreement is measured for trained models only">—</span>'


def measured(e: dict, field: str):
    """A figure the exporter records in each model entry; an older manifest fails the build."""
    if e.get(field) is None:
        raise PluginError(f"{e['name']} has no {field!r} in the manifest: it predates the field, re-run the export")
    return e[field]


def variant_latency(entry: dict, variant: str, threads: str) -> float | None:
    v = entry["variants"].get(variant)
    lat = v and v["latency_ms"].get(threads)
    return lat["median_ms"] if lat else None


def largest(e: dict) -> dict:
    """The largest tensor one layer of this model writes: {"module", "shape", "bytes"}, as
    the exporter measured it on our PyTorch model."""
    return measured(e, "largest_activation")


def default_runtime(ctx: Context) -> str:
    """The classifier's runtime for a reader who chooses none (site_app/runtimes.js reads it
    from the page): "litert", LiteRT.js, where the default model, the first that classifies,
    has an int8 .tflite file (`make tflite`), since with the int8 files it answers several times
    sooner than onnxruntime-web (the Benchmarks page measures both); else "ort"."""
    first = next((e for e in ctx.models.values() if e.get("pretrained")), None)
    return "litert" if first and first["variants"].get("int8", {}).get("tflite") else "ort"


def ordered(ctx: Context) -> list[str]:
    """Models by MACs, cheapest first: the order every table and chart uses."""
    return sorted(ctx.models, key=lambda k: ctx.models[k]["macs"])


def linked_names(ctx: Context, keys: list[str]) -> str:
    """'A', 'A and B', 'A, B and C', with links."""
    links = [ctx.model_link(k) for k in keys]
    return links[0] if len(links) == 1 else ", ".join(links[:-1]) + " and " + links[-1]


def shape_text(shape: list[int]) -> str:
    """[16, 112, 112] -> '16 × 112 × 112'."""
    return " × ".join(str(d) for d in shape)
