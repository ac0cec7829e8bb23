"""The SQLite event log: sessions and their events (see :mod:`workbench.core.store.db`)."""

from workbench.core.store.aio import AsyncEventStore
from workbench.core.store.db import (
    CorruptLogError,
    EventStore,
    LogWriteError,
    SessionInfo,
    SessionNotFound,
)

__all__ = [
    "AsyncEventStore",
    "CorruptLogError",
    "EventStore",
    "LogWriteError",
    "SessionInfo",
    "SessionNotFound",
]
