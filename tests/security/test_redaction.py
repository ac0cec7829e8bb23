"""Secrets never reach the event log (and so nothing downstream): the single write path redacts."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from helpers.trust import trust_workspace

from workbench.core.config import load_settings
from workbench.core.redact import MASK, Redactor
from workbench.core.runtime import event_log_path, start_services
from workbench.scripted.server import Reply, ScriptedServer, ToolCallSpec

CANARY = "sk-canary-0123456789abcdefXYZ"


@pytest.mark.parametrize(
    "secret",
    [
        "sk-proj-abcdefghijklmnopqrstuvwx",
        "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
        "github_pat_11ABCDEFG0123456789_abcdefghijklmnop",
        "AKIAIOSFODNN7EXAMPLE",
        "xoxb-1234567890-abcdefghij",
        "AIzaSyA1234567890abcdefghijklmnopqrstuv",
    ],
)
def test_token_shapes(secret):
    r = Redactor()
    out = r.text(f"token: {secret} end")
    assert secret not in out and MASK in out and out.endswith(" end")


def test_bearer_aws_secret_and_private_key_blocks():
    r = Redactor()
    assert r.text("Authorization: Bearer abcdef1234567890XYZ") == "Authorization: Bearer " + MASK
    assert r.text("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY") == "aws_secret_access_key = " + MASK
    pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\nabc\n-----END RSA PRIVATE KEY-----"
    assert r.text(f"x\n{pem}\ny") == f"x\n{MASK}\ny"


def test_exact_values_and_nested_payloads():
    r = Redactor(["my-db-password-42"])
    out = r({"a": ["the pw is my-db-password-42"], "b": {"c": "ok"}, "n": 3})
    assert out == {"a": [f"the pw is {MASK}"], "b": {"c": "ok"}, "n": 3}


async def test_canary_key_appears_in_no_event_file_or_stdout(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", CANARY)
    monkeypatch.setenv("MY_SERVICE_TOKEN", "tok-value-very-secret-777")
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / ".workbench").mkdir()
    (ws / ".workbench" / "config.toml").write_text('[redact]\nenv = ["MY_SERVICE_TOKEN"]\n')
    trust_workspace(ws)  # a workspace's [redact] applies once the user trusts it
    with ScriptedServer() as server:
        # the model echoes the key and the token back, and writes them into a tool call
        server.enqueue(
            Reply(
                text=f"your key is {CANARY} and token tok-value-very-secret-777",
                tool_calls=[ToolCallSpec("write_file", json.dumps({"path": "k.txt", "content": CANARY}), id="c1")],
            ),
            Reply(text="done"),
        )
        settings = load_settings(
            ws, {"llm": {"base_url": server.base_url, "model": "m", "max_retries": 0}, "agent": {"mode": "full-auto"}}
        )
        services = await start_services(ws, settings)
        out = await services.chat.send(f"remember {CANARY}")
        assert out.status == "done"
        sid = services.chat.session.id
        events = await services.store.events(sid)
        await services.aclose()
    dump = json.dumps([e.payload for e in events])
    assert CANARY not in dump and "tok-value-very-secret-777" not in dump
    assert MASK in dump
    raw = b"".join(p.read_bytes() for p in event_log_path(ws).parent.rglob("*") if p.is_file())
    assert CANARY.encode() not in raw and b"tok-value-very-secret-777" not in raw
    con = sqlite3.connect(event_log_path(ws))
    rows = con.execute("SELECT payload FROM events").fetchall()
    assert all(CANARY not in r[0] for r in rows)


def test_untrusted_workspace_redact_env_still_masks_through_the_cli(tmp_path: Path) -> None:
    """``[redact] env`` of an *untrusted* workspace config still applies (naming a variable can
    only add masking), while everything else in that file waits for trust: the token's value
    reaches neither stdout nor the event log of a real ``workbench run``."""
    import os
    import subprocess
    import sys

    token = "tok-untrusted-config-value-4242"
    ws = tmp_path / "ws"
    (ws / ".workbench").mkdir(parents=True)
    (ws / ".workbench" / "config.toml").write_text('[redact]\nenv = ["MY_SERVICE_TOKEN"]\n[agent]\nmode = "full-auto"\n')
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WORKBENCH_", "OPENAI_"))}
    with ScriptedServer() as server:
        server.enqueue(Reply(text=f"the token is {token}, split", chunk_chars=3))
        env.update(
            WORKBENCH_HOME=str(home),
            XDG_CONFIG_HOME=str(tmp_path / "cfg"),
            OPENAI_API_KEY=CANARY,
            MY_SERVICE_TOKEN=token,
            WORKBENCH_LLM__BASE_URL=server.base_url,
            WORKBENCH_LLM__MODEL="m",
            WORKBENCH_LLM__MAX_RETRIES="0",
        )
        proc = subprocess.run(
            [sys.executable, "-m", "workbench", "run", "-p", "say it", "--json", str(ws)],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert proc.returncode == 0, proc.stderr
    assert "ignored untrusted" in proc.stderr  # the rest of the file did not apply
    assert token not in proc.stdout + proc.stderr and MASK in proc.stdout
    raw = b"".join(p.read_bytes() for p in home.rglob("*") if p.is_file())
    assert token.encode() not in raw and CANARY.encode() not in raw
    result = [json.loads(line) for line in proc.stdout.splitlines()][-1]
    assert result["kind"] == "result"
