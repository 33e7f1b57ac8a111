"""Finding roadmap files and reading a validated one back from the cache: no YAML parser, no pydantic.

Every reading command goes through `load()`: the first time a roadmap file's
bytes are seen they are validated (catalog.py, with PyYAML and pydantic) and
the validated document is cached; after that the roadmap comes back as plain
data (plain.py) from the cache.
"""

from __future__ import annotations

import difflib
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aipm_cli.errors import RoadmapNotFound, excerpt
from aipm_cli.paths import bundled_roadmaps_dir

ROADMAP_SUFFIXES = (".yaml", ".yml", ".json")
DEFAULT_ROADMAP = "ai-product-manager"
MAX_ROADMAP_BYTES = 10 * 1024 * 1024  # a roadmap is a few hundred KB; more is not a roadmap


def cache_stamp() -> str:
    """aipm's version and the validating code: a cached roadmap from other code is validated again."""
    import os

    from aipm_cli import __version__

    here = Path(__file__).resolve().parent
    parts = [__version__, "plain-1"]
    for name in ("models.py", "catalog.py", "plain.py", "durations.py", "urls.py"):
        try:
            info = os.stat(here / name)
            parts.append(f"{info.st_size}:{info.st_mtime_ns}")
        except OSError:
            parts.append("?")
    return "|".join(parts)


def _cache_path(data: bytes, cache_dir: Path) -> Path:
    import hashlib

    digest = hashlib.sha256(data + b"\0" + cache_stamp().encode()).hexdigest()
    return cache_dir / "roadmaps" / f"{digest}.json"


def _read_cache(path: Path) -> Any | None:
    """The cached validated document, if the file is ours and private (else it may have been planted)."""
    import json

    from aipm_cli.fs import read_private_file

    raw = read_private_file(path, limit=256 * 1024 * 1024)
    if raw is None:
        return None
    try:
        wrapper = json.loads(raw)
        # A checksum over the document: a cache file damaged on disk is never used.
        body = json.dumps(wrapper["roadmap"], sort_keys=True, separators=(",", ":")).encode()
        if wrapper.get("check") != hashlib.sha256(body).hexdigest():
            return None
        return wrapper["roadmap"]
    except (ValueError, RecursionError, KeyError, TypeError, AttributeError):
        return None


def read_roadmap_bytes(path: Path) -> bytes:
    """The bytes of a roadmap file: a regular file of at most MAX_ROADMAP_BYTES.

    A FIFO or device is refused before anything is read (it could wait or
    stream forever); so is a file over the limit.
    """
    from aipm_cli.fs import NotReadable, read_regular_file

    try:
        return read_regular_file(path, MAX_ROADMAP_BYTES)
    except FileNotFoundError:
        raise RoadmapNotFound(f"No roadmap file at {path}.", "Check the path, or run `aipm roadmap list`.") from None
    except IsADirectoryError:
        raise RoadmapNotFound(f"{path} is a folder, not a roadmap file.") from None
    except NotReadable as exc:
        raise RoadmapNotFound(
            f"Cannot read {path}: {exc.strerror}.", "A roadmap is a YAML file of at most 10 MB."
        ) from None
    except OSError as exc:
        raise RoadmapNotFound(f"Cannot read {path}: {exc.strerror}.") from None


@dataclass(frozen=True)
class RoadmapRef:
    """A roadmap file we know of, before it is loaded."""

    id: str
    path: Path
    origin: str  # "bundled" or "own"


def _files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix in ROADMAP_SUFFIXES and p.is_file())


def available(own_dir: Path) -> list[RoadmapRef]:
    """Bundled roadmaps first, then the learner's own; ids are the file names."""
    refs = [RoadmapRef(p.stem, p, "bundled") for p in _files(bundled_roadmaps_dir())]
    refs += [RoadmapRef(p.stem, p, "own") for p in _files(own_dir)]
    return refs


def looks_like_path(spec: str) -> bool:
    return "/" in spec or "\\" in spec or spec.endswith(ROADMAP_SUFFIXES)


def find(spec: str, own_dir: Path) -> Path:
    """The file for a roadmap id or path."""
    if looks_like_path(spec):
        path = Path(spec).expanduser()
        try:
            found = path.exists()
        except (OSError, ValueError) as exc:  # a name too long, a NUL byte (from a settings file)
            why = exc.strerror if isinstance(exc, OSError) and exc.strerror else "it cannot be a file name"
            raise RoadmapNotFound(
                f"'{excerpt(spec)}' is not a usable roadmap path: {why}.", "Check the path, or run `aipm roadmap list`."
            ) from None
        if not found:
            raise RoadmapNotFound(
                f"No roadmap file at {excerpt(str(path), 200)}.", "Check the path, or run `aipm roadmap list`."
            )
        return path.absolute()
    refs = available(own_dir)
    # The learner's own file wins over a bundled one of the same id.
    for ref in reversed(refs):
        if ref.id == spec:
            return ref.path
    known = [r.id for r in refs]
    close = difflib.get_close_matches(spec[:100], known, n=3)
    hint = f"Did you mean {', '.join(close)}? " if close else ""
    raise RoadmapNotFound(
        f"No roadmap called '{excerpt(spec)}'.",
        f"{hint}Run `aipm roadmap list` to see the roadmaps you have.",
    )


def cache_document(document: dict[str, Any]) -> bytes:
    """What the roadmap cache keeps for a validated document: the document and its checksum."""
    import json

    body = json.dumps(document, sort_keys=True, separators=(",", ":")).encode()
    return json.dumps({"check": hashlib.sha256(body).hexdigest(), "roadmap": document}).encode()


def load(data: bytes, file: str, cache_dir: Path | None) -> Any:
    """The roadmap in these bytes as plain data: from the cache, else validated (and cached)."""
    from aipm_cli.plain import Roadmap

    if cache_dir is not None:
        document = _read_cache(_cache_path(data, cache_dir))
        if isinstance(document, dict):
            try:
                return Roadmap(document)
            except (KeyError, TypeError, ValueError, AttributeError):
                pass
    from aipm_cli.catalog import parse_roadmap_text

    return parse_roadmap_text(data, file, cache_dir=cache_dir)
