"""Alert channels against real servers on 127.0.0.1: an aiosmtpd SMTP server and an HTTP receiver."""

from __future__ import annotations

import email
import hashlib
import hmac
import importlib.util
import json
import shutil
import ssl
import subprocess
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from monitor.alerts import render, send, send_test
from monitor.config import ChannelRule, EmailChannel, WebhookChannel
from monitor.errors import DeliveryError
from monitor.models import Alert, Change, CheckResult

if TYPE_CHECKING:  # the servers are shared fixtures in conftest.py
    from conftest import SmtpServer as Smtp
    from conftest import WebhookReceiver as Receiver

SmtpFactory = Callable[..., AbstractContextManager["Smtp"]]

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")

RULE = ChannelRule()
HEADLINE_BEFORE = "Minister promises swift inquiry"
HEADLINE_AFTER = "Minister <script>alert(1)</script> drops inquiry"
FIGURE_BEFORE = "At least 12 soldiers were killed in the attack, officials said on Monday evening."
FIGURE_AFTER = "At least 15 soldiers were killed in the attack, officials said on Monday evening."


# --------------------------------------------------------------------------- alerts


def make_alert(delivery_id: str = "d-1", article_id: str = "a1", name: str | None = None, **result: Any) -> Alert:
    fields_ = {
        "url": f"https://news.example/world/{article_id}?ref=rss&x=1",
        "article_id": article_id,
        "status": "changed",
        "version": 3,
        "previous_version": 2,
        "changes": (
            Change("headline", "changed", HEADLINE_BEFORE, HEADLINE_AFTER, HEADLINE_AFTER),
            Change(
                "quote", "changed", "\u201cWe will not back down,\u201d", "\u201cWe may reconsider,\u201d",
                "\u201cWe may reconsider,\u201d the minister said.", speaker="Jane Roe",
            ),
            Change(
                "figure", "changed", FIGURE_BEFORE, FIGURE_AFTER, FIGURE_AFTER,
                before_value="12", after_value="15", counted="soldiers killed", relative_change=0.25,
            ),
        ),
        "summary": "headline rewritten; 1 quote changed; figure 12 → 15",
        "stealth": True,
    }
    fields_.update(result)
    payload = CheckResult(**fields_).to_dict() | {"delivery_id": delivery_id, "article_name": name, "tags": ["world"]}
    return Alert(delivery_id=delivery_id, channel="test", article_id=article_id, created_at="2026-05-01T10:00:00+00:00", payload=payload)


def gone_alert(delivery_id: str = "d-gone") -> Alert:
    payload = CheckResult(
        url="https://news.example/world/b", article_id="b", status="gone", error="gone (HTTP 410)", http_status=410
    ).to_dict() | {"delivery_id": delivery_id, "article_name": "Story B", "tags": []}
    return Alert(delivery_id=delivery_id, channel="test", article_id="b", created_at="2026-05-01T10:00:00+00:00", payload=payload)


def email_channel(port: int, **kwargs: Any) -> EmailChannel:
    settings: dict[str, Any] = {
        "name": "mail", "rule": RULE, "host": "127.0.0.1", "port": port, "sender": "Monitor <monitor@news.example>",
        "recipients": ("desk@news.example", "editor@news.example"), "security": "plain", "timeout": 5.0,
    }
    settings.update(kwargs)
    return EmailChannel(**settings)


# --------------------------------------------------------------------------- a self-signed certificate


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(cert, key) for 127.0.0.1, made with `cryptography` when installed, else the openssl tool."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    if importlib.util.find_spec("cryptography") is not None:
        _certificate_with_cryptography(cert, key)
    elif shutil.which("openssl"):
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=127.0.0.1",
             "-addext", "subjectAltName=IP:127.0.0.1"],
            check=True, capture_output=True, timeout=30,
        )
    else:
        pytest.skip("no way to make a test certificate: neither the cryptography package nor the openssl tool is installed")
    return cert, key


def _certificate_with_cryptography(cert_path: Path, key_path: Path) -> None:
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )


def server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


# --------------------------------------------------------------------------- email


def parts(message: email.message.EmailMessage) -> tuple[str, str]:
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    return text.get_content(), html.get_content()


