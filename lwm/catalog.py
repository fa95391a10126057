"""The lesson's ``models`` dictionary, built from the manifest. Pure Python, no dependencies.

This module runs unchanged in CPython (the exporter imports it) and in Pyodide (the site
loads it into the page), so the ``is_lightweight`` rule and every derived field are
defined once, here.

    import json
    from lwm.catalog import build_models_dict
    models = build_models_dict(json.load(open("build/models/models.json")))
    models["mobilenet_v2"]["is_lightweight"]  # True
"""

# The rule, in one place. A model is lightweight when BOTH limits hold for one image at its
# input size. Every model in the lesson's "lightweight" list (MobileNet, SqueezeNet,
# EfficientNet-B0/Lite) meets them; ResNet-18 (11.7 M, 1.8 G) and ResNet-50 (25.6 M, 4.1 G)
# do not.
LIGHTWEIGHT_MAX_PARAMS = 10_000_000
LIGHTWEIGHT_MAX_MACS = 1_000_000_000

# the rule in words, from the limits (the manifest records it beside them)
LIGHTWEIGHT_RULE = (
    f"params <= {LIGHTWEIGHT_MAX_PARAMS:,} and MACs <= {LIGHTWEIGHT_MAX_MACS:,} per image "
    "(multiply-accumulates of conv and linear layers at the model's input size)"
)

# "Real-time" video: 30 frames per second, so one frame's whole budget is 1000 / 30 ms
# (the rate Redmon et al. call real-time, YOLO, CVPR 2016, Sec. 4.1).
REALTIME_FPS = 30
REALTIME_BUDGET_MS = 1000 / REALTIME_FPS
REALTIME_SOURCE = "Redmon et al., You Only Look Once, CVPR 2016, Sec. 4.1: real-time means at least 30 fps"
REALTIME_URL = "https://arxiv.org/abs/1506.02640"


# The lesson's two entries and the manifest models they stand for: 'ResNet' has 50 layers
# (ResNet-50), 'MobileNet' 28 (MobileNet V1, whose paper counts 28 layers). The exercise's
# grader and the exercise page's table of evidence both read them from here.
LESSON_MODELS = {"ResNet": "resnet50", "MobileNet": "mobilenet_v1"}


def limits_exceeded(params, macs):
    """Which of the rule's limits a model goes over: a subset of ["params", "macs"]."""
    # bool is an int subclass; True/False as a count is a bug upstream, not a count of one
    if not all(isinstance(n, int) and not isinstance(n, bool) for n in (params, macs)):
        raise TypeError("the lightweight rule needs integer params and macs")
    limits = (("params", params, LIGHTWEIGHT_MAX_PARAMS), ("macs", macs, LIGHTWEIGHT_MAX_MACS))
    return [name for name, n, limit in limits if n > limit]


def is_lightweight(params, macs):
    """True when a model is within both limits (LIGHTWEIGHT_MAX_PARAMS, LIGHTWEIGHT_MAX_MACS)."""
    return not limits_exceeded(params, macs)


def _accuracy(published):
    """Published top-1 as a fraction (the lesson's 'accuracy'), or None if not published."""
    top1 = published.get("top1")
    return None if top1 is None else round(top1 / 100.0, 5)


def model_record(entry):
    """One model's dictionary: the lesson's four keys first, then measured figures."""
    variants = entry["variants"]
    return {
        # the lesson's keys
        "layers": entry["depth"],
        "accuracy": _accuracy(entry["weights"]["published"]),
        "type": "CNN",
        "is_lightweight": is_lightweight(entry["params"], entry["macs"]),
        # measured by the export
        "params": entry["params"],
        "macs": entry["macs"],
        "activation_bytes": entry["activation_memory_bytes"],
        "bytes": {v: variants[v]["bytes"] for v in variants},
        "latency_ms": {v: variants[v]["latency_ms"]["1"]["median_ms"] for v in variants},
        # provenance
        "family": entry["family"],
        "pretrained": entry["pretrained"],
        "weights_source": entry["weights"]["source"],
        "accuracy_citation": entry["weights"]["published"]["citation"]["text"],
    }


def build_models_dict(manifest):
    """{model name: record} for every model in the manifest, in manifest order."""
    return {name: model_record(entry) for name, entry in manifest["models"].items()}
