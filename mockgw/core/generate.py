"""Deterministic content: prose, JSON from a schema, tool arguments, ids.

Everything here is driven by a :class:`random.Random` that the caller seeds from the
request, so the same request always gets the same answer, on either API, in any
process. Faker supplies the prose; the JSON-Schema walker is our own because no
offline package generates schema-valid instances without extra dependencies.
"""

from __future__ import annotations

import functools
import hashlib
import math
import random
import secrets
import string
import threading
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

from faker import Faker

from mockgw.core.chat import ChatRequest
from mockgw.core.tokens import canonical_json

_local = threading.local()

# Bounds that keep generated documents small: a mock reply should be quick to read in a
# failing test, not a faithful sample of maximum sizes.
_MAX_ARRAY_ITEMS = 3
_MAX_DEPTH = 8
_MAX_NODES = 2_000  # values generated for one instance, whatever the schema's shape
_MAX_ITEMS = 100  # honoured minItems at most
_MAX_STRING = 10_000  # honoured minLength at most
_ALNUM = string.ascii_letters + string.digits


def _faker() -> Any:
    # Faker instances are not thread-safe and take milliseconds to build, so each
    # thread (one per in-process server) keeps one and reseeds it per request.
    fake = getattr(_local, "faker", None)
    if fake is None:
        fake = Faker("en_US")
        _local.faker = fake
    return fake


