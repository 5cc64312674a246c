"""Scenario files -> validated scenarios, with errors that point at file:line:column.

YAML is composed into nodes first so every value keeps its position; pydantic then
validates the plain data, and each error's location is walked back through the nodes
to the line a user must edit. Unknown keys name the nearest valid key and list the
valid ones. The file-wide checks (states, rule names, presets, templates) run even on
a document that fails the format checks, over what of it is readable. Problems are
collected across all files and raised together, so one ``mockgw validate`` run shows
everything that needs fixing.
"""

from __future__ import annotations

import contextlib
import difflib
import types
import typing
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from mockgw.core.failures import PRESETS
from mockgw.errors import MockgwError
from mockgw.scenarios.model import Reply, Scenario
from mockgw.scenarios.templates import TemplateError, compile_template, string_leaves

INITIAL_STATE = "Started"
SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True, slots=True)
class Problem:
    file: str
    # None when the source has no lines (rules given as Python data): the message
    # starts with the path, which is then the only honest location.
    line: int | None
    column: int | None
    message: str
    # Where in the document, as the message's own prefix spells it (``rules[1].when``);
    # None for problems of the file itself (YAML syntax, a document that is no mapping).
    # Not compared: it repeats the message, and equality is about what a user reads.
    path: str | None = field(default=None, compare=False)

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}:{self.column}"
        return f"{where}: {self.message}"

    def as_dict(self) -> dict[str, Any]:
        """The problem as JSON-ready data (``mockgw validate --json``)."""
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "path": self.path,
            "message": self.message,
        }


class ScenarioLoadError(MockgwError):
    """One or more scenario files are invalid; ``problems`` says where and why."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass(frozen=True, slots=True)
class LoadedScenario:
    scenario: Scenario
    file: str
    line: int


Path_ = tuple[str | int, ...]


# Values one document may expand to (aliases included); real scenario files hold hundreds.
MAX_NODES = 100_000


class _Unloadable(MockgwError):
    def __init__(self, node: yaml.Node, message: str) -> None:
        super().__init__(message)
        self.line = node.start_mark.line + 1
        self.column = node.start_mark.column + 1
        self.message = message


class _Positions:
    """Line/column (1-based) of every value, and of every mapping key, by path."""

    def __init__(self) -> None:
        self.values: dict[Path_, tuple[int, int]] = {}
        self.keys: dict[Path_, tuple[int, int]] = {}
        self.kinds: dict[Path_, str] = {}
        # (path, first key position, repeated key position): YAML lets the last one win
        # silently, which would hide a whole condition or reply.
        self.duplicates: list[tuple[Path_, tuple[int, int], tuple[int, int]]] = []
        self.visited = 0

    def index(
        self, node: yaml.Node, path: Path_ = (), active: frozenset[int] = frozenset()
    ) -> None:
        # Aliases make the node graph a DAG, or even a cycle: guard both, or a
        # "billion laughs" file would take minutes and a recursive one forever.
        if id(node) in active:
            raise _Unloadable(node, "a YAML alias refers to itself (a recursive structure)")
        self.visited += 1
        if self.visited > MAX_NODES:
            raise _Unloadable(node, f"the document expands to more than {MAX_NODES} values")
        active = active | {id(node)}
        self.values[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, yaml.MappingNode):
            self.kinds[path] = "mapping"
            seen: dict[Path_, tuple[int, int]] = {}
            for key_node, value_node in node.value:
                key_path: Path_ = (*path, str(key_node.value))
                where = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
                if key_path in seen:
                    self.duplicates.append((key_path, seen[key_path], where))
                self.keys[key_path] = seen[key_path] = where
                self.index(value_node, key_path, active)
        elif isinstance(node, yaml.SequenceNode):
            self.kinds[path] = "sequence"
            for i, item in enumerate(node.value):
                self.index(item, (*path, i), active)

    def resolve(self, loc: Sequence[str | int]) -> Path_:
        """The longest real path along ``loc``, skipping pydantic's union-member tags."""
        path: Path_ = ()
        for item in loc:
            candidate = (*path, item)
            if candidate in self.values:
                path = candidate
        return path


