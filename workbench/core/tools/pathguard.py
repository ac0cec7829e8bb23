"""The path guard: every file tool reaches the workspace only through this module.

Rules (issue 3, "Path guard"):

* A tool path is relative to the workspace root, with ``/`` separators. Absolute paths, ``..``
  components, NUL bytes, backslashes and empty paths are refused *before any filesystem access*
  (:func:`split_relative`).
* Resolution never goes through a path string: it opens the workspace once
  (``os.open(workspace, O_DIRECTORY)``) and walks one component at a time with
  ``os.open(name, O_DIRECTORY | O_NOFOLLOW, dir_fd=parent)``. A symlinked directory or file is
  refused wherever it points, and a directory swapped for a symlink mid-walk cannot redirect the
  walk (the kernel refuses the link, or the already-open fd still names the real directory).
* Writes go to a temp file created with ``O_EXCL | O_NOFOLLOW`` in the same directory, are
  ``fsync``-ed, then ``os.replace``-d over the target by ``dir_fd``; the directory is ``fsync``-ed.
* Overwriting a file that has more than one hard link is refused (the other link may live
  outside the workspace, and the user would not expect it to be split off).
* :func:`is_protected` names the paths that need explicit approval in every permission mode.

All functions here block; async callers use ``asyncio.to_thread``.
"""

from __future__ import annotations

import errno
import os
import secrets
import stat
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from workbench.core.tools.base import ToolError

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK
_TMP_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC

ALLOWED = "use a path relative to the workspace root with '/' separators, e.g. 'src/app.py'"

PROTECTED_FILES = frozenset({".workbench/config.toml", ".mcp.json", "agents.md", "claude.md"})
"""Workspace-relative files (casefolded) that always need explicit approval to change."""
PROTECTED_DIRS = frozenset({".workbench/sandbox"})
"""Workspace-relative folders (casefolded) whose whole content always needs explicit approval."""


class PathRefused(ToolError):
    """A tool path was refused by the guard; the message says why and what is allowed."""


def split_relative(rel: str) -> tuple[str, ...]:
    """Check a tool path and split it into components, without touching the filesystem.

    ``.`` components and repeated or trailing slashes are dropped, so ``"./src//a.py"`` gives
    ``("src", "a.py")`` and ``"."`` gives ``()`` (the workspace root).

    Args:
        rel: The path as sent by the model.

    Returns:
        The path's components.

    Raises:
        PathRefused: Not a string, empty, NUL byte, backslash, absolute, or a ``..`` component.
    """
    if not isinstance(rel, str):
        raise PathRefused(f"path must be a string, got {type(rel).__name__}; {ALLOWED}")
    if not rel.strip():
        raise PathRefused(f"empty path refused; {ALLOWED} (use '.' for the workspace root)")
    if "\x00" in rel:
        raise PathRefused(f"path {rel!r} contains a NUL byte; {ALLOWED}")
    if "\\" in rel:
        raise PathRefused(f"path {rel!r} contains a backslash; {ALLOWED}")
    if rel.startswith("/") or (len(rel) > 1 and rel[1] == ":" and rel[0].isalpha()):
        raise PathRefused(f"absolute path {rel!r} refused; {ALLOWED}")
    if rel == "~" or rel.startswith("~/"):
        raise PathRefused(f"home-relative path {rel!r} refused; {ALLOWED}")
    parts = tuple(p for p in rel.split("/") if p not in ("", "."))
    if ".." in parts:
        raise PathRefused(f"path {rel!r} has a '..' component; paths may not leave the workspace; {ALLOWED}")
    return parts


def normalize_relative(rel: str) -> str:
    """Return the canonical form of a tool path (``"."`` for the root); refusals as :func:`split_relative`."""
    return "/".join(split_relative(rel)) or "."


def is_protected(rel: str, extra: Collection[str] = ()) -> bool:
    """Tell whether a path needs explicit approval to change, in every permission mode.

    Protected (case-insensitive, as on macOS/Windows filesystems; Cursor CVE-2025-59944): anything
    with a ``.git`` component (repository internals, at any depth), at the workspace root
    ``.workbench/config.toml``, ``.mcp.json``, ``AGENTS.md``, ``CLAUDE.md``, everything under
    ``.workbench/sandbox/``, and the ``extra`` paths (the scripts trusted MCP servers run). A
    folder that contains a protected path is protected too (moving or deleting it would move
    the protected file). A path the guard would refuse is treated as protected (it will be
    refused anyway). Symlinks need no resolving here: the file tools refuse every symlink on
    the way (:func:`walk_dirs`), and other writers are checked after the call
    (:mod:`workbench.core.guard.protected`).

    Args:
        rel: Workspace-relative path.
        extra: More protected workspace-relative paths, casefolded.
    """
    try:
        parts = split_relative(rel)
    except PathRefused:
        return True
    folded = tuple(p.casefold() for p in parts)
    if ".git" in folded:
        return True
    joined = "/".join(folded)
    if not joined:
        return True
    if joined in PROTECTED_FILES or joined in extra:
        return True
    prefix = joined + "/"
    for name in (*PROTECTED_FILES, *PROTECTED_DIRS, *extra):
        if name.startswith(prefix):
            return True
    return any(joined.startswith(d + "/") for d in PROTECTED_DIRS)


