"""SqueezeNet 1.0 and 1.1.

Iandola et al., "SqueezeNet: AlexNet-level accuracy with 50x fewer parameters and <0.5MB
model size", 2016, https://arxiv.org/abs/1602.07360. Version 1.1 (from the authors'
repository) moves the pooling earlier and uses 3x3 stem filters: 2.4x fewer computations,
about the same accuracy. State-dict keys match torchvision's weight files.
"""

from __future__ import annotations

import torch
import torch.nn as nn

from ..registry import register_model
from ..weights import TORCHVISION_LICENSE, Citation, Published, torchvision_citation, torchvision_weights

__all__ = ["Fire", "SqueezeNet", "squeezenet1_0", "squeezenet1_1"]


class Fire(nn.Module):
    """Fire module: a 1x1 "squeeze" layer feeding parallel 1x1 and 3x3 "expand" layers."""

    def __init__(self, in_ch: int, squeeze: int, expand1x1: int, expand3x3: int) -> None:
        super().__init__()
        self.squeeze = nn.Conv2d(in_ch, squeeze, kernel_size=1)
        self.squeeze_activation = nn.ReLU(inplace=True)
        self.expand1x1 = nn.Conv2d(squeeze, expand1x1, kernel_size=1)
        self.expand1x1_activation = nn.ReLU(inplace=True)
        self.expand3x3 = nn.Conv2d(squeeze, expand3x3, kernel_size=3, padding=1)
        self.expand3x3_activation = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.squeeze_activation(self.squeeze(x))
        # the two expand branches see the same squeezed map; outputs are concatenated
        return torch.cat(
            [self.expand1x1_activation(self.expand1x1(x)), self.expand3x3_activation(self.expand3x3(x))],
            dim=1,
        )


# Fire layout per version; "M" is a 3x3 stride-2 max pool (ceil mode, as in Caffe).
# Rows are (squeeze, expand1x1, expand3x3). Paper Table 1 (v1.0); v1.1 from the authors' repo.
# fmt: off
_FIRES_1_0 = [
    "M",
    (16, 64, 64), (16, 64, 64), (32, 128, 128),
    "M",
    (32, 128, 128), (48, 192, 192), (48, 192, 192), (64, 256, 256),
    "M",
    (64, 256, 256),
]
_FIRES_1_1 = [
    "M",
    (16, 64, 64), (16, 64, 64),
    "M",
    (32, 128, 128), (32, 128, 128),
    "M",
    (48, 192, 192), (48, 192, 192), (64, 256, 256), (64, 256, 256),
]
# fmt: on


class SqueezeNet(nn.Module):
    def __init__(self, version: str = "1_0", num_classes: int = 1000, dropout: float = 0.5) -> None:
        super().__init__()
        if version == "1_0":
            stem, stem_ch, fires = nn.Conv2d(3, 96, kernel_size=7, stride=2), 96, _FIRES_1_0
        elif version == "1_1":
            stem, stem_ch, fires = nn.Conv2d(3, 64, kernel_size=3, stride=2), 64, _FIRES_1_1
        else:
            raise ValueError(f"unsupported SqueezeNet version {version!r}: expected '1_0' or '1_1'")
        layers: list[nn.Module] = [stem, nn.ReLU(inplace=True)]
        ch = stem_ch
        for row in fires:
            if row == "M":
                layers.append(nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True))
            else:
                s, e1, e3 = row
                layers.append(Fire(ch, s, e1, e3))
                ch = e1 + e3
        self.features = nn.Sequential(*layers)
        # No fully connected layer: a 1x1 conv gives per-class maps that are averaged.
        final_conv = nn.Conv2d(ch, num_classes, kernel_size=1)
        self.classifier = nn.Sequential(
            nn.Dropout(p=dropout), final_conv, nn.ReLU(inplace=True), nn.AdaptiveAvgPool2d((1, 1))
        )
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                if m is final_conv:
                    nn.init.normal_(m.weight, mean=0.0, std=0.01)
                else:
                    nn.init.kaiming_uniform_(m.weight)
                if m.bias is not None:
                    nn.init.constant_(m.bias, 0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.flatten(self.classifier(self.features(x)), 1)


_PAPER = Citation(
    "Iandola et al., SqueezeNet: AlexNet-level accuracy with 50x fewer parameters and <0.5MB model size (2016)",
    "https://arxiv.org/abs/1602.07360",
)
# each weight's own page lists its GFLOPS; torchvision counts one FLOP per multiply-accumulate
# (its ResNet-50 figure, 4.089, is exactly the MACs export/measure.py counts)
_TV_PAGE = "https://pytorch.org/vision/stable/models/generated/torchvision.models.{}.html"
_LICENSE = f"{TORCHVISION_LICENSE}; see the SqueezeNet authors' repository for the original weights"

SQUEEZENET1_0_WEIGHTS = torchvision_weights(
    "squeezenet1_0-b66bff10.pth",
    paper=_PAPER,
    license=_LICENSE,
    published=Published(
        top1=58.092, top5=80.420, params=1_248_424, macs=820_000_000,
        citation=torchvision_citation("SqueezeNet1_0_Weights"),
        macs_citation=Citation(
            "torchvision SqueezeNet1_0_Weights.IMAGENET1K_V1: 0.82 GFLOPS (one per multiply-accumulate)",
            _TV_PAGE.format("squeezenet1_0"),
        ),
    ),
)

SQUEEZENET1_1_WEIGHTS = torchvision_weights(
    "squeezenet1_1-b8a52dc0.pth",
    paper=_PAPER,
    license=_LICENSE,
    published=Published(
        top1=58.178, top5=80.624, params=1_235_496, macs=350_000_000,
        citation=torchvision_citation("SqueezeNet1_1_Weights"),
        macs_citation=Citation(
            "torchvision SqueezeNet1_1_Weights.IMAGENET1K_V1: 0.35 GFLOPS (one per multiply-accumulate)",
            _TV_PAGE.format("squeezenet1_1"),
        ),
    ),
)


@register_model(family="squeezenet", weights=SQUEEZENET1_0_WEIGHTS, title="SqueezeNet 1.0")
def squeezenet1_0(**kwargs) -> SqueezeNet:
    return SqueezeNet("1_0", **kwargs)


@register_model(family="squeezenet", weights=SQUEEZENET1_1_WEIGHTS, title="SqueezeNet 1.1")
def squeezenet1_1(**kwargs) -> SqueezeNet:
    return SqueezeNet("1_1", **kwargs)
