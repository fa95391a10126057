"""Building pieces shared by several families (torchvision names the same pieces alike)."""

from __future__ import annotations

import math

import torch.nn as nn

# the channel rounding rule lives in the pure-Python scaling module, which the site runs too
from lwm.scaling import make_divisible  # noqa: F401  (re-exported for the families)


def conv_bn_act(
    in_ch: int,
    out_ch: int,
    kernel_size: int = 3,
    stride: int = 1,
    groups: int = 1,
    activation: type[nn.Module] | None = nn.ReLU6,
    **bn_kwargs,
) -> nn.Sequential:
    """conv (no bias: BN has one) -> BN -> activation, keyed 0, 1, 2 like torchvision's
    ``Conv2dNormActivation``; ``activation=None`` gives the linear conv -> BN."""
    layers: list[nn.Module] = [
        nn.Conv2d(in_ch, out_ch, kernel_size, stride, (kernel_size - 1) // 2, groups=groups, bias=False),
        nn.BatchNorm2d(out_ch, **bn_kwargs),
    ]
    if activation is not None:
        layers.append(activation(inplace=True))
    return nn.Sequential(*layers)


def init_weights(model: nn.Module, linear: str = "normal") -> None:
    """torchvision's initialisation for the MobileNets and EfficientNet.

    Convs: He normal (fan out); BN: identity; Linear: N(0, 0.01) ("normal", MobileNet) or
    U(-1/sqrt(out), 1/sqrt(out)) ("uniform", EfficientNet).
    """
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Linear):
            if linear == "normal":
                nn.init.normal_(m.weight, 0, 0.01)
            else:
                r = 1.0 / math.sqrt(m.out_features)
                nn.init.uniform_(m.weight, -r, r)
            nn.init.zeros_(m.bias)
