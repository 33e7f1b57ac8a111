"""`aipm lrs` (push, pull, status, login, logout): the learner's progress in the school's Learning Record Store."""

from __future__ import annotations

import os
import sys
from typing import Annotated, Any

import typer

from aipm_cli.cli.options import JsonOpt

lrs_app = typer.Typer(
    name="lrs",
    help="Your progress in your school's Learning Record Store (xAPI).",
    no_args_is_help=True,
    rich_markup_mode=None,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

EndpointOpt = Annotated[
    str | None,
    typer.Option(
        "--endpoint",
        metavar="URL",
        help="The LRS's xAPI endpoint (default: the lrs_endpoint setting).",
    ),
]


def _endpoint(app: Any, given: str | None) -> str:
    from aipm_cli.errors import InputError
    from aipm_cli.xapi.client import check_endpoint

    url = given.strip() if given is not None else app.learner.config.get("lrs_endpoint")
    if not url:
        raise InputError(
            "No LRS is set.",
            "Give --endpoint URL, or set it once: aipm config lrs_endpoint https://lrs.example.edu/xAPI/",
        )
    return str(check_endpoint(url))


def _credentials(url: str) -> tuple[str, str]:
    """(user, secret) for this endpoint: AIPM_LRS_USER and AIPM_LRS_SECRET, else the system keyring."""
    from aipm_cli.xapi.credentials import credentials

    found = credentials(url)
    return found.user, found.secret


@lrs_app.command("push")
def push(
    ctx: typer.Context,
    endpoint: EndpointOpt = None,
    batch_size: Annotated[
        int, typer.Option("--batch-size", metavar="N", min=1, max=5000, help="Statements sent in one request.")
    ] = 500,
    with_notes: Annotated[
        bool, typer.Option("--with-notes", help="Send the text of your notes too (left out by default).")
    ] = False,
    json: JsonOpt = False,
) -> None:
    """Send your changes to the LRS as xAPI statements (only what it does not have yet).

    Credentials come from AIPM_LRS_USER and AIPM_LRS_SECRET, else from the
    system keyring (`aipm lrs login`). Your change log is only read,
    whatever the server answers; what the LRS took is remembered (per
    endpoint, in the cache, never synced), so the next push sends only what
    is new. Exit 1 when the LRS cannot be reached or refuses a statement
    (the rest is sent).
    """
    from aipm_cli.cli.longwork import long_work
    from aipm_cli.wording import count
    from aipm_cli.xapi.client import Client
    from aipm_cli.xapi.push import push as send
    from aipm_cli.xapi.statements import learner_profile

    app = ctx.obj
    url = _endpoint(app, endpoint)
    user, secret = _credentials(url)
    client = Client(url, user, secret)
    with long_work(json) as progress:
        result = send(
            app.learner.ledger.changes,
            lambda: learner_profile(app.learner, with_notes),
            client,
            app.layout.cache,
            now=app.learner.now().isoformat(),
            batch=batch_size,
            progress=progress,
        )
    if json:
        app.emit_json(
            {
                "endpoint": result.endpoint,
                "changes": result.changes,
                "statements": result.statements,
                "stored": result.stored,
                "already_there": result.already,
                "refused": [{"change": c, "reason": r} for c, r in result.refused],
                "resent": result.resent,
                "retried": result.retried,
            }
        )
    elif result.statements == 0:
        app.say(f"Nothing new to send to {result.endpoint}.")
    else:
        already = f" ({result.already} already there)" if result.already else ""
        app.say(
            f"[green]✓[/] Sent {count(result.statements, 'statement')} of {count(result.changes, 'change')} to "
            f"{result.endpoint}: {result.stored} stored{already}."
        )
    if result.refused:
        from aipm_cli.cli.boundary import print_error

        lines = [f"The LRS refused the statements of {count(len(result.refused), 'change')}:"]
        lines += [f"  change {change_id}: {reason}" for change_id, reason in result.refused[:10]]
        lines.append(
            "The rest were sent; these stay pending (`aipm log` shows the changes, `aipm lrs status` what is left)."
        )
        print_error(lines)
        raise typer.Exit(1)


def pull_into_index(app: Any, endpoint: str | None, again: bool = False) -> Any:
    """Pull from the LRS (the endpoint given, else the setting) into the local cohort index."""
    from aipm_cli.xapi.client import Client
    from aipm_cli.xapi.pull import pull

    url = _endpoint(app, endpoint)
    user, secret = _credentials(url)
    return pull(Client(url, user, secret), app.layout.cache, again=again)


def _say_set_aside(app: Any, pulled: Any) -> None:
    if pulled.set_aside_count:
        app.say_plain(
            f"Warning: {pulled.set_aside_count} of the LRS's statements were set aside (not believed): "
            + "; ".join(pulled.set_aside)
        )


@lrs_app.command("pull")
def pull(
    ctx: typer.Context,
    endpoint: EndpointOpt = None,
    again: Annotated[bool, typer.Option("--again", help="Read every statement again, not only the new ones.")] = False,
    json: JsonOpt = False,
) -> None:
    """Read the learners' statements from the LRS into a local cohort index.

    For instructors: reads the statements aipm wrote (only those stored
    since the last pull, following the LRS's `more` links), checks every
    change they carry like any change aipm reads, and keeps them in the
    cache; `aipm cohort report --lrs URL` reports on them.
    """
    from aipm_cli.wording import count

    app = ctx.obj
    pulled = pull_into_index(app, endpoint, again)
    if json:
        app.emit_json(
            {
                "endpoint": pulled.endpoint,
                "statements": pulled.statements,
                "other_statements": pulled.others,
                "new_changes": pulled.new,
                "learners": pulled.learners,
                "set_aside": pulled.set_aside_count,
                "index": str(pulled.index),
            }
        )
    else:
        app.say(
            f"[green]✓[/] Read {count(pulled.statements, 'statement')} from {pulled.endpoint}: "
            f"{count(pulled.new, 'new change')}, {count(pulled.learners, 'learner')} in the index."
        )
    _say_set_aside(app, pulled)


@lrs_app.command("status")
def status(ctx: typer.Context, endpoint: EndpointOpt = None, json: JsonOpt = False) -> None:
    """What is not sent to the LRS yet (no network)."""
    from aipm_cli.wording import count
    from aipm_cli.xapi.credentials import where_set
    from aipm_cli.xapi.push import pending

    app = ctx.obj
    url = _endpoint(app, endpoint)
    found = pending(app.learner.ledger.changes, app.layout.cache, url, app.learner.user, app.learner.roadmap.id)
    credentials = where_set(url)
    if json:
        app.emit_json(
            {
                "endpoint": found.endpoint,
                "changes": found.changes,
                "pending": found.pending,
                "sent_through": found.through or None,
                "statements_taken": found.statements,
                "last_push": found.pushed_at or None,
                "resend": found.resend,
                "credentials_set": credentials is not None,
                "credentials_from": credentials,
            }
        )
        return
    lines = [f"LRS: {found.endpoint}"]
    if not found.through:
        lines.append(f"Nothing sent yet: {count(found.pending, 'change')} to send.")
    else:
        lines.append(f"Last push: {found.pushed_at}; the LRS has taken {count(found.statements, 'statement')}.")
        if found.resend:
            lines.append(
                f"Changes older than the last push arrived since: the next push sends all {found.pending} again."
            )
        else:
            lines.append(f"Pending: {count(found.pending, 'change')} of {found.changes}.")
    if credentials is None:
        lines.append(
            "Credentials: not set (AIPM_LRS_USER and AIPM_LRS_SECRET are not, and the system keyring has none"
            " for this LRS: `aipm lrs login`)."
        )
    else:
        where = "AIPM_LRS_USER and AIPM_LRS_SECRET" if credentials == "environment" else "the system keyring"
        lines.append(f"Credentials: from {where}.")
    sys.stdout.write("\n".join(lines) + "\n")


UserOpt = Annotated[
    str | None,
    typer.Option("--username", metavar="NAME", help="Your user name at the LRS (asked for when not given)."),
]


@lrs_app.command("login")
def login(ctx: typer.Context, endpoint: EndpointOpt = None, username: UserOpt = None) -> None:
    """Keep your LRS credentials in the system keyring, for this endpoint.

    The secret is asked for without echoing it, or read from the first line
    of standard input when that is not a terminal. It goes only to the
    system keyring (through the keyring package), never to config.json,
    the log or the cache. AIPM_LRS_USER and AIPM_LRS_SECRET, when set, win
    over it.
    """
    from aipm_cli.cli.options import usage_error
    from aipm_cli.render.safe import is_terminal
    from aipm_cli.xapi.credentials import USER_VAR, keyring_name, store

    app = ctx.obj
    url = _endpoint(app, endpoint)
    keyring_name()  # no keyring: say so before asking for anything
    on_terminal = is_terminal(sys.stdin)
    user = username
    if user is None:
        if not on_terminal:
            raise usage_error("Give --username NAME (standard input holds only the secret).", "--username")
        user = typer.prompt(f"User name at {url}", err=True)
    user = user.strip()
    if not user or len(user) > 256 or any(ord(c) < 32 for c in user):
        raise usage_error("The user name is empty, too long or holds control characters.", "--username")
    if on_terminal:
        secret = typer.prompt("Secret (not shown)", hide_input=True, err=True)
    else:
        secret = sys.stdin.readline(4097).rstrip("\r\n")
    if not secret or len(secret) > 4096 or "\n" in secret:
        from aipm_cli.errors import InputError

        raise InputError("No secret was given (or it is longer than 4,096 characters).", "Run it again.")
    kept_in = store(url, user, secret)
    app.say(f"[green]✓[/] Kept the credentials of {user} for {url} in the system keyring ({kept_in}).")
    if os.environ.get(USER_VAR):
        app.say(f"{USER_VAR} is set: while it is, aipm uses the environment's credentials instead.")


@lrs_app.command("logout")
def logout(ctx: typer.Context, endpoint: EndpointOpt = None) -> None:
    """Remove your LRS credentials for this endpoint from the system keyring."""
    from aipm_cli.xapi.credentials import forget

    app = ctx.obj
    url = _endpoint(app, endpoint)
    if forget(url):
        app.say(f"[green]✓[/] Removed the credentials for {url} from the system keyring.")
    else:
        app.say(f"The system keyring held no credentials for {url}.")


def register(app: typer.Typer) -> None:
    app.add_typer(lrs_app)
