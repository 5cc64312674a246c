"""The admin API under ``/__mockgw/``: for CI jobs and clients in any language.

Everything the pytest fixture does is reachable here: choose scenarios, add and
remove rules at run time, create and reset sessions, read and set scenario state,
read the journal (filtered, or as JSONL) and the near misses of unmatched requests.
Bad input gets a 4xx with a message that says what was wrong. Every route but health,
and every path under the prefix that no route serves, passes the :class:`AdminGuard`
first (Host, Origin, then ``--admin-token``).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

import yaml
from aiohttp import web

from mockgw._version import __version__
from mockgw.errors import BodyProblem, MockgwError
from mockgw.scenarios.engine import UNMATCHED, Engine
from mockgw.scenarios.loader import LoadedScenario, ScenarioLoadError, load_text
from mockgw.state.runtime import SESSION_ID_RULE, Runtime, valid_session_id
from mockgw.web.admin_guard import AdminGuard
from mockgw.web.body import read_body
from mockgw.web.journal_export import send_json, send_jsonl
from mockgw.web.metrics import metrics_handler

PREFIX = "/__mockgw"
# Scenario files and state documents, not prompts: far below the API's body limit.
_MAX_BODY_BYTES = 8 * 1024 * 1024
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class AdminError(MockgwError):
    """An admin request refused with ``status`` and a message saying why."""

    def __init__(self, status: int, message: str, **details: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.details = details


def _error(status: int, message: str, **details: Any) -> web.Response:
    return web.json_response(
        {"error": {"message": message, "type": "mockgw_admin_error", **details}}, status=status
    )


def guarded(handler: Handler, guard: AdminGuard) -> Handler:
    """The guard's checks, and AdminError -> a JSON 4xx, around one admin handler.

    A wrapper per route rather than a middleware: middlewares run for every request,
    and the API endpoints must not pay for the admin API. :func:`routes` wraps every
    admin route in it, and :func:`unrouted` runs the same guard.
    """

    async def run(request: web.Request) -> web.StreamResponse:
        refused = guard.refusal(request)
        if refused is not None:
            return refused
        try:
            return await handler(request)
        except AdminError as exc:
            return _error(exc.status, exc.message, **exc.details)
        except ScenarioLoadError as exc:
            problems = [str(p) for p in exc.problems]
            return _error(400, "invalid scenario: " + "; ".join(problems), problems=problems)

    return run


def unrouted(request: web.Request, guard: AdminGuard) -> web.Response:
    """An admin-shaped 404 or 405 for a request under /__mockgw/ that no route serves.

    Guarded too: which paths exist is not for a rebound page or a missing token.
    """
    refused = guard.refusal(request)
    if refused is not None:
        return refused
    allowed = sorted(
        {
            route.method
            for resource in request.app.router.resources()
            if resource.canonical.startswith(PREFIX + "/")
            and resource_matches(resource, request.path)
            for route in resource
        }
    )
    if allowed:
        return _error(405, f"{request.method} is not allowed here; use {', '.join(allowed)}")
    return _error(404, f"no admin route {request.method} {request.path}")


def resource_matches(resource: web.AbstractResource, path: str) -> bool:
    """Whether ``resource`` serves ``path`` (for the methods an ``Allow`` lists)."""
    info = resource.get_info()
    pattern = info.get("pattern")
    if pattern is not None:
        return bool(pattern.fullmatch(path))
    return info.get("path") == path


def _is_yaml(request: web.Request) -> bool:
    return "yaml" in request.content_type


async def _text(request: web.Request) -> str:
    try:
        raw = await read_body(request, limit=_MAX_BODY_BYTES)
    except BodyProblem as problem:
        status = {"too_large": 413, "timeout": 408}.get(problem.kind, 400)
        raise AdminError(status, f"the request body cannot be read: {problem}") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        # request.text() would raise this out of the handler: a 500.
        raise AdminError(400, f"the request body is not UTF-8: {exc}") from None


async def _payload(request: web.Request) -> Any:
    """The request body as JSON, or YAML when the content type says so."""
    raw = await _text(request)
    if not raw.strip():
        raise AdminError(400, "the request body is empty")
    try:
        if _is_yaml(request):
            return yaml.safe_load(raw)
        return json.loads(raw)
    except (ValueError, RecursionError, yaml.YAMLError) as exc:
        kind = "YAML" if _is_yaml(request) else "JSON"
        raise AdminError(400, f"the request body is not valid {kind}: {exc}") from None


def _session_id(request: web.Request) -> str:
    session = request.match_info["session"]
    if not valid_session_id(session):
        raise AdminError(400, SESSION_ID_RULE)
    return session


_STATE_BODY = (
    'expected {"states"?: {SCENARIO: STATE}, "counters"?: {NAME: N}, "hits"?: '
    '{"SCENARIO/RULE": N}} (what GET returns), or {"scenario": NAME, "state": STATE}'
)


def _named_strings(value: Any, key: str) -> dict[str, str]:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and v for k, v in value.items()
    ):
        raise AdminError(400, f"'{key}' must map scenario names to state names")
    return dict(value)


def _counts(value: Any, key: str) -> dict[str, int]:
    # bool is an int subclass, but "true" is not a count.
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool)
        for k, v in value.items()
    ):
        raise AdminError(400, f"'{key}' must map names to whole numbers")
    return dict(value)


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


def _rebuilt(runtime: Runtime, name: str, rules: list[Any], *, added: int = 0) -> None:
    """Replace scenario ``name``'s rules, keeping everything else about it.

    ``rules`` are plain data (the last ``added`` of them as the client sent them); the
    whole scenario goes through the loader, so new rules get the same checks and the
    same messages (unknown keys with the nearest valid one, states, templates, presets)
    as rules in a file.
    """
    engine = runtime.engine
    compiled = engine.get(name)
    assert compiled is not None
    document = {
        "scenario": name,
        "unmatched": compiled.unmatched,
        "limits": compiled.limits.model_dump(mode="json", exclude_unset=True)
        if compiled.limits
        else None,
        "rules": rules,
    }
    try:
        (loaded,) = load_text(
            yaml.safe_dump(document), name=f"<admin: {name}>", apis=engine.apis
        ).values()
    except ScenarioLoadError as exc:
        # Line numbers of a document the client never saw would only confuse.
        problems = [p.message for p in exc.problems]
        existing = len(rules) - added
        where = f" (the new ones start at rules[{existing}])" if added else ""
        raise AdminError(
            400,
            f"invalid rules for scenario '{name}'{where}: " + "; ".join(problems),
            problems=problems,
        ) from None
    # Keep where the scenario came from; its source is "file:line".
    file, _, line = compiled.source.rpartition(":")
    runtime.add_scenario(LoadedScenario(loaded.scenario, file, int(line) if line.isdigit() else 1))


def _current_rules(engine: Engine, name: str) -> list[tuple[str, Any]]:
    """(label, plain data) of each rule of ``name``, in file order."""
    compiled = engine.get(name)
    assert compiled is not None
    # exclude_unset, not exclude_defaults: validators look at which keys were given
    # (``equals: null`` is a condition; without the key it is an error).
    return [
        (r.label, r.rule.model_dump(mode="json", by_alias=True, exclude_unset=True))
        for r in sorted(compiled.rules, key=lambda r: r.index)
    ]


def routes(  # noqa: C901 (nested small handlers, one table; not one branching function)
    runtime: Runtime, guard: AdminGuard
) -> list[web.RouteDef]:
    engine, journal = runtime.engine, runtime.journal

    def _existing_session(request: web.Request) -> str:
        session = _session_id(request)
        if not runtime.knows(session):
            raise AdminError(
                404,
                f"no session '{session}': create it with POST {PREFIX}/sessions, "
                f"or send a request under /session/{session}/",
            )
        return session

    async def version(request: web.Request) -> web.Response:  # noqa: ARG001 (aiohttp's signature)
        return web.json_response({"version": __version__})

    async def list_scenarios(request: web.Request) -> web.Response:  # noqa: ARG001 (aiohttp's signature)
        return web.json_response(
            {
                "default": engine.default,
                "scenarios": [_scenario_view(engine, n) for n in engine.names],
            }
        )

    async def add_scenarios(request: web.Request) -> web.Response:
        if _is_yaml(request):
            # The loader reads the text itself: its line numbers are the client's, a
            # body may hold several documents, and duplicate keys are reported.
            text = await _text(request)
            if not text.strip():
                raise AdminError(400, "the request body is empty")
        else:
            payload = await _payload(request)
            text = yaml.safe_dump_all(payload if isinstance(payload, list) else [payload])
        loaded = load_text(text, name="<admin>", apis=engine.apis)
        if not loaded:
            raise AdminError(400, "the request body holds no scenario")
        for item in loaded.values():
            runtime.add_scenario(item)
        return web.json_response({"added": sorted(loaded)}, status=201)

    async def get_active(request: web.Request) -> web.Response:  # noqa: ARG001 (aiohttp's signature)
        return web.json_response({"scenario": engine.default})

    async def set_active(request: web.Request) -> web.Response:
        payload = await _payload(request)
        if not isinstance(payload, dict) or "scenario" not in payload:
            raise AdminError(400, 'expected a JSON object {"scenario": NAME or null}')
        name = payload["scenario"]
        if name is not None:
            _known(engine, _field(payload, "scenario"))
        runtime.set_default(name)
        return web.json_response({"scenario": name})

    async def add_rules(request: web.Request) -> web.Response:
        name = request.match_info["name"]
        _known(engine, name)
        payload = await _payload(request)
        items = payload if isinstance(payload, list) else [payload]
        if not items:
            raise AdminError(400, "no rules given: send one rule object or a list of them")
        bad = [i for i, item in enumerate(items) if not isinstance(item, dict)]
        if bad:
            raise AdminError(400, f"a rule is a JSON object; item {bad[0]} is not")
        current = [data for _, data in _current_rules(engine, name)]
        _rebuilt(runtime, name, current + items, added=len(items))
        return web.json_response(_scenario_view(engine, name), status=201)

    async def remove_rule(request: web.Request) -> web.Response:
        name, label = request.match_info["name"], request.match_info["rule"]
        _known(engine, name)
        current = _current_rules(engine, name)
        if label not in {lab for lab, _ in current}:
            labels = ", ".join(lab for lab, _ in current) or "none"
            raise AdminError(404, f"scenario '{name}' has no rule '{label}'; rules: {labels}")
        _rebuilt(runtime, name, [data for lab, data in current if lab != label])
        return web.json_response(_scenario_view(engine, name))

    async def create_session(request: web.Request) -> web.Response:
        payload = await _payload(request) if request.can_read_body else {}
        if not isinstance(payload, dict):
            raise AdminError(400, 'expected a JSON object {"id"?: ID, "scenario"?: NAME}')
        session = payload.get("id")
        session = uuid.uuid4().hex if session is None else session
        if not valid_session_id(session):
            raise AdminError(400, SESSION_ID_RULE)
        scenario = payload.get("scenario")
        if scenario is not None:
            _known(engine, _field(payload, "scenario"))
        runtime.create_session(session, scenario=scenario)
        return web.json_response(
            {"id": session, "prefix": f"/session/{quote(session, safe='')}", "scenario": scenario},
            status=201,
        )

    async def reset_session(request: web.Request) -> web.Response:
        session = _existing_session(request)
        runtime.reset_session(session)  # reset, not forgotten: it stays known
        return web.json_response({"id": session, "reset": True})

    async def delete_session(request: web.Request) -> web.Response:
        session = _existing_session(request)
        runtime.close_session(session)
        return web.json_response({"id": session, "deleted": True})

    async def session_scenario(request: web.Request) -> web.Response:
        session = _existing_session(request)
        name = _field(await _payload(request), "scenario")
        _known(engine, name)
        runtime.choose(session, name)
        return web.json_response({"id": session, "scenario": name})

    async def get_state(request: web.Request) -> web.Response:
        state = engine.session(_existing_session(request))
        return web.json_response(
            {
                "states": dict(state.states),
                "counters": dict(state.counters),
                "hits": {f"{s}/{r}": n for (s, r), n in state.hits.items()},
            }
        )

    async def set_state(request: web.Request) -> web.Response:
        """Set states, counters and firings. The body is what GET returns (any of
        ``states``, ``counters``, ``hits``), or one scenario's ``{"scenario", "state"}``."""
        session = _existing_session(request)
        payload = await _payload(request)
        if not isinstance(payload, dict):
            raise AdminError(400, _STATE_BODY)
        states = _named_strings(payload.get("states", {}), "states")
        if "scenario" in payload or "state" in payload:
            states[_field(payload, "scenario")] = _field(payload, "state")
        counters = _counts(payload.get("counters", {}), "counters")
        hits = _counts(payload.get("hits", {}), "hits")
        unknown = sorted(set(payload) - {"scenario", "state", "states", "counters", "hits"})
        if unknown:
            raise AdminError(400, f"unknown key '{unknown[0]}': {_STATE_BODY}")
        # Checked before anything changes: a bad request must not half-apply.
        for name in states:
            _known(engine, name)
        firings = {}
        for key in hits:
            scenario, slash, rule = key.partition("/")
            if not slash or not rule:
                raise AdminError(400, f"'hits' keys are 'SCENARIO/RULE'; got '{key}'")
            _known(engine, scenario)
            firings[(scenario, rule)] = hits[key]
        state = engine.session(session)
        state.states.update(states)
        state.counters.update(counters)
        state.hits.update(firings)
        return await get_state(request)

    async def reset_state(request: web.Request) -> web.Response:
        runtime.reset_state(_existing_session(request))
        return await get_state(request)

    def _filters(request: web.Request) -> dict[str, Any]:
        query = request.query
        try:
            numbers = {k: int(query[k]) for k in ("status", "since", "limit") if k in query}
        except ValueError:
            raise AdminError(400, "status, since and limit must be whole numbers") from None
        if numbers.get("limit", 0) < 0:
            raise AdminError(400, "limit must be 0 or more")
        text = {k: query[k] for k in ("session", "api", "rule") if k in query}
        return {**numbers, **text}

    async def requests(request: web.Request) -> web.StreamResponse:
        # Streamed: the journal may hold hundreds of megabytes (--journal-bytes).
        return await send_json(request, journal.query(**_filters(request)))

    async def requests_jsonl(request: web.Request) -> web.StreamResponse:
        return await send_jsonl(request, journal.query(**_filters(request)))

    async def unmatched(request: web.Request) -> web.Response:
        entries = journal.query(**_filters(request))
        misses = [e for e in entries if e.rule == UNMATCHED]
        return web.json_response(
            {
                "unmatched": [
                    {"seq": e.seq, "session": e.session, "path": e.path, "near_miss": e.error}
                    for e in misses
                ]
            }
        )

    async def reset_all(request: web.Request) -> web.Response:  # noqa: ARG001 (aiohttp's signature)
        runtime.reset()
        return web.json_response({"reset": True, "at": time.time()})

    p = PREFIX
    table = [
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
        web.get(f"{p}/metrics", metrics_handler(runtime)),
    ]
    # Every admin route (the metrics scrape and any page added here) behind the guard.
    return [web.route(r.method, r.path, guarded(r.handler, guard)) for r in table]
