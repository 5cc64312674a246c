"""Run the newest official SDKs' own tests and helpers against mockgw: ``make drift``.

The SDKs are generated from the providers' API specs, and so are their ``tests/api_resources``
suites, which call every parameter of every endpoint. Run against mockgw, they show where
mockgw has drifted behind a new SDK release: a field it does not send, a model it does not
know, a value it refuses that the API takes. Usage::

    python3 tools/drift.py --venv /tmp/mockgw-drift      # or: make drift

It creates a fresh venv with mockgw from this checkout and the newest ``openai`` and
``anthropic`` releases, downloads the same releases' sdists (the wheels ship no tests), starts
``mockgw serve`` on a free port, runs the generated tests of the endpoints mockgw serves and
the scripted helper checks of tools/drift_helpers.py, and prints one table and a score line.
It exits 1 when a test failed outright or errored. It downloads packages, so it is not part
of ``make test``; docs/deviations.md says how to read the table.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import subprocess
import sys
import tarfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# What the SDKs' conftest.py, tests/utils.py and the generated tests import (their pyproject's
# dev dependency group, less the linters and type checkers); the aiohttp extras because the
# async tests are parametrized over the aiohttp transport too.
SDK_TEST_TOOLS = (
    "openai[aiohttp]",
    "anthropic[aiohttp]",
    "pytest",
    "pytest-asyncio",
    "pytest-xdist",
    "respx",
    "dirty-equals",
    "inline-snapshot",
    "http-snapshot[httpx]",
    "time-machine",
    "rich",
    "httpx2",
)

# Building an sdist's metadata (which `pip download` does) needs the SDKs' build backend;
# with build isolation pip fetches it itself, without it (the fallback) it must be installed.
BUILD_BACKEND = ("hatchling", "hatch-fancy-pypi-readme")


@dataclass(frozen=True)
class Row:
    """The generated tests of one test module whose name has a keyword; the rows of one label
    make one line of the table (an endpoint whose tests span modules)."""

    sdk: str
    label: str
    module: str
    # Only the tests of endpoints mockgw serves (README: chat completions create, responses,
    # embeddings, messages, count_tokens, models list and retrieve); the rest of the same modules
    # (stored completions, model deletion) still runs, and is reported as not emulated,
    # unscored. No keywords: the module runs, all of it unscored.
    keywords: tuple[str, ...]

    @property
    def path(self) -> str:
        return self.module.replace(".", "/") + ".py"

    def selects(self, classname: str, name: str) -> bool:
        """Whether the junit test case ``classname``/``name`` belongs to this row."""
        method = name.split("[", 1)[0]
        return classname.startswith(self.module + ".") and any(k in method for k in self.keywords)


ROWS = (
    Row("openai", "chat completions", "tests.api_resources.chat.test_completions", ("create",)),
    Row("openai", "models", "tests.api_resources.test_models", ("retrieve", "list")),
    # The Responses API: create (plain and streamed) and every stored route mockgw serves,
    # retrieve, delete, cancel, compact, the input items and the input-token count; a row may
    # span modules, the rows of one label make one line.
    Row(
        "openai",
        "responses",
        "tests.api_resources.test_responses",
        ("create", "retrieve", "delete", "cancel", "compact"),
    ),
    Row("openai", "responses", "tests.api_resources.responses.test_input_items", ("list",)),
    Row("openai", "responses", "tests.api_resources.responses.test_input_tokens", ("count",)),
    Row("openai", "embeddings", "tests.api_resources.test_embeddings", ("create",)),
    Row(
        "anthropic",
        "messages",
        "tests.api_resources.test_messages",
        ("create", "deprecated_model_warning"),
    ),
    Row("anthropic", "count_tokens", "tests.api_resources.test_messages", ("count_tokens",)),
    Row("anthropic", "models", "tests.api_resources.test_models", ("retrieve", "list")),
)

PASSED, REFUSED, FAILED, ERROR, SKIPPED = "passed", "refused", "failed", "error", "skipped"

# What the generated tests fill required fields and path parameters with when the spec gives no
# example: values no real account has (a model called "model_id"), which the API refuses too.
PLACEHOLDERS = frozenset(
    {
        "string",
        "model_id",
        "completion_id",
        "id",
        "name",
        "ft:gpt-4o-mini:acemeco:suffix:abc123",
        # The stored-response routes' path parameter: the spec's example id, and the bare name.
        "response_id",
        "resp_677efb5139a88190b512bc3fef8e535d",
    }
)

_STATUS = re.compile(r"Error code: (\d{3}) - (.*)", re.DOTALL)
# A route mockgw does not serve: OpenAI's "Invalid URL (METHOD /path)", Anthropic's bare
# "Not Found". A missing endpoint is drift, never a faithful refusal.
_ROUTE_MISS = re.compile(r"Invalid URL \(|^Not Found\b")
# A message that names the field it refuses: 'max_tokens', `tools`, or a path prefix
# ("model: model_id", "messages.0.content: ...") as Anthropic writes them.
_FIELD = re.compile(r"'([A-Za-z_][\w.\[\]]*)'|`([A-Za-z_][\w.\[\]]*)`|^([A-Za-z_][\w.\[\]]*): ")


def error_message(failure: str) -> tuple[int, str] | None:
    """The HTTP status and the provider's own message of an SDK status error, or None.

    The SDKs render ``Error code: 404 - <message>``: OpenAI with the bare message, Anthropic
    with the whole error body as a Python dict, whose ``error.message`` is taken.
    """
    match = _STATUS.search(failure)
    if match is None:
        return None
    status, rest = int(match[1]), match[2].strip()
    if rest.startswith("{"):
        try:
            body = ast.literal_eval(rest.splitlines()[0])
        except (ValueError, SyntaxError):
            return status, rest
        error = body.get("error") if isinstance(body, dict) else None
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            return status, error["message"]
    return status, rest


def named_field(message: str) -> str | None:
    """The request field a provider error message names, or None."""
    match = _FIELD.search(message)
    if match is None:
        return None
    return next(group for group in match.groups() if group)


_MISSING_REQUIRED = re.compile(r"Missing required parameter: '[\w.\[\]]+'")


def is_faithful_refusal(test_name: str, failure: str) -> bool:
    """Whether a failed generated test only shows mockgw refusing what the real API refuses.

    All must hold: mockgw answered 400, 404 or 422 in the provider's error shape (the SDK
    raised its status error with the provider's message); not for an unknown route; the test
    sent generated placeholder values (``with_all_params`` fills every optional field with
    examples, some outside the API's real limits, like ``max_tokens=0``; or the message quotes
    a placeholder such as ``model_id``); and the message names the field it refuses, so a
    reader can check the real API refuses that value too.

    Or: a minimal generated call (not ``with_all_params``) left out a parameter that the
    spec marks optional and the live API requires (``Missing required parameter: 'model'``:
    the Responses API takes the model from a stored prompt, so the spec cannot require it).
    """
    parsed = error_message(failure)
    if parsed is None:
        return False
    status, message = parsed
    if status not in (400, 404, 422) or _ROUTE_MISS.search(message):
        return False
    field_name = named_field(message)
    if field_name is None:
        return False
    if _MISSING_REQUIRED.match(message) and "with_all_params" not in test_name:
        return True
    quotes_placeholder = any(
        re.search(rf"(?<![\w-]){re.escape(value)}(?![\w-])", message) for value in PLACEHOLDERS
    )
    return "with_all_params" in test_name or quotes_placeholder


@dataclass
class Outcome:
    """One test or helper check: its name, its class of result, and why it failed."""

    name: str
    result: str
    detail: str = ""
    classname: str = ""


@dataclass
class Tally:
    """The counts of one table row."""

    label: str
    passed: int = 0
    refused: int = 0
    failed: int = 0
    errors: int = 0
    problems: list[Outcome] = field(default_factory=list)

    def add(self, outcome: Outcome) -> None:
        if outcome.result == PASSED:
            self.passed += 1
        elif outcome.result == REFUSED:
            self.refused += 1
            self.problems.append(outcome)
        elif outcome.result == FAILED:
            self.failed += 1
            self.problems.append(outcome)
        elif outcome.result == ERROR:
            self.errors += 1
            self.problems.append(outcome)

    @property
    def counted(self) -> int:
        return self.passed + self.refused + self.failed + self.errors


def junit_outcomes(xml_text: str) -> list[Outcome]:
    """Every test case of a pytest ``--junitxml`` report, classified."""
    outcomes = []
    for case in ET.fromstring(xml_text).iter("testcase"):
        classname, name = case.get("classname", ""), case.get("name", "")
        result, detail = PASSED, ""
        for child in case:
            message = child.get("message") or (child.text or "")
            if child.tag == "skipped":
                result = SKIPPED
            elif child.tag == "error":
                result, detail = ERROR, message
            elif child.tag == "failure":
                refused = is_faithful_refusal(name, message)
                result, detail = (REFUSED if refused else FAILED), message
        outcomes.append(Outcome(name, result, detail, classname))
    return outcomes


def tally(label: str, outcomes: Iterable[Outcome]) -> Tally:
    """The row of ``outcomes``."""
    row = Tally(label)
    for outcome in outcomes:
        row.add(outcome)
    return row


def tally_rows(sdk: str, outcomes: Sequence[Outcome], rows: Sequence[Row] = ROWS) -> list[Tally]:
    """The rows of ``sdk`` from its junit outcomes, one per label in the order of ``rows``, then
    the unscored tests no row selects."""
    mine = [row for row in rows if row.sdk == sdk]
    tallies = []
    for label in dict.fromkeys(row.label for row in mine):
        same = [row for row in mine if row.label == label]
        selected = [o for o in outcomes if any(r.selects(o.classname, o.name) for r in same)]
        tallies.append(tally(f"{sdk} {label}", selected))
    unserved = [o for o in outcomes if not any(r.selects(o.classname, o.name) for r in mine)]
    tallies.append(tally(f"{sdk} not emulated", unserved))
    return tallies


def score(rows: Sequence[Tally]) -> tuple[int, int]:
    """(passed or faithfully refused, all counted) over every row."""
    good = sum(row.passed + row.refused for row in rows)
    return good, sum(row.counted for row in rows)


def format_report(rows: Sequence[Tally], versions: dict[str, str]) -> str:
    """The table and the score line ``make drift`` prints."""
    width = max(len(row.label) for row in rows)
    columns = ("passed", "faithfully refused", "failed", "errors")
    lines = [" | ".join([" " * width, *columns])]
    lines.append("-+-".join(["-" * width, *("-" * len(name) for name in columns)]))
    for row in rows:
        cells = (row.passed, row.refused, row.failed, row.errors)
        padded = (str(n).rjust(len(name)) for n, name in zip(cells, columns, strict=True))
        lines.append(" | ".join([row.label.ljust(width), *padded]))
    good, total = score(rows)
    percent = 100.0 * good / total if total else 0.0
    sdks = ", ".join(f"{name} {version}" for name, version in versions.items())
    lines.append(f"drift score: {percent:.1f}% ({good}/{total}) — {sdks}")
    return "\n".join(lines)


def format_problems(rows: Sequence[Tally]) -> str:
    """Each failure and refusal once, whatever client variant (sync/async, loose/strict) hit it."""
    lines = []
    for row in rows:
        seen: set[tuple[str, str, str]] = set()
        for problem in row.problems:
            test = problem.name.split("[", 1)[0]
            parsed = error_message(problem.detail)
            lines_of_detail = problem.detail.strip().splitlines() or [""]
            why = f"{parsed[0]} {parsed[1]}" if parsed else lines_of_detail[0]
            if (problem.result, test, why) in seen:
                continue
            seen.add((problem.result, test, why))
            lines.append(f"{row.label}: {problem.result}: {test}: {why[:300]}")
    return "\n".join(lines)


# Orchestration: everything below talks to the registry or runs processes.


def _run(command: Sequence[str]) -> None:
    subprocess.run(command, check=True)


def build_venv(venv: Path, python: str) -> dict[str, str]:
    """A fresh venv with mockgw and the newest SDKs; their installed versions."""
    _run([python, "-m", "venv", "--clear", str(venv)])
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--no-compile"]
    _run([*pip, "--upgrade", "pip"])
    _run([*pip, "--upgrade", str(ROOT), *SDK_TEST_TOOLS])
    code = "import json, openai as o, anthropic as a; print(json.dumps([o.VERSION, a.__version__]))"
    out = subprocess.run(
        [str(venv / "bin" / "python"), "-c", code], check=True, capture_output=True, text=True
    ).stdout
    openai_version, anthropic_version = json.loads(out)
    return {"openai": openai_version, "anthropic": anthropic_version}


def download_sdists(venv: Path, versions: dict[str, str], dest: Path) -> dict[str, Path]:
    """The sdists of exactly the installed versions, unpacked; the tests live only there."""
    dest.mkdir(parents=True, exist_ok=True)
    python = str(venv / "bin" / "python")
    pins = [f"{name}=={version}" for name, version in versions.items()]
    download = [python, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:"]
    try:
        _run([*download, "-d", str(dest), *pins])
    except subprocess.CalledProcessError:
        # pip builds an sdist's metadata in an isolated env it fills from the registry; where
        # that cannot be had, the build backend installed here serves instead.
        _run([python, "-m", "pip", "install", "--quiet", *BUILD_BACKEND])
        _run([*download, "--no-build-isolation", "-d", str(dest), *pins])
    trees = {}
    for name, version in versions.items():
        archive = dest / f"{name}-{version}.tar.gz"
        with tarfile.open(archive) as tar:
            # "data" refuses links and paths outside dest (PEP 706); older Pythons lack it.
            if hasattr(tarfile, "data_filter"):
                tar.extractall(dest, filter="data")
            else:
                tar.extractall(dest)
        trees[name] = dest / f"{name}-{version}"
    return trees


def start_server(venv: Path, work: Path) -> tuple[subprocess.Popen[bytes], str]:
    """``mockgw serve`` on a free port of 127.0.0.1; the process and its base URL."""
    ready = work / "ready"
    ready.unlink(missing_ok=True)
    log = (work / "mockgw.log").open("wb")
    command = [str(venv / "bin" / "mockgw"), "serve", "--port", "0", "--quiet"]
    process = subprocess.Popen([*command, "--ready-file", str(ready)], stdout=log, stderr=log)
    deadline = time.monotonic() + 60
    while not ready.exists() or not ready.read_text().strip():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise SystemExit(f"mockgw serve did not start; see {work / 'mockgw.log'}")
        time.sleep(0.1)
    return process, ready.read_text().strip()


def run_sdk(venv: Path, tree: Path, sdk: str, base_url: str, work: Path) -> list[Tally]:
    """The generated tests of ``sdk``'s rows against mockgw, in one process (two shared cores)."""
    report = work / f"{sdk}.xml"
    report.unlink(missing_ok=True)
    paths = present_paths(tree, sdk)
    env = {**os.environ, "TEST_API_BASE_URL": base_url + ("/v1" if sdk == "openai" else "")}
    command = [str(venv / "bin" / "python"), "-m", "pytest", *paths, "-p", "no:cacheprovider"]
    command += ["-n", "0", "-q", f"--junitxml={report}"]
    done = subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True, check=False)
    # 0: all passed; 1: some failed; anything else (a collection error, a usage error) means
    # the SDK's suite changed shape, which the junit report alone would hide.
    if done.returncode not in (0, 1) or not report.exists():
        print(done.stdout[-4000:], done.stderr[-4000:], sep="\n")
        return [tally(f"{sdk} suite", [Outcome(sdk, ERROR, "pytest did not run")])]
    return tally_rows(sdk, junit_outcomes(report.read_text()))


