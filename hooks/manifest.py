"""MkDocs hook: the exporter's output is the only source of numbers on the site.

The manifest folder (``LWM_MODELS_DIR``, default ``build/models``) is copied into the built
site as ``models/``. A missing manifest fails the build with a message saying how to make it.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from mkdocs.exceptions import PluginError

from lwm.constants import models_dir

MODELS_DIR = models_dir()  # relative to the repository root, where mkdocs runs


def load_manifest() -> dict:
    path = MODELS_DIR / "models.json"
    if not path.is_file():
        raise PluginError(f"{path} not found: run the exporter first (make models)")
    return json.loads(path.read_text())


def on_config(config, **kwargs):
    load_manifest()  # fail early, before any page is built
    return config


def _link_or_copy(src: str, dst: str) -> None:
    # the models are hundreds of MB: a hard link costs nothing when both trees share a disk
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def on_post_build(config, **kwargs):
    dest = Path(config["site_dir"]) / "models"
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(
        MODELS_DIR, dest, ignore=shutil.ignore_patterns("*.tmp", ".*"), copy_function=_link_or_copy
    )
