"""Finding, loading and validating roadmap files."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from aipm_cli.errors import Problem, RoadmapError, excerpt
from aipm_cli.roadmap.finding import MAX_ROADMAP_BYTES, _cache_path, _read_cache, cache_document, read_roadmap_bytes

# Bounds on what a roadmap file may cost (see README, "Security and privacy").
# The bundled roadmap is 25 KB, about 1,600 YAML nodes, 9 levels deep.
MAX_NODES = 1_000_000  # values in the document once every alias is expanded
ALIAS_ALLOWANCE = 10_000  # aliases may add this many nodes, or as many as the file holds
MAX_DEPTH = 64  # levels of nesting
_MAX_CACHE_BYTES = 256 * 1024 * 1024

_BaseLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class DocumentTooBig(yaml.YAMLError):
    """The composed document would cost too much to construct and validate."""


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def measure(root: yaml.Node) -> tuple[int, int, int]:
    """(nodes in the file, nodes once aliases are expanded, depth) of a composed document.

    Aliases make the composed graph share nodes; constructing and validating
    it costs what the expanded tree costs, which can be exponential in the
    file's size ("billion laughs"). This walks each distinct node once, so
    it is linear in the file, and stops as soon as a bound is passed.
    """
    sizes: dict[int, int] = {}
    heights: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        key = id(node)
        if finished:
            on_path.discard(key)
            children = _children(node)
            sizes[key] = 1 + sum(sizes[id(c)] for c in children)
            heights[key] = 1 + max((heights[id(c)] for c in children), default=0)
            if sizes[key] > MAX_NODES:
                raise DocumentTooBig(
                    f"the document holds more than {MAX_NODES:,} values once its aliases (*name) are expanded"
                )
            if heights[key] > MAX_DEPTH:
                raise DocumentTooBig(f"the document is nested more than {MAX_DEPTH} levels deep")
            continue
        if key in sizes:
            continue
        if key in on_path:
            raise DocumentTooBig("an alias (*name) refers to a value that contains it")
        on_path.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node) if id(child) not in sizes)
    unique = len(sizes)
    expanded = sizes[id(root)]
    if expanded - unique > max(unique, ALIAS_ALLOWANCE):
        raise DocumentTooBig(
            f"its aliases (*name) multiply the document from {unique:,} to {expanded:,} values; "
            "aliases may at most double a roadmap"
        )
    return unique, expanded, heights[id(root)]


class _Loader(_BaseLoader):  # type: ignore[misc]
    """The safe loader (C when present), refusing duplicate keys and documents that cost too much."""

    def construct_document(self, node: yaml.Node) -> Any:
        measure(node)  # before a single value is built
        return super().construct_document(node)


def _construct_mapping(loader: Any, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    data: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            duplicate = key in data
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, "a key here is not a plain value", key_node.start_mark
            ) from None
        if duplicate:
            raise yaml.constructor.ConstructorError(
                None, None, f"the key '{excerpt(key)}' appears twice in one mapping", key_node.start_mark
            )
        data[key] = loader.construct_object(value_node, deep=True)
    return data


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def format_loc(loc: tuple[Any, ...]) -> str:
    """('phases', 2, 'modules', 0) -> 'phases[2].modules[0]'."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + excerpt(str(part), 40)
    return out


def _node_at(root: yaml.Node | None, loc: tuple[Any, ...]) -> yaml.Node | None:
    """The YAML node at a document path (or the deepest one that exists)."""
    node = root
    for index, part in enumerate(loc):
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if getattr(key_node, "value", None) == part:
                    if index == len(loc) - 1:
                        found: yaml.Node = value_node
                        return found
                    node = value_node
                    break
            else:
                return node
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                return node
            node = node.value[part]
        else:
            return node
    return node


def _key_node(root: yaml.Node | None, loc: tuple[Any, ...]) -> yaml.Node | None:
    parent = _node_at(root, loc[:-1])
    if isinstance(parent, yaml.MappingNode):
        for key_node, _value in parent.value:
            if getattr(key_node, "value", None) == loc[-1]:
                key: yaml.Node = key_node
                return key
    return None


def _known_fields(model: type, loc: tuple[Any, ...]) -> list[str]:
    """The field names of the model that sits at `loc` (to suggest typo fixes)."""
    from aipm_cli.roadmap import models

    chain = {
        "phases": models.Phase,
        "modules": models.Module,
        "items": models.Item,
        "deliverables": models.Deliverable,
        "links": models.Link,
        "skills": models.Skill,
        "sources": models.Source,
        "success_metrics": models.SuccessMetric,
    }
    current: type = model
    for part in loc:
        if isinstance(part, str) and part in chain and part in current.model_fields:  # type: ignore[attr-defined]
            current = chain[part]
    return list(current.model_fields)  # type: ignore[attr-defined]


