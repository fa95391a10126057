"""export/measure.py on small ONNX graphs whose answers can be worked out by hand.

Run: .venv/bin/python -m pytest tests/test_measure.py
"""

from __future__ import annotations

import onnx
import pytest
from onnx import TensorProto, helper

from export.measure import UnknownShapeError, graph_stats


def _model(nodes, output_shape, domains=()) -> onnx.ModelProto:
    graph = helper.make_graph(
        nodes, "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 3, 4, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, output_shape)])
    opsets = [helper.make_opsetid("", 17), *(helper.make_opsetid(d, 1) for d in domains)]
    return helper.make_model(graph, opset_imports=opsets)


def test_peak_activation_memory_counts_every_live_tensor():
    # x (3x4x4) -> Neg -> t (3x4x4) -> Add(t, x) -> y: x, t and y are alive at the Add
    m = _model([helper.make_node("Neg", ["x"], ["t"]), helper.make_node("Add", ["t", "x"], ["y"])],
               ["batch", 3, 4, 4])
    assert graph_stats(m)["peak_activation_bytes"] == 3 * (3 * 4 * 4 * 4)


def test_a_tensor_of_unknown_shape_is_an_error_not_zero_bytes():
    # an operator onnx cannot infer shapes for: its output would have counted as 0 bytes
    m = _model([helper.make_node("Mystery", ["x"], ["t"], domain="com.example"),
                helper.make_node("Add", ["t", "x"], ["y"])], ["batch", 3, 4, 4], domains=["com.example"])
    with pytest.raises(UnknownShapeError, match=r"1 tensor\(s\) of unknown shape.*t \(Mystery\)"):
        graph_stats(m)


def test_layer_rows_fold_batch_norm_and_count_macs_by_hand():
    import torch.nn as nn

    from export.measure import count_macs, count_params, layer_rows

    model = nn.Sequential(nn.Conv2d(3, 4, 3, stride=2, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                          nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 10))
    rows = layer_rows(model, 8)
    assert [(r["path"], r["block"], r["convs"], r["shape"]) for r in rows] == [
        ("0", "Conv2d", "3×3 /2", [4, 4, 4]),
        ("3", "AdaptiveAvgPool2d", "global avg pool", [4, 1, 1]),
        ("5", "Linear", "fc 4→10", [10]),
    ]
    # conv 3*4*9 weights + 4 biases, with the batch-norm's 8 folded in; fc 40 + 10
    assert [r["params"] for r in rows] == [112 + 8, 0, 50]
    # conv: 4*4*4 outputs, 3*3*3 MACs each; fc: 10 outputs, 4 each
    assert [r["macs"] for r in rows] == [64 * 27, 0, 40]
    assert sum(r["params"] for r in rows) == count_params(model)
    assert sum(r["macs"] for r in rows) == count_macs(model, 8)
