"""``python -m workbench``: the same entry point as the installed ``workbench`` script."""

import os

from workbench.cli import main

try:
    code = main()
finally:
    if os.environ.get("WORKBENCH_TEST_HOLD_EXIT") == "1":
        # Test hook for the crash benchmark (tests/bench/bench_crash.py): after the command is
        # done, close stdout/stderr (the reader sees EOF) and stay alive until SIGKILLed, so
        # every round's kill lands on a live process whatever the machine's speed.
        import signal
        import sys

        sys.stdout.flush()
        sys.stderr.flush()
        os.close(1)
        os.close(2)
        while True:
            signal.pause()
raise SystemExit(code)
