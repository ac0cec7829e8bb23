"""A ``TextArea`` whose subclass sees each key before the text is edited.

Textual behaviour worked around (source read: Textual 8.2.8). ``TextArea._on_key``
(``textual/widgets/_text_area.py:1818``) inserts ``enter`` as a newline (and printable keys as
text) and stops the event, so the key never reaches the widget's bindings: a ``Binding("enter",
"submit")`` on a ``TextArea`` subclass never fires. :class:`KeyFirstTextArea` hooks that private
handler and asks :meth:`KeyFirstTextArea.key_before_edit` first. ``tests/ui/test_textual_compat.py``
checks the handler still exists and that a binding on ``enter`` still loses to it.
"""

from __future__ import annotations

from textual import events
from textual.widgets import TextArea


class KeyFirstTextArea(TextArea):
    """A ``TextArea`` that offers each key to :meth:`key_before_edit` before editing the text."""

    # Overrides TextArea._on_key (textual/widgets/_text_area.py:1818, Textual 8.2.8).
    async def _on_key(self, event: events.Key) -> None:
        if self.key_before_edit(event):
            # Textual calls the handler of every class in the MRO unless the default is prevented.
            event.stop()
            event.prevent_default()
            return
        await super()._on_key(event)

    def key_before_edit(self, event: events.Key) -> bool:
        """Handle ``event`` before the text area does; return True when it was handled (the event
        is then stopped and the text area ignores it). Handles nothing by default."""
        return False
