"""The Dockerfile, checked without a Docker engine (the development machines have none).

What can rot without a build is checked here: every ``mockgw`` command the image runs
exists in the CLI with those options, the documented ``docker run`` arguments are
accepted after its ENTRYPOINT, it runs as a non-root user, it installs mockgw from the
source as ``make run`` does, and every file it copies exists and reaches the build context.
"""

from __future__ import annotations

import fnmatch
import json
import re
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from mockgw.cli import build_parser

if sys.version_info >= (3, 11):
    import tomllib
else:  # the dev extras install tomli, the same parser, on 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"


def pyproject() -> dict[str, Any]:
    document: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return document


@dataclass(frozen=True)
class Instruction:
    keyword: str  # upper case: RUN, COPY, HEALTHCHECK, ...
    text: str  # the arguments, continuation lines joined


def instructions(text: str) -> list[Instruction]:
    """The Dockerfile's instructions, as Docker reads them: comment lines dropped (also
    inside a continuation), backslash-newline continuations joined."""
    found: list[Instruction] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        keyword, _, rest = (pending + line).partition(" ")
        found.append(Instruction(keyword.upper(), rest.strip()))
        pending = ""
    assert not pending, "the Dockerfile ends inside a continuation"
    return found


def command_words(form: str) -> list[list[str]]:
    """The commands an exec-form (JSON array) or shell-form argument string runs."""
    if form.startswith("["):
        words = json.loads(form)
        assert isinstance(words, list), form
        return [[str(word) for word in words]]
    return [shlex.split(part) for part in re.split(r"&&|\|\||;|\|", form) if part.strip()]


def healthcheck_command(text: str) -> str:
    """What ``HEALTHCHECK [--option=value ...] CMD ...`` runs."""
    options, found, command = text.partition("CMD ")
    assert found, f"HEALTHCHECK without CMD: {text}"
    assert all(word.startswith("--") for word in options.split()), options
    return command.strip()


@pytest.fixture(scope="module")
def steps() -> list[Instruction]:
    return instructions(DOCKERFILE.read_text())


def only(steps: list[Instruction], keyword: str) -> Instruction:
    matching = [step for step in steps if step.keyword == keyword]
    assert len(matching) == 1, f"expected one {keyword}, found {len(matching)}"
    return matching[0]


def mockgw_commands(steps: list[Instruction]) -> dict[str, list[list[str]]]:
    """Every ``mockgw`` invocation, by the instruction that runs it."""
    runs: dict[str, list[list[str]]] = {}
    for step in steps:
        if step.keyword in {"RUN", "CMD", "ENTRYPOINT"}:
            forms = command_words(step.text)
        elif step.keyword == "HEALTHCHECK":
            forms = command_words(healthcheck_command(step.text))
        else:
            continue
        runs.setdefault(step.keyword, []).extend(f for f in forms if f and f[0] == "mockgw")
    return runs


def test_every_mockgw_command_it_runs_is_one_the_cli_accepts(steps: list[Instruction]) -> None:
    runs = mockgw_commands(steps)
    (entrypoint,) = runs["ENTRYPOINT"]
    (probe,) = runs["HEALTHCHECK"]
    for commands in runs.values():
        for words in commands:
            build_parser().parse_args(words[1:])  # SystemExit(2) on an unknown option
    serve = build_parser().parse_args(entrypoint[1:])
    assert serve.command == "serve"
    # Inside the container, so that a published port reaches it.
    assert serve.host == "0.0.0.0"
    health = build_parser().parse_args(probe[1:])
    assert health.command == "health"
    # The probe asks the server the ENTRYPOINT starts, on the port the image exposes.
    assert health.url == f"http://127.0.0.1:{serve.port}"
    assert only(steps, "EXPOSE").text.split() == [str(serve.port)]
    # A probe slower than HEALTHCHECK's own --timeout would be killed without a word.
    options = dict(re.findall(r"--([\w-]+)=(\S+)", healthcheck_command_options(steps)))
    assert health.timeout < float(options["timeout"].removesuffix("s"))


def healthcheck_command_options(steps: list[Instruction]) -> str:
    return only(steps, "HEALTHCHECK").text.partition("CMD ")[0]


