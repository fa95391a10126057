"""What the architecture pages teach, checked against our own model code.

    .venv/bin/python -m pytest tests/test_teaching_architectures.py -q

Each test reads a claim from a page in docs/architectures/ (a count, a ratio, a layer's
position) and recomputes it from the models in export/models, so a page and the code cannot
drift apart. Counting runs on the meta device: shapes only, no arithmetic, no weights.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch
import torch.nn as nn

from export.models import efficientnet as E
from export.models import mobilenet_v3 as V3
from export.models import resnet as R
from export.models import squeezenet as S
from export.models._layers import make_divisible
from export.registry import build_model, get_entry, list_models
from export.weights import HALF_MEAN, HALF_STD

DOCS = Path(__file__).resolve().parents[1] / "docs" / "architectures"
WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8}
ORDINAL = re.compile(r"(\d+)(?:st|nd|rd|th)")


def page(name: str) -> str:
    """A page's Markdown with its line breaks folded into single spaces."""
    return " ".join((DOCS / f"{name}.md").read_text().split())


def claim(text: str, pattern: str) -> re.Match:
    match = re.search(pattern, text)
    assert match, f"the page no longer says {pattern!r}; update the page and this test together"
    return match


def number(word: str) -> int:
    return WORDS[word.lower()] if word.lower() in WORDS else int(word)


def on_meta(model_or_name, size: int = 224):
    """(model, params, MACs, {module: output shape}) for one image, computed on the meta device.

    MACs are counted as export/measure.py counts them: Conv2d and Linear only.
    """
    with torch.device("meta"):
        model = build_model(model_or_name) if isinstance(model_or_name, str) else model_or_name()
    model.eval()
    macs, shapes = 0, {}

    def hook(m, _inp, out):
        nonlocal macs
        shapes[m] = tuple(out.shape)
        if isinstance(m, nn.Conv2d):
            kh, kw = m.kernel_size
            macs += out.numel() * (m.in_channels // m.groups) * kh * kw
        elif isinstance(m, nn.Linear):
            macs += out.numel() * m.in_features

    handles = [m.register_forward_hook(hook) for m in model.modules()]
    try:
        with torch.no_grad():
            model(torch.zeros(1, 3, size, size, device="meta"))
    finally:
        for h in handles:
            h.remove()
    params = sum(p.numel() for p in model.parameters())
    return model, params, macs, shapes


def input_size(name: str) -> int:
    return get_entry(name).weights.preprocess.input_size


@pytest.fixture(scope="module")
def counts() -> dict[str, tuple[int, int]]:
    """{model: (params, MACs)} for every registered model, counted from the code."""
    return {name: on_meta(name, input_size(name))[1:3] for name in list_models()}


# ---------------------------------------------------------------------------
# Published figures in the metadata
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["squeezenet1_0", "squeezenet1_1"])
def test_squeezenet_published_macs_are_recorded_with_their_source(name, counts):
    pub = get_entry(name).weights.published
    assert pub.macs is not None, "torchvision publishes SqueezeNet's GFLOPS: record them"
    assert pub.macs_citation is not None
    assert pub.macs_citation.url.startswith("https://pytorch.org/vision/")
    assert name in pub.macs_citation.url and "GFLOPS" in pub.macs_citation.text
    # the page says the figures agree with ours (torchvision counts one FLOP per MAC)
    measured = counts[name][1]
    assert abs(pub.macs - measured) / measured < 0.01


def test_every_published_mac_count_has_a_citation():
    """The card prints '<figure> (<citation>)': a figure without a source would print '()'."""
    for name in list_models():
        pub = get_entry(name).weights.published
        assert pub.macs is not None, f"{name}: no published MACs"
        assert pub.macs_citation and pub.macs_citation.url.startswith("https://"), name


def test_every_published_mac_count_far_from_ours_explains_the_gap(counts):
    """The card shows both figures side by side; beyond 3% apart, it must say why, and a
    figure within 3% must not carry an explanation of a gap that is not there."""
    for name in list_models():
        pub = get_entry(name).weights.published
        measured = counts[name][1]
        far = abs(pub.macs - measured) / measured > 0.03
        assert far == bool(pub.macs_gap), (name, pub.macs, measured, pub.macs_gap)


# ---------------------------------------------------------------------------
# MobileNetV1: where the map is halved
# ---------------------------------------------------------------------------


