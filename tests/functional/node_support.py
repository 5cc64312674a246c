"""Running a Node script that uses the official Node SDKs (tests/node/) against mockgw.

``make test`` installs the SDKs pinned by tests/node/package-lock.json (``npm ci``).
Without Node, or without that install, the Node tests skip and say why.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

NODE_DIR = Path(__file__).resolve().parent.parent / "node"


def run_node(script: str, *, env: dict[str, str], timeout: float = 60.0) -> Any:
    """Run ``script`` (an ES module) in tests/node/ and return the JSON it printed last."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed (make test installs it with apt when missing)")
    if not (NODE_DIR / "node_modules" / ".package-lock.json").exists():
        pytest.skip("the Node SDKs are not installed: run `make test` (npm ci in tests/node)")
    done = subprocess.run(
        [node, "--input-type=module", "-e", script],
        cwd=NODE_DIR,
        env={"PATH": str(Path(node).parent), **env},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])
