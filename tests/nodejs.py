"""Run a site_app module's functions in Node.js, for the tests that hold the page's
JavaScript to the Python it must agree with (Node.js is there anyway: `make` runs npm ci)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest


def run_module(module: Path, name: str, body: str):
    """Import ``module`` as ``name`` in Node.js, evaluate the expression ``body`` and return
    its value, passed through JSON."""
    node = shutil.which("node")
    if node is None:
        pytest.fail(f"node not found: Node.js runs {module.name} here (and `make` needs it for npm ci)")
    script = f"import * as {name} from {json.dumps(module.as_uri())};\nconsole.log(JSON.stringify({body}));"
    done = subprocess.run([node, "--input-type=module", "-e", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)
