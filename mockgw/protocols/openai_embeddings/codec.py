"""``POST /v1/embeddings``: OpenAI's embeddings endpoint, as a codec of its own.

It speaks the OpenAI wire format in everything but the body (key, errors, request id,
rate-limit headers), so it is the OpenAI codec with other routes. Being its own codec
gives it its own name: a scenario's ``api: openai_embeddings`` and the journal's ``api``
tell embeddings from chat, and a chat rule written ``api: openai`` never answers them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from typing_extensions import override

from mockgw.core.chat import ChatRequest, Completion, Message, Usage
from mockgw.core.plan import Answer
from mockgw.errors import ApiError
from mockgw.protocols.codec import ChatOperation, Decoded, Route
from mockgw.protocols.openai.codec import OpenAICodec
from mockgw.protocols.openai_embeddings.encode import embeddings_body
from mockgw.protocols.openai_embeddings.validate import (
    EmbeddingsCall,
    validate_embeddings_request,
)

NAME = "embeddings"


class Embeddings(ChatOperation[EmbeddingsCall]):
    """Planned like a chat request (rules, errors, delays, limits), encoded as vectors."""

    model_kind = "embedding"

    def decode(self, body: dict[str, Any], *, strict: bool) -> Decoded[EmbeddingsCall]:
        call, request, unknown = validate_embeddings_request(body, strict=strict)
        # Each input is a user turn, so `last_user` and `any_message` conditions and
        # `{{ last_user }}` templates read the inputs.
        chat = ChatRequest(
            api=NAME,
            model=request.model,
            messages=tuple(Message("user", text) for text in call.texts),
        )
        return Decoded(chat, body, call, unknown)

    @override
    def prepare(self, answer: Answer, decoded: Decoded[EmbeddingsCall], *, session: str) -> Answer:
        if answer.usage_scripted:
            return answer
        # Embeddings bill the inputs' tokens alone, with none of chat's per-message framing.
        usage = Usage(input_tokens=sum(decoded.extra.tokens), output_tokens=0)
        return replace(answer, completion=replace(answer.completion, usage=usage))

    def body(self, completion: Completion, decoded: Decoded[EmbeddingsCall]) -> dict[str, Any]:
        return embeddings_body(completion, decoded.extra)

    def events(self, completion: Completion, decoded: Decoded[EmbeddingsCall]) -> list[bytes]:
        raise NotImplementedError("embeddings never stream")  # decode never sets stream


class OpenAIEmbeddingsCodec(OpenAICodec):
    name = NAME

    @override
    def routes(self) -> Sequence[Route]:
        return (Route("POST", "/v1/embeddings", Embeddings()),)

    @override
    def unsupported_model(self, model: str) -> ApiError:
        # The real API's answer to a chat model here: 403, the SDK's PermissionDeniedError.
        return ApiError(
            403, "permission_error", "You are not allowed to generate embeddings from this model"
        )
