"""The LRS credentials: from AIPM_LRS_USER and AIPM_LRS_SECRET, else the system keyring (per endpoint).

The environment wins: with both variables set, the keyring is not even
imported. The keyring is the `keyring` package's (macOS Keychain, Windows
Credential Locker, the Secret Service on Linux, or whatever backend its
configuration names); it is optional, imported only here, and when it is
missing or has no usable backend the error says so. Nothing here writes the
secret anywhere else, and no message carries it.

In the keyring, an endpoint's credentials are two entries of the service
`aipm-lrs:<endpoint>` (without a trailing slash): `user` and `secret`.
"""

from __future__ import annotations

import os
from typing import Any

from aipm_cli.errors import AipmError, InputError
from aipm_cli.plainclass import plain

USER_VAR = "AIPM_LRS_USER"
SECRET_VAR = "AIPM_LRS_SECRET"
SERVICE = "aipm-lrs:"
FROM_ENVIRONMENT = "environment"
FROM_KEYRING = "keyring"


@plain(frozen=True)
class Credentials:
    user: str
    secret: str
    source: str  # FROM_ENVIRONMENT or FROM_KEYRING

    def __repr__(self) -> str:  # never the secret, whoever prints it
        return f"Credentials(user={self.user!r}, source={self.source!r})"


class KeyringUnusable(AipmError):
    """The keyring package is not installed, or has no backend that works here."""


def service(endpoint: str) -> str:
    return SERVICE + endpoint.rstrip("/")


def _from_environment() -> Credentials | None:
    user, secret = os.environ.get(USER_VAR, ""), os.environ.get(SECRET_VAR, "")
    if user and secret:
        return Credentials(user=user, secret=secret, source=FROM_ENVIRONMENT)
    if user or secret:
        given, missing = (USER_VAR, SECRET_VAR) if user else (SECRET_VAR, USER_VAR)
        raise InputError(
            f"{given} is set but {missing} is not.",
            f"Set both (your school gives them), or unset {given} to use the credentials of `aipm lrs login`.",
        )
    return None


def _keyring() -> Any:
    """The keyring's backend, or KeyringUnusable saying why not."""
    try:
        from keyring import core
        from keyring.backends import fail
    except ImportError:
        raise KeyringUnusable(
            "The system keyring cannot be used: the keyring package is not installed.",
            f"Install it (pip install keyring, or pipx inject aipm-cli keyring), or set {USER_VAR} and {SECRET_VAR}.",
        ) from None
    try:
        # Chosen afresh (not keyring's process-wide choice): what the environment names now.
        core.init_backend()
        backend = core.get_keyring()
    except Exception as exc:  # a backend named in the environment or keyringrc.cfg that cannot be loaded
        raise KeyringUnusable(
            f"The system keyring cannot be used: {_why(exc)}.",
            f"Check PYTHON_KEYRING_BACKEND or keyringrc.cfg, or set {USER_VAR} and {SECRET_VAR}.",
        ) from None
    if isinstance(backend, fail.Keyring) or getattr(backend, "priority", 0) <= 0:
        raise KeyringUnusable(
            "The system keyring cannot be used: no keyring backend works here "
            "(no Keychain, Credential Locker or Secret Service found).",
            f"Set {USER_VAR} and {SECRET_VAR} instead.",
        )
    return backend


def _why(exc: BaseException, *hide: str) -> str:
    """What a keyring error says, briefly, on one line (and never a secret given to it)."""
    text = " ".join(str(exc).split())[:200] or type(exc).__name__
    for secret in hide:
        if secret:
            text = text.replace(secret, "***")
    return text


def _keyring_error(doing: str, exc: BaseException, *hide: str) -> AipmError:
    return AipmError(
        f"The system keyring failed {doing}: {_why(exc, *hide)}.",
        f"Unlock the keyring and try again, or set {USER_VAR} and {SECRET_VAR}.",
    )


def _from_keyring(endpoint: str) -> Credentials | None:
    backend = _keyring()
    name = service(endpoint)
    try:
        user = backend.get_password(name, "user")
        secret = backend.get_password(name, "secret") if user else None
    except Exception as exc:
        raise _keyring_error("to read the LRS credentials", exc) from None
    if not user or not secret:
        return None
    return Credentials(user=user, secret=secret, source=FROM_KEYRING)


def credentials(endpoint: str) -> Credentials:
    """The credentials for this endpoint: the environment's, else the keyring's; InputError when neither."""
    found = _from_environment()
    if found is not None:
        return found
    try:
        found = _from_keyring(endpoint)
    except KeyringUnusable as exc:
        raise InputError(
            f"The LRS credentials are not set ({USER_VAR} and {SECRET_VAR} are not), and {exc.message[0].lower()}"
            f"{exc.message[1:]}",
            exc.hint,
        ) from None
    if found is None:
        raise InputError(
            f"The LRS credentials for {endpoint} are not set.",
            f"Run `aipm lrs login --endpoint {endpoint}` (kept in the system keyring), "
            f"or set {USER_VAR} and {SECRET_VAR}.",
        )
    return found


def where_set(endpoint: str) -> str | None:
    """Where the credentials for this endpoint would come from (FROM_ENVIRONMENT, FROM_KEYRING), or None.

    Reads no secret: only whether the environment has both variables, or the keyring a user name."""
    if os.environ.get(USER_VAR) and os.environ.get(SECRET_VAR):
        return FROM_ENVIRONMENT
    try:
        backend = _keyring()
        return FROM_KEYRING if backend.get_password(service(endpoint), "user") else None
    except Exception:
        return None


def keyring_name() -> str:
    """The keyring backend in use, for a message (KeyringUnusable when there is none)."""
    backend = _keyring()
    return str(getattr(backend, "name", type(backend).__name__))


def store(endpoint: str, user: str, secret: str) -> str:
    """Keep the credentials for this endpoint in the keyring; returns the keyring's name."""
    backend = _keyring()
    name = service(endpoint)
    try:
        backend.set_password(name, "user", user)
        backend.set_password(name, "secret", secret)
    except Exception as exc:
        raise _keyring_error("to keep the LRS credentials", exc, secret) from None
    return str(getattr(backend, "name", type(backend).__name__))


def forget(endpoint: str) -> bool:
    """Remove this endpoint's credentials from the keyring; whether there were any."""
    from keyring.errors import PasswordDeleteError

    backend = _keyring()
    name = service(endpoint)
    found = False
    for entry in ("secret", "user"):
        try:
            backend.delete_password(name, entry)
            found = True
        except PasswordDeleteError:
            continue
        except Exception as exc:
            raise _keyring_error("to remove the LRS credentials", exc) from None
    return found
