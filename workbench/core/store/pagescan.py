"""Reading table rows straight from SQLite pages, for salvaging a damaged log.

When a b-tree's root or interior pages are damaged, SQLite cannot reach the leaf pages below
them, although those leaves (and the rows in them) are intact. :func:`scan_rows` reads every page
of the database file and of its ``-wal`` file, keeps the table-leaf pages and decodes their cells
into ``(rowid, values)``, following overflow chains. Cells that do not decode cleanly are skipped.

Format reference: https://www.sqlite.org/fileformat2.html (sections 1.3 "The Database Header",
1.6 "B-tree Pages", 2.1 "Record Format", 4 "The Write-Ahead Log"). Only what a table leaf needs is
implemented: page size and reserved bytes from the header, the leaf header and cell pointer array,
table-leaf cells with their overflow pages, and record decoding (UTF-8 text).
"""

from __future__ import annotations

import mmap
import os
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HEADER = b"SQLite format 3\x00"
WAL_MAGIC = (0x377F0682, 0x377F0683)
TABLE_LEAF = 0x0D
_INT_SIZES = {1: 1, 2: 2, 3: 3, 4: 4, 5: 6, 6: 8}


def _varint(buf: bytes, i: int) -> tuple[int, int]:
    """Decode a SQLite varint at ``i``; return ``(value, next offset)`` (IndexError past the end)."""
    value = 0
    for k in range(8):
        c = buf[i + k]
        value = (value << 7) | (c & 0x7F)
        if c < 0x80:
            return value, i + k + 1
    return (value << 8) | buf[i + 8], i + 9


def decode_record(data: bytes) -> list[Any]:
    """Decode a record (header of serial types, then values) into Python values.

    Raises:
        ValueError: the record is malformed (bad header, reserved types, short data, bad UTF-8).
    """
    try:
        hsize, p = _varint(data, 0)
        if hsize < 1 or hsize > len(data):
            raise ValueError("bad record header size")
        types = []
        while p < hsize:
            t, p = _varint(data, p)
            types.append(t)
    except IndexError as exc:
        raise ValueError("truncated record header") from exc
    if p != hsize:
        raise ValueError("record header overruns")
    values: list[Any] = []
    q = hsize
    for t in types:
        if t == 0:
            values.append(None)
        elif t in _INT_SIZES:
            n = _INT_SIZES[t]
            if q + n > len(data):
                raise ValueError("short integer")
            values.append(int.from_bytes(data[q : q + n], "big", signed=True))
            q += n
        elif t == 7:
            if q + 8 > len(data):
                raise ValueError("short float")
            values.append(struct.unpack(">d", data[q : q + 8])[0])
            q += 8
        elif t in (8, 9):
            values.append(t - 8)
        elif t >= 12:
            n = (t - 12) // 2
            if q + n > len(data):
                raise ValueError("short text/blob")
            chunk = data[q : q + n]
            values.append(chunk.decode("utf-8") if t % 2 else bytes(chunk))
            q += n
        else:
            raise ValueError("reserved serial type")
    if q != len(data):
        raise ValueError("record length mismatch")
    return values


