"""Reading a request body as a JSON object, with the size limit and content type.

Every way reading a body can fail ends here, as one of the problems below: too large,
not JSON, a Content-Encoding that does not decode (web/content_encoding.py), a body
that does not arrive within the connection's body timeout (web/connections.py).

The failures are neutral (:class:`~mockgw.errors.BodyProblem`) because each API words
them its own way; the codec that owns the route turns the problem into its provider's
error.
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

from aiohttp import web

from mockgw.errors import BodyProblem
from mockgw.web.connections import Connection
from mockgw.web.content_encoding import decode

# Only bodies that spell a surrogate escape (\\ud800-\\udfff) need the slow check below.
_ESCAPED_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]")


def _reject_constant(name: str) -> Any:
    # json.loads accepts NaN and Infinity, which are not JSON; the real APIs reject them.
    raise ValueError(f"{name} is not a valid JSON value")


# Built once: json.loads with keyword arguments builds a new decoder on every call.
_DECODER = json.JSONDecoder(parse_constant=_reject_constant)


def _has_lone_surrogate(body: Any) -> bool:
    """Whether any string holds an unpaired surrogate, which cannot be sent back as UTF-8."""
    try:
        json.dumps(body, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _is_json_type(content_type: str) -> bool:
    return content_type == "application/json" or content_type.endswith("+json")


async def read_body(request: web.Request, *, limit: int) -> bytes:
    """The body's bytes, decoded as its Content-Encoding says, at most ``limit`` of them."""
    declared = request.content_length
    if declared is not None and declared > limit:
        raise BodyProblem("too_large", f"{declared} bytes > {limit}")
    try:
        raw = await _read_in_time(request)
    except web.HTTPRequestEntityTooLarge as exc:
        raise BodyProblem("too_large", f"more than {limit} bytes") from exc
    except web.RequestPayloadError as exc:
        # The framing broke (a chunked body cut short): what arrived is not the body.
        raise BodyProblem("undecodable", " ".join(str(exc).split())) from None
    if len(raw) > limit:
        raise BodyProblem("too_large", f"{len(raw)} bytes > {limit}")
    return decode(raw, request.headers.get("Content-Encoding"), limit=limit)


async def _read_in_time(request: web.Request) -> bytes:
    """The raw body, within the body timeout of the connection it arrives on (none when
    it is not a mockgw listener's, as under aiohttp's test client)."""
    protocol = request.protocol
    # Nearly every body arrives with its headers: no timer for those.
    if not isinstance(protocol, Connection) or request.content.is_eof():
        return await request.read()
    timeout = protocol.body_timeout
    try:
        return await asyncio.wait_for(request.read(), timeout)
    except asyncio.TimeoutError:
        # What is left of the body would be read as the next request: close after the 408.
        protocol.close_after_response()
        raise BodyProblem("timeout", f"the body did not arrive within {timeout:g} s") from None


async def read_json_object(request: web.Request, *, limit: int) -> dict[str, Any]:
    # aiohttp reports "no header" as application/octet-stream, so look at the raw header.
    if "Content-Type" in request.headers and not _is_json_type(request.content_type):
        raise BodyProblem("content_type", request.headers["Content-Type"])
    raw = await read_body(request, limit=limit)
    try:
        body = _DECODER.decode(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise BodyProblem("not_json", str(exc)) from None
    except RecursionError:
        raise BodyProblem("not_json", "the JSON is nested too deeply") from None
    if _ESCAPED_SURROGATE.search(raw) and _has_lone_surrogate(body):
        raise BodyProblem("not_json", "the JSON contains an unpaired UTF-16 surrogate escape")
    if not isinstance(body, dict):
        raise BodyProblem("not_object", type(body).__name__)
    return body
