"""``sessions``, ``export`` (md/json/html, stdout and ``-o``), ``checkpoints``, ``rewind``, ``gc``."""

from __future__ import annotations

import html.parser
import json

import pytest

from workbench.scripted.server import Reply, ToolCallSpec

from .conftest import llm_env, one_line_reason


@pytest.fixture
def session(wb, e2e_ws, scripted):
    """A finished session in ``e2e_ws``: the agent rewrote hello.py (a checkpoint was taken)."""
    scripted.enqueue(
        Reply(tool_calls=[ToolCallSpec("write_file", json.dumps({"path": "hello.py", "content": "print('bye')\n"}), id="w1")]),
        Reply(text="Changed the greeting to **bye**."),
    )
    proc = wb("run", "--yes", "--json", "-p", "say bye <please>", "--path", e2e_ws, env=llm_env(scripted))
    assert proc.returncode == 0, proc.stderr
    assert (e2e_ws / "hello.py").read_text() == "print('bye')\n"
    return json.loads(proc.stdout.splitlines()[0])["session_id"]


def test_sessions_list_and_show(wb, e2e_ws, session) -> None:
    listed = wb("sessions", "--path", e2e_ws)
    assert listed.returncode == 0, listed.stderr
    assert session in listed.stdout and "closed" in listed.stdout
    rows = json.loads(wb("sessions", "--json", "--path", e2e_ws).stdout)
    assert [r["id"] for r in rows] == [session]
    shown = wb("sessions", "show", session[:6], "--path", e2e_ws)
    assert shown.returncode == 0, shown.stderr
    assert "## You\n\nsay bye <please>" in shown.stdout and "Changed the greeting to **bye**." in shown.stdout
    missing = wb("sessions", "show", "zzzz", "--path", e2e_ws)
    assert missing.returncode == 2 and "zzzz" in one_line_reason(missing)
    empty = wb("sessions", "--path", e2e_ws.parent)
    assert empty.returncode == 0 and "No sessions yet" in empty.stdout


class _Text(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.text = []

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_export_md_json_html_to_stdout_and_file(wb, e2e_ws, session, tmp_path) -> None:
    md = wb("export", session, "--path", e2e_ws)  # md is the default
    assert md.returncode == 0, md.stderr
    assert "say bye <please>" in md.stdout and "Changed the greeting to **bye**." in md.stdout
    js = wb("export", session, "--format", "json", "--path", e2e_ws)
    assert js.returncode == 0, js.stderr
    events = json.loads(js.stdout)
    kinds = {e["kind"] for e in events}
    assert {"user.message", "assistant.message", "tool.finished"} <= kinds
    page = wb("export", session, "-f", "html", "--path", e2e_ws)
    assert page.returncode == 0, page.stderr
    assert page.stdout.lstrip().lower().startswith("<!doctype html")
    assert "say bye &lt;please&gt;" in page.stdout and "<please>" not in page.stdout
    parser = _Text()
    parser.feed(page.stdout)
    assert "say bye <please>" in "".join(parser.text)

    for fmt, check in (("md", "Changed the greeting"), ("json", '"assistant.message"'), ("html", "&lt;please&gt;")):
        out = tmp_path / "exports" / f"s.{fmt}"
        out.parent.mkdir(exist_ok=True)
        proc = wb("export", session, "--format", fmt, "-o", out, "--path", e2e_ws)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout == "" and f"wrote {out}" in proc.stderr
        assert check in out.read_text(encoding="utf-8")
    assert json.loads((tmp_path / "exports" / "s.json").read_text()) == events

    bad = wb("export", "nope", "--path", e2e_ws)
    assert bad.returncode == 2 and "nope" in one_line_reason(bad)
    (tmp_path / "a-file").write_text("")
    unwritable = wb("export", session, "-o", tmp_path / "a-file" / "x.md", "--path", e2e_ws)
    assert unwritable.returncode == 1 and "cannot write" in one_line_reason(unwritable)


def test_checkpoints_rewind_gc(wb, e2e_ws, session) -> None:
    listed = wb("checkpoints", "--json", "--path", e2e_ws)
    assert listed.returncode == 0, listed.stderr
    cps = json.loads(listed.stdout)
    assert [c["label"] for c in cps] == ["before: say bye <please>", "after turn"]
    assert all(c["session"] == session for c in cps)
    assert cps[1]["files_changed"] == [["M", "hello.py"]]
    cp = cps[0]  # before the agent's change
    text = wb("checkpoints", session[:6], "--path", e2e_ws)
    assert cp["checkpoint"][:12] in text.stdout

    rewound = wb("rewind", cp["checkpoint"][:10], "--files", "--path", e2e_ws)
    assert rewound.returncode == 0, rewound.stderr
    assert (e2e_ws / "hello.py").read_text() == "print('hello')\n"
    assert "Rewound files" in rewound.stdout and "Undo with: workbench rewind" in rewound.stdout
    undo = rewound.stdout.split("Undo with: workbench rewind ")[1].split()[0]
    again = wb("rewind", undo, "--files", "--path", e2e_ws)
    assert again.returncode == 0, again.stderr
    assert (e2e_ws / "hello.py").read_text() == "print('bye')\n"

    forked = wb("rewind", cp["checkpoint"], "--conversation", "--path", e2e_ws)
    assert forked.returncode == 0, forked.stderr
    assert "Conversation forked into session" in forked.stdout

    gc = wb("gc", "--keep-days", "0", "--path", e2e_ws)
    assert gc.returncode == 0, gc.stderr
    assert gc.stdout.startswith("Pruned ") and "kept" in gc.stdout
    unknown = wb("rewind", "ffffffff", "--path", e2e_ws)
    assert unknown.returncode == 2 and "no checkpoint" in one_line_reason(unknown)
    none = wb("checkpoints", "--path", e2e_ws.parent)
    assert none.returncode == 0 and "No checkpoints yet" in none.stdout
