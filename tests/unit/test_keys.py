"""Credential handling in core/keys: which header names are secret, constant-time checks."""

from __future__ import annotations

import pytest

from mockgw.core.keys import REDACTED, is_secret_header, key_accepted, redact_headers, same_secret

# Credential headers of gateways and providers that the old fixed list kept verbatim.
GATEWAY_SECRETS = [
    "Ocp-Apim-Subscription-Key",  # Azure API Management
    "X-Goog-Api-Key",  # Gemini
    "cf-aig-authorization",  # Cloudflare AI Gateway
    "X-Portkey-Api-Key",
    "Helicone-Auth",
    "anthropic-admin-key",
    "X-Auth-Token",
    "X-Amz-Security-Token",
    "Set-Cookie",
    "X-Client-Secret",
    "X-Db-Password",
    "X-Credentials",
    "x_api_key",
    "X-Apikey",
    "X-Access-Token",
    "Authorization",
    "Proxy-Authorization",
]
# Names that say key or tokens but hold no secret: they must stay readable.
HARMLESS = [
    "Idempotency-Key",
    "X-Idempotency-Key",
    "x-ratelimit-remaining-tokens",
    "x-ratelimit-limit-tokens",
    "anthropic-ratelimit-tokens-remaining",
    "anthropic-ratelimit-input-tokens-limit",
    "X-Portkey-Provider",
    "X-Portkey-Config-Id",
    "Content-Type",
    "X-Mockgw-Session",
    "User-Agent",
    "OpenAI-Organization",
    "Keep-Alive",
    "Monkey",
]


@pytest.mark.parametrize("name", GATEWAY_SECRETS)
def test_gateway_credential_headers_are_redacted(name: str) -> None:
    kept = redact_headers({name: "secret-value", "Content-Type": "application/json"})
    assert kept == {name: REDACTED, "Content-Type": "application/json"}


@pytest.mark.parametrize("name", HARMLESS)
def test_harmless_names_are_kept(name: str) -> None:
    assert redact_headers({name: "42"}) == {name: "42"}


def test_a_codecs_own_secret_names_are_redacted() -> None:
    assert is_secret_header("X-Toy-Sig", also=frozenset({"x-toy-sig"}))
    assert not is_secret_header("X-Toy-Sig")


def test_the_decision_is_the_same_in_any_case() -> None:
    assert is_secret_header("X-GOOG-API-KEY")
    assert is_secret_header("x-goog-api-key")


@pytest.mark.parametrize("given", ["s\udce9cret", "\ud800", "sécret", "", None])
def test_comparing_odd_header_text_never_raises(given: str | None) -> None:
    # aiohttp decodes a non-UTF-8 header byte as a lone surrogate; .encode() raises on it.
    assert same_secret(given, "secret") is False
    assert key_accepted(given or "x\udcff", {"secret"}) is False


def test_same_secret_accepts_the_same_text() -> None:
    assert same_secret("tök\udce9n", "tök\udce9n")
    assert not same_secret("token", "token2")
