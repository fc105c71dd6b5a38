"""A real SMTP server on loopback that keeps what it receives: the mail sink of the newsletter
tests and of ``bench/newsletter.py``.

It answers like a mail server would: refused recipients get ``550`` (permanent), recipients told
to fail for a while get ``451`` (temporary) that many times, everything else is accepted. At the
end of the data, a message to a recipient of ``data_replies`` gets that reply instead of ``250``
(e.g. ``"451 ..."`` or ``"554 ..."``: not kept), and one to a recipient of ``data_dropped`` gets
no answer at all: the server closes the connection (not kept either).
"""

import logging
import socket
import threading
from collections import Counter
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message

from aiosmtpd.controller import Controller

logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every command at INFO


@dataclass
class Received:
    recipient: str
    message_id: str
    headers: Message


@dataclass
class SMTPSink:
    host: str = "127.0.0.1"
    port: int = 0
    keep_messages: bool = True  # the bench counts only, to keep 100,000 mails out of memory
    refused: set[str] = field(default_factory=set)  # 550 for these recipients
    failing: dict[str, int] = field(default_factory=dict)  # 451 that many times for these
    data_replies: dict[str, str] = field(default_factory=dict)  # this reply to the end of data
    data_dropped: set[str] = field(default_factory=set)  # no reply to the end of data: hang up

    def __post_init__(self):
        self.messages: list[Received] = []
        self.per_recipient: Counter[str] = Counter()
        self.connections = 0
        self._lock = threading.Lock()
        self._controller = None

    # -- aiosmtpd handler hooks -------------------------------------------------------------------
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        address = address.lower()
        if address in self.refused:
            return "550 5.1.1 No such user here"
        with self._lock:
            if self.failing.get(address, 0) > 0:
                self.failing[address] -= 1
                return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.data_dropped.intersection(envelope.rcpt_tos):
            server.transport.close()  # the connection drops before any reply
            return "421 4.4.2 Connection dropped"  # never reaches the client
        for recipient in envelope.rcpt_tos:
            if recipient in self.data_replies:
                return self.data_replies[recipient]
        headers = message_from_bytes(envelope.content, _class=Message) if self.keep_messages else None
        message_id = headers.get("Message-ID", "") if headers is not None else ""
        with self._lock:
            for recipient in envelope.rcpt_tos:
                self.per_recipient[recipient] += 1
                if self.keep_messages:
                    self.messages.append(Received(recipient, message_id, headers))
        return "250 Message accepted for delivery"

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        with self._lock:
            self.connections += 1
        session.host_name = hostname
        return responses

    # -- life -------------------------------------------------------------------------------------
    def start(self) -> "SMTPSink":
        if not self.port:
            with socket.socket() as probe:
                probe.bind((self.host, 0))
                self.port = probe.getsockname()[1]
        self._controller = Controller(self, hostname=self.host, port=self.port, data_size_limit=10_000_000)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> "SMTPSink":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- what arrived -----------------------------------------------------------------------------
    @property
    def total(self) -> int:
        with self._lock:
            return sum(self.per_recipient.values())

    def duplicates(self) -> dict[str, int]:
        """Recipients who received more than one message, with how many."""
        with self._lock:
            return {r: n for r, n in self.per_recipient.items() if n > 1}

    def received_by(self, recipient: str) -> list[Received]:
        with self._lock:
            return [m for m in self.messages if m.recipient == recipient.lower()]
