"""Email over SMTP (optional STARTTLS and login); plain text, or text + HTML alternative (multipart/alternative).

The SMTP connection goes through the egress guard like webhooks: a private/loopback host needs
`allow_private_targets`; STARTTLS still verifies the configured host name."""
from __future__ import annotations

import smtplib
from email.message import EmailMessage

from service.alerts.delivery.base import Outcome, refused
from core.egress import EgressGuard, EgressRefused


class _GuardedSMTP(smtplib.SMTP):
    def __init__(self, guard: EgressGuard, host: str, port: int, timeout: float):
        self._guard = guard
        super().__init__(host, port, timeout=timeout)

    def _get_socket(self, host, port, timeout):  # smtplib's one place that opens the TCP connection
        return self._guard.connect(host, port, timeout, self.source_address)


def send_email(host: str, port: int, sender: str, to: list[str], subject: str, text: str, starttls: bool = False,
               username: str | None = None, password: str | None = None, timeout: float = 10.0,
               html: str | None = None, allow_private: bool = False) -> Outcome:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, ", ".join(to), subject[:200]
    msg.set_content(text)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    try:
        with _GuardedSMTP(EgressGuard(allow_private), host, port, timeout) as smtp:
            if starttls:
                smtp.starttls()
            if username:
                smtp.login(username, password or "")
            smtp.send_message(msg)
    except EgressRefused as exc:
        return refused(exc)
    except smtplib.SMTPResponseException as exc:
        return Outcome(False, exc.smtp_code, f"SMTP {exc.smtp_code}: {exc.smtp_error!r}", retry=exc.smtp_code >= 400)
    except (smtplib.SMTPException, OSError) as exc:
        return Outcome(False, None, f"{type(exc).__name__}: {exc}", retry=True)
    return Outcome(True, 250)
