"""What trusting a workspace would change, file by file, for the trust screen and ``workbench trust``.

For a file never trusted, every setting it makes is listed; for a file changed since it was
trusted, only the changed settings (``+`` added, ``~`` changed, ``-`` removed). Items that send the
API key somewhere, widen permissions, relax the sandbox or run something on the host are marked
``risk``. Secret-looking values (by key name, or by the token shapes of
:data:`workbench.core.redact.PATTERNS`) are masked unless ``reveal`` is set. All text from the
workspace goes through :func:`~workbench.core.mcp.plugins.sanitize.sanitize_text` (no terminal escapes,
no invisible or bidi characters).
"""

from __future__ import annotations

import difflib
import json
import re
import shlex
import tomllib
from dataclasses import dataclass
from typing import Any

from workbench.core.mcp.plugins.sanitize import sanitize_text
from workbench.core.redact import PATTERNS
from workbench.core.trust import AGENTS_MD, CLAUDE_MD, CONFIG, DOCKERFILE, MCP_JSON, FileTrust, TrustReport

_SECRET_NAME = re.compile(r"(?i)(key|token|secret|passw|pwd|auth|credential|cookie|session|private|bearer)")
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)")
_REF = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*(?::-[^}]*)?\}")
_PURPOSE = {
    CONFIG: "workspace settings",
    MCP_JSON: "MCP servers (run on your computer)",
    AGENTS_MD: "instructions for the model",
    CLAUDE_MD: "instructions for the model",
    DOCKERFILE: "sandbox image recipe",
}
MAX_LINES = 40
"""Preview / diff lines shown per file; the rest is counted."""


@dataclass(frozen=True)
class Item:
    """One line of the description.

    Attributes:
        text: the line (masked unless ``reveal``); may start with ``+``/``~``/``-`` for changes.
        risk: it sends the key elsewhere, widens permissions, relaxes the sandbox or runs code.
        hidden: a secret-looking value in it is masked (showing it needs ``reveal``).
    """

    text: str
    risk: bool = False
    hidden: bool = False


@dataclass(frozen=True)
class Section:
    """What one file would change: ``heading`` (path, purpose, status) and its items."""

    rel: str
    heading: str
    items: tuple[Item, ...]


def _clean(text: str) -> str:
    return sanitize_text(text, keep_newlines=False)


def looks_secret(key: str, value: Any) -> bool:
    """True for values to mask: a secret-sounding key name, or a string shaped like a token."""
    if isinstance(value, str):
        if _REF.fullmatch(value.strip()):
            return False  # a reference to a host variable, not the secret itself
        if _SECRET_NAME.search(key.rsplit(".", 1)[-1]) and value:
            return True
        return any(p.search(value) for _, p in PATTERNS)
    return False


def _fmt(key: str, value: Any, reveal: bool) -> tuple[str, bool]:
    if isinstance(value, list):
        parts = [_fmt(key, v, reveal) for v in value]
        return "[" + ", ".join(p for p, _ in parts) + "]", any(h for _, h in parts)
    if isinstance(value, str):
        if not reveal and looks_secret(key, value):
            return f"•••••••• (hidden, {len(value)} chars)", True
        return _clean(json.dumps(value, ensure_ascii=False)), False
    if isinstance(value, bool):
        return ("true" if value else "false"), False
    return _clean(str(value)), False


