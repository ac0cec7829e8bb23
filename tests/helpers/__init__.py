"""Test-only helpers (pytest): a real Docker engine or an honest skip, a small tmpfs, trusting a
test workspace. Importable as ``helpers`` (``tests/`` is on ``sys.path`` under pytest)."""
