"""A small webhook receiver for the demo and the tests (``citywatch webhook-receiver``): it checks each
POST's signature (``transports.webhook.verify``), hands the message to a callback and answers 200; a
missing or wrong signature answers 401, a body that is not JSON 400, a body over the limit 413."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from citywatch.notify.transports.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify

MAX_BODY_BYTES = 1024 * 1024


def make_server(
    host: str, port: int, secret: str, on_message: Callable[[dict, dict], None], tolerance: float = 300
) -> ThreadingHTTPServer:
    """A server on (host, port) (port 0: a free one; see ``server.server_address``). ``on_message(message,
    headers)`` is called for every correctly signed delivery."""

    class Handler(BaseHTTPRequestHandler):
        server_version = "CityWatchReceiver/1"

        def log_message(self, format, *args):  # quiet: the callback prints what matters
            return

        def _answer(self, status: int, body: dict):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self):  # noqa: N802 - http.server's name
            raw_length = self.headers.get("Content-Length", "")
            if not raw_length.isdigit():
                return self._answer(411, {"error": "Content-Length required"})
            length = int(raw_length)
            if length > MAX_BODY_BYTES:
                return self._answer(413, {"error": "body too large"})
            body = self.rfile.read(length)
            timestamp = self.headers.get(TIMESTAMP_HEADER, "")
            signature = self.headers.get(SIGNATURE_HEADER, "")
            if not verify(secret, timestamp, body, signature, tolerance=tolerance):
                return self._answer(401, {"error": "bad or missing signature"})
            try:
                message = json.loads(body)
            except ValueError:
                return self._answer(400, {"error": "body is not JSON"})
            on_message(message, dict(self.headers.items()))
            return self._answer(200, {"ok": True})

        def do_GET(self):  # noqa: N802
            return self._answer(405, {"error": "POST signed messages here"})

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    return server


def serve_in_thread(server: ThreadingHTTPServer) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    return thread