class _DataPaths(_Positions):
    """The paths of plain data, which has no lines (rules given as Python objects)."""

    def __init__(self, data: Any) -> None:
        super().__init__()
        self.data = data

    def resolve(self, loc: Sequence[str | int]) -> Path_:
        path: Path_ = ()
        value = self.data
        for item in loc:
            if isinstance(value, (list, tuple)) and isinstance(item, int):
                found = item < len(value)
            else:
                found = isinstance(value, Mapping) and item in value
            if found:
                value = value[item]
                path = (*path, item)
        return path


def render_path(path: Path_) -> str:
    out = ""
    for item in path:
        out += f"[{item}]" if isinstance(item, int) else (f".{item}" if out else str(item))
    return out or "(document)"


def _models_in(annotation: Any) -> list[Any]:
    """Expand Optional/Union/Annotated into their member annotations."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _models_in(typing.get_args(annotation)[0])
    if origin is typing.Union or origin is types.UnionType:
        return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]
    return [annotation]


def _step(annotations: list[Any], item: str | int) -> list[Any]:
    out: list[Any] = []
    for annotation in annotations:
        origin = typing.get_origin(annotation)
        if isinstance(item, int) and origin is list:
            out.extend(_models_in(typing.get_args(annotation)[0]))
        elif isinstance(item, str) and origin is dict:
            out.extend(_models_in(typing.get_args(annotation)[1]))
        elif (
            isinstance(item, str)
            and isinstance(annotation, type)
            and issubclass(annotation, BaseModel)
        ):
            for name, info in annotation.model_fields.items():
                if item in (name, info.alias):
                    out.extend(_models_in(info.annotation))
    return out


def valid_keys(path: Path_) -> list[str]:
    """The keys the format allows in the mapping at ``path``."""
    annotations: list[Any] = [Scenario]
    for item in path:
        annotations = _step(annotations, item)
    keys: list[str] = []
    for annotation in annotations:
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            keys.extend(info.alias or name for name, info in annotation.model_fields.items())
    return list(dict.fromkeys(keys))


def _message(error: ErrorDetails, path: Path_) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        key = str(path[-1])
        valid = valid_keys(path[:-1])
        near = difflib.get_close_matches(key, valid, n=1, cutoff=0.5)
        hint = f" (did you mean '{near[0]}'?)" if near else ""
        return f"unknown key '{key}'{hint}; valid keys: {', '.join(valid)}"
    message = str(error["msg"]).removeprefix("Value error, ")
    if kind == "literal_error":
        given = error.get("input")
        expected = str((error.get("ctx") or {}).get("expected", ""))
        options = [o.strip(" '") for o in expected.replace(" or ", ",").split(",") if o.strip()]
        near = difflib.get_close_matches(str(given), options, n=1, cutoff=0.5)
        hint = f" (did you mean '{near[0]}'?)" if near else ""
        return f"invalid value {given!r}{hint}; valid: {', '.join(options)}"
    if kind == "string_pattern_mismatch" and path[-1:] == ("scenario",):
        return (
            f"invalid scenario name {error.get('input')!r}; use letters, digits, '_', '.' "
            "and '-', starting with a letter or digit"
        )
    if kind == "missing":
        return f"missing required key '{path[-1]}'" if path else "missing required key"
    return message


def _problems_from(
    error: ValidationError, file: str, positions: _Positions, base: Path_
) -> list[Problem]:
    ranked: dict[Path_, tuple[int, ErrorDetails]] = {}
    for detail in error.errors():
        loc = (*base, *detail["loc"])
        if detail["type"] == "missing":
            path = (*positions.resolve(loc[:-1]), loc[-1])
        else:
            path = positions.resolve(loc)
        # Type mismatches usually come from the union branches the user did not mean.
        rank = len(path) * 2 + (0 if str(detail["type"]).endswith("_type") else 1)
        if path not in ranked or rank > ranked[path][0]:
            ranked[path] = (rank, detail)
    # Drop shallow errors that a deeper one explains (the same union, another branch).
    kept = [
        (path, detail)
        for path, (_, detail) in ranked.items()
        if not any(other != path and other[: len(path)] == path for other in ranked)
    ]
    problems = []
    for path, detail in kept:
        line, column = (
            positions.keys.get(path)
            or positions.values.get(path)
            or positions.values.get(path[:-1], (1, 1))
        )
        shown = render_path(path[len(base) :] if path[: len(base)] == base else path)
        problems.append(
            Problem(file, line, column, f"{shown}: {_message(detail, path)}", path=shown)
        )
    return sorted(problems, key=lambda p: (p.line, p.column))


def _template_fields(reply: Reply) -> Iterator[tuple[Path_, str]]:
    if isinstance(reply.text, str):
        yield ("text",), reply.text
    if reply.error is not None and not isinstance(reply.error, str) and reply.error.message:
        yield ("error", "message"), reply.error.message
    for name, value in reply.headers.items():
        yield ("headers", name), value
    for i, call in enumerate(reply.tool_calls or ()):
        for path, value in string_leaves(call.arguments or {}):
            yield ("tool_calls", i, "arguments", *path), value
    if reply.thinking:
        yield ("thinking",), reply.thinking


@dataclass(frozen=True, slots=True)
class _RuleView:
    """What the file-wide checks read of one rule: its names, and the replies that are
    valid on their own (a template or a preset is only worth checking in a valid reply)."""

    index: int
    name: str | None
    in_state: str | None
    next_state: str | None
    replies: list[tuple[Path_, Reply]]


def _model_rules(scenario: Scenario) -> list[_RuleView]:
    views = []
    for i, rule in enumerate(scenario.rules):
        if rule.reply is not None:
            replies: list[tuple[Path_, Reply]] = [(("reply",), rule.reply)]
        else:
            replies = [(("replies", j), reply) for j, reply in enumerate(rule.replies or ())]
        views.append(_RuleView(i, rule.name, rule.in_state, rule.next_state, replies))
    return views


def _raw_rules(rules: Any) -> list[_RuleView]:
    """The rules of a document that failed validation, read from its plain data.

    The format checks have already reported what is wrong with each rule; what is
    checkable stays checked, so one run shows both kinds of problem: a name or a state
    is read wherever it is a string, and each reply is validated on its own.
    """
    if not isinstance(rules, list):
        return []
    views = []
    for i, raw in enumerate(rules):
        if not isinstance(raw, dict):
            continue
        candidates: list[tuple[Path_, Any]] = [(("reply",), raw["reply"])] if "reply" in raw else []
        if isinstance(raw.get("replies"), list):
            candidates += [(("replies", j), data) for j, data in enumerate(raw["replies"])]
        replies = []
        for path, data in candidates:
            # An invalid reply is reported by the format checks already.
            with contextlib.suppress(ValidationError):
                replies.append((path, Reply.model_validate(data)))
        name, in_state, next_state = (raw.get(k) for k in ("name", "in_state", "next_state"))
        views.append(_RuleView(i, _text(name), _text(in_state), _text(next_state), replies))
    return views


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _semantic_problems(
    rules: Sequence[_RuleView], file: str, positions: _Positions, base: Path_
) -> list[Problem]:
    """The checks that need more than one value: state names, rule names, presets and
    templates (whose roots depend on nothing but the reply, yet pydantic does not see)."""
    problems: list[Problem] = []

    def at(path: Path_, message: str) -> None:
        full = (*base, *path)
        line, column = positions.values.get(full, positions.values.get(base, (1, 1)))
        shown = render_path(path)
        problems.append(Problem(file, line, column, f"{shown}: {message}", path=shown))

    states = {INITIAL_STATE} | {r.next_state for r in rules if r.next_state}
    names: dict[str, int] = {}
    for rule in rules:
        i = rule.index
        if rule.name is not None:
            if rule.name in names:
                at(
                    ("rules", i, "name"),
                    f"duplicate rule name '{rule.name}' (also rules[{names[rule.name]}])",
                )
            names.setdefault(rule.name, i)
        if rule.in_state is not None and rule.in_state not in states:
            near = difflib.get_close_matches(rule.in_state, sorted(states), n=1)
            hint = f" (did you mean '{near[0]}'?)" if near else ""
            at(
                ("rules", i, "in_state"),
                f"state '{rule.in_state}' is never entered{hint}; "
                f"states: {', '.join(sorted(states))}",
            )
        for reply_path, reply in rule.replies:
            for path, message in _reply_problems(reply):
                at(("rules", i, *reply_path, *path), message)
    return problems


def _reply_problems(reply: Reply) -> Iterator[tuple[Path_, str]]:
    """(path within the reply, message) of each unknown error preset and bad template."""
    fail = reply.stream.fail if reply.stream else None
    for error_path, error in (
        (("error",), reply.error),
        (("stream", "fail", "error"), fail.error if fail else None),
    ):
        if isinstance(error, str) and error not in PRESETS:
            near = difflib.get_close_matches(error, list(PRESETS), n=1)
            hint = f" (did you mean '{near[0]}'?)" if near else ""
            yield error_path, f"unknown error '{error}'{hint}; valid: {', '.join(PRESETS)}"
    for field_path, text in _template_fields(reply):
        try:
            compile_template(text)
        except TemplateError as exc:
            yield field_path, str(exc)


_Document = tuple[Any, _Positions, int]  # data, positions, line of its first value


def _documents(text: str, root: Path_ = ()) -> Iterator[_Document]:
    for node in yaml.compose_all(text, Loader=yaml.SafeLoader):
        if node is None:
            continue
        positions = _Positions()
        positions.index(node, root)
        data = yaml.SafeLoader(text).construct_document(node)
        yield data, positions, node.start_mark.line + 1


@dataclass(frozen=True, slots=True)
class _Source:
    """What one file (or text) yields."""

    loaded: list[LoadedScenario]
    problems: list[Problem]
    # (name, line) of every document's scenario name, valid document or not: a name
    # defined twice is a problem even while one of the two has other problems.
    declared: list[tuple[str, int]]
    file: str


def load_file(
    path: Path, *, apis: Collection[str] | None = None
) -> tuple[list[LoadedScenario], list[Problem]]:
    source = _read(path, apis)
    return source.loaded, source.problems


def _read(path: Path, apis: Collection[str] | None) -> _Source:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return _Source([], [Problem(str(path), 1, 1, f"cannot read: {exc}")], [], str(path))
    return _load_source(str(path), text, apis)


def _parse(file: str, text: str, root: Path_ = ()) -> tuple[list[_Document], list[Problem]]:
    """The YAML documents of ``text``, their positions indexed under ``root``; or why not."""
    try:
        return list(_documents(text, root)), []
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        return [], [Problem(file, line, column, f"invalid YAML: {exc.problem or exc}")]
    except yaml.YAMLError as exc:  # e.g. a NUL byte: the reader refuses the stream
        return [], [Problem(file, 1, 1, f"invalid YAML: {exc}")]
    except _Unloadable as exc:
        return [], [Problem(file, exc.line, exc.column, exc.message)]
    except (ValueError, RecursionError) as exc:  # e.g. an integer of 5,000 digits
        return [], [Problem(file, 1, 1, f"cannot load this YAML: {exc}")]


def _load_document(
    file: str, data: Any, positions: _Positions, line: int, apis: Collection[str] | None
) -> tuple[LoadedScenario | None, list[Problem]]:
    """Validate one scenario document; the scenario only if it has no problem."""
    problems = [
        Problem(
            file,
            *where,
            f"{render_path(path)}: duplicate key '{path[-1]}' (first at line {first[0]})",
            path=render_path(path),
        )
        for path, first, where in positions.duplicates
    ]
    if not isinstance(data, dict):
        problems.append(
            Problem(
                file, line, 1, "a scenario document must be a mapping with 'scenario' and 'rules'"
            )
        )
        return None, problems
    try:
        scenario = Scenario.model_validate(data, context={"apis": apis})
    except ValidationError as exc:
        # No model to check, but the file-wide checks still run on what is readable,
        # so a user fixes the format and the names in one round, not two.
        problems += _problems_from(exc, file, positions, ())
        problems += _semantic_problems(_raw_rules(data.get("rules")), file, positions, ())
        return None, problems
    problems.extend(_semantic_problems(_model_rules(scenario), file, positions, ()))
    return (None if problems else LoadedScenario(scenario, file, line)), problems


def _load_source(file: str, text: str, apis: Collection[str] | None) -> _Source:
    documents, problems = _parse(file, text)
    loaded: list[LoadedScenario] = []
    declared: list[tuple[str, int]] = []
    for data, positions, line in documents:
        item, found = _load_document(file, data, positions, line, apis)
        problems.extend(found)
        if item is not None:
            loaded.append(item)
        if isinstance(data, dict) and isinstance(data.get("scenario"), str):
            declared.append((data["scenario"], line))
    return _Source(loaded, sorted(problems, key=lambda p: (p.line, p.column)), declared, file)


def scenario_files(paths: Iterable[Path]) -> list[Path]:
    """The files ``paths`` name: each file as given, and each directory's ``*.yaml`` and
    ``*.yml`` files (``*.mockgw.yaml`` among them), sorted, not descending into folders."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir() if p.suffix in SUFFIXES and p.is_file()))
        else:
            files.append(path)
    return files


