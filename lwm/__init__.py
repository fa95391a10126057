"""What the site, the in-page Python and the exporter share, without torch or onnx.

- ``lwm.constants``: the variants, the export's output folder;
- ``lwm.catalog``: the lightweight rule and the lesson's ``models`` dictionary;
- ``lwm.scaling``: the MobileNet and EfficientNet layer tables and their arithmetic;
- ``lwm.bench_results``: the shape of the benchmark's results file.

The MkDocs hooks (hooks/) and the benchmark import these without the exporter's
dependencies, and the site copies catalog.py and scaling.py into the page, where Pyodide
imports them as top-level modules: so they import nothing from this package, only the
standard library. tests/test_imports.py checks that importing them loads neither torch nor
onnx. The exporter (export/) imports them; they never import it.
"""
