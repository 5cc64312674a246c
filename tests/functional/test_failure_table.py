"""Every scriptable failure, as the official SDKs see it, checked against docs/failures.md.

The table in the cookbook is the single source of truth: each row's ``reply`` column is
scripted as a rule, sent through both SDKs (``max_retries=0``), streamed and not, and
what each SDK raised (or returned) must be exactly what the row's four outcome columns
say. The doc cannot drift from the SDKs, and a new catalogue error or fault kind cannot
be added without a row (``test_the_table_covers_every_failure``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args

import anthropic
import openai
import pytest
import yaml

from mockgw.background import BackgroundServer
from mockgw.config import ServerConfig
from mockgw.core.failures import PRESETS
from mockgw.scenarios.model import ConnectionFaultKind, StreamFailureKind
from tests.functional.scenario_support import (
    ANTHROPIC_MODEL,
    API_KEY,
    OPENAI_MODEL,
    Api,
    new_session,
    selection_headers,
)

DOC = Path(__file__).resolve().parents[2] / "docs" / "failures.md"
HEADER = ("failure", "reply", "OpenAI", "OpenAI stream", "Anthropic", "Anthropic stream")
# (api, stream) in the order of the table's outcome columns.
COLUMNS: tuple[tuple[Api, bool], ...] = (
    ("openai", False),
    ("openai", True),
    ("anthropic", False),
    ("anthropic", True),
)
# Short enough that hang and stall rows cost little, long enough for the delay rows.
CLIENT_TIMEOUT = 0.5
SERVER_MAX_WAIT = 1.0


@dataclass(frozen=True)
class Row:
    key: str  # the rule's trigger: the user message that selects this row
    failure: str
    reply: dict[str, Any]
    expected: tuple[str, str, str, str]


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def _unquote(cell: str) -> str:
    return cell[1:-1] if cell.startswith("`") and cell.endswith("`") else cell


def parse_table(text: str) -> list[Row]:
    """The rows of the table whose header is :data:`HEADER`."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if tuple(_cells(line)) == HEADER)
    rows = []
    for index, line in enumerate(lines[start + 2 :]):
        if not line.startswith("|"):
            break
        failure, reply, *outcomes = (_unquote(cell) for cell in _cells(line))
        assert len(outcomes) == 4, f"row {failure!r} needs four outcome cells"
        parsed = yaml.safe_load(reply)
        assert isinstance(parsed, dict), f"row {failure!r}: the reply must be a mapping"
        expected = (outcomes[0], outcomes[1], outcomes[2], outcomes[3])
        rows.append(Row(f"row-{index}", failure, parsed, expected))
    return rows


ROWS = parse_table(DOC.read_text(encoding="utf-8"))


def _scenario(rows: list[Row]) -> str:
    rules = [{"name": row.key, "when": {"last_user": row.key}, "reply": row.reply} for row in rows]
    return yaml.safe_dump({"scenario": "table", "rules": rules}, sort_keys=False)


@pytest.fixture(scope="module")
def table_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackgroundServer]:
    directory = tmp_path_factory.mktemp("failure-table")
    (directory / "table.yaml").write_text(_scenario(ROWS), encoding="utf-8")
    config = ServerConfig(
        port=0, scenarios_dir=directory, scenario="table", max_wait_seconds=SERVER_MAX_WAIT
    )
    with BackgroundServer(config) as running:
        yield running


@pytest.fixture(scope="module")
def clients(
    table_server: BackgroundServer,
) -> Iterator[tuple[openai.OpenAI, anthropic.Anthropic]]:
    common: dict[str, Any] = {"api_key": API_KEY, "max_retries": 0, "timeout": CLIENT_TIMEOUT}
    with (
        openai.OpenAI(base_url=table_server.url + "/v1", **common) as oai,
        anthropic.Anthropic(base_url=table_server.url, **common) as ant,
    ):
        yield oai, ant


def describe(error: Exception, sdk: str) -> str:
    """``RateLimitError 429``; an exception from outside the SDK keeps its package name."""
    cls = type(error)
    package = cls.__module__.split(".")[0]
    name = cls.__name__ if package == sdk else f"{package}.{cls.__name__}"
    if isinstance(error, (openai.APIStatusError, anthropic.APIStatusError)):
        return f"{name} {error.status_code}"
    return name


