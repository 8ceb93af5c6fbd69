"""The one way issuewire writes a file: a temporary file beside it, fsync, rename, fsync the folder.

    >>> import os, tempfile
    >>> folder = tempfile.mkdtemp()
    >>> old = os.umask(0o027)
    >>> path = atomic_write(os.path.join(folder, "feed-20260505T02.json"), '{"hour": "..."}\\n')
    >>> _ = os.umask(old)
    >>> oct(path.stat().st_mode & 0o777), path.read_text()
    ('0o640', '{"hour": "..."}\\n')
    >>> _ = open(os.path.join(folder, ".feed-20260505T03.json.1a2b3c4d.tmp"), "w")   # a killed write
    >>> [p.name for p in remove_stale_temp_files(folder)]
    ['.feed-20260505T03.json.1a2b3c4d.tmp']
    >>> sorted(os.listdir(folder))
    ['feed-20260505T02.json']

A reader sees the old file or the new one, never half of one, and after a crash the new one is
on disk (the file and the folder entry are both fsynced). The file gets the mode a plain
``open(path, "w")`` would give, ``0o666 & ~umask`` (0644 under umask 022, 0640 under 027), so a
web server or a consumer under another account reads what the umask lets it read; ``mode=``
forces one (the console keeps an edited file's mode).

Temporary files are named ``.<final name>.<8 random characters>.tmp`` (any random part is
recognised, so those of older versions are too), so they are hidden from ``*.json`` globs and
recognisable: :func:`stale_temp_files` finds the ones a killed process
left behind, :func:`remove_stale_temp_files` removes them. Only a caller that knows no write is
in progress (the hourly run, under its lock) should remove them.

It lives in ``issues/``, the lowest layer with the contracts of what leaves the process, so that
every package that writes files can use it: ``jobs/`` (feed, report, proposals, state files),
``recommender/shell.py`` (model store, ``CURRENT``, the export) and ``crawler/storage.py`` (raw
responses) import it; nothing in ``issues/`` itself writes a file.
"""
from __future__ import annotations

import contextlib
import os
import re
import secrets
from pathlib import Path
from typing import IO, Callable, Union

Content = Union[str, bytes, Callable[[IO], None]]
TEMP_SUFFIX = ".tmp"
_TEMP_NAME = re.compile(r"^\.(?P<final>.+)\.[A-Za-z0-9_]+\.tmp$")

__all__ = ["atomic_write", "temp_path", "final_name", "stale_temp_files", "remove_stale_temp_files"]


def temp_path(path: str | os.PathLike) -> Path:
    """A fresh temporary name beside ``path``: ``.<name>.<8 hex>.tmp``.

    >>> temp_path("/srv/feeds/feed.json").name.startswith(".feed.json.")
    True
    """
    path = Path(path)
    return path.with_name(f".{path.name}.{secrets.token_hex(4)}{TEMP_SUFFIX}")


def final_name(temp_name: str) -> str | None:
    """The file a temporary file was going to become, or None if ``temp_name`` is not one.

    >>> final_name(".report-20260505T02.html.0f3a9c1e.tmp"), final_name("report-20260505T02.html")
    ('report-20260505T02.html', None)
    """
    match = _TEMP_NAME.match(temp_name)
    return match["final"] if match else None


def atomic_write(path: str | os.PathLike, content: Content, *, binary: bool | None = None,
                 encoding: str = "utf-8", newline: str | None = None, mode: int | None = None,
                 before_replace: Callable[[], None] | None = None) -> Path:
    """Write ``content`` (text, bytes, or a function that writes to the open file) to ``path``.

    The folder is created if missing. ``before_replace`` runs after the temporary file is complete
    and synced, before the rename (the crash tests pause there). On any error the temporary file
    is removed and the previous file stays as it was; ``OSError`` is raised to the caller."""
    path = Path(path)
    if binary is None:
        binary = isinstance(content, (bytes, bytearray))
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        tmp = temp_path(path)
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o666)
            break
        except FileExistsError:          # 2^32 names: only a clash with a leftover gets here
            continue
    try:
        if mode is not None:
            os.fchmod(fd, mode)
        with os.fdopen(fd, "wb" if binary else "w", **({} if binary else {"encoding": encoding,
                                                                           "newline": newline})) as fh:
            if callable(content):
                content(fh)
            else:
                fh.write(content)
            fh.flush()
            os.fsync(fh.fileno())
        if before_replace is not None:
            before_replace()
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_folder(path.parent)
    return path


def _fsync_folder(folder: Path) -> None:
    with contextlib.suppress(OSError):     # some file systems cannot sync a folder; the rename is done
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def stale_temp_files(folder: str | os.PathLike, finals: Callable[[str], bool] | None = None) -> list[Path]:
    """The temporary files in ``folder`` (not below it), optionally only those whose final name
    ``finals`` accepts."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    out = []
    for p in folder.iterdir():
        name = final_name(p.name)
        if name is not None and (finals is None or finals(name)) and p.is_file():
            out.append(p)
    return sorted(out)


def remove_stale_temp_files(folder: str | os.PathLike, finals: Callable[[str], bool] | None = None,
                            ) -> list[Path]:
    """Remove :func:`stale_temp_files`; returns what was removed."""
    removed = []
    for p in stale_temp_files(folder, finals):
        with contextlib.suppress(FileNotFoundError):
            p.unlink()
            removed.append(p)
    return removed
