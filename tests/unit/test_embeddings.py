"""Embeddings without a server: the vectors' promises and the request's validation."""

from __future__ import annotations

import array
import base64
import math
import time
import typing
from typing import Any

import pytest
from openai.types.embedding_model import EmbeddingModel

from mockgw.core.models import EMBEDDING_MODELS, ModelCatalogue, model_kind
from mockgw.core.vectors import embedding, float32, shortened, to_base64
from mockgw.errors import ApiError
from mockgw.protocols.openai_embeddings.validate import (
    INVALID_INPUT,
    validate_embeddings_request,
)
from mockgw.scenarios.model import Reply

SMALL = "text-embedding-3-small"


def _cos(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def _vec(text: str, model: str = SMALL, dimensions: int = 1536) -> list[float]:
    return embedding(text, model=model, dimensions=dimensions)


@pytest.mark.parametrize("model", sorted(EMBEDDING_MODELS))
def test_vectors_are_unit_and_as_long_as_the_model_says(model: str) -> None:
    native = EMBEDDING_MODELS[model].dimensions
    vector = _vec("Embeddings for retrieval", model, native)
    assert len(vector) == native
    assert math.isclose(math.hypot(*vector), 1.0, rel_tol=1e-9)


def test_a_text_without_words_is_still_a_unit_vector() -> None:
    assert math.isclose(math.hypot(*_vec("!!! ???")), 1.0, rel_tol=1e-9)


def test_vectors_are_deterministic_per_text_and_model() -> None:
    assert _vec("the cat sat on the mat") == _vec("the cat sat on the mat")
    assert _vec("the cat sat on the mat") != _vec("the cat sat on the hat")
    # Another model, another space: the same text does not give the same vector.
    assert _vec("the cat sat", "text-embedding-ada-002") != _vec("the cat sat")


@pytest.mark.parametrize(
    ("query", "near", "far"),
    [
        ("the cat sat on the mat", "a cat sat down on a mat", "quarterly tax filing deadline"),
        ("How do I reset my password?", "reset password steps", "best pizza in Naples"),
        ("kubernetes pod crashloop", "my pod is in crashloop on kubernetes", "banana bread"),
    ],
)
@pytest.mark.parametrize("model", [SMALL, "voyage-3"])
def test_texts_sharing_words_are_closer_than_unrelated_ones(
    query: str, near: str, far: str, model: str
) -> None:
    dims = EMBEDDING_MODELS[model].dimensions
    q, n, f = _vec(query, model, dims), _vec(near, model, dims), _vec(far, model, dims)
    assert _cos(q, n) > _cos(q, f) + 0.2
    assert abs(_cos(q, f)) < 0.2  # unrelated is near orthogonal, not merely less similar


def test_word_forms_share_trigrams() -> None:
    assert _cos(_vec("embedding"), _vec("embeddings")) > _cos(_vec("embedding"), _vec("zebra"))


def test_shortening_keeps_a_prefix_renormalised() -> None:
    full = _vec("matryoshka vectors", "text-embedding-3-large", 3072)
    short = shortened(full, 256)
    assert len(short) == 256
    assert math.isclose(math.hypot(*short), 1.0, rel_tol=1e-9)
    ratio = short[0] / full[0]
    assert all(
        math.isclose(s, x * ratio, rel_tol=1e-9) for s, x in zip(short, full[:256], strict=True)
    )


def test_base64_is_little_endian_float32() -> None:
    packed = float32(_vec("bytes on the wire"))
    decoded = array.array("f", base64.b64decode(to_base64(packed)))
    assert decoded.tolist() == packed.tolist()
    assert len(base64.b64decode(to_base64(packed))) == 4 * 1536


def test_a_vector_takes_well_under_a_few_milliseconds() -> None:
    # A ceiling with a wide margin (2 shared cores, coverage tracing): ~1 ms measured.
    text = "Retrieval augmented generation embeds every chunk of every document. " * 8
    _vec(text, "text-embedding-3-large", 3072)  # warm the layout cache
    start = time.perf_counter()
    for i in range(20):
        _vec(text + str(i), "text-embedding-3-large", 3072)
    assert (time.perf_counter() - start) / 20 < 0.02


def test_the_sdk_embedding_models_are_served_as_embedding_models() -> None:
    catalogue = ModelCatalogue.default()
    for model in typing.get_args(EmbeddingModel):
        assert catalogue.accepts(model)
        assert model_kind(model) == "embedding"
    assert model_kind("gpt-4o") == "chat"
    assert model_kind("my-own-model") is None


# --- validation -------------------------------------------------------------------------


def _refusal(body: dict[str, Any], *, strict: bool = False) -> ApiError:
    with pytest.raises(ApiError) as caught:
        validate_embeddings_request({"model": SMALL, **body}, strict=strict)
    assert caught.value.status == 400
    return caught.value


@pytest.mark.parametrize(
    "value",
    ["", [], [""], ["a", ""], [[]], [[1], []], [1, "a"], [True], [-1], 5, None, {"a": 1}, [[1.5]]],
)
def test_malformed_input_gets_the_apis_one_sentence(value: Any) -> None:
    error = _refusal({"input": value})
    assert error.message == INVALID_INPUT
    assert error.param is None


def test_each_accepted_input_shape_counts_its_tokens() -> None:
    def tokens(value: Any) -> tuple[int, ...]:
        call, _, _ = validate_embeddings_request({"model": SMALL, "input": value}, strict=False)
        return call.tokens

    assert tokens("hello world") == (2,)
    assert tokens(["hello", "hello world"]) == (1, 2)
    assert tokens([1, 2, 3]) == (3,)  # token arrays count exactly
    assert tokens([[1, 2], [3]]) == (2, 1)


def test_limits_on_inputs_and_tokens() -> None:
    too_many = _refusal({"input": ["x"] * 2049})
    assert (too_many.param, too_many.code) == ("input", "array_above_max_length")
    assert "2048" in too_many.message
    validate_embeddings_request({"model": SMALL, "input": ["x"] * 2048}, strict=False)
    long = _refusal({"input": [0] * 8193})
    assert long.message.startswith("This model's maximum context length is 8192 tokens")
    assert "requested 8193 tokens" in long.message
    # Voyage's context is longer: the same input is fine there.
    validate_embeddings_request({"model": "voyage-3", "input": [0] * 8193}, strict=False)
    total = _refusal({"input": [[0] * 8000] * 38})
    assert total.message == "Requested 304000 tokens, max 300000 tokens per request"


def test_dimensions_rules() -> None:
    assert _refusal({"model": "text-embedding-ada-002", "input": "x", "dimensions": 8}).message == (
        "This model does not support specifying dimensions."
    )
    over = _refusal({"input": "x", "dimensions": 1537})
    assert (over.param, over.code) == ("dimensions", "integer_above_max_value")
    zero = _refusal({"input": "x", "dimensions": 0})
    assert zero.message == (
        "Invalid 'dimensions': integer below minimum value. Expected a value >= 1, but got 0 "
        "instead."
    )
    assert _refusal({"input": "x", "dimensions": "8"}).code == "invalid_type"
    call, _, _ = validate_embeddings_request(
        {"model": SMALL, "input": "x", "dimensions": 1536}, strict=False
    )
    assert call.dimensions == 1536


def test_encoding_format_and_other_fields() -> None:
    bad = _refusal({"input": "x", "encoding_format": "hex"})
    assert bad.message == "Invalid value: 'hex'. Supported values are: 'float' and 'base64'."
    assert bad.param == "encoding_format"
    assert _refusal({"input": "x", "model": 5}).message.startswith("Invalid type for 'model'")
    assert _refusal({}).message == "Missing required parameter: 'input'."
    _, _, unknown = validate_embeddings_request(
        {"model": SMALL, "input": "x", "foo": 1}, strict=False
    )
    assert unknown == ["foo"]
    strict = _refusal({"input": "x", "foo": 1}, strict=True)
    assert strict.message == "Unrecognized request argument supplied: foo"


# --- the scenario key ---------------------------------------------------------------------


@pytest.mark.parametrize("embedding", [[], [[]], [1e39], [float("nan")], [[0.1], [float("inf")]]])
def test_a_scripted_embedding_must_be_sendable(embedding: Any) -> None:
    with pytest.raises(ValueError, match="embedding"):
        Reply.model_validate({"embedding": embedding})


def test_a_scripted_embedding_is_content_not_an_error() -> None:
    with pytest.raises(ValueError, match="cannot also have embedding"):
        Reply.model_validate({"embedding": [0.1], "error": "overloaded"})
    assert Reply.model_validate({"embedding": [[1, 0], [0, 1]]}).embedding == [
        [1.0, 0.0],
        [0.0, 1.0],
    ]
