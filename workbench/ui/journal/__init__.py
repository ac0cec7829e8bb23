"""The Journal pane (3): a live, filterable tail of the event log (see :mod:`.pane`)."""
