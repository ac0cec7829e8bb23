"""Child process for the SIGKILL test: append events to a log forever, acknowledging each.

Usage: ``python store_writer.py DB WORKSPACE``. Prints ``session <id>`` first, then for every
committed append one line ``ack <seq> <group> <index>`` per event (after ``append``/``append_many``
returned, flushed). Odd groups are single appends, even groups ``append_many`` of 3 events.
Payloads are deterministic from ``(group, index)`` so the parent can check them.
"""

from __future__ import annotations

import sys
from pathlib import Path

from workbench.core.events import Event, EventKind
from workbench.core.store import EventStore


def payload(group: int, index: int) -> dict:
    """The payload of event ``index`` of ``group`` (also used by the parent to verify)."""
    return {"turn_id": f"g{group}", "text": f"event {group}.{index} " + "x" * (group % 97), "n": [group, index]}


def main() -> None:
    store = EventStore(Path(sys.argv[1]))
    session = store.create_session(Path(sys.argv[2]))
    out = sys.stdout
    out.write(f"session {session.id}\n")
    out.flush()
    group = 0
    while True:
        group += 1
        if group % 2:
            stored = [store.append(Event(EventKind.ASSISTANT_DELTA, session.id, payload(group, 0)))]
        else:
            stored = store.append_many(Event(EventKind.ASSISTANT_DELTA, session.id, payload(group, i)) for i in range(3))
        out.write("".join(f"ack {e.seq} {group} {i}\n" for i, e in enumerate(stored)))
        out.flush()


if __name__ == "__main__":
    main()
