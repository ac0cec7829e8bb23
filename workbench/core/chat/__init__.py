"""Chat turns: prompt -> streamed reply, recorded in the event log."""
