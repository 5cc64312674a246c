"""``POST /v1/embeddings`` through the official ``openai`` SDK, and through the pipeline's
shared machinery: scenarios, sessions, journal, strict mode, auth."""

from __future__ import annotations

import array
import base64
import math

import aiohttp
import anthropic
import openai
import pytest

from mockgw import MockGateway
from mockgw.background import BackgroundServer
from tests.conftest import API_KEY

SMALL = "text-embedding-3-small"


def _cos(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def test_the_sdk_default_base64_and_explicit_float_agree(oai: openai.OpenAI) -> None:
    # Without encoding_format the SDK asks for base64 and decodes it itself.
    default = oai.embeddings.create(model=SMALL, input="The cat sat on the mat.")
    floats = oai.embeddings.create(
        model=SMALL, input="The cat sat on the mat.", encoding_format="float"
    )
    assert (default.object, default.model) == ("list", SMALL)
    assert (default.data[0].object, default.data[0].index) == ("embedding", 0)
    assert len(default.data[0].embedding) == 1536
    assert default.data[0].embedding == floats.data[0].embedding
    assert math.isclose(math.hypot(*floats.data[0].embedding), 1.0, rel_tol=1e-6)
    assert default.usage.prompt_tokens == default.usage.total_tokens == 7


def test_explicit_base64_is_a_string_of_little_endian_float32(oai: openai.OpenAI) -> None:
    raw = oai.embeddings.create(model=SMALL, input="bytes", encoding_format="base64")
    encoded = raw.data[0].embedding
    assert isinstance(encoded, str)  # asked for explicitly, the SDK leaves it as sent
    floats = oai.embeddings.create(model=SMALL, input="bytes", encoding_format="float")
    assert array.array("f", base64.b64decode(encoded)).tolist() == floats.data[0].embedding


def test_lists_token_arrays_and_dimensions(oai: openai.OpenAI) -> None:
    texts = ["reset my password", "password reset steps", "pizza in Naples"]
    many = oai.embeddings.create(model="text-embedding-3-large", input=texts, dimensions=256)
    assert [d.index for d in many.data] == [0, 1, 2]
    vectors = [d.embedding for d in many.data]
    assert all(len(v) == 256 for v in vectors)
    assert _cos(vectors[0], vectors[1]) > _cos(vectors[0], vectors[2])
    tokens = oai.embeddings.create(model=SMALL, input=[[1, 2, 3], [4, 5]])
    assert tokens.usage.prompt_tokens == 5
    single = oai.embeddings.create(model=SMALL, input=[1, 2, 3])
    assert single.data[0].embedding == tokens.data[0].embedding
    voyage = oai.embeddings.create(model="voyage-3-lite", input="gateway ids")
    assert len(voyage.data[0].embedding) == 512


async def test_the_async_client(aoai: openai.AsyncOpenAI) -> None:
    result = await aoai.embeddings.create(model=SMALL, input=["a", "b"])
    assert len(result.data) == 2


def test_errors_raise_the_sdks_classes(oai: openai.OpenAI) -> None:
    with pytest.raises(openai.PermissionDeniedError, match="not allowed to generate embeddings"):
        oai.embeddings.create(model="gpt-4o", input="x")
    with pytest.raises(openai.NotFoundError, match="does not exist"):
        oai.embeddings.create(model="no-such-embedder", input="x")
    with pytest.raises(openai.BadRequestError, match="does not support specifying dimensions"):
        oai.embeddings.create(model="text-embedding-ada-002", input="x", dimensions=8)
    with pytest.raises(openai.BadRequestError, match=r"'\$\.input' is invalid") as empty:
        oai.embeddings.create(model=SMALL, input="")
    assert empty.value.body == {
        "message": "'$.input' is invalid. Please check the API reference: "
        "https://platform.openai.com/docs/api-reference.",
        "type": "invalid_request_error",
        "param": None,
        "code": None,
    }
    with pytest.raises(openai.BadRequestError) as fmt:
        oai.embeddings.create(model=SMALL, input="x", encoding_format="hex")  # type: ignore[arg-type]
    assert fmt.value.param == "encoding_format"
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=oai.base_url, api_key="sk-wrong", max_retries=0).embeddings.create(
            model=SMALL, input="x"
        )


