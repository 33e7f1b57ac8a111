"""`aipm roadmap ...`: list, show, use, validate, schema."""

from pathlib import Path
from typing import Annotated, Any

import typer

roadmap_app = typer.Typer(help="Manage roadmap definitions: bundled ones and your own.", no_args_is_help=True)


@roadmap_app.command("list")
def list_roadmaps(
    ctx: typer.Context,
    json: Annotated[bool, typer.Option("--json", help="Print the roadmaps as one JSON document.")] = False,
) -> None:
    """The bundled roadmaps and your own, by id.

    An own roadmap's id is the `id` written in its file, whatever the file is called.
    """
    from rich.text import Text

    from aipm_cli.errors import AipmError
    from aipm_cli.roadmap import finding

    app = ctx.obj
    current = app.learner.roadmap_spec
    refs = finding.available(app.layout.roadmaps, app.layout.cache)
    clashes = finding.duplicates(refs)
    try:
        in_use_path = finding.find(current, app.layout.roadmaps, app.layout.cache)
    except AipmError:
        in_use_path = None
    if in_use_path is not None and not any(_same_file(ref.path, in_use_path) for ref in refs):
        # Chosen by a path outside the roadmaps folder (`roadmap use ./file.yaml`, --roadmap FILE): listed too.
        from aipm_cli.roadmap.finding import RoadmapRef

        refs.append(RoadmapRef(in_use_path.stem, in_use_path, "file"))
    entries = []
    for ref in refs:
        in_use = in_use_path is not None and _same_file(ref.path, in_use_path)
        entry: dict[str, Any] = {"id": ref.id, "origin": ref.origin, "path": str(ref.path), "in_use": in_use}
        try:
            if ref.error is not None:
                raise AipmError(ref.error)
            rm = finding.load(finding.read_roadmap_bytes(ref.path), str(ref.path), app.layout.cache)
            entry.update(title=rm.title, version=rm.version, items=len(rm.index.items), valid=True)
            if ref.origin == "file":
                entry["id"] = rm.id  # a file chosen by path: the id written in it
        except AipmError as exc:
            entry.update(title=None, version=None, items=None, valid=False, error=exc.message)
        entry["duplicate"] = ref.id in clashes and ref.origin == "own"
        entries.append(entry)
    if json:
        app.emit_json(entries)
        return
    from aipm_cli.render.wrap import wrap
    from aipm_cli.wording import count

    # One entry per roadmap: the id (never cut) and its facts, then the title (or what is wrong) below it.
    width = app.out.width
    out: list[Text] = []
    for e in entries:
        head = Text("* " if e["in_use"] else "  ")
        head.append(e["id"], style="bold")
        facts = [f"v{e['version']}", count(e["items"], "item")] if e["valid"] else []
        facts.append(e["origin"] + (", in use" if e["in_use"] else ""))
        head.append("  " + " · ".join(facts), style="dim")
        out.append(head)
        if e["valid"]:
            out += [Text(line) for line in wrap("    " + e["title"], width, "    ")]
        else:
            out += [Text(line, style="red") for line in wrap(f"    invalid: {e.get('error')}", width, "    ")]
    app.show(lambda c: [c.print(line, overflow="fold") for line in out])
    for identifier, paths in clashes.items():
        app.say_plain(
            f"Warning: {len(paths)} files have the id '{identifier}': {', '.join(p.name for p in paths)}. "
            f"aipm uses {paths[0].name}; change the id in the others."
        )
    if not any(e["origin"] == "own" for e in entries):
        from aipm_cli.paths import ensure_private_dir

        try:
            ensure_private_dir(app.layout.roadmaps)  # the folder named below exists (0700)
        except OSError:
            pass  # named all the same; saying where matters more
        app.say_plain(f"Your own roadmaps go in {app.layout.roadmaps} (see `aipm roadmap validate`).")


