"""Docker sandbox: hardened per-session containers, commands, logs and images (no UI imports).

Modules (import them directly; this package imports nothing, so the docker SDK loads on use):
``policy`` (SandboxSettings, container_config), ``engine`` (connect, engine_status),
``service`` (SandboxService), ``recovery`` (reattach_on_resume,
stale_containers, prune_crashed, stop_on_exit), ``exec`` (run_command, CommandResult),
``processes`` (the per-command wrapper, kill/probe scripts, reset_container), ``logs`` (LogFollower,
LogLine), ``images`` (build_image, import_rootfs), ``containers`` (ContainerInfo, SandboxInfo,
ContainerStats), ``errors``.
"""
