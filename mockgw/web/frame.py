"""The frame every API handler runs in: request id, timing, provider-shaped errors.

A codec describes its wire conventions once (:class:`WireStyle`); :func:`endpoint`
wraps a handler so that whatever it raises as :class:`~mockgw.errors.ApiError` is
answered in that provider's shape, with the request-id header, and anything else (a
bug in mockgw) is logged and still answered in the provider's shape, never as
aiohttp's plain-text 500.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from mockgw.core.generate import unique_id
from mockgw.core.plan import Plan
from mockgw.errors import ApiError
from mockgw.state.journal import JOURNAL, Entry, redact_headers
from mockgw.state.journal import now as journal_now
from mockgw.web.selection import chosen_session

log = logging.getLogger("mockgw")


@dataclass(frozen=True, slots=True)
class WireStyle:
    """How one provider names its request id and shapes its error bodies."""

    name: str
    request_id_header: str
    request_id_prefix: str
    error_body: Callable[[ApiError, str], dict[str, Any]]
    # Headers the provider adds to every response (rate-limit headers, processing
    # time); called with the milliseconds spent so far.
    common_headers: Callable[[int], Mapping[str, str]]

    def new_request_id(self) -> str:
        return self.request_id_prefix + unique_id(24)


@dataclass(slots=True)
class Exchange:
    """One request being answered: its id, start time and response headers."""

    request: web.Request
    style: WireStyle
    request_id: str
    started: float
    warnings: list[str] = field(default_factory=list)
    # Headers decided while handling (a scenario's, the matched rule) for any response.
    extra_headers: dict[str, str] = field(default_factory=dict)
    # What the journal records: the parsed body and the plan, once known.
    body: dict[str, Any] | None = None
    plan: Plan | None = None
    events_sent: int = 0  # stream events that went out whole

    def count_events(self, count: int) -> None:
        self.events_sent = count

    def headers(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        elapsed_ms = int((time.perf_counter() - self.started) * 1000)
        headers = {
            self.style.request_id_header: self.request_id,
            **self.style.common_headers(elapsed_ms),
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

    def warn_unknown_fields(self, paths: list[str]) -> None:
        self.warnings.extend(f"unknown field '{path}' accepted and ignored" for path in paths)

    def json(self, body: Any, *, status: int = 200) -> web.Response:
        return web.json_response(body, status=status, headers=self.headers(), dumps=_dumps)

    def error(self, error: ApiError) -> web.Response:
        return web.json_response(
            self.style.error_body(error, self.request_id),
            status=error.status,
            headers=self.headers(error.headers),
            dumps=_dumps,
        )


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


Handler = Callable[[Exchange], Awaitable[web.StreamResponse]]
RequestHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _entry(
    seq: int,
    exchange: Exchange,
    response: web.StreamResponse,
    error: str | None,
    code: str | None,
) -> Entry:
    request, plan = exchange.request, exchange.plan
    fault = None
    if plan is not None:
        fault = plan.fault or (plan.stream_fault.kind if plan.stream_fault else None)
    body = exchange.body
    return Entry(
        seq=seq,
        time=journal_now(),
        session=chosen_session(request),
        api=exchange.style.name,
        method=request.method,
        path=request.path,
        request_id=exchange.request_id,
        headers=redact_headers(request.headers),
        body=body,
        status=response.status,
        scenario=plan.scenario if plan else None,
        rule=plan.rule if plan else None,
        error=error,
        code=code,
        fault=fault,
        stream=bool(body.get("stream")) if body else False,
        events=exchange.events_sent,
        duration_ms=round((time.perf_counter() - exchange.started) * 1000, 3),
    )


def endpoint(style: WireStyle) -> Callable[[Handler], RequestHandler]:
    """Decorate a handler so it runs inside an :class:`Exchange` of ``style``."""

    def wrap(handler: Handler) -> RequestHandler:
        async def run(request: web.Request) -> web.StreamResponse:
            exchange = Exchange(request, style, style.new_request_id(), time.perf_counter())
            error_message = error_code = None
            try:
                response = await handler(exchange)
            except ApiError as error:
                error_message, error_code = error.message, error.code
                response = exchange.error(error)
            except ConnectionResetError:
                # The client went away mid-response: nothing to answer, and not a bug.
                error_message = "the client closed the connection"
                response = web.Response(status=499)
            except Exception:
                log.exception("mockgw bug while answering %s %s", request.method, request.path)
                error_message = "mockgw hit an internal error; see its log."
                response = exchange.error(ApiError(500, "api_error", error_message))
            journal = request.app.get(JOURNAL)
            if journal is not None:
                entry = _entry(journal.next_seq(), exchange, response, error_message, error_code)
                journal.record(entry)
            return response

        run.__name__ = handler.__name__
        run.__doc__ = handler.__doc__
        return run

    return wrap
