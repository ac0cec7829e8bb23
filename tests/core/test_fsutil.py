"""``core/fsutil.py`` (atomic write) and ``core/jsonfile.py`` (JSON side files): real files, a real
full disk (a 2 MB tmpfs), real concurrent processes."""

from __future__ import annotations

import errno
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.tmpfs import small_tmpfs

from workbench.core.fsutil import atomic_write, fsync_dir
from workbench.core.jsonfile import load_json, save_json, set_aside


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_atomic_write_replaces_content_and_keeps_the_mode(tmp_path: Path) -> None:
    target = tmp_path / "doc.md"
    target.write_text("old\n")
    target.chmod(0o640)
    atomic_write(target, "new ✓\n")
    assert target.read_text(encoding="utf-8") == "new ✓\n"
    assert _mode(target) == 0o640
    atomic_write(target, b"bytes\n")
    assert target.read_bytes() == b"bytes\n" and _mode(target) == 0o640
    assert _leftovers(tmp_path) == []


def test_atomic_write_new_file_modes(tmp_path: Path) -> None:
    umask = os.umask(0o022)
    os.umask(umask)
    atomic_write(tmp_path / "plain", "x")
    assert _mode(tmp_path / "plain") == 0o666 & ~umask  # as open() would create it
    atomic_write(tmp_path / "private", "x", new_mode=0o600)
    assert _mode(tmp_path / "private") == 0o600
    (tmp_path / "forced").write_text("x")
    (tmp_path / "forced").chmod(0o644)
    atomic_write(tmp_path / "forced", "y", mode=0o600)
    assert _mode(tmp_path / "forced") == 0o600
    atomic_write(tmp_path / "a" / "b" / "deep", "z", parents=True)
    assert (tmp_path / "a" / "b" / "deep").read_text() == "z"
    with pytest.raises(FileNotFoundError):
        atomic_write(tmp_path / "missing" / "f", "z")
    fsync_dir(tmp_path / "no-such-folder")  # best effort: no error


def test_disk_full_leaves_the_old_file_intact(tmp_path: Path) -> None:
    with small_tmpfs(tmp_path / "small", size="2m") as mnt:
        target = mnt / "state.json"
        target.write_text('{"old": true}\n')
        target.chmod(0o600)
        with pytest.raises(OSError) as caught:
            atomic_write(target, b"x" * (3 * 1024 * 1024))
        assert caught.value.errno == errno.ENOSPC
        assert target.read_text() == '{"old": true}\n' and _mode(target) == 0o600
        assert _leftovers(mnt) == []  # the temporary file was removed
        with pytest.raises(OSError):
            save_json(target, {"big": "y" * (3 * 1024 * 1024)})
        assert load_json(target) == {"old": True}


def test_a_corrupt_side_file_is_set_aside_with_a_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "approvals.json"
    path.write_bytes(b'{"servers": {"a": ')  # truncated
    messages: list[str] = []
    assert load_json(path, what="plugin approvals", warn=messages.append) == {}
    [aside] = [p for p in tmp_path.iterdir() if p.name.startswith("approvals.json.corrupt-")]
    assert aside.read_bytes() == b'{"servers": {"a": '  # kept as it was
    assert not path.exists()
    [message] = messages
    assert str(path) in message and "plugin approvals" in message and aside.name in message
    assert "not valid JSON" in message
    save_json(path, {"servers": {}})
    assert json.loads(path.read_text()) == {"servers": {}} and _mode(path) == 0o600
    assert aside.read_bytes() == b'{"servers": {"a": '  # never overwritten

    path.write_text("[1, 2]")  # valid JSON, not an object
    assert load_json(path, warn=messages.append) == {}
    assert "expected a JSON object" in messages[-1]
    assert len([p for p in tmp_path.iterdir() if ".corrupt-" in p.name]) == 2  # a second, free name

    path.write_bytes(b"\xff\xfe")  # not UTF-8
    assert load_json(path, warn=messages.append) == {}
    assert not path.exists()
    assert load_json(tmp_path / "missing.json", warn=messages.append) == {} and len(messages) == 3


def test_set_aside_picks_a_free_name(tmp_path: Path) -> None:
    first, second = tmp_path / "f", tmp_path / "f"
    first.write_text("1")
    a = set_aside(first)
    second.write_text("2")
    b = set_aside(second)
    assert a != b and a.read_text() == "1" and b.read_text() == "2"


def test_update_json_serializes_concurrent_processes(tmp_path: Path) -> None:
    path = tmp_path / "counter.json"
    script = (
        "import sys; from pathlib import Path; from workbench.core.jsonfile import update_json\n"
        "def bump(d): d['n'] = d.get('n', 0) + 1; d.setdefault('who', []).append(sys.argv[2])\n"
        "for _ in range(40): update_json(Path(sys.argv[1]), bump)\n"
    )
    procs = [subprocess.Popen([sys.executable, "-c", script, str(path), str(i)]) for i in range(3)]
    assert [p.wait(120) for p in procs] == [0, 0, 0]
    data = json.loads(path.read_text())
    assert data["n"] == 120 and sorted(set(data["who"])) == ["0", "1", "2"]
    assert _leftovers(tmp_path) == []
