"""The codec interface: everything the HTTP edge may know about a wire format.

A codec names its routes, reads its credentials and version headers, turns a body
into a neutral :class:`~mockgw.core.chat.ChatRequest` (validating it on the way),
encodes a :class:`~mockgw.core.chat.Completion` as a JSON body or SSE events, shapes
its errors and words every neutral outcome (a scripted error, a spent rate limit, no
matching rule, an unknown scenario). One generic pipeline (:mod:`mockgw.web.pipeline`)
runs every codec, so a third API is one more subclass; the HTTP edge never branches on
a provider's name.

A codec instance belongs to one server: per-server state a wire format keeps (the
Anthropic prompt cache) lives on it and is cleared by :meth:`Codec.reset`.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeVar

from multidict import MultiMapping

from mockgw.core.chat import ChatRequest, Completion
from mockgw.core.conversations import PROBLEM_PRESET, ConversationStore, Problem, Turn
from mockgw.core.failures import Failure, NoMatch, RateLimited, ScriptedError, UnknownScenario
from mockgw.core.models import ModelCatalogue, ModelKind
from mockgw.core.plan import Answer
from mockgw.core.profiles import DEFAULT_PROFILE, Profile
from mockgw.core.ratelimit import Admission, BucketState
from mockgw.errors import ApiError, BodyProblem
from mockgw.protocols.presets import WirePreset, scripted_api_error

Headers = MultiMapping[str]
Extra = TypeVar("Extra")


@dataclass(frozen=True, slots=True)
class Decoded(Generic[Extra]):
    """A validated request body: the neutral request and what the codec keeps of it.

    ``body`` is what scenarios' ``body`` conditions and ``request.`` templates read (the
    codec may normalise it, as Anthropic coerces ``"5"`` to ``5``; the journal keeps the
    body as sent); ``extra`` is the codec's own (the prompt-cache prefix, for instance).
    """

    chat: ChatRequest
    body: dict[str, Any]
    extra: Extra
    unknown: Sequence[str] = ()  # unknown fields, accepted and named in a warning
    # Set when the request starts or continues a server-held conversation (a thread).
    turn: Turn | None = None
    # The provider profile the answer is encoded in (mockgw/core/profiles.py): the
    # pipeline sets the scenario's or the server's once the scenario is known.
    profile: Profile = DEFAULT_PROFILE


@dataclass(frozen=True, slots=True)
class Call:
    """What a directly answered endpoint may read of its request."""

    models: ModelCatalogue
    query: Mapping[str, str]
    params: Mapping[str, str]  # the route's path parameters (``{model_id}``)
    decoded: Decoded[Any] | None = None
    # For endpoints that read what the server holds (a stored response by id): the
    # request's session and the server's conversation store.
    session: str = ""
    conversations: ConversationStore | None = None


class Operation(abc.ABC):  # noqa: B024 (its two kinds below declare the abstract methods)
    """One endpoint; one that reads a body sets ``takes_body`` and overrides :meth:`decode`."""

    takes_body: ClassVar[bool] = False
    # Which built-in model ids it serves: another kind's id gets ``Codec.unsupported_model``.
    model_kind: ClassVar[ModelKind] = "chat"

    def decode(self, body: dict[str, Any], *, strict: bool) -> Decoded[Any]:
        """Validate ``body`` (raising the provider's 4xx) and make it neutral."""
        raise NotImplementedError(f"{type(self).__name__} takes no body")


class ChatOperation(Operation, Generic[Extra]):
    """An endpoint answered from a plan: the scenario engine decides, delivery sends."""

    takes_body = True

    @abc.abstractmethod
    def decode(self, body: dict[str, Any], *, strict: bool) -> Decoded[Extra]: ...

    # A hook: the default knows no server-held conversations and decodes the body alone.
    def decode_turn(
        self,
        body: dict[str, Any],
        *,
        strict: bool,
        headers: Headers,  # noqa: ARG002
        conversations: ConversationStore,  # noqa: ARG002
        session: str,  # noqa: ARG002
    ) -> Decoded[Extra]:
        """Decode a request that may continue a conversation the server holds: the codec
        reads the stored history from ``conversations`` and sets ``Decoded.turn``."""
        return self.decode(body, strict=strict)

    # A hook: the default keeps the answer; overrides read the request and the session.
    def prepare(self, answer: Answer, decoded: Decoded[Extra], *, session: str) -> Answer:  # noqa: ARG002
        """Adjust a planned answer before it is encoded (prompt-cache usage, say)."""
        return answer

    # A hook: the default is the codec's own error event, which needs no context.
    def stream_error(
        self,
        codec: Codec,
        error: ApiError,
        decoded: Decoded[Extra],  # noqa: ARG002
        *,
        sent: int,  # noqa: ARG002
        request_id: str,
    ) -> bytes:
        """A failure after ``sent`` events of this request's stream went out. A format
        whose events are numbered, or name the response they belong to (OpenAI
        Responses), overrides this to continue the numbering."""
        return codec.error_event(error, request_id)

    @abc.abstractmethod
    def body(self, completion: Completion, decoded: Decoded[Extra]) -> dict[str, Any]: ...

    @abc.abstractmethod
    def events(self, completion: Completion, decoded: Decoded[Extra]) -> list[bytes]:
        """The whole stream, terminator last: delivery paces and breaks it."""


class JsonOperation(Operation):
    """An endpoint answered at once with JSON (model lists, token counts)."""

    @abc.abstractmethod
    def answer(self, call: Call) -> dict[str, Any]:
        """The response body; raise :class:`ApiError` for the provider's 4xx."""


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    path: str
    operation: Operation = field(compare=False)


class Codec(abc.ABC):
    """One wire format. Subclasses set the class attributes and fill the methods."""

    name: ClassVar[str]  # the journal's ``api`` and a scenario's ``api:`` condition
    request_id_header: ClassVar[str]
    request_id_prefix: ClassVar[str]
    # The provider's wording of each catalogue error: one entry for every name in
    # mockgw.core.failures.PRESETS (a server refuses to start with a codec missing one).
    presets: ClassVar[Mapping[str, WirePreset]] = {}
    # Lower-case names of headers holding credentials beyond the usual ones
    # (authorization, x-api-key...): the journal redacts them too.
    secret_headers: ClassVar[frozenset[str]] = frozenset()

    @abc.abstractmethod
    def routes(self) -> Sequence[Route]: ...

    def claims(self, path: str, headers: Headers) -> bool:  # noqa: ARG002 (a hook's default)
        """Whether a request on a path several codecs serve (``/v1/models``), or none
        does, is meant for this codec; ``path`` is without mockgw's ``/s/`` and
        ``/session/`` prefixes. The first codec registered is the default."""
        return False

    def reset(self, session: str | None = None) -> None:  # noqa: B027 (a hook: most keep no state)
        """Forget what this codec remembers of ``session``, or of every session (None)."""

    # --- requests -------------------------------------------------------------------

    @abc.abstractmethod
    def credentials(self, headers: Headers) -> str | None:
        """The API key the client sent, from wherever this API takes it."""

    def check_headers(self, headers: Headers) -> None:  # noqa: B027 (a hook)
        """Raise the provider's 4xx for a missing or bad required header (a version)."""

    @abc.abstractmethod
    def missing_key(self) -> ApiError: ...

    @abc.abstractmethod
    def invalid_key(self, redacted: str) -> ApiError:
        """``redacted`` is the key as it may be quoted (``sk-p****abcd``)."""

    @abc.abstractmethod
    def body_error(self, problem: BodyProblem) -> ApiError: ...

    @abc.abstractmethod
    def model_not_found(self, model: str) -> ApiError: ...

    def unsupported_model(self, model: str) -> ApiError:
        """A built-in model of another kind (an embedding model on chat): by default the
        provider's unknown-model error, which is what a provider without it says."""
        return self.model_not_found(model)

    @abc.abstractmethod
    def route_not_found(self, method: str, path: str) -> ApiError: ...

    # --- responses ------------------------------------------------------------------

    @abc.abstractmethod
    def error_body(self, error: ApiError, request_id: str) -> dict[str, Any]: ...

    @abc.abstractmethod
    def error_event(self, error: ApiError, request_id: str) -> bytes:
        """A failure after a stream's 200, in the provider's SSE framing."""

    def common_headers(self, elapsed_ms: int) -> Mapping[str, str]:  # noqa: ARG002 (a hook)
        """Headers the provider adds to every response; ``elapsed_ms`` spent so far."""
        return {}

    def limit_headers(self, buckets: Sequence[BucketState]) -> dict[str, str]:  # noqa: ARG002 (hook)
        """A scenario's rate-limit buckets as this provider's countdown headers."""
        return {}

    # --- outcomes -------------------------------------------------------------------

    def scripted_error(self, spec: ScriptedError, *, model: str) -> ApiError:
        """A scenario's error from this codec's catalogue, with its overrides."""
        return scripted_api_error(self.presets, spec, model=model)

    @abc.abstractmethod
    def rate_limited(self, refusal: Admission, *, model: str) -> ApiError: ...

    def no_match(self, failure: NoMatch) -> ApiError:
        return ApiError(404, "not_found_error", failure.report, code="mockgw_no_match")

    def bad_session(self, message: str) -> ApiError:
        """A session id (URL prefix or header) outside mockgw's rule: a 400."""
        return ApiError(400, "invalid_request_error", message, code="mockgw_bad_session")

    def unknown_scenario(self, failure: UnknownScenario) -> ApiError:
        return ApiError(404, "not_found_error", failure.message, code="mockgw_unknown_scenario")

    def conversation_error(self, problem: Problem, *, model: str) -> ApiError:
        """A continue the store refused, worded by its catalogue entry."""
        return self.scripted_error(ScriptedError(preset=PROBLEM_PRESET[problem]), model=model)

    def failure(self, failure: Failure, *, model: str) -> ApiError:
        """Any neutral failure in this provider's words."""
        match failure:
            case ScriptedError():
                return self.scripted_error(failure, model=model)
            case RateLimited():
                return self.rate_limited(failure.refusal, model=model)
            case NoMatch():
                return self.no_match(failure)
            case UnknownScenario():
                return self.unknown_scenario(failure)
        raise TypeError(f"no wording for {failure!r}")  # a Failure kind added without one
