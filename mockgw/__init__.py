"""mockgw: an offline emulator of LLM gateway APIs for testing clients.

In tests, use the pytest plugin's ``mockgw`` fixture or :class:`MockGateway`; in CI,
``mockgw serve``. Names listed in ``__all__`` are the public API: they change only
with a changelog line.
"""

from __future__ import annotations

from mockgw._version import __version__
from mockgw.config import ServerConfig
from mockgw.core.models import ModelCatalogue
from mockgw.errors import ApiError, ConfigError, MockgwError, UsageError
from mockgw.gateway import GatewaySession, MockGateway
from mockgw.scenarios.loader import ScenarioLoadError, load_scenarios
from mockgw.web.app import build_app

__all__ = [
    "ApiError",
    "ConfigError",
    "GatewaySession",
    "MockGateway",
    "MockgwError",
    "ModelCatalogue",
    "ScenarioLoadError",
    "ServerConfig",
    "UsageError",
    "__version__",
    "build_app",
    "load_scenarios",
]