def _openai_text(client: openai.OpenAI, key: str, stream: bool, parts: list[str]) -> None:
    headers = selection_headers(None, new_session())
    messages: Any = [{"role": "user", "content": key}]
    if stream:
        chunks = client.chat.completions.create(
            model=OPENAI_MODEL, messages=messages, stream=True, extra_headers=headers
        )
        for chunk in chunks:
            parts.extend(c.delta.content for c in chunk.choices if c.delta.content)
        return
    completion = client.chat.completions.create(
        model=OPENAI_MODEL, messages=messages, extra_headers=headers
    )
    parts.append(completion.choices[0].message.content or "")


def _anthropic_text(client: anthropic.Anthropic, key: str, stream: bool, parts: list[str]) -> None:
    headers = selection_headers(None, new_session())
    messages: Any = [{"role": "user", "content": key}]
    if stream:
        events = client.messages.create(
            model=ANTHROPIC_MODEL,
            max_tokens=256,
            messages=messages,
            stream=True,
            extra_headers=headers,
        )
        for event in events:
            if event.type == "content_block_delta" and event.delta.type == "text_delta":
                parts.append(event.delta.text)
        return
    message = client.messages.create(
        model=ANTHROPIC_MODEL, max_tokens=256, messages=messages, extra_headers=headers
    )
    parts.append("".join(b.text for b in message.content if b.type == "text"))


def scripts_a_failure(reply: dict[str, Any], stream: bool) -> bool:
    """Whether ``reply`` breaks this kind of request (``no_terminator`` has no plain body)."""
    if "error" in reply or "fault" in reply:
        return True
    fail = (reply.get("stream") or {}).get("fail")
    return fail is not None and (stream or fail.get("with", "error") != "no_terminator")


def observe(
    clients: tuple[openai.OpenAI, anthropic.Anthropic], row: Row, api: Api, stream: bool
) -> str:
    oai, ant = clients
    parts: list[str] = []
    try:
        if api == "openai":
            _openai_text(oai, row.key, stream, parts)
        else:
            _anthropic_text(ant, row.key, stream, parts)
    except Exception as error:
        partial = " after partial text" if stream and "".join(parts) else ""
        return describe(error, api) + partial
    text, scripted = "".join(parts), row.reply.get("text")
    if isinstance(scripted, str) and text != scripted:
        assert scripted.startswith(text), f"{text!r} is not a prefix of the scripted reply"
        return "ok (shortened)"
    return "ok (not detected)" if scripts_a_failure(row.reply, stream) else "ok"


@pytest.mark.parametrize("row", ROWS, ids=[row.failure for row in ROWS])
def test_sdks_observe_what_the_cookbook_says(
    row: Row, clients: tuple[openai.OpenAI, anthropic.Anthropic]
) -> None:
    observed = tuple(observe(clients, row, api, stream) for api, stream in COLUMNS)
    assert observed == row.expected, f"docs/failures.md row {row.failure!r}"


def test_the_table_covers_every_failure() -> None:
    errors = {row.reply["error"] for row in ROWS if isinstance(row.reply.get("error"), str)}
    faults = {row.reply["fault"] for row in ROWS if "fault" in row.reply}
    fails = [(row.reply.get("stream") or {}).get("fail") for row in ROWS]
    stream_faults = {fail.get("with", "error") for fail in fails if fail is not None}
    assert errors == set(PRESETS)
    assert faults == set(get_args(ConnectionFaultKind))
    assert stream_faults == set(get_args(StreamFailureKind))
    assert any("delay" in row.reply for row in ROWS)
    assert len({row.failure for row in ROWS}) == len(ROWS), "failure names must be unique"


def test_outcome_cells_are_well_formed() -> None:
    # A typo in a cell would otherwise surface only as a confusing mismatch.
    cell = re.compile(
        r"^(ok|ok \(not detected\)|ok \(shortened\)"
        r"|[A-Za-z0-9_.]+( [0-9]{3})?( after partial text)?)$"
    )
    bad = [(row.failure, c) for row in ROWS for c in row.expected if not cell.match(c)]
    assert not bad
