"""``core/sandbox/engine_stream.py``: the docker-py and urllib3 internals the log follower needs
still exist, and a real container's output is read through them (real engine)."""

from __future__ import annotations

import inspect
import uuid

import docker
import pytest
import urllib3.response
from docker.api.client import APIClient

from workbench.core.sandbox.engine_stream import open_engine_stream
from workbench.core.sandbox.logs import FrameParser, LogBatch

from .conftest import BUSYBOX


@pytest.mark.parametrize(
    ("name", "args", "kwargs"),
    [
        ("_url", ("/containers/{0}/logs", "id"), {}),
        ("_post", ("http://docker/x",), {"params": {}, "headers": None, "stream": True}),
        ("_get", ("http://docker/x",), {"params": {}, "headers": None, "stream": True}),
        ("_raise_for_status", (object(),), {}),
    ],
)
def test_docker_sdk_private_helpers_take_the_arguments_used(name: str, args: tuple, kwargs: dict) -> None:
    """A renamed or re-signed helper fails here (``_post``/``_get`` are wrapped by
    ``update_headers``: ``(self, *args, **kwargs)``)."""
    inspect.signature(getattr(APIClient, name)).bind(object(), *args, **kwargs)


def _lines(data: bytes) -> list[str]:
    parser, out = FrameParser(), LogBatch()
    parser.feed(data, out, [])
    parser.flush(out)
    return [line.text for line in out]


def test_logs_and_attach_streams_read_real_output(docker_client) -> None:
    api = docker_client.api
    name = f"wb-engine-stream-{uuid.uuid4().hex[:8]}"
    container = docker_client.containers.create(BUSYBOX, ["sh", "-c", "echo out; echo err >&2"], name=name)
    try:
        # attach before start: every line arrives on the hijacked socket, read through the
        # buffered reader urllib3 keeps in HTTPResponse._fp.fp
        res, reader = open_engine_stream(
            api,
            "POST",
            "/containers/{0}/attach",
            container.id,
            {"stdout": 1, "stderr": 1, "stream": 1, "logs": 1},
            headers={"Connection": "Upgrade", "Upgrade": "tcp"},
            socket_reader=True,
        )
        assert isinstance(res.raw, urllib3.response.HTTPResponse)
        assert reader.fileno() >= 0 and callable(reader.read1)
        container.start()
        data = b""
        for _ in range(1000):  # bounded: the stream ends when the container exits
            chunk = reader.read1(65536)
            if not chunk:
                break
            data += chunk
        res.close()
        assert sorted(_lines(data)) == ["err", "out"]
        assert container.wait(timeout=60)["StatusCode"] == 0

        res, raw = open_engine_stream(
            api, "GET", "/containers/{0}/logs", container.id, {"stdout": 1, "stderr": 1, "follow": 0, "timestamps": 0}
        )
        try:
            assert sorted(_lines(raw.read())) == ["err", "out"]
        finally:
            res.close()

        with pytest.raises(docker.errors.NotFound):
            open_engine_stream(api, "GET", "/containers/{0}/logs", "wb-no-such-container-x", {"stdout": 1})
    finally:
        container.remove(force=True)
