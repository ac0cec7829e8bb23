"""The shadow repository: snapshot, list, diff, restore, recover and gc.

Every method blocks (it runs ``git``); async callers use the ``*_async`` wrappers, which run the
blocking method in a thread (``asyncio.to_thread``). Methods that change the shadow repository or
the workspace hold an exclusive ``flock`` on ``$GIT_DIR/workbench.lock``, so two processes (the app
and the CLI) never interleave.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from . import restore as restore_mod
from .capture import stage_worktree
from .errors import CheckpointError, CheckpointNotFoundError, GitCommandError, RestoreIncompleteError
from .gitcmd import EMPTY_TREE, SHADOW_ATTRIBUTES, Git, split_z
from .models import Checkpoint, GcResult, RestoreResult
from .records import (
    CHECKPOINT_REFS,
    LATEST_REF,
    SESSION_LATEST_PREFIX,
    check_session_id,
    decode_message,
    encode_message,
    parse_diff_tree,
)
from .settings import CheckpointSettings

DEFAULT_SESSION = "default"


def default_git_dir(workspace: Path) -> Path:
    """Return the default shadow repository of ``workspace``: ``workspace_data_dir(ws)/checkpoints.git``."""
    from workbench.core.paths import workspace_data_dir

    return workspace_data_dir(workspace) / "checkpoints.git"


class ShadowRepo:
    """Checkpoints of one workspace in a shadow git repository outside it.

    Args:
        workspace: the workspace root (must exist).
        git_dir: the shadow repository; default :func:`default_git_dir`.
        settings: size cap, excludes, retention; default ``CheckpointSettings()``.

    Raises:
        CheckpointError: ``workspace`` is not a folder.
    """

    def __init__(
        self,
        workspace: Path,
        git_dir: Path | None = None,
        settings: CheckpointSettings | None = None,
    ) -> None:
        self.workspace = Path(workspace).resolve()
        if not self.workspace.is_dir():
            raise CheckpointError(f"workspace {self.workspace} is not a folder")
        self.git_dir = Path(git_dir).resolve() if git_dir else default_git_dir(self.workspace)
        self.settings = settings or CheckpointSettings()
        self.index_file = self.git_dir / "workbench.index"
        self._git = Git(self.git_dir, self.workspace, self.index_file, self.settings.git_binary)
        self._ready = False

    # ----------------------------------------------------------------- setup and locking
    def _ensure(self) -> None:
        if self._ready:
            return
        if not (self.git_dir / "HEAD").exists():
            self.git_dir.parent.mkdir(parents=True, exist_ok=True)
            self._git.init_bare()
        (self.git_dir / "workbench-home").mkdir(mode=0o700, exist_ok=True)
        (self.git_dir / "workbench-home" / ".config").mkdir(mode=0o700, exist_ok=True)
        info = self.git_dir / "info"
        info.mkdir(mode=0o700, exist_ok=True)
        _write_private(info / "attributes", SHADOW_ATTRIBUTES)
        excludes = ""
        with contextlib.suppress(ValueError):  # shadow repo inside the workspace: never capture it
            excludes = f"/{self.git_dir.relative_to(self.workspace).as_posix()}/\n"
        _write_private(info / "exclude", excludes)
        # The index caches what was captured under the current cap/excludes: start over when they change.
        fingerprint = json.dumps({"max_file_bytes": self.settings.max_file_bytes, "excludes": self.settings.excludes})
        fp_file = self.git_dir / "workbench-settings.json"
        if not fp_file.exists() or fp_file.read_text() != fingerprint:
            self.index_file.unlink(missing_ok=True)
            _write_private(fp_file, fingerprint)
        self._ready = True

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        if not self.git_dir.is_dir():
            self.git_dir.parent.mkdir(parents=True, exist_ok=True)
            self.git_dir.mkdir(mode=0o700, exist_ok=True)
        lock = os.open(self.git_dir.parent / f".{self.git_dir.name}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        with os.fdopen(lock, "a+b") as fh:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
            try:
                self._ensure()
                yield
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)

    def _check_no_journal(self) -> None:
        if restore_mod.read_journal(self.git_dir) is not None:
            raise RestoreIncompleteError(
                f"a restore into {self.workspace} was cut midway (journal "
                f"{self.git_dir / restore_mod.JOURNAL_NAME}); call recover_incomplete_restore() first"
            )

    def restore_pending(self) -> bool:
        """Return True when a restore was cut midway and needs :meth:`recover_incomplete_restore`."""
        return (self.git_dir / restore_mod.JOURNAL_NAME).exists()

    # ----------------------------------------------------------------- snapshot
    def snapshot(self, label: str, meta: dict[str, Any] | None = None, *, session_id: str = DEFAULT_SESSION) -> Checkpoint:
        """Capture the workspace as a checkpoint.

        Only files whose stat data changed since the last snapshot are read (the shadow index is
        git's stat cache); unchanged content is stored once (content addressed).

        If nothing changed since this session's latest checkpoint and that is also the
        workspace's latest, no commit is made: that checkpoint is returned with
        ``files_changed`` empty, ``diffstat`` zero and the current ``skipped`` list.

        Args:
            label: one line shown in the rewind list.
            meta: JSON-serialisable data stored with it (e.g. ``{"event_seq": 42}``).
            session_id: the owning session (letters, digits, ``._-``).

        Returns:
            The checkpoint.

        Raises:
            RestoreIncompleteError: a restore was cut midway; recover first.
            InvalidSessionIdError: ``session_id`` cannot be used in a ref name.
            GitCommandError: a git step failed.
        """
        check_session_id(session_id)
        with self._locked():
            self._check_no_journal()
            return self._snapshot_locked(label, meta or {}, session_id, force=False)

    def _snapshot_locked(self, label: str, meta: dict[str, Any], session_id: str, force: bool) -> Checkpoint:
        git = self._git
        staged = stage_worktree(git, self.workspace, self.settings)
        tree = git.run("write-tree").decode().strip()
        heads: dict[str, tuple[str, str]] = {}
        out = git.run(
            "for-each-ref",
            "--format=%(refname) %(objectname) %(tree)",
            LATEST_REF,
            SESSION_LATEST_PREFIX + session_id,
        )
        for line in out.decode().splitlines():
            ref, commit, ref_tree = line.split(" ")
            heads[ref] = (commit, ref_tree)
        latest = heads.get(LATEST_REF)
        mine = heads.get(SESSION_LATEST_PREFIX + session_id)
        if not force and latest and mine and latest[0] == mine[0] and latest[1] == tree:
            previous = self.get(latest[0])
            return previous.model_copy(update={"files_changed": [], "diffstat": (0, 0, 0), "skipped": staged.skipped})
        base = latest[1] if latest else EMPTY_TREE
        fields = split_z(git.run("diff-tree", "-r", "-z", "--no-renames", "--raw", "--numstat", base, tree))
        changed, diffstat, gitlinks = parse_diff_tree(fields)
        if gitlinks:  # never expected: stage_worktree adds nested repositories file by file
            raise CheckpointError(f"refusing to record nested repositories as gitlinks: {gitlinks}")
        created = datetime.now(UTC)
        cp = Checkpoint(
            id="",
            label=label,
            created_at=created,
            session_id=session_id,
            tree=tree,
            parent=latest[0] if latest else None,
            files_changed=changed,
            diffstat=diffstat,
            skipped=staged.skipped,
            meta=meta,
        )
        stamp = f"{int(created.timestamp())} +0000"
        commit = (
            git.run(
                "commit-tree",
                tree,
                "-F",
                "-",
                input=encode_message(cp),
                extra_env={"GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp},
            )
            .decode()
            .strip()
        )
        git.run(
            "update-ref",
            "--stdin",
            input=(
                f"update {CHECKPOINT_REFS}{session_id}/{commit} {commit}\n"
                f"update {LATEST_REF} {commit}\n"
                f"update {SESSION_LATEST_PREFIX}{session_id} {commit}\n"
            ).encode(),
        )
        return cp.model_copy(update={"id": commit, "label": " ".join(label.split()) or "checkpoint"})

    # ----------------------------------------------------------------- reading
    def _resolve(self, checkpoint_id: str) -> str:
        try:
            out = self._git.run("rev-parse", "-q", "--verify", f"{checkpoint_id}^{{commit}}")
        except GitCommandError as exc:
            raise CheckpointNotFoundError(f"no checkpoint {checkpoint_id!r} in {self.git_dir} (see list_checkpoints())") from exc
        return out.decode().strip()

    def get(self, checkpoint_id: str) -> Checkpoint:
        """Return the checkpoint with this id (a unique prefix of at least 4 hex digits works).

        Raises:
            CheckpointNotFoundError: no such checkpoint.
        """
        self._ensure()
        commit = self._resolve(checkpoint_id)
        raw = self._git.run("cat-file", "commit", commit).decode("utf-8", "surrogateescape")
        header, _, message = raw.partition("\n\n")
        tree = header.split("\n", 1)[0].split(" ", 1)[1]
        cp = decode_message(commit, tree, message)
        if cp is None:
            raise CheckpointNotFoundError(f"commit {commit} in {self.git_dir} is not a Workbench checkpoint")
        return cp

    def list_checkpoints(self, session_id: str | None = None) -> list[Checkpoint]:
        """Return the checkpoints, oldest first.

        Args:
            session_id: only this session's; None for all sessions.
        """
        self._ensure()
        pattern = CHECKPOINT_REFS + (check_session_id(session_id) + "/" if session_id else "")
        out = self._git.run("for-each-ref", "--format=%(objectname) %(tree)%00%(contents)%00", pattern)
        result: list[Checkpoint] = []
        for record in out.decode("utf-8", "surrogateescape").split("\0\n"):
            if not record:
                continue
            head, _, message = record.partition("\0")
            commit, tree = head.split(" ")
            cp = decode_message(commit, tree, message)
            if cp is not None:
                result.append(cp)
        result.sort(key=lambda c: c.created_at)
        return result

    def diff(self, checkpoint_id: str, against: str = "worktree", *, stat: bool = False) -> str:
        """Return the unified diff from a checkpoint to the workspace now or to another checkpoint.

        Args:
            checkpoint_id: the "old" side.
            against: ``"worktree"`` (the workspace as a snapshot would capture it now, not
                committed) or another checkpoint id (the "new" side).
            stat: return git's ``--stat`` summary instead of the patch.

        Returns:
            Text of ``git diff`` (binary files show as ``Binary files ... differ``).

        Raises:
            CheckpointNotFoundError: an id does not exist.
            RestoreIncompleteError: diffing against the worktree while a restore is cut midway.
        """
        old = self._resolve_tree(checkpoint_id)
        if against == "worktree":
            with self._locked():
                self._check_no_journal()
                stage_worktree(self._git, self.workspace, self.settings)
                new = self._git.run("write-tree").decode().strip()
        else:
            new = self._resolve_tree(against)
        mode = ["--stat=200"] if stat else ["--patch"]
        out = self._git.run("diff", "--no-color", "--no-ext-diff", "--no-textconv", "--no-renames", *mode, old, new)
        return out.decode("utf-8", "replace")

    def _resolve_tree(self, checkpoint_id: str) -> str:
        self._ensure()
        commit = self._resolve(checkpoint_id)
        return self._git.run("rev-parse", f"{commit}^{{tree}}").decode().strip()

    # ----------------------------------------------------------------- restore
    def restore(self, checkpoint_id: str, *, session_id: str = DEFAULT_SESSION) -> RestoreResult:
        """Make the workspace equal to a checkpoint, byte for byte, for captured content.

        First a checkpoint "before restore to <id>" is taken (always, even if nothing changed),
        so the restore can be undone by restoring ``result.before_restore.id``. Then files that
        are captured now but not in the checkpoint are removed, files of the checkpoint are
        written (content and executable bit; symlinks as symlinks). Ignored, excluded and
        oversize files that are not in the checkpoint, and everything inside any ``.git``, are
        never touched. See :mod:`.restore` for the crash-safety protocol.

        Args:
            checkpoint_id: the checkpoint to restore.
            session_id: the session that owns the "before restore" checkpoint.

        Raises:
            CheckpointNotFoundError: no such checkpoint.
            RestoreIncompleteError: an earlier restore was cut midway; recover first.
            RestoreConflictError: an untracked file or folder is in the way of a file to write
                (the journal stays; fix the path, then call recover_incomplete_restore()).
        """
        check_session_id(session_id)
        with self._locked():
            self._check_no_journal()
            target = self._resolve(checkpoint_id)
            target_tree = self._git.run("rev-parse", f"{target}^{{tree}}").decode().strip()
            before = self._snapshot_locked(
                f"before restore to {target[:8]}",
                {"kind": "before_restore", "restore_target": target},
                session_id,
                force=True,
            )
            ops = restore_mod.plan(self._git, before.tree, target_tree)
            restore_mod.write_journal(
                self.git_dir,
                {
                    "format": 1,
                    "target": target,
                    "pre_restore": before.id,
                    "started_at": datetime.now(UTC).isoformat(),
                    "ops": [[op.kind, op.path, op.blob, op.mode] for op in ops],
                },
            )
            restore_mod.apply(self._git, self.workspace, ops, self.settings.fsync_files)
            restore_mod.remove_journal(self.git_dir)
        return RestoreResult(
            target=target,
            before_restore=before,
            written=[op.path for op in ops if op.kind == "write"],
            deleted=[op.path for op in ops if op.kind == "delete"],
        )

    def recover_incomplete_restore(self) -> str | None:
        """Complete a restore that was cut midway (roll forward), if any.

        Every operation in the intent journal is applied again (they are idempotent), so each
        file ends wholly at its checkpoint content; then the journal is removed. To go back
        instead, restore the journal's pre-restore checkpoint afterwards.

        Returns:
            The id of the checkpoint the workspace now equals, or None if no restore was pending.

        Raises:
            RestoreConflictError: an untracked file or folder blocks a write (fix it, call again).
        """
        with self._locked():
            journal = restore_mod.read_journal(self.git_dir)
            if journal is None:
                return None
            ops = [restore_mod.Op(kind, path, blob, mode) for kind, path, blob, mode in journal["ops"]]
            restore_mod.apply(self._git, self.workspace, ops, self.settings.fsync_files)
            restore_mod.remove_journal(self.git_dir)
            return str(journal["target"])

    # ----------------------------------------------------------------- gc
    def gc(self, keep_days: float | None = None, live_session_ids: Iterable[str] | None = None) -> GcResult:
        """Delete old checkpoints and those of deleted sessions, then let git prune their objects.

        A checkpoint is deleted when its session is not in ``live_session_ids`` (if given) or it
        is older than ``keep_days``. ``refs/wbmeta/latest`` keeps the workspace's newest commit
        alive (it is the base of the next ``files_changed``), even if its ref was deleted.

        Args:
            keep_days: age limit in days; None uses ``settings.keep_days`` (None there: no limit).
            live_session_ids: the sessions that still exist; None keeps every session.

        Returns:
            The pruned ids and the number kept.

        Raises:
            RestoreIncompleteError: a restore was cut midway; recover first.
        """
        keep_days = self.settings.keep_days if keep_days is None else keep_days
        live = set(live_session_ids) if live_session_ids is not None else None
        cutoff = datetime.now(UTC) - timedelta(days=keep_days) if keep_days is not None else None
        with self._locked():
            self._check_no_journal()  # the journal's blobs must stay until recovery
            everything = self.list_checkpoints()
            doomed = [
                cp for cp in everything if (live is not None and cp.session_id not in live) or (cutoff and cp.created_at < cutoff)
            ]
            lines = [f"delete {CHECKPOINT_REFS}{cp.session_id}/{cp.id}\n" for cp in doomed]
            if live is not None:
                for sid in {cp.session_id for cp in everything} - live:
                    lines.append(f"delete {SESSION_LATEST_PREFIX}{sid}\n")
            if lines:
                self._git.run("update-ref", "--stdin", input="".join(lines).encode())
                self._git.run("reflog", "expire", "--expire=now", "--all")
                self._git.run("gc", "--prune=now", "--quiet")
        return GcResult(pruned=[cp.id for cp in doomed], kept=len(everything) - len(doomed))

    # ----------------------------------------------------------------- async wrappers
    async def snapshot_async(
        self, label: str, meta: dict[str, Any] | None = None, *, session_id: str = DEFAULT_SESSION
    ) -> Checkpoint:
        """:meth:`snapshot` in a worker thread."""
        return await asyncio.to_thread(self.snapshot, label, meta, session_id=session_id)

    async def list_checkpoints_async(self, session_id: str | None = None) -> list[Checkpoint]:
        """:meth:`list_checkpoints` in a worker thread."""
        return await asyncio.to_thread(self.list_checkpoints, session_id)

    async def diff_async(self, checkpoint_id: str, against: str = "worktree", *, stat: bool = False) -> str:
        """:meth:`diff` in a worker thread."""
        return await asyncio.to_thread(self.diff, checkpoint_id, against, stat=stat)

    async def restore_async(self, checkpoint_id: str, *, session_id: str = DEFAULT_SESSION) -> RestoreResult:
        """:meth:`restore` in a worker thread."""
        return await asyncio.to_thread(self.restore, checkpoint_id, session_id=session_id)

    async def recover_incomplete_restore_async(self) -> str | None:
        """:meth:`recover_incomplete_restore` in a worker thread."""
        return await asyncio.to_thread(self.recover_incomplete_restore)

    async def gc_async(self, keep_days: float | None = None, live_session_ids: Iterable[str] | None = None) -> GcResult:
        """:meth:`gc` in a worker thread."""
        return await asyncio.to_thread(self.gc, keep_days, live_session_ids)


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` (a data-dir file) with mode 0600."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