def _flatten(node: Any, prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    if isinstance(node, dict):
        for k, v in node.items():
            key = f"{prefix}.{k}" if prefix else str(k)
            if isinstance(v, dict) and v:
                out.update(_flatten(v, key))
            else:
                out[key] = v
    return out


def _sandbox_note(name: str, value: Any) -> tuple[str, bool]:
    from workbench.core.sandbox.policy import SandboxSettings

    default = getattr(SandboxSettings(), name, None)
    roots = {"0", "root", "0:0", "root:root", "root:0", "0:root"}
    listed = [str(v) for v in value] if isinstance(value, list) else []
    bigger = isinstance(value, int) and isinstance(default, int) and value > default
    # name -> (relaxes?, what it relaxes, what the setting is)
    checks: dict[str, tuple[bool, str, str]] = {
        "network_mode": (value != "none", "gives the sandbox container network access", "network of the container"),
        "network_for_commands": (
            value not in ("bridge", "none"),
            "commands asking for network get this network",
            "network of commands that ask for it",
        ),
        "cap_add": (bool(value), "adds Linux capabilities", "capabilities added"),
        "cap_drop": ("ALL" not in [v.upper() for v in listed], "keeps Linux capabilities", "capabilities dropped"),
        "security_opt": (
            not any("no-new-privileges" in v for v in listed) or any("unconfined" in v for v in listed),
            "allows privilege escalation or turns off confinement",
            "security options",
        ),
        "read_only": (value is False, "makes the container's root filesystem writable", "read-only root filesystem"),
        "user": (
            str(value).strip() in roots or str(value).startswith("0:"),
            "runs the container as root",
            "user of the container",
        ),
        "env_allowlist": (
            bool(value),
            "copies these host environment variables (your keys?) into the container",
            "host variables copied in",
        ),
        "pids_limit": (bigger, "raises the process limit", "process limit"),
        "nano_cpus": (bigger, "raises the CPU limit", "CPU limit"),
        "init": (value is False, "turns off the init process (zombie reaping)", "init process"),
        "setup": (bool(value), "runs these commands in every new container", "setup commands"),
    }
    default_text = {
        "env": "container environment values",
        "mem_limit": "memory limit",
        "image": "sandbox image",
        "runtime": "container runtime",
        "tmpfs": "tmpfs mounts",
        "command_timeout": "command timeout",
    }
    risky, relax, what = checks.get(name, (False, "", default_text.get(name, "sandbox setting")))
    return ("relaxes the sandbox: " + relax if risky else what), risky


def _note(key: str, value: Any) -> tuple[str, bool]:
    parts = key.split(".")
    head, name = parts[0], parts[1] if len(parts) > 1 else ""
    if head == "llm":
        return {
            "base_url": ("your API key is sent to this endpoint", True),
            "provider": ("selects the endpoint your API key is sent to", True),
            "api_key": ("API key sent to the endpoint", False),
            "model": ("model name", False),
        }.get(name, (f"model client: {name}", False))
    if head == "agent" and name == "mode":
        return "permission mode", value in ("full-auto", "auto-edit")
    if head == "permissions":
        return {
            "allow": ("these calls run without asking", bool(value)),
            "ask": ("these calls always ask", False),
            "deny": ("these calls are refused", False),
        }.get(name, ("permission rule", False))
    if head == "sandbox":
        return _sandbox_note(name, value)
    if head == "chat" and name == "system_prompt":
        return "added to the model's instructions", True
    if head == "plugins" and name == "servers":
        return "an MCP server run on your computer (outside the sandbox) without a further question", True
    if head == "redact":
        return "secret redaction", False
    return f"{head} setting", False


def _config_items(new: bytes | None, old: bytes | None, changed: bool, reveal: bool) -> list[Item]:
    if new is None:
        return [Item("deleted: trusting this removes all of its settings")]
    try:
        doc = tomllib.loads(new.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        return [Item(f"not valid TOML ({_clean(str(exc))}): Workbench stops with an error while it is trusted", risk=True)]
    old_doc: dict[str, Any] = {}
    if changed and old is not None:
        try:
            old_doc = tomllib.loads(old.decode("utf-8"))
        except (UnicodeDecodeError, tomllib.TOMLDecodeError):
            old_doc = {}
    servers, old_servers = _pop_servers(doc), _pop_servers(old_doc)
    flat, before = _flatten(doc), _flatten(old_doc)
    items: list[Item] = []
    for key in list(flat) + [k for k in before if k not in flat]:
        ck = _clean(key)
        if key not in flat:
            old_text, hidden = _fmt(key, before[key], reveal)
            items.append(Item(f"- {ck} (was {old_text}): back to your own config or the default", hidden=hidden))
            continue
        value = flat[key]
        if key in before and before[key] == value:
            continue
        text, hidden = _fmt(key, value, reveal)
        note, risk = _note(key, value)
        if changed and key in before:
            old_text, old_hidden = _fmt(key, before[key], reveal)
            items.append(Item(f"~ {ck} = {text} (was {old_text})  — {note}", risk, hidden or old_hidden))
        else:
            items.append(Item(f"{'+ ' if changed else ''}{ck} = {text}  — {note}", risk, hidden))
    items += _servers_diff(
        servers, old_servers, changed, reveal, "plugins.servers.", "starts without a further question once trusted"
    )
    return items or [Item("no settings (an empty file)")]


def _pop_servers(doc: dict[str, Any]) -> dict[str, Any]:
    plugins = doc.get("plugins")
    if isinstance(plugins, dict) and isinstance(plugins.get("servers"), dict):
        servers: dict[str, Any] = plugins.pop("servers")
        if not plugins:
            doc.pop("plugins")
        return servers
    return {}


def _servers_diff(
    servers: dict[str, Any], before: dict[str, Any], changed: bool, reveal: bool, prefix: str, footer: str
) -> list[Item]:
    items: list[Item] = []
    for name in list(servers) + [n for n in before if n not in servers]:
        if name not in servers:
            items.append(Item(f"- {prefix}{_clean(str(name))} removed"))
        elif name in before and before[name] == servers[name]:
            continue
        else:
            mark = ("~ " if name in before else "+ ") if changed else ""
            items.extend(_server_items(name, servers[name], mark, reveal, prefix))
            if mark == "~ ":
                was = _server_items(name, before[name], "", reveal, prefix)[0].text.partition(": ")[2]
                if was and was not in items[-1].text:
                    items.append(Item(f"    was: {was}"))
    if servers and items:
        items.append(Item(f"each server above {footer}"))
    return items


def _mcp_servers(data: bytes | None) -> tuple[dict[str, Any], str | None]:
    if data is None:
        return {}, None
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return {}, f"not valid JSON ({exc})"
    servers = doc.get("mcpServers") if isinstance(doc, dict) else None
    if not isinstance(servers, dict):
        return {}, 'no "mcpServers" object'
    return servers, None


def _server_items(name: str, entry: Any, mark: str, reveal: bool, prefix: str) -> list[Item]:
    label = f"{mark}{prefix}{_clean(str(name))}"
    if not isinstance(entry, dict):
        return [Item(f"{label}: not an object (ignored)")]
    items: list[Item] = []
    if entry.get("url"):
        items.append(Item(f"{label} connects to {_clean(str(entry['url']))}", True))
    else:
        argv = [str(entry.get("command", ""))] + [str(a) for a in entry.get("args") or [] if a is not None]
        items.append(Item(f"{label} runs on your computer: {_clean(shlex.join(argv))}", True))
        if entry.get("cwd"):
            items.append(Item(f"    working directory: {_clean(str(entry['cwd']))}"))
    for table in ("env", "headers"):
        values = entry.get(table)
        if not isinstance(values, dict):
            continue
        for key, value in values.items():
            text, hidden = _fmt(str(key), str(value), reveal)
            refs = _VAR.findall(str(value))
            extra = f"  (passes your ${', $'.join(refs)})" if refs else ""
            items.append(
                Item(f"    {table[:-1] if table == 'headers' else 'env'} {_clean(str(key))} = {text}{extra}", bool(refs), hidden)
            )
    return items


def _mcp_items(new: bytes | None, old: bytes | None, changed: bool, reveal: bool) -> list[Item]:
    if new is None:
        return [Item("deleted: trusting this removes its servers")]
    servers, err = _mcp_servers(new)
    if err:
        return [Item(f"{_clean(err)}: no server from it starts")]
    before = _mcp_servers(old)[0] if changed else {}
    items = _servers_diff(servers, before, changed, reveal, "server ", "still asks before its first start (Plugins pane, key t)")
    return items or [Item("no servers")]


def _lines(data: bytes) -> list[str]:
    return data.decode("utf-8", errors="replace").splitlines()


def _diff_items(old: bytes | None, new: bytes) -> list[Item]:
    diff = [
        line
        for line in difflib.unified_diff(_lines(old or b""), _lines(new), lineterm="", n=0)
        if not line.startswith(("---", "+++", "@@"))
    ]
    shown = [Item("  " + _clean(line[:200])) for line in diff[:MAX_LINES]]
    if len(diff) > MAX_LINES:
        shown.append(Item(f"  … {len(diff) - MAX_LINES} more changed lines"))
    return shown


def _text_items(rel: str, new: bytes | None, old: bytes | None, changed: bool) -> list[Item]:
    what = "the model's system prompt" if rel != DOCKERFILE else "the image `workbench sandbox build` makes"
    if new is None:
        return [Item(f"deleted: trusting this removes it from {what}")]
    lines = _lines(new)
    head = Item(f"used in {what}: {len(lines)} lines, {len(new):,} bytes", rel == DOCKERFILE)
    if changed and old is not None:
        return [Item(f"changed lines (+ added, - removed), {len(lines)} lines now:", rel == DOCKERFILE), *_diff_items(old, new)]
    body = [ln for ln in lines if ln.strip() and not (rel == DOCKERFILE and ln.lstrip().startswith("#"))]
    shown = [Item("  │ " + _clean(ln[:200])) for ln in body[:MAX_LINES]]
    if len(body) > MAX_LINES:
        shown.append(Item(f"  … {len(body) - MAX_LINES} more lines"))
    return [head, *shown]


def _status_text(f: FileTrust) -> str:
    if f.status == "new":
        return "new: not trusted yet"
    if f.status == "changed":
        if f.data is None:
            return "deleted since you trusted it"
        if f.trusted_sha256 is None:
            return "added since you trusted this workspace"
        return "changed since you trusted it; the trusted version applies until you trust the change"
    return "trusted"


def describe_file(f: FileTrust, *, reveal: bool = False) -> Section:
    """Describe one file (see the module doc)."""
    changed = f.status == "changed"
    old = f.previous() if changed else None
    if f.rel == CONFIG:
        items = _config_items(f.data, old, changed, reveal)
    elif f.rel == MCP_JSON:
        items = _mcp_items(f.data, old, changed, reveal)
    else:
        items = _text_items(f.rel, f.data, old, changed)
    if f.note:
        items.insert(0, Item(f"note: {_clean(f.note)}", "symlink" in f.note))
    heading = f"{f.rel} — {_PURPOSE[f.rel]} ({_status_text(f)})"
    return Section(f.rel, heading, tuple(items))


def describe(report: TrustReport, *, reveal: bool = False, include_trusted: bool = False) -> list[Section]:
    """Describe the files that trusting would change (new or changed ones).

    Args:
        report: from :func:`workbench.core.trust.check`.
        reveal: show secret-looking values instead of masking them.
        include_trusted: also describe files already trusted (``workbench trust --show``).
    """
    out = []
    for f in report.files:
        if f.pending or (include_trusted and f.status == "trusted") or (f.note and f.status != "absent"):
            out.append(describe_file(f, reveal=reveal))
    return out


def render_text(report: TrustReport, sections: list[Section]) -> str:
    """Plain text of a description (``!`` marks risky items), as ``workbench trust`` prints it."""
    lines: list[str] = []
    if report.problem:
        lines.append(f"warning: {report.problem}")
    for section in sections:
        lines.append(section.heading)
        for item in section.items:
            lines.append(("  ! " if item.risk else "    ") + item.text)
        lines.append("")
    if any(item.hidden for s in sections for item in s.items):
        lines.append("Values that look secret are hidden; `workbench trust --show --reveal` shows them.")
    return "\n".join(lines).rstrip() + "\n"
