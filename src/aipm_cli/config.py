"""Settings kept in the data directory's config.json."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from aipm_cli.errors import InputError, StoreError, excerpt
from aipm_cli.paths import check_user_name, ensure_private_dir
from aipm_cli.plainclass import plain

MAX_SETTINGS_BYTES = 1 << 20  # a settings file is a few lines; more is not ours
# Weekly study hours: half an hour a week already puts a whole roadmap decades away; more than
# 100 is not a study plan. Outside these the forecast's dates would leave the calendar.
MIN_HOURS_PER_WEEK = 0.5
MAX_HOURS_PER_WEEK = 100


@plain(frozen=True)
class Setting:
    key: str
    description: str
    default: Any


SETTINGS = {
    s.key: s
    for s in (
        Setting("hours_per_week", "weekly study hours used by the forecast and the plan", 8.0),
        Setting("roadmap", "the roadmap commands use when --roadmap is not given", "ai-product-manager"),
        Setting("user", "the learner when neither --user nor AIPM_USER is given", None),
        Setting("name", "your name at the top of reports (default: the learner id)", None),
        Setting("headline", "one line under your name in reports, e.g. 'Aspiring AI product manager'", None),
        Setting("links", "links in reports: 'LinkedIn=https://...,GitHub=https://...' (http/https only)", None),
        Setting("lrs_endpoint", "your school's Learning Record Store (its xAPI endpoint URL) for `aipm lrs`", None),
        Setting("lrs_home_page", "the home page of your account at school (the xAPI actor's account)", None),
        Setting("report_notes", "whether reports include your notes: yes or no (`export --notes/--no-notes`)", True),
        Setting(
            "timezone", "your time zone for days and weeks of study, e.g. Europe/Berlin (default: the system's)", None
        ),
        Setting("review", "spaced review of finished items: on or off (`aipm review --off`)", "on"),
    )
}
MAX_LINKS = 6
_LINK_START = re.compile(r",\s*(?=[^,=]*=\s*https?://|https?://)", re.IGNORECASE)


def parse_links(text: str) -> list[tuple[str, str]]:
    """`Label=URL,Label=URL` (a bare URL is labelled by its host) -> [(label, url)].

    Commas inside a URL are kept: a new link starts only at `,Label=http`.
    """
    from urllib.parse import urlsplit

    from aipm_cli.roadmap.urls import is_http_url

    out: list[tuple[str, str]] = []
    for part in _LINK_START.split(text.strip()):
        part = part.strip()
        if not part:
            continue
        label, sep, url = part.partition("=")
        if not sep or "://" in label:
            label, url = "", part
        label, url = " ".join(label.split()), url.strip()
        if not is_http_url(url):
            raise InputError(
                f"'{url}' is not an http(s) link.", "Write links as Label=https://..., separated by commas."
            )
        if not label:
            label = urlsplit(url).netloc.removeprefix("www.")
        if len(label) > 40 or any(not c.isprintable() for c in label):
            raise InputError(f"The link label '{label[:40]}' is too long or has control characters.")
        out.append((label, url))
    if not out:
        raise InputError("No links given.", "Write links as Label=https://..., or use --unset to remove them.")
    if len(out) > MAX_LINKS:
        raise InputError(f"{len(out)} links is too many for a report.", f"Give at most {MAX_LINKS}.")
    return out


def _one_line(key: str, text: str, limit: int) -> str:
    value = " ".join(text.split())
    if not value:
        raise InputError(f"The {key} setting cannot be empty.", "Use --unset to go back to the default.")
    if any(not c.isprintable() for c in value):
        raise InputError(f"The {key} has control characters.", "Give plain text.")
    if len(value) > limit:
        raise InputError(f"The {key} is longer than {limit} characters.", "Shorten it.")
    return value


def check_key(key: str) -> str:
    if key not in SETTINGS:
        raise InputError(f"There is no setting called '{excerpt(key)}'.", f"Settings: {', '.join(SETTINGS)}.")
    return key


def parse_value(key: str, text: str) -> Any:
    """Check a setting's value as typed on the command line."""
    check_key(key)
    if key == "hours_per_week":
        try:
            hours = float(text)
        except ValueError:
            raise InputError(
                f"'{excerpt(text)}' is not a number of hours.", "Give the hours you study a week, e.g. 6 or 7.5."
            ) from None
        if not MIN_HOURS_PER_WEEK <= hours <= MAX_HOURS_PER_WEEK:  # NaN fails this too
            raise InputError(
                f"{excerpt(text)} hours a week is out of range.",
                f"Give a number from {MIN_HOURS_PER_WEEK:g} to {MAX_HOURS_PER_WEEK:g}.",
            )
        return hours
    if key == "user":
        return check_user_name(text)
    if key == "report_notes":
        answer = text.strip().lower()
        if answer in ("yes", "true", "on", "1"):
            return True
        if answer in ("no", "false", "off", "0"):
            return False
        raise InputError(f"'{excerpt(text)}' is not yes or no.", "Give yes (reports include notes) or no.")
    if key in ("name", "headline"):
        return _one_line(key, text, 80 if key == "name" else 160)
    if key == "timezone":
        return check_zone(text)
    if key == "review":
        value = text.strip().lower()
        if value not in ("on", "off"):
            raise InputError(f"'{excerpt(text)}' is not on or off.", "Give on or off.")
        return value
    if key == "links":
        # Kept as the text it was given in (normalised), so the settings file stays hand-editable.
        return ",".join(f"{label}={url}" for label, url in parse_links(text))
    if key in ("lrs_endpoint", "lrs_home_page"):
        from aipm_cli.roadmap.urls import is_http_url

        if not is_http_url(text.strip()) or len(text.strip()) > 500:
            raise InputError(
                f"'{excerpt(text)}' is not an http(s) URL.",
                "Give the full address, e.g. https://lrs.example.edu/xAPI/.",
            )
        return text.strip()
    if not text.strip():
        raise InputError("The roadmap setting cannot be empty.", "Give a roadmap id or a path to a roadmap file.")
    return text.strip()


