"""Parsing .mcp.json and the [plugins] section: shapes, errors naming file/key/fix, settings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers.trust import trust_workspace

from workbench.core.mcp.plugins import (
    PluginConfigError,
    PluginsConfig,
    PluginSettings,
    load_specs,
    parse_mcp_json,
)


def write(ws: Path, data: object | str) -> Path:
    path = ws / ".mcp.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data, indent=2))
    trust_workspace(ws)
    return path


def test_missing_file_is_empty(tmp_path: Path) -> None:
    assert parse_mcp_json(tmp_path / ".mcp.json") == {}
    assert load_specs(tmp_path) == []


def test_stdio_and_http_entries(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    write(
        tmp_path,
        {
            "mcpServers": {
                "files": {
                    "command": "npx",
                    "args": ["-y", "srv", "."],
                    "env": {"TOKEN": "${WB_TEST_TOKEN}", "MODE": "${WB_UNSET:-fast}"},
                    "cwd": "sub",
                    "disabled": False,
                },
                "remote": {"type": "http", "url": "https://example.com/mcp", "headers": {"X-Key": "${WB_TEST_TOKEN}"}},
            }
        },
    )
    specs = load_specs(tmp_path, environ={"WB_TEST_TOKEN": "s3cret"})
    by = {s.name: s for s in specs}
    files = by["files"]
    assert files.command == "npx" and files.args == ("-y", "srv", ".")
    assert files.env == {"TOKEN": "s3cret", "MODE": "fast"}
    assert files.cwd == str((tmp_path / "sub").resolve())
    assert files.source == "workspace" and files.transport == "stdio"
    assert files.origin == str(tmp_path.resolve() / ".mcp.json")
    remote = by["remote"]
    assert remote.transport == "http" and remote.url == "https://example.com/mcp"
    assert remote.headers == {"X-Key": "s3cret"} and remote.cwd is None


def test_invalid_json_names_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, '{\n  "mcpServers": {\n    "a": {"command": "x",}\n  }\n}\n')
    with pytest.raises(PluginConfigError) as err:
        parse_mcp_json(path)
    assert err.value.line == 3 and err.value.column is not None
    assert str(err.value).startswith(f"{path}:3:")
    assert "invalid JSON" in str(err.value) and "Fix:" in str(err.value)


@pytest.mark.parametrize(
    ("entry", "key", "words"),
    [
        ({"args": ["x"]}, "mcpServers.srv", "exactly one of 'command'"),
        ({"command": "a", "url": "https://x"}, "mcpServers.srv", "exactly one of"),
        ({"command": "a", "args": "not-a-list"}, "mcpServers.srv.args", "list"),
        ({"url": "ftp://x"}, "mcpServers.srv", "http://"),
        ({"type": "sse", "command": "srv"}, "mcpServers.srv", "needs 'url'"),
        ("just a string", "mcpServers.srv", "expected an object"),
    ],
)
def test_invalid_entries_name_file_key_and_fix(tmp_path: Path, entry: object, key: str, words: str) -> None:
    path = write(tmp_path, {"mcpServers": {"srv": entry}})
    with pytest.raises(PluginConfigError) as err:
        parse_mcp_json(path)
    assert err.value.key == key
    assert str(path) in str(err.value) and words in str(err.value) and "Fix:" in str(err.value)


def test_bad_server_name_and_top_level(tmp_path: Path) -> None:
    with pytest.raises(PluginConfigError, match="server name 'bad name'"):
        parse_mcp_json(write(tmp_path, {"mcpServers": {"bad name": {"command": "x"}}}))
    with pytest.raises(PluginConfigError, match="mcpServers"):
        parse_mcp_json(write(tmp_path, {"mcpServers": ["x"]}))


def test_user_servers_settings_and_override(tmp_path: Path) -> None:
    write(tmp_path, {"mcpServers": {"ws": {"command": "a"}, "shared": {"command": "from-ws"}}})
    cfg = PluginsConfig.model_validate(
        {
            "servers": {"mine": {"command": "my-server", "args": ["--x"]}, "shared": {"command": "from-user"}},
            "defaults": {"init_timeout": 5},
            "settings": {"ws": {"enabled": False, "allowed_tools": ["read"]}},
        }
    )
    by = {s.name: s for s in load_specs(tmp_path, cfg)}
    assert by["mine"].source == "user" and by["mine"].cwd == str(tmp_path.resolve())
    assert by["mine"].settings.init_timeout == 5
    assert by["ws"].settings.enabled is False and by["ws"].settings.allowed_tools == ["read"]
    assert by["ws"].settings.init_timeout == 5  # defaults still apply under an override
    assert by["shared"].command == "from-ws" and by["shared"].source == "workspace"


def test_bad_settings_override_is_named(tmp_path: Path) -> None:
    cfg = PluginsConfig.model_validate({"settings": {"ws": {"init_timeout": -1}}})
    with pytest.raises(PluginConfigError) as err:
        cfg.settings_for("ws")
    assert err.value.key == "plugins.settings.ws.init_timeout"


def test_every_settings_field_is_documented() -> None:
    for name, info in PluginSettings.model_fields.items():
        assert info.description, f"PluginSettings.{name} has no docstring"
