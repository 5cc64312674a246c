"""Run the suite against the lowest dependency versions pyproject.toml allows.

The pins are computed from ``[project] dependencies`` (every ``name>=X`` becomes
``name==X``), so they cannot drift from what users are promised; tests/unit/test_floors.py
checks that every runtime dependency has such a floor. Usage::

    python3 tools/floors.py --venv /tmp/mockgw-floors      # or: make test-floors

It creates a fresh venv, installs mockgw from this checkout with its runtime
dependencies pinned to their floors plus the tools the suite needs, and runs pytest there.
This downloads packages, so it is not part of ``make test``.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # the dev extras install tomli, the same parser, on 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent

# What the suite imports besides mockgw's runtime dependencies; newest versions, since the
# floors under test are mockgw's, not the test tools'.
SUITE_TOOLS = (
    "pytest",
    "pytest-xdist",
    "pytest-asyncio",
    "pytest-aiohttp",
    "pytest-timeout",
    "openai",
    "anthropic",
    "jsonschema",
    "build",
    "hypothesis",
)
# The framework clients (litellm, langchain, pydantic-ai, openai-agents) are judged at their
# newest in `make test`. With mockgw's floors pinned, installing the whole dev extra found no
# resolution (2026-12), so the floors run leaves their tests out: the floors are mockgw's.
FRAMEWORK_TESTS = (
    "tests/functional/test_frameworks.py",
    "tests/functional/test_frameworks_responses.py",
)

_FLOOR = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*>=\s*([0-9][0-9A-Za-z.]*)\s*$")


def runtime_dependencies(pyproject: Path = ROOT / "pyproject.toml") -> list[str]:
    """``[project] dependencies`` of ``pyproject``, as written."""
    with pyproject.open("rb") as handle:
        dependencies: list[str] = tomllib.load(handle)["project"]["dependencies"]
    return dependencies


def floor_pins(pyproject: Path = ROOT / "pyproject.toml") -> list[str]:
    """``name==floor`` for every runtime dependency; ValueError if one has no ``>=`` floor."""
    pins = []
    for requirement in runtime_dependencies(pyproject):
        match = _FLOOR.match(requirement)
        if match is None:
            raise ValueError(f"{requirement!r} is not of the form name>=version")
        pins.append(f"{match[1]}=={match[2]}")
    return pins


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--venv", type=Path, default=Path("/tmp/mockgw-floors"))
    # The interpreter the venv is built from; this script itself needs 3.11+ (tomllib).
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("pytest_args", nargs="*", default=["-n", "2", "-q"])
    args = parser.parse_args(argv)
    venv: Path = args.venv
    subprocess.run([args.python, "-m", "venv", "--clear", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    constraints = venv / "floors.txt"
    constraints.write_text("\n".join(floor_pins()) + "\n")
    pip = [python, "-m", "pip", "install", "--quiet"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    # The constraints bind mockgw's dependencies to their floors; the test tools resolve
    # around them (one that needs a newer runtime dependency makes pip fail, loudly).
    subprocess.run([*pip, "-c", str(constraints), str(ROOT), *SUITE_TOOLS], check=True)
    subprocess.run([python, "-m", "pip", "list"], check=True)
    return subprocess.run(
        [
            python,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            *(f"--ignore={path}" for path in FRAMEWORK_TESTS),
            *args.pytest_args,
        ],
        cwd=ROOT,
        check=False,
    ).returncode


if __name__ == "__main__":
    sys.exit(main())
