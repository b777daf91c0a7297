"""The one error of a refused sign-in: a reason for the log, a sentence for the person."""

from __future__ import annotations


class SigninRefused(Exception):
    """A sign-in with the identity provider that must not go on.

    `reason` is a short code for the log (never a token, code or claim value);
    `message` is what the refusal page tells the person; `status` its HTTP status.
    """

    def __init__(self, reason: str, message: str, status: int = 400, contact: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.message = message
        self.status = status
        self.contact = contact  # the page names the admins to ask


def provider_trouble(reason: str) -> SigninRefused:
    """The provider could not be reached or answered something unusable."""
    return SigninRefused(reason, "The identity provider could not be reached or gave an answer we cannot use. "
                                 "Try again in a few minutes.", status=502)


def try_again(reason: str) -> SigninRefused:
    """The sign-in's answer did not check out: start again from the sign-in page."""
    return SigninRefused(reason, "This sign-in could not be checked, so it was stopped. "
                                 "Start again from the sign-in page.")
