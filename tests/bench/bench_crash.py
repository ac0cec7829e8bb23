"""Crash benchmark (issue 13): SIGKILL real ``workbench`` processes at random points and check that
nothing acknowledged is lost and the log stays sound.

Each round runs one real subprocess against the scripted OpenAI-compatible server (in this
process) and kills it with SIGKILL at a random point:

* ``stream``: ``workbench run --json`` streaming a long reply (killed after a random delta);
* ``tools``: a turn of several ``write_file`` calls (checkpoint before the first change, tool
  calls, the checkpoint after the turn, the journal's debounced writes; killed after a random
  event of a random kind, plus a random 0-400 ms so kills also land between events);
* ``rewind``: ``workbench rewind CP --files`` of a random checkpoint, its restore slowed by the
  test hook ``WORKBENCH_CHECKPOINT_TEST_OP_DELAY``, killed after a random delay.

Half of the ``run`` rounds continue the latest session (so sealing a crashed turn and continuing
it is exercised). After each kill the workspace is reopened with the real CLI (``workbench
sessions --json`` opens the log and seals crashed sessions; after a rewind ``workbench checkpoints
--json`` also completes the cut rewind) and checked:

* acknowledged events: every JSON line ``--json`` printed before the kill must be in the log with
  the same seq, session, kind and payload (``lost`` counts those missing or different);
* ``PRAGMA integrity_check`` must answer ``ok`` (``integrity failures``);
* the reopen exits 0 without a traceback (``reopen failures``), leaves no restore pending, and
  every session's last prompt has a ``turn.finished`` after it (``unsealed turns``).

At the end the journal is brought up to date once more and compared with a regeneration from
scratch (``journal mismatches``: a crash must never leave duplicated or missing entries).

Run: ``.venv/bin/python tests/bench/bench_crash.py [--rounds 100] [--seed 1] [--json]``.
Prints rounds, kills, acknowledged events, lost events and integrity failures; exit code 1 when
anything was lost or failed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FILES = 20
LONG = "".join(f"Sentence {i} of a long streamed answer, with some **Markdown** in it. " for i in range(120))


@dataclass
class Totals:
    """What the benchmark counted."""

    rounds: int = 0
    kills: int = 0
    acknowledged: int = 0
    lost: int = 0
    integrity_failures: int = 0
    reopen_failures: int = 0
    unsealed_turns: int = 0
    journal_mismatches: int = 0
    scenarios: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)


def scripted_reply(body: dict):
    """The scripted model: tool results get a short answer; "tools N" asks for N writes;
    anything else streams a long answer."""
    from workbench.scripted.server import Reply, ToolCallSpec

    messages = body.get("messages") or []
    last = messages[-1] if messages else {}
    if last.get("role") == "tool":
        return Reply(text="Done: the files are written. " * 8, chunk_chars=6)
    text = last.get("content") or ""
    if text.startswith("tools"):
        _, n, salt = text.split()
        calls = [
            ToolCallSpec(
                "write_file",
                json.dumps({"path": f"f{(int(salt) + i) % FILES:02d}.txt", "content": f"round {salt} file {i}\n" * 20}),
                id=f"c{salt}_{i}",
            )
            for i in range(int(n))
        ]
        return Reply(text="I will write them.", tool_calls=calls)
    return Reply(text=LONG, chunk_chars=8, tokens_per_second=3000)


class Bench:
    """One benchmark run in a fresh data dir and workspace under ``root``."""

    def __init__(self, root: Path, base_url: str, rng: random.Random) -> None:
        self.root = root
        self.ws = root / "project"
        self.ws.mkdir()
        for i in range(FILES):
            (self.ws / f"f{i:02d}.txt").write_text(f"original {i}\n")
        self.rng = rng
        self.env = dict(
            os.environ,
            WORKBENCH_HOME=str(root / "home"),
            OPENAI_API_KEY="sk-bench-crash-0123456789",
            WORKBENCH_LLM__BASE_URL=base_url,
            WORKBENCH_LLM__MODEL="m",
            WORKBENCH_LLM__MAX_RETRIES="0",
            WORKBENCH_CHAT__DELTA_BATCH_MS="20",
            PYTHONUNBUFFERED="1",
            # the process stays alive after its command until killed (see workbench/__main__.py),
            # so every round kills a live process: the kill count does not depend on speed
            WORKBENCH_TEST_HOLD_EXIT="1",
        )
        os.environ["WORKBENCH_HOME"] = self.env["WORKBENCH_HOME"]  # this process reads the same log
        self.totals = Totals()
        self.last_session: str | None = None
        self.verbose = False

    def cli(self, *args: str, **popen) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-m", "workbench", *args],
            cwd=REPO,
            env=popen.pop("env", self.env),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            **popen,
        )

    # -- scenarios ---------------------------------------------------------------------------
    def kill_run(self, prompt: str, kinds: list[str]) -> list[dict]:
        """``workbench run --json``, SIGKILLed after a random occurrence of a random kind (plus
        jitter); returns the acknowledged events (every whole JSON line printed)."""
        args = ["run", "--yes", "--json", "-p", prompt, str(self.ws)]
        if self.last_session and self.rng.random() < 0.5:
            args[1:1] = ["--session", self.last_session]
        proc = self.cli(*args)
        kind = self.rng.choice(kinds)
        nth = self.rng.randint(1, {"assistant.delta": 6, "tool.started": 2, "tool.finished": 2, "tool.approved": 2}.get(kind, 1))
        jitter = self.rng.uniform(0, 0.4)
        lines: list[bytes] = []
        trigger = threading.Event()

        def read() -> None:
            seen = 0
            assert proc.stdout is not None
            for raw in proc.stdout:
                lines.append(raw)
                try:
                    if json.loads(raw)["kind"] == kind:
                        seen += 1
                        if seen >= nth:
                            trigger.set()
                except ValueError:
                    pass
            trigger.set()

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        trigger.wait(60)
        time.sleep(jitter)
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            self.totals.kills += 1
        proc.wait(60)
        reader.join(30)
        err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        if "Traceback" in err:
            self.totals.problems.append(f"run traceback: {err[-400:]}")
        acked = []
        for raw in lines:
            if raw.endswith(b"\n"):
                try:
                    event = json.loads(raw)
                except ValueError:
                    continue
                if event.get("seq") is not None:  # the final "result" line is not a stored event
                    acked.append(event)
        if acked:
            self.last_session = acked[0]["session_id"]
        return acked

    def kill_rewind(self) -> bool:
        from workbench.core.paths import event_log_path

        conn = sqlite3.connect(event_log_path(self.ws))
        try:
            rows = [
                json.loads(r[0])["checkpoint"]
                for r in conn.execute("SELECT payload FROM events WHERE kind = 'checkpoint.created'")
            ]
        finally:
            conn.close()
        if not rows:
            return False
        cp = self.rng.choice(rows)
        env = dict(self.env, WORKBENCH_CHECKPOINT_TEST_OP_DELAY="0.02")
        proc = self.cli("rewind", cp[:12], "--files", "--path", str(self.ws), env=env)
        try:
            proc.wait(self.rng.uniform(0.2, 2.5))
        except subprocess.TimeoutExpired:  # always: the process is held alive after its command
            os.kill(proc.pid, signal.SIGKILL)
            self.totals.kills += 1
            proc.wait(60)
        err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        if "Traceback" in err:
            self.totals.problems.append(f"rewind traceback: {err[-400:]}")
        return True

    # -- checks ------------------------------------------------------------------------------
    def reopen_and_check(self, acked: list[dict], command: tuple[str, ...]) -> None:
        from workbench.core.checkpoints.repo import default_git_dir
        from workbench.core.checkpoints.restore import JOURNAL_NAME
        from workbench.core.paths import event_log_path

        t = self.totals
        env = {k: v for k, v in self.env.items() if k != "WORKBENCH_TEST_HOLD_EXIT"}
        proc = self.cli(*command, "--json", "--path", str(self.ws), env=env)
        _, err = proc.communicate(timeout=60)
        err_text = err.decode(errors="replace")
        if proc.returncode != 0 or "Traceback" in err_text:
            t.reopen_failures += 1
            t.problems.append(f"reopen exit {proc.returncode}: {err_text[-400:]}")
        if (default_git_dir(self.ws) / JOURNAL_NAME).exists():
            t.reopen_failures += 1
            t.problems.append("a restore is still pending after the reopen")
        log = event_log_path(self.ws)
        if not log.exists():
            t.lost += len(acked)
            t.acknowledged += len(acked)
            return
        conn = sqlite3.connect(log)
        try:
            if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                t.integrity_failures += 1
            t.acknowledged += len(acked)
            for e in acked:
                row = conn.execute("SELECT session_id, kind, payload FROM events WHERE seq = ?", (e["seq"],)).fetchone()
                if row is None or row[0] != e["session_id"] or row[1] != e["kind"] or json.loads(row[2]) != e["payload"]:
                    t.lost += 1
                    t.problems.append(f"lost or changed: seq {e['seq']} {e['kind']}")
            for (sid,) in conn.execute("SELECT id FROM sessions WHERE closed = 0"):
                last_user = conn.execute(
                    "SELECT MAX(seq) FROM events WHERE session_id = ? AND kind = 'user.message'", (sid,)
                ).fetchone()[0]
                if last_user is None:
                    continue
                done = conn.execute(
                    "SELECT 1 FROM events WHERE session_id = ? AND kind = 'turn.finished' AND seq > ? LIMIT 1", (sid, last_user)
                ).fetchone()
                if done is None:
                    t.unsealed_turns += 1
                    t.problems.append(f"session {sid}: last turn not sealed")
        finally:
            conn.close()

    def check_journal(self) -> None:
        """Bring the journal up to date, then compare with a regeneration from scratch."""
        from workbench.core.journal.projector import AGENT_JOURNAL, MASTER_GUIDE, STATE_RECOVERY, journal_dir, update_journal
        from workbench.core.paths import event_log_path, workspace_data_dir
        from workbench.core.store import EventStore

        os.environ["WORKBENCH_HOME"] = self.env["WORKBENCH_HOME"]
        store = EventStore(event_log_path(self.ws))
        try:
            update_journal(self.ws, store)
            names = (AGENT_JOURNAL, MASTER_GUIDE, STATE_RECOVERY)
            now = {n: (journal_dir(self.ws) / n).read_text() for n in names}
            for n in names:
                (journal_dir(self.ws) / n).unlink()
            (workspace_data_dir(self.ws) / "journal_state.json").unlink()
            update_journal(self.ws, store)
            fresh = {n: (journal_dir(self.ws) / n).read_text() for n in names}
        finally:
            store.close()
        self.totals.journal_mismatches = sum(1 for n in names if now[n] != fresh[n])
        if self.totals.journal_mismatches:
            self.totals.problems.append(
                "journal differs from a regeneration: " + ", ".join(n for n in names if now[n] != fresh[n])
            )

    def round(self, n: int) -> None:
        scenario = self.rng.choice(["stream", "tools", "tools", "rewind"]) if n > 1 else "tools"
        acked: list[dict] = []
        kills = self.totals.kills
        if scenario == "rewind" and not self.kill_rewind():
            scenario = "tools"  # no checkpoint yet
        self.totals.scenarios[scenario] = self.totals.scenarios.get(scenario, 0) + 1
        if scenario == "stream":
            acked = self.kill_run(f"story {n}", ["assistant.delta", "assistant.delta", "user.message", "assistant.message"])
        elif scenario == "tools":
            acked = self.kill_run(
                f"tools {self.rng.randint(2, 6)} {n}",
                [
                    "checkpoint.created",
                    "tool.started",
                    "tool.finished",
                    "tool.approved",
                    "assistant.message",
                    "turn.finished",
                    "session.closed",
                ],
            )
        # the reopen: `sessions` opens the log (seals crashed turns); `checkpoints` also completes a cut rewind
        self.reopen_and_check(acked, ("checkpoints",) if scenario == "rewind" else ("sessions",))
        self.totals.rounds += 1
        if self.verbose:
            print(
                f"round {n}: {scenario}, {len(acked)} acknowledged, last {acked[-1]['kind'] if acked else '-'}, "
                f"killed {self.totals.kills > kills}, lost so far {self.totals.lost}",
                file=sys.stderr,
                flush=True,
            )


def run_bench(rounds: int, seed: int = 1, root: Path | None = None, verbose: bool = False) -> Totals:
    """Run ``rounds`` kill rounds; returns the totals (see module doc)."""
    from workbench.scripted.server import ScriptedServer

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="wb-crash-") as tmp, ScriptedServer(default=scripted_reply) as server:
        bench = Bench(Path(root or tmp), server.base_url, random.Random(seed))
        bench.verbose = verbose
        for n in range(1, rounds + 1):
            bench.round(n)
        bench.check_journal()
    bench.totals.seconds = round(time.perf_counter() - started, 1)
    return bench.totals


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="SIGKILL workbench at random points; count lost events.")
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="print the totals as JSON")
    parser.add_argument("-v", "--verbose", action="store_true", help="one line per round on stderr")
    args = parser.parse_args(argv)
    t = run_bench(args.rounds, args.seed, verbose=args.verbose)
    if args.json:
        print(json.dumps(asdict(t), indent=2))
    else:
        print(
            f"rounds: {t.rounds}  kills: {t.kills}  acknowledged events: {t.acknowledged}  lost events: {t.lost}  "
            f"integrity failures: {t.integrity_failures}"
        )
        print(
            f"reopen failures: {t.reopen_failures}  unsealed turns: {t.unsealed_turns}  journal mismatches: {t.journal_mismatches}  "
            f"scenarios: {t.scenarios}  time: {t.seconds} s"
        )
        for p in t.problems[:20]:
            print(f"  problem: {p}")
    bad = t.lost or t.integrity_failures or t.reopen_failures or t.unsealed_turns or t.journal_mismatches
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
