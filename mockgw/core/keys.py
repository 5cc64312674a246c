"""Credentials: reading a bearer token, checking a key, never showing one."""

from __future__ import annotations

import hmac
from collections.abc import Collection, Mapping

REDACTED = "[redacted]"
SECRET_HEADERS = frozenset(
    {"authorization", "x-api-key", "api-key", "proxy-authorization", "cookie", "x-admin-token"}
)


def redact_headers(
    headers: Mapping[str, str], *, also: frozenset[str] = frozenset()
) -> dict[str, str]:
    """``headers`` as the journal may keep them: credentials (and ``also``, lower-case
    names a wire format keeps its own secrets in) replaced."""
    secret = SECRET_HEADERS | also if also else SECRET_HEADERS
    return {name: REDACTED if name.lower() in secret else value for name, value in headers.items()}


def bearer_token(headers: Mapping[str, str]) -> str | None:
    """The token of an ``Authorization: Bearer`` header, or None when absent/empty."""
    value = headers.get("Authorization")
    if not value:
        return None
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def key_accepted(key: str, allowed: Collection[str]) -> bool:
    """Whether ``key`` is allowed; with no configured keys any non-empty key is.

    Every configured key is compared, with :func:`hmac.compare_digest`, so the time
    taken says nothing about which key (or how much of one) matched.
    """
    if not allowed:
        return bool(key)
    candidate = key.encode()
    matched = False
    for known in allowed:
        matched |= hmac.compare_digest(candidate, known.encode())
    return matched


def redact(key: str) -> str:
    """The form a key may take in an error message or a log: ``sk-p****abcd``."""
    if len(key) <= 8:
        return "****"
    return f"{key[:4]}****{key[-4:]}"
