"""The admin API under ``/__mockgw/``, over HTTP: every route, good and bad input.

Bad input must always be a 4xx JSON ``{"error": {"message": ...}}`` that says what was
wrong, never a 500 or aiohttp's plain text.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import openai
import pytest

from mockgw.background import BackgroundServer
from mockgw.config import ServerConfig
from tests.functional.scenario_support import OPENAI_MODEL, write_scenarios

DEMO = """\
scenario: demo
rules:
  - name: greet
    when: {last_user: {contains: hello}}
    reply: {text: "hi there"}
  - name: after-finish
    in_state: done
    reply: {text: "state is done"}
  - name: finish
    when: {last_user: finish}
    next_state: done
    reply: {text: "finished"}
"""
OTHER = """\
scenario: other
unmatched: generate
rules:
  - name: fixed
    when: {last_user: ping}
    reply: {text: "pong"}
"""
TOKEN = "admin-token-for-tests"
KEY = "sk-admin-tests"


@pytest.fixture(scope="module")
def scenarios(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_scenarios(tmp_path_factory.mktemp("admin"), {"demo": DEMO, "other": OTHER})


@pytest.fixture
def server(scenarios: Path) -> Iterator[BackgroundServer]:
    # One per test: the tests change scenarios and state. No library: listings name ours.
    config = ServerConfig(port=0, scenarios_dir=scenarios, library=False)
    with BackgroundServer(config) as running:
        yield running


class Admin:
    """A tiny admin client: every call returns (status, parsed JSON body)."""

    def __init__(self, http: aiohttp.ClientSession, base: str) -> None:
        self.http = http
        self.base = base

    async def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        raw: str | bytes | None = None,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        data = raw if raw is not None else (None if body is None else json.dumps(body))
        sent = {**({"Content-Type": content_type} if data is not None else {}), **(headers or {})}
        async with self.http.request(
            method, f"{self.base}/__mockgw{path}", data=data, headers=sent
        ) as response:
            text = await response.text()
            assert response.status != 500, text
            assert response.content_type in ("application/json", "application/x-ndjson"), text
            if response.content_type == "application/x-ndjson":
                return response.status, text
            return response.status, json.loads(text)

    async def error(self, status: int, method: str, path: str, body: Any = None, **kw: Any) -> str:
        """Send a bad request; assert the status and the error shape; return the message."""
        got, reply = await self.call(method, path, body, **kw)
        assert got == status, reply
        assert reply["error"]["type"] == "mockgw_admin_error"
        message: str = reply["error"]["message"]
        assert message
        return message


@pytest.fixture
async def admin(server: BackgroundServer) -> AsyncIterator[Admin]:
    async with aiohttp.ClientSession() as http:
        yield Admin(http, server.url)


def client(server: BackgroundServer, session: str | None = None) -> openai.AsyncOpenAI:
    prefix = f"/session/{session}" if session else ""
    return openai.AsyncOpenAI(base_url=f"{server.url}{prefix}/v1", api_key=KEY, max_retries=0)


async def say(server: BackgroundServer, text: str, session: str | None = None) -> str:
    async with client(server, session) as oai:
        completion = await oai.chat.completions.create(
            model=OPENAI_MODEL, messages=[{"role": "user", "content": text}]
        )
    return completion.choices[0].message.content or ""


async def say_status(server: BackgroundServer, text: str, session: str) -> int:
    """The status of one request (errors included) under a session prefix."""
    async with client(server, session) as oai:
        try:
            await oai.chat.completions.create(
                model=OPENAI_MODEL, messages=[{"role": "user", "content": text}]
            )
        except openai.APIStatusError as exc:
            return exc.status_code
    return 200


# --- version, health, scenarios -----------------------------------------------------------


async def test_version_and_health(admin: Admin) -> None:
    status, body = await admin.call("GET", "/version")
    assert status == 200
    assert body["version"]
    status, body = await admin.call("GET", "/health")
    assert (status, body["status"]) == (200, "ok")


async def test_list_scenarios(admin: Admin) -> None:
    status, body = await admin.call("GET", "/scenarios")
    assert status == 200
    assert body["default"] is None
    by_name = {s["name"]: s for s in body["scenarios"]}
    assert by_name["demo"]["rules"] == ["greet", "after-finish", "finish"]
    assert by_name["demo"]["unmatched"] == "error"
    assert by_name["demo"]["source"].endswith("demo.yaml:1")


async def test_add_scenario_as_json_and_yaml(admin: Admin, server: BackgroundServer) -> None:
    doc = {"scenario": "added", "rules": [{"name": "r", "reply": {"text": "from json"}}]}
    status, body = await admin.call("POST", "/scenarios", doc)
    assert (status, body) == (201, {"added": ["added"]})
    yaml_docs = (
        "scenario: y1\nrules: [{reply: {text: one}}]\n"
        "---\n"
        "scenario: y2\nrules: [{reply: {text: two}}]\n"
    )
    status, body = await admin.call(
        "POST", "/scenarios", raw=yaml_docs, content_type="application/yaml"
    )
    assert (status, body) == (201, {"added": ["y1", "y2"]})
    # A list of documents in JSON too.
    status, body = await admin.call("POST", "/scenarios", [{"scenario": "j1"}, {"scenario": "j2"}])
    assert (status, body) == (201, {"added": ["j1", "j2"]})
    status, body = await admin.call("PUT", "/scenarios/active", {"scenario": "added"})
    assert (status, body) == (200, {"scenario": "added"})
    assert await say(server, "anything") == "from json"


async def test_re_adding_a_scenario_replaces_its_rate_limit(
    admin: Admin, server: BackgroundServer
) -> None:
    tight = {"scenario": "limited", "limits": {"rpm": 1}, "rules": [{"reply": {"text": "ok"}}]}
    assert (await admin.call("POST", "/scenarios", tight))[0] == 201
    async with aiohttp.ClientSession() as http:

        async def limit() -> tuple[int, str]:
            async with http.post(
                f"{server.url}/s/limited/v1/chat/completions",
                json={"model": OPENAI_MODEL, "messages": [{"role": "user", "content": "hi"}]},
                headers={"Authorization": f"Bearer {KEY}"},
            ) as response:
                return response.status, response.headers["x-ratelimit-limit-requests"]

        assert await limit() == (200, "1")
        assert await limit() == (429, "1")
        roomy = {**tight, "limits": {"rpm": 1000}}
        assert (await admin.call("POST", "/scenarios", roomy))[0] == 201
        # The old bucket went with the old limits: a fresh one of 1000.
        assert await limit() == (200, "1000")


@pytest.mark.parametrize(
    ("raw", "content_type", "expected"),
    [
        ("{not json", "application/json", "not valid JSON"),
        ("", "application/json", "empty"),
        ("   \n", "application/yaml", "empty"),
        ("[]", "application/json", "no scenario"),
        ("42", "application/json", "must be a mapping"),
        ("null", "application/json", "must be a mapping"),
        ("scenario: [unclosed", "application/yaml", "invalid YAML"),
        ('{"scenario": "x", "rules": [{"reply": {"txt": "hi"}}]}', "application/json", "'text'"),
        ('{"scenario": "bad name!"}', "application/json", "scenario"),
        ('{"scenario": "x", "rules": [{"replies": []}]}', "application/json", "replies"),
        ("scenario: x\nscenario: y\n", "application/yaml", "duplicate key"),
        ('{"scenario": "x", "rules": [{"reply": {"text": "{{ nope"}}]}', "text/json", "template"),
    ],
)
async def test_add_scenario_rejects_bad_bodies(
    admin: Admin, raw: str, content_type: str, expected: str
) -> None:
    message = await admin.error(400, "POST", "/scenarios", raw=raw, content_type=content_type)
    assert expected in message


async def test_yaml_errors_point_at_the_clients_lines(admin: Admin) -> None:
    text = "scenario: x\nrules:\n  - reply:\n      txt: hi\n"
    status, body = await admin.call("POST", "/scenarios", raw=text, content_type="text/yaml")
    assert status == 400
    (problem,) = body["error"]["problems"]
    assert problem.startswith("<admin>:4:7: rules[0].reply.txt: unknown key 'txt'")


async def test_non_utf8_body_is_a_400(admin: Admin) -> None:
    message = await admin.error(400, "POST", "/scenarios", raw=b"\xff\xfe{}")
    assert "UTF-8" in message


async def test_active_scenario(admin: Admin, server: BackgroundServer) -> None:
    assert await admin.call("GET", "/scenarios/active") == (200, {"scenario": None})
    assert await admin.call("PUT", "/scenarios/active", {"scenario": "other"}) == (
        200,
        {"scenario": "other"},
    )
    assert await admin.call("GET", "/scenarios/active") == (200, {"scenario": "other"})
    assert await say(server, "ping") == "pong"
    assert await admin.call("PUT", "/scenarios/active", {"scenario": None}) == (
        200,
        {"scenario": None},
    )
    assert await say(server, "ping") != "pong"


@pytest.mark.parametrize(
    ("body", "status", "expected"),
    [
        ({"scenario": "nope"}, 404, "no scenario named 'nope'; known: demo, other"),
        ({"scenario": 5}, 400, "string 'scenario'"),
        ({"scenario": ""}, 400, "string 'scenario'"),
        ({}, 400, "NAME or null"),
        ([1], 400, "NAME or null"),
        ("demo", 400, "NAME or null"),
    ],
)
async def test_active_scenario_bad_input(
    admin: Admin, body: Any, status: int, expected: str
) -> None:
    assert expected in await admin.error(status, "PUT", "/scenarios/active", body)
    assert await admin.call("GET", "/scenarios/active") == (200, {"scenario": None})


# --- rules at run time --------------------------------------------------------------------


async def test_added_rule_fires_next_and_removing_it_falls_through(
    admin: Admin, server: BackgroundServer
) -> None:
    await admin.call("POST", "/sessions", {"id": "rules", "scenario": "other"})
    assert await say(server, "tea?", "rules") != "tea time"  # generated: unmatched
    rule = {"name": "tea", "priority": 5, "when": {"last_user": "tea?"}, "reply": {"text": "tea"}}
    status, view = await admin.call("POST", "/scenarios/other/rules", rule)
    assert status == 201
    assert view["rules"] == ["fixed", "tea"]  # listed in file order, tried by priority
    assert view["source"].endswith("other.yaml:1")  # where it came from is kept
    assert await say(server, "tea?", "rules") == "tea"
    # A list of rules, in YAML.
    more = "- name: a\n  when: {last_user: a}\n  reply: {text: A}\n- name: b\n  reply: {text: B}\n"
    status, view = await admin.call(
        "POST", "/scenarios/other/rules", raw=more, content_type="application/x-yaml"
    )
    assert (status, view["rules"]) == (201, ["fixed", "tea", "a", "b"])
    assert await say(server, "a", "rules") == "A"
    status, view = await admin.call("DELETE", "/scenarios/other/rules/tea")
    assert (status, view["rules"]) == (200, ["fixed", "a", "b"])
    assert await say(server, "tea?", "rules") == "B"  # falls through to the catch-all
    await admin.call("DELETE", "/scenarios/other/rules/b")
    assert await say(server, "tea?", "rules") != "B"  # and now to the generated reply
    assert await say(server, "ping", "rules") == "pong"  # the file's rule is untouched


async def test_remove_unnamed_rule_by_index_label(admin: Admin) -> None:
    await admin.call(
        "POST", "/scenarios", {"scenario": "anon", "rules": [{"reply": {"text": "x"}}]}
    )
    status, view = await admin.call("GET", "/scenarios")
    assert next(s for s in view["scenarios"] if s["name"] == "anon")["rules"] == ["rules[0]"]
    status, view = await admin.call("DELETE", "/scenarios/anon/rules/rules[0]")
    assert (status, view["rules"]) == (200, [])


async def test_rules_round_trip_keeps_explicit_nulls(
    admin: Admin, server: BackgroundServer
) -> None:
    # `equals: null` is a condition; dropping the key on a rebuild made it an error.
    rule = {
        "name": "no-user",
        "priority": 9,
        "when": {"body": [{"path": "user", "equals": None}], "last_user": "who"},
        "reply": {"text": "anonymous"},
    }
    assert (await admin.call("POST", "/scenarios/other/rules", rule))[0] == 201
    assert (await admin.call("POST", "/scenarios/other/rules", {"reply": {"text": "z"}}))[0] == 201
    assert await say(server, "who") != "anonymous"  # default scenario is none
    await admin.call("PUT", "/scenarios/active", {"scenario": "other"})
    assert await say(server, "who") == "anonymous"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"reply": {"txt": "x"}}, "rules[3].reply.txt: unknown key 'txt' (did you mean 'text'?)"),
        ({"name": "greet", "reply": {"text": "x"}}, "duplicate rule name 'greet'"),
        ({"in_state": "nowhere", "reply": {"text": "x"}}, "state 'nowhere' is never entered"),
        ({"reply": {"error": "rate_limt"}}, "did you mean 'rate_limit'?"),
        ({"reply": {"text": "x"}, "times": 0}, "times"),
        ({"when": {"last_user": 5}, "reply": {"text": "x"}}, "last_user"),
        ({"name": "x"}, "give exactly one of 'reply' or 'replies'"),
        ([], "no rules given"),
        (5, "a rule is a JSON object"),
        ([{"reply": {"text": "ok"}}, "x"], "item 1 is not"),
    ],
)
async def test_invalid_rules_get_the_loaders_message(
    admin: Admin, body: Any, expected: str
) -> None:
    message = await admin.error(400, "POST", "/scenarios/demo/rules", body)
    assert expected in message
    _, view = await admin.call("GET", "/scenarios")
    demo = next(s for s in view["scenarios"] if s["name"] == "demo")
    assert demo["rules"] == ["greet", "after-finish", "finish"]  # unchanged


async def test_rules_on_unknown_scenario_or_rule(admin: Admin) -> None:
    message = await admin.error(404, "POST", "/scenarios/nope/rules", {"reply": {"text": "x"}})
    assert "no scenario named 'nope'" in message
    assert "no scenario named 'nope'" in await admin.error(
        404, "DELETE", "/scenarios/nope/rules/greet"
    )
    message = await admin.error(404, "DELETE", "/scenarios/demo/rules/missing")
    assert message == "scenario 'demo' has no rule 'missing'; rules: greet, after-finish, finish"
    assert "empty" in await admin.error(400, "POST", "/scenarios/demo/rules", raw="")


# --- sessions and state -------------------------------------------------------------------


async def test_sessions_isolate_state(admin: Admin, server: BackgroundServer) -> None:
    for name in ("iso-a", "iso-b"):
        status, body = await admin.call("POST", "/sessions", {"id": name, "scenario": "demo"})
        assert (status, body) == (
            201,
            {"id": name, "prefix": f"/session/{name}", "scenario": "demo"},
        )
    assert await say(server, "finish", "iso-a") == "finished"
    assert await say(server, "anything", "iso-a") == "state is done"
    assert await say_status(server, "anything", "iso-b") == 404  # iso-b is still in Started
    _, state = await admin.call("GET", "/sessions/iso-a/state")
    assert state == {
        "states": {"demo": "done"},
        "counters": {},
        "hits": {"demo/finish": 1, "demo/after-finish": 1},
    }
    _, state = await admin.call("GET", "/sessions/iso-b/state")
    assert state["states"] == {}
    # Reset forgets state and journal but keeps the session's scenario.
    assert await admin.call("POST", "/sessions/iso-a/reset") == (
        200,
        {"id": "iso-a", "reset": True},
    )
    assert await say_status(server, "anything", "iso-a") == 404
    assert await say(server, "hello", "iso-a") == "hi there"
    _, journal = await admin.call("GET", "/requests?session=iso-a")
    # The 404 is journaled with what decided it: no rule of the scenario matched.
    assert [e["rule"] for e in journal["requests"]] == ["<unmatched>", "greet"]


async def test_session_without_id_gets_one(admin: Admin, server: BackgroundServer) -> None:
    status, body = await admin.call("POST", "/sessions")
    assert status == 201
    assert body["prefix"] == f"/session/{body['id']}"
    status, again = await admin.call("POST", "/sessions", {"scenario": "other"})
    assert status == 201
    assert again["id"] != body["id"]
    assert await say(server, "ping", again["id"]) == "pong"


async def test_session_scenario_and_delete(admin: Admin, server: BackgroundServer) -> None:
    await admin.call("POST", "/sessions", {"id": "switch"})
    assert await say(server, "ping", "switch") != "pong"
    status, body = await admin.call("PUT", "/sessions/switch/scenario", {"scenario": "other"})
    assert (status, body) == (200, {"id": "switch", "scenario": "other"})
    assert await say(server, "ping", "switch") == "pong"
    assert await admin.call("DELETE", "/sessions/switch") == (
        200,
        {"id": "switch", "deleted": True},
    )
    assert await say(server, "ping", "switch") != "pong"  # its scenario is forgotten too
    assert await admin.call("DELETE", "/sessions/switch") == (
        200,
        {"id": "switch", "deleted": True},
    )


async def test_state_set_changes_which_rule_fires(admin: Admin, server: BackgroundServer) -> None:
    await admin.call("POST", "/sessions", {"id": "st", "scenario": "demo"})
    assert await say_status(server, "anything", "st") == 404
    status, state = await admin.call(
        "PUT", "/sessions/st/state", {"scenario": "demo", "state": "done", "counters": {"n": 3}}
    )
    assert status == 200
    assert state["states"] == {"demo": "done"}
    assert state["counters"] == {"n": 3}
    assert await say(server, "anything", "st") == "state is done"
    status, state = await admin.call("POST", "/sessions/st/state/reset")
    assert (status, state) == (200, {"states": {}, "counters": {}, "hits": {}})
    assert await say_status(server, "anything", "st") == 404


async def test_state_put_takes_back_what_get_returns(
    admin: Admin, server: BackgroundServer
) -> None:
    await admin.call("POST", "/sessions", {"id": "round", "scenario": "demo"})
    assert await say(server, "hello", "round") == "hi there"
    status, saved = await admin.call("GET", "/sessions/round/state")
    assert status == 200
    assert saved["hits"]
    assert (await admin.call("POST", "/sessions/round/state/reset"))[1]["hits"] == {}
    assert await admin.call("PUT", "/sessions/round/state", saved) == (200, saved)
    changed = {**saved, "counters": {"n": 5}}
    assert (await admin.call("PUT", "/sessions/round/state", changed))[1]["counters"] == {"n": 5}
    for bad, status, said in [
        ({"states": {"nope": "x"}}, 404, "no scenario named 'nope'"),
        ({"hits": {"demo": 1}}, 400, "'hits' keys are 'SCENARIO/RULE'"),
        ({"counters": {"n": True}}, 400, "'counters' must map names to whole numbers"),
        ({"stats": {}}, 400, "unknown key 'stats'"),
    ]:
        assert said in await admin.error(status, "PUT", "/sessions/round/state", bad)
    # A refused body changed nothing.
    assert (await admin.call("GET", "/sessions/round/state"))[1]["counters"] == {"n": 5}


async def test_sessions_used_by_requests_are_known(admin: Admin, server: BackgroundServer) -> None:
    assert await say(server, "hi", "implicit")
    assert (await admin.call("GET", "/sessions/implicit/state"))[0] == 200
    assert (await admin.call("GET", "/sessions/default/state"))[0] == 200


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "expected"),
    [
        ("POST", "/sessions", {"id": 5}, 400, "session id"),
        ("POST", "/sessions", {"id": "has/slash"}, 400, "session id"),
        ("POST", "/sessions", {"id": "x" * 513}, 400, "session id"),
        ("POST", "/sessions", {"id": "ok", "scenario": 7}, 400, "string 'scenario'"),
        ("POST", "/sessions", {"id": "ok", "scenario": "nope"}, 404, "no scenario named 'nope'"),
        ("POST", "/sessions", [1], 400, "expected a JSON object"),
        ("POST", "/sessions", "ok", 400, "expected a JSON object"),
        ("POST", "/sessions/ghost/reset", None, 404, "no session 'ghost'"),
        ("DELETE", "/sessions/ghost", None, 404, "no session 'ghost'"),
        ("GET", "/sessions/ghost/state", None, 404, "no session 'ghost'"),
        ("PUT", "/sessions/ghost/state", {"scenario": "demo", "state": "done"}, 404, "ghost"),
        ("POST", "/sessions/ghost/state/reset", None, 404, "no session 'ghost'"),
        ("PUT", "/sessions/ghost/scenario", {"scenario": "demo"}, 404, "no session 'ghost'"),
        ("GET", "/sessions/bad%0Aid/state", None, 400, "session id"),
        ("PUT", "/sessions/known/scenario", {}, 400, "string 'scenario'"),
        ("PUT", "/sessions/known/scenario", {"scenario": "nope"}, 404, "no scenario named"),
        ("PUT", "/sessions/known/state", {"scenario": "demo"}, 400, "string 'state'"),
        ("PUT", "/sessions/known/state", {"state": "done"}, 400, "string 'scenario'"),
        ("PUT", "/sessions/known/state", {"scenario": "nope", "state": "x"}, 404, "nope"),
        (
            "PUT",
            "/sessions/known/state",
            {"scenario": "demo", "state": "done", "counters": [1]},
            400,
            "'counters' must map names to whole numbers",
        ),
        (
            "PUT",
            "/sessions/known/state",
            {"scenario": "demo", "state": "done", "counters": {"n": True}},
            400,
            "whole numbers",
        ),
        (
            "PUT",
            "/sessions/known/state",
            {"scenario": "demo", "state": "done", "counters": {"n": 1.5}},
            400,
            "whole numbers",
        ),
        ("PUT", "/sessions/known/state", None, 400, "empty"),
    ],
)
async def test_session_bad_input(
    admin: Admin, method: str, path: str, body: Any, status: int, expected: str
) -> None:
    await admin.call("POST", "/sessions", {"id": "known"})
    assert expected in await admin.error(status, method, path, body)
    # Nothing half-applied.
    _, state = await admin.call("GET", "/sessions/known/state")
    assert state == {"states": {}, "counters": {}, "hits": {}}


# --- the journal --------------------------------------------------------------------------


async def test_requests_filters_since_and_limit(admin: Admin, server: BackgroundServer) -> None:
    await admin.call("POST", "/sessions", {"id": "j1", "scenario": "demo"})
    await admin.call("POST", "/sessions", {"id": "j2", "scenario": "other"})
    assert await say(server, "hello", "j1") == "hi there"
    assert await say_status(server, "nothing matches", "j1") == 404
    assert await say(server, "ping", "j2") == "pong"
    assert await say(server, "hello again", "j1") == "hi there"

    _, body = await admin.call("GET", "/requests")
    everything = body["requests"]
    assert [e["session"] for e in everything] == ["j1", "j1", "j2", "j1"]
    seqs = [e["seq"] for e in everything]
    assert seqs == sorted(seqs)
    first = everything[0]
    assert first["api"] == "openai"
    assert first["path"] == "/session/j1/v1/chat/completions"
    assert first["body"]["messages"] == [{"role": "user", "content": "hello"}]
    assert first["scenario"] == "demo"
    assert first["headers"]["Authorization"] == "[redacted]"

    async def rules(query: str) -> list[str | None]:
        status, found = await admin.call("GET", "/requests?" + query)
        assert status == 200
        return [e["rule"] for e in found["requests"]]

    assert await rules("session=j1") == ["greet", "<unmatched>", "greet"]
    assert await rules("session=j2") == ["fixed"]
    assert await rules("status=404") == ["<unmatched>"]
    assert await rules("rule=greet") == ["greet", "greet"]
    assert await rules("api=anthropic") == []
    assert await rules("api=openai&session=j1&status=200") == ["greet", "greet"]
    assert await rules(f"since={seqs[1]}") == ["fixed", "greet"]
    assert await rules("limit=2") == ["fixed", "greet"]  # the newest two
    assert await rules("limit=0") == []
    assert await rules("limit=100") == ["greet", "<unmatched>", "fixed", "greet"]
    assert await rules(f"since={seqs[0]}&limit=1&session=j1") == ["greet"]
    assert await rules("session=nobody") == []


@pytest.mark.parametrize("query", ["limit=abc", "since=1.5", "status=", "limit=-1", "since=1e3"])
@pytest.mark.parametrize("route", ["/requests", "/requests.jsonl", "/unmatched"])
async def test_bad_query_numbers(admin: Admin, route: str, query: str) -> None:
    message = await admin.error(400, "GET", f"{route}?{query}")
    assert "limit" in message


async def test_jsonl_export_parses_line_by_line(admin: Admin, server: BackgroundServer) -> None:
    await admin.call("POST", "/sessions", {"id": "jl", "scenario": "demo"})
    for text in ("hello", "hello there", "nope"):
        await say_status(server, text, "jl")
    status, text = await admin.call("GET", "/requests.jsonl?session=jl")
    assert status == 200
    assert text.endswith("\n")
    lines = [json.loads(line) for line in text.splitlines()]
    assert [e["status"] for e in lines] == [200, 200, 404]
    assert all(e["session"] == "jl" for e in lines)
    _, same = await admin.call("GET", "/requests?session=jl")
    assert lines == same["requests"]
    status, text = await admin.call("GET", "/requests.jsonl?session=nobody")
    assert (status, text) == (200, "")


async def test_unmatched_lists_near_misses(admin: Admin, server: BackgroundServer) -> None:
    await admin.call("POST", "/sessions", {"id": "nm", "scenario": "demo"})
    assert await say_status(server, "helo", "nm") == 404
    assert await say(server, "hello", "nm") == "hi there"
    status, body = await admin.call("GET", "/unmatched")
    assert status == 200
    (miss,) = body["unmatched"]
    assert miss["session"] == "nm"
    assert miss["path"] == "/session/nm/v1/chat/completions"
    report = miss["near_miss"]
    assert "greet" in report
    assert "hello" in report
    assert "helo" in report
    _, body = await admin.call("GET", f"/unmatched?since={miss['seq']}")
    assert body == {"unmatched": []}


async def test_global_reset(admin: Admin, server: BackgroundServer) -> None:
    await admin.call("POST", "/sessions", {"id": "g", "scenario": "demo"})
    assert await say(server, "finish", "g") == "finished"
    assert await say(server, "x") != ""
    status, body = await admin.call("POST", "/reset")
    assert status == 200
    assert body["reset"] is True
    assert await admin.call("GET", "/requests") == (200, {"requests": []})
    assert await admin.call("GET", "/unmatched") == (200, {"unmatched": []})
    assert "no session 'g'" in await admin.error(404, "GET", "/sessions/g/state")
    # The session's scenario is forgotten with it; its state too.
    assert await say(server, "hello", "g") != "hi there"
    _, state = await admin.call("GET", "/sessions/g/state")
    assert state["states"] == {}


async def test_unknown_admin_routes_are_admin_errors(admin: Admin) -> None:
    assert "no admin route GET /__mockgw/nope" in await admin.error(404, "GET", "/nope")
    assert "use POST" in await admin.error(405, "PATCH", "/reset")
    assert "GET" in await admin.error(405, "DELETE", "/requests")


# --- the admin token ----------------------------------------------------------------------


@pytest.fixture
def guarded(scenarios: Path) -> Iterator[BackgroundServer]:
    config = ServerConfig(port=0, scenarios_dir=scenarios, admin_token=TOKEN)
    with BackgroundServer(config) as running:
        yield running


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong", f"Bearer {TOKEN}x", TOKEN, f"Basic {TOKEN}", "Bearer ", "Bearer"],
)
async def test_admin_token_required(guarded: BackgroundServer, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization is not None else {}
    async with aiohttp.ClientSession() as http:
        admin = Admin(http, guarded.url)
        for method, path, body in [
            ("GET", "/version", None),
            ("GET", "/requests", None),
            ("POST", "/reset", None),
            ("POST", "/sessions", {"id": "x"}),
            ("GET", "/nope", None),
        ]:
            message = await admin.error(401, method, path, body, headers=headers)
            assert "Authorization: Bearer" in message
            assert TOKEN not in message


async def test_admin_token_accepted_and_health_open(guarded: BackgroundServer) -> None:
    async with aiohttp.ClientSession() as http:
        admin = Admin(http, guarded.url)
        good = {"Authorization": f"Bearer {TOKEN}"}
        assert (await admin.call("GET", "/version", headers=good))[0] == 200
        status, body = await admin.call("POST", "/sessions", {"id": "t"}, headers=good)
        assert (status, body["id"]) == (201, "t")
        assert (await admin.call("GET", "/requests", headers=good))[0] == 200
        status, body = await admin.call("GET", "/health")
        assert (status, body["status"]) == (200, "ok")
    # The API itself is not behind the admin token.
    assert await say(guarded, "hello") != ""
