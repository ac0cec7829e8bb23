"""Export a whole session: Markdown (like the journal, answers in full), JSON (every event), HTML.

The HTML page is standalone (inline CSS, no script, no external resource) and every piece of
text from the log goes through :func:`html.escape`, so a prompt or a tool output holding
``<script>`` is shown, never run. Blocking (reads the store): call from a thread or a CLI.
"""

from __future__ import annotations

import html
import json
import time
from collections.abc import Callable
from typing import Any

from workbench.core import event_payloads as P
from workbench.core.events import Event, EventKind
from workbench.core.journal.agent_md import MarkdownCursor, render_events
from workbench.core.journal.entries import COMMAND_TOOL, SKIPPED_KINDS, entry_for, parse_arguments

FORMATS = ("md", "json", "html")
"""Supported export formats."""


class ExportFormatError(ValueError):
    """The export format is not one of :data:`FORMATS`."""


def session_events(store: Any, session_id: str) -> tuple[Any, list[Event], Event | None]:
    """Return ``(session row, all its events, synthetic interrupted reply or None)``.

    Args:
        store: a synchronous :class:`~workbench.core.store.EventStore`.
        session_id: a session id or unique prefix.

    Raises:
        SessionNotFound: no such session (or the prefix is ambiguous).
    """
    info = store.session(session_id)
    return info, store.events(info.id), store.interrupted_tail(info.id)


def export_session(store: Any, session_id: str, fmt: str) -> str:
    """Return a whole session as text in format ``fmt`` (``md``, ``json`` or ``html``).

    Raises:
        ExportFormatError: unknown format.
        SessionNotFound: no such session.
    """
    if fmt not in FORMATS:
        raise ExportFormatError(f"unknown export format {fmt!r}: use one of {', '.join(FORMATS)}")
    info, events, interrupted = session_events(store, session_id)
    # events are redacted when written; the whole text is redacted again with the store's
    # redactor, so a secret joined from several pieces (the interrupted tail) cannot get out
    redact = getattr(store, "redactor", None)
    redact_text: Callable[[str], str] = redact.text if redact is not None else (lambda t: t)
    if fmt == "json":
        return redact_text(to_json(events))
    with_tail = events + ([interrupted] if interrupted is not None else [])
    if fmt == "md":
        return redact_text(to_markdown(info, with_tail))
    return redact_text(to_html(info, with_tail))


def to_json(events: list[Event]) -> str:
    """Every event as a JSON list of ``{"seq", "ts", "session_id", "kind", "payload"}``."""
    from workbench.core.sanitize import json_line_safe  # lossless; raw tool output cannot act on a terminal

    return json_line_safe(json.dumps([json.loads(e.to_json()) for e in events], ensure_ascii=False, indent=2)) + "\n"


def _when(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts))


def to_markdown(info: Any, events: list[Event]) -> str:
    """The session as Markdown, rendered like ``agentJournal.md`` with whole answers."""
    head = [
        f"# Session {info.id}: {info.title or 'untitled'}",
        "",
        f"Workspace `{info.workspace}`; created {_when(info.created)}; {info.message_count} message(s); "
        f"model {info.model or 'unknown'}; tokens {info.prompt_tokens} in / {info.completion_tokens} out"
        + (f"; forked from `{info.parent_id}`" if info.parent_id else "")
        + ".",
        "",
    ]
    return "\n".join(head) + render_events(events, MarkdownCursor(), answer_limit=None)


_CSS = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
header p { color: #555; }
.ev { display: grid; grid-template-columns: 6rem 1fr; gap: .5rem; padding: .25rem 0; border-bottom: 1px solid #eee; }
.t { color: #888; font-size: .85em; font-variant-numeric: tabular-nums; }
.kind { color: #666; font-size: .8em; margin-right: .5em; }
.user { background: #eef5ff; padding: .5rem; border-radius: 4px; }
.assistant { background: #f6f6f6; padding: .5rem; border-radius: 4px; }
.error { color: #b00020; }
pre { white-space: pre-wrap; word-break: break-word; margin: .25rem 0; font-size: .9em; }
h2 { margin-top: 2rem; border-bottom: 2px solid #ddd; }
"""


def _esc(text: Any) -> str:
    return html.escape(str(text if text is not None else ""), quote=True)


def _body(e: Event) -> str:
    p = e.data  # the payload class of e.kind: each case narrows it to that class
    match p:
        case P.UserMessage():
            return f'<div class="user"><pre>{_esc(p.text)}</pre></div>'
        case P.AssistantMessage():
            note = " (interrupted)" if p.interrupted else ""
            return f'<div class="assistant"><span class="kind">answer{_esc(note)}</span><pre>{_esc(p.text)}</pre></div>'
        case P.ToolCallRequested():
            args = parse_arguments(p.arguments)
            shown = json.dumps(args, ensure_ascii=False, indent=2) if args is not None else p.arguments
            label = "command" if p.name == COMMAND_TOOL else "tool call"
            return f'<span class="kind">{label}</span><code>{_esc(p.name)}</code><pre>{_esc(shown)}</pre>'
        case P.ToolCallFinished():
            cls = ' class="error"' if p.is_error else ""
            parts = [f"<span{cls}>{_esc(p.name)}: {_esc(p.summary)}</span>"]
            parts.append(f"<details><summary>output</summary><pre>{_esc(p.full_content or p.content)}</pre></details>")
            if p.diff:
                parts.append(f"<details><summary>diff</summary><pre>{_esc(p.diff)}</pre></details>")
            return "".join(parts)
    entry = entry_for(e)
    cls = ' class="error"' if entry is not None and "error" in entry.categories else ""
    return f'<span class="kind">{_esc(e.kind)}</span><span{cls}>{_esc(entry.summary if entry else "")}</span>'


def to_html(info: Any, events: list[Event]) -> str:
    """The session as a standalone HTML page (all text escaped)."""
    title = f"Session {info.id}: {info.title or 'untitled'}"
    rows: list[str] = []
    turn = 0
    for e in events:
        if e.kind in SKIPPED_KINDS:
            continue
        if e.kind == EventKind.USER_MESSAGE:
            turn += 1
            rows.append(f"<h2>Turn {turn}</h2>")
        rows.append(
            f'<div class="ev" id="seq-{e.seq}"><div class="t">{_esc(time.strftime("%H:%M:%S", time.localtime(e.ts)))}</div>'
            f"<div>{_body(e)}</div></div>"
        )
    meta = (
        f"Workspace <code>{_esc(info.workspace)}</code>; created {_esc(_when(info.created))}; "
        f"{info.message_count} message(s); model {_esc(info.model or 'unknown')}; "
        f"tokens {info.prompt_tokens} in / {info.completion_tokens} out."
    )
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{_esc(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        f"<header><h1>{_esc(title)}</h1><p>{meta}</p></header>\n<main>\n" + "\n".join(rows) + "\n</main>\n</body>\n</html>\n"
    )
