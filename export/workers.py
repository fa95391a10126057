"""Worker processes for the exports that run several models at once (export/pipeline.py's
ONNX files, export/tflite.py's conversions).

    with spawn_pool(jobs=2) as pool:
        futures = [pool.submit(work, name) for name in names]
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor


@contextlib.contextmanager
def environment(**values: str):
    """Set environment variables for the duration (worker processes inherit them)."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@contextlib.contextmanager
def spawn_pool(jobs: int):
    """A pool of ``jobs`` worker processes. spawn: a fresh interpreter per worker, no thread
    pools inherited through fork; one thread each for numpy's BLAS and OpenMP too, set
    before the workers import them."""
    with environment(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1"), \
            ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
        yield pool