def _sentence(error: dict[str, Any], model: type) -> str:
    kind = error["type"]
    loc = tuple(error["loc"])
    field = loc[-1] if loc else ""
    if kind == "extra_forbidden":
        fields = _known_fields(model, loc[:-1])
        close = difflib.get_close_matches(str(field)[:100], fields, n=1)
        tip = f"; did you mean '{close[0]}'?" if close else f"; known keys: {', '.join(fields)}"
        return f"unknown key '{excerpt(str(field))}'{tip}"
    if kind == "missing":
        return f"the required key '{field}' is missing"
    if kind == "literal_error":
        expected = error.get("ctx", {}).get("expected", "")
        return f"'{excerpt(error['input'])}' is not allowed here; use one of {expected}"
    if kind in ("string_type", "int_type", "float_type", "bool_type", "float_parsing", "bool_parsing"):
        wanted = {"string_type": "text", "int_type": "a whole number", "float_type": "a number",
                  "float_parsing": "a number", "bool_type": "true or false",
                  "bool_parsing": "true or false"}[kind]  # fmt: skip
        return f"expected {wanted}, got {_show(error.get('input'))}"
    if kind in ("list_type",):
        return f"expected a list, got {_show(error.get('input'))}"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"expected a mapping of keys, got {_show(error.get('input'))}"
    if kind == "too_short":
        return "this list is empty; it needs at least one entry"
    if kind in ("greater_than", "less_than_equal"):
        return f"{_show(error.get('input'))} is out of range ({error['msg'].lower()})"
    message = str(error["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    value = error.get("input")
    if isinstance(value, str) and len(value) > 20 and value in message:
        # Validators quote the bad value; quote only the start of a long one.
        message = message.replace(value, excerpt(value))
    return excerpt(message, 300)


def _show(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return excerpt(value if not isinstance(value, str) else repr(value))


@dataclass
class _Where:
    loc: tuple[Any, ...]
    message: str


def check_references(roadmap: Any) -> list[_Where]:
    """Rules that need the whole document: unique ids, known references, no cycles."""
    problems: list[_Where] = []
    seen: dict[str, str] = {}

    def claim(identifier: str, loc: tuple[Any, ...]) -> None:
        if not identifier:
            return  # no usable id: the structural check says so
        if identifier in seen:
            problems.append(_Where(loc, f"the id '{excerpt(identifier)}' is already used at {seen[identifier]}"))
        else:
            seen[identifier] = format_loc(loc)

    skill_seen: dict[str, int] = {}
    for s, skill in enumerate(roadmap.skills):
        if not skill.id:
            continue
        if skill.id in skill_seen:
            problems.append(
                _Where(
                    ("skills", s, "id"),
                    f"the skill id '{excerpt(skill.id)}' is already used at skills[{skill_seen[skill.id]}]",
                )
            )
        skill_seen.setdefault(skill.id, s)
    skill_ids = {s.id for s in roadmap.skills}

    items: dict[str, tuple[Any, ...]] = {}
    for p, phase in enumerate(roadmap.phases):
        claim(phase.id, ("phases", p, "id"))
        for m, module in enumerate(phase.modules):
            claim(module.id, ("phases", p, "modules", m, "id"))
            for i, item in enumerate(module.items):
                base = ("phases", p, "modules", m, "items", i)
                claim(item.id, (*base, "id"))
                items.setdefault(item.id, base)
                for a, alias in enumerate(item.aliases):
                    claim(alias, (*base, "aliases", a))
                for d, deliverable in enumerate(item.deliverables):
                    claim(deliverable.id, (*base, "deliverables", d, "id"))
                    for a, alias in enumerate(deliverable.aliases):
                        claim(alias, (*base, "deliverables", d, "aliases", a))

    groups = _groups(roadmap)

    def check_requires(requires: list[str], loc: tuple[Any, ...]) -> None:
        for r, name in enumerate(requires):
            if name not in items and name not in groups:
                known = [*items, *groups]
                close = difflib.get_close_matches(name[:100], known, n=1) if len(known) < 5000 else []
                tip = f"; did you mean '{excerpt(close[0])}'?" if close else ""
                problems.append(
                    _Where(
                        (*loc, "requires", r),
                        f"requires '{excerpt(name)}', which is not an item, module or phase of this roadmap{tip}",
                    )
                )

    for p, phase in enumerate(roadmap.phases):
        check_requires(phase.requires, ("phases", p))
        for m, module in enumerate(phase.modules):
            check_requires(module.requires, ("phases", p, "modules", m))
            for i, item in enumerate(module.items):
                base = ("phases", p, "modules", m, "items", i)
                check_requires(item.requires, base)
                for k, skill in enumerate(item.skills):
                    if skill not in skill_ids:
                        problems.append(
                            _Where((*base, "skills", k), f"'{excerpt(skill)}' is not one of the roadmap's skills")
                        )

    problems.extend(_cycles(roadmap, items, groups))
    return problems


def _groups(roadmap: Any) -> dict[str, list[str]]:
    """Module and phase ids -> the ids of their items (what a `requires` naming them stands for)."""
    groups: dict[str, list[str]] = {}
    for phase in roadmap.phases:
        for module in phase.modules:
            groups.setdefault(module.id, [i.id for i in module.items])
        groups.setdefault(phase.id, [i.id for m in phase.modules for i in m.items])
    return groups


def _cycles(roadmap: Any, locs: dict[str, tuple[Any, ...]], groups: dict[str, list[str]]) -> list[_Where]:
    graph: dict[str, list[str]] = {}
    for phase in roadmap.phases:
        for module in phase.modules:
            for item in module.items:
                own = [*phase.requires, *module.requires, *item.requires]
                edges = []
                for r in dict.fromkeys(own):
                    if r in groups:
                        edges += groups[r]  # an item requiring its own module or phase requires itself
                    elif r != item.id or r in item.requires:
                        edges.append(r)
                graph.setdefault(item.id, list(dict.fromkeys(edges)))
    state: dict[str, int] = {}  # 1 visiting, 2 done
    found: list[_Where] = []
    reported: set[frozenset[str]] = set()
    for start in graph:
        if state.get(start):
            continue
        stack: list[tuple[str, int]] = [(start, 0)]
        path: list[str] = []
        while stack:
            node, index = stack.pop()
            if index == 0:
                state[node] = 1
                path.append(node)
            edges = graph.get(node, [])
            if index < len(edges):
                stack.append((node, index + 1))
                nxt = edges[index]
                if state.get(nxt) == 1:
                    cycle = path[path.index(nxt) :] + [nxt]
                    key = frozenset(cycle)
                    if key not in reported:
                        reported.add(key)
                        shown = " -> ".join(excerpt(c, 40) for c in cycle[:10]) + (" -> ..." if len(cycle) > 10 else "")
                        found.append(_Where((*locs[node], "requires"), "requires form a cycle: " + shown))
                elif not state.get(nxt):
                    stack.append((nxt, 0))
            else:
                state[node] = 2
                path.pop()
    return found


def parse_roadmap_text(data: bytes, file: str, cache_dir: Path | None = None) -> Any:
    """Validate roadmap bytes; return the roadmap as plain data, or raise RoadmapError listing every problem.

    With `cache_dir`, the validated document of a file is kept there as JSON,
    keyed by a hash of the file's bytes and of aipm's validating code: the
    next time the same bytes are read, no YAML parser and no validation
    library is imported. A missing, damaged or foreign cache file is ignored.
    """
    from aipm_cli.errors import AipmError
    from aipm_cli.roadmap.plain import Roadmap as PlainRoadmap

    if len(data) > MAX_ROADMAP_BYTES:
        raise RoadmapError(file, [Problem(file, "", _too_large())])
    cached = _cache_path(data, cache_dir) if cache_dir is not None else None
    if cached is not None:
        document = _read_cache(cached)
        if isinstance(document, dict):
            try:
                return PlainRoadmap(document)
            except (KeyError, TypeError, ValueError, AttributeError):
                pass
    raw = _load_yaml(data, file)
    roadmap = _validated(raw, file, data)
    document = roadmap.model_dump(mode="json")
    if cached is not None:
        from aipm_cli.fs import atomic_write
        from aipm_cli.paths import ensure_private_dir

        try:
            ensure_private_dir(cached.parent)
            # Replace a planted symlink itself, never what it points to.
            atomic_write(cached, cache_document(document), follow_symlinks=False)
        except (OSError, AipmError):
            pass  # only speed is lost
    return PlainRoadmap(document)


def _too_large() -> str:
    return f"the file is larger than the limit of {MAX_ROADMAP_BYTES // (1024 * 1024)} MB for a roadmap"


def _load_yaml(data: bytes, file: str) -> dict[str, Any]:
    """Bytes -> the YAML document's mapping, or RoadmapError."""

    def fail(message: str, line: int | None = None, column: int | None = None) -> RoadmapError:
        return RoadmapError(file, [Problem(file, "", message, line, column)])

    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise fail(f"the file is not UTF-8 text (a byte at offset {exc.start} cannot be read)") from None
    if "\x00" in text:
        raise fail("the file holds binary data, not text")
    if not text.strip():
        raise fail("the file is empty; a roadmap needs at least id, title, version and phases")
    try:
        raw = yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
    except DocumentTooBig as exc:
        raise fail(f"the roadmap is too big to load: {exc}") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or "the YAML cannot be read"
        if "could not determine a constructor" in problem:
            tag = problem.split("tag", 1)[-1].strip(" '")
            problem = f"the YAML tag '{tag}' is not allowed (tags are never executed)"
        line = mark.line + 1 if mark else None
        column = mark.column + 1 if mark else None
        raise fail(f"YAML syntax error: {excerpt(problem, 200)}", line, column) from None
    except yaml.YAMLError as exc:
        raise fail(f"YAML syntax error: {excerpt(str(exc), 200)}") from None
    except (ValueError, OverflowError) as exc:
        # A value the safe constructor cannot build: an impossible date, a number of 5,000 digits.
        raise fail(f"a value cannot be read: {excerpt(str(exc), 200)}") from None
    except RecursionError:
        raise fail("the document is nested too deeply") from None
    if not isinstance(raw, dict):
        what = "a list" if isinstance(raw, list) else f"{_show(raw)}"
        raise fail(f"the top level must be a mapping of keys (id, title, phases...), not {what}")
    return raw


def _validated(raw: Any, file: str, data: bytes) -> Any:
    """The Roadmap for loaded data, or RoadmapError with every problem located in `data`."""
    from pydantic import ValidationError

    from aipm_cli.roadmap.models import Roadmap

    where: list[_Where] = []
    roadmap = None
    try:
        roadmap = Roadmap.model_validate(raw)
    except ValidationError as exc:
        for error in exc.errors():
            where.append(_Where(tuple(error["loc"]), _sentence(dict(error), Roadmap)))
    if roadmap is not None:
        where.extend(check_references(roadmap))
    else:
        # The structure has problems: still check ids, skills and `requires` over whatever parsed, so one
        # run lists everything (a place pydantic already reported is not reported twice).
        reported = {w.loc for w in where}
        where.extend(w for w in check_references(_Lenient(raw, top=True)) if w.loc not in reported)
    if not where:
        return roadmap

    try:
        root = yaml.compose(data.decode("utf-8-sig"), Loader=_BaseLoader)
    except yaml.YAMLError:
        root = None
    problems = []
    for w in where:
        node = _key_node(root, w.loc) if w.message.startswith("unknown key") else None
        if node is None:
            node = _node_at(root, w.loc)
        line = node.start_mark.line + 1 if node is not None else None
        problems.append(Problem(file, format_loc(w.loc), w.message, line))
    # In the order of the file: the first problem listed is the first one met reading it.
    problems.sort(key=lambda p: (p.line is None, p.line or 0))
    raise RoadmapError(file, problems)


class _Lenient:
    """A partly valid roadmap document read as far as it goes, for the cross-reference checks.

    Entries that are not mappings or have no text id are left out; lists that
    are not lists are empty. Only what check_references reads is offered.
    """

    _LISTS = ("skills", "phases", "modules", "items", "deliverables", "aliases", "requires")

    def __init__(self, data: Any, top: bool = False) -> None:
        self._data = data if isinstance(data, dict) else {}
        self._top = top

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        value = self._data.get(name)
        if name == "id":
            return value if isinstance(value, str) else ""
        if name in self._LISTS:
            if not isinstance(value, list):
                return []
            if name in ("aliases", "requires"):
                return [v for v in value if isinstance(v, str)]
            if name == "skills" and not self._top:  # an item's skills are ids
                return [v for v in value if isinstance(v, str)]
            return [_Lenient(v) if isinstance(v, dict) else _Lenient({}) for v in value]
        return value


def load_roadmap_file(path: Path) -> Any:
    return parse_roadmap_text(read_roadmap_bytes(path), str(path))


def json_schema() -> dict[str, Any]:
    """The JSON Schema of the roadmap format, for editors."""
    from aipm_cli.roadmap.models import Roadmap

    schema = Roadmap.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "aipm roadmap"
    return schema
