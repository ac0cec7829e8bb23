"""Docker sandbox: hardened per-session containers, commands, logs and images (no UI imports)."""
