"""Configuration: every invalid input exits 2 with a message naming the file (or variable), the
key and what is allowed, through the real CLI; ``config show`` masks keys; the sources' precedence
(user < workspace < env < flags); the standard OpenAI variables and provider presets."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.trust import trust_workspace

from workbench.core import paths
from workbench.core.config import ConfigError, load_settings
from workbench.scripted.server import ScriptedServer

from .conftest import CANARY, REPO, cli_env, run_cli, run_cli_many

pytestmark = pytest.mark.timeout(60)

# (id, workspace file, user file, extra env, extra flags, expected substrings in stderr)
INVALID = [
    (
        "toml-workspace",
        '[llm]\nmodel = "x"\ntimeout = \n',
        None,
        {},
        [],
        ["{ws_file}", "invalid TOML", "line 3, column", "toml.io"],
    ),
    ("toml-user", None, '[llm\nmodel = "x"\n', {}, [], ["{user_file}", "invalid TOML", "line 1, column"]),
    (
        "unknown-key",
        '[llm]\nmodle = "x"\n',
        None,
        {},
        [],
        ["{ws_file}", "llm.modle: unknown key", "Allowed keys here: api_key, base_url, label, max_retries, model"],
    ),
    (
        "unknown-table",
        '[llm]\nmodel = "x"\n[colours]\nbg = 1\n',
        None,
        {},
        [],
        ["{ws_file}", "colours: unknown key", "Allowed keys here: agent, chat, checkpoints, llm"],
    ),
    (
        "wrong-type",
        '[llm]\nmodel = "x"\ntimeout = "soon"\n',
        None,
        {},
        [],
        ["{ws_file}", "llm.timeout", "valid number", "'soon'"],
    ),
    ("out-of-range", None, "[ui]\nhistory_page = 1\n", {}, [], ["{user_file}", "ui.history_page", "greater than or equal to 5"]),
    (
        "bad-provider",
        '[llm]\nprovider = "bogus"\n',
        None,
        {},
        [],
        ["{ws_file}", "llm.provider", "'openai', 'deepseek', 'moonshot', 'ollama' or 'vllm'", "'bogus'"],
    ),
    (
        "env-timeout",
        None,
        None,
        {"WORKBENCH_LLM__TIMEOUT": "abc"},
        [],
        ["environment variable WORKBENCH_LLM__TIMEOUT", "llm.timeout", "valid number", "'abc'"],
    ),
    (
        "env-unknown",
        None,
        None,
        {"WORKBENCH_LLM__TEMP": "1"},
        [],
        ["environment variable WORKBENCH_LLM__TEMP", "llm.temp: unknown key", "temperature"],
    ),
    ("env-table", None, None, {"WORKBENCH_LLM": "abc"}, [], ["environment variable WORKBENCH_LLM", "WORKBENCH_LLM__"]),
    (
        "vllm-no-model",
        '[llm]\nprovider = "vllm"\n',
        None,
        {},
        [],
        ["llm.model", "no model set", "WORKBENCH_LLM__MODEL", "--model"],
    ),
    ("flag-provider", None, None, {}, ["--provider", "bogus"], ["--provider", "invalid choice", "vllm"]),
    (
        "key-next-to-error",
        f'[llm]\napi_key = "{CANARY}"\nmodel = "x"\nmax_retries = -1\n',
        None,
        {},
        [],
        ["{ws_file}", "llm.max_retries", "greater than or equal to 0"],
    ),
]


def _start(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "workbench", *args], cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


@pytest.mark.parametrize("case", INVALID, ids=[c[0] for c in INVALID])
def test_invalid_config_exits_2_with_a_clear_message(case, workspace: Path, home: Path) -> None:
    _, ws_text, user_text, env_extra, flags, expected = case
    ws_file = paths.workspace_config_file(workspace)
    user_file = paths.user_config_file()
    for path, text in ((ws_file, ws_text), (user_file, user_text)):
        if text is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    trust_workspace(workspace)
    env = cli_env(OPENAI_API_KEY=CANARY, **env_extra)
    procs = {"run": _start(["run", "--yes", "-p", "hello", str(workspace), *flags], env)}
    if case[0] != "vllm-no-model":  # config show works without a model (it says so in effective_llm)
        procs["config show"] = _start(["config", "show", "--path", str(workspace), *flags], env)
    for name, proc in procs.items():
        out, err = proc.communicate(timeout=30)
        assert proc.returncode == 2, f"{name}: exit {proc.returncode}\n{err}"
        for want in expected:
            want = want.format(ws_file=ws_file, user_file=user_file)
            assert want in err, f"{name}: {want!r} not in stderr:\n{err}"
        assert "Traceback" not in err, err
        assert CANARY not in out + err
        assert out == ""


def test_config_show_masks_the_key(workspace: Path) -> None:
    ws_file = paths.workspace_config_file(workspace)
    ws_file.parent.mkdir()
    ws_file.write_text(f'[llm]\napi_key = "{CANARY}"\nmodel = "m"\nbase_url = "http://127.0.0.1:9/v1"\n')
    trust_workspace(workspace)
    text = run_cli("config", "show", "--path", str(workspace))
    as_json = run_cli("config", "show", "--json", "--path", str(workspace))
    for proc in (text, as_json):
        assert proc.returncode == 0, proc.stderr
        assert CANARY not in proc.stdout + proc.stderr
        assert "********" in proc.stdout
    data = json.loads(as_json.stdout)
    assert data["llm"]["api_key"] == "********"
    assert data["effective_llm"] == {
        "base_url": "http://127.0.0.1:9/v1",
        "model": "m",
        "api_key": "********",
        "api_key_source": "config llm.api_key",
    }
    assert {"path": str(ws_file), "exists": True, "trust": "trusted"} in data["files"]
    assert 'model = "m"' in text.stdout and "[llm]" in text.stdout

    env_key = run_cli("config", "show", "--json", "--path", str(workspace), env=cli_env(WORKBENCH_LLM__API_KEY=CANARY + "env"))
    assert env_key.returncode == 0 and CANARY not in env_key.stdout + env_key.stderr


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_precedence_user_workspace_env_flags(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(
        paths.user_config_file(),
        '[llm]\nmodel = "user-model"\ntemperature = 0.1\ntimeout = 11\nmax_retries = 1\n[ui]\ntheme = "u"\n',
    )
    _write(paths.workspace_config_file(workspace), '[llm]\nmodel = "ws-model"\ntimeout = 22\n')
    trust_workspace(workspace)
    s = load_settings(workspace)
    assert (s.llm.model, s.llm.timeout, s.llm.temperature, s.llm.max_retries, s.ui.theme) == (
        "ws-model",
        22.0,
        0.1,
        1,
        "u",
    )  # nested tables merge key by key

    monkeypatch.setenv("WORKBENCH_LLM__MODEL", "env-model")
    monkeypatch.setenv("WORKBENCH_LLM__MAX_RETRIES", "3")
    s = load_settings(workspace)
    assert (s.llm.model, s.llm.timeout, s.llm.temperature, s.llm.max_retries) == ("env-model", 22.0, 0.1, 3)

    s = load_settings(workspace, {"llm": {"model": "flag-model"}})
    assert (s.llm.model, s.llm.max_retries, s.llm.timeout) == ("flag-model", 3, 22.0)

    # The same through the real CLI.
    env = cli_env(WORKBENCH_LLM__MODEL="env-model")
    shown = run_cli("config", "show", "--json", "--path", str(workspace), "--model", "flag-model", env=env)
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["effective_llm"]["model"] == "flag-model"
    shown = run_cli("config", "show", "--json", "--path", str(workspace), env=env)
    data = json.loads(shown.stdout)
    assert data["effective_llm"]["model"] == "env-model" and data["llm"]["timeout"] == 22.0


def test_load_settings_raises_config_error_listing_every_problem(workspace: Path) -> None:
    _write(paths.workspace_config_file(workspace), '[llm]\ntimeout = 0\nprovider = "x"\n[ui]\nthem = "y"\n')
    trust_workspace(workspace)
    with pytest.raises(ConfigError) as exc:
        load_settings(workspace)
    lines = str(exc.value).splitlines()
    assert len(lines) == 3
    assert any("llm.timeout" in line and "greater than 0" in line for line in lines)
    assert any("llm.provider" in line for line in lines)
    assert any("ui.them: unknown key" in line and "theme" in line for line in lines)


def test_openai_env_vars_and_presets(workspace: Path) -> None:
    env = cli_env(OPENAI_API_KEY=CANARY, OPENAI_BASE_URL="http://10.1.2.3:8080/v1")
    data = json.loads(run_cli("config", "show", "--json", "--path", str(workspace), "--model", "m", env=env).stdout)
    assert data["effective_llm"] == {
        "base_url": "http://10.1.2.3:8080/v1",
        "model": "m",
        "api_key": "********",
        "api_key_source": "$OPENAI_API_KEY",
    }

    env = cli_env(OPENAI_API_KEY="sk-openai-other-000000", DEEPSEEK_API_KEY=CANARY)
    proc = run_cli("config", "show", "--json", "--path", str(workspace), "--provider", "deepseek", env=env)
    assert proc.returncode == 0, proc.stderr
    eff = json.loads(proc.stdout)["effective_llm"]
    assert eff == {
        "base_url": "https://api.deepseek.com/v1",
        "model": "deepseek-chat",
        "api_key": "********",
        "api_key_source": "$DEEPSEEK_API_KEY",
    }
    assert CANARY not in proc.stdout + proc.stderr

    # In-process: the preset table and key resolution order.
    s = load_settings(workspace, {"llm": {"provider": "ollama"}})
    r = s.llm.resolved(environ={})
    assert (r.base_url, r.model, r.api_key, r.key_source) == ("http://localhost:11434/v1", "llama3.1", None, "none")
    s = load_settings(workspace, {"llm": {"provider": "moonshot"}})
    r = s.llm.resolved(environ={"MOONSHOT_API_KEY": "mk", "OPENAI_API_KEY": "ok"})
    assert (r.base_url, r.api_key, r.key_source) == ("https://api.moonshot.ai/v1", "mk", "$MOONSHOT_API_KEY")
    r = s.llm.resolved(environ={"OPENAI_API_KEY": "ok"})
    assert (r.api_key, r.key_source) == ("ok", "$OPENAI_API_KEY")
    s = load_settings(workspace, {"llm": {"provider": "vllm", "model": "qwen", "base_url": "http://gpu:9000/v1/"}})
    r = s.llm.resolved(environ={"OPENAI_BASE_URL": "http://ignored/v1"})
    assert (r.base_url, r.model) == ("http://gpu:9000/v1", "qwen")


def test_keys_from_env_are_sent_to_the_endpoint(workspace: Path, server) -> None:
    """OPENAI_API_KEY/OPENAI_BASE_URL and a preset's key variable reach the real HTTP request."""
    deepseek_key = CANARY + "DS"
    with ScriptedServer() as other:
        openai_run, deepseek_run = run_cli_many(
            (
                ("run", "--yes", "-p", "ping", str(workspace), "--model", "m"),
                cli_env(OPENAI_API_KEY=CANARY, OPENAI_BASE_URL=server.base_url, WORKBENCH_LLM__MAX_RETRIES="0"),
            ),
            (
                ("run", "--yes", "-p", "pong", str(workspace), "--provider", "deepseek", "--base-url", other.base_url),
                cli_env(OPENAI_API_KEY=CANARY, DEEPSEEK_API_KEY=deepseek_key, WORKBENCH_LLM__MAX_RETRIES="0"),
            ),
        )
        deepseek_request = other.requests[-1]
    assert openai_run.returncode == 0, openai_run.stderr
    assert "You said: ping" in openai_run.stdout
    assert server.requests[-1]["headers"]["authorization"] == f"Bearer {CANARY}"
    assert server.requests[-1]["body"]["model"] == "m"

    assert deepseek_run.returncode == 0, deepseek_run.stderr
    assert deepseek_request["headers"]["authorization"] == f"Bearer {deepseek_key}"
    assert deepseek_request["body"]["model"] == "deepseek-chat"
    for proc in (openai_run, deepseek_run):
        assert CANARY not in proc.stdout + proc.stderr
