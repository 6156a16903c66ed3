"""Real servers on this machine for the notification tests: an SMTP server (aiosmtpd) that keeps
every email it receives, and an HTTP receiver that keeps webhook posts, or refuses them, or
answers too late, over HTTP or HTTPS."""

from __future__ import annotations

import email
import email.policy
import json
import shutil
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from bench.app_process import free_port


@dataclass
class Mailbox:
    """What the SMTP server received: (envelope recipients, parsed message) per email."""

    messages: list[tuple[list[str], EmailMessage]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    refuse: set[str] = field(default_factory=set)  # recipients answered "550 no such mailbox"
    sessions: int = 0  # SMTP conversations opened (EHLO or HELO)

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        session.host_name = hostname
        with self.lock:
            self.sessions += 1
        return responses

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address in self.refuse:
            return "550 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), parsed))  # type: ignore[arg-type]
        return "250 OK"


def _accept_anyone(*args: Any) -> AuthResult:
    return AuthResult(success=True)


@contextmanager
def smtp_server() -> Iterator[tuple[int, Mailbox]]:
    """An SMTP server on a free local port that accepts any sign-in: (port, its mailbox)."""
    box = Mailbox()
    port = free_port()
    controller = Controller(
        box,
        hostname="127.0.0.1",
        port=port,
        authenticator=_accept_anyone,
        auth_require_tls=False,
    )
    controller.start()
    try:
        yield port, box
    finally:
        controller.stop()


@dataclass
class Receiver:
    """What the HTTP receiver got, and how it answers: ok, refuse (HTTP 503) or slow."""

    posts: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    mode: str = "ok"
    delay: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)


def self_signed_certificate(folder: Path) -> tuple[Path, Path] | None:
    """A throwaway certificate and key for 127.0.0.1 (openssl), or None without openssl."""
    openssl = shutil.which("openssl")
    if openssl is None:
        return None
    cert, key = folder / "receiver.crt", folder / "receiver.key"
    subprocess.run(
        [
            *(openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@contextmanager
def http_receiver(tls: tuple[Path, Path] | None = None) -> Iterator[tuple[int, Receiver]]:
    """A webhook receiver on a free local port: (port, what it received); with `tls`
    (certificate, key) it speaks HTTPS, for channels that only post to https:// addresses."""
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            if state.mode == "slow":
                time.sleep(state.delay)
            if state.mode == "refuse":
                self.send_response(503)
                self.end_headers()
                return
            with state.lock:
                state.posts.append((self.path, json.loads(body or b"{}")))
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    if tls is not None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(tls[0]), str(tls[1]))
        server.socket = context.wrap_socket(server.socket, server_side=True)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1]), state
    finally:
        server.shutdown()
        server.server_close()
