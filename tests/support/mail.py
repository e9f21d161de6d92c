"""A real SMTP server in the test process (aiosmtpd), standing in for the bureau's mail
server: the sender talks SMTP to it over a socket, and the test reads what arrived."""

from __future__ import annotations

import email
import email.policy
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage

from aiosmtpd.controller import Controller

from loanledger.services.mailer import SmtpSettings
from tests.support.servers import free_port


@dataclass
class Inbox:
    """What the server was given: one (envelope recipients, parsed message) per delivery."""

    port: int
    received: list[tuple[list[str], EmailMessage]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        with self.lock:
            self.received.append((list(envelope.rcpt_tos), message))
        return "250 OK"

    @property
    def messages(self) -> list[EmailMessage]:
        with self.lock:
            return [m for _to, m in self.received]

    def smtp(self) -> SmtpSettings:
        return SmtpSettings(host="127.0.0.1", port=self.port, sender="notices@ll.example.cn")


@contextmanager
def smtp_server(port: int | None = None) -> Iterator[Inbox]:
    """An SMTP server on 127.0.0.1 (a free port unless given) until the block ends."""
    inbox = Inbox(port or free_port())
    controller = Controller(inbox, hostname="127.0.0.1", port=inbox.port)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()


def body(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return part.get_content()