def open_root(workspace: Path) -> int:
    """Open the workspace root directory (the root itself may be a symlink the user chose).

    Raises:
        ToolError: The workspace is missing or not a directory.
    """
    try:
        return os.open(workspace, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as exc:
        raise ToolError(f"cannot open the workspace {str(workspace)!r}: {exc.strerror}") from None


def _refuse_entry(parent_fd: int, name: str, shown: str, exc: OSError, want: str) -> ToolError:
    """Explain why opening ``name`` under ``parent_fd`` failed (symlink, wrong type, missing)."""
    try:
        st = os.stat(name, dir_fd=parent_fd, follow_symlinks=False)
    except OSError:
        st = None
    if st is not None and stat.S_ISLNK(st.st_mode):
        return PathRefused(f"{shown!r} is a symbolic link; the file tools never follow symlinks, wherever they point")
    if exc.errno == errno.ENOENT:
        return ToolError(f"{shown!r} does not exist")
    if exc.errno == errno.ENOTDIR or (st is not None and want == "directory" and not stat.S_ISDIR(st.st_mode)):
        return ToolError(f"{shown!r} is not a directory")
    return ToolError(f"cannot open {shown!r}: {exc.strerror}")


def walk_dirs(root_fd: int, parts: tuple[str, ...], *, create: bool = False) -> int:
    """Open the directory ``parts`` under ``root_fd`` one component at a time, never following links.

    Args:
        root_fd: An open directory fd (not closed here).
        parts: Components from :func:`split_relative`.
        create: Create missing directories (mode 0o777 minus umask), each by ``dir_fd``.

    Returns:
        A new directory fd the caller must close.

    Raises:
        PathRefused: A component is a symlink.
        ToolError: A component is missing (and ``create`` is false) or not a directory.
    """
    fd = os.dup(root_fd)
    try:
        for i, name in enumerate(parts):
            shown = "/".join(parts[: i + 1])
            try:
                child = os.open(name, _DIR_FLAGS, dir_fd=fd)
            except FileNotFoundError as exc:
                if not create:
                    raise _refuse_entry(fd, name, shown, exc, "directory") from None
                try:
                    os.mkdir(name, 0o777, dir_fd=fd)
                except FileExistsError:
                    pass
                except OSError as exc2:
                    raise ToolError(f"cannot create folder {shown!r}: {exc2.strerror}") from None
                try:
                    child = os.open(name, _DIR_FLAGS, dir_fd=fd)
                except OSError as exc2:
                    raise _refuse_entry(fd, name, shown, exc2, "directory") from None
            except OSError as exc:
                raise _refuse_entry(fd, name, shown, exc, "directory") from None
            os.close(fd)
            fd = child
        return fd
    except BaseException:
        os.close(fd)
        raise


@contextmanager
def os_errors(action: str, rel: str) -> Iterator[None]:
    """Turn an :class:`OSError` raised inside the block into a :class:`ToolError` naming the path.

    Args:
        action: Verb for the message, e.g. ``"delete"``.
        rel: Workspace-relative path concerned.
    """
    try:
        yield
    except OSError as exc:
        raise ToolError(f"cannot {action} {rel!r}: {exc.strerror or exc}") from None


@dataclass
class GuardedPath:
    """A checked file path: an open fd of its parent directory plus the final name.

    Use as a context manager (closes the fd). Build with :func:`resolve_workspace_path`.

    Attributes:
        rel: Canonical workspace-relative path.
        parent_fd: Open fd of the parent directory (reached without following any symlink).
        name: Final component, to be used with ``dir_fd=parent_fd``.
    """

    rel: str
    parent_fd: int
    name: str
    _closed: bool = field(default=False, repr=False)

    def close(self) -> None:
        """Close the parent directory fd (idempotent)."""
        if not self._closed:
            self._closed = True
            os.close(self.parent_fd)

    def __enter__(self) -> GuardedPath:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def lstat(self) -> os.stat_result | None:
        """Return the entry's own stat (links not followed), or None when it does not exist."""
        try:
            return os.stat(self.name, dir_fd=self.parent_fd, follow_symlinks=False)
        except FileNotFoundError:
            return None


def resolve_workspace_path(workspace: Path, rel: str, *, create_parents: bool = False) -> GuardedPath:
    """Check ``rel`` and open its parent directory inside ``workspace``.

    Args:
        workspace: Workspace root.
        rel: Path from the model (see :func:`split_relative`).
        create_parents: Create missing parent directories (through the guard).

    Returns:
        A :class:`GuardedPath`; the caller closes it (``with`` block).

    Raises:
        PathRefused: The path shape is refused, it names the root, or a parent is a symlink.
        ToolError: A parent is missing or not a directory.
    """
    parts = split_relative(rel)
    if not parts:
        raise PathRefused(f"path {rel!r} names the workspace root itself; give a file path, e.g. 'src/app.py'")
    root = open_root(workspace)
    try:
        parent = walk_dirs(root, parts[:-1], create=create_parents)
    finally:
        os.close(root)
    return GuardedPath(rel="/".join(parts), parent_fd=parent, name=parts[-1])


def open_directory(workspace: Path, rel: str) -> int:
    """Open a workspace directory (``"."`` is the root) without following symlinks; caller closes.

    Raises:
        PathRefused: Refused shape or a symlink on the way.
        ToolError: Missing or not a directory.
    """
    parts = split_relative(rel)
    root = open_root(workspace)
    try:
        return walk_dirs(root, parts)
    finally:
        os.close(root)


def open_regular_file(path: GuardedPath) -> tuple[int, os.stat_result]:
    """Open ``path`` for reading with ``O_NOFOLLOW``; refuse anything but a regular file.

    Returns:
        ``(fd, fstat result)``; the caller closes the fd.

    Raises:
        PathRefused: The file is a symlink.
        ToolError: Missing, a directory, or a FIFO/device/socket.
    """
    try:
        fd = os.open(path.name, _READ_FLAGS, dir_fd=path.parent_fd)
    except OSError as exc:
        if exc.errno == errno.EISDIR:
            raise ToolError(f"{path.rel!r} is a directory; use list_dir for directories") from None
        raise _refuse_entry(path.parent_fd, path.name, path.rel, exc, "file") from None
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        kind = "a directory; use list_dir" if stat.S_ISDIR(st.st_mode) else "not a regular file"
        raise ToolError(f"{path.rel!r} is {kind}")
    return fd, st


def read_bytes(path: GuardedPath, max_bytes: int | None = None) -> bytes:
    """Read a regular file (at most ``max_bytes`` when given) through :func:`open_regular_file`."""
    fd, _st = open_regular_file(path)
    with os.fdopen(fd, "rb") as handle:
        return handle.read(-1 if max_bytes is None else max_bytes)


def check_overwritable(path: GuardedPath) -> os.stat_result | None:
    """Check that ``path`` may be written in place; return its stat, or None when it is new.

    Raises:
        PathRefused: It is a symlink, or a regular file with more than one hard link.
        ToolError: It is a directory or a special file.
    """
    st = path.lstat()
    if st is None:
        return None
    if stat.S_ISLNK(st.st_mode):
        raise PathRefused(f"{path.rel!r} is a symbolic link; the file tools never write through symlinks")
    if stat.S_ISDIR(st.st_mode):
        raise ToolError(f"{path.rel!r} is a directory")
    if not stat.S_ISREG(st.st_mode):
        raise ToolError(f"{path.rel!r} is not a regular file")
    if st.st_nlink > 1:
        raise PathRefused(
            f"{path.rel!r} has {st.st_nlink} hard links; editing it in place is refused because the other "
            "links (possibly outside the workspace) would be affected; copy it to a new file instead"
        )
    return st


def _keep_owner(fd: int, path: GuardedPath, old: os.stat_result | None) -> None:
    """Give the temp file the owner of the file it replaces (or, for a new file, of its folder).

    Only a process running as root can give a file away; a normal user's files are already its
    own. A failure leaves the writer's ownership (best effort, never an error).
    """
    if os.geteuid() != 0:
        return
    try:
        ref = old if old is not None else os.fstat(path.parent_fd)
        if (ref.st_uid, ref.st_gid) != (0, 0):
            os.fchown(fd, ref.st_uid, ref.st_gid)
    except OSError:
        pass


def atomic_write(path: GuardedPath, data: bytes) -> bool:
    """Replace (or create) ``path`` with ``data`` atomically and durably.

    A temp file ``.<name>.<random>.wb-tmp`` is created in the same directory by ``dir_fd`` with
    ``O_EXCL | O_NOFOLLOW``, written, ``fsync``-ed, given the old file's owner (when running as root; a new file gets its folder's
    owner) and mode, ``os.replace``-d
    over the target, then the directory is ``fsync``-ed. If the target was swapped for a symlink
    meanwhile, ``replace`` swaps the link itself: nothing outside is written.

    Returns:
        True when the file was created, False when an existing file was replaced.

    Raises:
        PathRefused / ToolError: As :func:`check_overwritable`, or an OS error (message names the path).
    """
    old = check_overwritable(path)
    tmp = f".{path.name[:100]}.{secrets.token_hex(6)}.wb-tmp"
    try:
        fd = os.open(tmp, _TMP_FLAGS, 0o666, dir_fd=path.parent_fd)
    except OSError as exc:
        raise ToolError(f"cannot create a temp file next to {path.rel!r}: {exc.strerror}") from None
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            _keep_owner(fd, path, old)
            if old is not None:
                os.fchmod(fd, stat.S_IMODE(old.st_mode))  # after chown: it clears set-id bits
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path.name, src_dir_fd=path.parent_fd, dst_dir_fd=path.parent_fd)
    except OSError as exc:
        try:
            os.unlink(tmp, dir_fd=path.parent_fd)
        except OSError:
            pass
        raise ToolError(f"cannot write {path.rel!r}: {exc.strerror}") from None
    os.fsync(path.parent_fd)
    return old is None
