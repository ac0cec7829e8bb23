"""Workbench service core: asyncio services with no ``textual`` or ``rich`` import.

Subpackages: ``store`` (SQLite event log), ``llm`` (OpenAI-compatible streaming), ``chat`` (turns),
``tools``, ``sandbox``, ``checkpoints``, ``journal``, ``specs``, ``plugins``.
"""
