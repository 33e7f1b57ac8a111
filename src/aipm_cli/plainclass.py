"""Plain data classes for the read path, without dataclasses' start-up cost.

`@dataclass` writes each class's `__init__`, `__repr__` and `__eq__` as
source text and compiles it when the module is imported: about half a
millisecond a class, and the classes a read command imports (summaries,
derived state, the fold's bookkeeping) made that 13 ms, a tenth of a
command's whole start-up. `@plain` gives the constructor (positional or
keyword, defaults, `field(default_factory=...)`), repr, equality and
`frozen` from the class's annotations, with no code generated: type
checkers read it like a dataclass (PEP 681). A method the class writes
itself (`__init__`, `__repr__`, `__eq__`, `__hash__`) is kept, as dataclasses
keep theirs.

What it does not do, and refuses where a dataclass would have done it:
`__post_init__`, `InitVar`, and `field()` options other than `default` and
`default_factory` (repr, compare, init, kw_only). A list, dict or set as a
default is refused, as dataclasses refuse it. The constructor is a generic
one, a few microseconds a call: fine for what a view builds; a class made in
a hot loop writes its own `__init__` (see record/state.py).

`fields` and `replace` work like their dataclasses namesakes.
"""

from __future__ import annotations

import dataclasses
import types
from typing import Any, TypeVar, dataclass_transform

T = TypeVar("T")
_NONE: Any = dataclasses.MISSING


@dataclass_transform(field_specifiers=(dataclasses.field,))
def plain(cls: type[T] | None = None, /, *, frozen: bool = False) -> Any:
    """Make `cls` a plain data class (see the module docstring)."""

    def build(cls: type[T]) -> type[T]:
        _build(cls, frozen)
        return cls

    return build if cls is None else build(cls)


def _build(cls: type, frozen: bool) -> None:
    if "__post_init__" in cls.__dict__:
        raise TypeError(f"{cls.__name__}: @plain runs no __post_init__ (use @dataclass, or write __init__)")
    inherited: dict[str, tuple[Any, Any]] = {}
    for base in reversed(cls.__mro__[1:]):
        for name, default, factory in base.__dict__.get("__plain_fields__", ()):
            inherited[name] = (default, factory)
    own: dict[str, tuple[Any, Any]] = {}
    for name, annotation in cls.__dict__.get("__annotations__", {}).items():
        if "ClassVar" in str(annotation):
            continue
        if "InitVar" in str(annotation):
            raise TypeError(f"{cls.__name__}.{name}: @plain has no InitVar")
        value = cls.__dict__.get(name, _NONE)
        if isinstance(value, types.MemberDescriptorType):  # a slot, not a default
            value = _NONE
        default, factory = value, _NONE
        if isinstance(value, (list, dict, set)):
            raise ValueError(f"mutable default {type(value)} for field {name} is not allowed: use default_factory")
        if isinstance(value, dataclasses.Field):
            default, factory = value.default, value.default_factory
            if default is _NONE:
                delattr(cls, name)
            else:
                setattr(cls, name, default)
        own[name] = (default, factory)
    table = {**inherited, **own}
    fields = tuple((name, default, factory) for name, (default, factory) in table.items())
    seen_default = False
    for name, default, factory in fields:
        if default is not _NONE or factory is not _NONE:
            seen_default = True
        elif seen_default:
            raise TypeError(f"non-default argument {name!r} follows default argument")
    names = tuple(name for name, _, _ in fields)
    cls.__plain_fields__ = fields  # type: ignore[attr-defined]
    cls.__match_args__ = names  # type: ignore[attr-defined,misc]
    title = cls.__name__

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        if len(args) > len(fields):
            raise TypeError(f"{title}() takes {len(fields)} positional arguments but {len(args)} were given")
        for position, (name, default, factory) in enumerate(fields):
            if position < len(args):
                if name in kwargs:
                    raise TypeError(f"{title}() got multiple values for argument {name!r}")
                value = args[position]
            elif name in kwargs:
                value = kwargs.pop(name)
            elif factory is not _NONE:
                value = factory()
            elif default is not _NONE:
                value = default
            else:
                raise TypeError(f"{title}() missing required argument: {name!r}")
            object.__setattr__(self, name, value)
        if kwargs:
            raise TypeError(f"{title}() got an unexpected keyword argument {next(iter(kwargs))!r}")

    def __repr__(self: Any) -> str:
        inside = ", ".join(f"{name}={getattr(self, name)!r}" for name in names)
        return f"{type(self).__qualname__}({inside})"

    def __eq__(self: Any, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return all(getattr(self, name) == getattr(other, name) for name in names)

    if "__init__" not in cls.__dict__:  # (a class's own constructor stays, as with dataclasses)
        cls.__init__ = __init__  # type: ignore[misc]
    if "__repr__" not in cls.__dict__:
        cls.__repr__ = __repr__  # type: ignore[assignment,method-assign]
    own_eq = "__eq__" in cls.__dict__
    if not own_eq:
        cls.__eq__ = __eq__  # type: ignore[assignment,method-assign]
    if frozen:

        def __setattr__(self: Any, name: str, value: Any) -> None:
            raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")

        def __delattr__(self: Any, name: str) -> None:
            raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")

        def __hash__(self: Any) -> int:
            return hash(tuple(getattr(self, name) for name in names))

        cls.__setattr__ = __setattr__  # type: ignore[assignment,method-assign]
        cls.__delattr__ = __delattr__  # type: ignore[assignment,method-assign]
        if "__hash__" not in cls.__dict__ or own_eq:
            cls.__hash__ = __hash__  # type: ignore[assignment,method-assign]
    elif not own_eq:
        cls.__hash__ = None  # type: ignore[assignment]  # (mutable and compared by value: unhashable, as dataclasses)


def fields(value: Any) -> tuple[str, ...]:
    """The field names of a plain data class or instance, in order."""
    return tuple(name for name, _, _ in value.__plain_fields__)


def is_plain(value: Any) -> bool:
    return hasattr(type(value), "__plain_fields__") and not isinstance(value, type)


def replace(value: T, **changes: Any) -> T:
    """A copy of `value` with some fields changed."""
    current = {name: getattr(value, name) for name in fields(value)}
    unknown = set(changes) - set(current)
    if unknown:
        raise TypeError(f"{type(value).__name__} has no field {sorted(unknown)[0]!r}")
    return type(value)(**{**current, **changes})
