"""MobileNet state dicts keep torchvision's layout, so its weight files load with strict=True.

    pytest tests/test_mobilenet_keys.py
"""

import pytest
import torch

from export.models.mobilenet_v1 import mobilenet_v1
from export.models.mobilenet_v2 import mobilenet_v2
from export.models.mobilenet_v3 import mobilenet_v3_large, mobilenet_v3_small

# (builder, parameter count, number of state-dict entries, sample keys with shapes).
# The counts are torchvision's; v1 has no official PyTorch weights, so only its count is fixed.
CASES = [
    (mobilenet_v1, 4_231_976, 164, {"features.13.pw.0.weight": (1024, 1024, 1, 1)}),
    (mobilenet_v2, 3_504_872, 314, {
        "features.1.conv.0.0.weight": (32, 1, 3, 3),  # t=1: no expansion, dw first
        "features.1.conv.1.weight": (16, 32, 1, 1),   # pw-linear sits directly in .conv
        "features.2.conv.3.running_var": (24,),
        "features.18.0.weight": (1280, 320, 1, 1),
        "classifier.1.weight": (1000, 1280),
    }),
    (mobilenet_v3_large, 5_483_032, 312, {
        "features.1.block.1.0.weight": (16, 16, 1, 1),  # exp == in: no expansion conv
        "features.4.block.2.fc1.weight": (24, 72, 1, 1),
        "features.16.0.weight": (960, 160, 1, 1),
        "classifier.3.weight": (1000, 1280),
    }),
    (mobilenet_v3_small, 2_542_856, 244, {
        "features.1.block.1.fc2.bias": (16,),  # SE right after the depthwise conv
        "features.12.0.weight": (576, 96, 1, 1),
        "classifier.0.weight": (1024, 576),
    }),
]


@pytest.mark.parametrize("builder,params,n_keys,samples", CASES, ids=lambda c: getattr(c, "__name__", ""))
def test_layout(builder, params, n_keys, samples):
    model = builder()
    assert sum(p.numel() for p in model.parameters()) == params
    sd = model.state_dict()
    assert len(sd) == n_keys
    for key, shape in samples.items():
        assert tuple(sd[key].shape) == shape, key


def test_v3_batchnorm_matches_tensorflow_defaults():
    bns = [m for m in mobilenet_v3_small().modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert {(m.eps, m.momentum) for m in bns} == {(0.001, 0.01)}
