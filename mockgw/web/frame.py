"""The frame every API request runs in: request id, headers, errors, the journal.

:func:`framed` runs a handler inside an :class:`Exchange` of one codec. Whatever the
handler raises as :class:`~mockgw.errors.ApiError` is answered in that provider's
shape, with its request-id header; anything else (a bug in mockgw) is logged and
still answered in the provider's shape, never as aiohttp's plain-text 500 — or, once
a response has begun, ends it as a broken stream, since a second response cannot be
written into the first. The journal sees the request the moment it arrives, and the
access log (logger ``mockgw.access``) gets one line when the exchange ends.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from multidict import CIMultiDict

from mockgw.core.generate import unique_id
from mockgw.core.keys import redact_headers
from mockgw.core.plan import Plan
from mockgw.errors import ApiError
from mockgw.protocols.codec import Codec
from mockgw.state.journal import Entry, Headers, Journal
from mockgw.state.journal import now as journal_now
from mockgw.state.metrics import Metrics
from mockgw.web.selection import DEFAULT_SESSION, SESSION_ID_RULE, chosen_session, valid_session_id

log = logging.getLogger("mockgw")
# One line per API request. No handler of its own: silent in a library or under pytest
# unless something (``mockgw serve``, a user's logging config) shows INFO records.
access_log = logging.getLogger("mockgw.access")


@dataclass(slots=True)
class Exchange:
    """One request being answered: its codec, id, start time and response headers."""

    request: web.Request
    codec: Codec
    request_id: str
    started: float
    journal: Journal | None
    session: str
    metrics: Metrics
    entry: Entry | None = None  # in the journal from arrival on
    warnings: list[str] = field(default_factory=list)
    # Headers decided while handling (a scenario's, the matched rule) for any response.
    extra_headers: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] | None = None  # as the client sent it, once read
    stream: bool = False
    plan: Plan | None = None
    events_sent: int = 0  # stream events that went out whole
    # Set once the status line and headers went out: nothing else may be sent after.
    response: web.StreamResponse | None = None
    error_message: str | None = None
    error_code: str | None = None
    settled: bool = False  # the journal entry is complete

    # --- what was decided -----------------------------------------------------------

    def record(self, **fields: Any) -> None:
        """Update this request's journal entry (when it has one)."""
        if self.journal is not None and self.entry is not None:
            self.journal.update(self.entry, **fields)

    def planned(self, plan: Plan) -> None:
        """Adopt ``plan``'s headers and warnings, and journal what decided it."""
        self.plan = plan
        self.warnings.extend(plan.warnings)
        if plan.rule is not None:
            # Tells a puzzled user which rule (or which part of the scenario) answered.
            self.extra_headers["x-mockgw-rule"] = f"{plan.scenario}/{plan.rule}"
        if plan.limits:
            self.extra_headers.update(self.codec.limit_headers(plan.limits))
        self.extra_headers.update(plan.headers)
        # While it is delivered (a hang, a slow stream) the entry shows what it is.
        self.record(body=self.body, stream=self.stream, scenario=plan.scenario, rule=plan.rule)

    def settle(self, status: int) -> None:
        """Complete the journal entry. Delivery calls it just before a response's last
        bytes, so a client that has read them finds the entry complete."""
        self.settled = True
        plan = self.plan
        self.record(
            body=self.body,
            stream=self.stream,
            status=status,
            error=self.error_message,
            code=self.error_code,
            fault=plan.fault if plan is not None else None,
            events=self.events_sent,
            duration_ms=round((time.perf_counter() - self.started) * 1000, 3),
            in_flight=False,
        )

    def warn_unknown_fields(self, paths: Sequence[str]) -> None:
        """Say in a header, and in the journal, which unknown fields were ignored."""
        if paths:
            self.warnings.extend(f"unknown field '{path}' accepted and ignored" for path in paths)
            self.record(ignored=list(paths))

    # --- responses ------------------------------------------------------------------

    def headers(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        elapsed_ms = int((time.perf_counter() - self.started) * 1000)
        headers = {
            self.codec.request_id_header: self.request_id,
            **self.codec.common_headers(elapsed_ms),
        }
        warnings = list(self.warnings)
        for name, value in (*self.extra_headers.items(), *(extra or {}).items()):
            # Scripted headers come from YAML and templates: the one place that makes
            # them legal. An illegal name is dropped; a bad value is repaired, and said so.
            if not _HEADER_NAME.match(name):
                warnings.append(f"header name {name!r} is not a legal token and was dropped")
                continue
            if _CONTROL.search(value):
                warnings.append(f"control characters in header '{name}' were replaced by spaces")
            headers[name] = header_safe(value)
        if warnings:
            headers["x-mockgw-warning"] = header_safe("; ".join(warnings))
        return headers

    async def start(self, response: web.StreamResponse) -> web.StreamResponse:
        """Send ``response``'s status and headers; its body follows in writes."""
        self.response = response
        await response.prepare(self.request)
        return response

    def json(self, body: Any, *, status: int = 200) -> web.Response:
        return web.json_response(body, status=status, headers=self.headers(), dumps=_dumps)

    def error(
        self, error: ApiError, *, reason: str | None = None, code: str | None = None
    ) -> web.Response:
        """The provider's error response for ``error``; the journal records it.

        ``reason`` and ``code``, when given, are what the journal says instead of the
        provider's wording: mockgw's own account of an answer the provider words its way.
        """
        self.error_message = error.message if reason is None else reason
        self.error_code = error.code if code is None else code
        return web.json_response(
            self.codec.error_body(error, self.request_id),
            status=error.status,
            headers=self.headers(error.headers),
            dumps=_dumps,
        )

    def abort(self) -> None:
        """Drop the connection: the way to fail a response that has already begun."""
        if self.request.transport is not None:
            self.request.transport.abort()


# RFC 9110 token characters: anything else in a header name would corrupt the response.
_HEADER_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
MAX_HEADER_VALUE = 4096


def header_safe(value: str) -> str:
    """``value`` as a legal header value: it can quote any client input or YAML text.

    Control characters become spaces, non-ASCII is escaped and the length is capped,
    so nothing a client sends or a scenario says can break the response framing.
    """
    flat = " ".join(_CONTROL.sub(" ", value).split())
    safe = flat.encode("ascii", "backslashreplace").decode("ascii")
    return safe if len(safe) <= MAX_HEADER_VALUE else safe[: MAX_HEADER_VALUE - 1] + "~"


def client_text(value: str) -> str:
    """``value``, a header value as aiohttp decoded it, as text that is safe to echo.

    HTTP allows any byte from 0x80 up in a header value (obs-text). aiohttp decodes
    the bytes as UTF-8 with ``surrogateescape``, so a byte that is not UTF-8 becomes a
    lone surrogate, which no UTF-8 encoder (JSON bodies, SSE, hashing, ``hmac``) will
    take. Valid UTF-8 stays as it is; each bad byte becomes U+FFFD.
    """
    if value.isascii():
        return value
    return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def client_safe(request: web.Request) -> web.Request:
    """``request``, with every header value made safe to echo (:func:`client_text`).

    The one place client-supplied header text is repaired: everything downstream
    (scenario and session choice, credentials, version checks, templates, the
    journal) reads the repaired copy. A request whose headers are ASCII, nearly every
    one, is returned as it is, at the cost of one scan.
    """
    headers = request.headers
    if all(map(str.isascii, headers.values())):
        return request
    repaired = CIMultiDict((name, client_text(value)) for name, value in headers.items())
    return request.clone(headers=repaired)


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


Handler = Callable[[Exchange], Awaitable[web.StreamResponse]]
RequestHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _arrived(exchange: Exchange, journal: Journal) -> Entry:
    request = exchange.request
    return Entry(
        seq=journal.next_seq(),
        time=journal_now(),
        session=exchange.session,
        api=exchange.codec.name,
        method=request.method,
        path=request.path,
        request_id=exchange.request_id,
        headers=Headers(redact_headers(request.headers, also=exchange.codec.secret_headers)),
        body=None,
        status=None,
        scenario=None,
        rule=None,
        error=None,
        code=None,
        fault=None,
        stream=False,
        events=0,
        duration_ms=0.0,
        in_flight=True,
    )


async def framed(
    request: web.Request,
    codec: Codec,
    journal: Journal | None,
    handler: Handler,
    *,
    metrics: Metrics,
    session: str | None = None,
) -> web.StreamResponse:
    """Run ``handler`` for ``request`` inside an exchange of ``codec``; ``journal`` (if
    any) records the request from now on, under ``session`` (by default the one the
    request chose), and ``metrics`` counts it once answered."""
    request = client_safe(request)
    request_id = codec.request_id_prefix + unique_id(24)
    chosen = session if session is not None else chosen_session(request)
    # The same rule as the admin API's: a session it could not reset is refused here.
    # Journaled under the default session, since the id itself is what is wrong.
    bad_session = not valid_session_id(chosen)
    exchange = Exchange(
        request,
        codec,
        request_id,
        time.perf_counter(),
        journal,
        DEFAULT_SESSION if bad_session else chosen,
        metrics,
    )
    if journal is not None:
        exchange.entry = _arrived(exchange, journal)
        journal.record(exchange.entry)
    failed = True
    try:
        if bad_session:
            raise codec.bad_session(SESSION_ID_RULE)
        response = await handler(exchange)
        failed = False
    except ApiError as error:
        response = _after_start(exchange) or exchange.error(error)
    except ConnectionResetError:
        # The client went away mid-response: nothing to answer, and not a bug.
        exchange.error_message = "the client closed the connection"
        response = exchange.response or web.Response(status=499)
    except asyncio.CancelledError:
        # A shutdown dropped the connection after its grace (web/connections.py): the
        # entry must not stay in flight for whoever reads the journal afterwards.
        if not exchange.settled:
            exchange.error_message = "the server shut down before the answer was complete"
            exchange.error_code = "mockgw_shutdown"
            exchange.settle(exchange.response.status if exchange.response is not None else 444)
        raise
    except Exception:
        log.exception("mockgw bug while answering %s %s", request.method, request.path)
        bug = ApiError(500, "api_error", "mockgw hit an internal error; see its log.")
        response = _after_start(exchange) or exchange.error(bug)
    # Delivery completes a stream's entry before its last bytes; only a failure after
    # that changes what the entry must say.
    if failed or not exchange.settled:
        exchange.settle(response.status)
    # Metrics: the request as answered, by the same plan and status as its journal entry.
    metrics.record(codec.name, response.status, exchange.plan, exchange.started)
    log_access(exchange, response)
    return response


def _after_start(exchange: Exchange) -> web.StreamResponse | None:
    """The begun response, broken off, when a failure comes after its headers."""
    if exchange.response is None:
        return None
    exchange.abort()
    exchange.error_message = "the response broke off after it began"
    return exchange.response


# --- the access log ------------------------------------------------------------------------

_PLAIN = re.compile(r"^[!#-\[\]-~]+$")  # printable ASCII, no quote or backslash


def _token(value: str | None) -> str:
    """``value`` as one field of the line: '-' for none, JSON-quoted if it needs it."""
    if not value:
        return "-"
    return value if _PLAIN.match(value) else json.dumps(value)


def log_access(exchange: Exchange, response: web.StreamResponse) -> None:
    """One line for the exchange in the access log, in the combined log format's order.

    ``REMOTE - - [TIME] "METHOD PATH HTTP/x.y" STATUS BYTES DURATION`` then
    ``id=`` ``session=`` ``rule=`` ``code=`` (``fault=`` when one was scripted). The
    query string, headers and bodies are never written: they may hold credentials or
    a client's data. BYTES is the body's length when it is known up front, '-' for a
    stream or nothing.
    """
    if not access_log.isEnabledFor(logging.INFO):
        return  # the library's and pytest's default: no work at all
    request, plan = exchange.request, exchange.plan
    version = request.version
    length = response.content_length
    rule = f"{plan.scenario}/{plan.rule}" if plan is not None and plan.rule else None
    fault = plan.fault if plan is not None else None
    access_log.info(
        '%s - - [%s] "%s %s HTTP/%d.%d" %d %s %.1fms id=%s session=%s rule=%s code=%s%s',
        request.remote or "-",
        time.strftime("%d/%b/%Y:%H:%M:%S %z"),
        request.method,
        json.dumps(request.path)[1:-1],  # quotes and control characters escaped
        version.major,
        version.minor,
        response.status,
        length if length else "-",
        (time.perf_counter() - exchange.started) * 1000,
        exchange.request_id,
        _token(exchange.session),
        _token(rule),
        _token(exchange.error_code),
        f" fault={_token(fault)}" if fault else "",
    )
