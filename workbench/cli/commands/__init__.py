"""The bodies of the CLI commands (``workbench.cli.<command>`` registers the parser and calls in here).

Each module is imported only when its command runs, so ``workbench --help`` stays fast.
"""