def _same_file(a: Path, b: Path) -> bool:
    """Whether two paths name one roadmap file (a relative path, a symlink or `..` included)."""
    try:
        return a == b or a.resolve() == b.resolve()
    except (OSError, RuntimeError):
        return False


@roadmap_app.command("show")
def show_roadmap(
    ctx: typer.Context,
    roadmap: Annotated[
        str | None, typer.Argument(metavar="ID|PATH", help="Roadmap id or file (default: the one in use).")
    ] = None,
    json: Annotated[bool, typer.Option("--json", help="Print the validated roadmap as JSON.")] = False,
) -> None:
    """Every phase, module and item of a roadmap."""
    from aipm_cli.roadmap import finding, loading

    app = ctx.obj
    spec = roadmap or app.learner.roadmap_spec
    path = finding.find(spec, app.layout.roadmaps, app.layout.cache)
    rm = loading.load_roadmap_file(path)
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
    from aipm_cli.roadmap import finding, loading

    app = ctx.obj
    path = finding.find(roadmap, app.layout.roadmaps, app.layout.cache)
    rm = loading.load_roadmap_file(path)
    value = str(path) if finding.looks_like_path(roadmap) else rm.id
    app.learner.config.set("roadmap", value)
    app.say(f"[green]✓[/] Now using {rm.title} ({rm.id} v{rm.version}).")


@roadmap_app.command("validate")
def validate(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(metavar="FILE", help="The roadmap file to check.", show_default=False)],
    json: Annotated[
        bool, typer.Option("--json", help="Print the result as one JSON document (for your own CI).")
    ] = False,
) -> None:
    """Check a roadmap file.

    Lists every problem with its file, line and place in the document.
    With --json: {"file", "valid", "problems": [{"file", "line", "column",
    "where", "message"}], and for a valid file its id, version and counts};
    exit 1 when it is not valid.
    """
    from aipm_cli.render.safe import clean
    from aipm_cli.roadmap.loading import load_roadmap_file
    from aipm_cli.wording import count

    if json:
        _validate_json(ctx.obj, file)
        return
    rm = load_roadmap_file(file)
    ix = rm.index
    typer.echo(
        clean(
            f"{file}: valid roadmap '{rm.id}' v{rm.version}: {count(len(rm.phases), 'phase')}, "
            f"{count(len(ix.modules), 'module')}, {count(len(ix.items), 'item')}, "
            f"{count(len(ix.deliverables), 'deliverable')}, {count(len(rm.skills), 'skill')}."
        )
    )


def _validate_json(app: object, file: Path) -> None:
    from aipm_cli.errors import AipmError, RoadmapError
    from aipm_cli.roadmap.loading import load_roadmap_file

    result: dict[str, Any] = {"file": str(file), "valid": False, "problems": []}
    try:
        rm = load_roadmap_file(file)
    except RoadmapError as exc:
        result["problems"] = [
            {"file": p.file, "line": p.line, "column": p.column, "where": p.where, "message": p.message}
            for p in exc.problems
        ]
    except AipmError as exc:  # no file, not readable, not YAML at all
        result["problems"] = [
            {"file": str(file), "line": None, "column": None, "where": "", "message": " ".join(exc.lines())}
        ]
    else:
        ix = rm.index
        result.update(
            valid=True, id=rm.id, version=rm.version, phases=len(rm.phases), modules=len(ix.modules),
            items=len(ix.items), deliverables=len(ix.deliverables), skills=len(rm.skills),
        )  # fmt: skip
    app.emit_json(result)  # type: ignore[attr-defined]
    if not result["valid"]:
        raise typer.Exit(1)


@roadmap_app.command("schema")
def schema(ctx: typer.Context) -> None:
    """Print the roadmap format's JSON Schema."""
    from aipm_cli.roadmap.loading import json_schema

    ctx.obj.emit_json(json_schema())


def register(app: typer.Typer) -> None:
    app.add_typer(roadmap_app, name="roadmap")
