"""Edits through the agent loop keep files as they are: encoding (detected with charset-normalizer),
BOM, line endings, a missing final newline, mode and owner. Only the edited span changes."""

from __future__ import annotations

import os
import stat

from workbench.scripted.server import Reply, ToolCallSpec

from .conftest import args, tool_messages

CASES = {
    # name: (original bytes, old_text, new_text, expected bytes)
    "cp1252.txt": (
        ("Price list \u2014 \u201cwinter\u201d edition\r\n" + "Caf\xe9 cr\xe8me: 5\u20ac\r\n" * 12 + "end").encode("cp1252"),
        "end",
        "fin -> 5\u20ac",
        ("Price list \u2014 \u201cwinter\u201d edition\r\n" + "Caf\xe9 cr\xe8me: 5\u20ac\r\n" * 12 + "fin -> 5\u20ac").encode(
            "cp1252"
        ),
    ),
    "sjis.txt": (
        ("\u8a2d\u5b9a\u30d5\u30a1\u30a4\u30eb\u3067\u3059\u3002\n" * 6 + "\u540d\u524d = \u5c71\u7530\n").encode("shift_jis"),
        "\u540d\u524d = \u5c71\u7530",
        "\u540d\u524d = \u7530\u4e2d\n\u5e74\u9f62 = 30",
        (
            "\u8a2d\u5b9a\u30d5\u30a1\u30a4\u30eb\u3067\u3059\u3002\n" * 6 + "\u540d\u524d = \u7530\u4e2d\n\u5e74\u9f62 = 30\n"
        ).encode("shift_jis"),
    ),
    "latin1.txt": (b"na\xefve\r\ncaf\xe9", "caf\xe9", "th\xe9\ncaf\xe9", b"na\xefve\r\nth\xe9\r\ncaf\xe9"),
    "bom_crlf.txt": (b"\xef\xbb\xbfa = 1\r\nb = 2", "a = 1\nb = 2", "a = 1\nb = 3", b"\xef\xbb\xbfa = 1\r\nb = 3"),
}


async def test_detected_encodings_round_trip_byte_for_byte_except_the_edit(make_rig, server, workspace):
    for name, (data, *_rest) in CASES.items():
        (workspace / name).write_bytes(data)
    user_owned, root_owned = workspace / "sjis.txt", workspace / "latin1.txt"
    os.chown(user_owned, 4242, 4343)
    os.chmod(user_owned, 0o640)
    os.chmod(root_owned, 0o600)
    replies = [Reply(tool_calls=[ToolCallSpec("read_file", args(path=name), id=f"r-{name}") for name in CASES])]
    replies += [
        Reply(tool_calls=[ToolCallSpec("edit_file", args(path=name, old_text=old, new_text=new), id=f"e-{name}")])
        for name, (_d, old, new, _x) in CASES.items()
    ]
    server.enqueue(*replies, Reply(text="done"))
    rig = await make_rig("auto-edit")
    out = await rig.chat.send("edit the files")
    assert out.status == "done", out.error
    sent = tool_messages(server.requests[-1]["body"])
    assert "decoded as cp1252" in sent["r-cp1252.txt"] and "\u201cwinter\u201d" in sent["r-cp1252.txt"]
    assert "decoded as cp932" in sent["r-sjis.txt"] and "\u540d\u524d = \u5c71\u7530" in sent["r-sjis.txt"]
    for name, (_d, _o, _n, expected) in CASES.items():
        assert not sent[f"e-{name}"].startswith("Error"), sent[f"e-{name}"]
        assert (workspace / name).read_bytes() == expected, name
    st = user_owned.stat()
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (4242, 4343, 0o640)
    st = root_owned.stat()
    assert (st.st_uid, stat.S_IMODE(st.st_mode)) == (0, 0o600)
    await rig.services.aclose()


async def test_text_the_encoding_cannot_hold_is_refused_for_edit_like_for_read(make_rig, server, workspace):
    data = ("\u8a2d\u5b9a\u30d5\u30a1\u30a4\u30eb\u3067\u3059\u3002\n" * 6).encode("shift_jis")
    (workspace / "sjis.txt").write_bytes(data)
    server.enqueue(
        Reply(
            tool_calls=[
                ToolCallSpec(
                    "edit_file", args(path="sjis.txt", old_text="\u3067\u3059", new_text="\U0001f600", replace_all=True), id="e1"
                )
            ]
        ),
        Reply(text="ok"),
    )
    rig = await make_rig("auto-edit")
    assert (await rig.chat.send("emoji")).status == "done"
    msg = tool_messages(server.requests[-1]["body"])["e1"]
    assert msg.startswith("Error: ") and "is a cp932 file" in msg and "U+1F600" in msg
    assert (workspace / "sjis.txt").read_bytes() == data
    await rig.services.aclose()
