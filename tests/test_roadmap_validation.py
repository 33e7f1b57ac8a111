"""Every rule of roadmap validation refuses a bad file with a precise, plain message."""

from __future__ import annotations

from pathlib import Path

import pytest

from aipm_cli.errors import RoadmapError
from aipm_cli.roadmap.loading import load_roadmap_file

GOOD = """\
id: mine
title: My plan
version: "1"
skills:
  - {id: writing, title: Writing}
phases:
  - id: basics
    title: Basics
    modules:
      - id: reading
        title: Reading
        duration: 2 weeks
        items:
          - id: first-book
            title: First book
            kind: resource
            url: https://example.org/book
            duration: 6-8 weeks
            skills: [writing]
          - id: second-book
            title: Second book
            kind: resource
            requires: [first-book]
          - id: capstone
            title: Capstone
            kind: project
            deliverables:
              - {id: capstone-draft, title: Draft}
"""


def write(tmp_path: Path, text: str | bytes, name: str = "plan.yaml") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


def problems(tmp_path: Path, text: str | bytes) -> list[str]:
    with pytest.raises(RoadmapError) as caught:
        load_roadmap_file(write(tmp_path, text))
    return [str(p) for p in caught.value.problems]


def test_good_file_loads(tmp_path: Path) -> None:
    roadmap = load_roadmap_file(write(tmp_path, GOOD))
    assert roadmap.id == "mine"
    assert roadmap.index.items["first-book"].item.parsed_duration.high == 8


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("id: a\ntitle: [unclosed\n", "YAML syntax error"),
        ("- just\n- a list\n", "the top level must be a mapping"),
        ("", "the file is empty"),
        ("   \n\n", "the file is empty"),
        ("!!python/object/apply:os.system ['echo hacked']\n", "is not allowed (tags are never executed)"),
    ],
)
def test_file_level_problems(tmp_path: Path, text: str, expected: str) -> None:
    found = problems(tmp_path, text)
    assert len(found) == 1
    assert expected in found[0]
    assert str(tmp_path / "plan.yaml") in found[0]


def test_syntax_error_gives_line_and_column(tmp_path: Path) -> None:
    found = problems(tmp_path, GOOD.replace("title: Reading", "title: [Reading"))
    assert "plan.yaml:" in found[0]
    line_col = found[0].split("plan.yaml:")[1].split(":")[:2]
    assert all(part.isdigit() for part in line_col)


def test_bytes_that_are_not_text(tmp_path: Path) -> None:
    found = problems(tmp_path, b"\xff\xfe\x00\x01garbage")
    assert "not UTF-8 text" in found[0]


