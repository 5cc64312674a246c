"""The wire formats a server speaks: the one module that names them.

Everything else reaches a codec through :class:`~mockgw.protocols.codec.Codec`. The
first codec is the default for a request that none claims (a shared path such as
``/v1/models`` without a version header, or a path no route serves).
"""

from __future__ import annotations

from collections.abc import Callable

from mockgw.protocols.anthropic.codec import AnthropicCodec
from mockgw.protocols.codec import Codec
from mockgw.protocols.openai.codec import OpenAICodec
from mockgw.protocols.openai_embeddings.codec import OpenAIEmbeddingsCodec
from mockgw.protocols.openai_responses.codec import ResponsesCodec

CodecFactory = Callable[[], Codec]

STANDARD_CODECS: tuple[CodecFactory, ...] = (
    OpenAICodec,
    AnthropicCodec,
    ResponsesCodec,
    OpenAIEmbeddingsCodec,
)
