"""How the UI process uses Python's cyclic garbage collector, so that collections do not stall
frames.

CPython's collector (https://docs.python.org/3/library/gc.html, ``Modules/gcmodule.c``) runs a
*full* collection, which scans every tracked object, once the middle generation has been
collected ``threshold2`` times (10 by default). A streaming reply allocates quickly (rendered
lines, Rich segments, Textual strips and their caches), so with the defaults a full pass ran
about once a second while a reply streamed, each 60-85 ms on a 2-core machine (measured with the
streaming benchmark): the longest frames of the stream.

* :func:`freeze_startup_objects` moves what exists once the app is ready (modules, widgets,
  stylesheets, the SDKs) into the permanent generation, so full passes never re-scan it;
* :func:`tune` makes full passes rarer (``threshold2`` 10 → :data:`FULL_EVERY`); the young
  generations are collected as before. Memory held by reference cycles is freed later, not
  never: most objects here are freed by reference counting and never reach the collector.

Version-aware: CPython's incremental collector (gh-108362: two generations, the old one collected
in increments; reverted from 3.13 and retargeted to 3.14) ignores ``threshold2`` and reports it as
0 (its "gc" what's-new entry). :func:`tune` tunes the 3-generation collector only, told apart by
that 0 rather than by version number, and leaves an incremental one as it is. ``requires-python``
stops below 3.14 until that version is tested.
"""

from __future__ import annotations

import gc

FULL_EVERY = 100
"""Middle-generation collections between two full collections (CPython's default: 10)."""


def generational() -> bool:
    """Whether this interpreter's collector is the 3-generation one (``threshold2`` means
    something: non-zero), not the incremental one (which reports 0)."""
    return gc.get_threshold()[2] != 0


def tune() -> bool:
    """Keep CPython's young-generation thresholds; make full collections :data:`FULL_EVERY` apart.

    Returns:
        True when tuned; False on an incremental collector, left untouched (see the module doc).
    """
    young, middle, full = gc.get_threshold()
    if not full:
        return False
    gc.set_threshold(young, middle, FULL_EVERY)
    return True


def freeze_startup_objects(*, collect: bool = True) -> None:
    """Move every object alive now out of the collector's reach (``gc.freeze``).

    Call once after start-up with ``collect=True`` (one full collection first, so no garbage is
    frozen: a pause of 50-200 ms, taken before the user acts), and again with ``collect=False``
    after a late import (the OpenAI SDK loads in the background): freezing alone takes
    microseconds. Full collections then scan only what the session creates instead of re-scanning
    Textual's and the SDKs' objects (70-370 ms pauses, measured).
    """
    if collect:
        gc.collect()
    gc.freeze()