def test_mobilenet_v1_halvings_match_the_page():
    text = page("mobilenet_v1")
    m = claim(text, r"The map is halved (\w+) times, from (\d+) to (\d+): once by the stem, a standard "
                    r"convolution with stride 2, and then by (\w+) of the depthwise convolutions")
    halvings, start, end, depthwise = number(m[1]), int(m[2]), int(m[3]), number(m[4])

    model, _, _, shapes = on_meta("mobilenet_v1", start)
    convs = [c for c in model.modules() if isinstance(c, nn.Conv2d) and c.stride == (2, 2)]
    dw = [c for c in convs if c.groups == c.in_channels > 1]
    standard = [c for c in convs if c.groups == 1]
    assert len(dw) == depthwise
    assert standard == [model.features[0][0]], "the only standard stride-2 conv is the stem"
    assert len(convs) == halvings == 1 + depthwise
    assert shapes[model.features][-1] == end == start // 2**halvings
    # the page's note: Table 1's last "Conv dw / s2" is a misprint, our last depthwise has stride 1
    claim(text, r'Table 1 also marks the last depthwise convolution "s2"')
    assert model.features[-1].dw[0].stride == (1, 1)


# ---------------------------------------------------------------------------
# Squeeze-and-excitation: EfficientNet-B0 against MobileNetV3
# ---------------------------------------------------------------------------


