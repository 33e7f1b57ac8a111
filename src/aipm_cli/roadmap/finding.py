"""Finding roadmap files and reading a validated one back from the cache: no YAML parser, no pydantic.

Every reading command goes through `load()`: the first time a roadmap file's
bytes are seen they are validated (loading.py, with PyYAML and pydantic) and
the validated document is cached; after that the roadmap comes back as plain
data (plain.py) from the cache.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aipm_cli.errors import RoadmapNotFound, excerpt
from aipm_cli.paths import bundled_roadmaps_dir
from aipm_cli.plainclass import plain

ROADMAP_SUFFIXES = (".yaml", ".yml", ".json")
DEFAULT_ROADMAP = "ai-product-manager"
MAX_ROADMAP_BYTES = 10 * 1024 * 1024  # a roadmap is a few hundred KB; more is not a roadmap


def cache_stamp() -> str:
    """aipm's version and the validating code: a cached roadmap from other code is validated again."""
    from aipm_cli.fs import code_stamp

    folder = Path(__file__).resolve().parent
    return code_stamp(
        folder, "plain-2", ("models.py", "loading.py", "plain.py", "durations.py", "urls.py", "vocabulary.py")
    )


def _cache_path(data: bytes, cache_dir: Path) -> Path:
    from aipm_cli.fs import sha256_hex

    digest = sha256_hex(data + b"\0" + cache_stamp().encode())
    return cache_dir / "roadmaps" / f"{digest}.json"


def _read_cache(path: Path, private: bool = True) -> Any | None:
    """The cached validated document, if the file is ours and private (else it may have been planted).

    `private=False`: a file shipped inside the package (shipped.py), read as any regular file.
    """
    import json

    from aipm_cli.fs import read_private_file, read_regular_file, sha256_hex

    if private:
        raw = read_private_file(path, limit=256 * 1024 * 1024)
    else:
        try:
            raw = read_regular_file(path, 256 * 1024 * 1024)
        except OSError:
            raw = None
    if raw is None:
        return None
    # A checksum over the document's bytes: a cache file damaged on disk is never used.
    head, _, body = raw.partition(b"\n")
    if head != _CACHE_HEAD + sha256_hex(body).encode():
        return None
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
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


@plain(frozen=True)
class RoadmapRef:
    """A roadmap file we know of, before it is loaded."""

    id: str
    path: Path
    origin: str  # "bundled", "own", or "file" (a path chosen outside the roadmaps folder)
    error: str | None = None  # why the file is not a valid roadmap (its id is then its file name)


def _files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix in ROADMAP_SUFFIXES and p.is_file())


def _own_ref(path: Path, cache_dir: Path) -> RoadmapRef:
    """An own roadmap file and the id written inside it.

    The id comes from the validated-roadmap cache (keyed by the file's bytes),
    so no YAML parser is needed once a file has been seen; a file never seen
    is validated once (and cached). A file that is not valid keeps its file
    name as id, so it can still be named and its problems shown.
    """
    from aipm_cli.errors import AipmError
    from aipm_cli.fs import read_private_file, read_regular_file

    try:
        data = read_regular_file(path, MAX_ROADMAP_BYTES)  # never a FIFO, never a file without end
    except OSError as exc:
        return RoadmapRef(path.stem, path, "own", f"cannot read it: {exc.strerror}")
    cached = _cache_path(data, cache_dir)
    document = _read_cache(cached)
    if isinstance(document, dict) and isinstance(document.get("id"), str):
        return RoadmapRef(document["id"], path, "own")
    # A file already found invalid (these very bytes) is not validated again on every command.
    refused = cached.with_suffix(".invalid")
    noted = read_private_file(refused, limit=64 * 1024)  # ours and private only: a FIFO planted here is skipped
    if noted is not None:
        return RoadmapRef(path.stem, path, "own", noted.decode("utf-8", "replace")[:500] or "not a valid roadmap")
    try:
        from aipm_cli.roadmap.loading import parse_roadmap_text

        roadmap = parse_roadmap_text(data, str(path), cache_dir=cache_dir)
    except AipmError as exc:
        try:
            from aipm_cli.fs import atomic_write
            from aipm_cli.paths import ensure_private_dir

            ensure_private_dir(refused.parent)
            atomic_write(refused, exc.message.encode("utf-8"))
        except (OSError, AipmError):  # a full disk, or something planted in the cache that is not a file
            pass  # only speed is lost
        return RoadmapRef(path.stem, path, "own", exc.message)
    return RoadmapRef(roadmap.id, path, "own")


