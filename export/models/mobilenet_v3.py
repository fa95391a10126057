"""MobileNetV3 Large and Small.

Howard et al., "Searching for MobileNetV3", ICCV 2019, https://arxiv.org/abs/1905.02244.
The MobileNetV2 block, found again by architecture search, with three additions: a
squeeze-and-excitation module in some blocks, the cheap h-swish non-linearity
x * ReLU6(x + 3) / 6 in the stem and the deeper layers, and a redesigned, cheaper last stage.
State-dict keys match torchvision's weight files.
"""

from __future__ import annotations

from functools import partial

import torch
import torch.nn as nn

from ..registry import register_model
from ..weights import Citation, Published, torchvision_citation, torchvision_weights
from ._layers import conv_bn_act, init_weights, make_divisible

__all__ = ["SqueezeExcitation", "InvertedResidual", "MobileNetV3", "mobilenet_v3_large", "mobilenet_v3_small"]

# TensorFlow's BatchNorm defaults, kept by torchvision for these weights (PyTorch: 1e-5, 0.1)
_BN = {"eps": 0.001, "momentum": 0.01}


class SqueezeExcitation(nn.Module):
    """Squeeze-and-excitation (Hu et al., 2018): reweight channels by a gate computed from
    their global average. V3 squeezes to 1/4 of the expanded channels (paper Sec. 5.3) and gates
    with a hard sigmoid."""

    def __init__(self, channels: int, squeeze_channels: int) -> None:
        super().__init__()
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        # 1x1 convs with bias rather than Linear layers: keys fc1/fc2 as in torchvision
        self.fc1 = nn.Conv2d(channels, squeeze_channels, 1)
        self.activation = nn.ReLU()
        self.fc2 = nn.Conv2d(squeeze_channels, channels, 1)
        self.scale_activation = nn.Hardsigmoid()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        scale = self.fc2(self.activation(self.fc1(self.avgpool(x))))
        return x * self.scale_activation(scale)