def test_plain_smtp_delivers_one_multipart_message(smtp: Smtp) -> None:
    send(email_channel(smtp.port), [make_alert()], environ={})

    assert len(smtp.recorder.envelopes) == 1
    envelope = smtp.recorder.envelopes[0]
    assert envelope.mail_from == "monitor@news.example"
    assert envelope.rcpt_tos == ["desk@news.example", "editor@news.example"]
    message = smtp.recorder.message()
    assert message["Subject"] == f"Headline, quote and figure changed: {HEADLINE_AFTER}"
    assert message["From"] == "Monitor <monitor@news.example>"
    assert message["To"] == "desk@news.example, editor@news.example"
    assert message["X-Monitor-Delivery-Id"] == "d-1"
    assert message["Message-ID"].endswith("@news.example>") and message["Date"]
    assert message.get_content_type() == "multipart/alternative"
    text, html = parts(message)

    for body in (text, html):
        assert "Jane Roe" in body
        assert "12 → 15 (+25%), counting soldiers killed" in body
        assert "headline rewritten; 1 quote changed; figure 12 → 15" in body
        assert "Stealth edit" in body
        assert "high" in body.lower()
    # Full before and after, the link.
    assert HEADLINE_BEFORE in text and HEADLINE_AFTER in text
    assert FIGURE_BEFORE in text and FIGURE_AFTER in text
    assert "https://news.example/world/a1?ref=rss&x=1" in text
    assert 'href="https://news.example/world/a1?ref=rss&amp;x=1"' in html
    # Escaped HTML: the headline's markup is text, never markup.
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script" not in html
    # Before and after are two blocks; the changed words are highlighted.
    assert "Before" in html and "After" in html
    assert '<del style="' in html and ">12</del>" in html
    assert '<ins style="' in html and ">15</ins>" in html


def test_digest_is_one_email_whose_subject_counts_the_articles(smtp: Smtp) -> None:
    alerts = [make_alert("d-1", "a1"), make_alert("d-2", "a2", name="Second story")]
    send(email_channel(smtp.port), alerts, environ={})

    assert len(smtp.recorder.envelopes) == 1
    message = smtp.recorder.message()
    assert message["Subject"] == "2 articles changed: headline, quote, figure"
    assert message["X-Monitor-Delivery-Id"] == "d-1, d-2"
    text, html = parts(message)
    assert "Second story" in text and "Second story" in html
    assert "news.example/world/a1" in text and "news.example/world/a2" in text


def test_smtp_login_uses_credentials_from_the_environ_given(smtp_server: SmtpFactory) -> None:
    environ = {"SMTP_USER": "monitor", "SMTP_PASS": "s3cret-pw"}
    with smtp_server(auth=True, auth_required=True) as server:
        channel = email_channel(server.port, username_env="SMTP_USER", password_env="SMTP_PASS")
        send(channel, [make_alert()], environ=environ)
        assert server.logins == [("monitor", "s3cret-pw")]
        assert len(server.recorder.envelopes) == 1

        with pytest.raises(DeliveryError) as refused:
            send(channel, [make_alert()], environ={"SMTP_USER": "monitor", "SMTP_PASS": "wrong-pw"})
        assert "login refused" in str(refused.value) and "wrong-pw" not in str(refused.value)
        assert len(server.recorder.envelopes) == 1


def test_missing_credential_variable_is_named_but_no_secret_is_shown(smtp: Smtp) -> None:
    channel = email_channel(smtp.port, username_env="SMTP_USER", password_env="SMTP_PASS")
    with pytest.raises(DeliveryError) as missing:
        send(channel, [make_alert()], environ={"SMTP_USER": "monitor-user", "OTHER": "x"})
    message = str(missing.value)
    assert "SMTP_PASS" in message
    assert "monitor-user" not in message
    with pytest.raises(DeliveryError) as missing_user:
        send(channel, [make_alert()], environ={"SMTP_PASS": "s3cret-pw"})
    assert "SMTP_USER" in str(missing_user.value) and "s3cret-pw" not in str(missing_user.value)
    assert smtp.recorder.envelopes == []


def test_starttls_with_a_trusted_certificate(certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, smtp_server: SmtpFactory) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    with smtp_server(tls_context=server_context(certificate), require_starttls=True) as server:
        send(email_channel(server.port, security="starttls"), [make_alert()], environ={})
        assert len(server.recorder.envelopes) == 1


def test_starttls_with_an_untrusted_certificate_fails(certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, smtp_server: SmtpFactory) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    with smtp_server(tls_context=server_context(certificate), require_starttls=True) as server:
        with pytest.raises(DeliveryError, match="certificate .* not trusted"):
            send(email_channel(server.port, security="starttls"), [make_alert()], environ={})
        assert server.recorder.envelopes == []


def test_implicit_tls(certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, smtp_server: SmtpFactory) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    with smtp_server(ssl_context=server_context(certificate)) as server:
        send(email_channel(server.port, security="tls"), [make_alert()], environ={})
        assert len(server.recorder.envelopes) == 1