def test_python_tag_is_never_executed(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    problems(tmp_path, f"id: !!python/object/apply:os.system ['touch {marker}']\n")
    assert not marker.exists()


def test_unknown_key_suggests_the_right_one(tmp_path: Path) -> None:
    found = problems(tmp_path, GOOD.replace("            duration: 6-8 weeks", "            duraton: 6-8 weeks"))
    assert found == [
        f"{tmp_path / 'plan.yaml'}:18: phases[0].modules[0].items[0].duraton: unknown key 'duraton'; "
        "did you mean 'duration'?"
    ]


def test_duplicate_ids_anywhere(tmp_path: Path) -> None:
    found = problems(tmp_path, GOOD.replace("id: capstone-draft", "id: first-book"))
    assert any(
        "phases[0].modules[0].items[2].deliverables[0].id: the id 'first-book' is already used at "
        "phases[0].modules[0].items[0].id" in p
        for p in found
    )


def test_duplicate_phase_and_module_ids(tmp_path: Path) -> None:
    found = problems(tmp_path, GOOD.replace("id: reading", "id: basics"))
    assert any("phases[0].modules[0].id: the id 'basics' is already used at phases[0].id" in p for p in found)


def test_duplicate_yaml_keys(tmp_path: Path) -> None:
    found = problems(tmp_path, GOOD.replace('version: "1"', 'version: "1"\ntitle: Again'))
    assert "the key 'title' appears twice" in found[0]


def test_ids_must_be_slugs(tmp_path: Path) -> None:
    found = problems(tmp_path, GOOD.replace("id: second-book", "id: Second Book"))
    assert any(
        "items[1].id: 'Second Book' is not a valid id: use lowercase letters, digits and single hyphens "
        "(e.g. 'second-book')" in p
        for p in found
    )


def test_unknown_kind(tmp_path: Path) -> None:
    found = problems(
        tmp_path, GOOD.replace("kind: resource\n            requires", "kind: lecture\n            requires")
    )
    assert any("items[1].kind: 'lecture' is not allowed here; use one of 'course', 'resource'" in p for p in found)


def test_requires_naming_no_item(tmp_path: Path) -> None:
    found = problems(tmp_path, GOOD.replace("requires: [first-book]", "requires: [first-bok]"))
    assert any(
        "items[1].requires[0]: requires 'first-bok', which is not an item, module or phase of this roadmap; "
        "did you mean 'first-book'?" in p
        for p in found
    )


def test_cycles_in_requires(tmp_path: Path) -> None:
    text = GOOD.replace(
        "            skills: [writing]\n", "            skills: [writing]\n            requires: [second-book]\n"
    )
    found = problems(tmp_path, text)
    assert any("requires form a cycle: first-book -> second-book -> first-book" in p for p in found)


def test_unparsable_duration(tmp_path: Path) -> None:
    found = problems(tmp_path, GOOD.replace("duration: 6-8 weeks", "duration: a while"))
    assert found == [
        f"{tmp_path / 'plan.yaml'}:18: phases[0].modules[0].items[0].duration: 'a while' is not a duration; "
        "write it as people do, e.g. '4 weeks', '6-8 weeks', '3-4 months', '90 minutes' or '2h'"
    ]


def test_non_http_urls(tmp_path: Path) -> None:
    found = problems(tmp_path, GOOD.replace("https://example.org/book", "javascript:alert(1)"))
    assert any("items[0].url: 'javascript:alert(1)' is not an http(s) URL" in p for p in found)


def test_empty_titles(tmp_path: Path) -> None:
    found = problems(tmp_path, GOOD.replace("title: Second book", "title: '  '"))
    assert any("items[1].title: the title is empty" in p for p in found)


def test_missing_required_key(tmp_path: Path) -> None:
    found = problems(tmp_path, GOOD.replace('version: "1"\n', ""))
    assert any("version: the required key 'version' is missing" in p for p in found)


def test_unknown_skill(tmp_path: Path) -> None:
    found = problems(tmp_path, GOOD.replace("skills: [writing]", "skills: [painting]"))
    assert any("items[0].skills[0]: 'painting' is not one of the roadmap's skills" in p for p in found)


def test_deliverables_only_on_projects(tmp_path: Path) -> None:
    text = GOOD.replace(
        "kind: resource\n            requires",
        "kind: resource\n            deliverables: [{id: x, title: X}]\n            requires",
    )
    found = problems(tmp_path, text)
    assert any("only projects have deliverables" in p for p in found)


def test_every_problem_is_listed_at_once(tmp_path: Path) -> None:
    text = GOOD.replace("duration: 6-8 weeks", "duration: soon").replace("https://example.org/book", "ftp://x")
    assert len(problems(tmp_path, text)) == 2


@pytest.mark.parametrize(
    ("text", "low", "high", "unit"),
    [
        ("4 weeks", 4, 4, "week"),
        ("6-8 weeks", 6, 8, "week"),
        ("3-4 months", 3, 4, "month"),
        ("90 minutes", 90, 90, "minute"),
        ("2h", 2, 2, "hour"),
        ("1.5 hours", 1.5, 1.5, "hour"),
        ("4–6 weeks", 4, 6, "week"),
        ("2 to 3 days", 2, 3, "day"),
    ],
)
def test_durations_as_people_write_them(text: str, low: float, high: float, unit: str) -> None:
    from aipm_cli.roadmap.durations import parse_duration

    d = parse_duration(text)
    assert (d.low, d.high, d.unit) == (low, high, unit)


@pytest.mark.parametrize("text", ["soon", "8-6 weeks", "0 weeks", "4 fortnights", "weeks"])
def test_bad_durations(text: str) -> None:
    from aipm_cli.roadmap.durations import parse_duration

    with pytest.raises(ValueError):
        parse_duration(text)


def test_validate_command(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    good = run("roadmap", "validate", str(write(tmp_path, GOOD)))
    assert good.exit_code == 0
    assert "valid roadmap 'mine' v1: 1 phase, 1 module, 3 items, 1 deliverable, 1 skill" in good.stdout
    bad = run("roadmap", "validate", str(write(tmp_path, GOOD.replace("kind: project", "kind: projet"), "bad.yaml")))
    assert bad.exit_code == 1
    assert bad.stdout == ""
    assert "bad.yaml is not a valid roadmap (1 problem)" in bad.stderr
    assert "'projet' is not allowed here" in bad.stderr


def test_schema_command(run) -> None:  # type: ignore[no-untyped-def]
    import json

    result = run("roadmap", "schema")
    schema = json.loads(result.stdout)
    assert schema["$schema"].endswith("2020-12/schema")
    assert {"id", "title", "version", "phases"} <= set(schema["properties"])
    assert schema["additionalProperties"] is False
