"""Lightweight Models: our own PyTorch architectures, honest weights, compact ONNX export.

The exporter's entry point is ``python -m export`` (console script ``lightweight-export``).
"""

__version__ = "0.1.0"
