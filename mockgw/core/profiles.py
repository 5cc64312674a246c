"""Provider profiles: which service a server (or one scenario) answers as.

A profile is a name only; each codec decides what it changes on its wire. The default,
``native``, answers as the provider's own API does. ``gateway`` answers as a
Claude-fronting gateway's OpenAI-compatible endpoint does: the OpenAI codec then leaves
out what only OpenAI's own service sends (``system_fingerprint``, ``service_tier``, the
streamed chunks' ``obfuscation``). docs/scenarios.md lists every difference.
"""

from __future__ import annotations

from typing import Literal, get_args

Profile = Literal["native", "gateway"]
PROFILES: tuple[Profile, ...] = get_args(Profile)
DEFAULT_PROFILE: Profile = "native"
