"""MobileNetV1.

Howard et al., "MobileNets: Efficient Convolutional Neural Networks for Mobile Vision
Applications", 2017, https://arxiv.org/abs/1704.04861. A standard convolution is factored
into a 3x3 depthwise conv (one filter per channel) and a 1x1 pointwise conv that mixes
channels: about 1/N + 1/9 of the cost for N output channels. There are no official PyTorch
weights, so the state-dict keys are our own (see ``MOBILENET_V1_WEIGHTS``).
"""

from __future__ import annotations

import torch
import torch.nn as nn

from ..registry import register_model
from ..weights import Citation, Preprocess, Published, WeightsMeta
from lwm.scaling import V1_BLOCKS, V1_STEM_CH, v1_width
from ._layers import init_weights

__all__ = ["DepthwiseSeparable", "MobileNetV1", "mobilenet_v1"]


def _conv_bn_relu(in_ch: int, out_ch: int, kernel_size: int, stride: int = 1, groups: int = 1) -> nn.Sequential:
    # every conv is followed by BN and ReLU (paper Sec. 3.2); BN makes a conv bias redundant
    return nn.Sequential(
        nn.Conv2d(in_ch, out_ch, kernel_size, stride, (kernel_size - 1) // 2, groups=groups, bias=False),
        nn.BatchNorm2d(out_ch),
        nn.ReLU(inplace=True),
    )


class DepthwiseSeparable(nn.Module):
    """Depthwise separable convolution (paper Fig. 3, right): 3x3 depthwise, then 1x1 pointwise."""

    def __init__(self, in_ch: int, out_ch: int, stride: int) -> None:
        super().__init__()
        self.dw = _conv_bn_relu(in_ch, in_ch, 3, stride, groups=in_ch)  # filters each channel alone
        self.pw = _conv_bn_relu(in_ch, out_ch, 1)  # combines the channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pw(self.dw(x))


# The body layout (paper Table 1) is data in lwm/scaling.py, shared with the docs pages'
# scaling controls (run by Pyodide): one table, read by this builder and by that arithmetic.


class MobileNetV1(nn.Module):
    def __init__(self, num_classes: int = 1000, width_mult: float = 1.0, dropout: float = 0.001) -> None:
        # width_mult is the paper's alpha (Sec. 3.3): every layer's width times alpha.
        # dropout 0.001 is the authors' TF default (keep_prob 0.999); the paper uses little regularisation.
        super().__init__()
        in_ch = v1_width(V1_STEM_CH, width_mult)
        layers: list[nn.Module] = [_conv_bn_relu(3, in_ch, 3, stride=2)]
        for out, s in V1_BLOCKS:
            layers.append(DepthwiseSeparable(in_ch, v1_width(out, width_mult), s))
            in_ch = v1_width(out, width_mult)
        # features.0 stem, features.1-13 the blocks
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)  # "Avg Pool / s1, Pool 7x7" at 224x224
        self.classifier = nn.Sequential(nn.Dropout(p=dropout), nn.Linear(in_ch, num_classes))

        init_weights(self)  # the same initialisation as torchvision's MobileNetV2/V3

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.flatten(self.avgpool(self.features(x)), 1)
        return self.classifier(x)


_PAPER = Citation(
    "Howard et al., MobileNets: Efficient Convolutional Neural Networks for Mobile Vision Applications (2017)",
    "https://arxiv.org/abs/1704.04861",
)

MOBILENET_V1_WEIGHTS = WeightsMeta(
    source="none",
    paper=_PAPER,
    license="n/a: no weights are distributed (Google's TensorFlow checkpoints are Apache-2.0)",
    license_url="https://github.com/tensorflow/models/blob/master/LICENSE",
    preprocess=Preprocess(input_size=224, resize_size=256, crop_size=224),
    published=Published(
        top1=70.6, top5=None, params=4_200_000, macs=569_000_000,
        citation=Citation("Howard et al., MobileNets, Table 8: 1.0 MobileNet-224", _PAPER.url),
        macs_citation=Citation("Howard et al., MobileNets, Table 8: 569 million mult-adds", _PAPER.url),
    ),
    notes=(
        "No official PyTorch weights exist: Google's checkpoints are TensorFlow (tensorflow/models, "
        "slim), with a different layout and preprocessing. This project exports the architecture "
        "untrained; the published accuracy is the paper's, not a measurement of this model."
    ),
)


@register_model(family="mobilenet", weights=MOBILENET_V1_WEIGHTS, title="MobileNetV1")
def mobilenet_v1(**kwargs) -> MobileNetV1:
    return MobileNetV1(**kwargs)