def test_starttls_refused_when_the_server_does_not_offer_it(smtp: Smtp) -> None:
    with pytest.raises(DeliveryError, match="server does not support STARTTLS"):
        send(email_channel(smtp.port, security="starttls"), [make_alert()], environ={})
    assert smtp.recorder.envelopes == []


def test_smtp_connection_refused(unused_port: int) -> None:
    port = unused_port
    with pytest.raises(DeliveryError) as failure:
        send(email_channel(port), [make_alert()], environ={})
    assert str(failure.value) == f"cannot connect to 127.0.0.1:{port}: connection refused"
    assert failure.value.__cause__ is None and failure.value.__suppress_context__


def test_send_test_by_email(smtp: Smtp) -> None:
    send_test(email_channel(smtp.port), environ={})
    message = smtp.recorder.message()
    assert message["Subject"] == "Test message from article-monitor (channel mail)"
    text, html = parts(message)
    for body in (text, html):
        assert "test message" in body.lower() and "no article changed" in body


# --------------------------------------------------------------------------- webhook (the receiver is conftest's `receiver`)


def webhook(url: str, **kwargs: Any) -> WebhookChannel:
    settings: dict[str, Any] = {"name": "hook", "rule": RULE, "url": url, "timeout": 5.0}
    settings.update(kwargs)
    return WebhookChannel(**settings)


def test_json_webhook_posts_the_payload_signed(receiver: Receiver) -> None:
    alert = make_alert()
    send(webhook(receiver.url(), secret_env="HOOK_SECRET"), [alert], environ={"HOOK_SECRET": "hook-key"})

    [request] = receiver.requests
    assert request.method == "POST" and request.path == "/hook/T000/SECRET-TOKEN"
    assert json.loads(request.body) == alert.payload
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["X-Monitor-Delivery-Id"] == "d-1"
    expected = "sha256=" + hmac.new(b"hook-key", request.body, hashlib.sha256).hexdigest()
    assert request.headers["X-Monitor-Signature"] == expected


def test_json_webhook_digest_and_no_signature_without_secret(receiver: Receiver) -> None:
    alerts = [make_alert("d-1", "a1"), gone_alert("d-2")]
    send(webhook(receiver.url()), alerts, environ={})

    [request] = receiver.requests
    assert json.loads(request.body) == {"alerts": [alerts[0].payload, alerts[1].payload]}
    assert request.headers["X-Monitor-Delivery-Id"] == "d-1, d-2"
    assert "X-Monitor-Signature" not in request.headers


def test_missing_secret_variable(receiver: Receiver) -> None:
    with pytest.raises(DeliveryError, match="HOOK_SECRET"):
        send(webhook(receiver.url(), secret_env="HOOK_SECRET"), [make_alert()], environ={})
    assert receiver.requests == []


def test_slack_payload_shape(receiver: Receiver) -> None:
    send(webhook(receiver.url(), format="slack"), [make_alert()], environ={})

    body = json.loads(receiver.requests[0].body)
    assert set(body) == {"text", "blocks"}
    assert body["text"].startswith("Headline, quote and figure changed: Minister &lt;script&gt;")
    assert body["blocks"][0]["type"] == "header"
    sections = [b["text"]["text"] for b in body["blocks"] if b["type"] == "section"]
    assert all(b["text"]["type"] == "mrkdwn" for b in body["blocks"] if b["type"] == "section")
    assert sections[0].startswith("*<https://news.example/world/a1?ref=rss&x=1|")
    assert any("Jane Roe" in s and "We may reconsider" in s for s in sections)
    assert any("12 → 15 (+25%)" in s for s in sections)
    assert not any("<script" in s for s in sections)
    assert all(len(s) <= 3000 for s in sections) and len(body["blocks"]) <= 50


def test_discord_payload_shape_and_limits(receiver: Receiver) -> None:
    long_text = "word " * 3000
    huge = make_alert(changes=(Change("text", "changed", long_text, long_text + "more", "ctx"),) * 4)
    send(webhook(receiver.url(), format="discord"), [make_alert(), huge], environ={})

    body = json.loads(receiver.requests[0].body)
    assert set(body) == {"content", "embeds", "allowed_mentions"}
    assert body["allowed_mentions"] == {"parse": []}
    assert body["content"].startswith("Headline, quote, figure and text changed (2 updates): ")
    assert len(body["embeds"]) == 2
    first, second = body["embeds"]
    assert first["url"] == "https://news.example/world/a1?ref=rss&x=1"
    assert "Jane Roe" in first["description"] and "12 → 15" in first["description"]
    assert len(second["description"]) <= 4096 and second["description"].endswith("…")
    total = sum(len(e["title"]) + len(e.get("description", "")) + len(e["footer"]["text"]) for e in body["embeds"])
    assert total <= 6000


