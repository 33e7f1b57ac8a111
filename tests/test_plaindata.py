"""@plain behaves like @dataclass for everything aipm uses: construction, defaults, repr, equality, frozen."""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aipm_cli.plainclass import fields, plain, replace


def twins(frozen: bool = False) -> tuple[type, type]:
    """The same class body made with @dataclass and with @plain."""

    def body() -> dict[str, Any]:
        return {
            "__annotations__": {"id": str, "count": int, "tags": list[str], "note": str | None, "K": ClassVar[int]},
            "count": 0,
            "tags": dataclasses.field(default_factory=list),
            "note": None,
            "K": 7,
            "__module__": __name__,
        }

    made = dataclasses.dataclass(frozen=frozen)(type("Thing", (), body()))
    light = plain(frozen=frozen)(type("Thing", (), body()))
    return made, light


def outcome(cls: type, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    try:
        value = cls(*args, **kwargs)
    except TypeError:
        return TypeError
    return (repr(value), [getattr(value, f) for f in ("id", "count", "tags", "note")])


VALUES = st.sampled_from(["a", "b", 0, 3, None, ["x"], [], "zz"])


@given(
    st.lists(VALUES, max_size=5),
    st.dictionaries(st.sampled_from(["id", "count", "tags", "note", "other"]), VALUES, max_size=3),
    st.booleans(),
)
@settings(max_examples=400, deadline=None)
def test_construction_and_repr_match_dataclasses(args: list[Any], kwargs: dict[str, Any], frozen: bool) -> None:
    made, light = twins(frozen)
    assert outcome(light, tuple(args), kwargs) == outcome(made, tuple(args), kwargs)


def test_defaults_factories_equality_and_hash() -> None:
    made, light = twins()
    one, two = light("a"), light("a")
    assert one == two and one is not two
    assert one.tags == [] and one.tags is not two.tags  # a fresh list each time
    one.tags.append("x")
    assert one != two
    assert light("a", 1) != made("a", 1)  # another class: never equal
    assert light.K == 7 and "K" not in fields(light)
    with pytest.raises(TypeError):
        hash(one)  # mutable and compared by value: unhashable, as a dataclass
    frozen = twins(frozen=True)[1]
    value = frozen("a", 2, note="n")
    with pytest.raises(dataclasses.FrozenInstanceError):
        value.count = 3  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        del value.count  # type: ignore[misc]

    @plain(frozen=True)
    class Key:
        a: str
        b: int = 0

    assert hash(Key("a")) == hash(Key("a", 0)) and {Key("a"): 1}[Key("a", 0)] == 1


def test_a_required_field_after_a_default_is_refused() -> None:
    with pytest.raises(TypeError, match="non-default argument 'late'"):
        plain(type("Bad", (), {"__annotations__": {"early": "int", "late": "int"}, "early": 1}))


def test_fields_and_replace() -> None:
    @plain
    class Inner:
        when: str
        marks: list[int] = dataclasses.field(default_factory=list)

    value = Inner("d", [1])
    assert fields(value) == fields(Inner) == ("when", "marks")
    changed = replace(value, when="e")
    assert changed == Inner("e", [1]) and changed.marks is value.marks and value.when == "d"
    with pytest.raises(TypeError, match="no field 'nope'"):
        replace(value, nope=1)


def test_what_it_does_not_do_is_refused_or_kept() -> None:
    with pytest.raises(ValueError, match="mutable default"):
        plain(type("Bad", (), {"__annotations__": {"tags": "list[str]"}, "tags": []}))
    with pytest.raises(TypeError, match="__post_init__"):
        plain(type("Bad", (), {"__annotations__": {"a": "int"}, "__post_init__": lambda self: None}))

    @plain(frozen=True)
    class Own:
        a: int
        b: int = 0

        def __repr__(self) -> str:
            return f"Own<{self.a}>"

        def __eq__(self, other: object) -> bool:
            return isinstance(other, Own) and other.a == self.a

    assert repr(Own(1, 2)) == "Own<1>" and Own(1, 2) == Own(1, 3)  # the class's own methods stay
    assert len({Own(1, 2), Own(1, 2)}) == 1  # frozen: hashable


def test_subclasses_add_fields_after_their_base_s() -> None:
    @plain
    class Base:
        a: int
        b: int = 2

    @plain
    class Child(Base):
        c: int = 3

    assert fields(Child) == ("a", "b", "c")
    assert repr(Child(1)) == "test_subclasses_add_fields_after_their_base_s.<locals>.Child(a=1, b=2, c=3)"


def test_a_class_s_own_constructor_and_slots_stay() -> None:
    @plain
    class Fast:
        __slots__ = ("a", "b")
        a: int
        b: list[int]

        def __init__(self, a: int, b: list[int] | None = None) -> None:
            self.a, self.b = a, [] if b is None else b

    value = Fast(1)
    assert value == Fast(1, []) and value != Fast(2)
    assert repr(value) == "test_a_class_s_own_constructor_and_slots_stay.<locals>.Fast(a=1, b=[])"
    assert fields(Fast) == ("a", "b") and replace(value, a=3) == Fast(3)
    with pytest.raises(AttributeError):
        value.c = 1  # type: ignore[attr-defined]
