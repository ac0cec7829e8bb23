"""write_file, edit_file, delete_file, move_file: results, previews, overrides and refusals."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from workbench.core.tools.base import ToolContext, ToolError
from workbench.core.tools.pathguard import PathRefused


async def test_write_creates_parents_and_diff(ws: Path, ctx: ToolContext, tools) -> None:
    result = await tools["write_file"].run({"path": "src/pkg/mod.py", "content": "a = 1\n"}, ctx)
    assert (ws / "src/pkg/mod.py").read_text() == "a = 1\n"
    assert result.content == "created src/pkg/mod.py (1 lines, +1 -0)"
    assert result.changed_paths == ["src/pkg/mod.py"]
    assert result.diff == "--- /dev/null\n+++ b/src/pkg/mod.py\n@@ -0,0 +1 @@\n+a = 1\n"
    result = await tools["write_file"].run({"path": "./src//pkg/mod.py", "content": "a = 2"}, ctx)
    assert result.summary == "wrote src/pkg/mod.py (1 lines, +1 -1)"
    assert result.diff.endswith("+a = 2\n\\ No newline at end of file\n")


async def test_write_preview_and_override(ws: Path, ctx: ToolContext, tools) -> None:
    (ws / "a.txt").write_text("old\n")
    args = {"path": "a.txt", "content": "new\n"}
    proposal = await tools["write_file"].preview(args, ctx)
    assert (proposal.path, proposal.old_text, proposal.new_text, proposal.editable) == ("a.txt", "old\n", "new\n", True)
    assert "-old\n+new\n" in proposal.diff
    assert (ws / "a.txt").read_text() == "old\n"  # preview changes nothing
    new_file = await tools["write_file"].preview({"path": "x/y.txt", "content": "hi\n"}, ctx)
    assert new_file.old_text is None and not (ws / "x").exists()
    result = await tools["write_file"].run(args, ctx, override="edited by user\n")
    assert (ws / "a.txt").read_text() == "edited by user\n"
    assert "+edited by user" in result.diff


async def test_write_refusals(ws: Path, outside: Path, ctx: ToolContext, tools, snap) -> None:
    (ws / "link").symlink_to(outside)
    (ws / "flink").symlink_to(outside / "secret.txt")
    os.link(outside / "secret.txt", ws / "hard.txt")
    (ws / "dir").mkdir()
    before = snap(outside)
    write = tools["write_file"]
    for rel, error, text in [
        ("link/new.txt", PathRefused, "'link' is a symbolic link"),
        ("flink", PathRefused, "'flink' is a symbolic link"),
        ("hard.txt", PathRefused, "'hard.txt' has 2 hard links"),
        ("/tmp/x", PathRefused, "absolute path"),
        ("../x", PathRefused, "'..' component"),
        ("a\x00", PathRefused, "NUL byte"),
        ("", PathRefused, "empty path"),
        ("dir", ToolError, "'dir' is a directory"),
    ]:
        with pytest.raises(error, match=text):
            await write.run({"path": rel, "content": "pwned"}, ctx)
        with pytest.raises(error, match=text):
            await write.preview({"path": rel, "content": "pwned"}, ctx)
    assert snap(outside) == before
    with pytest.raises(ToolError, match="over the"):
        await write.run({"path": "big", "content": "x"}, ToolContext(ws, type(ctx.limits)(write_max_bytes=0)))


async def test_edit_exactly_once(ws: Path, ctx: ToolContext, tools) -> None:
    (ws / "a.py").write_text("def f():\n    return 1\n")
    edit = tools["edit_file"]
    args = {"path": "a.py", "old_text": "return 1", "new_text": "return 2"}
    proposal = await edit.preview(args, ctx)
    assert proposal.new_text == "def f():\n    return 2\n" and proposal.editable
    assert "-    return 1\n+    return 2\n" in proposal.diff
    result = await edit.run(args, ctx)
    assert (ws / "a.py").read_text() == "def f():\n    return 2\n"
    assert result.summary == "wrote a.py (2 lines, +1 -1)" and result.changed_paths == ["a.py"]


async def test_edit_zero_and_many_matches(ws: Path, ctx: ToolContext, tools) -> None:
    (ws / "a.py").write_text("x = 1\ny = 2\nx = 1\n")
    edit = tools["edit_file"]
    with pytest.raises(ToolError) as info:
        await edit.run({"path": "a.py", "old_text": "z = 3", "new_text": "z = 4"}, ctx)
    assert str(info.value).startswith("old_text was not found in 'a.py' (0 matches). It must match the file exactly")
    with pytest.raises(ToolError) as info:
        await edit.run({"path": "a.py", "old_text": "x = 1", "new_text": "x = 9"}, ctx)
    assert str(info.value) == (
        "old_text matches 2 times in 'a.py' (starting at lines 1, 3); it must match exactly once: "
        "include more surrounding lines to make it unique, or set replace_all"
    )
    with pytest.raises(ToolError, match="matches 2 times"):  # overlapping matches count too
        (ws / "b.txt").write_text("aaa\n")
        await edit.run({"path": "b.txt", "old_text": "aa", "new_text": "b"}, ctx)
    assert (ws / "a.py").read_text() == "x = 1\ny = 2\nx = 1\n"


async def test_edit_hints_and_other_errors(ws: Path, ctx: ToolContext, tools) -> None:
    edit = tools["edit_file"]
    (ws / "ws.py").write_text("if x:\n\treturn 1\n")
    with pytest.raises(ToolError, match="A match exists if whitespace is ignored"):
        await edit.run({"path": "ws.py", "old_text": "if x:\n    return 1", "new_text": "z"}, ctx)
    with pytest.raises(ToolError, match="does not exist; use write_file"):
        await edit.run({"path": "new.py", "old_text": "a", "new_text": "b"}, ctx)
    with pytest.raises(ToolError, match="old_text is empty"):
        await edit.run({"path": "ws.py", "old_text": "", "new_text": "b"}, ctx)
    with pytest.raises(ToolError, match="identical"):
        await edit.run({"path": "ws.py", "old_text": "x", "new_text": "x"}, ctx)
    (ws / "latin1.txt").write_bytes(b"caf\xe9\n")
    with pytest.raises(ToolError, match="is a cp1252 file and the new text contains '→'"):
        await edit.run({"path": "latin1.txt", "old_text": "caf", "new_text": "→"}, ctx)
    assert (ws / "latin1.txt").read_bytes() == b"caf\xe9\n"


async def test_edit_keeps_crlf_and_accepts_override(ws: Path, ctx: ToolContext, tools) -> None:
    (ws / "crlf.txt").write_bytes(b"one\r\ntwo\r\n")
    await tools["edit_file"].run({"path": "crlf.txt", "old_text": "two", "new_text": "2"}, ctx)
    assert (ws / "crlf.txt").read_bytes() == b"one\r\n2\r\n"
    args = {"path": "crlf.txt", "old_text": "one", "new_text": "1"}
    await tools["edit_file"].run(args, ctx, override="user text\n")
    assert (ws / "crlf.txt").read_text() == "user text\n"
    with pytest.raises(ToolError, match="0 matches"):  # the old text is gone now
        await tools["edit_file"].run(args, ctx, override="again\n")


async def test_edit_refuses_hard_link_and_symlink(ws: Path, outside: Path, ctx: ToolContext, tools, snap) -> None:
    os.link(outside / "secret.txt", ws / "hard.txt")
    (ws / "soft.txt").symlink_to(outside / "secret.txt")
    before = snap(outside)
    args = {"old_text": "SECRET", "new_text": "pwned"}
    with pytest.raises(PathRefused, match="has 2 hard links; editing it in place is refused"):
        await tools["edit_file"].run({"path": "hard.txt", **args}, ctx)
    with pytest.raises(PathRefused, match="has 2 hard links"):
        await tools["edit_file"].preview({"path": "hard.txt", **args}, ctx)
    with pytest.raises(PathRefused, match="symbolic link"):
        await tools["edit_file"].run({"path": "soft.txt", **args}, ctx)
    assert snap(outside) == before


async def test_delete(ws: Path, outside: Path, ctx: ToolContext, tools, snap) -> None:
    (ws / "a.txt").write_text("bye\n")
    (ws / "b.bin").write_bytes(b"\xff\x00")
    (ws / "d").mkdir()
    (ws / "link").symlink_to(outside / "secret.txt")
    delete = tools["delete_file"]
    proposal = await delete.preview({"path": "a.txt"}, ctx)
    assert proposal.new_text is None and proposal.old_text == "bye\n" and "-bye" in proposal.diff
    assert not proposal.editable and (ws / "a.txt").exists()
    result = await delete.run({"path": "a.txt"}, ctx)
    assert not (ws / "a.txt").exists() and result.changed_paths == ["a.txt"] and result.content == "deleted a.txt"
    assert (await delete.preview({"path": "b.bin"}, ctx)).diff == "Binary file b.bin deleted\n"
    await delete.run({"path": "b.bin"}, ctx)
    assert not (ws / "b.bin").exists()
    with pytest.raises(ToolError, match="'d' is a directory; delete_file removes files only"):
        await delete.run({"path": "d"}, ctx)
    with pytest.raises(ToolError, match="'a.txt' does not exist"):
        await delete.run({"path": "a.txt"}, ctx)
    with pytest.raises(PathRefused, match="symbolic link"):
        await delete.run({"path": "link"}, ctx)
    with pytest.raises(ToolError, match="cannot take edited content"):
        await delete.run({"path": "x"}, ctx, override="y")
    assert (outside / "secret.txt").read_text() == "SECRET\n"


async def test_move(ws: Path, outside: Path, ctx: ToolContext, tools, snap) -> None:
    (ws / "a.txt").write_text("A\n")
    (ws / "b.txt").write_text("B\n")
    (ws / "dir").mkdir()
    (ws / "dir" / "c.txt").write_text("C\n")
    (ws / "link").symlink_to(outside)
    before = snap(outside)
    move = tools["move_file"]
    proposal = await move.preview({"src": "a.txt", "dst": "new/a2.txt"}, ctx)
    assert proposal.path == "a.txt -> new/a2.txt" and proposal.diff == "rename from a.txt\nrename to new/a2.txt\n"
    result = await move.run({"src": "a.txt", "dst": "new/a2.txt"}, ctx)
    assert (ws / "new/a2.txt").read_text() == "A\n" and not (ws / "a.txt").exists()
    assert result.changed_paths == ["a.txt", "new/a2.txt"] and result.content == "moved a.txt -> new/a2.txt"
    await move.run({"src": "dir", "dst": "dir2"}, ctx)
    assert (ws / "dir2" / "c.txt").read_text() == "C\n"
    with pytest.raises(ToolError, match="'b.txt' already exists"):
        await move.run({"src": "new/a2.txt", "dst": "b.txt"}, ctx)
    with pytest.raises(ToolError, match="inside it"):
        await move.run({"src": "dir2", "dst": "dir2/sub"}, ctx)
    with pytest.raises(PathRefused, match="symbolic link"):
        await move.run({"src": "b.txt", "dst": "link/b.txt"}, ctx)
    with pytest.raises(PathRefused, match="symbolic link"):
        await move.run({"src": "link", "dst": "elsewhere"}, ctx)
    with pytest.raises(PathRefused, match="'..' component"):
        await move.run({"src": "b.txt", "dst": "../b.txt"}, ctx)
    with pytest.raises(PathRefused, match="workspace root"):
        await move.run({"src": ".", "dst": "x"}, ctx)
    with pytest.raises(ToolError, match="'nope' does not exist"):
        await move.preview({"src": "nope", "dst": "x"}, ctx)
    assert snap(outside) == before


async def test_rewrites_keep_owner_and_mode(ws: Path, ctx: ToolContext, tools) -> None:
    """A file of uid 1000 (mode 0640) rewritten by write_file/edit_file (running as root) keeps its
    owner and mode; a new file in a uid-1000 folder belongs to that folder's owner."""
    if os.geteuid() != 0:
        pytest.skip("only root can own files of another user (CI runs the tests as root)")
    sub = ws / "user"
    sub.mkdir()
    os.chown(sub, 1000, 1000)
    target = sub / "a.txt"
    target.write_text("one\n")
    os.chown(target, 1000, 1000)
    target.chmod(0o640)
    await tools["write_file"].run({"path": "user/a.txt", "content": "two\n"}, ctx)
    st = target.stat()
    assert (st.st_uid, st.st_gid, st.st_mode & 0o777) == (1000, 1000, 0o640) and target.read_text() == "two\n"
    await tools["edit_file"].run({"path": "user/a.txt", "old_text": "two", "new_text": "three"}, ctx)
    st = target.stat()
    assert (st.st_uid, st.st_gid, st.st_mode & 0o777) == (1000, 1000, 0o640) and target.read_text() == "three\n"
    await tools["write_file"].run({"path": "user/new.txt", "content": "n\n"}, ctx)
    assert (sub / "new.txt").stat().st_uid == 1000
    await tools["write_file"].run({"path": "rootfile.txt", "content": "r\n"}, ctx)
    assert (ws / "rootfile.txt").stat().st_uid == ws.stat().st_uid


