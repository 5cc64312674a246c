"""The floors ``make test-floors`` installs are exactly pyproject's runtime floors."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _floors_tool() -> ModuleType:
    # tools/ is a script folder, not a package: load it by path.
    spec = importlib.util.spec_from_file_location("floors", ROOT / "tools" / "floors.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_runtime_dependency_is_pinned_to_its_floor() -> None:
    tool = _floors_tool()
    dependencies = tool.runtime_dependencies()
    assert dependencies  # read from the real pyproject.toml, not an empty list
    pins = tool.floor_pins()
    assert len(pins) == len(dependencies)
    for requirement, pin in zip(dependencies, pins, strict=True):
        name, floor = (part.strip() for part in requirement.split(">="))
        assert pin == f"{name}=={floor}"


def test_a_dependency_without_a_floor_is_refused(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[project]\ndependencies = ["aiohttp>=3.9", "pydantic"]\n')
    with pytest.raises(ValueError, match="'pydantic' is not of the form"):
        _floors_tool().floor_pins(pyproject)


def test_an_upper_bound_is_refused(tmp_path: Path) -> None:
    # A floor venv would not test "aiohttp>=3.9,<4" faithfully: the pin drops the cap.
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[project]\ndependencies = ["aiohttp>=3.9,<4"]\n')
    with pytest.raises(ValueError, match="not of the form"):
        _floors_tool().floor_pins(pyproject)
