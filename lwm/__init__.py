"""What the site, the in-page Python and the exporter share, without torch or onnx."""
