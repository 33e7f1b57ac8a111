"""Change ids: 26 characters of Crockford base32 (a ULID), the recording time in milliseconds then 80 random bits.

Ids are unique across devices and sort in recording order; a device never writes an id below one it
already knows. An id whose time lies more than a day past this machine's clock is not one a real clock
made (`id_ceiling`): the gate refuses it, and `new_id` never builds on it.
"""

from __future__ import annotations

import re
import time
from datetime import datetime
from typing import Any

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
ID_PATTERN = re.compile(r"[0-9A-HJKMNP-TV-Z]{26}")  # used with fullmatch
ID_SKEW_MS = 24 * 3600 * 1000  # how far past this machine's clock an id's time may lie


def encode_id(number: int) -> str:
    chars = []
    for _ in range(26):
        chars.append(_CROCKFORD[number & 31])
        number >>= 5
    return "".join(reversed(chars))


def decode_id(text: str) -> int:
    number = 0
    for char in text:
        number = (number << 5) | _CROCKFORD.index(char)
    return number


def _millis(moment: datetime) -> int:
    return max(0, int(moment.timestamp() * 1000))


def new_id(moment: datetime, after: str | None = None) -> str:
    """A fresh id for a change recorded at `moment`, above `after` (the newest id known)."""
    import secrets

    millis = _millis(moment)
    if millis + ID_SKEW_MS > _CEILING[2]:  # this process's own clock made it: the gate takes it
        _CEILING[0], _CEILING[2] = 0.0, millis + ID_SKEW_MS
    number = (millis << 80) | secrets.randbits(80)
    if after is not None:
        floor = decode_id(after)
        # Only an id a real clock could have made is a floor (the gate refuses the rest; this holds the
        # writer to the same rule): a forged maximal id must never make later ids wrap around.
        if number <= floor and after <= id_ceiling():
            number = floor + 1 + secrets.randbits(16)
    return encode_id(number)


# [when computed (monotonic), the highest id a real clock can have made by now, the latest time
# (ms, skew included) this process made an id for: a pinned clock (AIPM_NOW, tests) may run ahead]
_CEILING: list[Any] = [0.0, "", 0]


def id_ceiling() -> str:
    """The highest change id whose time is no later than now plus the allowed skew."""
    moment = time.monotonic()
    if moment - _CEILING[0] > 60 or not _CEILING[1]:
        millis = max(int(time.time() * 1000) + ID_SKEW_MS, _CEILING[2], _pinned_millis())
        _CEILING[0], _CEILING[1] = moment, encode_id((millis << 80) | ((1 << 80) - 1))
    return str(_CEILING[1])


def _pinned_millis() -> int:
    """AIPM_NOW (a pinned clock for reproducible runs) plus the skew, when it is set and later."""
    import os

    text = os.environ.get("AIPM_NOW")
    if not text:
        return 0
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return 0
    if moment.tzinfo is None:
        from datetime import UTC

        moment = moment.replace(tzinfo=UTC)
    return _millis(moment) + ID_SKEW_MS


def derived_id(moment: datetime, *parts: str) -> str:
    """A deterministic id: the same parts give the same id on any machine (migration)."""
    import hashlib

    digest = hashlib.sha256("\0".join(parts).encode("utf-8")).digest()
    return encode_id((_millis(moment) << 80) | int.from_bytes(digest[:10], "big"))
