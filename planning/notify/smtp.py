"""Email for a whole run over a few SMTP sessions.

Sending each email through Apprise's `notify()` opens a new SMTP connection per message, and
Apprise builds a new TLS context for each (about three quarters of the time an email took). A
run's emails instead go through `SESSIONS` connections (fewer for a few emails), each opened on
its first email and kept for the run:
the configured `mailto://` or `mailtos://` URL is read by Apprise's own parser (host, port,
security mode, sign-in, sender, extra headers), each message is built by Apprise's own email
builder (HTML, PNG charts inline), and only the connection is ours (smtplib, one TLS context per
session). The plain-text part is the message's own text (planning.notify.compose), not the one
Apprise derives from the HTML, which puts every table cell of the digest on a line of its own.

Each message still has its own outcome: a recipient the server refuses fails that message alone;
a connection that drops is opened again once and the message tried on it; when the server cannot
be reached at all, the remaining emails of the run fail at once (and are retried with back-off)
instead of each waiting for its own timeout.
"""

from __future__ import annotations

import contextlib
import dataclasses
import email
import queue
import smtplib
import ssl
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from types import TracebackType
from typing import Any

import apprise
from apprise.attachment.memory import AttachMemory
from apprise.plugins.email import NotifyEmail
from apprise.plugins.email.smtp import SMTPSecureMode

from planning.notify.channels import Delivery, charts_as_png
from planning.notify.secrets import NotifySecrets, redact
from planning.store.models_notify import OutboxMessage

_CONNECTION_ERRORS = (OSError, smtplib.SMTPException)
# A few sessions at once overlap the waits on the server's replies (each email is several round
# trips); the CPU work of building the emails is small since each session builds one TLS context.
SESSIONS = 4


class EmailChannelError(ValueError):
    """The email channel's URL is not an SMTP URL Apprise can read."""


def email_service(url: str) -> NotifyEmail:
    """Apprise's reading of an email channel URL (raises EmailChannelError when it has none)."""
    try:
        service = apprise.Apprise.instantiate(url)
    except Exception:  # a malformed URL is a configuration problem, said without the URL
        service = None
    if not isinstance(service, NotifyEmail):
        raise EmailChannelError("the email channel's URL is not an SMTP URL Apprise can use")
    return service


