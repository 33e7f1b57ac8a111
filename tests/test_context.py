"""A title never stands alone: every view says where an item sits and what a phase, module or skill is."""

from __future__ import annotations

import json

from conftest import Run


def test_next_and_status_rows_carry_their_module(run: Run) -> None:
    rows = json.loads(run("next", "-n", "50", "--json").stdout)
    assert rows and all(r["context"] for r in rows)
    status = json.loads(run("status", "--json").stdout)
    assert all(r["context"] for r in status["next"])
    # Items with the same title are told apart by it.
    every = json.loads(run("list", "--json").stdout)
    by_title: dict[str, set[str]] = {}
    for r in every:
        by_title.setdefault(r["title"], set()).add(r["context"])
    same = {t: c for t, c in by_title.items() if sum(1 for r in every if r["title"] == t) > 1}
    assert all(len(contexts) > 1 for contexts in same.values())
    text = run("next").stdout
    assert "Cross-functional Collaboration — Core Responsibilities" in text


def test_show_gives_context_for_an_item_without_a_description(run: Run) -> None:
    rows = json.loads(run("list", "--json").stdout)
    for r in rows[:40]:
        shown = json.loads(run("show", r["id"], "--json").stdout)
        assert shown["module_title"] and shown["phase_title"]
        assert shown["description"] or shown.get("module_description") or shown.get("phase_description"), r["id"]


def test_a_module_shows_its_description_and_its_own_notes(run: Run) -> None:
    assert run("note", "core-product-management", "one note on the module").exit_code == 0
    shown = json.loads(run("show", "core-product-management", "--json").stdout)
    assert shown["description"]
    assert [n["text"] for n in shown["notes"]] == ["one note on the module"]
    for item in shown["items"]:  # not copied onto every item
        assert json.loads(run("show", item["id"], "--json").stdout)["notes"] == []
    text = run("show", "core-product-management").stdout
    assert "one note on the module" in text and shown["description"].split()[0] in text


def test_roadmap_show_and_skills_full_print_what_the_sources_say(run: Run) -> None:
    text = run("roadmap", "show").stdout
    assert "Begin with this essential overview" in text
    full = run("skills", "--full").stdout
    assert "• Strong knowledge of product development lifecycle" in full
    assert "• Strong knowledge" not in run("skills").stdout


def test_plan_items_carry_their_module(run: Run) -> None:
    plan = json.loads(run("plan", "--json").stdout)
    assert plan["items"] and all(i["context"] for i in plan["items"])
    assert " — " in run("plan").stdout
