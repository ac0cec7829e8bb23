"""The Containers pane and its parts."""
