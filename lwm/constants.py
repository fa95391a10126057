"""Facts the exporter, the site's hooks and the benchmark share, each written once here.

This module imports nothing heavy: the MkDocs hooks import it without torch or onnx.
"""

from __future__ import annotations

import os
from pathlib import Path

# the files of a model, in the order the site shows them (fp16 and int8 are made from fp32)
VARIANTS = ("fp32", "fp16", "int8")

# the kinds of layer a model's time and arithmetic are split into (export/profile.py), in the
# order the site shows them: "pointwise_expand" is a 1×1 convolution with more channels out
# than in, "pointwise_project" one with as many or fewer; "conv" any other convolution
# (the stems, ResNet's and SqueezeNet's 3×3); "elementwise" the activations, additions,
# concatenations and paddings not fused into a convolution; "layout" the layout changes and
# casts the runtime inserts between its kernels
LAYER_KINDS = ("depthwise", "pointwise_expand", "pointwise_project", "conv", "squeeze_excite", "elementwise",
               "pool_head", "layout")

# the exporter's default output folder, relative to the repository root (`make models`)
MODELS_DIR = Path("build/models")
# a different folder for the readers of the export (the site build, the tests, the benchmark)
MODELS_DIR_ENV = "LWM_MODELS_DIR"


def models_dir(root: str | os.PathLike = ".") -> Path:
    """The folder the export is read from: $LWM_MODELS_DIR, or build/models under ``root``."""
    return Path(os.environ.get(MODELS_DIR_ENV) or Path(root) / MODELS_DIR)


# Google's evaluation crop for EfficientNet and EfficientNet-Lite (tensorflow/tpu,
# models/official/efficientnet/preprocessing.py, CROP_PADDING): the centre square of side
# size / (size + 32) of the image's shorter side, resized to size. So the share depends on
# the model's input size: 87.5 % only at 224 px. The published Lite accuracies were measured
# this way; the site's cards and the EfficientNet page compute the share from this rule.
GOOGLE_CROP_PADDING = 32
GOOGLE_PREPROCESSING_URL = (
    "https://github.com/tensorflow/tpu/blob/master/models/official/efficientnet/preprocessing.py"
)


def google_crop_fraction(size: int) -> float:
    """The share of the shorter side Google's evaluation keeps for an input of ``size`` px."""
    return size / (size + GOOGLE_CROP_PADDING)
