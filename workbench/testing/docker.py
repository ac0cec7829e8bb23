"""Test helper: a real Docker engine (and test images), or an honest skip.

Without an engine a docker test is skipped locally with the command that starts one; with
``CI=true`` it fails instead, so CI never counts a skipped docker test as passing.
"""

from __future__ import annotations

import os
from typing import Any


def docker_unavailable(reason: str) -> None:
    """Skip the current test (locally) or fail it (``CI=true``) with ``reason`` and the fix."""
    import pytest

    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: docker tests must run; run .ci/docker-setup.sh)")
    pytest.skip(f"{reason}; run .ci/docker-setup.sh (as root) to start an engine and build test images")


def require_docker(*images: str) -> Any:
    """Return a connected ``docker.DockerClient`` that has ``images``, or skip/fail the test."""
    import docker

    try:
        client = docker.from_env()
        client.ping()
    except Exception as exc:  # noqa: BLE001 - any failure means no usable engine
        docker_unavailable(f"no Docker engine: {exc}")
    for image in images:
        try:
            client.images.get(image)
        except docker.errors.ImageNotFound:
            docker_unavailable(f"test image {image} missing")
    return client
