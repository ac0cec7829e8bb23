"""The hardened policy, checked from inside real containers created by the service."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from workbench.core.sandbox.policy import SandboxSettings, container_config, resolve_user

from .conftest import HOST_UID, PYTHON

pytestmark = pytest.mark.docker


async def test_only_loopback_and_no_route(make_service, session_id):
    service = make_service(image=PYTHON)
    result = await service.run_command(session_id, "ls /sys/class/net")
    assert result.exit_code == 0
    assert result.output_for_model.split() == ["lo"]
    probe = (
        'python3 -c "import socket\ns=socket.socket()\ns.settimeout(3)\n'
        "try:\n    s.connect(('1.1.1.1', 80)); print('CONNECTED')\nexcept OSError as e: print('ERR', e.errno)\""
    )
    result = await service.run_command(session_id, probe)
    assert "CONNECTED" not in result.output_for_model
    assert "ERR 101" in result.output_for_model  # ENETUNREACH: no route at all


async def test_root_filesystem_is_read_only(service, session_id):
    result = await service.run_command(session_id, "touch /etc/wb-probe")
    assert result.exit_code != 0
    assert "Read-only file system" in result.output_for_model


async def test_workspace_writable_and_owned_by_host_user(service, session_id, workspace):
    result = await service.run_command(session_id, "echo hello > /workspace/made-inside.txt && id -u")
    assert result.exit_code == 0, result.output_for_model
    made = workspace / "made-inside.txt"
    assert made.read_text() == "hello\n"
    owner = os.stat(workspace).st_uid
    assert os.stat(made).st_uid == owner
    assert int(result.output_for_model.strip()) == owner


async def test_not_root_and_no_capabilities(service, session_id):
    result = await service.run_command(session_id, "id -u; grep -E '^(CapEff|NoNewPrivs)' /proc/self/status")
    lines = result.output_for_model.split("\n")
    assert int(lines[0]) != 0
    status = dict(line.split(":\t") for line in lines[1:] if ":\t" in line)
    assert int(status["CapEff"], 16) == 0
    assert status["NoNewPrivs"] == "1"


def test_root_owned_workspace_runs_as_its_owner_root(tmp_path: Path):
    if os.geteuid() != 0:
        pytest.skip("needs a root-owned directory; the tests run as a normal user")
    assert os.stat(tmp_path).st_uid == 0
    assert resolve_user(SandboxSettings(), tmp_path) == "0:0"
    assert resolve_user(SandboxSettings(user="4242:4242"), tmp_path) == "4242:4242"


async def test_api_key_in_host_env_is_absent(make_service, session_id, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-canary-4f1d9a")
    monkeypatch.setenv("WB_ALLOWED_VAR", "allowed-value")
    service = make_service(env_allowlist=["WB_ALLOWED_VAR"])
    result = await service.run_command(session_id, "env")
    assert "sk-canary-4f1d9a" not in result.output_for_model
    assert "OPENAI_API_KEY" not in result.output_for_model
    assert "WB_ALLOWED_VAR=allowed-value" in result.output_for_model
    assert "HOME=/tmp" in result.output_for_model


async def test_inspect_hostconfig_matches_policy(service, session_id, workspace, docker_client):
    info = await service.ensure(session_id)
    attrs = docker_client.api.inspect_container(info.container.id)
    host = attrs["HostConfig"]
    s = service.settings
    assert host["NetworkMode"] == "none"
    assert host["CapDrop"] == ["ALL"]
    assert not host.get("CapAdd")
    assert host["SecurityOpt"] == ["no-new-privileges:true"]
    assert host["ReadonlyRootfs"] is True
    assert host["Tmpfs"] == s.tmpfs
    assert host["PidsLimit"] == 64
    assert host["Memory"] == 64 * 1024 * 1024
    assert host["MemorySwap"] == host["Memory"]
    assert host["NanoCpus"] == 1_000_000_000
    assert host["Init"] is True
    assert host["Privileged"] is False
    assert host["Binds"] == [f"{workspace.resolve()}:/workspace:rw"]
    mounts = attrs["Mounts"]
    assert [(m["Type"], m["Source"], m["Destination"]) for m in mounts] == [("bind", str(workspace.resolve()), "/workspace")]
    assert "docker.sock" not in str(attrs)
    assert attrs["Config"]["User"] == f"{HOST_UID}:{HOST_UID}"
    assert attrs["Config"]["WorkingDir"] == "/workspace"
    labels = attrs["Config"]["Labels"]
    assert labels["workbench.session"] == session_id
    assert labels["workbench.workspace"] == str(workspace.resolve())
    assert labels["workbench.version"]


def test_container_config_never_mounts_the_docker_socket(tmp_path: Path):
    kwargs = container_config(SandboxSettings(), tmp_path, "s1")
    assert list(kwargs["volumes"]) == [str(tmp_path.resolve())]
    assert kwargs["memswap_limit"] == kwargs["mem_limit"]
    assert "runtime" not in kwargs
    assert container_config(SandboxSettings(runtime="runsc"), tmp_path, "s1")["runtime"] == "runsc"