def documented_docker_runs() -> list[tuple[str, list[str]]]:
    """``docker run ... IMAGE ARGS`` lines of the Dockerfile's header and docs/ci.md:
    where each is, and the ARGS (which Docker appends to the ENTRYPOINT)."""
    found = []
    for path in (DOCKERFILE, ROOT / "docs" / "ci.md"):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            text = line.lstrip("# ").split("  #")[0]
            if not text.startswith("docker run "):
                continue
            words = shlex.split(text)
            image = words.index("mockgw")  # the image's name in every example
            found.append((f"{path.name}:{number}", words[image + 1 :]))
    return found


def test_documented_docker_run_arguments_are_accepted(steps: list[Instruction]) -> None:
    (entrypoint,) = mockgw_commands(steps)["ENTRYPOINT"]
    examples = documented_docker_runs()
    assert len(examples) >= 4  # two in the header, two in docs/ci.md
    for where, extra in examples:
        args = build_parser().parse_args([*entrypoint[1:], *extra])
        assert args.command == "serve", where


def test_it_runs_as_a_user_it_creates_not_root(steps: list[Instruction]) -> None:
    users = [index for index, step in enumerate(steps) if step.keyword == "USER"]
    assert users, "no USER: the server would run as root"
    last = steps[users[-1]]
    user = last.text.partition(":")[0]
    assert user not in {"root", "0"}
    entrypoint = next(i for i, step in enumerate(steps) if step.keyword == "ENTRYPOINT")
    assert users[-1] < entrypoint
    created = [
        words
        for step in steps[: users[-1]]
        if step.keyword == "RUN"
        for words in command_words(step.text)
        if words and words[0] in {"useradd", "adduser"}
    ]
    assert any(words[-1] == user for words in created), f"USER {user} is never created"


def pip_installs(steps: list[Instruction]) -> list[list[str]]:
    """The targets of every ``pip install`` the Dockerfile runs (options dropped)."""
    targets = []
    for step in steps:
        if step.keyword != "RUN":
            continue
        for words in command_words(step.text):
            if words[:2] == ["pip", "install"] or words[1:4] == ["-m", "pip", "install"]:
                start = words.index("install") + 1
                targets.append([word for word in words[start:] if not word.startswith("-")])
    return targets


def test_it_installs_from_the_source_as_make_run_does(steps: list[Instruction]) -> None:
    project = pyproject()["project"]
    (targets,) = pip_installs(steps)
    (target,) = targets
    # `.` or `.[extras]`: the source tree, with extras that exist.
    match = re.fullmatch(r"\.(?:\[([\w,-]+)\])?", target)
    assert match, f"pip install {target}: not the source tree"
    for extra in filter(None, (match[1] or "").split(",")):
        assert extra in project["optional-dependencies"]
    # `make run` installs from the same tree (editable there, for development).
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"pip install .*-e '\.\[sdk\]'", makefile)


def copied_sources(steps: list[Instruction]) -> list[str]:
    sources = []
    for step in steps:
        if step.keyword in {"COPY", "ADD"}:
            words = [w for w in shlex.split(step.text) if not w.startswith("--")]
            sources.extend(words[:-1])
    return sources


def test_what_it_copies_exists_and_is_all_the_build_needs(steps: list[Instruction]) -> None:
    sources = copied_sources(steps)
    for source in sources:
        assert (ROOT / source).exists(), f"COPY {source}: no such file in the repository"
    project = pyproject()["project"]
    # What `pip install .` reads: the metadata files pyproject names, and the package.
    needed = {"pyproject.toml", project["readme"], *project["license-files"], "mockgw"}
    assert needed <= set(sources), f"not copied: {sorted(needed - set(sources))}"


def test_dockerignore_keeps_every_copied_file_in_the_context(steps: list[Instruction]) -> None:
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert not [p for p in patterns if p.startswith("!")], "exceptions are not checked here"
    for source in copied_sources(steps):
        for pattern in patterns:
            assert not fnmatch.fnmatch(source, pattern), f"{pattern} hides COPY {source}"
    # The package data the image serves (the shipped library) is under mockgw/, not hidden.
    library = sorted((ROOT / "mockgw" / "library").glob("*.yaml"))
    assert library
    for path in library:
        relative = path.relative_to(ROOT).as_posix()
        assert not any(fnmatch.fnmatch(relative, p) for p in patterns), relative