@dataclass(frozen=True, slots=True)
class Check:
    """Everything ``mockgw validate`` reports: the files read, the scenarios that load
    (those with no problem, named once) and every problem of every file."""

    files: tuple[Path, ...]
    scenarios: Mapping[str, LoadedScenario]
    problems: tuple[Problem, ...]


def check_scenarios(paths: Iterable[Path], *, apis: Collection[str] | None = None) -> Check:
    """Check every scenario file in ``paths`` (files or directories) and return all that
    was found, problems included, without raising; ``apis`` as for :func:`load_scenarios`."""
    files = scenario_files(paths)
    found, problems = _gather(_read(file, apis) for file in files)
    return Check(tuple(files), found, tuple(problems))


def load_scenarios(
    paths: Iterable[Path], *, apis: Collection[str] | None = None
) -> dict[str, LoadedScenario]:
    """Load every scenario in ``paths`` (files or directories), or raise with all problems.

    ``apis`` are the wire formats a server speaks (its codecs' names): an ``api:``
    condition naming another is a problem. None accepts any name.
    """
    check = check_scenarios(paths, apis=apis)
    if check.problems:
        raise ScenarioLoadError(check.problems)
    return dict(check.scenarios)


def _gather(sources: Iterable[_Source]) -> tuple[dict[str, LoadedScenario], list[Problem]]:
    found: dict[str, LoadedScenario] = {}
    first: dict[str, tuple[str, int]] = {}
    problems: list[Problem] = []
    for source in sources:
        problems.extend(source.problems)
        valid = {item.line: item for item in source.loaded}
        for name, line in source.declared:
            if name in first:
                where = ":".join(map(str, first[name]))
                message = f"scenario '{name}' is already defined at {where}"
                problems.append(Problem(source.file, line, 1, message))
                continue
            first[name] = (source.file, line)
            if line in valid:
                found[name] = valid[line]
    return found, problems