async def test_crlf_edit_matches_lf_text_and_writes_crlf(ws: Path, ctx: ToolContext, tools) -> None:
    (ws / "dos.txt").write_bytes(b"one\r\ntwo\r\nthree\r\nfour")  # no trailing newline
    await tools["edit_file"].run({"path": "dos.txt", "old_text": "one\ntwo\n", "new_text": "ONE\nTWO\nnew\n"}, ctx)
    assert (ws / "dos.txt").read_bytes() == b"ONE\r\nTWO\r\nnew\r\nthree\r\nfour"
    # new text sent with \r\n is not doubled; the end without newline is kept
    await tools["edit_file"].run({"path": "dos.txt", "old_text": "four", "new_text": "4\r\n5"}, ctx)
    assert (ws / "dos.txt").read_bytes() == b"ONE\r\nTWO\r\nnew\r\nthree\r\n4\r\n5"
    (ws / "unix.txt").write_bytes(b"a\nb\n")  # CRLF text from the model in an LF file
    await tools["edit_file"].run({"path": "unix.txt", "old_text": "a\r\nb", "new_text": "x\r\ny"}, ctx)
    assert (ws / "unix.txt").read_bytes() == b"x\ny\n"


async def test_bom_and_latin1_round_trip_except_the_edit(ws: Path, ctx: ToolContext, tools) -> None:
    (ws / "bom.txt").write_bytes(b"\xef\xbb\xbfk = 1\nv = 2\n")
    await tools["edit_file"].run({"path": "bom.txt", "old_text": "v = 2", "new_text": "v = 3"}, ctx)
    assert (ws / "bom.txt").read_bytes() == b"\xef\xbb\xbfk = 1\nv = 3\n"
    (ws / "l1.txt").write_bytes(b"caf\xe9 cr\xe8me\r\nna\xefve")
    read = (await tools["read_file"].run({"path": "l1.txt"}, ctx)).content
    assert "café crème" in read and "decoded as cp1252" in read  # Latin-1 letters are the same in cp1252
    await tools["edit_file"].run({"path": "l1.txt", "old_text": "naïve", "new_text": "déjà\nvu"}, ctx)
    assert (ws / "l1.txt").read_bytes() == b"caf\xe9 cr\xe8me\r\nd\xe9j\xe0\r\nvu"


