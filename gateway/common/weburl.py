"""One parser for every http(s) URL a customer or an operator names
(status callbacks, ``sms_url``, RCML ``statusCallback``/``action``, media).

Intake refuses what :func:`parse` refuses, and the callback sender sends what
it returns, so a URL that was accepted can always be sent.  The rules:

* scheme ``http`` or ``https`` (any case; normalised to lower case);
* no whitespace, control characters or lone surrogates anywhere;
* the host is an IPv4 literal, a bracketed IPv6 literal (``[::1]``, no zone),
  or a DNS name: at most 253 octets, labels of 1-63 octets of letters,
  digits, ``-`` (not first or last) and ``_``; a non-ASCII name is turned
  into its IDNA (``xn--``) form with the ``idna`` package (UTS 46 mapping);
  a percent sign in the host is refused (``http://ex%41mple.com/``);
* the port, when given, is 1-65535;
* ``user:password@`` is split out (percent-decoded): it becomes HTTP Basic
  authentication and never travels in the request line or a log line;
* the path and query keep their bytes; characters outside printable ASCII
  are percent-encoded as UTF-8; the fragment is dropped (never sent).

Bad input raises :class:`BadUrl` (a ``ValueError``) saying what is wrong.
"""
from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import quote, unquote

import idna

MAX_HOST = 253  # octets of a DNS name, without the trailing dot
MAX_LABEL = 63
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
_LABEL = re.compile(r"^[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?$")
_IPV4ISH = re.compile(r"^[0-9.]+$")
_SAFE = "!#$%&'()*+,/:;=?@[]~-._"  # printable ASCII kept as is in path and query


class BadUrl(ValueError):
    """Not an http(s) URL the gateway can send a request to."""


@dataclass(frozen=True)
class WebUrl:
    scheme: str  # "http" | "https"
    host: str  # ASCII: a lower-case DNS name (IDNA), an IPv4 or an IPv6 address (no brackets)
    port: int  # explicit or the scheme's default
    target: str  # path and query as sent in the request line ("/" at least)
    username: str | None = None
    password: str | None = None
    explicit_port: bool = False

    @property
    def netloc(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}" if self.explicit_port else host

    @property
    def request_url(self) -> str:
        """The URL to request: no credentials, no fragment."""
        return f"{self.scheme}://{self.netloc}{self.target}"

    @property
    def text(self) -> str:
        """The normalised URL, credentials included (what intake stores)."""
        if self.username is None:
            return self.request_url
        creds = quote(self.username, safe="")
        if self.password is not None:
            creds += ":" + quote(self.password, safe="")
        return f"{self.scheme}://{creds}@{self.netloc}{self.target}"

    @property
    def safe(self) -> str:
        """For log lines: no credentials, no query (it may hold tokens)."""
        return f"{self.scheme}://{self.netloc}{self.target.split('?', 1)[0]}"

    @property
    def auth(self) -> tuple[str, str] | None:
        if self.username is None:
            return None
        return self.username, self.password or ""


_USERINFO = re.compile(r"(//)[^/?#@\s]*@")


def hide_userinfo(text: str) -> str:
    """``text`` (a URL, well formed or not) with any ``user:password@`` shown
    as ``***@``: for error messages that echo what the operator wrote."""
    return _USERINFO.sub(r"\1***@", text)


def parse(url: object) -> WebUrl:
    """The URL parsed and normalised, or :class:`BadUrl`."""
    if not isinstance(url, str):
        raise BadUrl("expected a URL string")
    _check_characters(url)
    match = _SCHEME.match(url)
    scheme = match.group(1).lower() if match else ""
    if scheme not in ("http", "https"):
        raise BadUrl("not an http(s) URL")
    rest = url[match.end():]
    if not rest.startswith("//"):
        raise BadUrl("an http(s) URL needs //host")
    rest = rest[2:].split("#", 1)[0]
    cut = min((i for i in (rest.find("/"), rest.find("?")) if i >= 0), default=len(rest))
    authority, target = rest[:cut], rest[cut:]
    username = password = None
    if "@" in authority:
        userinfo, authority = authority.rsplit("@", 1)
        user, sep, secret = userinfo.partition(":")
        username, password = unquote(user), (unquote(secret) if sep else None)
    host, port, explicit = _host_port(authority, scheme)
    if not target.startswith("/"):
        target = "/" + target
    return WebUrl(scheme, host, port, quote(target, safe=_SAFE), username, password, explicit)