def test_webhook_http_error_is_a_delivery_error(receiver: Receiver) -> None:
    receiver.status = 500
    with pytest.raises(DeliveryError) as failure:
        send(webhook(receiver.url()), [make_alert()], environ={})
    assert str(failure.value) == "HTTP 500 from webhook"


def test_webhook_connection_refused_names_host_not_token(unused_port: int) -> None:
    port = unused_port
    with pytest.raises(DeliveryError) as failure:
        send(webhook(f"http://127.0.0.1:{port}/hook/SECRET-TOKEN"), [make_alert()], environ={})
    assert str(failure.value) == f"cannot connect to 127.0.0.1:{port}: connection refused"
    assert "SECRET-TOKEN" not in str(failure.value)


def test_webhook_timeout(receiver: Receiver) -> None:
    receiver.hold = True
    with pytest.raises(DeliveryError) as failure:
        send(webhook(receiver.url(), timeout=0.3), [make_alert()], environ={})
    assert str(failure.value) == "webhook timed out after 0.3 s"


def test_send_test_by_webhook(receiver: Receiver) -> None:
    send_test(webhook(receiver.url(), format="json", secret_env="S"), environ={"S": "k"})
    send_test(webhook(receiver.url(), format="slack"), environ={})
    payload = json.loads(receiver.requests[0].body)
    assert payload["status"] == "test" and payload["test"] is True
    assert receiver.requests[0].headers["X-Monitor-Delivery-Id"] == payload["delivery_id"]
    assert json.loads(receiver.requests[1].body)["text"] == "Test message from article-monitor (channel hook)"


# --------------------------------------------------------------------------- rendering


def test_subjects() -> None:
    assert render.subject([make_alert(name="Casualty report")]) == "Headline, quote and figure changed: Casualty report"
    figure_only = make_alert(changes=(Change("figure", "changed", "a 1", "a 2", "a 2", before_value="1", after_value="2"),))
    assert render.subject([figure_only]) == "Figure changed: https://news.example/world/a1?ref=rss&x=1"
    assert render.subject([gone_alert()]) == "Article gone: Story B"
    assert render.subject([make_alert("1", "a1"), make_alert("2", "a2"), gone_alert()]) == (
        "3 articles: 2 changed (headline, quote, figure), 1 gone"
    )
    assert render.subject([make_alert("1"), make_alert("2")]).startswith("Headline, quote and figure changed (2 updates): ")
    assert len(render.subject([make_alert(name="x" * 1000)])) <= 250


def test_gone_body_and_added_removed_blocks() -> None:
    added = make_alert(changes=(Change("text", "added", None, "A new paragraph.", "A new paragraph."),), stealth=False)
    text = render.text_body([gone_alert(), added])
    assert "gone (HTTP 410)" in text and "Added:" in text and "Stealth" not in text
    html = render.html_body([gone_alert(), added])
    assert "gone (HTTP 410)" in html and "A new paragraph." in html


def test_html_link_only_for_http_urls() -> None:
    alert = make_alert(url="javascript:alert(1)")
    assert 'href="javascript' not in render.html_body([alert])


# --------------------------------------------------------------------------- the channel modules' own contracts


def test_webhook_signature_is_the_documented_hmac() -> None:
    import hashlib
    import hmac

    from monitor.alerts.webhook import sign

    body = b'{"status": "changed"}'
    assert sign("k3y", body) == "sha256=" + hmac.new(b"k3y", body, hashlib.sha256).hexdigest()
    assert sign("k3y", body) != sign("other", body)


def test_email_credentials_come_from_the_named_variables_only() -> None:
    from monitor.alerts.email import credentials

    channel = EmailChannel(
        name="desk", rule=ChannelRule(), host="smtp.example", sender="m@example.com", recipients=("d@example.com",),
        username_env="SMTP_USER", password_env="SMTP_PASS",
    )
    assert credentials(channel, {"SMTP_USER": "ana", "SMTP_PASS": "pw"}) == ("ana", "pw")
    with pytest.raises(DeliveryError, match="environment variable SMTP_PASS is not set") as caught:
        credentials(channel, {"SMTP_USER": "ana"})
    assert "ana" not in str(caught.value)
    assert credentials(EmailChannel(name="open", rule=ChannelRule(), host="h", sender="m@e.com", recipients=("d@e.com",)), {}) is None
