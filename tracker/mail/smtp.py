"""Talking SMTP: one connection reused for a batch; failures sorted into temporary and permanent."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass

SMTP_TIMEOUT = 20


class TemporaryFailure(Exception):
    """Try again later: 4xx replies, connection problems, timeouts."""


class PermanentFailure(Exception):
    """The server refused this message for good (5xx)."""


@dataclass(frozen=True)
class SmtpSettings:
    host: str | None
    port: int = 25
    user: str | None = None
    password: str | None = None
    starttls: bool = False
    sender: str = "tracker@localhost"

    @classmethod
    def from_config(cls, config) -> SmtpSettings:
        return cls(config.get("TRACKER_SMTP_HOST"), int(config.get("TRACKER_SMTP_PORT") or 25),
                   config.get("TRACKER_SMTP_USER"), config.get("TRACKER_SMTP_PASSWORD"),
                   bool(config.get("TRACKER_SMTP_STARTTLS")), config.get("TRACKER_MAIL_FROM") or "tracker@localhost")

    @property
    def configured(self) -> bool:
        """No host: mail stays in the outbox, visible to admins."""
        return bool(self.host)


def _classify(code: int, text: str) -> Exception:
    reason = f"{code} {text}".strip()
    return PermanentFailure(reason) if 500 <= code < 600 else TemporaryFailure(reason)


def _text(raw) -> str:
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)


class SmtpConnection:
    """A lazily opened SMTP session; reconnects after the server drops it."""

    def __init__(self, settings: SmtpSettings):
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None

    def _open(self) -> smtplib.SMTP:
        settings = self.settings
        try:
            smtp = smtplib.SMTP(settings.host, settings.port, timeout=SMTP_TIMEOUT)
            smtp.ehlo()
            if settings.starttls:
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if settings.user:
                smtp.login(settings.user, settings.password or "")
        except smtplib.SMTPAuthenticationError as error:
            raise TemporaryFailure(f"SMTP login refused: {error.smtp_code}") from error
        except smtplib.SMTPResponseException as error:
            raise TemporaryFailure(f"{error.smtp_code} {_text(error.smtp_error)}") from error
        except (OSError, smtplib.SMTPException) as error:
            raise TemporaryFailure(f"cannot connect to {settings.host}:{settings.port}: {error}") from error
        return smtp

    def send(self, message: bytes, recipient: str) -> None:
        """Hand one message (wire bytes) to the server; raises TemporaryFailure or PermanentFailure."""
        if self._smtp is None:
            self._smtp = self._open()
        try:
            self._smtp.sendmail(self.settings.sender, [recipient], message)
        except smtplib.SMTPRecipientsRefused as error:
            code, text = next(iter(error.recipients.values()))
            raise _classify(code, _text(text)) from error
        except smtplib.SMTPResponseException as error:
            self._reset_after(error)
            raise _classify(error.smtp_code, _text(error.smtp_error)) from error
        except (OSError, smtplib.SMTPException) as error:
            self.close()
            raise TemporaryFailure(f"connection lost: {error}") from error

    @property
    def connected(self) -> bool:
        return self._smtp is not None

    def _reset_after(self, error: smtplib.SMTPResponseException) -> None:
        try:
            self._smtp.rset()
        except (OSError, smtplib.SMTPException):
            self.close()

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (OSError, smtplib.SMTPException):
                self._smtp.close()
            self._smtp = None

    def __enter__(self) -> SmtpConnection:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
