"""Secrets split across streamed deltas reach no sink; data-dir files are private.

Plays a model that echoes secrets (the API key, a ``ghp_`` token, an ``AKIA`` key id, a PEM
block, a ``[redact] env`` value) in pieces of 1 to 16 characters, slowly enough that the deltas
are flushed in many batches. Sinks checked after a real ``workbench run`` (plain and ``--json``):
the event log file (``events.db`` and ``-wal`` bytes), stdout, stderr, the journal files (incl.
``masterGuide.md``, which quotes workspace files) and ``workbench export`` in every format. No
window of 10 characters of any secret may appear anywhere (a split secret would show its pieces).
"""

from __future__ import annotations

import json
import os
import random
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from workbench.core.paths import workspace_data_dir
from workbench.core.redact import Redactor, StreamRedactor
from workbench.scripted.server import Reply, ScriptedServer, ToolCallSpec

pytestmark = pytest.mark.timeout(240)
REPO = Path(__file__).resolve().parents[2]
API_KEY = "sk-fuzzkey-Q7w9Z2k4P1x8R3t6Y5u0"
GHP = "ghp_Zq8Xw7Vu6Ts5Rq4Po3Nm2Lk1Jh0GfEdCbA9"
AKIA = "AKIAQ4W7E2R9T6Y3U8I1"
PEM_BODY = ["MIIEpQIBAAKCAQEAz8f3Qw9Lr2", "Vt6Xy1Kp0Nm7Bh4Jc5Ds8Fg3", "Hk2Lq9We4Rt7Yu1Io6Pa3Sd"]
PEM = "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(PEM_BODY) + "\n-----END RSA PRIVATE KEY-----"
ENV_VALUE = "envtok-M3n5B7v9C1x2Z4a6"
SECRETS = [API_KEY, GHP, AKIA, *PEM_BODY, ENV_VALUE]
TEXT = (
    f"Using key {API_KEY} now.\nThe token is {GHP}, aws id {AKIA}; env says {ENV_VALUE}.\n"
    f"{PEM}\nAuthorization: Bearer {ENV_VALUE}\nDone."
)


def windows(secret: str, size: int = 10) -> list[str]:
    return [secret[i : i + size] for i in range(len(secret) - size + 1)]


def leaks(blob: str) -> list[str]:
    return [w for s in SECRETS for w in windows(s) if w in blob]


def test_stream_redactor_matches_whole_text_redaction_for_every_chunking() -> None:
    redactor = Redactor([API_KEY, ENV_VALUE])
    whole = redactor.text(TEXT)
    assert not leaks(whole)
    for size in range(1, 17):
        for seed in range(10):
            rnd = random.Random(seed * 100 + size)
            stream, out, i = StreamRedactor(redactor), [], 0
            while i < len(TEXT):
                n = rnd.randint(1, size)
                out.append(stream.feed(TEXT[i : i + n]))
                i += n
            out.append(stream.flush())
            assert "".join(out) == whole, (size, seed)
            assert not any(leaks(piece) for piece in out)


def stream_replies() -> list[Reply]:
    """One reply per chunk size 1..16 (each with a harmless tool call to go on), then a last one."""
    replies = [
        Reply(
            text=TEXT,
            reasoning=TEXT,
            chunk_chars=size,
            tokens_per_second=600,
            tool_calls=[ToolCallSpec("read_file", json.dumps({"path": "README.md"}), id=f"c{size}")],
        )
        for size in range(1, 17)
    ]
    return [*replies, Reply(text=TEXT, chunk_chars=7, tokens_per_second=600)]


