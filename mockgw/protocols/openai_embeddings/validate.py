"""Validate a ``POST /v1/embeddings`` body the way the real OpenAI API does.

The shape of the scalar fields is a pydantic model, whose errors the chat codec's
translator words (``Invalid 'dimensions': integer below minimum value...``). ``input`` is
checked by hand: its four accepted shapes (a string, strings, a token array, token
arrays) make a union whose pydantic errors no translation could word as the API does,
which says one thing for every malformed input. The limits that depend on the model
(tokens per input, ``dimensions``) come last.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, ValidationError

from mockgw.core.models import embedding_model
from mockgw.core.tokens import count_tokens
from mockgw.errors import ApiError
from mockgw.protocols.openai.validation_errors import api_error_from_validation, invalid_request

MAX_INPUTS = 2048
MAX_REQUEST_TOKENS = 300_000  # summed over the inputs of one request (the SDK's docstring)

# The real API's one sentence for an empty string, an empty array, a mixed array and
# any other shape it cannot read (param null, as it sends it).
INVALID_INPUT = (
    "'$.input' is invalid. Please check the API reference: "
    "https://platform.openai.com/docs/api-reference."
)


class EmbeddingsRequest(BaseModel):
    """The body's scalar fields; unknown keys are kept (``model_extra``) to be named."""

    model_config = ConfigDict(extra="allow")

    model: StrictStr
    input: Any = Field()  # required, checked by :func:`_inputs`
    dimensions: StrictInt | None = Field(default=None, ge=1)
    encoding_format: Literal["float", "base64"] | None = None
    user: StrictStr | None = None


@dataclass(frozen=True, slots=True)
class EmbeddingsCall:
    """What the encoder needs of a validated request: one text and token count per input
    (a token array's text is its ids, so shared ids bring vectors together), the vector
    length, and the format."""

    texts: tuple[str, ...]
    tokens: tuple[int, ...]
    native: int
    dimensions: int | None  # None: the model's native length
    base64: bool


def validate_embeddings_request(
    body: dict[str, Any], *, strict: bool
) -> tuple[EmbeddingsCall, EmbeddingsRequest, list[str]]:
    """The call, the validated model and the unknown top-level fields; raises the API's
    400 (an unknown field only when ``strict``: gateways ignore them, OpenAI does not)."""
    try:
        request = EmbeddingsRequest.model_validate(body)
    except ValidationError as exc:
        raise api_error_from_validation(exc) from None
    unknown = sorted(request.model_extra or ())
    if strict and unknown:
        noun = "argument" if len(unknown) == 1 else "arguments"
        raise invalid_request(f"Unrecognized request {noun} supplied: {', '.join(unknown)}")
    texts, tokens = _inputs(request.input)
    spec = embedding_model(request.model)
    for index, count in enumerate(tokens):
        if count > spec.max_input_tokens:
            raise _too_long(spec.max_input_tokens, count, index if len(tokens) > 1 else None)
    total = sum(tokens)
    if total > MAX_REQUEST_TOKENS:
        raise invalid_request(
            f"Requested {total} tokens, max {MAX_REQUEST_TOKENS} tokens per request",
            code="max_tokens_per_request",
        )
    if request.dimensions is not None:
        if not spec.shortenable:
            raise invalid_request("This model does not support specifying dimensions.")
        if request.dimensions > spec.dimensions:
            # Wording guessed (docs/deviations.md), in the API's bound-check style.
            raise invalid_request(
                f"Invalid 'dimensions': integer above maximum value. Expected a value <= "
                f"{spec.dimensions}, but got {request.dimensions} instead.",
                "dimensions",
                "integer_above_max_value",
            )
    call = EmbeddingsCall(
        texts,
        tokens,
        spec.dimensions,
        request.dimensions,
        request.encoding_format == "base64",
    )
    return call, request, unknown


def _inputs(value: Any) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """The texts and token counts of ``input``, or the API's 400."""
    if isinstance(value, str):
        return _strings([value])
    if not isinstance(value, list) or not value:
        raise invalid_request(INVALID_INPUT)
    if _is_token_array(value):  # one input, however many tokens: not an array of inputs
        return _token_arrays([value])
    if len(value) > MAX_INPUTS:
        # Wording guessed (docs/deviations.md), in the API's array-length style.
        raise invalid_request(
            f"Invalid 'input': array too long. Expected an array with maximum length "
            f"{MAX_INPUTS}, but got an array with length {len(value)} instead.",
            "input",
            "array_above_max_length",
        )
    if all(isinstance(item, str) for item in value):
        return _strings(value)
    if all(isinstance(item, list) for item in value):
        return _token_arrays(value)
    raise invalid_request(INVALID_INPUT)


def _strings(values: Sequence[str]) -> tuple[tuple[str, ...], tuple[int, ...]]:
    if not all(values):
        raise invalid_request(INVALID_INPUT)
    return tuple(values), tuple(count_tokens(text) for text in values)


def _is_token_array(value: list[Any]) -> bool:
    # bool is an int to Python, never a token to the API.
    return all(isinstance(t, int) and not isinstance(t, bool) and t >= 0 for t in value)


def _token_arrays(arrays: Sequence[list[Any]]) -> tuple[tuple[str, ...], tuple[int, ...]]:
    if not all(array and _is_token_array(array) for array in arrays):
        raise invalid_request(INVALID_INPUT)
    return tuple(" ".join(map(str, a)) for a in arrays), tuple(len(a) for a in arrays)


def _too_long(limit: int, count: int, index: int | None) -> ApiError:
    # The API's context-length sentence; with several inputs, which one (guessed).
    which = "" if index is None else f" (input[{index}])"
    return invalid_request(
        f"This model's maximum context length is {limit} tokens, however you requested "
        f"{count} tokens ({count} in your prompt; 0 for the completion){which}. Please "
        "reduce your prompt; or completion length."
    )
