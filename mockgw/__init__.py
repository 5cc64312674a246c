"""mockgw: an offline emulator of LLM gateway APIs for testing clients.

In tests, use the pytest plugin's ``mockgw`` fixture or :class:`MockGateway`; in CI,
``mockgw serve``. Names listed in ``__all__`` are the public API: they change only
with a changelog line.

The names are exported lazily (PEP 562): ``import mockgw`` is cheap, and the server,
aiohttp and pydantic are imported on first use of a name that needs them. That matters
because pytest imports ``mockgw.pytest_plugin`` — and so this package — in every run
wherever mockgw is installed, including runs that never use it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from mockgw._version import __version__

if TYPE_CHECKING:  # what type checkers and IDEs see; keep in step with _EXPORTS
    from mockgw.config import ServerConfig
    from mockgw.core.models import ModelCatalogue
    from mockgw.errors import ApiError, ConfigError, MockgwError, UsageError
    from mockgw.gateway import GatewaySession, MockGateway
    from mockgw.scenarios.loader import ScenarioLoadError, load_scenarios
    from mockgw.web.app import build_app

# Each lazily exported name and the module that defines it.
_EXPORTS = {
    "ApiError": "mockgw.errors",
    "ConfigError": "mockgw.errors",
    "GatewaySession": "mockgw.gateway",
    "MockGateway": "mockgw.gateway",
    "MockgwError": "mockgw.errors",
    "ModelCatalogue": "mockgw.core.models",
    "ScenarioLoadError": "mockgw.scenarios.loader",
    "ServerConfig": "mockgw.config",
    "UsageError": "mockgw.errors",
    "build_app": "mockgw.web.app",
    "load_scenarios": "mockgw.scenarios.loader",
}

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


if not TYPE_CHECKING:  # hidden from type checkers, which would type every typo as Any

    def __getattr__(name: str) -> Any:
        try:
            module = _EXPORTS[name]
        except KeyError:
            raise AttributeError(f"module 'mockgw' has no attribute {name!r}") from None
        value = getattr(importlib.import_module(module), name)
        globals()[name] = value  # later lookups are plain attribute reads
        return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
