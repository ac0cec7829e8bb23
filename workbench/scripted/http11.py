"""A minimal HTTP/1.1 request reader and response writer on asyncio streams.

Just enough of RFC 9112 (https://www.rfc-editor.org/rfc/rfc9112) for the scripted server:
keep-alive connections, ``Content-Length`` and ``chunked`` request bodies, fixed-length and
chunked responses, and the ability to drop a connection in the middle of a body (which a
framework like uvicorn does not offer). Not a general-purpose server.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from http import HTTPStatus

__all__ = ["BadRequest", "ChunkedBody", "HttpRequest", "read_request", "response_head", "write_json"]

MAX_HEAD_BYTES = 1 << 20
"""Largest request line + headers accepted (1 MiB); also the stream reader's limit."""


class BadRequest(Exception):
    """The client sent something that is not a valid HTTP/1.1 request."""


@dataclass
class HttpRequest:
    """One parsed HTTP request."""

    method: str
    """Upper-case method, e.g. ``"POST"``."""
    target: str
    """Request target as sent, e.g. ``"/v1/chat/completions?x=1"``."""
    headers: dict[str, str]
    """Headers with lower-case names (a repeated header keeps its last value)."""
    body: bytes
    """The decoded body (chunked transfer encoding removed)."""
    keep_alive: bool
    """Whether the connection may serve another request afterwards."""

    @property
    def path(self) -> str:
        """The target without its query string."""
        return self.target.split("?", 1)[0]


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts = []
    while True:
        size_line = await reader.readuntil(b"\r\n")
        try:
            size = int(size_line.split(b";", 1)[0].strip(), 16)
        except ValueError as err:
            raise BadRequest(f"bad chunk size line {size_line[:40]!r}") from err
        if size == 0:
            while (await reader.readuntil(b"\r\n")) != b"\r\n":  # trailers
                pass
            return b"".join(parts)
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)


async def read_request(reader: asyncio.StreamReader) -> HttpRequest | None:
    """Read the next request from a connection.

    Args:
        reader: The connection's reader (created with ``limit=MAX_HEAD_BYTES``).

    Returns:
        The request, or None when the client closed the connection between requests.

    Raises:
        BadRequest: On a malformed request line, header or body framing.
        ConnectionError, asyncio.IncompleteReadError: When the connection drops mid-request.
    """
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as err:
        if not err.partial.strip():
            return None
        raise
    except asyncio.LimitOverrunError as err:
        raise BadRequest("request head too large") from err
    lines = head.decode("latin-1").split("\r\n")
    try:
        method, target, version = lines[0].split(" ")
    except ValueError as err:
        raise BadRequest(f"bad request line {lines[0][:80]!r}") from err
    if not version.startswith("HTTP/1."):
        raise BadRequest(f"unsupported HTTP version {version!r}")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep or not name or name != name.strip():
            raise BadRequest(f"bad header line {line[:80]!r}")
        headers[name.lower()] = value.strip()
    connection = headers.get("connection", "").lower()
    keep_alive = "close" not in connection if version == "HTTP/1.1" else "keep-alive" in connection
    if "chunked" in headers.get("transfer-encoding", "").lower():
        body = await _read_chunked(reader)
    else:
        try:
            length = int(headers.get("content-length", "0"))
        except ValueError as err:
            raise BadRequest(f"bad Content-Length {headers['content-length']!r}") from err
        body = await reader.readexactly(length) if length > 0 else b""
    return HttpRequest(method.upper(), target, headers, body, keep_alive)


def response_head(status: int, headers: dict[str, str]) -> bytes:
    """The status line and headers of a response, ending with the blank line.

    Args:
        status: HTTP status code.
        headers: Header names and values.

    Returns:
        Bytes ready to write.
    """
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "Status"
    lines = [f"HTTP/1.1 {status} {reason}"] + [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


async def write_json(writer: asyncio.StreamWriter, status: int, obj: object, headers: dict[str, str]) -> None:
    """Write a complete JSON response with a ``Content-Length``.

    Args:
        writer: The connection's writer.
        status: HTTP status code.
        obj: JSON-serializable body.
        headers: Extra headers (e.g. ``x-request-id``).
    """
    body = json.dumps(obj, ensure_ascii=False).encode()
    head = {"content-type": "application/json", "content-length": str(len(body)), **headers}
    writer.write(response_head(status, head) + body)
    await writer.drain()


class ChunkedBody:
    """Writes a response body with ``Transfer-Encoding: chunked``, one HTTP chunk per `write`."""

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        """Args:
        writer: The connection's writer; the response head must already be written.
        """
        self.writer = writer

    def write(self, data: bytes) -> None:
        """Queue one chunk (empty data is skipped: a zero-size chunk would end the body)."""
        if data:
            self.writer.write(b"%x\r\n%b\r\n" % (len(data), data))

    async def end(self) -> None:
        """Write the terminating zero-size chunk and flush."""
        self.writer.write(b"0\r\n\r\n")
        await self.writer.drain()