def test_split_secrets_reach_no_sink_through_the_real_cli(tmp_path: Path) -> None:
    home = Path(os.environ["WORKBENCH_HOME"])
    (home / "config").mkdir(parents=True, exist_ok=True)
    (home / "config" / "config.toml").write_text('[redact]\nenv = ["FUZZ_SERVICE_TOKEN"]\n[agent]\nmax_steps = 40\n')
    ws = (tmp_path / "proj").resolve()
    (ws / "pkg").mkdir(parents=True)
    (ws / "README.md").write_text(f"# demo project {GHP}\n\nmore\n")  # masterGuide.md quotes this line
    (ws / "pkg" / "__init__.py").write_text(f'"""Package holding {AKIA} as its docstring."""\n')
    env = dict(
        os.environ,
        OPENAI_API_KEY=API_KEY,
        FUZZ_SERVICE_TOKEN=ENV_VALUE,
        PYTHONUNBUFFERED="1",
        WORKBENCH_CHAT__DELTA_BATCH_MS="10",
    )
    outputs: list[str] = []
    with ScriptedServer() as server:
        env.update(WORKBENCH_LLM__BASE_URL=server.base_url, WORKBENCH_LLM__MODEL="m", WORKBENCH_LLM__MAX_RETRIES="0")
        for as_json in (False, True):
            server.enqueue(*stream_replies())
            args = [sys.executable, "-m", "workbench", "run", "--yes", "-p", "echo the secrets", str(ws)]
            proc = subprocess.run(
                args + (["--json"] if as_json else []), cwd=REPO, env=env, capture_output=True, text=True, timeout=180
            )
            assert proc.returncode == 0, proc.stderr
            outputs += [proc.stdout, proc.stderr]
            if as_json:
                events = [json.loads(line) for line in proc.stdout.splitlines()]
                deltas = [e for e in events if e["kind"] == "assistant.delta"]
                # The wire carried the secrets in 1..16-character chunks; the batcher coalesces them
                # into fewer events (it backs off while writes are slow), but every reply streamed.
                assert len(deltas) >= len(stream_replies())
                sid = events[0]["session_id"]
        assert "[REDACTED]" in outputs[0]  # plain stdout got the reply, masked
    for fmt in ("md", "json", "html"):
        exp = subprocess.run(
            [sys.executable, "-m", "workbench", "export", sid, "--format", fmt, "--path", str(ws)],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert exp.returncode == 0, exp.stderr
        assert "[REDACTED]" in exp.stdout
        outputs.append(exp.stdout)
    journal = sorted((ws / ".workbench" / "journal").glob("*.md"))
    assert {p.name for p in journal} >= {"agentJournal.md", "masterGuide.md"}
    guide = (ws / ".workbench" / "journal" / "masterGuide.md").read_text()
    assert "demo project [REDACTED]" in guide  # the excerpt is there, masked
    outputs += [p.read_text() for p in journal]
    data = workspace_data_dir(ws)
    for name in ("events.db", "events.db-wal"):
        if (data / name).exists():
            outputs.append((data / name).read_bytes().decode("utf-8", "replace"))
    found = {i: leaks(text) for i, text in enumerate(outputs) if leaks(text)}
    assert not found, found


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_data_dir_files_are_private(tmp_path: Path) -> None:
    """events.db (+ -wal/-shm), the checkpoint repository, trust records, the data folders: 0600 / 0700."""
    ws = (tmp_path / "perms").resolve()
    ws.mkdir()
    (ws / "a.txt").write_text("hello\n")
    (ws / "AGENTS.md").write_text("# rules\n")  # something to trust: the trust records are data files too
    trust = subprocess.run(
        [sys.executable, "-m", "workbench", "trust", str(ws)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        env=dict(os.environ),
    )
    assert trust.returncode == 0, trust.stderr
    with ScriptedServer() as server:
        server.enqueue(
            Reply(tool_calls=[ToolCallSpec("write_file", json.dumps({"path": "b.txt", "content": "x\n"}), id="w")]),
            Reply(text="written"),
        )
        env = dict(
            os.environ,
            OPENAI_API_KEY=API_KEY,
            WORKBENCH_LLM__BASE_URL=server.base_url,
            WORKBENCH_LLM__MODEL="m",
            WORKBENCH_LLM__MAX_RETRIES="0",
        )
        proc = subprocess.run(
            [sys.executable, "-m", "workbench", "run", "--yes", "-p", "write", str(ws)],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert proc.returncode == 0, proc.stderr
    assert (ws / "b.txt").read_text() == "x\n"
    assert mode(ws / "b.txt") & 0o044 == 0o044  # workspace files keep normal modes
    home = Path(os.environ["WORKBENCH_HOME"])
    data = workspace_data_dir(ws)
    assert mode(home) == 0o700 and mode(data.parent) == 0o700 and mode(data) == 0o700
    assert mode(data / "events.db") == 0o600
    sqlite_side = [p for p in (data / "events.db-wal", data / "events.db-shm") if p.exists()]
    assert all(mode(p) == 0o600 for p in sqlite_side)
    shadow = data / "checkpoints.git"
    assert shadow.is_dir() and any(shadow.rglob("objects/??/*")), "a checkpoint was taken"
    trust_files = [p for p in (home / "trust").rglob("*") if p.is_file()]
    assert trust_files and all(mode(p) == 0o600 for p in trust_files), [(str(p), oct(mode(p))) for p in trust_files]
    # nothing in the data dir is open to the group or others (folders 0700, files 0600 or stricter)
    open_to_others = [
        str(p)
        for p in [home, *home.rglob("*")]
        if not p.is_symlink()
        and mode(p) & 0o077
        and not p.is_relative_to(home / "config")  # the user's own config folder, written by the test
    ]
    assert not open_to_others, open_to_others
