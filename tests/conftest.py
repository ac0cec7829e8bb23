"""Suite-wide fixtures: every test gets its own data dir (``WORKBENCH_HOME``), so nothing touches
the real user's files, and no real API key from the environment can leak into a test."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _isolated_workbench_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path_factory.mktemp("wbhome")))
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "DEEPSEEK_API_KEY", "MOONSHOT_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    for name in list(__import__("os").environ):
        if name.startswith("WORKBENCH_") and name != "WORKBENCH_HOME":
            monkeypatch.delenv(name, raising=False)
