# Sourced by scripts/test and scripts/lint: create .venv on first use (an editable install with the
# test and dev extras) and reinstall when pyproject.toml changed. Sets VENV.
PY=${PYTHON:-python3}
VENV=.venv
if [ ! -x "$VENV/bin/python" ]; then
  "$PY" -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c "import workbench, pytest, textual, pytest_asyncio, pytest_timeout, importlinter, mypy" 2>/dev/null \
   || ! [ -x "$VENV/bin/ruff" ] || [ pyproject.toml -nt "$VENV/.installed" ]; then
  "$VENV/bin/python" -m pip install --quiet --upgrade pip
  "$VENV/bin/python" -m pip install --quiet -e '.[test,dev]'
  touch "$VENV/.installed"
fi