class Pages:
    """The pages of a database file and its write-ahead log (latest version of each page).

    Args:
        db: the database file's bytes (or an ``mmap`` of it: pages are sliced on demand).
        wal: the ``-wal`` file's bytes (empty when there is none).
    """

    def __init__(self, db: bytes, wal: bytes = b"") -> None:
        self.page_size, self.reserved = 4096, 0
        if db[:16] == HEADER and len(db) >= 100:
            size = struct.unpack(">H", db[16:18])[0]
            self.page_size = 65536 if size == 1 else size
            self.reserved = db[20]
        wal_frames: list[tuple[int, bytes]] = []
        if len(wal) >= 32 and struct.unpack(">I", wal[:4])[0] in WAL_MAGIC:
            wal_size = struct.unpack(">I", wal[8:12])[0]
            if db[:16] != HEADER and 512 <= wal_size <= 65536:
                self.page_size = wal_size
            if wal_size == self.page_size:
                frame = 24 + self.page_size
                for off in range(32, len(wal) - frame + 1, frame):
                    pgno = struct.unpack(">I", wal[off : off + 4])[0]
                    if pgno:
                        wal_frames.append((pgno, wal[off + 24 : off + frame]))
        if self.page_size & (self.page_size - 1) or not 512 <= self.page_size <= 65536:
            self.page_size = 4096
        self.usable = self.page_size - self.reserved
        self._db = db
        self._wal_frames = wal_frames
        self._wal_latest: dict[int, bytes] = dict(wal_frames)

    def page(self, pgno: int) -> bytes | None:
        """The latest version of page ``pgno`` (from the WAL when it has one), or None."""
        data = self._wal_latest.get(pgno)
        if data is not None:
            return data
        start = (pgno - 1) * self.page_size
        if pgno < 1 or start + self.page_size > len(self._db):
            return None
        return bytes(self._db[start : start + self.page_size])

    def versions(self) -> Iterator[tuple[int, bytes]]:
        """Every page of the file, then every WAL frame's page: ``(page number, bytes)``."""
        ps = self.page_size
        for n in range(len(self._db) // ps):
            yield n + 1, bytes(self._db[n * ps : (n + 1) * ps])
        yield from self._wal_frames

    def _payload(self, page: bytes, p: int, size: int) -> bytes:
        """The payload of a table-leaf cell starting at ``p`` (local part plus overflow pages)."""
        u = self.usable
        x = u - 35
        if size <= x:
            local = size
        else:
            m = ((u - 12) * 32 // 255) - 23
            k = m + ((size - m) % (u - 4))
            local = k if k <= x else m
        data = bytearray(page[p : p + local])
        if len(data) != local:
            raise ValueError("cell overruns its page")
        if local == size:
            return bytes(data)
        nxt = struct.unpack(">I", page[p + local : p + local + 4])[0]
        seen: set[int] = set()
        while len(data) < size:
            ov = self.page(nxt)
            if ov is None or nxt in seen:
                raise ValueError("broken overflow chain")
            seen.add(nxt)
            data += ov[4 : 4 + min(u - 4, size - len(data))]
            nxt = struct.unpack(">I", ov[:4])[0]
        return bytes(data)

    def leaf_rows(self, pgno: int, page: bytes) -> Iterator[tuple[int, list[Any]]]:
        """Yield ``(rowid, values)`` for each cell of a table-leaf page that decodes cleanly."""
        off = 100 if pgno == 1 else 0
        if len(page) < off + 8 or page[off] != TABLE_LEAF:
            return
        ncells = struct.unpack(">H", page[off + 3 : off + 5])[0]
        first = off + 8 + 2 * ncells
        if ncells == 0 or first > self.usable:
            return
        for i in range(ncells):
            try:
                p = struct.unpack(">H", page[off + 8 + 2 * i : off + 10 + 2 * i])[0]
                if p < first or p >= self.usable:
                    continue
                size, p = _varint(page, p)
                rowid, p = _varint(page, p)
                if rowid >= 1 << 63:
                    rowid -= 1 << 64
                yield rowid, decode_record(self._payload(page, p, size))
            except (IndexError, ValueError, struct.error, UnicodeDecodeError):
                continue


def scan_rows(db_path: Path) -> Iterator[tuple[int, list[Any]]]:
    """Yield ``(rowid, values)`` of every decodable table-leaf cell in ``db_path`` and its
    ``-wal`` file (every version of every page: rows may repeat)."""
    wal_path = Path(str(db_path) + "-wal")
    wal = wal_path.read_bytes() if wal_path.exists() else b""
    with open(db_path, "rb") as fh:
        if os.fstat(fh.fileno()).st_size == 0:
            return
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as db:
            pages = Pages(db, wal)  # type: ignore[arg-type]
            for pgno, page in pages.versions():
                yield from pages.leaf_rows(pgno, page)
