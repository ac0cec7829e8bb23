"""set_task_state rewrites one checkbox and leaves every other byte alone."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from workbench.core.specs.models import TaskNotFoundError
from workbench.core.specs.tasks import load_tasks, parse_tasks, set_task_state

CORPUS = Path(__file__).parent / "corpus"


def diff_lines(before: bytes, after: bytes) -> list[int]:
    a, b = before.split(b"\n"), after.split(b"\n")
    assert len(a) == len(b)
    return [i + 1 for i, (x, y) in enumerate(zip(a, b)) if x != y]


def test_round_trip_on_corpus_file(tmp_path):
    path = tmp_path / "tasks.md"
    original = (CORPUS / "good-ears" / "tasks.md").read_bytes()
    path.write_bytes(original)
    set_task_state(path, "2.2", "in_progress")
    changed = path.read_bytes()
    assert diff_lines(original, changed) == [10]
    assert changed.split(b"\n")[9] == b"  - [-] 2.2 Show the error message"
    assert load_tasks(path).get("2.2").state == "in_progress"
    set_task_state(path, "2.2", "done")
    assert load_tasks(path).get("2.2").state == "done"
    set_task_state(path, "2.2", "todo")
    assert path.read_bytes() == original


def test_optional_task_keeps_its_star(tmp_path):
    path = tmp_path / "tasks.md"
    path.write_bytes((CORPUS / "good-ears" / "tasks.md").read_bytes())
    set_task_state(path, "2.3", "done")
    line = path.read_bytes().split(b"\n")[11]
    assert line == b"  - [x]* 2.3 Property tests for hashing"
    task = load_tasks(path).get("2.3")
    assert task.optional and task.state == "done"


@pytest.mark.parametrize("final_newline", [True, False])
def test_crlf_and_trailing_newline_preserved(tmp_path, final_newline):
    text = "# Plan\r\n\r\n- [ ] 1. First\r\n  - _Requirements: 1.1_\r\n- [ ] 2. Second\r\n  - détail ünïcode\r\n- [x] 3. Third"
    if final_newline:
        text += "\r\n"
    original = text.encode("utf-8")
    path = tmp_path / "tasks.md"
    path.write_bytes(original)
    set_task_state(path, "2", "done")
    after = path.read_bytes()
    assert diff_lines(original, after) == [5]
    assert after.replace(b"- [x] 2. Second", b"- [ ] 2. Second") == original
    assert after.count(b"\r\n") == original.count(b"\r\n")
    set_task_state(path, "3", "todo")  # last line, maybe without newline
    assert after.endswith(b"\r\n") == final_newline
    assert path.read_bytes().endswith(b"- [ ] 3. Third" + (b"\r\n" if final_newline else b""))


def test_mixed_line_endings_bom_and_tabs(tmp_path):
    original = b"\xef\xbb\xbf- [ ] 1. A\n\t- [ ] 1.1 B\r\n- [-] 2. C\n"
    path = tmp_path / "tasks.md"
    path.write_bytes(original)
    assert [t.id for t in parse_tasks(original.decode("utf-8")).all_tasks] == ["1", "1.1", "2"]
    set_task_state(path, "1", "done")
    assert path.read_bytes() == original.replace(b"[ ] 1. A", b"[x] 1. A")
    set_task_state(path, "1.1", "in_progress")
    assert path.read_bytes() == b"\xef\xbb\xbf- [x] 1. A\n\t- [-] 1.1 B\r\n- [-] 2. C\n"


def test_same_state_does_not_rewrite(tmp_path):
    path = tmp_path / "tasks.md"
    path.write_bytes(b"- [x] 1. Done\n")
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    set_task_state(path, "1", "done")
    assert path.stat().st_mtime_ns == 1_000_000_000


def test_atomic_write_keeps_mode_and_leaves_no_temp_files(tmp_path):
    path = tmp_path / "tasks.md"
    path.write_bytes(b"- [ ] 1. A\n")
    path.chmod(0o640)
    set_task_state(path, "1", "done")
    assert path.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tasks.md"]


def test_errors(tmp_path):
    path = tmp_path / "tasks.md"
    path.write_bytes(b"- [ ] 1. A\n- [ ] 1. Dup\n- [ ] 2. B\n")
    with pytest.raises(TaskNotFoundError, match="task 9 not found"):
        set_task_state(path, "9", "done")
    with pytest.raises(TaskNotFoundError, match="lines 1, 2"):
        set_task_state(path, "1", "done")
    with pytest.raises(ValueError, match="unknown task state"):
        set_task_state(path, "2", "finished")
    path.write_bytes(b"- [ ] 1. A \xff\n")
    with pytest.raises(ValueError, match="not valid UTF-8"):
        set_task_state(path, "1", "done")
    with pytest.raises(FileNotFoundError):
        set_task_state(tmp_path / "missing.md", "1", "done")


def test_code_fence_checkbox_is_not_touched(tmp_path):
    original = b"```\n- [ ] 1. in code\n```\n- [ ] 1. Real\n"
    path = tmp_path / "tasks.md"
    path.write_bytes(original)
    set_task_state(path, "1", "done")
    assert path.read_bytes() == b"```\n- [ ] 1. in code\n```\n- [x] 1. Real\n"
