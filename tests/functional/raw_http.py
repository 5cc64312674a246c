"""A raw HTTP/1.1 client for tests that must send bytes no SDK would.

aiohttp's and httpx's clients refuse (or re-encode) header bytes above 0x7F; real
clients and proxies still send them, and HTTP allows them (obs-text). ``http.client``
sends a ``bytes`` header value as it is.
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit


@dataclass(frozen=True)
class RawResponse:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "")

    def json(self) -> Any:
        return json.loads(self.body)


def send(
    url: str,
    method: str,
    path: str,
    headers: Sequence[tuple[str, bytes]] = (),
    body: bytes = b"",
    *,
    timeout: float = 10.0,
) -> RawResponse:
    """One request on a new connection to ``url`` (a base URL), headers sent verbatim."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=timeout)
    try:
        # A Host of the test's own (DNS rebinding cases) replaces the one http.client adds.
        own_host = any(name.lower() == "host" for name, _ in headers)
        connection.putrequest(method, path, skip_host=own_host, skip_accept_encoding=True)
        for name, value in headers:
            connection.putheader(name, value)
        if body or method in {"POST", "PUT", "PATCH"}:
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        response = connection.getresponse()
        return RawResponse(response.status, response.headers, response.read())
    finally:
        connection.close()
