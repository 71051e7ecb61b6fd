"""Delivery through Flask-Mailman: SMTP when MAIL_SERVER is set, else `.eml` files in
instance/mail/ (MAIL_FILE_PATH) so a shop tried out with `make run` sees its e-mails without a
mail server (they are also listed at /admin/mail)."""

from __future__ import annotations

import os
import uuid
from email.utils import formataddr, make_msgid
from typing import Any

from flask import Flask, current_app
from flask_mailman import EmailMultiAlternatives, Mail
from flask_mailman.backends.base import BaseEmailBackend

from rental.notifications.domain.notification import Attachment, Outgoing

__all__ = ["Attachment", "MailNotSent", "deliver", "new_message_id"]

mail = Mail()


class MailNotSent(Exception):
    """The server refused or could not be reached; the outbox retries the notification."""


class EmlEmailBackend(BaseEmailBackend):
    """Each message as one `<time>-<uuid>.eml` file (RFC 822: opens in any mail program)."""

    def __init__(self, *args: Any, file_path: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.file_path = os.path.abspath(file_path or self.mailman.file_path)

    def send_messages(self, email_messages: Any) -> int:
        os.makedirs(self.file_path, exist_ok=True)
        count = 0
        for message in email_messages or []:
            name = f"{message.extra_headers.get('X-RentKit-Key', 'mail')}-{uuid.uuid4().hex}"
            safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in name)
            with open(os.path.join(self.file_path, f"{safe}.eml"), "wb") as handle:
                handle.write(message.message().as_bytes())
            count += 1
        return count


def init_mail(app: Flask) -> None:
    mail.init_app(app)


def new_message_id() -> str:
    return make_msgid(domain=_sender_domain())


def _sender_domain() -> str:
    sender = str(current_app.config.get("MAIL_DEFAULT_SENDER") or "rentkit@localhost")
    return sender.rpartition("@")[2].strip(">") or "localhost"


def sender(shop_name: str) -> str:
    """The From header: the shop's name with the configured address."""
    address = str(current_app.config.get("MAIL_DEFAULT_SENDER") or "rentkit@localhost")
    return formataddr((shop_name, address)) if shop_name and "<" not in address else address


def where() -> str:
    """Where mail goes, for error messages: "smtp host:port" or "files in <dir>"."""
    config = current_app.config
    if config.get("MAIL_BACKEND") == "smtp":
        return f"smtp {config.get('MAIL_SERVER')}:{config.get('MAIL_PORT')}"
    return f"files in {config.get('MAIL_FILE_PATH')}"


def deliver(message: Outgoing, shop_name: str) -> None:
    """Send `message` now; MailNotSent (one line: where, why) when it could not be."""
    config = current_app.config
    backend = config.get("MAIL_BACKEND") or "smtp"
    options: dict[str, Any] = {}
    if backend == "smtp":  # the current settings (tests point them at their own server)
        options = {
            "host": config.get("MAIL_SERVER"),
            "port": config.get("MAIL_PORT"),
            "username": config.get("MAIL_USERNAME"),
            "password": config.get("MAIL_PASSWORD"),
            "use_tls": bool(config.get("MAIL_USE_TLS")),
            "use_ssl": bool(config.get("MAIL_USE_SSL")),
            "timeout": config.get("MAIL_TIMEOUT"),
        }
    elif backend.endswith("EmlEmailBackend"):
        options = {"file_path": config.get("MAIL_FILE_PATH")}
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.text,
        from_email=sender(shop_name),
        to=[message.to],
        headers={"Message-ID": message.message_id, "X-RentKit-Key": message.key},
    )
    email.attach_alternative(message.html, "text/html")
    for attachment in message.attachments:
        email.attach(attachment.filename, attachment.content, attachment.mimetype)
    try:
        connection = mail.get_connection(backend=backend, fail_silently=False, **options)
        sent = connection.send_messages([email])
    except Exception as exc:
        raise MailNotSent(
            f"could not send the {message.template} e-mail ({message.key}) via {where()}: "
            f"{type(exc).__name__}: {exc}"
        ) from None
    if not sent:
        raise MailNotSent(f"the {message.template} e-mail ({message.key}) was not accepted")
