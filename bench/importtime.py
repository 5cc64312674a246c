"""The plugin figure: what importing ``mockgw.pytest_plugin`` adds to pytest's start-up.

pytest imports the plugin in every run wherever mockgw is installed (entry point
``pytest11``), so its cost is paid by runs that never use mockgw. pytest is imported
first, as it is by the time pytest loads plugins; the figure is then the cumulative
``-X importtime`` of everything the plugin import brings in on top: the plugin, the
``mockgw`` package and whatever they import that pytest had not already.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

TARGET_MS = 50.0
PLUGIN = "mockgw.pytest_plugin"
# "import time: <self us> | <cumulative us> | <indent><module>"
_LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \| ( *)(\S+)$")


def added_us(stderr: str, after: str = "pytest") -> tuple[int, list[str]]:
    """Microseconds and top-level modules imported after ``after`` finished importing.

    ``-X importtime`` prints a module once its import is done, nested imports first
    and indented, so the unindented lines after ``after``'s own are the second
    statement's imports, each with its cumulative time.
    """
    total, names, seen = 0, [], False
    for line in stderr.splitlines():
        match = _LINE.match(line)
        if not match or match[3]:
            continue
        if seen:
            total += int(match[2])
            names.append(match[4])
        elif match[4] == after:
            seen = True
    if not seen:
        raise RuntimeError(f"-X importtime output has no top-level {after!r} line")
    return total, names


def plugin_import_ms(runs: int = 5) -> float:
    """The best of ``runs`` fresh interpreters: the least disturbed one on a busy machine."""
    best = None
    for _ in range(runs):
        completed = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", f"import pytest; import {PLUGIN}"],
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).resolve().parents[1],  # this checkout's mockgw first
        )
        micros, names = added_us(completed.stderr)
        if PLUGIN not in names:
            raise RuntimeError(f"{PLUGIN} was not imported by the measured statement")
        best = micros if best is None else min(best, micros)
    assert best is not None
    return best / 1000


def print_import_figure() -> None:
    cost = plugin_import_ms()
    verdict = "ok" if cost <= TARGET_MS else "OVER TARGET"
    print("\npytest plugin import (best of 5, pytest already imported)")
    print(f"  {PLUGIN}  {cost:7.1f} ms   (target <= {TARGET_MS:.0f} ms: {verdict})")


if __name__ == "__main__":
    print_import_figure()
