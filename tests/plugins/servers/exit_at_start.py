"""MCP test server that fails at once: writes an error to stderr and exits with status 2."""

import sys

print("exit_at_start: missing API key EXIT-MARKER", file=sys.stderr, flush=True)
sys.exit(2)
