"""Trust for workspace plugins, the approval text, explicit environments, sanitizing."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from workbench.core.mcp.plugins import (
    PluginNotTrustedError,
    PluginSpec,
    PluginState,
    PluginSupervisor,
    TrustStore,
    build_plugin_env,
    describe_for_approval,
    sanitize_text,
)
from workbench.core.paths import workspace_data_dir

from .conftest import server_spec


def ws_spec(**kw: object) -> PluginSpec:
    base = PluginSpec(
        name="files",
        command="npx",
        args=("-y", "server files", "--root=$HOME"),
        env={"TOKEN": "s3cret-value"},
        cwd="/ws",
        source="workspace",
        origin="/ws/.mcp.json",
    )
    return replace(base, **kw)


def test_trust_is_per_exact_command(tmp_path: Path) -> None:
    store = TrustStore.for_workspace(tmp_path)
    assert store.path == workspace_data_dir(tmp_path) / "trust.json"
    spec = ws_spec()
    assert not store.is_trusted(spec)
    store.trust(spec)
    assert store.is_trusted(spec)
    for changed in (
        replace(spec, env={"TOKEN": "rotated"}),  # values are part of it (issue 21)
        replace(spec, args=("-y", "server files", "--root=/")),
        replace(spec, command="node"),
        replace(spec, env={"TOKEN": "x", "EXTRA": "y"}),
        replace(spec, cwd="/elsewhere"),
    ):
        assert not store.is_trusted(changed)
    # another workspace has its own decisions
    assert not TrustStore.for_workspace(tmp_path / "other").is_trusted(spec)
    # user-level servers are trusted by config
    assert store.is_trusted(replace(spec, source="user", command="anything"))
    # the file never holds env values and keeps other sections
    data = json.loads(store.path.read_text())
    data["other"] = {"keep": True}
    store.path.write_text(json.dumps(data))
    store.trust(replace(spec, command="node"))
    text = store.path.read_text()
    assert "s3cret" not in text and json.loads(text)["other"] == {"keep": True}
    store.revoke(spec)
    assert not store.is_trusted(spec)


def test_describe_for_approval_is_exact_and_quoted() -> None:
    long_arg = "x" * 500
    spec = ws_spec(args=("-y", "server files", "--root=$HOME", long_arg, "a\u202eb"))
    text = describe_for_approval(spec)
    assert "npx -y 'server files' '--root=$HOME' " + long_arg in text  # untruncated, shell-quoted
    assert "\\u202e" in text and "\u202e" not in text  # bidi override made visible
    assert "TOKEN=<hidden: 12 characters>" in text and "s3cret" not in text  # secret-looking: masked
    assert "TOKEN=s3cret-value" in describe_for_approval(spec, reveal=True)
    assert "/ws/.mcp.json" in text and "working directory: /ws" in text
    http = describe_for_approval(PluginSpec("r", None, url="https://h/mcp", headers={"X-Key": "v"}, source="workspace"))
    assert "https://h/mcp" in http and "X-Key=v" in http


async def test_supervisor_refuses_untrusted_workspace_plugin(tmp_path: Path) -> None:
    spec = server_spec("healthy", "healthy.py", source="workspace")
    trust = TrustStore.for_workspace(tmp_path)
    sup = PluginSupervisor([spec], trust=trust, log_dir=tmp_path / "logs")
    async with sup:
        await sup.start_all()
        assert sup.handles["healthy"].state == PluginState.REGISTERED
        assert sup.handles["healthy"].pid is None
        with pytest.raises(PluginNotTrustedError) as err:
            await sup.start("healthy")
        assert "healthy.py" in str(err.value)
        trust.trust(spec)
        handle = await sup.start("healthy")
        assert handle.state == PluginState.ACTIVE


def test_plugin_env_is_explicit() -> None:
    host = {
        "PATH": "/bin",
        "HOME": "/h",
        "AWS_SECRET_ACCESS_KEY": "x",
        "OPENAI_API_KEY": "y",
        "LANG": "C.UTF-8",
        "BASH_FUNC_x%%": "() { :; }",
        "SHELL": "() { evil; }",
    }
    env = build_plugin_env({"TOKEN": "t", "PATH": "/custom"}, host=host)
    assert env == {"PATH": "/custom", "HOME": "/h", "LANG": "C.UTF-8", "TOKEN": "t"}


def test_sanitize_text() -> None:
    raw = "read\u200bfile\u202e\x1b[31m\tok\nline2\U000e0041\ufeff"
    out = sanitize_text(raw)
    assert out == "read\\u200bfile\\u202e\\x1b[31m\tok\nline2\\U000e0041\\ufeff"
    assert sanitize_text("a\nb", keep_newlines=False) == "a\\x0ab"
    assert sanitize_text("héllo wörld ✓ 漢字") == "héllo wörld ✓ 漢字"
