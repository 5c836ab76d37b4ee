"""Fetching the http(s) URLs a user names as inputs — and nothing else.

Vigile never crawls: a URL is fetched only because it was given on the
command line. Because that URL may come from an untrusted list, the fetch
refuses hosts that resolve to loopback, private or link-local addresses
(cloud metadata endpoints, the machine's own services) unless
VIGILE_ALLOW_PRIVATE_URLS=1. The check is done on the very addresses the
socket then connects to, for the first request and for every redirect, so a
second DNS answer cannot swap in a private address.
"""
from __future__ import annotations

import http.client
import ipaddress
import os
import socket
import time
import urllib.error
import urllib.request
from typing import Iterator, Optional
from urllib.parse import urlsplit

from vigile.readers.base import Item, ReadError, short_hash
from vigile.readers.document import read_document

FETCH_TIMEOUT_S = 10.0
#: The whole download must end within this, however slowly the server trickles bytes.
FETCH_DEADLINE_S = 60.0
MAX_FETCH_BYTES = 20 * 1024 * 1024
ALLOW_PRIVATE_ENV = "VIGILE_ALLOW_PRIVATE_URLS"

_HEADERS = {
    "User-Agent": "vigile (news event extraction; fetches only URLs its user names)",
    "Accept": "application/rss+xml, application/atom+xml, text/html;q=0.9, */*;q=0.5",
}


class FetchError(Exception):
    """Why a URL could not be fetched, in one line."""


def read_url(url: str, **meta: object) -> Iterator[Item]:
    """The articles of a URL: a feed's entries, or the page itself."""
    try:
        body, content_type, final_url = fetch(url)
    except FetchError as e:
        yield ReadError(url, f"cannot fetch: {e}")
        return
    kind = "feed" if "xml" in content_type and "html" not in content_type else "html"
    yield from read_document(body, url, short_hash(url), kind, url=final_url, **meta)


def fetch(url: str) -> tuple[bytes, str, str]:
    """(body, content type, final URL after redirects) of an http(s) URL, or FetchError."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise FetchError("not an http(s) URL with a host name")
    request = urllib.request.Request(url, headers=_HEADERS)
    try:
        with _OPENER.open(request, timeout=FETCH_TIMEOUT_S) as response:
            return _read_capped(response), response.headers.get_content_type(), response.geturl()
    except urllib.error.HTTPError as e:
        raise FetchError(f"HTTP {e.code} {e.reason}") from None
    except urllib.error.URLError as e:
        raise FetchError(str(e.reason)) from None
    except TimeoutError:
        raise FetchError(f"no answer within {FETCH_TIMEOUT_S:g} s") from None
    except (OSError, http.client.HTTPException, ValueError) as e:
        raise FetchError(f"{type(e).__name__}: {e}") from None


def _read_capped(response: http.client.HTTPResponse) -> bytes:
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > MAX_FETCH_BYTES:
        raise FetchError(f"{int(declared):,} bytes is over the {MAX_FETCH_BYTES:,}-byte download limit")
    deadline = time.monotonic() + FETCH_DEADLINE_S
    chunks: list[bytes] = []
    size = 0
    while chunk := response.read1(1 << 16):
        size += len(chunk)
        if size > MAX_FETCH_BYTES:
            raise FetchError(f"over the {MAX_FETCH_BYTES:,}-byte download limit")
        if time.monotonic() > deadline:
            raise FetchError(f"download not finished after {FETCH_DEADLINE_S:g} s")
        chunks.append(chunk)
    return b"".join(chunks)


def _is_public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    return ip.is_global and not ip.is_multicast


def checked_addresses(host: str, port: int) -> list[tuple]:
    """getaddrinfo of host, or FetchError if any address is not public (unless allowed)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as e:
        raise FetchError(f"cannot resolve {host}: {e.strerror}") from None
    if os.environ.get(ALLOW_PRIVATE_ENV) != "1":
        for *_, sockaddr in infos:
            ip = ipaddress.ip_address(sockaddr[0])
            if not _is_public(ip):
                subject = str(ip) if host.strip("[]") == str(ip) else f"{host} resolves to {ip}, which"
                raise FetchError(f"{subject} is not a public address (loopback, private or link-local); "
                                 f"set {ALLOW_PRIVATE_ENV}=1 to allow it")
    return infos


def _connect(address: tuple[str, int], timeout: Optional[float] = None,
             source_address: Optional[tuple[str, int]] = None) -> socket.socket:
    """socket.create_connection, to checked addresses only (by IP, so no second lookup)."""
    host, port = address
    last: Optional[OSError] = None
    for *_, sockaddr in checked_addresses(host, port):
        try:
            return socket.create_connection((sockaddr[0], port), timeout, source_address)
        except OSError as e:
            last = e
    raise last or FetchError(f"no address for {host}")


class _Guarded:
    """Mixin: an http.client connection that opens its socket through :func:`_connect`."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._create_connection = _connect


class _GuardedHTTPConnection(_Guarded, http.client.HTTPConnection):
    pass


class _GuardedHTTPSConnection(_Guarded, http.client.HTTPSConnection):
    pass


class _GuardedHTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_GuardedHTTPConnection, req)


class _GuardedHTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_GuardedHTTPSConnection, req, context=self._context)


class _HTTPOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Redirects are followed to http(s) only (urllib would also follow ftp)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        if urlsplit(newurl).scheme.lower() not in ("http", "https"):
            raise FetchError(f"redirected to a non-http(s) URL: {newurl}")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _opener() -> urllib.request.OpenerDirector:
    """http(s) only, no environment proxy (a proxy would resolve the host itself,
    out of reach of the address check), errors raised as HTTPError."""
    opener = urllib.request.OpenerDirector()
    for handler in (_GuardedHTTPHandler(), _GuardedHTTPSHandler(), _HTTPOnlyRedirects(),
                    urllib.request.HTTPDefaultErrorHandler(), urllib.request.HTTPErrorProcessor()):
        opener.add_handler(handler)
    return opener


_OPENER = _opener()
