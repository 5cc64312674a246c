"""The admin guard over HTTP: Host (DNS rebinding), Origin (CSRF), then the token.

Each case sends the request a web page in a browser would send (``Origin``, a rebound
``Host``) with a raw client, so that nothing normalises the headers on the way.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence

import pytest
from aiohttp import hdrs, web

from mockgw.background import BackgroundServer
from mockgw.config import ServerConfig
from mockgw.errors import ConfigError
from mockgw.web.app import build_app
from tests.functional.raw_http import RawResponse, send

EVIL = "http://evil.example"
SCENARIO = b"scenario: planted\nrules:\n  - reply: {text: pwned}\n"
TOKEN = "guard-token-for-tests"


@pytest.fixture
def server() -> Iterator[BackgroundServer]:
    with BackgroundServer(ServerConfig(port=0, library=False)) as running:
        yield running


def _send(
    server: BackgroundServer,
    method: str,
    path: str,
    headers: Sequence[tuple[str, str | bytes]] = (),
    body: bytes = b"",
) -> RawResponse:
    raw = [(name, value if isinstance(value, bytes) else value.encode()) for name, value in headers]
    return send(server.url, method, path, raw, body)


def _scenario_names(server: BackgroundServer) -> list[str]:
    listing = _send(server, "GET", "/__mockgw/scenarios").json()
    return [s["name"] for s in listing["scenarios"]]


def _message(response: RawResponse) -> str:
    body = response.json()
    assert body["error"]["type"] == "mockgw_admin_error"
    return str(body["error"]["message"])


# --- CSRF ------------------------------------------------------------------------------


def test_a_cross_origin_text_plain_post_cannot_plant_a_scenario(server: BackgroundServer) -> None:
    # text/plain needs no CORS preflight: a page can send it. Before the guard: 201.
    headers = [("Origin", EVIL), ("Content-Type", "text/plain")]
    answer = _send(server, "POST", "/__mockgw/scenarios", headers, SCENARIO)
    assert answer.status == 403
    assert "--allow-host evil.example" in _message(answer)
    assert "planted" not in _scenario_names(server)


def test_a_cross_origin_reset_is_refused_and_changes_nothing(server: BackgroundServer) -> None:
    _send(server, "POST", "/v1/chat/completions", [("Authorization", "Bearer k")], b"{}")
    before = _send(server, "GET", "/__mockgw/requests").json()["requests"]
    assert before
    answer = _send(server, "POST", "/__mockgw/reset", [("Origin", EVIL)])
    assert answer.status == 403
    assert _send(server, "GET", "/__mockgw/requests").json()["requests"] == before


def test_clients_that_send_no_origin_pass(server: BackgroundServer) -> None:
    headers = [("Content-Type", "application/yaml")]
    assert _send(server, "POST", "/__mockgw/scenarios", headers, SCENARIO).status == 201
    assert "planted" in _scenario_names(server)


@pytest.mark.parametrize(
    "origin",
    ["http://localhost:5173", "http://127.0.0.1:3000", "http://[::1]:8000", "http://app.localhost"],
)
def test_local_pages_may_change_state(server: BackgroundServer, origin: str) -> None:
    assert _send(server, "POST", "/__mockgw/reset", [("Origin", origin)]).status == 200


def test_a_page_of_the_same_host_may_change_state(server: BackgroundServer) -> None:
    # The admin page served by mockgw itself, reached by a LAN address (--host 0.0.0.0).
    same = [("Host", "192.0.2.7:8080"), ("Origin", "http://192.0.2.7:8080")]
    assert _send(server, "POST", "/__mockgw/reset", same).status == 200
    other = [("Host", "192.0.2.7:8080"), ("Origin", "http://192.0.2.8")]
    assert _send(server, "POST", "/__mockgw/reset", other).status == 403


@pytest.mark.parametrize("origin", ["null", "not a url", "http://[::1", "\u00e9vil"])
def test_opaque_or_broken_origins_are_refused_not_a_500(
    server: BackgroundServer, origin: str
) -> None:
    answer = _send(server, "PUT", "/__mockgw/scenarios/active", [("Origin", origin.encode())])
    assert answer.status == 403
    assert "Origin" in _message(answer)


def test_reading_is_not_an_origin_matter(server: BackgroundServer) -> None:
    # A cross-origin page cannot read the answer (no CORS headers); GET changes nothing.
    assert _send(server, "GET", "/__mockgw/version", [("Origin", EVIL)]).status == 200


# --- DNS rebinding ---------------------------------------------------------------------


def test_a_rebound_host_cannot_read_the_journal(server: BackgroundServer) -> None:
    # Before the guard: 200 with the whole journal.
    answer = _send(server, "GET", "/__mockgw/requests", [("Host", "evil.example:8080")])
    assert answer.status == 403
    assert "--allow-host evil.example" in _message(answer)


@pytest.mark.parametrize(
    "host",
    ["localhost", "localhost:8080", "127.0.0.1:1", "[::1]:8080", "ui.localhost", "LOCALHOST."],
)
def test_loopback_names_pass(server: BackgroundServer, host: str) -> None:
    assert _send(server, "GET", "/__mockgw/requests", [("Host", host)]).status == 200


@pytest.mark.parametrize("host", ["10.1.2.3", "192.168.0.9:8080", "[fe80::1]:80"])
def test_ip_literal_hosts_pass(server: BackgroundServer, host: str) -> None:
    # Rebinding needs a name; a LAN client of --host 0.0.0.0 uses the address.
    assert _send(server, "GET", "/__mockgw/requests", [("Host", host)]).status == 200


@pytest.mark.parametrize("host", [b"\xff\xfe", b"", b"a" * 5000])
def test_odd_hosts_get_a_403_not_a_500(server: BackgroundServer, host: bytes) -> None:
    answer = _send(server, "GET", "/__mockgw/requests", [("Host", host)])
    assert answer.status in {400, 403}
    if answer.status == 403:
        assert len(_message(answer)) < 1000


def _admin_routes(app: web.Application) -> list[tuple[str, str]]:
    found = []
    for resource in app.router.resources():
        path = resource.canonical
        if not path.startswith("/__mockgw/") or path == "/__mockgw/health":
            continue
        for route in resource:
            if route.method != hdrs.METH_ANY:
                found.append((route.method, re.sub(r"\{\w+\}", "x", path)))
    return found


ROUTES = _admin_routes(build_app(ServerConfig(library=False)))


def test_the_route_table_is_what_the_guard_test_covers() -> None:
    paths = {path for _, path in ROUTES}
    assert {"/__mockgw/metrics", "/__mockgw/requests", "/__mockgw/reset"} <= paths
    assert len(ROUTES) > 15


@pytest.mark.parametrize(("method", "path"), [*ROUTES, ("GET", "/__mockgw/ui")])
def test_every_admin_route_checks_the_host(
    server: BackgroundServer, method: str, path: str
) -> None:
    # /__mockgw/ui is not served yet: an unrouted admin path is guarded as well.
    answer = _send(server, method, path, [("Host", "evil.example")])
    assert answer.status == 403, (method, path)


def test_health_stays_open_for_any_host(server: BackgroundServer) -> None:
    answer = _send(server, "GET", "/__mockgw/health", [("Host", "evil.example"), ("Origin", EVIL)])
    assert answer.status == 200


# --- --allow-host ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("allowed", "host"),
    [
        ("mockgw.test", "mockgw.test:8080"),
        (".ci.example", "runner-3.ci.example"),
        (".ci.example", "ci.example"),
        ("*", "anything.example"),
        ("MockGW.Test", "mockgw.test"),
    ],
)
def test_allowed_hosts_pass_for_host_and_origin(allowed: str, host: str) -> None:
    config = ServerConfig(port=0, library=False, allowed_hosts=(allowed,))
    with BackgroundServer(config) as running:
        assert _send(running, "GET", "/__mockgw/requests", [("Host", host)]).status == 200
        origin = [("Origin", f"https://{host}")]
        assert _send(running, "POST", "/__mockgw/reset", origin).status == 200
        assert _send(running, "GET", "/__mockgw/requests", [("Host", "evil.test")]).status == (
            200 if allowed == "*" else 403
        )


def test_an_allowed_ip_lets_its_pages_change_state() -> None:
    config = ServerConfig(port=0, library=False, allowed_hosts=("192.0.2.50",))
    with BackgroundServer(config) as running:
        origin = [("Origin", "http://192.0.2.50:3000")]
        assert _send(running, "POST", "/__mockgw/reset", origin).status == 200


@pytest.mark.parametrize("value", ["http://x.test", "x.test:8080", "a b", "", ".", "é.test"])
def test_a_malformed_allow_host_is_a_config_error(value: str) -> None:
    with pytest.raises(ConfigError, match="--allow-host"):
        build_app(ServerConfig(allowed_hosts=(value,)))


# --- order and the token ---------------------------------------------------------------


@pytest.fixture
def tokened() -> Iterator[BackgroundServer]:
    with BackgroundServer(ServerConfig(port=0, library=False, admin_token=TOKEN)) as running:
        yield running


def test_host_then_origin_then_token(tokened: BackgroundServer) -> None:
    bearer = ("Authorization", f"Bearer {TOKEN}")
    assert _send(tokened, "POST", "/__mockgw/reset", [("Host", "evil.example")]).status == 403
    assert _send(tokened, "POST", "/__mockgw/reset", [("Origin", EVIL), bearer]).status == 403
    assert _send(tokened, "POST", "/__mockgw/reset").status == 401
    assert _send(tokened, "POST", "/__mockgw/reset", [bearer]).status == 200


@pytest.mark.parametrize(
    "value", [b"Bearer \xff\xfe", b"Bearer t\xc3\xb6ken", b"Bearer \xed\xa0\x80"]
)
def test_a_token_that_is_not_utf8_is_a_401_not_a_500(
    tokened: BackgroundServer, value: bytes
) -> None:
    # aiohttp decodes bad bytes as lone surrogates, on which str.encode() raises.
    answer = _send(tokened, "GET", "/__mockgw/requests", [("Authorization", value)])
    assert answer.status == 401
    assert json.loads(answer.body)["error"]["type"] == "mockgw_admin_error"


def test_the_library_and_the_cli_take_allowed_hosts() -> None:
    from mockgw import MockGateway
    from mockgw.cli import build_parser, config_from_args

    args = build_parser().parse_args(["serve", "--allow-host", "a.test", "--allow-host", ".b"])
    assert config_from_args(args).allowed_hosts == ("a.test", ".b")
    with MockGateway(allowed_hosts=["mockgw.test"]) as gateway:
        answer = send(gateway.url, "GET", "/__mockgw/requests", [("Host", b"mockgw.test")])
        assert answer.status == 200
