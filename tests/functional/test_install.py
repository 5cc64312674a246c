"""The newcomer's path, end to end: build the distributions as ``make dist`` does, install
the wheel into a fresh virtual environment, set up the example project of docs/pytest.md
exactly as the page shows it, and run its tests there, with and without xdist.

Nothing of this checkout reaches the inner runs: they use the new environment's own
python, with no PYTHONPATH, from a folder that holds only the page's two files. The
scenarios the page's tests use come from the library inside the installed wheel.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from mockgw.scenarios.library import LIBRARY_DIR
from tests.test_docs import TEST_FILES, _test_functions, example_project

ROOT = Path(__file__).resolve().parents[2]
# What the sdist is built from; building in the checkout itself would leave an
# egg-info there that a PYTHONPATH=checkout run would then see as a second mockgw.
SOURCES = ("pyproject.toml", "README.md", "LICENSE", "mockgw")
# Besides mockgw, what docs/pytest.md says its project needs, and xdist for the -n 2 run.
TEST_TOOLS = ["pytest", "pytest-xdist", "openai", "anthropic"]
TIMEOUT = 300  # seconds for one step; the network (PyPI) decides most of it
(GUIDE,) = [where for where, _ in TEST_FILES if where.startswith("pytest.md:")]


def _run(argv: list[str], *, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=TIMEOUT, check=False
    )


def _clean_env() -> dict[str, str]:
    """This process's environment without what would point a run back at this checkout
    or its virtual environment (PYTHONPATH=checkout is how the suite itself runs)."""
    leaks = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONDONTWRITEBYTECODE")
    # Bytecode is written on first import (pip is told not to compile everything ahead):
    # the SDKs and pydantic compiled afresh in every process would cost seconds each.
    return {k: v for k, v in os.environ.items() if k not in leaks and not k.startswith("PYTEST_")}


def _copy_sources(target: Path) -> Path:
    target.mkdir()
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, target / name)
    return target


def _check_distributions(dist: Path, build_log: str) -> Path:
    """The wheel and the sdist carry the library and the license; returns the wheel."""
    (wheel,) = dist.glob("mockgw-*.whl")
    (sdist,) = dist.glob("mockgw-*.tar.gz")
    shipped = sorted(p.name for p in LIBRARY_DIR.glob("*.yaml"))
    assert len(shipped) >= 10
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        (metadata,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        assert "License-Expression: MIT" in archive.read(metadata).decode()
    assert sorted(n.rpartition("/")[2] for n in names if n.startswith("mockgw/library/")) == (
        shipped
    )
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    with tarfile.open(sdist) as archive:
        members = archive.getnames()
    assert {f"{sdist.name[:-7]}/mockgw/library/{name}" for name in shipped} <= set(members)
    assert f"{sdist.name[:-7]}/LICENSE" in members
    # A license table instead of an SPDX string makes setuptools warn on every install.
    assert "SetuptoolsDeprecationWarning" not in build_log, build_log
    assert "project.license" not in build_log, build_log
    return wheel


def _summary(output: str) -> str:
    return output.strip().splitlines()[-1]


@pytest.mark.slow
def test_the_wheel_installs_and_the_guide_project_passes(tmp_path: Path) -> None:
    env = _clean_env()
    project = tmp_path / "project"
    project.mkdir()
    files = example_project(GUIDE)
    for name, text in files.items():
        (project / name).write_text(text, encoding="utf-8")
    tools = list(TEST_TOOLS)
    if "asyncio_mode" in files["pyproject.toml"]:
        # The page configures pytest-asyncio for its async test, and says to install it.
        tools.append("pytest-asyncio")

    # The build (as `make dist` runs it) and the test tools' install run side by side.
    dist, source = tmp_path / "dist", _copy_sources(tmp_path / "src")
    venv = tmp_path / "venv"
    python = str(venv / "bin" / "python")
    # This interpreter's pip installs into the new environment (`pip --python`): the
    # environment itself gets nothing but what is named here and their dependencies.
    pip = [sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--no-compile"]
    with subprocess.Popen(
        [sys.executable, "-m", "build", "--outdir", str(dist), str(source)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    ) as build:
        try:
            made = _run(
                [sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=tmp_path, env=env
            )
            installed = _run([*pip, *tools], cwd=tmp_path, env=env)
            built_log, _ = build.communicate(timeout=TIMEOUT)
        finally:
            build.kill()  # a no-op once it has exited; no stray build if a step raised
    assert made.returncode == 0, made.stderr
    assert installed.returncode == 0, installed.stderr
    assert build.returncode == 0, built_log
    wheel = _check_distributions(dist, built_log)
    installed = _run([*pip, str(wheel)], cwd=tmp_path, env=env)
    assert installed.returncode == 0, installed.stderr

    tests = _test_functions(files["test_example.py"])
    assert len(tests) >= 3
    argv = [python, "-m", "pytest", "-v", "-p", "no:cacheprovider", "--trace-config"]
    plain = _run(argv, cwd=project, env=env)
    output = plain.stdout + plain.stderr
    assert plain.returncode == 0, output
    # The plugin that ran is the installed one, not this checkout's.
    registered = re.search(r"<module 'mockgw\.pytest_plugin' from '([^']+)'>", plain.stdout)
    assert registered, output
    assert Path(registered[1]).is_relative_to(venv), registered[0]
    for name in tests:
        assert re.search(rf"^test_example\.py::{name} PASSED", plain.stdout, re.MULTILINE), output
    assert re.fullmatch(rf"=+ {len(tests)} passed in [\d.]+s.*=+", _summary(plain.stdout)), output

    spread = _run(
        [python, "-m", "pytest", "-n", "2", "-p", "no:cacheprovider"], cwd=project, env=env
    )
    output = spread.stdout + spread.stderr
    assert spread.returncode == 0, output
    assert "2 workers" in spread.stdout, output
    assert re.fullmatch(rf"=+ {len(tests)} passed in [\d.]+s.*=+", _summary(spread.stdout)), output
