"""File roots: the directories a server-side file path must resolve into.

``LOADMASTER_FILE_ROOTS`` (directories separated by ``os.pathsep``) confines every caller.
Without it, super users may use any path, as in HarperDB, and everyone else only
``<data>/files/``. A path is judged on its resolved real path (symlinks and ``..``
followed) before anything else is looked at, so whether a file outside exists cannot be
probed: every path outside gets the same answer. Every server-side file read or write
(``csv_file_load``, ``export_local``, later ones) goes through :func:`check_file_path`.
"""

import os
from pathlib import Path

from loadmaster.errors import FileOutsideRootsError
from loadmaster.models import User
from loadmaster.settings import Settings

__all__ = ["check_file_path", "create_default_root", "default_root", "roots_for"]

#: The directory under the data directory that confines callers who are not super users
#: when no roots are configured.
FILES_DIRECTORY = "files"


def default_root(settings: Settings) -> Path:
    """Return ``<data>/files``."""
    return Path(settings.data) / FILES_DIRECTORY


def create_default_root(settings: Settings) -> None:
    """Create ``<data>/files`` if missing (at start, so that confined users have a place)."""
    default_root(settings).mkdir(mode=0o700, exist_ok=True)


def roots_for(user: User, settings: Settings) -> list[str] | None:
    """Return the real paths of the roots that confine ``user``; None when nothing does."""
    if settings.file_roots is not None:
        configured: list[str | Path] = [p for p in settings.file_roots.split(os.pathsep) if p]
    elif user.super_user:
        return None
    else:
        configured = [default_root(settings)]
    return [os.path.realpath(root) for root in configured]


def check_file_path(path: str, user: User, settings: Settings) -> None:
    """Refuse a path that does not resolve into one of the caller's file roots.

    Raises:
        FileOutsideRootsError: ``File path '<path>' is outside the allowed file roots``
            (403), whether or not the path exists.
    """
    roots = roots_for(user, settings)
    if roots is None:
        return
    try:
        real = os.path.realpath(path)
    except (ValueError, OSError) as exc:  # a NUL byte; a path too long to resolve
        raise FileOutsideRootsError(path) from exc
    if not any(os.path.commonpath((root, real)) == root for root in roots):
        raise FileOutsideRootsError(path)
