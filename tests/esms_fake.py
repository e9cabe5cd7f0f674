"""A loopback eSMS.vn server that speaks its documented API (HTTP 200 even on errors, CodeResult
decides, RequestId de-duplicates), for the eSMS channel tests and the end-to-end replays."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self

from commplan.notify.esms import PATH

INVALID_PHONE, NO_BALANCE = "84900000000", "84911111111"


class ESMSFake:
    def __init__(self, *, api_key: str = "key-1", secret_key: str = "secret-1"):
        self.api_key, self.secret_key = api_key, secret_key
        self.received: list[dict] = []  # accepted messages, each RequestId once
        self.requests: list[dict] = []  # every request, duplicates included
        self.seen: set[str] = set()
        self.down = False  # answer HTTP 503, as a gateway in maintenance does
        self.lock = threading.Lock()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> Self:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                status, payload = fake.answer(self.path, body)
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def answer(self, path: str, body: dict) -> tuple[int, dict]:
        with self.lock:
            self.requests.append(body)
            if self.down:
                return 503, {"error": "Service Unavailable"}
            if path != PATH:
                return 200, {"error": "Invalid request"}
            if body.get("ApiKey") != self.api_key or body.get("SecretKey") != self.secret_key:
                return 200, {"CodeResult": "101", "ErrorMessage": "Authorize Failed"}
            if body["Phone"] == INVALID_PHONE:
                return 200, {"CodeResult": "108", "ErrorMessage": "Phone not valid"}
            if body["Phone"] == NO_BALANCE:
                return 200, {"CodeResult": "103", "ErrorMessage": "Balance not enough"}
            if body["RequestId"] in self.seen:
                return 200, {"CodeResult": "124", "ErrorMessage": "Request exist 1", "SendStatus": "5"}
            self.seen.add(body["RequestId"])
            self.received.append(body)
            return 200, {"CodeResult": "100", "CountRegenerate": 0, "SMSID": f"sms-{len(self.received)}"}