def request_seed(request: ChatRequest) -> int:
    """A stable seed from the conversation itself (not the model or the API).

    Sampling limits (``max_tokens``, ``stop``, ``n``) are left out on purpose: the
    same conversation must produce the same underlying text, which those limits then
    cut, exactly like a real model sampled with a fixed seed.
    """
    material = canonical_json(
        [
            request.system,
            [
                (
                    m.role,
                    m.text,
                    [(c.name, c.arguments) for c in m.tool_calls],
                    [(r.tool_call_id, r.content) for r in m.tool_results],
                )
                for m in request.messages
            ],
            [(t.name, t.parameters) for t in request.tools],
            request.response_format.kind,
            request.response_format.schema,
            request.seed,
        ]
    )
    # surrogatepass: a lone surrogate in client text must not break seeding.
    digest = hashlib.blake2b(material.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def prose(rng: random.Random, *, min_sentences: int = 1, max_sentences: int = 4) -> str:
    """Deterministic sentences; draws exactly two values from ``rng``."""
    return _prose(rng.getrandbits(64), rng.randint(min_sentences, max_sentences))


@functools.lru_cache(maxsize=4096)
def _prose(seed: int, sentences: int) -> str:
    # Test suites repeat the same requests; reseeding faker and writing the sentences
    # is most of the cost of a generated reply, so identical inputs are served cached.
    fake = _faker()
    fake.seed_instance(seed)
    return " ".join(fake.sentences(nb=sentences))


# Ids only need to be unique, not unpredictable; one seeded generator is an order of
# magnitude cheaper than a urandom read per character.
_ids = random.Random(secrets.randbits(64))


def unique_id(length: int) -> str:
    """A fresh id (request ids, completion ids): unique, not secret; hex digits are
    alphanumeric like the real ids, and one big random integer is the cheapest source."""
    return f"{_ids.getrandbits(4 * length):0{length}x}"


def random_id(rng: random.Random, length: int = 24) -> str:
    return "".join(rng.choices(_ALNUM, k=length))


def instance_from_schema(schema: Any, rng: random.Random) -> Any:
    """A value valid against ``schema`` (the JSON-Schema subset LLM APIs accept).

    Generation is bounded: a client's schema can ask for a ten-million-item array or
    recurse through ``$ref`` without end, and the server must still answer at once.
    Past the bounds (nodes, depth, string and array sizes) the value is the smallest
    mockgw can produce, which may then fall short of an extreme ``minLength``.
    """
    root = schema if isinstance(schema, dict) else {}
    return _SchemaWalker(root, rng).value(root, 0)


def _number(value: Any, default: float) -> float:
    """A schema bound as a finite float; anything else (a string, NaN) is ignored."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return default
    return float(value) if math.isfinite(value) else default


def _count(value: Any, default: int, cap: int) -> int:
    return min(max(int(_number(value, default)), 0), cap)


class _SchemaWalker:
    def __init__(self, root: dict[str, Any], rng: random.Random) -> None:
        self._root = root
        self._rng = rng
        self._fake = _faker()
        self._fake.seed_instance(rng.getrandbits(64))
        self._budget = _MAX_NODES

    def _resolve(self, ref: Any) -> dict[str, Any]:
        node: Any = self._root
        if isinstance(ref, str) and ref.startswith("#"):
            for part in ref.lstrip("#/").split("/"):
                if not part:
                    continue
                key = part.replace("~1", "/").replace("~0", "~")
                node = node.get(key, {}) if isinstance(node, dict) else {}
        return node if isinstance(node, dict) else {}

    def value(self, schema: Any, depth: int) -> Any:
        self._budget -= 1
        if depth > _MAX_DEPTH or self._budget < 0:
            return None
        if not isinstance(schema, dict):
            return self._fake.word()
        if "$ref" in schema:
            return self.value(self._resolve(schema["$ref"]), depth + 1)
        if "const" in schema:
            return schema["const"]
        if isinstance(schema.get("enum"), list) and schema["enum"]:
            return self._rng.choice(schema["enum"])
        for key in ("anyOf", "oneOf"):
            options = schema.get(key)
            if isinstance(options, list) and options:
                # Prefer a non-null branch so optional fields carry a visible value.
                non_null = [
                    o for o in options if not (isinstance(o, dict) and o.get("type") == "null")
                ]
                return self.value(self._rng.choice(non_null or options), depth + 1)
        if isinstance(schema.get("allOf"), list):
            return self.value(self._merged(schema["allOf"]), depth + 1)
        return self._by_type(_kind(schema), schema, depth)

    def _merged(self, parts: list[Any]) -> dict[str, Any]:
        """An ``allOf``'s parts as one schema, references resolved."""
        merged: dict[str, Any] = {}
        for part in parts:
            if isinstance(part, dict):
                part = self._resolve(part["$ref"]) if "$ref" in part else part
                merged = _merge(merged, part)
        return merged

    def _by_type(self, kind: str, schema: dict[str, Any], depth: int) -> Any:
        if kind == "object":
            props = schema.get("properties")
            if not isinstance(props, dict):
                return {}
            return {str(name): self.value(sub, depth + 1) for name, sub in props.items()}
        if kind == "array":
            low = _count(schema.get("minItems"), 1, _MAX_ITEMS)
            high = max(low, _count(schema.get("maxItems"), _MAX_ARRAY_ITEMS, _MAX_ITEMS))
            count = self._rng.randint(low, max(low, min(high, _MAX_ARRAY_ITEMS)))
            return [self.value(schema.get("items", {}), depth + 1) for _ in range(count)]
        if kind == "integer":
            least, most = _bounds(schema, integer=True)
            low = math.ceil(least)
            return self._rng.randint(low, max(low, math.floor(most)))
        if kind == "number":
            least, most = _bounds(schema, integer=False)
            return round(self._rng.uniform(least, most), 2)
        if kind == "boolean":
            return self._rng.random() < 0.5
        if kind == "null":
            return None
        return self._string(schema)

    def _string(self, schema: dict[str, Any]) -> str:
        fmt = schema.get("format")
        moment = datetime(2024, 1, 1, tzinfo=timezone.utc) + timedelta(
            seconds=self._rng.randint(0, 3 * 365 * 86400)
        )
        by_format = {
            "date-time": moment.isoformat().replace("+00:00", "Z"),
            "date": moment.date().isoformat(),
            "time": moment.time().isoformat() + "Z",
            "email": f"{self._fake.user_name()}@example.com",
            "uri": f"https://example.com/{self._fake.word()}",
            "uuid": str(uuid.UUID(int=self._rng.getrandbits(128), version=4)),
        }
        text = by_format.get(str(fmt)) if fmt else None
        if text is None:
            text = (
                self._fake.word() if self._rng.random() < 0.5 else self._fake.sentence(nb_words=3)
            )
        low = _count(schema.get("minLength"), 0, _MAX_STRING)
        if len(text) < low:
            text = (text + " ") * (low // (len(text) + 1) + 1)
            text = text[:low]
        high = schema.get("maxLength")
        if isinstance(high, int) and not isinstance(high, bool) and 0 <= high < len(text):
            text = text[:high]
        return text


def _kind(schema: dict[str, Any]) -> str:
    """The type to generate: the first non-null one, else guessed from the keywords."""
    kind = schema.get("type")
    if isinstance(kind, list):
        kinds = [k for k in kind if k != "null"] or kind
        kind = kinds[0] if kinds else None
    if kind is None:
        kind = "object" if "properties" in schema else "array" if "items" in schema else "string"
    return str(kind)


def _merge(left: dict[str, Any], right: dict[str, Any]) -> dict[str, Any]:
    merged = {**left, **right}
    if isinstance(left.get("properties"), dict) and isinstance(right.get("properties"), dict):
        merged["properties"] = {**left["properties"], **right["properties"]}
    return merged


def _bounds(schema: dict[str, Any], *, integer: bool) -> tuple[float, float]:
    step = 1 if integer else 0.01
    low = _number(schema.get("minimum"), 0.0)
    high = _number(schema.get("maximum"), max(low, 0) + 100)
    if "exclusiveMinimum" in schema:
        low = max(low, _number(schema["exclusiveMinimum"], low - step) + step)
    if "exclusiveMaximum" in schema:
        high = min(high, _number(schema["exclusiveMaximum"], high + step) - step)
    return low, max(low, high)
