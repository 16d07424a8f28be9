"""A fake SMS gateway for the tests: a real HTTP server on a loopback port that accepts,
refuses, hangs past the client's timeout or answers nonsense, as told; and signed receipts."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeGateway:
    def __init__(self) -> None:
        self.mode = "accept"  # accept | refuse | error | timeout | garbage
        self.requests: list[dict] = []
        self.counter = 0
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length))
                gateway.requests.append({"headers": dict(self.headers), "json": body})
                mode = gateway.mode
                if mode == "timeout":
                    time.sleep(1.5)
                    return self._answer(200, b'{"id": "late"}')
                if mode == "refuse":
                    return self._answer(400, b'{"error": "invalid number"}')
                if mode == "error":
                    return self._answer(503, b"busy")
                if mode == "garbage":
                    return self._answer(200, b"<html>OK</html>")
                gateway.counter += 1
                return self._answer(202, json.dumps({"id": f"gw-{gateway.counter}"}).encode())

            def _answer(self, status: int, body: bytes) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/messages"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> FakeGateway:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