def test_an_embedding_model_on_chat_gets_each_apis_refusal(
    oai: openai.OpenAI, ant: anthropic.Anthropic
) -> None:
    with pytest.raises(openai.NotFoundError, match="This is not a chat model") as chat:
        oai.chat.completions.create(model=SMALL, messages=[{"role": "user", "content": "hi"}])
    assert chat.value.param == "model"
    with pytest.raises(anthropic.NotFoundError, match="voyage-3"):
        ant.messages.create(
            model="voyage-3", max_tokens=10, messages=[{"role": "user", "content": "hi"}]
        )


RULES = """
- when: {api: embeddings, last_user: {contains: pinned}}
  reply: {embedding: [0.6, 0.8], usage: {input_tokens: 42}}
- when: {api: embeddings, last_user: {contains: pair}}
  reply: {embedding: [[1, 0], [0, 1]]}
- when: {api: embeddings, last_user: {contains: broken}}
  reply: {error: overloaded, should_retry: false}
- when: {last_user: {contains: both}}
  reply: {text: "chat sees text", embedding: [0.0, 1.0]}
"""


def test_scenario_rules_script_vectors_errors_and_serve_both_apis() -> None:
    with MockGateway() as gateway:
        session = gateway.session(strict=True).add_rules(RULES)
        client = session.openai_client()
        pinned = client.embeddings.create(model=SMALL, input="pinned vector")
        assert pinned.data[0].embedding == pytest.approx([0.6, 0.8], abs=1e-7)
        assert pinned.usage.prompt_tokens == 42
        pair = client.embeddings.create(model=SMALL, input=["pair a", "pair b", "pair c"])
        assert [d.embedding for d in pair.data] == [[1, 0], [0, 1], [1, 0]]
        with pytest.raises(openai.InternalServerError):
            client.embeddings.create(model=SMALL, input="broken")
        # One rule for every API: chat takes its text, embeddings its vector.
        both = client.embeddings.create(model=SMALL, input="both", encoding_format="float")
        assert both.data[0].embedding == [0.0, 1.0]
        chat = client.chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": "both"}]
        )
        assert chat.choices[0].message.content == "chat sees text"
        entries = session.requests()
        assert [e.api for e in entries[:4]] == ["embeddings"] * 4
        assert entries[0].path.endswith("/v1/embeddings")
        assert entries[0].status == 200
        assert entries[2].status == 503
        session.check()  # strict: every request matched a rule
        # An unmatched embeddings request is a near-miss 404, counted for strict mode.
        with pytest.raises(openai.NotFoundError, match="matched this request"):
            client.embeddings.create(model=SMALL, input="nothing scripted")
        assert session.misses.count == 1


async def test_session_and_scenario_prefixes_and_strict_unknown_fields(
    server: BackgroundServer, strict_server: BackgroundServer
) -> None:
    body = {"model": SMALL, "input": "x", "encoding_format": "float"}
    headers = {"Authorization": f"Bearer {API_KEY}"}
    async with aiohttp.ClientSession() as http:
        for prefix in ("/session/emb-1", "/s/default"):
            async with http.post(
                server.url + prefix + "/v1/embeddings", json=body, headers=headers
            ) as r:
                assert r.status == 200, await r.text()
                assert r.headers["x-request-id"].startswith("req_")
                assert len((await r.json())["data"][0]["embedding"]) == 1536
        async with http.post(server.url + "/s/nope/v1/embeddings", json=body, headers=headers) as r:
            assert r.status == 404
        async with http.post(
            strict_server.url + "/v1/embeddings", json={**body, "foo": 1}, headers=headers
        ) as r:
            assert r.status == 400
            assert (await r.json())["error"][
                "message"
            ] == "Unrecognized request argument supplied: foo"
        bad_json = {**headers, "Content-Type": "application/json"}
        async with http.post(server.url + "/v1/embeddings", data=b"{", headers=bad_json) as r:
            assert r.status == 400
            assert "could not parse the JSON body" in (await r.json())["error"]["message"]