class SmtpSession:
    """One SMTP connection for a run's emails: `send` each message, then `close` (or use `with`)."""

    def __init__(self, *, url: str, secrets: NotifySecrets, timeout: float) -> None:
        self._secrets = secrets
        self._timeout = timeout
        self._connection: smtplib.SMTP | None = None
        self._context: ssl.SSLContext | None = None
        self._unreachable = ""
        self.connections = 0  # how many times a connection was opened (for tests and the bench)
        try:
            self._service: NotifyEmail | None = email_service(url)
            self._problem = ""
        except EmailChannelError as exc:
            self._service = None
            self._problem = str(exc)

    def __enter__(self) -> SmtpSession:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def _tls(self) -> ssl.SSLContext:
        if self._context is None:
            context = ssl.create_default_context()
            if self._service is not None and not self._service.verify_certificate:
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
            self._context = context
        return self._context

    def _connect(self) -> smtplib.SMTP:
        service = self._service
        assert service is not None
        host, port, mode = service.smtp_host, int(service.port or 0), service.secure_mode
        connection: smtplib.SMTP
        if mode == SMTPSecureMode.SSL:
            connection = smtplib.SMTP_SSL(host, port, timeout=self._timeout, context=self._tls())
        else:
            connection = smtplib.SMTP(host, port, timeout=self._timeout)
        try:
            if mode == SMTPSecureMode.STARTTLS:
                connection.starttls(context=self._tls())
            if service.user and service.password:
                connection.login(service.user, service.password)
        except BaseException:
            with contextlib.suppress(*_CONNECTION_ERRORS):
                connection.close()
            raise
        self.connections += 1
        return connection

    def _build(self, message: OutboxMessage, address: str) -> Any:
        service = self._service
        assert service is not None
        body, images = charts_as_png(message.body_html)
        attach = (
            apprise.AppriseAttachment(
                [AttachMemory(content=png, name=name, mimetype="image/png") for name, png in images]
            )
            if images
            else None
        )
        [built] = NotifyEmail.prepare_emails(
            subject=message.subject,
            body=body,
            notify_format=apprise.NotifyFormat.HTML,
            from_addr=service.from_addr,
            to=[(False, address)],
            cc=service.cc,
            bcc=service.bcc,
            reply_to=service.reply_to,
            smtp_host=service.smtp_host,
            attach=attach,
            headers={"X-Application": service.app_id, **service.headers},
            names=service.names,
            inline=service.inline,
            tzinfo=service.tzinfo,
        )
        return _with_plain_text(built, message.body_text)

    def send(self, *, message: OutboxMessage, address: str) -> Delivery:
        """Send one email on the session; never raises."""
        if self._service is None:
            return Delivery(False, self._problem, permanent=True)
        if self._unreachable:
            return Delivery(False, self._unreachable, permanent=False)
        try:
            built = self._build(message, address)
        except Exception as exc:  # a message that cannot be built fails alone
            return Delivery(
                False, f"the email could not be put together: {type(exc).__name__}", permanent=True
            )
        for attempt in (1, 2):
            try:
                if self._connection is None:
                    self._connection = self._connect()
            except _CONNECTION_ERRORS as exc:
                self._unreachable = redact(
                    "the email channel failed: the SMTP server could not be reached or "
                    f"refused the sign-in ({type(exc).__name__})",
                    self._secrets,
                )
                return Delivery(False, self._unreachable, permanent=False)
            try:
                refused = self._connection.sendmail(
                    service_address(self._service), built.to_addrs, built.body
                )
            except smtplib.SMTPRecipientsRefused as exc:
                codes = [code for code, _ in exc.recipients.values()]
                return Delivery(
                    False,
                    "the SMTP server refused the recipient",
                    permanent=all(c >= 500 for c in codes),
                )
            except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
                permanent = 500 <= exc.smtp_code < 600
                return Delivery(
                    False,
                    f"the SMTP server refused the message ({exc.smtp_code})",
                    permanent=permanent,
                )
            except _CONNECTION_ERRORS as exc:
                self._drop()
                if attempt == 2:
                    return Delivery(
                        False, f"the email channel failed: {type(exc).__name__}", permanent=False
                    )
                continue  # the connection dropped: open a new one and try this message again
            if refused:
                return Delivery(False, "the SMTP server refused the recipient", permanent=False)
            return Delivery(True, "sent by email")
        return Delivery(False, "the email channel failed")  # not reached: the loop returns

    def _drop(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(*_CONNECTION_ERRORS):
                self._connection.close()
            self._connection = None

    def close(self) -> None:
        """End the session politely (QUIT), ignoring a server that already went away."""
        if self._connection is not None:
            with contextlib.suppress(*_CONNECTION_ERRORS):
                self._connection.quit()
            self._drop()


def _with_plain_text(built: Any, text: str) -> Any:
    """The built email with `text` as its plain-text alternative (kept as built when it has no
    plain-text part or there is no text)."""
    if not text:
        return built
    parsed = email.message_from_string(built.body)
    for part in parsed.walk():
        if part.get_content_type() == "text/plain" and not part.get_filename():
            del part["Content-Transfer-Encoding"]
            part.set_payload(text, "utf-8")
            return dataclasses.replace(built, body=parsed.as_string())
    return built


def service_address(service: NotifyEmail) -> str:
    """The envelope sender of an email channel."""
    return str(service.from_addr[1])


def send_emails(
    *,
    rows: Sequence[OutboxMessage],
    addresses: Mapping[int, str],
    secrets: NotifySecrets,
    timeout: float,
    sessions: int = SESSIONS,
) -> Iterator[tuple[OutboxMessage, Delivery]]:
    """Send the rows' emails over a few SMTP sessions at once (each row on one of them, in
    turn), yielding each row with its delivery as it finishes; never raises."""
    url = secrets.urls.get("email", "")
    results: queue.Queue[tuple[OutboxMessage, Delivery]] = queue.Queue()

    def one_session(share: Sequence[OutboxMessage]) -> None:
        with SmtpSession(url=url, secrets=secrets, timeout=timeout) as smtp:
            for row in share:
                address = str(addresses.get(row.person_id) or "")
                if not url:
                    delivery = Delivery(
                        False, "no email channel is set up on this server", permanent=True
                    )
                elif "@" not in address:
                    delivery = Delivery(False, "the person has no email address", permanent=True)
                else:
                    try:
                        delivery = smtp.send(message=row, address=address)
                    except Exception as exc:  # never lose a row's outcome to a surprise
                        delivery = Delivery(
                            False, f"the email channel failed: {type(exc).__name__}"
                        )
                results.put((row, delivery))

    count = max(1, min(sessions, len(rows)))
    shares = [rows[n::count] for n in range(count)]
    with ThreadPoolExecutor(max_workers=count) as pool:
        futures = [pool.submit(one_session, share) for share in shares if share]
        for _ in range(len(rows)):
            yield results.get()
        for future in futures:
            future.result()
