"""Reading a form that may carry one file, with the size limit enforced while the body arrives.

Starlette's `request.form()` spools any file whole (to disk past 1 MB) before a route can look at
its size, and reads an urlencoded body whole into memory. Here the body is streamed through
python-multipart: the file's bytes are kept up to the limit + 1 byte and then dropped (the form is
still read to its end, so the page can be shown again with what the clerk typed), text fields are
kept up to FIELD_BYTES each, and a body far past any acceptable size is not read further
(`SentForm.cut`). A file is only ever bytes in memory here: its name, as the browser sends it, is
handed on untouched and is never a path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.exceptions import HTTPException
from starlette.requests import Request

FIELD_BYTES = 64 * 1024  # one text field (the longest the report form takes is 4,000 characters)
MAX_FIELDS = 30
URLENCODED_BYTES = 256 * 1024  # a form without a file: every field, percent-encoded
OVERHEAD_BYTES = MAX_FIELDS * FIELD_BYTES  # the text fields and the multipart boundaries around a file


class FormUnreadable(HTTPException):
    """Not a form this site sent: garbled multipart, too many fields, or several files."""

    def __init__(self) -> None:
        super().__init__(400)


@dataclass
class Upload:
    filename: str  # as the browser sent it: untrusted, shown only after `documents.clean_name`
    data: bytes | None  # None when the file was over the limit (`too_large`)
    too_large: bool = False


@dataclass
class SentForm:
    fields: dict[str, str] = field(default_factory=dict)
    upload: Upload | None = None  # None: no file chosen
    cut: bool = False  # the body was far over the limit and was not read to its end

    @property
    def too_large(self) -> bool:
        return self.cut or (self.upload is not None and self.upload.too_large)

    def text(self, name: str) -> str:
        return self.fields.get(name, "")


class _Reader:
    """python-multipart's callbacks: one file part (`file_field`) kept up to `max_bytes` + 1 byte."""

    def __init__(self, file_field: str, max_bytes: int, charset: str):
        self.file_field, self.max_bytes, self.charset = file_field, max_bytes, charset
        self.form = SentForm()
        self._header_name, self._header_value = b"", b""
        self._disposition = b""
        self._name: str | None = None
        self._filename: str | None = None
        self._buffer = bytearray()
        self._over = False
        self._fields = 0

    def on_part_begin(self) -> None:
        self._disposition, self._name, self._filename = b"", None, None
        self._buffer, self._over = bytearray(), False

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def on_header_end(self) -> None:
        if self._header_name.lower() == b"content-disposition":
            self._disposition = self._header_value
        self._header_name, self._header_value = b"", b""

    def on_headers_finished(self) -> None:
        _kind, options = parse_options_header(self._disposition)
        if b"name" not in options:
            raise FormUnreadable()
        self._name = options[b"name"].decode(self.charset, "replace")
        self._fields += 1
        if self._fields > MAX_FIELDS:
            raise FormUnreadable()
        if b"filename" in options:
            self._filename = options[b"filename"].decode(self.charset, "replace")

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._filename is not None and self._name != self.file_field:
            return  # a file under another name: not kept
        limit = self.max_bytes + 1 if self._filename is not None else FIELD_BYTES
        if self._over:
            return
        room = limit - len(self._buffer)
        if end - start > room:  # over the limit: drop what was kept, keep reading the form
            self._over, self._buffer = True, bytearray()
            return
        self._buffer += data[start:end]

    def on_part_end(self) -> None:
        name = self._name or ""
        if self._filename is None:
            if self._over:
                raise FormUnreadable()  # a text field no page of ours sends
            self.form.fields.setdefault(name, bytes(self._buffer).decode(self.charset, "replace"))
        elif name == self.file_field:
            if not self._filename and not self._buffer and not self._over:
                return  # the empty part a browser sends for a file field left blank
            if self.form.upload is not None:
                raise FormUnreadable()  # one file per report
            over = self._over or len(self._buffer) > self.max_bytes
            self.form.upload = Upload(self._filename, None if over else bytes(self._buffer), too_large=over)
        self._buffer = bytearray()


async def read_form(request: Request, *, file_field: str, max_bytes: int) -> SentForm:
    """The form of a POST, multipart (with at most one file, in `file_field`) or urlencoded.

    Never holds more than `max_bytes` + 1 bytes of the file; reads at most twice the largest
    acceptable body (then `cut`: the route answers 413 without reading more)."""
    content_type, options = parse_options_header(request.headers.get("content-type"))
    charset = "utf-8"
    ceiling = 2 * (max_bytes + OVERHEAD_BYTES)  # read past the limit, to show the page with the form kept
    declared = request.headers.get("content-length", "")
    if (declared.isascii() and declared.isdigit()) and int(declared) > ceiling:
        return SentForm(cut=True)  # not read at all
    if content_type == b"multipart/form-data":
        boundary = options.get(b"boundary")
        if not boundary:
            raise FormUnreadable()
        reader = _Reader(file_field, max_bytes, charset)
        callbacks = {name: getattr(reader, name) for name in (
            "on_part_begin", "on_part_data", "on_part_end", "on_header_field", "on_header_value", "on_header_end",
            "on_headers_finished")}
        parser = MultipartParser(boundary, callbacks)  # type: ignore[arg-type]
        received = 0
        try:
            async for chunk in request.stream():
                received += len(chunk)
                if received > ceiling:
                    reader.form.cut = True
                    return reader.form
                parser.write(chunk)
            parser.finalize()
        except FormParserError:
            raise FormUnreadable() from None
        return reader.form
    if content_type == b"application/x-www-form-urlencoded":
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > URLENCODED_BYTES:
                raise HTTPException(413)
        try:
            pairs = parse_qsl(body.decode(charset, "replace"), keep_blank_values=True, max_num_fields=MAX_FIELDS,
                              encoding=charset, errors="replace")
        except ValueError:
            raise FormUnreadable() from None
        form = SentForm()
        for name, value in pairs:
            form.fields.setdefault(name, value)
        return form
    return SentForm()  # no form at all: the CSRF check refuses it
