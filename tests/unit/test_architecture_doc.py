"""docs/architecture.md describes the package that exists, so its map cannot rot.

Its module table must name every module under ``mockgw/`` exactly once, and nothing
that is not there; its tree must name every package. The only modules the table may
leave out are package markers: an ``__init__.py`` with no code at all (a marker that
gains code must get its row). Read off the filesystem, not a list kept here.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import mockgw

PACKAGE = Path(mockgw.__file__).parent
DOC = Path(__file__).resolve().parents[2] / "docs" / "architecture.md"


def _section(title: str) -> str:
    text = DOC.read_text()
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def _table_modules() -> list[str]:
    """The first cell of each row of the module table: a backticked path."""
    return re.findall(r"^\| `([^`]+\.py)` \|", _section("Modules"), re.MULTILINE)


def _modules() -> set[str]:
    return {path.relative_to(PACKAGE).as_posix() for path in PACKAGE.rglob("*.py")}


def _is_marker(module: str) -> bool:
    return module.endswith("__init__.py") and not (PACKAGE / module).read_text().strip()


def test_every_module_has_one_row() -> None:
    rows = _table_modules()
    assert len(rows) > 40, "the module table was not found"
    assert [name for name, count in Counter(rows).items() if count > 1] == []
    listed = set(rows)
    missing = sorted(m for m in _modules() - listed if not _is_marker(m))
    assert missing == [], f"modules with no row in docs/architecture.md: {missing}"
    stale = sorted(listed - _modules())
    assert stale == [], f"rows for modules that do not exist: {stale}"


def test_markers_are_left_out() -> None:
    """A row for an empty marker would describe nothing; the tree names its package."""
    markers = sorted(m for m in _modules() if _is_marker(m))
    assert markers, "no package marker found: is the package layout as expected?"
    assert sorted(set(_table_modules()) & set(markers)) == []


def test_the_tree_names_every_package() -> None:
    tree = _section("The tree")
    packages = sorted(
        path.relative_to(PACKAGE).as_posix()
        for path in PACKAGE.rglob("*")
        if path.is_dir() and path.name != "__pycache__"
    )
    assert "library" in packages
    unnamed = [
        p for p in packages if not re.search(rf"^ +{re.escape(p.split('/')[-1])}/ ", tree, re.M)
    ]
    assert unnamed == [], f"folders under mockgw/ the tree does not show: {unnamed}"
