"""Uploaded documents (evidence a clerk attaches on the report page), stored by their SHA-256.

The same bytes are one document whoever uploads them and however often. On PostgreSQL the bytes go in
the `document` table, so that every worker of the web app reads what another stored; on the embedded
SQLite default they go in the data folder beside the database (`uploads/ab/<sha256>`, 0600 files in
0700 folders), the table keeping what is known about them. A file name is only ever the hex digest:
nothing a client sends becomes a path.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, select
from sqlmodel import col

from ..i18n import _
from . import file_types
from . import tables as t
from .clock import from_db, to_db
from .engine import LedgerError, insert_for

DEFAULT_MAX_MB = 20
_HEX = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class StoredDocument:
    sha256: str
    size: int
    media_type: str
    name: str | None
    uploaded_at: dt.datetime
    new: bool = False  # False: these bytes were stored before (the first upload's name and time stand)


@dataclass(frozen=True)
class DocumentUse:
    """One evidence item that is an uploaded document: what decides who may read it."""

    evidence_id: int
    occurrence_id: int
    plan_id: str
    unit_id: str  # the occurrence's unit (a group, for a shared duty)
    holders: tuple[str, ...]  # every unit that owes it
    name: str  # the name this item shows it under (each unit's own: never another unit's file name)
    withdrawn: bool


class UploadRefused(LedgerError):
    """Too large, empty, or not an allowed type: the message says which."""


def check(data: bytes, max_bytes: int) -> str:
    """The media type of an acceptable upload; UploadRefused otherwise."""
    if not data:
        raise UploadRefused(_("the file is empty"))
    if len(data) > max_bytes:
        size = f"{max_bytes / 1_000_000:g}".replace(".", ",")  # 20, or 0,5 as Vietnamese writes decimals
        raise UploadRefused(_("the file is larger than {size} MB").format(size=size))
    media_type = file_types.sniff(data)
    if media_type is None:
        raise UploadRefused(_("only PDF, Office documents and images (PNG, JPEG, GIF, WebP) can be uploaded"))
    return media_type


def clean_name(name: str | None) -> str | None:
    """The last part of a file name, printable, at most 200 characters: shown, never used as a path."""
    if not name:
        return None
    base = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(c for c in base if c.isprintable()).strip()[:200]
    return base if base not in ("", ".", "..") else None


def folder_of(url_database: str | None) -> Path | None:
    """The uploads folder beside a SQLite database file; None on PostgreSQL or in memory."""
    if not url_database or url_database == ":memory:":
        return None
    return Path(url_database).parent / "uploads"


def _path(folder: Path, sha256: str) -> Path:
    if not _HEX.fullmatch(sha256):
        raise ValueError(sha256)
    return folder / sha256[:2] / sha256


def _write_file(folder: Path, sha256: str, data: bytes) -> None:
    path = _path(folder, sha256)
    if path.exists() and path.stat().st_size == len(data):
        return
    for directory in (folder, path.parent):
        directory.mkdir(mode=0o700, exist_ok=True)
    # a name of its own (mkstemp: 0600, O_EXCL), so two writers of the same bytes never share a temporary file
    descriptor, temporary_name = tempfile.mkstemp(prefix=f".{sha256}.", suffix=".tmp", dir=path.parent)
    temporary = Path(temporary_name)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)  # whole or not at all: a reader never sees half a file
    finally:
        if temporary.exists():
            temporary.unlink()


def store(connection: Connection, folder: Path | None, data: bytes, *, name: str | None, by: str | None,
          media_type: str, now: dt.datetime) -> StoredDocument:
    sha256 = hashlib.sha256(data).hexdigest()
    in_table = connection.dialect.name == "postgresql" or folder is None
    if not in_table:
        assert folder is not None
        _write_file(folder, sha256, data)  # before the row: a row always has its bytes
    dialect_insert = insert_for(connection)
    inserted = connection.execute(dialect_insert(t.table_of(t.DocumentRow)).values(
        sha256=sha256, size=len(data), media_type=media_type, name=clean_name(name), uploaded_at=to_db(now),
        uploaded_by=by, content=data if in_table else None,
    ).on_conflict_do_nothing().returning(col(t.DocumentRow.sha256))).first()
    found = describe(connection, sha256)
    assert found is not None  # inserted now or before
    return StoredDocument(**{**found.__dict__, "new": inserted is not None})


def describe(connection: Connection, sha256: str) -> StoredDocument | None:
    if not isinstance(sha256, str) or not _HEX.fullmatch(sha256):
        return None
    d = t.DocumentRow
    row = connection.execute(select(col(d.sha256), col(d.size), col(d.media_type), col(d.name), col(d.uploaded_at))
                             .where(col(d.sha256) == sha256)).first()
    if row is None:
        return None
    return StoredDocument(row[0], row[1], row[2], row[3], from_db(row[4]))


def uses(connection: Connection, sha256: str) -> list[DocumentUse]:
    if not isinstance(sha256, str) or not _HEX.fullmatch(sha256):
        return []
    e, o, ob = t.EvidenceRow, t.OccurrenceRow, t.ObligationRow
    rows = connection.execute(
        select(col(e.id), col(e.occurrence_id), col(ob.plan_id), col(o.unit_id), col(o.holders), col(e.document),
               col(e.withdrawn_at))
        .join(o, col(o.id) == col(e.occurrence_id)).join(ob, col(ob.id) == col(o.obligation_id))
        .where(col(e.document_sha256) == sha256).order_by(col(e.id))
    ).all()
    return [DocumentUse(row[0] or 0, row[1], row[2], row[3], tuple(row[4].split()), row[5] or "", row[6] is not None)
            for row in rows]  # `or 0`: an id the database always gives


def content(connection: Connection, folder: Path | None, sha256: str) -> bytes | None:
    if describe(connection, sha256) is None:
        return None
    stored = connection.execute(select(col(t.DocumentRow.content)).where(col(t.DocumentRow.sha256) == sha256)).scalar()
    if stored is not None:
        return bytes(stored)
    if folder is None:
        return None
    try:
        return _path(folder, sha256).read_bytes()
    except FileNotFoundError:
        raise LedgerError(_("the document {sha256} is recorded but its file is missing from {folder}").format(
            sha256=sha256, folder=folder)) from None
