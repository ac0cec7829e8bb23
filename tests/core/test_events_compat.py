"""Typed events read the log written before they existed (tests/fixtures/events_v1.db).

The fixture was written by ``tests/fixtures/make_events_v1.py`` at the commit before typed events:
a real headless run and rewind plus every other kind through ``EventStore``, an unknown kind and
an extra field from "a newer version".
"""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

from workbench.core import event_payloads as P
from workbench.core.events import Event, EventKind
from workbench.core.store.db import EventStore

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "events_v1.db"
NEW_SINCE_V1 = {EventKind.PLAN_UPDATED}


def _open(tmp_path: Path) -> tuple[EventStore, str]:
    db = tmp_path / "events.db"
    shutil.copyfile(FIXTURE, db)  # never touch the checked-in file
    store = EventStore(db)
    assert store.recovery_message is None
    return store, store.sessions()[0].id


def test_every_kind_of_eventkind_has_a_payload_class() -> None:
    kinds = {v for k, v in vars(EventKind).items() if k.isupper()}
    assert kinds == set(P.PAYLOAD_TYPES)


def test_old_log_reads_every_event_into_its_typed_payload(tmp_path: Path) -> None:
    store, sid = _open(tmp_path)
    events = store.events(sid)
    store.close()
    seen = {e.kind for e in events}
    # every kind of the old version is in the fixture (so each class is exercised); kinds added
    # since (NEW_SINCE_V1) are read from logs of their own version by their own tests
    kinds = {v for k, v in vars(EventKind).items() if k.isupper() and not v.startswith(("spec.", "plugin."))}
    assert seen - {"future.kind"} == kinds - NEW_SINCE_V1
    for e in events:
        data = e.data
        if e.kind == "future.kind":
            assert isinstance(data, P.UnknownPayload) and data.raw == {"anything": [1, 2, 3]}
            continue
        cls = P.PAYLOAD_TYPES[e.kind]
        assert type(data) is cls and cls.of(e) is data
        # every field the old writer stored is read back unchanged (except extras of newer versions)
        names = {f.name for f in dataclasses.fields(cls)}
        for key, value in e.payload.items():
            if key in names:
                assert getattr(data, key) == value, (e.kind, key)
            else:
                assert (e.kind, key) == (EventKind.USER_MESSAGE, "attachments"), f"{e.kind} field {key} has no attribute"


def test_fields_the_real_run_wrote_read_as_typed_values(tmp_path: Path) -> None:
    store, sid = _open(tmp_path)
    events = store.events(sid)
    store.close()
    created = [P.CheckpointCreated.of(e) for e in events if e.kind == EventKind.CHECKPOINT_CREATED]
    assert created and all(len(c.checkpoint) == 40 for c in created)
    assert any(["A", "new.txt"] in c.files_changed or any(p == "new.txt" for _, p in c.files_changed) for c in created)
    finished = [P.ToolCallFinished.of(e) for e in events if e.kind == EventKind.TOOL_CALL_FINISHED]
    assert {f.name for f in finished} >= {"write_file", "read_file"}
    restored = [P.CheckpointRestored.of(e) for e in events if e.kind == EventKind.CHECKPOINT_RESTORED]
    assert restored[0].scope == "files" and "new.txt" in restored[0].deleted
    reply = [P.AssistantMessage.of(e) for e in events if e.kind == EventKind.ASSISTANT_MESSAGE][1]
    assert reply.text == "Done: **new.txt** written." and reply.usage["total_tokens"] == 133
    recovered = [P.TurnFinished.of(e) for e in events if e.kind == EventKind.TURN_FINISHED]
    assert [r.recovered for r in recovered][-1] is True


def test_missing_fields_take_defaults_and_wrong_kind_is_refused() -> None:
    e = Event(EventKind.TOOL_CALL_FINISHED, "s", {})
    data = P.ToolCallFinished.of(e)
    assert (data.content, data.changed_paths, data.is_error, data.outcome) == ("", [], False, None)
    assert P.ToolCallFinished.of(Event(EventKind.TOOL_CALL_FINISHED, "s", {})).changed_paths is not data.changed_paths
    try:
        P.UserMessage.of(e)
    except TypeError as exc:
        assert "tool.finished" in str(exc)
    else:
        raise AssertionError("a tool.finished event read as user.message")
    assert isinstance(Event("x.y", "s", ["not", "a", "dict"]).data, P.UnknownPayload)  # type: ignore[arg-type]


def test_json_on_disk_is_unchanged_by_reading(tmp_path: Path) -> None:
    store, sid = _open(tmp_path)
    before = [e.to_json() for e in store.events(sid)]
    for e in store.events(sid):
        _ = e.data
    store.append(Event(EventKind.USER_MESSAGE, sid, {"turn_id": "t9", "text": "new"}))
    after = [e.to_json() for e in store.events(sid)]
    store.close()
    assert after[: len(before)] == before and '"text": "new"' in after[-1]
