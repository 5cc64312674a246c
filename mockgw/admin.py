"""The admin API under ``/__mockgw/``: for CI jobs and clients in any language.

Everything the pytest fixture does is reachable here: choose scenarios, add and
remove rules at run time, create and reset sessions, read and set scenario state,
read the journal (filtered, or as JSONL) and the near misses of unmatched requests.
Bad input gets a 4xx with a message that says what was wrong; with ``--admin-token``
every route but health needs ``Authorization: Bearer <token>``.
"""

from __future__ import annotations

import hmac
import json
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import yaml
from aiohttp import web
from aiohttp.typedefs import Middleware
from pydantic import ValidationError

from mockgw._version import __version__
from mockgw.cache import PromptCache
from mockgw.journal import JOURNAL
from mockgw.scenarios.engine import Engine
from mockgw.scenarios.loader import LoadedScenario, ScenarioLoadError, load_text
from mockgw.scenarios.model import Rule, Scenario
from mockgw.selection import SESSION_SCENARIOS

PREFIX = "/__mockgw"
_SESSION_ID = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class AdminError(Exception):
    def __init__(self, status: int, message: str, **details: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.details = details


def _error(status: int, message: str, **details: Any) -> web.Response:
    return web.json_response(
        {"error": {"message": message, "type": "mockgw_admin_error", **details}}, status=status
    )


def admin_guard(token: str | None) -> Middleware:
    """Middleware: the token check, and AdminError -> a JSON 4xx for admin routes."""

    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not request.path.startswith(PREFIX + "/"):
            return await handler(request)
        if token and request.path != f"{PREFIX}/health":
            given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
            if not hmac.compare_digest(given.encode(), token.encode()):
                return _error(401, "the admin API needs 'Authorization: Bearer <admin token>'")
        try:
            return await handler(request)
        except AdminError as exc:
            return _error(exc.status, exc.message, **exc.details)
        except ScenarioLoadError as exc:
            problems = [str(p) for p in exc.problems]
            return _error(400, "invalid scenario: " + "; ".join(problems), problems=problems)

    return guard


async def _payload(request: web.Request) -> Any:
    """The request body as JSON, or YAML when the content type says so."""
    raw = await request.text()
    if not raw.strip():
        raise AdminError(400, "the request body is empty")
    try:
        if "yaml" in request.content_type:
            return yaml.safe_load(raw)
        return json.loads(raw)
    except (ValueError, yaml.YAMLError) as exc:
        kind = "YAML" if "yaml" in request.content_type else "JSON"
        raise AdminError(400, f"the request body is not valid {kind}: {exc}") from None


def _session_id(request: web.Request) -> str:
    session = request.match_info["session"]
    if not _SESSION_ID.match(session):
        raise AdminError(400, "a session id is 1-100 letters, digits, '_', '.' or '-'")
    return session


def _field(payload: Any, name: str) -> str:
    value = payload.get(name) if isinstance(payload, dict) else None
    if not isinstance(value, str) or not value:
        raise AdminError(400, f"expected a JSON object with a string '{name}'")
    return value


def _scenario_view(engine: Engine, name: str) -> dict[str, Any]:
    compiled = engine.get(name)
    assert compiled is not None
    return {
        "name": compiled.name,
        "source": compiled.source,
        "unmatched": compiled.unmatched,
        "rules": [r.label for r in sorted(compiled.rules, key=lambda r: r.index)],
        "limits": compiled.limits.model_dump() if compiled.limits else None,
    }


def _known(engine: Engine, name: str) -> None:
    if engine.get(name) is None:
        raise AdminError(404, f"no scenario named '{name}'; known: {', '.join(engine.names)}")


def _rebuilt(engine: Engine, name: str, rules: list[Rule]) -> None:
    """Replace scenario ``name``'s rules, keeping everything else about it."""
    compiled = engine.get(name)
    assert compiled is not None
    scenario = Scenario.model_validate(
        {
            "scenario": name,
            "unmatched": compiled.unmatched,
            "limits": compiled.limits,
            "rules": rules,
        }
    )
    # Re-load through the loader so its checks (states, templates, presets) apply too.
    text = yaml.safe_dump(scenario.model_dump(mode="json", by_alias=True, exclude_defaults=True))
    (loaded,) = load_text(text, name=f"<admin: {name}>").values()
    engine.add(LoadedScenario(loaded.scenario, compiled.source, 1))


def routes(engine: Engine, cache: PromptCache) -> list[web.RouteDef]:
    async def version(request: web.Request) -> web.Response:
        return web.json_response({"version": __version__})

    async def list_scenarios(request: web.Request) -> web.Response:
        return web.json_response(
            {
                "default": engine.default,
                "scenarios": [_scenario_view(engine, n) for n in engine.names],
            }
        )

    async def add_scenarios(request: web.Request) -> web.Response:
        payload = await _payload(request)
        text = yaml.safe_dump_all(payload if isinstance(payload, list) else [payload])
        loaded = load_text(text, name="<admin>")
        for item in loaded.values():
            engine.add(item)
        return web.json_response({"added": sorted(loaded)}, status=201)

    async def get_active(request: web.Request) -> web.Response:
        return web.json_response({"scenario": engine.default})

    async def set_active(request: web.Request) -> web.Response:
        payload = await _payload(request)
        name = payload.get("scenario") if isinstance(payload, dict) else None
        if name is not None:
            _known(engine, _field(payload, "scenario"))
        engine.default = name
        return web.json_response({"scenario": name})

    async def add_rules(request: web.Request) -> web.Response:
        name = request.match_info["name"]
        _known(engine, name)
        payload = await _payload(request)
        items = payload if isinstance(payload, list) else [payload]
        try:
            new = [Rule.model_validate(item) for item in items]
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise AdminError(400, f"invalid rule: {where}: {first['msg']}") from None
        compiled = engine.get(name)
        assert compiled is not None
        current = [r.rule for r in sorted(compiled.rules, key=lambda r: r.index)]
        _rebuilt(engine, name, current + new)
        return web.json_response(_scenario_view(engine, name), status=201)

    async def remove_rule(request: web.Request) -> web.Response:
        name, label = request.match_info["name"], request.match_info["rule"]
        _known(engine, name)
        compiled = engine.get(name)
        assert compiled is not None
        ordered = sorted(compiled.rules, key=lambda r: r.index)
        if label not in {r.label for r in ordered}:
            labels = ", ".join(r.label for r in ordered)
            raise AdminError(404, f"scenario '{name}' has no rule '{label}'; rules: {labels}")
        _rebuilt(engine, name, [r.rule for r in ordered if r.label != label])
        return web.json_response(_scenario_view(engine, name))

    async def create_session(request: web.Request) -> web.Response:
        payload = await _payload(request) if request.can_read_body else {}
        session = (payload or {}).get("id") if isinstance(payload, dict) else None
        session = session or uuid.uuid4().hex
        if not isinstance(session, str) or not _SESSION_ID.match(session):
            raise AdminError(400, "a session id is 1-100 letters, digits, '_', '.' or '-'")
        scenario = payload.get("scenario") if isinstance(payload, dict) else None
        if scenario is not None:
            _known(engine, _field(payload, "scenario"))
            request.app[SESSION_SCENARIOS][session] = scenario
        engine.session(session)
        return web.json_response(
            {"id": session, "prefix": f"/session/{session}", "scenario": scenario}, status=201
        )

    async def reset_session(request: web.Request) -> web.Response:
        session = _session_id(request)
        engine.reset_session(session)
        request.app[JOURNAL].clear(session)
        return web.json_response({"id": session, "reset": True})

    async def delete_session(request: web.Request) -> web.Response:
        session = _session_id(request)
        engine.reset_session(session)
        request.app[JOURNAL].clear(session)
        request.app[SESSION_SCENARIOS].pop(session, None)
        return web.json_response({"id": session, "deleted": True})

    async def session_scenario(request: web.Request) -> web.Response:
        session = _session_id(request)
        name = _field(await _payload(request), "scenario")
        _known(engine, name)
        request.app[SESSION_SCENARIOS][session] = name
        return web.json_response({"id": session, "scenario": name})

    async def get_state(request: web.Request) -> web.Response:
        state = engine.session(_session_id(request))
        return web.json_response(
            {
                "states": dict(state.states),
                "counters": dict(state.counters),
                "hits": {f"{s}/{r}": n for (s, r), n in state.hits.items()},
            }
        )

    async def set_state(request: web.Request) -> web.Response:
        payload = await _payload(request)
        scenario, value = _field(payload, "scenario"), _field(payload, "state")
        _known(engine, scenario)
        state = engine.session(_session_id(request))
        state.states[scenario] = value
        counters = payload.get("counters", {})
        if not isinstance(counters, dict) or not all(
            isinstance(k, str) and isinstance(v, int) for k, v in counters.items()
        ):
            raise AdminError(400, "'counters' must map names to whole numbers")
        state.counters.update(counters)
        return await get_state(request)

    async def reset_state(request: web.Request) -> web.Response:
        engine.reset_session(_session_id(request))
        return await get_state(request)

    def _filters(request: web.Request) -> dict[str, Any]:
        query = request.query
        try:
            numbers = {k: int(query[k]) for k in ("status", "since", "limit") if k in query}
        except ValueError:
            raise AdminError(400, "status, since and limit must be whole numbers") from None
        text = {k: query[k] for k in ("session", "api", "rule") if k in query}
        return {**numbers, **text}

    async def requests(request: web.Request) -> web.Response:
        entries = request.app[JOURNAL].query(**_filters(request))
        return web.json_response({"requests": [e.to_json() for e in entries]})

    async def requests_jsonl(request: web.Request) -> web.Response:
        entries = request.app[JOURNAL].query(**_filters(request))
        lines = "".join(json.dumps(e.to_json()) + "\n" for e in entries)
        return web.Response(text=lines, content_type="application/x-ndjson")

    async def unmatched(request: web.Request) -> web.Response:
        entries = request.app[JOURNAL].query(**_filters(request))
        misses = [e for e in entries if e.code == "mockgw_no_match"]
        return web.json_response(
            {
                "unmatched": [
                    {"seq": e.seq, "session": e.session, "path": e.path, "near_miss": e.error}
                    for e in misses
                ]
            }
        )

    async def reset_all(request: web.Request) -> web.Response:
        engine.reset_all()
        request.app[JOURNAL].clear()
        request.app[SESSION_SCENARIOS].clear()
        cache.clear()
        return web.json_response({"reset": True, "at": time.time()})

    p = PREFIX
    return [
        web.get(f"{p}/version", version),
        web.get(f"{p}/scenarios", list_scenarios),
        web.post(f"{p}/scenarios", add_scenarios),
        web.get(f"{p}/scenarios/active", get_active),
        web.put(f"{p}/scenarios/active", set_active),
        web.post(f"{p}/scenarios/{{name}}/rules", add_rules),
        web.delete(f"{p}/scenarios/{{name}}/rules/{{rule}}", remove_rule),
        web.post(f"{p}/sessions", create_session),
        web.post(f"{p}/sessions/{{session}}/reset", reset_session),
        web.delete(f"{p}/sessions/{{session}}", delete_session),
        web.put(f"{p}/sessions/{{session}}/scenario", session_scenario),
        web.get(f"{p}/sessions/{{session}}/state", get_state),
        web.put(f"{p}/sessions/{{session}}/state", set_state),
        web.post(f"{p}/sessions/{{session}}/state/reset", reset_state),
        web.get(f"{p}/requests", requests),
        web.get(f"{p}/requests.jsonl", requests_jsonl),
        web.get(f"{p}/unmatched", unmatched),
        web.post(f"{p}/reset", reset_all),
    ]
