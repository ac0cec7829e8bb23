"""Textual user interface: renders core events and calls core services."""
