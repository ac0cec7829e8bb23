"""Chat slash commands: ``/help``, ``/new``, ``/resume``, ``/compact``, ``/model NAME``,
``/mode NAME``, ``/cost``, ``/continue``. Typing ``/`` shows the matching commands above the prompt; ``tab``
completes the command name."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import Static

from workbench.ui.chat.messages import ErrorMessage, Note

if TYPE_CHECKING:
    from workbench.ui.chat.pane import ChatPane

COMMANDS: dict[str, tuple[str, str]] = {
    "/help": ("", "list the slash commands and where the keys are"),
    "/new": ("", "start a new session"),
    "/resume": ("[ID]", "resume a session (picker without an id)"),
    "/compact": ("", "summarise older turns now to free context"),
    "/model": ("NAME", "use another model from the next request"),
    "/mode": ("NAME", "permission mode: ask, auto-edit, full-auto, read-only"),
    "/cost": ("", "tokens and cost of this session"),
    "/checkpoint": ("[LABEL]", "snapshot the workspace now"),
    "/rewind": ("", "restore files and/or the conversation to a checkpoint (also esc esc)"),
    "/continue": ("", "continue the interrupted reply (after a crash or Esc)"),
}
MODES = ("ask", "auto-edit", "full-auto", "read-only")


def matches(text: str) -> list[str]:
    """Commands (or mode names after ``/mode ``) completing ``text``."""
    if text.startswith("/mode "):
        arg = text[len("/mode ") :]
        return [f"/mode {m}" for m in MODES if m.startswith(arg)]
    if " " in text or not text.startswith("/"):
        return []
    return [c for c in COMMANDS if c.startswith(text)]


def complete(text: str) -> str | None:
    """The completion of ``text``: the single match, or the longest common prefix; None if none."""
    found = matches(text)
    if not found:
        return None
    if text in COMMANDS and len(found) > 1:
        return text + " "  # an exact command: complete it (type more to reach the longer ones)
    if len(found) == 1:
        return found[0] + ("" if found[0].startswith("/mode ") or not COMMANDS.get(found[0], ("", ""))[0] else " ")
    prefix = found[0]
    for other in found[1:]:
        while not other.startswith(prefix):
            prefix = prefix[:-1]
    return prefix if len(prefix) > len(text) else None


class SlashHint(Static):
    """One line above the prompt listing the commands matching what is typed."""

    DEFAULT_CSS = "SlashHint { height: auto; max-height: 8; padding: 0 1; color: $text-muted; display: none; } SlashHint.-shown { display: block; }"

    def show_for(self, text: str) -> None:
        """Show the commands matching ``text`` (hidden when nothing matches)."""
        found = matches(text.split("\n", 1)[0])
        if not found:
            self.remove_class("-shown")
            return
        t = Text()
        for name in found:
            base = name.split(" ", 1)[0]
            args, desc = COMMANDS.get(base, ("", ""))
            t.append(name, style="bold")
            if args and name == base:
                t.append(f" {args}", style="italic")
            if name == base:
                t.append(f"  {desc}")
            t.append("\n")
        t.append("tab completes", style="dim italic")
        self.update(t)
        self.add_class("-shown")


class SlashCommands:
    """Runs slash commands for a chat pane."""

    def __init__(self, pane: ChatPane) -> None:
        self.pane = pane

    async def _say(self, text: str, error: bool = False) -> None:
        view = self.pane.view
        await view.mount(ErrorMessage(text) if error else Note(text))
        view.scroll_end(animate=False)

    async def run(self, line: str) -> None:
        """Execute one command line (unknown commands get a message listing the known ones)."""
        pane = self.pane
        services = pane.services
        assert services is not None
        chat = services.chat
        name, _, arg = line.strip().partition(" ")
        arg = arg.strip()
        if name == "/help":
            rows = [f"{c} {a}".strip() + f" — {d}" for c, (a, d) in COMMANDS.items()]
            await self._say("Slash commands:\n" + "\n".join(rows) + "\nKeys: F1 lists every binding.")
        elif name == "/new":
            await pane.action_new_session()
        elif name == "/resume":
            if arg:
                await pane.open_session(arg)
            else:
                pane.app.action_sessions()
        elif name == "/compact":
            if chat.running:
                await self._say("Wait for the reply to finish (or Esc) before compacting.", error=True)
                return
            pane.status.state = "compacting…"
            try:
                summary = await chat.compact(reason="manual")
            except Exception as exc:
                await self._say(f"Compaction failed: {exc}", error=True)
            else:
                if summary is None:
                    await self._say(
                        f"Nothing to compact yet: the last {chat.agent.keep_recent_turns} turns are always kept verbatim."
                    )
            finally:
                pane.status.state = "ready"
        elif name == "/model":
            if not arg:
                await self._say(f"Model: {chat.llm.model}. Use /model NAME to switch.")
                return
            await chat.set_model(arg)
            pane.status.model = arg
            await self._say(f"Model set to {arg} from the next request.")
        elif name == "/mode":
            if not arg:
                await self._say(f"Mode: {chat.permissions.mode.value}. Use /mode {' | '.join(MODES)} (or shift+tab).")
                return
            try:
                mode = await chat.set_mode(arg)
            except ValueError as exc:
                await self._say(str(exc), error=True)
                return
            pane.status.mode = mode.value
            await self._say(f"Permission mode: {mode.value}.")
        elif name == "/cost":
            u = chat.session_usage
            info = chat.model_info()
            cost = chat.session_cost
            price = (
                f"{info.currency}{cost:.4f} at {info.currency}{info.input_price}/{info.currency}{info.output_price} per million tokens in/out"
                if info is not None and cost is not None
                else f'no price for {chat.llm.model} (add [models."{chat.llm.model}"] input_price/output_price to the config)'
            )
            window = chat.context_window()
            await self._say(
                f"Session tokens: {u['prompt_tokens']:,} in, {u['completion_tokens']:,} out ({u['total_tokens']:,} total). "
                f"Cost: {price}. Context: last prompt {chat.last_prompt_tokens:,} of {window:,} tokens."
            )
        elif name == "/checkpoint":
            service = services.checkpoints
            if service is None:
                await self._say("Checkpoints are off in this workspace.", error=True)
                return
            snapshot = await service.checkpoint(arg or "manual checkpoint")
            n = len(snapshot.files_changed) if snapshot else 0
            await self._say(f"Checkpoint {snapshot.checkpoint[:8]} taken ({n} file(s) changed since the last one).")
        elif name == "/rewind":
            pane.open_rewind()
        elif name == "/continue":
            if not pane.continue_reply():
                await self._say("A reply is still streaming: wait for it (or Esc) before /continue.", error=True)
        else:
            await self._say(f"Unknown command {name}. Known: {', '.join(COMMANDS)}.", error=True)
