"""Which address a request comes from: the one rule that the login lockout (django-axes) and the
request logs (django-structlog's ``ip``) both follow, through python-ipware's settings.

Behind reverse proxies, each proxy appends the address it received the request from to
X-Forwarded-For, so only the right-most entries were written by proxies we run; anything to their
left was sent by the client and may be anything. The client is therefore the ``proxy_count``-th
entry from the right (1 = the right-most, written by the one proxy in front of the app). Without a
proxy the header is ignored and the connection's address (REMOTE_ADDR) is the client.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured


def client_address_rule(*, behind_proxy: bool, proxy_count: int) -> tuple[tuple[str, ...], int | None]:
    """python-ipware's (META precedence order, proxy count) for this deployment.

    python-ipware counts the proxies listed in X-Forwarded-For *after* the client, so one proxy in
    front of the app (which writes the client as the right-most entry) is its count 0.
    """
    if not behind_proxy:
        return ("REMOTE_ADDR",), None
    if proxy_count < 1:
        raise ImproperlyConfigured("TRUSTED_PROXY_COUNT must be at least 1 when BEHIND_PROXY is set.")
    return ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"), proxy_count - 1
