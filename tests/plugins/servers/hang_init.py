"""MCP test server that never answers ``initialize`` (reads stdin and ignores it).

With ``--stubborn`` it also ignores SIGTERM and stdin EOF, so only SIGKILL ends it.
"""

from __future__ import annotations

import signal
import sys
import time

stubborn = "--stubborn" in sys.argv
if stubborn:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
print("hang_init: waiting forever HANG-MARKER", file=sys.stderr, flush=True)
for _line in sys.stdin:
    pass
while stubborn:
    time.sleep(1)
