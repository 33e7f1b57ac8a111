"""`aipm roadmap ...`: list, show, use, validate, schema."""

from pathlib import Path
from typing import Annotated

import typer

roadmap_app = typer.Typer(help="Manage roadmap definitions: bundled ones and your own.", no_args_is_help=True)


@roadmap_app.command("list")
def list_roadmaps(
    ctx: typer.Context, json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False
) -> None:
    """The bundled roadmaps and your own."""
    from rich.table import Table

    from aipm_cli import catalog
    from aipm_cli.errors import AipmError

    app = ctx.obj
    current = app.roadmap_spec
    entries = []
    for ref in catalog.available(app.layout.roadmaps):
        entry = {"id": ref.id, "origin": ref.origin, "path": str(ref.path), "in_use": ref.id == current}
        try:
            rm = catalog.load_roadmap_file(ref.path)
            entry.update(title=rm.title, version=rm.version, items=len(rm.index.items), valid=True)
        except AipmError as exc:
            entry.update(title=None, version=None, items=None, valid=False, error=exc.message)
        entries.append(entry)
    if json:
        app.emit_json(entries)
        return
    from aipm_cli.render.safe import text

    table = Table(box=None, padding=(0, 2), pad_edge=False)
    for name in ("", "id", "title", "version", "items", "from"):
        table.add_column(name, overflow="fold")
    for e in entries:
        table.add_row(
            "*" if e["in_use"] else "", text(e["id"]),
            text(e["title"]) if e["title"] else text(f"invalid: {e.get('error')}", style="red"),
            text(e["version"] or ""), str(e["items"] or ""), e["origin"],
        )  # fmt: skip
    app.show(lambda c: c.print(table))
    if not any(e["origin"] == "own" for e in entries):
        app.say(f"Your own roadmaps go in {app.layout.roadmaps} (see `aipm roadmap validate`).")


@roadmap_app.command("show")
def show_roadmap(
    ctx: typer.Context,
    roadmap: Annotated[
        str | None, typer.Argument(metavar="ID|PATH", help="Roadmap id or file (default: the one in use).")
    ] = None,
    json: Annotated[bool, typer.Option("--json", help="Print the validated roadmap as JSON.")] = False,
) -> None:
    """Every phase, module and item of a roadmap."""
    from aipm_cli import catalog

    app = ctx.obj
    spec = roadmap or app.roadmap_spec
    path = catalog.find(spec, app.layout.roadmaps)
    rm = catalog.load_roadmap_file(path)
    if json:
        app.emit_json(rm.data())
        return
    from aipm_cli.render.terminal import roadmap_tree

    app.show(roadmap_tree, rm, str(path))


@roadmap_app.command("use")
def use(
    ctx: typer.Context,
    roadmap: Annotated[str, typer.Argument(metavar="ID|PATH", help="Roadmap id or file.", show_default=False)],
) -> None:
    """Make a roadmap the default."""
    from aipm_cli import catalog

    app = ctx.obj
    path = catalog.find(roadmap, app.layout.roadmaps)
    rm = catalog.load_roadmap_file(path)
    value = str(path) if catalog.looks_like_path(roadmap) else rm.id
    app.config.set("roadmap", value)
    app.say(f"[green]✓[/] Now using {rm.title} ({rm.id} v{rm.version}).")


@roadmap_app.command("validate")
def validate(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(metavar="FILE", help="The roadmap file to check.", show_default=False)],
) -> None:
    """Check a roadmap file.

    Lists every problem with its file, line and place in the document.
    """
    from aipm_cli.catalog import load_roadmap_file
    from aipm_cli.render.safe import clean

    rm = load_roadmap_file(file)
    ix = rm.index
    typer.echo(
        clean(
            f"{file}: valid roadmap '{rm.id}' v{rm.version}: {len(rm.phases)} phases, {len(ix.modules)} modules, "
            f"{len(ix.items)} items, {len(ix.deliverables)} deliverables, {len(rm.skills)} skills."
        )
    )


@roadmap_app.command("schema")
def schema(ctx: typer.Context) -> None:
    """Print the roadmap format's JSON Schema."""
    from aipm_cli.catalog import json_schema

    ctx.obj.emit_json(json_schema())


def register(app: typer.Typer) -> None:
    app.add_typer(roadmap_app, name="roadmap")
