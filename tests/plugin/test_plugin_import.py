"""Loading the plugin costs nothing: pytest imports it in every run wherever mockgw is
installed, so it must not bring the server, aiohttp, pydantic, faker or the SDKs along.

The proof is what a fresh interpreter has imported, not a timing; the milliseconds are
``make bench``'s figure (bench/importtime.py).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

# What the plugin and the package may import of mockgw's own modules.
LIGHT = ["mockgw", "mockgw._version", "mockgw.pytest_plugin"]
HEAVY = ["aiohttp", "pydantic", "faker", "yaml", "openai", "anthropic", "multidict"]

# One fresh interpreter, three snapshots of what it has imported: after the package,
# after the plugin (as pytest imports it), after the library's first real use.
PROBE = """
import json, sys
snapshots = []
import mockgw
snapshots.append(sorted(sys.modules))
import mockgw.pytest_plugin
snapshots.append(sorted(sys.modules))
mockgw.MockGateway
snapshots.append(sorted(sys.modules))
print(json.dumps(snapshots))
"""


@pytest.fixture(scope="module")
def snapshots() -> list[set[str]]:
    completed = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True
    )
    return [set(modules) for modules in json.loads(completed.stdout)]


def _ours(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if m == "mockgw" or m.startswith("mockgw."))


def _heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if m.partition(".")[0] in HEAVY)


def test_importing_the_package_imports_nothing_heavy(snapshots: list[set[str]]) -> None:
    package, _, _ = snapshots
    assert _ours(package) == ["mockgw", "mockgw._version"]
    assert _heavy(package) == []


def test_importing_the_plugin_imports_nothing_heavy(snapshots: list[set[str]]) -> None:
    _, plugin, _ = snapshots
    assert _ours(plugin) == LIGHT
    assert _heavy(plugin) == []


def test_the_probe_sees_heavy_imports_when_they_happen(snapshots: list[set[str]]) -> None:
    # Without this, an empty or broken probe would pass the two tests above.
    _, _, used = snapshots
    assert {"mockgw.gateway", "mockgw.web.app"} <= used
    assert {"aiohttp", "pydantic"} <= {m.partition(".")[0] for m in used}
