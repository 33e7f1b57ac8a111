"""The bundled roadmaps' validated plain data, shipped inside the package: the first command is fast.

Validating a roadmap imports PyYAML and pydantic and costs about as much as
starting aipm; aipm caches the result (finding.py), but the very first command
after an install or an upgrade has no cache. So the validated document of each
bundled roadmap ships in `_plain/`, under a key made of the roadmap file's
bytes and the contents of the code that validates and reads it (and aipm's
version): a changed roadmap, or changed code, finds no file under its key and
validates as before. A stale copy can never be used.

The files are made with `python -m aipm_cli.roadmap.shipped` (from a checkout, with the
test dependencies installed) and checked by tests/test_packaging.py, which
fails while they are missing or stale; the wheel carries them like any
package file.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
FOLDER = HERE / "_plain"
# What a validated document depends on: the validating code, the plain reader, and the version.
SOURCES = (
    "../__init__.py",
    "models.py",
    "loading.py",
    "plain.py",
    "durations.py",
    "urls.py",
    "vocabulary.py",
    "shipped.py",
)
TAG = b"aipm shipped roadmap 1"


def code_digest(folder: Path = HERE) -> str | None:
    """A digest of the contents of SOURCES (None when one cannot be read: nothing shipped is used)."""
    digest = hashlib.sha256(TAG)
    for name in SOURCES:
        try:
            data = (folder / name).read_bytes()
        except OSError:
            return None
        digest.update(b"\0" + name.encode() + b"\0" + hashlib.sha256(data).digest())
    return digest.hexdigest()


def key(data: bytes, folder: Path = HERE) -> str | None:
    """The name of the shipped file for a roadmap file's bytes, with this code."""
    code = code_digest(folder)
    if code is None:
        return None
    return hashlib.sha256(data + b"\0" + code.encode()).hexdigest()


def document(data: bytes) -> dict[str, Any] | None:
    """The shipped validated document for these roadmap bytes, or None (not bundled, or made by other code)."""
    from aipm_cli.roadmap.finding import _read_cache

    name = key(data)
    if name is None:
        return None
    path = FOLDER / f"{name}.json"
    if not path.is_file():
        return None
    found = _read_cache(path, private=False)  # checksummed like the cache; a package file, not a private one
    return found if isinstance(found, dict) else None


def expected(roadmaps: Path) -> dict[str, bytes]:
    """file name -> contents that `_plain/` must hold for the bundled roadmaps in `roadmaps`."""
    from aipm_cli.roadmap.finding import ROADMAP_SUFFIXES, cache_document
    from aipm_cli.roadmap.loading import _load_yaml, _validated

    out: dict[str, bytes] = {}
    for path in sorted(roadmaps.iterdir()):
        if path.suffix not in ROADMAP_SUFFIXES or not path.is_file():
            continue
        data = path.read_bytes()
        # Validated here, never taken from a cache: as loading.parse_roadmap_text does it.
        roadmap = _validated(_load_yaml(data, str(path)), str(path), data)
        name = key(data)
        if name is None:
            raise OSError(f"cannot read aipm's own sources in {HERE}")
        out[f"{name}.json"] = cache_document(roadmap.model_dump(mode="json"))
    return out


def make(roadmaps: Path) -> list[str]:
    """Write `_plain/` for the bundled roadmaps (stale files removed); the names written."""
    wanted = expected(roadmaps)
    FOLDER.mkdir(exist_ok=True)
    for old in FOLDER.glob("*.json"):
        if old.name not in wanted:
            old.unlink()
    for name, body in wanted.items():
        (FOLDER / name).write_bytes(body)
    return sorted(wanted)


if __name__ == "__main__":
    from aipm_cli.paths import bundled_roadmaps_dir

    for written in make(bundled_roadmaps_dir()):
        print(f"wrote {FOLDER / written}")