def check_zone(text: str) -> str:
    """An IANA time zone name this machine knows (Pacific/Honolulu, Pacific/Tongatapu, UTC)."""
    from zoneinfo import ZoneInfo

    name = text.strip()
    if not name or len(name) > 64 or not re.fullmatch(r"[A-Za-z0-9_+\-/]+", name) or ".." in name:
        raise InputError(f"'{excerpt(text)}' is not a time zone name.", "Give an IANA name, e.g. Europe/Berlin or UTC.")
    try:
        ZoneInfo(name)
    except (ValueError, OSError, KeyError):
        raise InputError(
            f"'{excerpt(text)}' is not a time zone this machine knows.", "Give an IANA name, e.g. Europe/Berlin or UTC."
        ) from None
    return name


def _read(path: Path) -> dict[str, Any]:
    from aipm_cli.fs import read_regular_file

    try:
        raw = read_regular_file(path, MAX_SETTINGS_BYTES)
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise StoreError(f"Cannot read the settings file {path}: {exc.strerror}.") from None
    try:
        data = json.loads(raw) if raw.strip() else {}
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise StoreError(
            f"The settings file {path} is not valid JSON.",
            "Fix it by hand or delete it to go back to the defaults.",
        ) from None
    if not isinstance(data, dict):
        raise StoreError(f"The settings file {path} is not a JSON object.", "Delete it to go back to the defaults.")
    return data


def _ignored(path: Path, key: str, value: Any, exc: InputError) -> str:
    """One sentence on a stored value that cannot be used (the value quoted as JSON: escaped, cut short)."""
    try:
        shown = excerpt(json.dumps(value, ensure_ascii=True), 40)
    except (ValueError, TypeError, RecursionError):
        shown = "a value"
    why = (exc.hint or exc.message).rstrip(".")
    why = why[:1].lower() + why[1:]
    default = SETTINGS[key].default
    if key == "user":
        using = "your login name is used"
    elif default is None:
        using = "it is left out"
    else:
        using = f"the default {default:g} is used" if isinstance(default, float) else f"the default {default} is used"
    return f"{path}: the {key} setting {shown} cannot be used ({why}); {using}. Set it with `aipm config {key} VALUE`."


class Config:
    """The settings file; keys this aipm does not know are kept as they are.

    Every value is checked when it is read, as when it is set: a value that
    would be refused on the command line (hand-edited, or from another
    version) is ignored, its default is used, and `problems` says so (one
    sentence each, for the caller to show as a warning and for `doctor`).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.values: dict[str, Any] = {}
        self.problems: list[str] = []
        data = _read(path)
        for key, value in data.items():
            if key in SETTINGS and value is not None:
                try:
                    self.values[key] = parse_value(key, value if isinstance(value, str) else json.dumps(value))
                except InputError as exc:
                    self.problems.append(_ignored(path, key, value, exc))

    def get(self, key: str) -> Any:
        return self.values.get(check_key(key), SETTINGS[key].default)

    def is_set(self, key: str) -> bool:
        return key in self.values

    def set(self, key: str, text: str | None) -> Any:
        """Change one setting: under a lock, re-reading the file, keeping every other key."""
        from filelock import FileLock, Timeout

        from aipm_cli.fs import atomic_write

        value = None if text is None else parse_value(key, text)
        try:
            ensure_private_dir(self.path.parent)
            with FileLock(str(self.path.with_name(self.path.name + ".lock")), timeout=30, mode=0o600):
                data = _read(self.path)
                if value is None:
                    data.pop(key, None)
                    self.values.pop(key, None)
                else:
                    data[key] = value
                    self.values[key] = value
                atomic_write(self.path, (json.dumps(data, indent=2, sort_keys=True) + "\n").encode())
        except Timeout:
            raise StoreError(f"Another aipm is changing {self.path}.", "Try again in a moment.") from None
        except OSError as exc:
            from aipm_cli.fs import write_hint

            raise StoreError(
                f"Cannot write the settings file {self.path}: {exc.strerror}. Nothing was changed.", write_hint(exc)
            ) from None
        return value
