"""The one write lock of a learner's record on a roadmap (`paths.write_lock`), and how waiting for it ends.

A write holds it over validate -> append -> cache; moving or removing a learner's folder holds every
one of theirs; sync holds it while it places other machines' logs. All take it here.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from aipm_cli.errors import AipmError, StoreError

LOCK_TIMEOUT = 60.0


@contextmanager
def held(
    lock_path: Path,
    what: Path | str,
    timeout: float | None = None,
    *,
    busy: str | None = None,
    error: type[AipmError] = StoreError,
) -> Iterator[None]:
    """Hold the lock at `lock_path` (of the record in `what`); a clear error when it cannot be had.

    `busy` says who holds it in the caller's words ("The progress of ada on ... is busy"); `error` is
    the caller's error type (sync's own, for a sync)."""
    from filelock import FileLock, Timeout

    timeout = LOCK_TIMEOUT if timeout is None else timeout
    lock = FileLock(str(lock_path), timeout=timeout, mode=0o600)
    try:
        lock.acquire()
    except Timeout:
        said = busy or f"Another aipm is still writing {what}"
        raise error(
            f"{said} (waited {timeout:.0f} s).", f"Try again; if no aipm is running, delete {lock_path}."
        ) from None
    except OSError as exc:
        from aipm_cli.fs import write_hint

        raise error(f"Cannot lock {lock_path}: {exc.strerror}. Nothing was changed.", write_hint(exc)) from None
    try:
        yield
    finally:
        lock.release()