async def test_replace_all(ws: Path, ctx: ToolContext, tools) -> None:
    (ws / "r.py").write_text("foo = foo + 1\nprint(foo)\n")
    edit = tools["edit_file"]
    await edit.run({"path": "r.py", "old_text": "foo", "new_text": "bar", "replace_all": True}, ctx)
    assert (ws / "r.py").read_text() == "bar = bar + 1\nprint(bar)\n"
    with pytest.raises(ToolError, match="0 matches"):
        await edit.run({"path": "r.py", "old_text": "foo", "new_text": "x", "replace_all": True}, ctx)


async def test_multi_edit_in_order_and_atomic(ws: Path, ctx: ToolContext, tools, snap) -> None:
    (ws / "m.py").write_text("a = 1\nb = 2\nc = 3\n")
    multi = tools["multi_edit"]
    args = {
        "path": "m.py",
        "edits": [
            {"old_text": "a = 1", "new_text": "a = 10"},
            {"old_text": "a = 10\nb", "new_text": "a = 10\nbb"},  # sees the first edit's result
            {"old_text": "3", "new_text": "30"},
        ],
    }
    proposal = await multi.preview(args, ctx)
    assert proposal.new_text == "a = 10\nbb = 2\nc = 30\n" and (ws / "m.py").read_text() == "a = 1\nb = 2\nc = 3\n"
    result = await multi.run(args, ctx)
    assert (ws / "m.py").read_text() == "a = 10\nbb = 2\nc = 30\n" and result.changed_paths == ["m.py"]
    before = snap(ws)
    bad = {"path": "m.py", "edits": [{"old_text": "a = 10", "new_text": "a = 0"}, {"old_text": "zzz", "new_text": "y"}]}
    with pytest.raises(ToolError, match="edit 2 of 2 failed, so none were applied: old_text was not found"):
        await multi.run(bad, ctx)
    assert snap(ws) == before
    with pytest.raises(ToolError, match="edit 1 of 2 failed"):
        await multi.run({"path": "m.py", "edits": [{"old_text": "= ", "new_text": "="}, {"old_text": "c", "new_text": "d"}]}, ctx)
    assert snap(ws) == before


async def test_write_file_keeps_latin1_when_it_can(ws: Path, ctx: ToolContext, tools) -> None:
    (ws / "l1.txt").write_bytes(b"caf\xe9\n")
    await tools["write_file"].run({"path": "l1.txt", "content": "déjà\n"}, ctx)
    assert (ws / "l1.txt").read_bytes() == b"d\xe9j\xe0\n"
    await tools["write_file"].run({"path": "l1.txt", "content": "€ 5\n"}, ctx)  # cp1252 holds €
    assert (ws / "l1.txt").read_bytes() == b"\x80 5\n"
    await tools["write_file"].run({"path": "l1.txt", "content": "→ 5\n"}, ctx)  # not cp1252: converted to UTF-8
    assert (ws / "l1.txt").read_bytes() == "→ 5\n".encode()
