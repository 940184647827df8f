"""Alerts by email: one multipart/alternative message (text and HTML) over SMTP.

`security` is "starttls" (plain connection upgraded with STARTTLS, refused when the server does not
offer it), "tls" (implicit TLS, `smtplib.SMTP_SSL`) or "plain". Certificates are verified against
the system's trust store (`ssl.create_default_context()`, which honours `SSL_CERT_FILE`).

The user name and password come from the environment variables the channel names; the message logs
in only when both are named, and a named variable that is missing is a `DeliveryError` naming the
variable. Neither value is ever logged or put in an error message.

Headers: `Message-ID` (derived from the delivery ids, so a retried delivery keeps its id and a
mail system may drop the duplicate), `Date`, `Auto-Submitted: auto-generated` and
`X-Monitor-Delivery-Id` (the delivery ids, comma separated).
"""

from __future__ import annotations

import hashlib
import logging
import smtplib
import socket
import ssl
from collections.abc import Mapping, Sequence
from email.message import EmailMessage
from email.utils import formatdate, parseaddr

from monitor.alerts import render
from monitor.config import EmailChannel
from monitor.errors import DeliveryError
from monitor.models import Alert

log = logging.getLogger(__name__)

SECURITIES = ("starttls", "tls", "plain")


def credentials(channel: EmailChannel, environ: Mapping[str, str]) -> tuple[str, str] | None:
    """(user, password) when the channel names both variables; DeliveryError when one is unset."""
    if not (channel.username_env and channel.password_env):
        return None
    values = []
    for name in (channel.username_env, channel.password_env):
        value = environ.get(name)
        if not value:
            raise DeliveryError(f"environment variable {name} is not set (needed by email channel {channel.name})")
        values.append(value)
    return values[0], values[1]


def build_message(channel: EmailChannel, alerts: Sequence[Alert]) -> EmailMessage:
    """The message for `alerts`: subject, text and HTML alternatives and the monitor's headers."""
    ids = [alert.delivery_id for alert in alerts]
    domain = parseaddr(channel.sender)[1].rpartition("@")[2] or "article-monitor.invalid"
    digest = hashlib.sha256(",".join(ids).encode("utf-8")).hexdigest()[:32]
    message = EmailMessage()
    message["Subject"] = render.subject(alerts)
    message["From"] = channel.sender
    message["To"] = ", ".join(channel.recipients)
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = f"<{digest}.article-monitor@{domain}>"
    message["Auto-Submitted"] = "auto-generated"
    message["X-Monitor-Delivery-Id"] = ", ".join(ids)
    message.set_content(render.text_body(alerts))
    message.add_alternative(render.html_body(alerts), subtype="html")
    return message


def send_email(channel: EmailChannel, alerts: Sequence[Alert], environ: Mapping[str, str]) -> None:
    """Send one message for `alerts`; DeliveryError with a short reason on any failure."""
    if channel.security not in SECURITIES:
        raise DeliveryError(f"email channel {channel.name}: unknown security {channel.security!r}")
    login = credentials(channel, environ)
    secrets = [login[1]] if login else []  # the user name is not secret, and too short to scrub safely
    try:
        message = build_message(channel, alerts)
    except Exception as exc:  # noqa: BLE001 - a bad header value (e.g. a malformed address in the config)
        raise DeliveryError(f"cannot build the email: {_scrub(str(exc), secrets)}") from None
    where = f"{channel.host}:{channel.port}"
    try:
        _deliver(channel, message, login)
    except DeliveryError:
        raise
    except Exception as exc:  # noqa: BLE001 - turned into a DeliveryError reason
        raise DeliveryError(_scrub(_reason(exc, where, channel), secrets)) from None
    log.info("email sent on channel %s to %d recipient(s) via %s", channel.name, len(channel.recipients), where)


def _deliver(channel: EmailChannel, message: EmailMessage, login: tuple[str, str] | None) -> None:
    context = ssl.create_default_context()
    smtp: smtplib.SMTP
    if channel.security == "tls":
        smtp = smtplib.SMTP_SSL(channel.host, channel.port, timeout=channel.timeout, context=context)
    else:
        smtp = smtplib.SMTP(channel.host, channel.port, timeout=channel.timeout)
    sent = False
    try:
        smtp.ehlo()
        if channel.security == "starttls":
            if not smtp.has_extn("starttls"):
                raise DeliveryError(f"{channel.host}:{channel.port}: server does not support STARTTLS")
            smtp.starttls(context=context)
            smtp.ehlo()
        if login is not None:
            if not smtp.has_extn("auth"):
                raise DeliveryError(f"{channel.host}:{channel.port}: server does not offer AUTH, cannot log in")
            smtp.login(*login)
        refused = smtp.send_message(message)
        sent = True
        if refused:
            # Delivered to the others: a retry would send them a duplicate, so this is only logged.
            log.warning("email on channel %s refused for %s", channel.name, ", ".join(sorted(refused)))
    finally:
        try:
            if sent:
                smtp.quit()
        except Exception:  # noqa: BLE001, S110 - the message is accepted; a failed QUIT changes nothing
            pass
        smtp.close()


def _reason(exc: BaseException, where: str, channel: EmailChannel) -> str:
    """A short readable reason for a failed delivery."""
    if isinstance(exc, ConnectionRefusedError):
        return f"cannot connect to {where}: connection refused"
    if isinstance(exc, socket.gaierror):
        return f"cannot resolve {channel.host}"
    if isinstance(exc, TimeoutError | socket.timeout):
        return f"SMTP server {where} timed out after {channel.timeout:g} s"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"TLS certificate of {where} not trusted: {exc.verify_message or exc.reason}"
    if isinstance(exc, ssl.SSLError):
        return f"TLS error with {where}: {exc.reason or type(exc).__name__}"
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return f"SMTP login refused by {where} (user from ${channel.username_env}): {_response(exc)}"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        refused = ", ".join(f"{addr} ({code})" for addr, (code, _) in sorted(exc.recipients.items()))
        return f"all recipients refused by {where}: {refused}"
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return f"sender {exc.sender} refused by {where}: {_response(exc)}"
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return f"SMTP server {where} closed the connection"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"SMTP error from {where}: {_response(exc)}"
    if isinstance(exc, smtplib.SMTPException):
        return f"SMTP error from {where}: {exc}"
    if isinstance(exc, ConnectionResetError):
        return f"connection to {where} reset"
    if isinstance(exc, OSError):
        return f"cannot connect to {where}: {(exc.strerror or type(exc).__name__).lower()}"
    return f"email to {where} failed: {type(exc).__name__}"


def _response(exc: smtplib.SMTPResponseException) -> str:
    text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
    text = " ".join(text.split())
    return f"{exc.smtp_code} {text[:200]}".strip()


def _scrub(text: str, secrets: Sequence[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text
