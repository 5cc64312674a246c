"""The one request pipeline every codec runs through.

For each route a codec declares, :func:`handler` builds one aiohttp handler that does,
in this order and nowhere else: credentials and required headers, the body (size,
content type, JSON), the codec's validation, the model check, the scenario; then a
chat operation asks the engine for a plan and delivers it, while a JSON operation
(models, token counts) answers at once. The codec supplies only what is its own: the
words, the field names, the framing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from aiohttp import web

from mockgw.core.conversations import ConversationUnavailable
from mockgw.core.failures import Failure, UnknownScenario
from mockgw.core.keys import key_accepted, redact
from mockgw.core.models import model_kind
from mockgw.core.plan import Answer, ErrorAnswer, Plan
from mockgw.errors import ApiError, BodyProblem
from mockgw.protocols.codec import Call, ChatOperation, Codec, Decoded, JsonOperation, Operation
from mockgw.scenarios.engine import UNKNOWN
from mockgw.state.runtime import Runtime
from mockgw.web.body import read_json_object
from mockgw.web.delivery import deliver
from mockgw.web.frame import Exchange, RequestHandler, framed
from mockgw.web.selection import chosen_scenario


@dataclass(frozen=True, slots=True)
class ChatRendering:
    """The delivery's view of one chat request: the codec's encoding of its answers."""

    codec: Codec
    operation: ChatOperation[Any]
    decoded: Decoded[Any]
    request_id: str

    @property
    def stream(self) -> bool:
        return self.decoded.chat.stream

    def body(self, answer: Answer) -> dict[str, Any]:
        return self.operation.body(answer.completion, self.decoded)

    def events(self, answer: Answer) -> list[bytes]:
        return self.operation.events(answer.completion, self.decoded)

    def error(self, failure: Failure) -> ApiError:
        return self.codec.failure(failure, model=self.decoded.chat.model)

    def error_event(self, error: ApiError, *, sent: int) -> bytes:
        return self.operation.stream_error(
            self.codec, error, self.decoded, sent=sent, request_id=self.request_id
        )


def handler(codec: Codec, operation: Operation, runtime: Runtime) -> RequestHandler:
    """The aiohttp handler of one route of ``codec``."""

    async def serve(exchange: Exchange) -> web.StreamResponse:
        runtime.seen(exchange.session)
        key, decoded = await _admit(exchange, codec, operation, runtime)
        request = exchange.request
        scenario = chosen_scenario(request, runtime, exchange.session)
        if isinstance(operation, ChatOperation):
            assert decoded is not None  # chat operations take a body
            return await _chat(exchange, operation, decoded, scenario, key, runtime)
        resolved = runtime.engine.resolve(scenario)
        if isinstance(resolved, UnknownScenario):  # /s/NAME must exist here too
            exchange.planned(Plan(ErrorAnswer(resolved), scenario=resolved.name, rule=UNKNOWN))
            raise codec.unknown_scenario(resolved)
        assert isinstance(operation, JsonOperation)
        call = Call(
            runtime.config.models,
            request.query,
            request.match_info,
            decoded,
            session=exchange.session,
            conversations=runtime.conversations,
        )
        return exchange.json(operation.answer(call))

    async def handle(request: web.Request) -> web.StreamResponse:
        return await framed(request, codec, runtime.journal, serve, metrics=runtime.metrics)

    return handle


async def _admit(
    exchange: Exchange, codec: Codec, operation: Operation, runtime: Runtime
) -> tuple[str, Decoded[Any] | None]:
    """Every check a request passes before anything is decided, in one order; the
    client's key and its decoded body (for operations that take one)."""
    config, headers = runtime.config, exchange.request.headers
    key = codec.credentials(headers)
    if not key:
        raise codec.missing_key()
    if not key_accepted(key, config.api_keys):
        raise codec.invalid_key(redact(key))
    codec.check_headers(headers)
    if not operation.takes_body:
        return key, None
    try:
        body = await read_json_object(exchange.request, limit=config.max_body_bytes)
    except BodyProblem as problem:
        raise codec.body_error(problem) from None
    exchange.body = body  # journaled as sent, even when it fails validation
    exchange.stream = body.get("stream") is True  # until the codec says what it means
    if isinstance(operation, ChatOperation):
        decoded = operation.decode_turn(
            body,
            strict=config.strict,
            headers=headers,
            conversations=runtime.conversations,
            session=exchange.session,
        )
    else:
        decoded = operation.decode(body, strict=config.strict)
    exchange.stream = decoded.chat.stream
    exchange.warn_unknown_fields(decoded.unknown)
    model = decoded.chat.model
    if not config.models.accepts(model):
        raise codec.model_not_found(model)
    kind = model_kind(model)
    if kind is not None and kind != operation.model_kind:
        raise codec.unsupported_model(model)
    return key, decoded


async def _chat(
    exchange: Exchange,
    operation: ChatOperation[Any],
    decoded: Decoded[Any],
    scenario: str | None,
    key: str,
    runtime: Runtime,
) -> web.StreamResponse:
    session = exchange.session
    turn, store = decoded.turn, runtime.conversations
    claimed = turn.continues if turn is not None else None
    if claimed is not None:
        # Decoding read the history; nothing awaited since, but a reset on another thread
        # may have come between, so the claim checks again.
        try:
            store.claim(session, claimed, api=exchange.codec.name)
        except ConversationUnavailable as refused:
            raise exchange.codec.conversation_error(
                refused.problem, model=decoded.chat.model
            ) from None
    try:
        plan = runtime.engine.plan(
            decoded.chat,
            decoded.body,
            exchange.request.headers,
            scenario=scenario,
            session=session,
            client_key=key,
        )
        if isinstance(plan.outcome, Answer):
            prepared = operation.prepare(plan.outcome, decoded, session=session)
            if prepared is not plan.outcome:
                plan = replace(plan, outcome=prepared)
        exchange.planned(plan)
        profile = runtime.engine.profile(scenario) or runtime.config.profile
        if profile != decoded.profile:
            decoded = replace(decoded, profile=profile)
        rendering = ChatRendering(exchange.codec, operation, decoded, exchange.request_id)
        response = await deliver(
            exchange, plan, rendering, max_wait=runtime.config.max_wait_seconds
        )
        outcome = plan.outcome
        # Only a reply that went out whole is kept: an error, a fault or a cut leaves the
        # conversation where it was, as the real API stores no turn it did not finish.
        if (
            turn is not None
            and isinstance(outcome, Answer)
            and outcome.stream_fault is None
            and exchange.error_code is None
        ):
            store.save(
                session, turn.response_id, turn.record(outcome.completion), continues=claimed
            )
        return response
    finally:
        if claimed is not None:
            store.release(session, claimed)