def _collect(sources: Iterable[_Source]) -> dict[str, LoadedScenario]:
    found, problems = _gather(sources)
    if problems:
        raise ScenarioLoadError(problems)
    return found


def load_text(
    text: str, *, name: str = "<inline>", apis: Collection[str] | None = None
) -> dict[str, LoadedScenario]:
    """Load scenarios from a YAML string; ``apis`` as for :func:`load_scenarios`."""
    return _collect([_load_source(name, text, apis)])


def load_rules(
    rules: str | Iterable[Mapping[str, Any]],
    *,
    scenario: str,
    source: str,
    apis: Collection[str] | None = None,
) -> LoadedScenario:
    """Load a list of rules as the scenario named ``scenario``, or raise with every problem.

    ``rules`` is YAML text holding one list of rules (what goes under ``rules:`` in a
    scenario file), or that list as Python data. The checks and messages are those of a
    scenario file, and problems name ``source`` (e.g. ``"<rules of session s1>"``). For
    text, each problem is at its line and column in ``rules`` itself; data has no lines,
    so its problems are located by path alone (``<source>: rules[1].when.last_usr: ...``).
    """
    if isinstance(rules, str):
        documents, problems = _parse(source, rules, root=("rules",))
        if not documents and not problems:
            problems = [Problem(source, 1, 1, "rules: no rules given; expected a YAML list")]
        problems += [
            Problem(source, line, 1, "inline rules are one YAML document (a list of rules)")
            for _, _, line in documents[1:]
        ]
        if problems:
            raise ScenarioLoadError(problems)
        data, positions, line = documents[0]
        document = {"scenario": scenario, "rules": data}
    else:
        document = {"scenario": scenario, "rules": list(rules)}
        positions, line = _DataPaths(document), 1
    item, problems = _load_document(source, document, positions, line, apis)
    if item is not None:
        return item
    if isinstance(rules, str):
        raise ScenarioLoadError(sorted(problems, key=lambda p: (p.line, p.column)))
    # Data has no lines: each position would be the (1, 1) fallback, so claim none.
    raise ScenarioLoadError([Problem(p.file, None, None, p.message) for p in problems])
