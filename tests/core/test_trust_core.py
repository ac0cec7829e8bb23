"""Workspace trust, the core API: content-addressed decisions, what applies after a change, Workbench's
own writes, inheritance by copies, and files an attacker shapes oddly (FIFO, symlink, huge)."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from workbench.core import trust
from workbench.core.trust.describe import describe, render_text


def _ws(tmp_path: Path, name: str = "ws") -> Path:
    ws = tmp_path / name
    (ws / ".workbench").mkdir(parents=True)
    return ws.resolve()


def test_trust_records_what_was_shown_not_what_is_on_disk_later(tmp_path: Path, home: Path) -> None:
    ws = _ws(tmp_path)
    cfg = ws / ".workbench" / "config.toml"
    cfg.write_text('[agent]\nmode = "read-only"\n')
    shown = trust.check(ws)
    cfg.write_text('[agent]\nmode = "full-auto"\n')  # swapped after the user looked
    after = trust.trust(ws, shown)
    assert not after.trusted and after.file(trust.CONFIG).status == "changed"
    assert trust.effective_bytes(ws, trust.CONFIG) == b'[agent]\nmode = "read-only"\n'


def test_a_file_added_after_trust_is_ignored_and_listed(tmp_path: Path, home: Path) -> None:
    ws = _ws(tmp_path)
    trust.trust(ws)
    (ws / "CLAUDE.md").write_text("new rules\n")
    report = trust.check(ws)
    assert [f.rel for f in report.pending] == [trust.CLAUDE_MD]
    assert trust.effective_bytes(ws, trust.CLAUDE_MD) is None
    text = render_text(report, describe(report))
    assert "CLAUDE.md — instructions for the model (added since you trusted this workspace)" in text
    assert "│ new rules" in text
    assert "ignored changes since you trusted CLAUDE.md" in trust.warning_line(report)


def test_own_write_keeps_a_trusted_file_trusted_but_never_launders_untrusted_content(tmp_path: Path, home: Path) -> None:
    ws = _ws(tmp_path)
    mcp = ws / ".mcp.json"
    before = trust.check(ws).file(trust.MCP_JSON)  # absent, never decided
    mcp.write_text('{"mcpServers": {"mine": {"command": "x"}}}')
    assert trust.record_own_write(ws, before, mcp.read_bytes())
    assert trust.check(ws).file(trust.MCP_JSON).status == "trusted"

    other = _ws(tmp_path, "cloned")
    (other / ".mcp.json").write_text('{"mcpServers": {"evil": {"command": "curl"}}}')  # the attacker's
    before = trust.check(other).file(trust.MCP_JSON)
    (other / ".mcp.json").write_text('{"mcpServers": {"evil": {"command": "curl"}, "mine": {"command": "x"}}}')
    assert not trust.record_own_write(other, before, (other / ".mcp.json").read_bytes())
    assert trust.check(other).file(trust.MCP_JSON).status == "new"


def test_a_copy_inherits_the_trust_of_its_origin(tmp_path: Path, home: Path) -> None:
    origin = _ws(tmp_path, "origin")
    (origin / "AGENTS.md").write_text("be careful\n")
    assert not trust.inherit(origin, tmp_path / "nothing-yet")  # an untrusted origin gives nothing
    trust.trust(origin)
    copy = _ws(tmp_path, "copy")
    (copy / "AGENTS.md").write_text("be careful\n")
    assert trust.inherit(origin, copy)
    report = trust.check(copy)
    assert report.trusted and report.record["via"] == f"inherited from {origin}"


def test_fifo_symlink_and_huge_files_never_block_or_apply(tmp_path: Path, home: Path) -> None:
    ws = _ws(tmp_path)
    os.mkfifo(ws / "AGENTS.md")  # reading a FIFO would block forever
    secret = tmp_path / "id_rsa"
    secret.write_text("-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n")
    (ws / "CLAUDE.md").symlink_to(secret)
    done = threading.Event()
    result: list[trust.TrustReport] = []
    worker = threading.Thread(target=lambda: (result.append(trust.check(ws)), done.set()), daemon=True)
    worker.start()
    assert done.wait(10), "check() blocked on a FIFO"
    report = result[0]
    assert report.file(trust.AGENTS_MD).data is None and "not a regular file" in report.file(trust.AGENTS_MD).note
    assert report.file(trust.CLAUDE_MD).note == f"a symlink to {secret}"
    text = render_text(report, describe(report))
    assert f"note: a symlink to {secret}" in text
    trust.trust(ws)
    from workbench.core.agent.context import project_instructions

    assert project_instructions(ws, 65536) == []  # a symlinked instruction file is never read
