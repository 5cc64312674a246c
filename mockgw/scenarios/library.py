"""The shipped scenario library, and how it combines with the user's directories.

The library is the YAML files in ``mockgw/library/``, installed with the package as
package data, so ``scenario="weather"`` works wherever mockgw is installed, with no
directory configured. The user's directories come first: a name they define hides the
library's scenario of that name (silently: defining your own ``weather`` is the way to
change it), while two of the user's own files defining one name is an error.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType

from mockgw.scenarios.loader import LoadedScenario, load_scenarios

LIBRARY_DIR = Path(__file__).resolve().parent.parent / "library"


@functools.lru_cache(maxsize=8)
def _library(apis: tuple[str, ...] | None) -> Mapping[str, LoadedScenario]:
    # Every server of a test run would parse the same files again (~15 ms each); they
    # are part of the installed package and cannot change while it runs.
    return MappingProxyType(load_scenarios([LIBRARY_DIR], apis=apis))


def library_scenarios(apis: Collection[str] | None = None) -> Mapping[str, LoadedScenario]:
    """The shipped scenarios by name; ``apis`` as for :func:`load_scenarios`."""
    return _library(tuple(sorted(apis)) if apis is not None else None)


def load_sources(
    directories: Sequence[Path], *, library: bool = True, apis: Collection[str] | None = None
) -> dict[str, LoadedScenario]:
    """The user's ``directories`` over the library (when ``library``), or raise.

    Names must be unique across the user's directories: a repeated one is a
    :class:`~mockgw.scenarios.loader.ScenarioLoadError` naming both files and lines.
    """
    mine = load_scenarios(directories, apis=apis) if directories else {}
    shipped = library_scenarios(apis) if library else {}
    return {**shipped, **mine}
