"""MobileNetV2.

Sandler et al., "MobileNetV2: Inverted Residuals and Linear Bottlenecks", CVPR 2018,
https://arxiv.org/abs/1801.04381. Each block expands a thin tensor with a 1x1 conv, filters
it with a 3x3 depthwise conv and projects it back with a *linear* 1x1 conv (no ReLU: a
non-linearity in a low-dimensional space destroys information); the shortcut joins the thin
ends. State-dict keys match torchvision's weight files.
"""

from __future__ import annotations

import torch
import torch.nn as nn

from ..registry import register_model
from ..weights import Citation, Published, torchvision_citation, torchvision_weights
from lwm.scaling import V2_SETTINGS, V2_STEM_CH, make_divisible, v2_last_width
from ._layers import conv_bn_act, init_weights

__all__ = ["InvertedResidual", "MobileNetV2", "mobilenet_v2"]


class InvertedResidual(nn.Module):
    """Bottleneck residual block (paper Table 1): 1x1 expand, 3x3 depthwise, 1x1 linear."""

    def __init__(self, in_ch: int, out_ch: int, stride: int, expand_ratio: int) -> None:
        super().__init__()
        hidden = int(round(in_ch * expand_ratio))
        # the shortcut only where shapes agree (paper Fig. 4: stride 1 and same width)
        self.use_res_connect = stride == 1 and in_ch == out_ch
        layers: list[nn.Module] = []
        if expand_ratio != 1:
            layers.append(conv_bn_act(in_ch, hidden, kernel_size=1))  # pw
        layers += [
            conv_bn_act(hidden, hidden, stride=stride, groups=hidden),  # dw
            # pw-linear: conv and BN sit directly in .conv (keys conv.N, conv.N+1), as torchvision
            nn.Conv2d(hidden, out_ch, 1, bias=False),
            nn.BatchNorm2d(out_ch),
        ]
        self.conv = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.use_res_connect:
            return x + self.conv(x)
        return self.conv(x)


# The bottleneck layout (paper Table 2: t, c, n, s) is data in lwm/scaling.py, shared with
# the docs pages' scaling controls (run by Pyodide): one table for the builder and that arithmetic.


class MobileNetV2(nn.Module):
    def __init__(self, num_classes: int = 1000, width_mult: float = 1.0, dropout: float = 0.2) -> None:
        super().__init__()
        in_ch = make_divisible(V2_STEM_CH * width_mult)
        last_ch = v2_last_width(width_mult)  # never thinned below 1280
        layers: list[nn.Module] = [conv_bn_act(3, in_ch, stride=2)]
        for t, c, n, s in V2_SETTINGS:
            out_ch = make_divisible(c * width_mult)
            for i in range(n):
                layers.append(InvertedResidual(in_ch, out_ch, s if i == 0 else 1, t))
                in_ch = out_ch
        layers.append(conv_bn_act(in_ch, last_ch, kernel_size=1))
        # features.0 stem, features.1-17 the bottlenecks, features.18 the 1x1 conv to 1280
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)  # no parameters: keys unaffected
        self.classifier = nn.Sequential(nn.Dropout(p=dropout), nn.Linear(last_ch, num_classes))

        init_weights(self)  # torchvision's initialisation

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.flatten(self.avgpool(self.features(x)), 1)
        return self.classifier(x)


_PAPER = Citation(
    "Sandler et al., MobileNetV2: Inverted Residuals and Linear Bottlenecks (CVPR 2018)",
    "https://arxiv.org/abs/1801.04381",
)

MOBILENET_V2_WEIGHTS = torchvision_weights(
    "mobilenet_v2-b0353104.pth",
    paper=_PAPER,
    published=Published(
        top1=71.878, top5=90.286, params=3_504_872, macs=300_000_000,
        citation=torchvision_citation("MobileNet_V2_Weights"),
        macs_citation=Citation("Sandler et al., MobileNetV2, Table 4: 300M multiply-adds", _PAPER.url),
    ),
)


@register_model(family="mobilenet", weights=MOBILENET_V2_WEIGHTS, title="MobileNetV2")
def mobilenet_v2(**kwargs) -> MobileNetV2:
    return MobileNetV2(**kwargs)
