"""Which scenario and session a request is for.

Strongest first: a URL prefix (``/s/NAME/v1/...``, ``/session/ID/v1/...``), because
some clients can set nothing but a base URL; then the headers; then the scenario a
session was given (by the pytest fixture or the admin API); then the server's
``--scenario``, which the engine applies when this module finds nothing.
"""

from __future__ import annotations

from aiohttp import web

DEFAULT_SESSION = "default"
SCENARIO_HEADER = "X-Mockgw-Scenario"
SESSION_HEADER = "X-Mockgw-Session"

# Every API route is also served under these prefixes.
PREFIXES = ("", "/s/{scenario}", "/session/{session}", "/session/{session}/s/{scenario}")


class SessionScenarios(dict[str, str]):
    """session id -> the scenario chosen for it (by a fixture or the admin API)."""


SESSION_SCENARIOS = web.AppKey("session_scenarios", SessionScenarios)


def chosen_session(request: web.Request) -> str:
    return (
        request.match_info.get("session") or request.headers.get(SESSION_HEADER) or DEFAULT_SESSION
    )


def chosen_scenario(request: web.Request) -> str | None:
    explicit = request.match_info.get("scenario") or request.headers.get(SCENARIO_HEADER)
    if explicit:
        return explicit
    by_session = request.app.get(SESSION_SCENARIOS)
    return by_session.get(chosen_session(request)) if by_session else None


def with_prefixes(routes: list[web.RouteDef]) -> list[web.RouteDef]:
    return [
        web.route(route.method, prefix + route.path, route.handler)
        for route in routes
        for prefix in PREFIXES
    ]
