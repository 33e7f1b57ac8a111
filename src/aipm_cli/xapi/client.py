"""Talking to a Learning Record Store over HTTP (the standard library's urllib: no extra package).

POST /statements in batches, GET /statements with `since` and the `more`
links. Retries what a server says to retry (429, 5xx) and what the network
loses, a bounded number of times with a growing pause; anything else is an
LrsError saying what the server answered.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urljoin, urlsplit

from aipm_cli.errors import AipmError
from aipm_cli.xapi.statements import VERSION

ATTEMPTS = 5  # tries of one request before giving up
BACKOFF = 0.5  # seconds before the first retry; doubled each time
MAX_PAUSE = 30.0  # the longest pause (a Retry-After above it is cut to it)
TIMEOUT = 60.0
MAX_RESPONSE = 64 << 20  # bytes of one response read at most
LOOPBACK = ("localhost", "127.0.0.1", "::1")
CHECK_CREDENTIALS = "Check AIPM_LRS_USER and AIPM_LRS_SECRET, or what `aipm lrs login` keeps (the environment wins)."


class LrsError(AipmError):
    """The LRS could not be reached, or refused what was sent."""


class Rejected(LrsError):
    """The LRS answered 400 or 409: the batch (or one statement in it) is not taken."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"The LRS refused it ({status}): {detail}")
        self.status = status
        self.detail = detail


def check_endpoint(url: str) -> str:
    """The endpoint as given, if aipm may send a password to it: https, or http on this machine only."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise AipmError(
            f"'{url[:200]}' is not an http(s) address.",
            "Give the LRS's xAPI endpoint, e.g. https://lrs.example.edu/xAPI/.",
        )
    if parts.username or parts.password:
        raise AipmError(
            "The LRS address holds a user name or password.",
            "Give the address without them; set AIPM_LRS_USER and AIPM_LRS_SECRET, or run `aipm lrs login`, instead.",
        )
    if parts.scheme == "http" and parts.hostname not in LOOPBACK:
        raise AipmError(
            f"{url[:200]} is plain http: your LRS password would travel unencrypted.",
            "Use the https address of your LRS.",
        )
    return url


class Client:
    def __init__(
        self,
        endpoint: str,
        user: str,
        secret: str,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.endpoint = check_endpoint(endpoint)
        self.statements_url = endpoint.rstrip("/") + "/statements"
        token = base64.b64encode(f"{user}:{secret}".encode()).decode("ascii")
        self.headers = {
            "Authorization": f"Basic {token}",
            "X-Experience-API-Version": VERSION,
            "Accept": "application/json",
        }
        self.sleep = sleep
        self.retried = 0  # requests tried again (for the report)

    def _request(self, method: str, url: str, body: bytes | None = None) -> tuple[int, bytes]:
        import urllib.error
        import urllib.request

        headers = dict(self.headers)
        if body is not None:
            headers["Content-Type"] = "application/json"
        pause = BACKOFF
        last = ""
        for attempt in range(ATTEMPTS):
            if attempt:
                self.retried += 1
                self.sleep(pause)
                pause = min(pause * 2, MAX_PAUSE)
            request = urllib.request.Request(url, data=body, method=method, headers=headers)
            try:
                with _opener().open(request, timeout=TIMEOUT) as response:
                    return response.status, response.read(MAX_RESPONSE)
            except urllib.error.HTTPError as exc:
                status = exc.code
                data = exc.read(MAX_RESPONSE) if exc.fp is not None else b""
                if status == 429 or status >= 500:
                    last = f"it answered {status} {_detail(data)}".rstrip()
                    wait = _retry_after(exc.headers.get("Retry-After") if exc.headers else None)
                    if wait is not None:
                        pause = min(wait, MAX_PAUSE)
                    continue
                return status, data
            except (urllib.error.URLError, OSError, TimeoutError) as exc:
                reason = getattr(exc, "reason", exc)
                last = f"{getattr(reason, 'strerror', None) or reason}"
                continue
        raise LrsError(
            f"Cannot reach the LRS at {self.endpoint}: {last} (tried {ATTEMPTS} times).",
            "Nothing is lost: try again later (a push remembers what the LRS took and sends the rest).",
        )

    def post(self, statements: list[dict[str, Any]]) -> int:
        """Send a batch; returns how many the LRS stored (0: all were there already)."""
        body = json.dumps(statements, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        status, data = self._request("POST", self.statements_url, body)
        if status == 200:
            try:
                ids = json.loads(data)
            except ValueError:
                return len(statements)
            return len(ids) if isinstance(ids, list) else len(statements)
        if status == 204:
            return 0
        if status in (400, 409):
            raise Rejected(status, _detail(data))
        if status in (401, 403):
            raise LrsError(
                f"The LRS at {self.endpoint} refused the credentials ({status}).",
                CHECK_CREDENTIALS,
            )
        raise LrsError(f"The LRS at {self.endpoint} answered {status} {_detail(data)}".rstrip() + ".")

    def get(self, url: str) -> dict[str, Any]:
        """One page of statements (`url` relative to the endpoint's server, as `more` links are)."""
        full = urljoin(self.statements_url, url)
        here, there = urlsplit(self.statements_url), urlsplit(full)
        if (there.scheme, there.netloc) != (here.scheme, here.netloc):
            raise LrsError(
                f"The LRS at {self.endpoint} sent a link to another server ({full[:200]}); it was not followed.",
                "Your credentials are sent only to the LRS you named.",
            )
        status, data = self._request("GET", full)
        if status in (401, 403):
            raise LrsError(
                f"The LRS at {self.endpoint} refused the credentials ({status}).",
                CHECK_CREDENTIALS,
            )
        if status != 200:
            raise LrsError(f"The LRS at {self.endpoint} answered {status} {_detail(data)}".rstrip() + ".")
        try:
            page = json.loads(data)
        except (ValueError, RecursionError):
            raise LrsError(f"The LRS at {self.endpoint} sent something that is not JSON.") from None
        if not isinstance(page, dict) or not isinstance(page.get("statements"), list):
            raise LrsError(f"The LRS at {self.endpoint} sent something that is not a page of statements.")
        return page


def _opener() -> Any:
    """urllib without following redirects: a redirect would carry the credentials to wherever it points."""
    import urllib.request

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    return urllib.request.build_opener(NoRedirect)


def _detail(data: bytes) -> str:
    """What a server said, briefly (its JSON `detail` or `message`, else the start of the text)."""
    text = data[:2000].decode("utf-8", "replace")
    try:
        found = json.loads(data)
    except (ValueError, RecursionError):
        found = None
    if isinstance(found, dict):
        for key in ("detail", "message", "error"):
            if isinstance(found.get(key), str):
                text = found[key]
                break
    return " ".join(text.split())[:300]


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
