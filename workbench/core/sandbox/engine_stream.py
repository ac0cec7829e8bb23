"""One streamed Docker Engine API request, through the docker SDK's and urllib3's internals.

The log follower (``logs.py``) reads a container's output much faster from the hijacked socket of
``POST /containers/{id}/attach`` than docker-py's public ``attach``/``logs`` iterators allow (they
yield one frame, often one line, at a time). That needs private members, all used here and only
here (source read: docker 7.2.0, urllib3 2.8.0):

* ``docker.api.client.APIClient._url(pathfmt, *args)``, ``._post(url, **kwargs)``,
  ``._get(url, **kwargs)`` and ``._raise_for_status(response)`` (``docker/api/client.py:241-272``):
  the SDK's URL building (API version prefix, quoting), session and error mapping
  (``docker.errors.NotFound``/``APIError``);
* ``urllib3.response.HTTPResponse._fp`` (the ``http.client.HTTPResponse``, ``urllib3/response.py``)
  and its ``.fp``: the buffered reader of the socket, which may already hold bytes read with the
  headers (reading the raw socket would lose them).

``tests/sandbox/test_engine_stream.py`` checks these members still exist and reads real container
output through :func:`open_engine_stream`.
"""

from __future__ import annotations

from typing import Any, Literal


def open_engine_stream(
    api: Any,
    method: Literal["GET", "POST"],
    pathfmt: str,
    container_id: str,
    params: dict[str, Any],
    *,
    headers: dict[str, str] | None = None,
    socket_reader: bool = False,
) -> tuple[Any, Any]:
    """Send a streamed Engine API request and return ``(response, reader)``.

    Args:
        api: a ``docker.APIClient`` (``DockerClient.api``).
        method: ``"GET"`` or ``"POST"``.
        pathfmt: the endpoint with ``{0}`` for the container, e.g. ``"/containers/{0}/logs"``.
        container_id: the container's id or name.
        params: the query parameters.
        headers: extra request headers (``Connection: Upgrade`` for ``attach``).
        socket_reader: return the socket's buffered reader (a hijacked ``attach`` stream; has
            ``fileno()`` and ``read1``) instead of urllib3's response (``read``/``read1``).

    Returns:
        The ``requests.Response`` (close it when done) and the reader.

    Raises:
        docker.errors.APIError: the engine answered with an error (``NotFound`` for a missing container).
    """
    send = api._post if method == "POST" else api._get
    res = send(api._url(pathfmt, container_id), params=params, headers=headers, stream=True)
    api._raise_for_status(res)
    return res, (res.raw._fp.fp if socket_reader else res.raw)
