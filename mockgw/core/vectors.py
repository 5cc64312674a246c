"""Seeded embedding vectors in which texts that share words lie close together.

No model runs offline, yet a test of similarity search needs "the cat sat" nearer to
"a cat sat down" than to "quarterly tax filing". Each text becomes a signed hashed bag of
its words and of their character trigrams (feature hashing into :data:`BUCKETS` buckets);
every output dimension reads one bucket with a fixed sign, each bucket read equally often
(a seeded permutation per model), so the cosine of two outputs is that of their bags. A
little noise seeded by the text keeps distinct texts apart, then the vector is
unit-normalised. Everything is seeded from the model id and the text: the same request
gives the same vector in every process (``zlib.crc32`` and ``hashlib``, never ``hash()``).

Pure Python, a few passes per dimension through C-backed ``map``: a 1536-dimension vector
costs about 0.5 ms (1 ms at 3072) measured on a loaded shared core, which no test suite notices, so
numpy would not earn its place as a dependency.
"""

from __future__ import annotations

import array
import base64
import hashlib
import math
import random
import re
import sys
import zlib
from collections.abc import Sequence
from functools import lru_cache
from itertools import repeat
from operator import add, mul

BUCKETS = 256
# The noise's share of the norm before normalising: enough that two different texts are
# never identical, small enough that shared words dominate.
NOISE = 0.15
_WORD = re.compile(r"\w+")
_TRIGRAM_WEIGHT = 0.5


def _features(text: str) -> dict[str, float]:
    """Lower-cased words (weight 1) and the trigrams of words longer than three letters."""
    weights: dict[str, float] = {}
    for word in _WORD.findall(text.lower()):
        weights[word] = weights.get(word, 0.0) + 1.0
        if len(word) > 3:
            for start in range(len(word) - 2):
                gram = "#" + word[start : start + 3]  # "#" keeps "cat" the trigram apart
                weights[gram] = weights.get(gram, 0.0) + _TRIGRAM_WEIGHT
    return weights


def _bag(text: str, salt: int) -> list[float]:
    bag = [0.0] * BUCKETS
    for feature, weight in _features(text).items():
        digest = zlib.crc32(feature.encode(), salt)
        bag[digest % BUCKETS] += weight if digest & 0x10000 else -weight
    return bag


@lru_cache(maxsize=64)
def _layout(model: str, dimensions: int) -> tuple[int, tuple[int, ...], tuple[float, ...]]:
    """Per model: the hash salt, which bucket each dimension reads and with which sign."""
    seed = int.from_bytes(hashlib.blake2b(model.encode(), digest_size=8).digest(), "big")
    rng = random.Random(seed)
    reads = [i % BUCKETS for i in range(dimensions)]
    rng.shuffle(reads)
    signs = tuple(rng.choice((-1.0, 1.0)) for _ in range(dimensions))
    return seed & 0xFFFFFFFF, tuple(reads), signs


def _noise(model: str, text: str, dimensions: int) -> list[int]:
    digest = hashlib.shake_256(f"{model}\0{text}".encode()).digest(dimensions)
    return array.array("b", digest).tolist()  # signed bytes, uniform in [-128, 127]


def embedding(text: str, *, model: str, dimensions: int) -> list[float]:
    """The unit vector of ``text`` for ``model``, ``dimensions`` long; deterministic."""
    salt, reads, signs = _layout(model, dimensions)
    bag = _bag(text, salt)
    # map() over C builtins rather than comprehensions: three times faster at 3072 floats.
    signal = list(map(mul, map(bag.__getitem__, reads), signs))
    noise = _noise(model, text, dimensions)
    signal_norm = math.hypot(*signal)
    noise_norm = math.hypot(*noise) or 1.0
    # Noise to a fixed share of the norm; a text without words (only symbols) is noise.
    share = NOISE * signal_norm / noise_norm if signal_norm else 1.0 / noise_norm
    return normalised(list(map(add, signal, map(mul, noise, repeat(share)))))


def normalised(vector: Sequence[float]) -> list[float]:
    """``vector`` scaled to unit length (a zero vector stays as it is)."""
    norm = math.hypot(*vector)
    return list(map(mul, vector, repeat(1.0 / norm))) if norm else list(vector)


def shortened(vector: Sequence[float], dimensions: int) -> list[float]:
    """The first ``dimensions`` components, renormalised: how text-embedding-3 models
    honour ``dimensions``, so a shortened vector is a prefix of the full one, rescaled."""
    return normalised(vector[:dimensions])


def float32(vector: Sequence[float]) -> array.array[float]:
    """The vector as the API computes it, in single precision."""
    return array.array("f", vector)


def to_base64(vector: array.array[float]) -> str:
    """Base64 of the little-endian float32 array, as the real API sends it."""
    if sys.byteorder == "big":  # pragma: no cover (every CI machine is little-endian)
        vector = array.array("f", vector)
        vector.byteswap()
    return base64.b64encode(vector.tobytes()).decode("ascii")