def _check_characters(url: str) -> None:
    for ch in url:
        code = ord(ch)
        if code <= 0x20 or code == 0x7F or 0x80 <= code <= 0x9F:
            raise BadUrl("spaces and control characters are not allowed in a URL")
        if 0xD800 <= code <= 0xDFFF:
            raise BadUrl("a lone surrogate is not a character")


def _host_port(authority: str, scheme: str) -> tuple[str, int, bool]:
    default = 443 if scheme == "https" else 80
    if authority.startswith("["):
        end = authority.find("]")
        if end < 0:
            raise BadUrl("an IPv6 address needs a closing ']'")
        host, after = _ipv6(authority[1:end]), authority[end + 1:]
        if after and not after.startswith(":"):
            raise BadUrl("unexpected text after the IPv6 address")
        port_text = after[1:] if after else None
    else:
        host_text, sep, port_text = authority.partition(":")
        port_text = port_text if sep else None
        if "[" in host_text or "]" in host_text:
            raise BadUrl("brackets belong around an IPv6 address only")
        host = _name_or_ipv4(host_text)
    if port_text is None:
        return host, default, False
    if not port_text.isascii() or not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
        raise BadUrl(f"port {port_text!r} is not a number from 1 to 65535")
    return host, int(port_text), True


def _ipv6(text: str) -> str:
    if "%" in text:
        raise BadUrl("an IPv6 zone (%) is not allowed")
    try:
        return str(ipaddress.IPv6Address(text))
    except ValueError:
        raise BadUrl(f"[{text}] is not an IPv6 address") from None


def _name_or_ipv4(text: str) -> str:
    if not text:
        raise BadUrl("the URL has no host")
    if "%" in text:
        raise BadUrl("a host name may not be percent-encoded")
    if _IPV4ISH.match(text):
        try:
            return str(ipaddress.IPv4Address(text))
        except ValueError:
            raise BadUrl(f"{text!r} is not an IPv4 address") from None
    name = text[:-1] if text.endswith(".") else text
    if not name.isascii():
        try:
            name = idna.encode(name, uts46=True).decode("ascii")
        except idna.IDNAError as exc:
            raise BadUrl(f"host {text!r} is not a valid internationalised name: {exc}") from None
        if _IPV4ISH.match(name):  # "²" maps to "2": not a name, and not an address either
            raise BadUrl(f"host {text!r} is not a valid internationalised name")
    name = name.lower()
    if len(name) > MAX_HOST:
        raise BadUrl(f"host name longer than {MAX_HOST} characters")
    for label in name.split("."):
        if not label:
            raise BadUrl(f"host {text!r} has an empty label")
        if len(label) > MAX_LABEL:
            raise BadUrl(f"host label longer than {MAX_LABEL} characters")
        if not _LABEL.match(label):
            raise BadUrl(f"host label {label!r} may hold only letters, digits, '-' and '_'")
    return name


def is_public(ip: str) -> bool:
    addr = ipaddress.ip_address(ip.split("%", 1)[0])
    mapped = getattr(addr, "ipv4_mapped", None)
    if mapped is not None:
        addr = mapped
    return addr.is_global and not addr.is_multicast


def ip_literal(host: str) -> str | None:
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return None


def allow_entry(entry: str) -> tuple[str, int | None]:
    """``(host, port or None)`` of an ``allow_hosts`` entry; ValueError if bad."""
    text = entry.strip()
    host, port = text, None
    if text.startswith("["):
        end = text.find("]")
        if end < 0 or (text[end + 1:] and not text[end + 1:].startswith(":")):
            raise ValueError(f"{entry!r}: expected [IPv6] or [IPv6]:port")
        host, rest = text[1:end], text[end + 2:]
        port = int(rest) if rest else None
    elif text.count(":") == 1:
        host, _, rest = text.partition(":")
        port = int(rest)
    if not host or (port is not None and not 1 <= port <= 65535):
        raise ValueError(f"{entry!r}: expected a host or host:port")
    return (ip_literal(host) or host.lower().rstrip(".")), port
