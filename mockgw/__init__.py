"""mockgw: an offline emulator of LLM gateway APIs for testing clients.

Start one in-process with :func:`build_app` and any aiohttp runner, or from the shell
with ``mockgw serve``.
"""

from __future__ import annotations

from mockgw._version import __version__
from mockgw.app import build_app
from mockgw.catalogue import ModelCatalogue
from mockgw.config import ServerConfig
from mockgw.errors import ApiError, ConfigError, MockgwError

__all__ = [
    "ApiError",
    "ConfigError",
    "MockgwError",
    "ModelCatalogue",
    "ServerConfig",
    "__version__",
    "build_app",
]
