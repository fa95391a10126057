"""ResNet-18 and ResNet-50.

He et al., "Deep Residual Learning for Image Recognition", CVPR 2016,
https://arxiv.org/abs/1512.03385. Each block learns a residual F(x) that is added to its
input, so a deep stack can fall back to the identity and still train. Not a lightweight
model: it is the baseline the lightweight families are measured against. The bottleneck is
torchvision's "v1.5": the stride sits on the 3x3 conv rather than on the first 1x1 as in
the paper, so no input pixels are skipped unseen. State-dict keys match torchvision's weight files.
"""

from __future__ import annotations

import torch
import torch.nn as nn

from ..registry import register_model
from ..weights import Citation, Published, torchvision_citation, torchvision_weights

__all__ = ["BasicBlock", "Bottleneck", "ResNet", "resnet18", "resnet50"]


def _conv3x3(in_ch: int, out_ch: int, stride: int = 1) -> nn.Conv2d:
    # no bias: the BatchNorm that follows has its own shift
    return nn.Conv2d(in_ch, out_ch, kernel_size=3, stride=stride, padding=1, bias=False)


def _conv1x1(in_ch: int, out_ch: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(in_ch, out_ch, kernel_size=1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    """Two 3x3 convs and a shortcut (ResNet-18/34)."""

    expansion = 1  # output channels = width * expansion

    def __init__(self, in_ch: int, width: int, stride: int = 1, downsample: nn.Module | None = None) -> None:
        super().__init__()
        self.conv1 = _conv3x3(in_ch, width, stride)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = _conv3x3(width, width)
        self.bn2 = nn.BatchNorm2d(width)
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        # the ReLU comes after the addition, as in the paper's Figure 2
        return self.relu(out + identity)


class Bottleneck(nn.Module):
    """1x1 reduce, 3x3, 1x1 expand (x4) and a shortcut (ResNet-50/101/152).

    The 1x1 convs make the 3x3 one run on a quarter of the channels, which keeps a 50-layer
    network about as costly as a 34-layer one with basic blocks.
    """

    expansion = 4

    def __init__(self, in_ch: int, width: int, stride: int = 1, downsample: nn.Module | None = None) -> None:
        super().__init__()
        self.conv1 = _conv1x1(in_ch, width)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = _conv3x3(width, width, stride)  # v1.5: the stride sits here
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = _conv1x1(width, width * self.expansion)
        self.bn3 = nn.BatchNorm2d(width * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + identity)


# Stages conv2_x .. conv5_x of paper Table 1. Rows are (c, n, s): block width, number of
# blocks, stride of the first block (conv3_1, conv4_1 and conv5_1 halve the resolution).
# fmt: off
_RESNET18 = [
    # c,  n, s
    ( 64, 2, 1),
    (128, 2, 2),
    (256, 2, 2),
    (512, 2, 2),
]
_RESNET50 = [
    # c,  n, s
    ( 64, 3, 1),
    (128, 4, 2),
    (256, 6, 2),
    (512, 3, 2),
]
# fmt: on


class ResNet(nn.Module):
    def __init__(
        self,
        block: type[BasicBlock] | type[Bottleneck],
        layout: list[tuple[int, int, int]],
        num_classes: int = 1000,
        zero_init_residual: bool = False,
    ) -> None:
        super().__init__()
        # stem: 7x7/2 conv and 3x3/2 max pool take 224 down to 56 before the first stage
        self.in_ch = 64
        self.conv1 = nn.Conv2d(3, 64, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        for i, (c, n, s) in enumerate(layout, start=1):
            setattr(self, f"layer{i}", self._make_layer(block, c, n, s))
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(self.in_ch, num_classes)

        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        if zero_init_residual:
            # each block then starts as the identity (Goyal et al. 2017)
            for m in self.modules():
                if isinstance(m, Bottleneck):
                    nn.init.zeros_(m.bn3.weight)
                elif isinstance(m, BasicBlock):
                    nn.init.zeros_(m.bn2.weight)

    def _make_layer(self, block, width: int, blocks: int, stride: int) -> nn.Sequential:
        out_ch = width * block.expansion
        downsample = None
        if stride != 1 or self.in_ch != out_ch:
            # projection shortcut (the paper's option B) wherever the shape changes
            downsample = nn.Sequential(_conv1x1(self.in_ch, out_ch, stride), nn.BatchNorm2d(out_ch))
        layers = [block(self.in_ch, width, stride, downsample)]
        self.in_ch = out_ch
        layers += [block(out_ch, width) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


_PAPER = Citation(
    "He et al., Deep Residual Learning for Image Recognition (CVPR 2016)",
    "https://arxiv.org/abs/1512.03385",
)

RESNET18_WEIGHTS = torchvision_weights(
    "resnet18-f37072fd.pth",
    paper=_PAPER,
    published=Published(
        top1=69.758, top5=89.078, params=11_689_512, macs=1_800_000_000,
        citation=torchvision_citation("ResNet18_Weights"),
        # the paper's "FLOPs" count multiply-adds
        macs_citation=Citation("He et al. 2015, Table 1: 18-layer, 1.8x10^9 FLOPs", _PAPER.url),
    ),
)

RESNET50_WEIGHTS = torchvision_weights(
    "resnet50-0676ba61.pth",
    paper=_PAPER,
    published=Published(
        top1=76.130, top5=92.862, params=25_557_032, macs=3_800_000_000,
        citation=torchvision_citation("ResNet50_Weights"),
        macs_citation=Citation("He et al. 2015, Table 1: 50-layer, 3.8x10^9 FLOPs", _PAPER.url),
        macs_gap="The paper counts its original block; these weights are torchvision's ResNet v1.5, "
        "whose downsampling blocks run their first 1x1 conv before the stride, on four times as many "
        "positions: 0.23 G MACs more.",
    ),
    notes="torchvision's IMAGENET1K_V1 weights. This is ResNet v1.5, with the stride on the "
    "bottleneck's 3x3 conv: the first 1x1 conv of the three downsampling blocks runs on four "
    "times as many positions as in the paper's v1, which adds 0.23 G MACs to the paper's 3.8 G.",
)


@register_model(family="resnet", weights=RESNET18_WEIGHTS, title="ResNet-18")
def resnet18(**kwargs) -> ResNet:
    return ResNet(BasicBlock, _RESNET18, **kwargs)


@register_model(family="resnet", weights=RESNET50_WEIGHTS, title="ResNet-50")
def resnet50(**kwargs) -> ResNet:
    return ResNet(Bottleneck, _RESNET50, **kwargs)
