"""``workbench export``: a whole session as Markdown, JSON and HTML, through the real CLI entry."""

from __future__ import annotations

import argparse
import json

from workbench.cli.commands.export import add_export_parser, run_export_command
from workbench.scripted.server import Reply, ToolCallSpec

from .conftest import args

EVIL = '<script>alert("x")</script>'
LONG = "Answer start. " + "z" * 600 + " END-OF-LONG-ANSWER"


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="workbench")
    add_export_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(["export", *argv])


async def make_session(make_services, server, workspace):
    server.enqueue(
        Reply(tool_calls=[ToolCallSpec("write_file", args(path="page.html", content=EVIL), id="h1")]),
        Reply(text=LONG),
    )
    services = await make_services("full-auto")
    await services.chat.send(f"write a page with {EVIL}")
    sid = services.chat.session.id
    await services.aclose()
    from workbench.core.runtime import event_log_path
    from workbench.core.store import EventStore

    store = EventStore(event_log_path(workspace))
    try:
        events = store.events(sid)
    finally:
        store.close()
    assert events[-1].kind == "session.closed"
    return sid, events


async def test_export_three_formats(make_services, server, workspace, tmp_path, capsys):
    sid, events = await make_session(make_services, server, workspace)
    out = tmp_path / "out"
    # json: every event, in order, as stored
    assert (
        run_export_command(parse([sid[:6], "--format", "json", "--output", str(out / "s.json"), "--path", str(workspace)])) == 0
    )
    data = json.loads((out / "s.json").read_text())
    assert [e["seq"] for e in data] == [e.seq for e in events]
    assert [e["kind"] for e in data] == [e.kind for e in events]
    assert data[0]["payload"]["workspace"] == str(workspace.resolve())
    # md: like the journal, answers in full
    assert run_export_command(parse([sid, "-f", "md", "-o", str(out / "s.md"), "--path", str(workspace)])) == 0
    md = (out / "s.md").read_text()
    assert md.startswith(f"# Session {sid}: write a page with")
    assert "tool `write_file`" in md and "END-OF-LONG-ANSWER" in md and "### Turn 1" in md
    # html: standalone, everything escaped
    assert run_export_command(parse([sid, "-f", "html", "-o", str(out / "s.html"), "--path", str(workspace)])) == 0
    page = (out / "s.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert "<script" not in page.lower(), "no script tag survives"
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "END-OF-LONG-ANSWER" in page and "<h2>Turn 1</h2>" in page
    assert 'src="http' not in page and 'href="http' not in page, "no external resource"
    # stdout when no --output
    capsys.readouterr()
    assert run_export_command(parse([sid, "--path", str(workspace)])) == 0
    assert capsys.readouterr().out == md


async def test_export_errors_name_the_fix(make_services, server, workspace, tmp_path, capsys):
    sid, _ = await make_session(make_services, server, workspace)
    assert run_export_command(parse(["nosuchid", "--path", str(workspace)])) == 2
    assert "no session with id 'nosuchid'" in capsys.readouterr().err
    assert run_export_command(parse([sid, "--path", str(tmp_path / "missing")])) == 2
    assert "is not a folder" in capsys.readouterr().err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run_export_command(parse([sid, "--path", str(empty)])) == 2
    assert "no sessions in" in capsys.readouterr().err
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert run_export_command(parse([sid, "-o", str(blocker / "sub" / "x.md"), "--path", str(workspace)])) == 1
    assert "cannot write" in capsys.readouterr().err