def test_b0_se_squeezes_a_quarter_of_the_block_input_in_every_block():
    text = page("efficientnet")
    claim(text, r"a different squeeze-and-excitation, in every block\*\*: it squeezes to a quarter of "
                r"the block's \*input\* channels, not of its expanded ones")
    ratio = number(claim(text, r"so an MBConv6's SE is (\w+) times narrower than V3's")[1])

    model, *_ = on_meta("efficientnet_b0")
    blocks = [b for b in model.modules() if isinstance(b, E.MBConv)]
    assert len(blocks) == 16  # Table 1 of Tan and Le: 1 + 2 + 2 + 3 + 3 + 4 + 1
    for block in blocks:
        block_in = block.block[0][0].in_channels
        expanded = block.block[0][0].out_channels if len(block.block) == 4 else block_in
        se = [m for m in block.modules() if isinstance(m, E.SqueezeExcitation)]
        assert len(se) == 1, "SE in every block"
        assert se[0].fc1.out_channels == block_in // 4
        assert isinstance(se[0].activation, nn.SiLU) and isinstance(se[0].scale_activation, nn.Sigmoid)
        if expanded == 6 * block_in:  # MBConv6: V3's rule would give expanded / 4
            assert (expanded // 4) // se[0].fc1.out_channels == ratio


def test_v3_se_squeezes_a_quarter_of_the_expanded_channels_in_some_blocks():
    text = page("mobilenet_v3")
    claim(text, r"V3 fixes the squeeze width at a quarter of the block's expanded channels")
    claim(text, r"uses SE in only some blocks")
    for name in ("mobilenet_v3_large", "mobilenet_v3_small"):
        model, *_ = on_meta(name)
        blocks = [b for b in model.modules() if isinstance(b, V3.InvertedResidual)]
        with_se = 0
        for block in blocks:
            se = [m for m in block.modules() if isinstance(m, V3.SqueezeExcitation)]
            if se:
                with_se += 1
                assert se[0].fc1.out_channels == make_divisible(se[0].fc1.in_channels // 4)
                assert isinstance(se[0].activation, nn.ReLU)
                assert isinstance(se[0].scale_activation, nn.Hardsigmoid)
        assert 0 < with_se < len(blocks), name


# ---------------------------------------------------------------------------
# MobileNetV3: where h-swish is used
# ---------------------------------------------------------------------------


def test_v3_h_swish_placement_matches_the_page():
    text = page("mobilenet_v3")
    m = claim(text, r"from the (\w+) of Large's (\d+) blocks and from the (\w+) of Small's (\d+)")
    expected = {
        "mobilenet_v3_large": (int(ORDINAL.match(m[1])[1]), int(m[2])),
        "mobilenet_v3_small": (int(ORDINAL.match(m[3])[1]), int(m[4])),
    }
    claim(text, r"The stem is the exception. Its 3×3 convolution also uses h-swish")
    for name, (first_hs, n_blocks) in expected.items():
        model, *_ = on_meta(name)
        assert isinstance(model.features[0][2], nn.Hardswish), f"{name}: stem activation"
        blocks = [b for b in model.modules() if isinstance(b, V3.InvertedResidual)]
        uses_hs = [any(isinstance(m, nn.Hardswish) for m in b.modules()) for b in blocks]
        assert len(blocks) == n_blocks
        assert uses_hs.index(True) + 1 == first_hs
        assert all(uses_hs[first_hs - 1:]), "h-swish in every block from there on"
        assert isinstance(model.classifier[1], nn.Hardswish), "the last stage uses h-swish too"


def test_v3_small_has_the_fewest_macs_and_squeezenet_1_1_fewer_parameters(counts):
    text = page("mobilenet_v3")
    claim(text, r"Small needs fewer MACs than any other model on this site")
    claim(text, r"It is not the one with the fewest parameters: \[SqueezeNet 1\.1\]")
    assert min(counts, key=lambda k: counts[k][1]) == "mobilenet_v3_small"
    assert min(counts, key=lambda k: counts[k][0]) == "squeezenet1_1"


# ---------------------------------------------------------------------------
# SqueezeNet: squeeze ratio, the fire2 arithmetic, AlexNet
# ---------------------------------------------------------------------------


def test_squeeze_ratio_and_fire2_arithmetic_match_the_model():
    text = page("squeezenet")
    sr = float(claim(text, r"set to \\\(SR = ([\d.]+)\\\) with \\\(e_\{1\\times1\} = e_\{3\\times3\}\\\)")[1])
    m = claim(text, r"= (\d+)\\,(\d{3})\\\) weights instead of")
    fire2_weights = int(m[1] + m[2])
    for name in ("squeezenet1_0", "squeezenet1_1"):
        model, *_ = on_meta(name)
        for fire in (m for m in model.modules() if isinstance(m, S.Fire)):
            e1, e3 = fire.expand1x1.out_channels, fire.expand3x3.out_channels
            assert e1 == e3
            assert fire.squeeze.out_channels / (e1 + e3) == sr
    model, *_ = on_meta("squeezenet1_0")
    fire2 = next(m for m in model.modules() if isinstance(m, S.Fire))
    assert fire2.squeeze.in_channels == 96  # the page's C = 96
    weights = sum(c.weight.numel() for c in (fire2.squeeze, fire2.expand1x1, fire2.expand3x3))
    assert weights == fire2_weights


def test_squeezenet_has_about_fifty_times_fewer_parameters_than_alexnet(counts):
    text = page("squeezenet")
    alexnet = float(claim(text, r"\| Parameters \| ([\d.]+) M \(\[torchvision\]\[tv-alexnet\]\)")[1]) * 1e6
    # "50x fewer parameters", the paper's title: our SqueezeNet 1.0 against AlexNet's count
    assert round(alexnet / counts["squeezenet1_0"][0], -1) == 50


def test_squeezenet_1_0_has_fewer_parameters_but_more_macs_than_mobilenet_v2(counts):
    claim(page("squeezenet"), r"SqueezeNet 1\.0 has fewer parameters and yet needs more MACs")
    (sq_params, sq_macs), (v2_params, v2_macs) = counts["squeezenet1_0"], counts["mobilenet_v2"]
    assert sq_params < v2_params and sq_macs > v2_macs


# ---------------------------------------------------------------------------
# Published against measured MACs: ResNet-50 v1.5, EfficientNet-Lite
# ---------------------------------------------------------------------------


class _BottleneckV1(R.Bottleneck):
    """The paper's bottleneck: the stride on the first 1x1 conv instead of the 3x3."""

    def __init__(self, in_ch, width, stride=1, downsample=None):
        super().__init__(in_ch, width, 1, downsample)
        self.conv1 = R._conv1x1(in_ch, width, stride)


def test_resnet50_gap_to_the_paper_is_the_v1_5_stride(counts):
    text = page("resnet")
    per_block = float(claim(text, r"28 \\cdot 256 \\cdot 128\\\), ([\d.]+) M more")[1]) * 1e6
    total = float(claim(text, r"the other two blocks add the same: (\d+) M in all")[1]) * 1e6
    claim(text, r"what remains is within 2% of the paper's 3\.8 G")

    v15 = counts["resnet50"][1]
    _, _, v1, _ = on_meta(lambda: R.ResNet(_BottleneckV1, R._RESNET50))
    assert round((v15 - v1) / 3 / 1e5) == round(per_block / 1e5)
    assert round((v15 - v1) / 1e6) == round(total / 1e6)
    published = get_entry("resnet50").weights.published.macs
    assert abs(v1 - published) / published < 0.02
    assert abs(v15 - published) / published > 0.05, "v1.5 alone would not match the paper"


def test_lite_is_the_readme_network_and_our_mac_count_is_lower(counts):
    claim(page("efficientnet"), r"Counting the multiply-accumulates of every convolution and fully "
                                r"connected layer of our definition gives less")
    for name in ("efficientnet_lite0", "efficientnet_lite1", "efficientnet_lite2"):
        pub = get_entry(name).weights.published
        params, macs = counts[name]
        assert round(params / 1e5) == round(pub.params / 1e5), f"{name}: parameters as in the README"
        assert macs < pub.macs, name


def test_b0_paper_macs_agree_with_our_count(counts):
    claim(page("efficientnet"), r"For B0, the paper's 0\.39 B and our count agree")
    pub = get_entry("efficientnet_b0").weights.published.macs
    assert abs(counts["efficientnet_b0"][1] - pub) / pub < 0.02


def test_lite_preprocessing_is_the_one_the_page_describes():
    text = page("efficientnet")
    claim(text, r"it resizes the \*\*whole\*\* image to the input size with bilinear interpolation, no "
                r"crop, and scales it as \\\(\(x/255 - 0\.5\)/0\.5\\\)")
    # the crop's share depends on the input size (87.5 % at 224 px only): the page names the rule
    # and the google-crop marker computes each model's share (tests/test_hooks.py checks it)
    claim(text, r"a centre square whose side is \\\(s/\(s \+ 32\)\\\) of the image's shorter side, for an "
                r"input size \\\(s\\\), so <!-- google-crop: efficientnet_lite0 efficientnet_lite1 "
                r"efficientnet_lite2 -->, resized to the input size with bicubic")
    for name in ("efficientnet_lite0", "efficientnet_lite1", "efficientnet_lite2"):
        meta = get_entry(name).weights
        pre = meta.preprocess
        assert pre.resize_mode == "plain" and pre.interpolation == "bilinear"
        assert pre.mean == HALF_MEAN and pre.std == HALF_STD
        # the published accuracy says under which preprocessing Google measured it
        size = pre.input_size
        assert f"Google's {100 * size / (size + 32):.1f}% centre crop" in meta.published.citation.text
    # B0 uses torchvision's preprocessing for its weights, as the page says
    b0 = get_entry("efficientnet_b0").weights.preprocess
    assert b0.resize_mode == "shorter_side_then_center_crop" and b0.interpolation == "bicubic"


# ---------------------------------------------------------------------------
# MobileNetV2: thin between blocks, yet not small in memory
# ---------------------------------------------------------------------------


def test_mobilenet_v2_peak_activations_exceed_resnet18s(manifest, counts):
    """The page's warning, from the manifest the card renders: more activation memory than
    ResNet-18 with less than a third of its parameters."""
    text = page("mobilenet_v2")
    claim(text, r"a peak of <!-- value: mobilenet_v2 activations --> of activations for MobileNetV2 "
                r"against <!-- value: resnet18 activations --> for \[ResNet-18\]")
    claim(text, r"a network with more than three times the parameters")
    models = manifest["models"]
    assert models["mobilenet_v2"]["activation_memory_bytes"] > models["resnet18"]["activation_memory_bytes"]
    assert counts["resnet18"][0] > 3 * counts["mobilenet_v2"][0]


# ---------------------------------------------------------------------------
# The home page's claims, against the manifest the page renders
# ---------------------------------------------------------------------------


def home() -> str:
    return " ".join((DOCS.parent / "index.md").read_text().split())


def test_se_layers_are_the_whole_difference_between_b0_and_lite0(manifest):
    claim(home(), r"they are the whole difference between EfficientNet-B0")
    b0, lite0 = manifest["models"]["efficientnet_b0"], manifest["models"]["efficientnet_lite0"]
    assert lite0["se_layers"] == 0 and b0["se_layers"] > 0
    assert b0["depth"] - b0["se_layers"] == lite0["depth"]


def test_no_single_model_is_the_smallest(manifest):
    """The page: V3-Small has the fewest MACs, SqueezeNet 1.1 fewer parameters and a smaller file."""
    claim(home(), r"There is no single smallest model: MobileNetV3-Small needs the fewest MACs")
    models = manifest["models"]
    assert min(models, key=lambda k: models[k]["macs"]) == "mobilenet_v3_small"
    assert min(models, key=lambda k: models[k]["params"]) == "squeezenet1_1"
    assert min(models, key=lambda k: models[k]["variants"]["fp32"]["bytes"]) == "squeezenet1_1"


def test_activation_memory_is_where_lightweight_models_do_not_win(manifest):
    claim(home(), r"The peak activation memory column is the one place where the lightweight models do not "
                  r"win as a group")
    models = manifest["models"]
    act = {k: e["activation_memory_bytes"] for k, e in models.items()}
    light = [k for k, e in models.items() if e["is_lightweight"]]
    # the pairs the page names: MobileNetV2 above ResNet-18, EfficientNet-B0 above ResNet-50
    assert act["mobilenet_v2"] > act["resnet18"] and act["efficientnet_b0"] > act["resnet50"]
    # and in every other column, every lightweight model needs less than ResNet-50
    base = models["resnet50"]
    for k in light:
        e = models[k]
        assert e["params"] < base["params"] and e["macs"] < base["macs"], k
        assert e["variants"]["fp32"]["bytes"] < base["variants"]["fp32"]["bytes"], k
