"""Where a view may send the user back to: a `next` that stays on this site, else a safe default."""

from __future__ import annotations

import unicodedata
from urllib.parse import unquote

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme

_MAX_LENGTH = 2000


def _has_control_characters(text: str) -> bool:
    return any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in text)


def is_safe_redirect(request: HttpRequest, url: str) -> bool:
    """True when `url` is a path on this site (or an absolute URL to this host) by Django's own
    check with the request's host and scheme, and holds nothing a browser would read differently.

    Browsers drop or fold whitespace, control characters and backslashes, so " //evil.example",
    "/\\evil.example" or "/%09/evil.example" can lead to another host: those are refused as typed
    and, for control characters and a leading "//", once percent-decoded too.
    """
    if not url or len(url) > _MAX_LENGTH:
        return False
    if "\\" in url or any(ch.isspace() for ch in url) or _has_control_characters(url):
        return False
    decoded = unquote(url)
    if "\\" in decoded or _has_control_characters(decoded) or decoded.startswith("//"):
        return False
    return url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )


def safe_next_url(request: HttpRequest, default: str, *, param: str = "next") -> str:
    """The request's `next` (POST, then GET) when it is safe to redirect to, else `default`."""
    target = request.POST.get(param) or request.GET.get(param) or ""
    return target if is_safe_redirect(request, target) else default
