"""An embeddings answer -> the ``CreateEmbeddingResponse`` body.

Vectors are computed here, when the body is encoded, rather than by the scenario engine:
the engine's plan carries only what a rule scripted (``Completion.embeddings``), so a
reply that scripts just a delay or headers still gets the generated vectors. Every value
goes through float32, as the API computes them, so the ``float`` and ``base64`` formats
of one request decode to exactly the same numbers.
"""

from __future__ import annotations

from typing import Any

from mockgw.core.chat import Completion
from mockgw.core.vectors import embedding, float32, shortened, to_base64
from mockgw.protocols.openai_embeddings.validate import EmbeddingsCall


def embeddings_body(completion: Completion, call: EmbeddingsCall) -> dict[str, Any]:
    scripted = completion.embeddings
    data = []
    for index, text in enumerate(call.texts):
        if scripted:
            # One scripted vector serves every input; several are dealt out in order.
            values: list[float] | tuple[float, ...] = scripted[index % len(scripted)]
        else:
            values = embedding(text, model=completion.model, dimensions=call.native)
            if call.dimensions is not None:
                values = shortened(values, call.dimensions)
        packed = float32(values)
        data.append(
            {
                "object": "embedding",
                "index": index,
                "embedding": to_base64(packed) if call.base64 else packed.tolist(),
            }
        )
    tokens = completion.usage.input_tokens
    return {
        "object": "list",
        "data": data,
        "model": completion.model,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }
