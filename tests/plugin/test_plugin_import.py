"""Loading the plugin costs nothing: pytest imports it in every run wherever mockgw is
installed, so it must not bring the server, aiohttp, pydantic, faker or the SDKs along.

The proof is what a fresh interpreter has imported, not a timing; the milliseconds are
``make bench``'s figure (bench/importtime.py).
"""

from __future__ import annotations

import json
import subprocess
import sys

# What the plugin and the package may import of mockgw's own modules.
LIGHT = ["mockgw", "mockgw._version", "mockgw.pytest_plugin"]
HEAVY = ["aiohttp", "pydantic", "faker", "yaml", "openai", "anthropic", "multidict"]

PROBE = """
import json, sys
import {first}
before = sorted(sys.modules)
getattr(sys.modules["mockgw"], "MockGateway")  # the first real use of the library
after = sorted(sys.modules)
print(json.dumps([before, after]))
"""


def _modules(first: str) -> tuple[set[str], set[str]]:
    completed = subprocess.run(
        [sys.executable, "-c", PROBE.format(first=first)],
        capture_output=True,
        text=True,
        check=True,
    )
    before, after = json.loads(completed.stdout)
    return set(before), set(after)


def _ours(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if m == "mockgw" or m.startswith("mockgw."))


def _heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if m.partition(".")[0] in HEAVY)


def test_importing_the_plugin_imports_nothing_heavy() -> None:
    before, after = _modules("mockgw.pytest_plugin")
    assert _ours(before) == LIGHT
    assert _heavy(before) == []
    # The probe sees heavy imports when they happen: the library's first use makes them.
    assert {"mockgw.gateway", "mockgw.web.app"} <= after
    assert {"aiohttp", "pydantic"} <= {m.partition(".")[0] for m in after}


def test_importing_the_package_imports_nothing_heavy() -> None:
    before, _ = _modules("mockgw")
    assert _ours(before) == ["mockgw", "mockgw._version"]
    assert _heavy(before) == []
