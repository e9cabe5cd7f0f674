"""What an uploaded file really is, from its first bytes (never from its name or the browser's word):
PDF, Office documents (OOXML, the older OLE2 formats, OpenDocument) and images. Anything else is refused."""

from __future__ import annotations

import io
import zipfile

PDF = "application/pdf"
OLE2 = "application/x-ole-storage"  # .doc, .xls, .ppt (Office 97-2003)
_OOXML = {"word/": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
          "xl/": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
          "ppt/": "application/vnd.openxmlformats-officedocument.presentationml.presentation"}
_ODF = ("application/vnd.oasis.opendocument.text", "application/vnd.oasis.opendocument.spreadsheet",
        "application/vnd.oasis.opendocument.presentation")
IMAGES = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"), (b"GIF87a", "image/gif"),
          (b"GIF89a", "image/gif"))


def sniff(data: bytes) -> str | None:
    """The media type of an allowed file, or None."""
    if data.startswith(b"%PDF-"):
        return PDF
    for magic, media_type in IMAGES:
        if data.startswith(magic):
            return media_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return OLE2
    if data.startswith(b"PK\x03\x04"):
        return _zipped(data)
    return None


def _zipped(data: bytes) -> str | None:
    """An Office or OpenDocument file (a zip with their parts); any other zip is refused."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            if "mimetype" in names:
                with archive.open("mimetype") as entry:  # 100 bytes at most, whatever it inflates to
                    declared = entry.read(100).decode("ascii", "replace").strip()
                return declared if declared in _ODF else None
            if "[Content_Types].xml" not in names:
                return None
            for prefix, media_type in _OOXML.items():
                if any(name.startswith(prefix) for name in names):
                    return media_type
    except (zipfile.BadZipFile, OSError, ValueError, KeyError, NotImplementedError, RuntimeError):
        return None
    return None
