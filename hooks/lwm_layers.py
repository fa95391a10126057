"""Layer tables, read off our own PyTorch models rather than typed from the papers.

One row per block: the model is walked from the top, plain containers (``nn.Sequential``
and ``nn.ModuleList`` that hold blocks, such as ``features`` or ``layer1``) are opened, and
every other module becomes a row. Batch-norm, activations, dropout and padding do not get
rows of their own: their parameters are added to the row before them, so the rows' totals
are the whole model's. Output shapes come from forward hooks on one image at the model's
input size; MACs are counted exactly as export/measure.py counts them (Conv2d and Linear).

    rows = layer_rows("mobilenet_v2", 224)
    rows[1].block, rows[1].convs, rows[1].shape   # 'InvertedResidual', '3×3 dw → 1×1', (16, 112, 112)
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache


@dataclass
class LayerRow:
    path: str  # module path, as in the state dict: features.3, layer2.0, _blocks.4
    block: str  # class name, e.g. InvertedResidual, Fire, Bottleneck
    convs: str  # the convolutions inside, in order: "1×1 → 3×3 dw /2 → 1×1"
    shape: tuple[int, ...] = ()
    params: int = 0
    macs: int = 0


def _is_container(module) -> bool:
    import torch.nn as nn

    # exact types: Conv2dNormActivation subclasses Sequential but is one layer, not a stage
    return type(module) in (nn.Sequential, nn.ModuleList) and any(
        next(c.children(), None) is not None for c in module.children()
    )


def _is_folded(module) -> bool:
    """Layers that keep the shape and belong to the row before them."""
    import torch.nn as nn

    folded = (
        nn.BatchNorm2d, nn.ReLU, nn.ReLU6, nn.Hardswish, nn.Hardsigmoid, nn.SiLU, nn.Sigmoid,
        nn.Dropout, nn.Identity, nn.Flatten,
    )
    return isinstance(module, folded) or type(module).__name__ == "TFSamePad"


def _conv_summary(module) -> str:
    """'1×1 → 3×3 dw /2 → SE → 1×1': kernel, depthwise, stride; SE modules as one token."""
    import torch.nn as nn

    tokens: list[str] = []
    skip: set[int] = set()
    for m in module.modules():
        if id(m) in skip:
            continue
        if "SqueezeExcitation" in type(m).__name__:
            tokens.append("SE")
            skip.update(id(s) for s in m.modules())
        elif isinstance(m, nn.Conv2d):
            kh, kw = m.kernel_size
            tok = f"{kh}×{kw}"
            if m.groups > 1 and m.groups == m.in_channels:
                tok += " dw"
            if m.stride[0] > 1:
                tok += f" /{m.stride[0]}"
            tokens.append(tok)
        elif isinstance(m, nn.Linear):
            tokens.append(f"fc {m.in_features}→{m.out_features}")
        elif isinstance(m, (nn.MaxPool2d, nn.AvgPool2d)):
            tokens.append("max pool" if isinstance(m, nn.MaxPool2d) else "avg pool")
        elif isinstance(m, nn.AdaptiveAvgPool2d):
            tokens.append("global avg pool")
    return " → ".join(tokens)


_SHORT = {"Conv2d": "Conv", "BatchNorm2d": "BN", "Linear": "FC", "AdaptiveAvgPool2d": "Pool"}


def _block_name(module) -> str:
    """The class name, or for a plain Sequential its layers: 'Conv-BN-ReLU6', 'FC-Hardswish-FC'."""
    import torch.nn as nn

    if type(module) is not nn.Sequential:
        return type(module).__name__
    names = [type(m).__name__ for m in module.children() if not isinstance(m, (nn.Dropout, nn.Identity, nn.Flatten))]
    return "-".join(_SHORT.get(n, n) for n in names)


@lru_cache(maxsize=None)
def layer_rows(name: str, input_size: int) -> tuple[LayerRow, ...]:
    import torch
    import torch.nn as nn

    from export.registry import build_model

    # on the meta device nothing is computed or initialised: shapes, parameter counts and
    # MACs are all the table needs, and the build stays fast
    with torch.device("meta"):
        model = build_model(name).eval()

    # choose the rows: open containers, fold shape-keeping layers into the previous row
    chosen: list[tuple[LayerRow, nn.Module]] = []
    carried_params = 0  # folded parameters met before the first row

    def visit(module: nn.Module, path: str) -> None:
        nonlocal carried_params
        for child_name, child in module.named_children():
            child_path = f"{path}.{child_name}" if path else child_name
            if _is_container(child):
                visit(child, child_path)
            elif _is_folded(child):
                n = sum(p.numel() for p in child.parameters())
                if chosen:
                    chosen[-1][0].params += n
                else:
                    carried_params += n
            else:
                row = LayerRow(child_path, _block_name(child), _conv_summary(child))
                row.params = sum(p.numel() for p in child.parameters()) + carried_params
                carried_params = 0
                chosen.append((row, child))

    visit(model, "")

    # MACs of every Conv2d/Linear go to the row that contains it (export/measure.py's formula)
    owner: dict[int, LayerRow] = {}
    for row, module in chosen:
        for m in module.modules():
            owner[id(m)] = row

    def conv_hook(m, _inp, out):
        kh, kw = m.kernel_size
        owner[id(m)].macs += out.numel() * (m.in_channels // m.groups) * kh * kw

    def linear_hook(m, _inp, out):
        owner[id(m)].macs += out.numel() * m.in_features

    def shape_hook(row):
        def hook(_m, _inp, out):
            row.shape = tuple(out.shape[1:])  # drop the batch dimension

        return hook

    handles = []
    for row, module in chosen:
        handles.append(module.register_forward_hook(shape_hook(row)))
        for m in module.modules():
            if isinstance(m, nn.Conv2d):
                handles.append(m.register_forward_hook(conv_hook))
            elif isinstance(m, nn.Linear):
                handles.append(m.register_forward_hook(linear_hook))
    try:
        with torch.no_grad():
            model(torch.zeros(1, 3, input_size, input_size, device="meta"))
    finally:
        for h in handles:
            h.remove()
    return tuple(row for row, _ in chosen)
