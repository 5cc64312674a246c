"""Reading a request body as a JSON object, with the size limit and content type.

The failures are neutral (:class:`BodyProblem`) because each API words them its own
way; the codec that owns the route turns the problem into its provider's error.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from aiohttp import web

ProblemKind = Literal["too_large", "content_type", "not_json", "not_object"]


class BodyProblem(Exception):
    def __init__(self, kind: ProblemKind, detail: str) -> None:
        super().__init__(detail)
        self.kind: ProblemKind = kind
        self.detail = detail


def _is_json_type(content_type: str) -> bool:
    return content_type == "application/json" or content_type.endswith("+json")


async def read_json_object(request: web.Request, *, limit: int) -> dict[str, Any]:
    # aiohttp reports "no header" as application/octet-stream, so look at the raw header.
    if "Content-Type" in request.headers and not _is_json_type(request.content_type):
        raise BodyProblem("content_type", request.headers["Content-Type"])
    declared = request.content_length
    if declared is not None and declared > limit:
        raise BodyProblem("too_large", f"{declared} bytes > {limit}")
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge as exc:
        raise BodyProblem("too_large", f"more than {limit} bytes") from exc
    if len(raw) > limit:
        raise BodyProblem("too_large", f"{len(raw)} bytes > {limit}")
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, ValueError) as exc:
        raise BodyProblem("not_json", str(exc)) from exc
    if not isinstance(body, dict):
        raise BodyProblem("not_object", type(body).__name__)
    return body
