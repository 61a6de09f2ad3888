"""Credentials out of everything lstm-sweep prints or records: one function, ``redact``.

A tracking URI such as ``http://user:secret@host`` or ``https://host/?token=abc`` reaches the run
header, error messages, the sweep run's tags and its logged sweep files; each of them goes
through ``redact`` first, which keeps the user name and the host (what a reader needs to know
which store it was) and hides the password and any secret-looking query parameter. No imports:
every layer may use it.
"""

from __future__ import annotations

import re

__all__ = ["HIDDEN", "redact"]

HIDDEN = "***"
# scheme://userinfo@ ; the userinfo ends at the last '@' before the path (a raw '@' in a
# password is split there too, as urllib does).
_USERINFO = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)(?P<info>[^/\s?#'\"]*)@")
# ?token=..., &password=..., ;sig=... : any parameter whose name looks like a secret.
_SECRET_PARAM = re.compile(
    r"(?P<name>[?&;](?:[A-Za-z0-9_.-]*?(?:token|secret|passw(?:or)?d|pwd|apikey|signature|sig|"
    r"auth|credential|session)[A-Za-z0-9_.-]*|(?:[A-Za-z0-9_.-]*[_-])?key)=)"
    r"(?P<value>[^&;#\s'\"]+)",
    re.IGNORECASE,
)


def redact(text: str) -> str:
    """``text`` with URL passwords (``user:***@host``, a lone user name or token as ``***@``)
    and secret query values (``?token=***``) hidden; everything else unchanged."""
    if "://" not in text and "=" not in text:
        return text
    text = _USERINFO.sub(_hide_userinfo, text)
    return _SECRET_PARAM.sub(lambda m: m.group("name") + HIDDEN, text)


def _hide_userinfo(match: re.Match[str]) -> str:
    user, colon, _ = match.group("info").partition(":")
    shown = f"{user}:{HIDDEN}" if colon else HIDDEN
    return f"{match.group('scheme')}{shown}@"
