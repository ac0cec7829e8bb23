"""Workbench: a keyboard-driven terminal workbench for LLM-assisted software engineering.

Importing this package is cheap: subpackages are imported on use, so the TUI's first frame does
not pay for the LLM client, the docker SDK or the MCP SDK.
"""

__version__ = "0.1.0"
