"""mockgw's errors, one hierarchy (every exception mockgw raises on purpose):

    MockgwError
    ├── ApiError            a provider-shaped error response for the client
    ├── BodyProblem         a request body that is not a JSON object within limits
    ├── ConfigError         bad server configuration (CLI flags, catalogue files)
    ├── UsageError          the library called with an unknown scenario, a bad id...
    ├── ScenarioLoadError   scenario files with problems (mockgw.scenarios.loader)
    ├── TemplateError       a ``{{ }}`` template that cannot compile (scenarios.templates)
    ├── RegexError          a scenario regex RE2 cannot run (scenarios.regex)
    ├── ConversationUnavailable  a server-held conversation that cannot be continued
    │                       (core.conversations); codecs word it as their provider's error
    └── AdminError          an admin API request it must refuse (web.admin)

Codecs raise :class:`ApiError` with wording that matches their provider; the frame
catches it and asks the codec that owns the route to render the provider's error
body, so nothing between them needs to know which API it is serving.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

# Neutral error kinds, named after Anthropic's error types because they are the finer
# grained of the two vocabularies; the OpenAI codec folds several into one type.
ErrorKind = Literal[
    "invalid_request_error",
    "authentication_error",
    "permission_error",
    "not_found_error",
    "request_too_large",
    "rate_limit_error",
    "billing_error",
    "api_error",
    "timeout_error",
    "overloaded_error",
]


class MockgwError(Exception):
    """Base class of every error mockgw raises on purpose."""


class ApiError(MockgwError):
    """A provider-shaped error response, raised anywhere while handling a request."""

    def __init__(
        self,
        status: int,
        kind: ErrorKind,
        message: str,
        *,
        param: str | None = None,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
        wire_type: str | None = None,
        error_code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.kind: ErrorKind = kind
        self.message = message
        self.param = param
        self.code = code
        self.headers: dict[str, str] = dict(headers or {})
        # The provider's own ``type`` string when it differs from what the codec would
        # derive from ``kind`` (scripted errors may name any type they like).
        self.wire_type = wire_type
        # Anthropic's ``error.details.error_code``: anthropic >= 2.14 picks its exception
        # class from the status together with it (ThreadNotFoundError, ...).
        self.error_code = error_code

    def __repr__(self) -> str:
        return f"ApiError({self.status}, {self.kind!r}, {self.message!r}, param={self.param!r})"


# "undecodable": the bytes could not be read as sent (a corrupt gzip body, an unknown coding).
# "timeout": the body did not arrive whole within the body timeout (a 408).
BodyProblemKind = Literal[
    "too_large", "content_type", "undecodable", "not_json", "not_object", "timeout"
]


class BodyProblem(MockgwError):
    """A request body that is not a JSON object within the size limit; neutral, because
    each codec words it its own way."""

    def __init__(self, kind: BodyProblemKind, detail: str, *, after_decoding: bool = False) -> None:
        super().__init__(detail)
        self.kind: BodyProblemKind = kind
        self.detail = detail
        # A "too_large" body that was within the limit as sent and passed it only once its
        # Content-Encoding was undone (Anthropic gives that case its own error code).
        self.after_decoding = after_decoding


class ConfigError(MockgwError):
    """Bad server configuration (CLI flags, model catalogue files)."""


class UsageError(MockgwError, ValueError):
    """mockgw was called with something it cannot use (an unknown scenario, a bad id)."""