def present_paths(tree: Path, sdk: str, rows: Sequence[Row] = ROWS) -> list[str]:
    """The test modules of ``sdk``'s rows that its sdist ships, each once.

    A release may lack a module a row names (an older SDK without ``responses/test_input_tokens``,
    a module the generator moved); pytest would stop on the missing path, so it is left out
    and its row counts what the others give.
    """
    return sorted({row.path for row in rows if row.sdk == sdk and (tree / row.path).is_file()})


def run_helpers(venv: Path, base_url: str) -> Tally:
    """The scripted helper checks of tools/drift_helpers.py, one JSON outcome a line."""
    script = ROOT / "tools" / "drift_helpers.py"
    done = subprocess.run(
        [str(venv / "bin" / "python"), str(script), base_url],
        capture_output=True,
        text=True,
        check=False,
    )
    outcomes = [Outcome(**json.loads(line)) for line in done.stdout.splitlines() if line]
    if done.returncode != 0:
        outcomes.append(Outcome("helpers", ERROR, done.stderr.strip()[-2000:]))
    return tally("helpers", outcomes)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--venv", type=Path, default=Path("/tmp/mockgw-drift"))
    parser.add_argument("--python", default=sys.executable)
    args = parser.parse_args(argv)
    venv: Path = args.venv
    versions = build_venv(venv, args.python)
    work = venv / "drift"
    trees = download_sdists(venv, versions, work)
    server, base_url = start_server(venv, work)
    try:
        tallies = [t for sdk in versions for t in run_sdk(venv, trees[sdk], sdk, base_url, work)]
        tallies.append(run_helpers(venv, base_url))
    finally:
        server.terminate()
        server.wait(timeout=10)
    # The tests of endpoints mockgw does not serve ran too, but are neither scored nor failing.
    scored = [t for t in tallies if not t.label.endswith(" not emulated")]
    problems = format_problems(scored)
    if problems:
        print(problems, end="\n\n")
    for unscored in (t for t in tallies if t not in scored and t.counted):
        print(f"{unscored.label} (run, not scored): {unscored.counted} tests")
    print(format_report(scored, versions))
    return 1 if any(row.failed or row.errors for row in scored) else 0


if __name__ == "__main__":
    sys.exit(main())
