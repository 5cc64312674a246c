"""Credentials: reading a bearer token, checking a key, never showing one."""

from __future__ import annotations

import functools
import hmac
import re
from collections.abc import Collection, Mapping

REDACTED = "[redacted]"
# The usual credential headers. Kept as a list for readers; the rule below (a pattern of
# the name) is what redacts, so that a gateway's own header is covered without a release.
SECRET_HEADERS = frozenset(
    {"authorization", "x-api-key", "api-key", "proxy-authorization", "cookie", "x-admin-token"}
)

# Gateways invent credential headers (Ocp-Apim-Subscription-Key, X-Goog-Api-Key,
# cf-aig-authorization, Helicone-Auth, X-Portkey-Api-Key, anthropic-admin-key, X-Auth-Token):
# a list always lags, so a name is secret by what it says. Anywhere in the name: auth,
# secret, cookie, passw, credential. As a whole word (split on '-' and '_'): key, apikey,
# token (or a word ending in one, "accesstoken"). Not "tokens": a plural is a count
# (x-ratelimit-remaining-tokens, anthropic-ratelimit-tokens-limit), never a secret.
_SECRET_PART = re.compile(r"auth|secret|cookie|passw|credential")
_SECRET_WORD = re.compile(r"(?:api)?key|\w*token")
# Named keys that are not credentials: a client's retry nonce must stay readable.
_NOT_SECRET = frozenset({"idempotency-key", "x-idempotency-key"})


@functools.lru_cache(maxsize=4096)  # bounded: a client may send any number of names
def _secret_name(lowered: str) -> bool:
    if lowered in _NOT_SECRET:
        return False
    if lowered in SECRET_HEADERS or _SECRET_PART.search(lowered):
        return True
    return any(_SECRET_WORD.fullmatch(word) for word in re.split(r"[-_]", lowered))


def is_secret_header(name: str, *, also: frozenset[str] = frozenset()) -> bool:
    """Whether header ``name`` may hold a credential (see the rule above); ``also`` are
    lower-case names a wire format keeps its own secrets in. The decision is cached
    per name: the journal asks for every header of every request."""
    lowered = name.lower()
    return _secret_name(lowered) or lowered in also


def redact_headers(
    headers: Mapping[str, str], *, also: frozenset[str] = frozenset()
) -> dict[str, str]:
    """``headers`` as the journal may keep them: credentials (and ``also``, lower-case
    names a wire format keeps its own secrets in) replaced."""
    return {
        name: REDACTED if is_secret_header(name, also=also) else value
        for name, value in headers.items()
    }


def as_bytes(text: str) -> bytes:
    """``text`` as bytes for a constant-time comparison, whatever it holds.

    Header values arrive decoded with ``surrogateescape`` (or repaired to U+FFFD);
    a plain ``.encode()`` raises on a lone surrogate, which would turn a bad
    credential into a 500. ``surrogatepass`` encodes every str.
    """
    return text.encode("utf-8", "surrogatepass")


def same_secret(given: str | None, expected: str) -> bool:
    """Whether ``given`` is ``expected``, compared in constant time; never raises."""
    return hmac.compare_digest(as_bytes(given or ""), as_bytes(expected))


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
    candidate = as_bytes(key)
    matched = False
    for known in allowed:
        matched |= hmac.compare_digest(candidate, as_bytes(known))
    return matched


def redact(key: str) -> str:
    """The form a key may take in an error message or a log: ``sk-p****abcd``."""
    if len(key) <= 8:
        return "****"
    return f"{key[:4]}****{key[-4:]}"