def available(own_dir: Path, cache_dir: Path | None = None) -> list[RoadmapRef]:
    """Bundled roadmaps first (ids are their file names), then the learner's own (ids as written inside)."""
    cache = cache_dir if cache_dir is not None else own_dir.parent / "cache"
    refs = [RoadmapRef(p.stem, p, "bundled") for p in _files(bundled_roadmaps_dir())]
    refs += [_own_ref(p, cache) for p in _files(own_dir)]
    return refs


def duplicates(refs: list[RoadmapRef]) -> dict[str, list[Path]]:
    """Ids that more than one of the learner's own files (or more than one bundled file) claim."""
    by_id: dict[tuple[str, str], list[Path]] = {}
    for ref in refs:
        if ref.error is None:
            by_id.setdefault((ref.origin, ref.id), []).append(ref.path)
    return {key[1]: paths for key, paths in by_id.items() if len(paths) > 1}


def looks_like_path(spec: str) -> bool:
    return "/" in spec or "\\" in spec or spec.endswith(ROADMAP_SUFFIXES)


def find(spec: str, own_dir: Path, cache_dir: Path | None = None) -> Path:
    """The file for a roadmap id (or an own file's name) or path."""
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
    refs = available(own_dir, cache_dir)
    # The learner's own file wins over a bundled one of the same id; among own files, the first by name.
    own = [r for r in refs if r.origin == "own"]
    for group in (own, [r for r in refs if r.origin == "bundled"]):
        for ref in group:
            if ref.id == spec:
                return ref.path
    # An own file named by its file name (`data-eng` for data-eng.yaml holding `id: data-engineering`).
    for ref in own:
        if ref.path.stem == spec:
            return ref.path
    known = [r.id for r in refs]
    import difflib

    close = difflib.get_close_matches(spec[:100], known, n=3)
    hint = f"Did you mean {', '.join(close)}? " if close else ""
    raise RoadmapNotFound(
        f"No roadmap called '{excerpt(spec)}'.",
        f"{hint}Run `aipm roadmap list` to see the roadmaps you have.",
    )


_CACHE_HEAD = b"aipm roadmap cache, sha256 "


def cache_document(document: dict[str, Any]) -> bytes:
    """What the roadmap cache keeps for a validated document: a line with its checksum, then the document."""
    import json

    from aipm_cli.fs import sha256_hex

    body = json.dumps(document, sort_keys=True, separators=(",", ":")).encode()
    return _CACHE_HEAD + sha256_hex(body).encode() + b"\n" + body


def load(data: bytes, file: str, cache_dir: Path | None) -> Any:
    """The roadmap in these bytes as plain data: from the cache, else validated (and cached)."""
    from aipm_cli.roadmap.plain import Roadmap

    if cache_dir is not None:
        document = _read_cache(_cache_path(data, cache_dir))
        if isinstance(document, dict):
            try:
                return Roadmap(document)
            except (KeyError, TypeError, ValueError, AttributeError):
                pass
    # A bundled roadmap's validated data ships in the package (shipped.py): the first command after an
    # install or an upgrade needs no YAML parser and no validation either.
    from aipm_cli.roadmap.shipped import document as shipped_document

    shipped = shipped_document(data)
    if shipped is not None:
        try:
            roadmap = Roadmap(shipped)
        except (KeyError, TypeError, ValueError, AttributeError):
            pass
        else:
            if cache_dir is not None:  # kept in the cache as a validated one would be
                _write_cache(_cache_path(data, cache_dir), shipped)
            return roadmap
    from aipm_cli.roadmap.loading import parse_roadmap_text

    return parse_roadmap_text(data, file, cache_dir=cache_dir)


def _write_cache(path: Path, document: dict[str, Any]) -> None:
    from aipm_cli.errors import AipmError
    from aipm_cli.fs import atomic_write
    from aipm_cli.paths import ensure_private_dir

    try:
        ensure_private_dir(path.parent)
        # Replace a planted symlink itself, never what it points to.
        atomic_write(path, cache_document(document), follow_symlinks=False)
    except (OSError, AipmError):
        pass  # only speed is lost
