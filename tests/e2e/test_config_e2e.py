"""``workbench config show``: TOML that parses back, with and without a model."""

from __future__ import annotations

import json
import tomllib

from .conftest import KEY


def test_config_show_is_valid_toml_with_quoted_keys(wb, e2e_ws) -> None:
    (e2e_ws / ".workbench").mkdir()
    (e2e_ws / ".workbench" / "config.toml").write_text(
        '[llm]\nmodel = "gpt-4.1"\n\n[models."gpt-4.1"]\ncontext_window = 1000000\n\n'
        '[sandbox.tmpfs]\n"/tmp" = "rw,size=64m"\n"/var/cache" = "rw"\n'
    )
    wb.trust(e2e_ws)
    proc = wb("config", "show", "--path", e2e_ws, env={"OPENAI_API_KEY": KEY})
    assert proc.returncode == 0, proc.stderr
    data = tomllib.loads(proc.stdout)
    assert data["models"]["gpt-4.1"]["context_window"] == 1000000
    assert data["sandbox"]["tmpfs"] == {"/tmp": "rw,size=64m", "/var/cache": "rw"}
    assert data["llm"]["model"] == "gpt-4.1" and data["effective_llm"]["model"] == "gpt-4.1"
    assert data["effective_llm"]["api_key"] == "********"
    assert KEY not in proc.stdout + proc.stderr
    assert str(e2e_ws / ".workbench" / "config.toml") in proc.stdout  # the files read, as comments
    as_json = json.loads(wb("config", "show", "--json", "--path", e2e_ws).stdout)
    assert as_json["sandbox"]["tmpfs"]["/tmp"] == "rw,size=64m"


def test_config_show_works_without_a_model(wb, e2e_ws) -> None:
    proc = wb("config", "show", "--path", e2e_ws, env={"OPENAI_BASE_URL": "http://127.0.0.1:9/v1"})
    assert proc.returncode == 0, proc.stderr
    data = tomllib.loads(proc.stdout)
    assert "model" not in data["effective_llm"] and "no model set" in data["effective_llm"]["problem"]
    assert data["effective_llm"]["base_url"] == "http://127.0.0.1:9/v1"
    assert "# model = (unset)" in proc.stdout


def test_config_error_names_the_file_and_exits_2(wb, e2e_ws) -> None:
    (e2e_ws / ".workbench").mkdir()
    (e2e_ws / ".workbench" / "config.toml").write_text("[llm]\ntimeout = 'slow'\n")
    wb("trust", "--path", e2e_ws)  # may refuse an invalid file; config show must still say why
    proc = wb("config", "show", "--path", e2e_ws)
    assert proc.returncode == 2
    assert "llm.timeout" in proc.stderr and str(e2e_ws / ".workbench" / "config.toml") in proc.stderr
    assert proc.stdout == "" and "Traceback" not in proc.stderr