class InvertedResidual(nn.Module):
    """The V2 bottleneck (1x1 expand, kxk depthwise, 1x1 linear) with optional SE after the
    depthwise conv (paper Fig. 4) and a choice of ReLU or h-swish."""

    def __init__(
        self, in_ch: int, kernel: int, exp_ch: int, out_ch: int, use_se: bool, nl: str, stride: int
    ) -> None:
        super().__init__()
        self.use_res_connect = stride == 1 and in_ch == out_ch
        act = nn.Hardswish if nl == "HS" else nn.ReLU
        conv = partial(conv_bn_act, **_BN)
        layers: list[nn.Module] = []
        # no expansion conv when "exp size" equals the input width (first Large block,
        # first Small block): block indices then start at the depthwise conv
        if exp_ch != in_ch:
            layers.append(conv(in_ch, exp_ch, kernel_size=1, activation=act))  # pw
        layers.append(conv(exp_ch, exp_ch, kernel_size=kernel, stride=stride, groups=exp_ch, activation=act))  # dw
        if use_se:
            layers.append(SqueezeExcitation(exp_ch, make_divisible(exp_ch // 4)))
        layers.append(conv(exp_ch, out_ch, kernel_size=1, activation=None))  # pw-linear
        self.block = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.use_res_connect:
            return x + self.block(x)
        return self.block(x)


# Bottleneck layouts, paper Table 1 (Large) and Table 2 (Small), one row per block.
# k: depthwise kernel, exp: expansion width, out: output width, SE: squeeze-excite,
# NL: non-linearity (RE = ReLU, HS = h-swish), s: stride. The input width is the
# previous row's output (16 after the stem: conv2d 3x3, 16, HS, stride 2).
# fmt: off
_LARGE = [
    # k, exp, out,  SE,    NL,  s
    (3,  16,  16, False, "RE", 1),
    (3,  64,  24, False, "RE", 2),
    (3,  72,  24, False, "RE", 1),
    (5,  72,  40, True,  "RE", 2),
    (5, 120,  40, True,  "RE", 1),
    (5, 120,  40, True,  "RE", 1),
    (3, 240,  80, False, "HS", 2),
    (3, 200,  80, False, "HS", 1),
    (3, 184,  80, False, "HS", 1),
    (3, 184,  80, False, "HS", 1),
    (3, 480, 112, True,  "HS", 1),
    (3, 672, 112, True,  "HS", 1),
    (5, 672, 160, True,  "HS", 2),
    (5, 960, 160, True,  "HS", 1),
    (5, 960, 160, True,  "HS", 1),
]
_SMALL = [
    # k, exp, out,  SE,    NL,  s
    (3,  16,  16, True,  "RE", 2),
    (3,  72,  24, False, "RE", 2),
    (3,  88,  24, False, "RE", 1),
    (5,  96,  40, True,  "HS", 2),
    (5, 240,  40, True,  "HS", 1),
    (5, 240,  40, True,  "HS", 1),
    (5, 120,  48, True,  "HS", 1),
    (5, 144,  48, True,  "HS", 1),
    (5, 288,  96, True,  "HS", 2),
    (5, 576,  96, True,  "HS", 1),
    (5, 576,  96, True,  "HS", 1),
]
# fmt: on
_STEM_CH = 16
# width of the hidden layer after pooling ("conv2d 1x1, NBN" in the tables)
_LAST_CH = {"large": 1280, "small": 1024}


class MobileNetV3(nn.Module):
    def __init__(
        self, arch: str = "large", num_classes: int = 1000, width_mult: float = 1.0, dropout: float = 0.2
    ) -> None:
        super().__init__()
        if arch not in _LAST_CH:
            raise ValueError(f"unsupported MobileNetV3 arch {arch!r}: expected 'large' or 'small'")
        rows = _LARGE if arch == "large" else _SMALL

        def width(c: int) -> int:
            return make_divisible(c * width_mult)

        in_ch = width(_STEM_CH)
        # stem: 16 filters with h-swish (paper Sec. 5.1) where earlier models used 32
        layers: list[nn.Module] = [conv_bn_act(3, in_ch, stride=2, activation=nn.Hardswish, **_BN)]
        for k, exp, out, se, nl, s in rows:
            layers.append(InvertedResidual(in_ch, k, width(exp), width(out), se, nl, s))
            in_ch = width(out)
        # last stage (paper Sec. 5.1, Fig. 5): 1x1 conv to 6x the width (960 / 576) before pooling.
        # Table 2 marks SE on Small's 1x1 conv; torchvision (and its weights) has none.
        last_conv = 6 * in_ch
        layers.append(conv_bn_act(in_ch, last_conv, kernel_size=1, activation=nn.Hardswish, **_BN))
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        # the paper's two 1x1 "NBN" convs on a 1x1 map are Linear layers (keys classifier.0/.3)
        last_ch = width(_LAST_CH[arch])
        self.classifier = nn.Sequential(
            nn.Linear(last_conv, last_ch),
            nn.Hardswish(inplace=True),
            nn.Dropout(p=dropout, inplace=True),
            nn.Linear(last_ch, num_classes),
        )

        init_weights(self)  # torchvision's initialisation

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.flatten(self.avgpool(self.features(x)), 1)
        return self.classifier(x)


_PAPER = Citation(
    "Howard et al., Searching for MobileNetV3 (ICCV 2019)", "https://arxiv.org/abs/1905.02244"
)

MOBILENET_V3_LARGE_WEIGHTS = torchvision_weights(
    "mobilenet_v3_large-8738ca79.pth",
    paper=_PAPER,
    published=Published(
        top1=74.042, top5=91.340, params=5_483_032, macs=219_000_000,
        citation=torchvision_citation("MobileNet_V3_Large_Weights"),
        macs_citation=Citation("Howard et al., MobileNetV3, Table 3: 219M MAdds (Large 1.0)", _PAPER.url),
    ),
)

MOBILENET_V3_SMALL_WEIGHTS = torchvision_weights(
    "mobilenet_v3_small-047dcff4.pth",
    paper=_PAPER,
    published=Published(
        top1=67.668, top5=87.402, params=2_542_856, macs=56_000_000,
        citation=torchvision_citation("MobileNet_V3_Small_Weights"),
        macs_citation=Citation("Howard et al., MobileNetV3, Table 3: 56M MAdds (Small 1.0)", _PAPER.url),
    ),
)


@register_model(family="mobilenet", weights=MOBILENET_V3_LARGE_WEIGHTS, title="MobileNetV3-Large")
def mobilenet_v3_large(**kwargs) -> MobileNetV3:
    return MobileNetV3("large", **kwargs)


@register_model(family="mobilenet", weights=MOBILENET_V3_SMALL_WEIGHTS, title="MobileNetV3-Small")
def mobilenet_v3_small(**kwargs) -> MobileNetV3:
    return MobileNetV3("small", **kwargs)
