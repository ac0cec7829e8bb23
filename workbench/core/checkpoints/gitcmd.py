"""Run the real ``git`` binary against the shadow repository with a clean, explicit environment.

Nothing from the user's git setup can take part: no system or global config
(``GIT_CONFIG_NOSYSTEM``, ``GIT_CONFIG_GLOBAL=/dev/null``, ``HOME``/``XDG_CONFIG_HOME`` pointing to an
empty folder inside the shadow repository), no hooks (``core.hooksPath=/dev/null``), no fsmonitor,
no line-ending or filter conversion (``core.autocrlf=false`` plus ``$GIT_DIR/info/attributes``, see
:data:`SHADOW_ATTRIBUTES`), and the locale is ``C`` so messages are stable.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from .errors import GitCommandError, GitNotFoundError

PRIVATE_UMASK = 0o077
"""umask of git processes: the shadow repository (objects, index, refs) in the data dir is only
readable by its owner (files 0600, folders 0700). Git never writes the workspace here (restores
write files from Python), so workspace modes are unaffected."""

#: The empty tree's id (SHA-1 object format), used as the "before" side of a first snapshot.
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"

#: Written to ``$GIT_DIR/info/attributes``, which overrides the workspace's ``.gitattributes``
#: (gitattributes(5), "precedence"): no eol conversion, no clean/smudge filters (e.g. LFS), no
#: ``ident`` or encoding rewrite, so blobs hold the files' exact bytes.
SHADOW_ATTRIBUTES = "* -text -eol -filter -ident -working-tree-encoding\n"

_CONFIG: tuple[str, ...] = (
    "core.hooksPath=/dev/null",
    "core.fsmonitor=false",
    "core.autocrlf=false",
    "core.safecrlf=false",
    "core.untrackedCache=false",
    "core.splitIndex=false",
    "core.bare=false",
    "core.symlinks=true",
    "core.filemode=true",
    "core.ignoreCase=false",
    "core.quotePath=false",
    "core.logAllRefUpdates=false",
    "core.sparseCheckout=false",
    "commit.gpgSign=false",
    "gc.auto=0",
    "maintenance.auto=false",
    "index.skipHash=false",
)


class Git:
    """A configured ``git`` command line for one shadow repository.

    Args:
        git_dir: the shadow repository (``GIT_DIR``).
        work_tree: the workspace (``GIT_WORK_TREE``).
        index_file: the shadow index (``GIT_INDEX_FILE``).
        binary: the git executable.
    """

    def __init__(self, git_dir: Path, work_tree: Path, index_file: Path, binary: str = "git") -> None:
        self.git_dir = git_dir
        self.work_tree = work_tree
        self.index_file = index_file
        self.binary = binary
        home = git_dir / "workbench-home"
        self.env: dict[str, str] = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LC_ALL": "C",
            "LANG": "C",
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_ATTR_NOSYSTEM": "1",
            "GIT_NO_REPLACE_OBJECTS": "1",
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_DIR": str(git_dir),
            "GIT_WORK_TREE": str(work_tree),
            "GIT_INDEX_FILE": str(index_file),
            "GIT_AUTHOR_NAME": "Workbench",
            "GIT_AUTHOR_EMAIL": "workbench@localhost",
            "GIT_COMMITTER_NAME": "Workbench",
            "GIT_COMMITTER_EMAIL": "workbench@localhost",
        }
        if "TMPDIR" in os.environ:
            self.env["TMPDIR"] = os.environ["TMPDIR"]
        self._prefix: list[str] = [binary]
        for item in _CONFIG:
            self._prefix += ["-c", item]

    def run(
        self,
        *args: str,
        input: bytes | None = None,
        ok_codes: tuple[int, ...] = (0,),
        work_tree: Path | None = None,
        index_file: Path | None = None,
        extra_env: dict[str, str] | None = None,
    ) -> bytes:
        """Run ``git <args>`` and return its standard output (bytes).

        Args:
            *args: git arguments, e.g. ``("write-tree",)``.
            input: bytes fed to standard input.
            ok_codes: exit statuses that are not errors.
            work_tree: override ``GIT_WORK_TREE`` (used for nested repositories).
            index_file: override ``GIT_INDEX_FILE``.
            extra_env: more environment variables (e.g. ``GIT_AUTHOR_DATE``).

        Returns:
            The raw standard output.

        Raises:
            GitCommandError: git exited with a status not in ``ok_codes``.
            GitNotFoundError: the git executable cannot be started.
        """
        env = self.env
        if work_tree is not None or index_file is not None or extra_env:
            env = dict(env)
            if work_tree is not None:
                env["GIT_WORK_TREE"] = str(work_tree)
            if index_file is not None:
                env["GIT_INDEX_FILE"] = str(index_file)
            if extra_env:
                env.update(extra_env)
        try:
            proc = subprocess.run(
                [*self._prefix, *args],
                input=input,
                capture_output=True,
                env=env,
                cwd=str(work_tree or self.work_tree),
                check=False,
                umask=PRIVATE_UMASK,
            )
        except FileNotFoundError as exc:
            raise GitNotFoundError(
                f"cannot run {self.binary!r}: {exc}; install git or set CheckpointSettings.git_binary"
            ) from exc
        if proc.returncode not in ok_codes:
            raise GitCommandError(list(args), proc.returncode, proc.stderr.decode("utf-8", "replace"))
        return proc.stdout

    def init_bare(self) -> None:
        """Create the shadow repository (``git init --bare``, no template, so no sample hooks).

        A bare repository never gets a ``core.worktree``; the work tree is always given by
        ``GIT_WORK_TREE`` (with ``core.bare=false`` on the command line).

        Raises:
            GitCommandError: ``git init`` failed (e.g. the data dir is not writable).
        """
        env = {k: v for k, v in self.env.items() if k not in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE")}
        args = ["init", "--bare", "-q", "--template=", str(self.git_dir)]
        try:
            proc = subprocess.run([self.binary, *args], capture_output=True, env=env, check=False, umask=PRIVATE_UMASK)
        except FileNotFoundError as exc:
            raise GitNotFoundError(
                f"cannot run {self.binary!r}: {exc}; install git or set CheckpointSettings.git_binary"
            ) from exc
        if proc.returncode != 0:
            raise GitCommandError(args, proc.returncode, proc.stderr.decode("utf-8", "replace"))

    def popen(self, *args: str) -> subprocess.Popen[bytes]:
        """Start a long-running ``git <args>`` with pipes on stdin and stdout (e.g. ``cat-file --batch``)."""
        try:
            return subprocess.Popen(
                [*self._prefix, *args],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env=self.env,
                cwd=str(self.work_tree),
                umask=PRIVATE_UMASK,
            )
        except FileNotFoundError as exc:
            raise GitNotFoundError(
                f"cannot run {self.binary!r}: {exc}; install git or set CheckpointSettings.git_binary"
            ) from exc


def split_z(data: bytes) -> list[str]:
    """Split NUL-terminated git output into paths (decoded with ``surrogateescape``)."""
    return [p.decode("utf-8", "surrogateescape") for p in data.split(b"\0") if p]


def encode_path(path: str) -> bytes:
    """Encode a path for git's ``-z`` standard input (reverse of :func:`split_z`)."""
    return path.encode("utf-8", "surrogateescape")
