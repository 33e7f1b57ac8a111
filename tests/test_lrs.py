"""`aipm lrs push` and `aipm lrs status` against a real LRS (Ralph), and error paths against a fake one."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import Run, log_bytes
from ralph_lrs import SECRET, USER, Ralph, make_credentials

CHANGE = "https://w3id.org/aipm/xapi/extensions/change"
VOIDED = "http://adlnet.gov/expapi/verbs/voided"


@pytest.fixture(scope="module")
def ralph_auth(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from ralph_lrs import ralph_command

    ralph_command()  # skips when Ralph is not installed
    return make_credentials(tmp_path_factory.mktemp("ralph-auth"))


@pytest.fixture
def lrs(tmp_path: Path, ralph_auth: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Ralph]:
    server = Ralph(tmp_path / "ralph", ralph_auth)
    server.start()
    monkeypatch.setenv("AIPM_LRS_USER", USER)
    monkeypatch.setenv("AIPM_LRS_SECRET", SECRET)
    try:
        yield server
    finally:
        server.stop()


def push(run: Run, lrs: Ralph, *args: str) -> dict[str, Any]:
    result = run("lrs", "push", "--endpoint", lrs.endpoint, "--json", *args)
    assert result.exit_code == 0, result.stdout + result.stderr
    return dict(json.loads(result.stdout))


def a_learner(run: Run) -> None:
    for step in [
        ("done", "ai-for-everyone", "--on", "2026-10-01", "--note", "private"),
        ("start", "the-ai-pm-role", "--on", "2026-10-05"),
        ("skip", "machine-learning"),
        ("assess", "product-management", "3"),
        ("note", "ai-for-everyone", "week 2"),
        ("done", "computer-vision"),
        ("undo",),
        ("redo",),
    ]:
        assert run(*step).exit_code == 0, step


def test_a_full_push_then_a_second_push_stores_nothing_new(run: Run, lrs: Ralph, store_path: Path) -> None:
    a_learner(run)
    before = log_bytes(store_path)
    exported = [json.loads(line) for line in run("export", "--format", "xapi").stdout.splitlines()]
    first = push(run, lrs, "--batch-size", "4")
    assert first["statements"] == len(exported) and first["stored"] == len(exported)
    stored = lrs.stored()
    assert sorted(s["id"] for s in stored) == sorted(s["id"] for s in exported)
    # What the LRS holds is what aipm wrote (the LRS adds `stored` and `authority`).
    by_id = {s["id"]: s for s in stored}
    for statement in exported:
        kept = {k: v for k, v in by_id[statement["id"]].items() if k not in ("stored", "authority")}
        assert kept == statement
    second = push(run, lrs)
    assert second["statements"] == 0 and second["stored"] == 0
    assert len(lrs.stored()) == len(exported)
    assert log_bytes(store_path) == before  # pushing never changes the log


def test_a_resend_is_already_there_and_nothing_is_doubled(run: Run, lrs: Ralph, home: Path) -> None:
    a_learner(run)
    first = push(run, lrs)
    for cursor in (home / "cache" / "lrs").iterdir():
        cursor.unlink()  # the cursor lost: everything goes again
    again = push(run, lrs)
    assert again["statements"] == first["statements"]
    assert again["stored"] == 0 and again["already_there"] == first["statements"]
    assert len(lrs.stored()) == first["statements"]


def test_an_undo_after_a_push_stores_one_voiding_statement(run: Run, lrs: Ralph, run_json: Any) -> None:
    run("done", "ai-for-everyone")
    run("start", "machine-learning")
    push(run, lrs)
    held = lrs.stored()
    run("undo")  # machine-learning back to not started
    after = push(run, lrs)
    assert after["stored"] == 1
    new = [s for s in lrs.stored() if s["id"] not in {h["id"] for h in held}]
    assert len(new) == 1 and new[0]["verb"]["id"] == VOIDED
    started = next(h for h in held if h["object"]["id"].endswith("/machine-learning"))
    assert new[0]["object"] == {"objectType": "StatementRef", "id": started["id"]}
    # The LRS's view (statements not voided) matches `aipm status`: ai-for-everyone done, nothing in progress.
    voided = {s["object"]["id"] for s in lrs.stored() if s["verb"]["id"] == VOIDED}
    standing = [s for s in lrs.stored() if s["verb"]["id"] != VOIDED and s["id"] not in voided]
    assert [(s["verb"]["id"].rsplit("/", 1)[1], s["object"]["id"].rsplit("/", 1)[1]) for s in standing] == [
        ("completed", "ai-for-everyone")
    ]
    status = run_json("status")
    assert status["counts"]["done"] == 1 and status["counts"]["in_progress"] == 0


def test_the_server_killed_mid_push_then_the_next_push_completes_with_nothing_doubled(
    run: Run, lrs: Ralph, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aipm_cli.xapi import client as client_module

    a_learner(run)
    total = len(run("export", "--format", "xapi").stdout.splitlines())
    monkeypatch.setattr(client_module, "BACKOFF", 0.01)
    real_post = client_module.Client.post
    calls = [0]

    def post_then_crash(self: Any, statements: list[dict[str, Any]]) -> int:
        calls[0] += 1
        if calls[0] == 3:
            lrs.kill()  # the server dies before the third batch
        return real_post(self, statements)

    monkeypatch.setattr(client_module.Client, "post", post_then_crash)
    broken = run("lrs", "push", "--endpoint", lrs.endpoint, "--batch-size", "3")
    assert broken.exit_code == 1
    assert "Cannot reach the LRS" in broken.stderr and "Traceback" not in broken.stderr
    part = len(lrs.stored())
    assert 0 < part < total
    monkeypatch.setattr(client_module.Client, "post", real_post)
    status = json.loads(run("lrs", "status", "--endpoint", lrs.endpoint, "--json").stdout)
    assert 0 < status["pending"] < status["changes"]
    lrs.start()
    done = push(run, lrs, "--batch-size", "3")
    assert done["stored"] == total - part
    ids = [s["id"] for s in lrs.stored()]
    assert len(ids) == len(set(ids)) == total


# --------------------------------------------------------------------------- #
# Error paths, against a fake LRS (the real one above shows the interoperability)
# --------------------------------------------------------------------------- #


class Fake:
    """A loopback HTTP server that answers POST /xAPI/statements from a script of answers."""

    def __init__(self) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        fake = self
        self.answers: list[tuple[int, dict[str, str]]] = []  # answered first, in order, before any storing
        self.refuse: str | None = None  # an object id ending: a batch holding it gets 400
        self.stored: dict[str, dict[str, Any]] = {}
        self.posts: list[list[dict[str, Any]]] = []
        self.headers: list[Any] = []  # each request's headers (names in any case)

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.posts.append(body)
                fake.headers.append(self.headers)
                if fake.answers:
                    status, headers = fake.answers.pop(0)
                    self.send_response(status)
                    for key, value in headers.items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(b'{"detail":"busy"}')
                    return
                if fake.refuse and any(s["object"]["id"].endswith(fake.refuse) for s in body):
                    self.send_response(400)
                    self.end_headers()
                    self.wfile.write(b'{"detail":"Invalid statement"}')
                    return
                new = [s["id"] for s in body if s["id"] not in fake.stored]
                fake.stored.update({s["id"]: s for s in body})
                self.send_response(200 if new else 204)
                self.end_headers()
                if new:
                    self.wfile.write(json.dumps(new).encode())

            def do_GET(self) -> None:
                fake.gets.append(self.path)
                page = fake.pages.pop(0) if fake.pages else {"statements": [], "more": ""}
                self.send_response(200)
                self.end_headers()
                self.wfile.write(json.dumps(page).encode())

        self.pages: list[dict[str, Any]] = []  # pages GET answers with, in order
        self.gets: list[str] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}/xAPI/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[Fake]:
    from aipm_cli.xapi import client as client_module

    monkeypatch.setattr(client_module, "BACKOFF", 0.001)
    monkeypatch.setenv("AIPM_LRS_USER", "learner-7")
    monkeypatch.setenv("AIPM_LRS_SECRET", "p4ss-w0rd-xyz")
    server = Fake()
    try:
        yield server
    finally:
        server.close()


def test_a_refused_statement_is_named_by_its_change_and_the_rest_are_stored(
    run: Run, fake: Fake, run_json: Any
) -> None:
    run("done", "ai-for-everyone")
    run("skip", "machine-learning")
    run("done", "computer-vision")
    skip_id = next(
        c["id"] for c in json.loads(run("export", "--format", "json").stdout)["changes"] if c["op"] == "skip"
    )
    fake.refuse = "/machine-learning"
    result = run("lrs", "push", "--endpoint", fake.endpoint)
    assert result.exit_code == 1
    assert f"change {skip_id}: 400 Invalid statement" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert sorted(s["object"]["id"].rsplit("/", 1)[1] for s in fake.stored.values()) == [
        "ai-for-everyone", "computer-vision",
    ]  # fmt: skip
    # The refused change stays pending; once the LRS takes it, the next push sends it (and nothing else twice).
    status = json.loads(run("lrs", "status", "--endpoint", fake.endpoint, "--json").stdout)
    assert status["pending"] == 2
    fake.refuse = None
    again = run("lrs", "push", "--endpoint", fake.endpoint, "--json")
    assert again.exit_code == 0
    assert json.loads(again.stdout)["stored"] == 1
    assert len(fake.stored) == 3


def test_busy_servers_are_tried_again_and_credentials_go_only_in_the_header(run: Run, fake: Fake, home: Path) -> None:
    run("done", "ai-for-everyone")
    fake.answers = [(503, {}), (429, {"Retry-After": "0"})]
    assert run("config", "lrs_endpoint", fake.endpoint).exit_code == 0
    result = run("lrs", "push", "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["stored"] == 1 and data["retried"] == 2
    assert len(fake.posts) == 3
    import base64

    assert fake.headers[-1]["Authorization"] == "Basic " + base64.b64encode(b"learner-7:p4ss-w0rd-xyz").decode()
    assert fake.headers[-1]["X-Experience-API-Version"] == "1.0.3"
    # The secret is never written anywhere in the data directory (settings, cursor, logs).
    for path in home.rglob("*"):
        if path.is_file():
            assert b"p4ss-w0rd-xyz" not in path.read_bytes(), path
    cursors = list((home / "cache" / "lrs").iterdir())
    assert len(cursors) == 1


def test_a_server_that_stays_busy_is_given_up_on_with_a_plain_error(run: Run, fake: Fake) -> None:
    run("done", "ai-for-everyone")
    fake.answers = [(503, {})] * 5
    result = run("lrs", "push", "--endpoint", fake.endpoint)
    assert result.exit_code == 1
    assert "Cannot reach the LRS" in result.stderr and "503" in result.stderr
    assert len(fake.posts) == 5  # bounded
    assert "Traceback" not in result.stderr


def test_push_needs_an_endpoint_credentials_and_no_plain_http_elsewhere(
    run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    run("done", "ai-for-everyone")
    monkeypatch.delenv("AIPM_LRS_USER", raising=False)
    monkeypatch.delenv("AIPM_LRS_SECRET", raising=False)
    none = run("lrs", "push")
    assert none.exit_code == 1 and "No LRS is set" in none.stderr
    no_secret = run("lrs", "push", "--endpoint", "https://lrs.example.edu/xAPI/")
    assert no_secret.exit_code == 1 and "AIPM_LRS_USER and AIPM_LRS_SECRET" in no_secret.stderr
    monkeypatch.setenv("AIPM_LRS_USER", "u")
    monkeypatch.setenv("AIPM_LRS_SECRET", "s")
    plain = run("lrs", "push", "--endpoint", "http://lrs.example.edu/xAPI/")
    assert plain.exit_code == 1 and "unencrypted" in plain.stderr
    inline = run("lrs", "push", "--endpoint", "https://u:s@lrs.example.edu/xAPI/")
    assert inline.exit_code == 1 and "user name or password" in inline.stderr
    bad = run("config", "lrs_endpoint", "ftp://x")
    assert bad.exit_code == 2 and "is not an http(s) URL" in bad.stderr


def test_status_says_what_is_pending_without_the_network(run: Run, fake: Fake) -> None:
    run("done", "ai-for-everyone")
    run("done", "machine-learning")
    before = run("lrs", "status", "--endpoint", fake.endpoint)
    assert before.exit_code == 0
    assert "Nothing sent yet: 2 changes to send." in before.stdout
    run("lrs", "push", "--endpoint", fake.endpoint)
    run("skip", "computer-vision")
    after = json.loads(run("lrs", "status", "--endpoint", fake.endpoint, "--json").stdout)
    assert after["pending"] == 1 and after["changes"] == 3 and after["statements_taken"] == 2
    assert len(fake.posts) == 1  # status sent nothing


def test_a_conflict_is_split_and_one_statement_already_there_is_counted_as_such(run: Run, fake: Fake) -> None:
    run("done", "ai-for-everyone")
    run("done", "machine-learning")
    # The batch of two is refused with 409 (one of its ids is there with other content): split, the first
    # one is there already (409 again), the second is stored.
    fake.answers = [(409, {}), (409, {})]
    result = run("lrs", "push", "--endpoint", fake.endpoint, "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert (data["stored"], data["already_there"], data["refused"]) == (1, 1, [])
    assert [len(body) for body in fake.posts] == [2, 1, 1]
    assert json.loads(run("lrs", "status", "--endpoint", fake.endpoint, "--json").stdout)["pending"] == 0


# --------------------------------------------------------------------------- #
# Reading the cohort back from the LRS
# --------------------------------------------------------------------------- #


def _cohort(run: Run, *args: str) -> dict[str, Any]:
    result = run("cohort", "report", *args, "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = dict(json.loads(result.stdout))
    for learner in data["learners"]:
        learner.pop("sources")  # where each learner was read from: the exports' paths, or the LRS's index
    return data


def test_the_cohort_from_the_lrs_is_the_cohort_from_the_learners_exports(run: Run, lrs: Ralph, tmp_path: Path) -> None:
    exports = tmp_path / "exports"
    exports.mkdir()
    a_learner(run)
    for step in [
        ("done", "ai-for-everyone", "--on", "2026-09-01", "--evidence", "https://example.org/cert"),
        ("start", "the-ai-pm-role"),
        ("assess", "product-management", "4"),
        ("undo",),
    ]:
        assert run("--user", "bob", *step).exit_code == 0
    assert run("--user", "cy", "skip", "machine-learning", "--reason", "known").exit_code == 0
    assert run("--user", "cy", "note", "machine-learning", "a private note").exit_code == 0
    for name in ("ada", "bob", "cy"):
        assert run("--user", name, "export", "--format", "json", "-o", str(exports / f"{name}.json")).exit_code == 0
        notes = ["--with-notes"] if name == "cy" else []
        pushed = run("--user", name, "lrs", "push", "--endpoint", lrs.endpoint, *notes)
        assert pushed.exit_code == 0, pushed.stderr
    from_exports = _cohort(run, str(exports))
    from_lrs = _cohort(run, "--lrs", lrs.endpoint)
    assert [learner["name"] for learner in from_lrs["learners"]] == ["ada", "bob", "cy"]
    assert json.dumps(from_lrs, sort_keys=True) == json.dumps(from_exports, sort_keys=True)


def test_a_pull_reads_only_what_is_new_and_sets_aside_what_fails_the_gate(run: Run, lrs: Ralph) -> None:
    import urllib.request
    from base64 import b64encode

    run("done", "ai-for-everyone")
    push(run, lrs)
    first = json.loads(run("lrs", "pull", "--endpoint", lrs.endpoint, "--json").stdout)
    assert first["statements"] == 1 and first["new_changes"] == 1 and first["learners"] == 1
    # Someone writes a statement in aipm's profile whose change is not one aipm could have made.
    statement = json.loads(run("export", "--format", "xapi").stdout)
    statement["id"] = "00000000-0000-5000-8000-00000000beef"
    statement["context"]["extensions"][CHANGE] = {**statement["context"]["extensions"][CHANGE], "op": "explode"}
    request = urllib.request.Request(
        lrs.endpoint + "statements",
        data=json.dumps([statement]).encode(),
        method="POST",
        headers={
            "Authorization": "Basic " + b64encode(f"{USER}:{SECRET}".encode()).decode(),
            "X-Experience-API-Version": "1.0.3",
            "Content-Type": "application/json",
        },
    )
    urllib.request.urlopen(request, timeout=30).close()
    run("skip", "machine-learning")
    push(run, lrs)
    # Ralph 5.1's file-system backend filters `since` by the statements' timestamps (the dates changes are
    # for), not by when it stored them as xAPI says: read everything again (the index keeps each change once).
    second = run("lrs", "pull", "--endpoint", lrs.endpoint, "--again", "--json")
    assert second.exit_code == 0
    data = json.loads(second.stdout)
    assert data["statements"] == 3 and data["new_changes"] == 2 and data["set_aside"] == 1
    assert "set aside" in second.stderr and "explode" in second.stderr
    cohort = _cohort(run, "--lrs", lrs.endpoint)
    assert cohort["learners"][0]["counts"]["done"] == 1 and cohort["learners"][0]["counts"]["skipped"] == 1


def test_a_pull_follows_more_links_and_the_next_asks_only_since_the_newest_stored(run: Run, fake: Fake) -> None:
    run("done", "ai-for-everyone")
    run("skip", "machine-learning")
    run("lrs", "push", "--endpoint", fake.endpoint)
    first, second = (
        {**statement, "stored": f"2026-11-24T10:00:0{n}+00:00"} for n, statement in enumerate(fake.stored.values(), 1)
    )
    fake.pages = [
        {"statements": [first], "more": "/xAPI/statements?page=2"},
        {"statements": [second, {"id": "x", "verb": {"id": "http://example.org/other"}}], "more": ""},
    ]
    pulled = json.loads(run("lrs", "pull", "--endpoint", fake.endpoint, "--json").stdout)
    assert (pulled["statements"], pulled["other_statements"], pulled["new_changes"]) == (3, 1, 2)
    assert fake.gets == ["/xAPI/statements?limit=500", "/xAPI/statements?page=2"]
    again = json.loads(run("lrs", "pull", "--endpoint", fake.endpoint, "--json").stdout)
    assert again["new_changes"] == 0 and again["learners"] == 1
    assert fake.gets[-1] == "/xAPI/statements?limit=500&since=2026-11-24T10%3A00%3A02%2B00%3A00"


def test_a_cohort_report_needs_sources_or_an_lrs(run: Run) -> None:
    result = run("cohort", "report")
    assert result.exit_code == 2
    assert "or --lrs URL" in result.stderr


def test_a_second_push_makes_no_statement_of_what_was_sent(
    run: Run, fake: Fake, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aipm_cli.xapi.statements import Profile

    run("done", "the-ai-pm-role")
    run("undo")
    run("redo")
    run("lrs", "push", "--endpoint", fake.endpoint)
    made: list[str] = []
    real = Profile._made

    def counted(self: Any, change: dict[str, Any], sent_as: dict[str, Any]) -> Any:
        made.append(change["id"])
        return real(self, change, sent_as)

    monkeypatch.setattr(Profile, "_made", counted)
    run("undo")  # undoes the redone module: what it voids are the redo's statements
    result = json.loads(run("lrs", "push", "--endpoint", fake.endpoint, "--json").stdout)
    assert made == [] and result["stored"] == 6
    redo = [s for s in fake.stored.values() if s["context"]["extensions"][CHANGE]["op"] == "redo"]
    voided = [s["object"]["id"] for s in list(fake.stored.values())[-6:]]
    assert sorted(voided) == sorted(s["id"] for s in redo)


def test_credentials_never_follow_a_redirect_or_a_more_link_elsewhere(run: Run, fake: Fake) -> None:
    run("done", "ai-for-everyone")
    fake.answers = [(302, {"Location": "http://127.0.0.2:9/xAPI/statements"})]
    moved = run("lrs", "push", "--endpoint", fake.endpoint)
    assert moved.exit_code == 1 and "answered 302" in moved.stderr
    assert len(fake.posts) == 1
    fake.pages = [{"statements": [{"id": "x"}], "more": "http://127.0.0.2:9/xAPI/statements?page=2"}]
    elsewhere = run("lrs", "pull", "--endpoint", fake.endpoint)
    assert elsewhere.exit_code == 1 and "a link to another server" in elsewhere.stderr
    assert len(fake.gets) == 1


def test_a_push_with_nothing_new_stops_at_the_cursor_check(
    run: Run, fake: Fake, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aipm_cli.xapi.statements import Profile

    for item in ("ai-for-everyone", "machine-learning", "computer-vision"):
        run("done", item)
    run("lrs", "push", "--endpoint", fake.endpoint)
    followed: list[str] = []
    real = Profile.follow

    def counted(self: Any, change: dict[str, Any]) -> None:
        followed.append(change["id"])
        real(self, change)

    monkeypatch.setattr(Profile, "follow", counted)
    again = json.loads(run("lrs", "push", "--endpoint", fake.endpoint, "--json").stdout)
    assert again["statements"] == 0 and len(fake.posts) == 1
    assert followed == []  # the log was read once, to check the cursor; no change was fed to the profile
    run("skip", "product-hunt")
    assert json.loads(run("lrs", "push", "--endpoint", fake.endpoint, "--json").stdout)["stored"] == 1
    assert len(followed) == 3  # something new: the changes sent before are taken in, not sent
