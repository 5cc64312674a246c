"""Which scenario and session a request is for.

Strongest first: a URL prefix (``/s/NAME/v1/...``, ``/session/ID/v1/...``), because
some clients can set nothing but a base URL; then the headers; then the scenario a
session was given (by the pytest fixture or the admin API); then the server's
``--scenario``, which the engine applies when this module finds nothing.
"""

from __future__ import annotations

import re

from aiohttp import web

from mockgw.scenarios.engine import DEFAULT_SESSION
from mockgw.state.runtime import SESSION_ID_RULE, Runtime, valid_session_id

__all__ = [
    "DEFAULT_SESSION",
    "SESSION_ID_RULE",
    "chosen_scenario",
    "chosen_session",
    "valid_session_id",
]

SCENARIO_HEADER = "X-Mockgw-Scenario"
SESSION_HEADER = "X-Mockgw-Session"

# Every API route is also served under these prefixes.
PREFIXES = ("", "/s/{scenario}", "/session/{session}", "/session/{session}/s/{scenario}")


def chosen_session(request: web.Request) -> str:
    """The session id the request names; the caller checks it (``valid_session_id``):
    one rule for the prefix, the header and the admin API."""
    return (
        request.match_info.get("session") or request.headers.get(SESSION_HEADER) or DEFAULT_SESSION
    )


def chosen_scenario(request: web.Request, runtime: Runtime, session: str) -> str | None:
    explicit = request.match_info.get("scenario") or request.headers.get(SCENARIO_HEADER)
    return explicit or runtime.scenario_of(session)


_PREFIX = re.compile(r"^(?:/session/[^/]+)?(?:/s/[^/]+)?(?=/)")


def api_path(request: web.Request) -> str:
    """The request's path without the session and scenario prefixes."""
    return _PREFIX.sub("", request.path, count=1)


def with_prefixes(routes: list[web.RouteDef]) -> list[web.RouteDef]:
    return [
        web.route(route.method, prefix + route.path, route.handler)
        for route in routes
        for prefix in PREFIXES
    ]
