"""A small OpenID Connect provider over HTTP on 127.0.0.1, for the single sign-on tests.

It serves discovery (``/.well-known/openid-configuration``), the authorization endpoint (it signs in
whoever ``sign_in_as`` named and redirects back with a code, as a provider does once its user logged
in), the token endpoint (client secret and PKCE S256 checked; an RS256 ID token with the nonce the
client sent), JWKS, userinfo and the end-session endpoint (RP-initiated logout: it records each
call in ``logouts`` once the id_token_hint's signature checks out, then redirects to the
post_logout_redirect_uri). Faults on demand: ``tamper`` signs the ID token with a key the JWKS
does not hold, ``wrong_nonce`` puts another nonce in it. Not modelled: consent, refresh tokens,
other signing algorithms, session management.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

CLIENT_ID = "ps-pipeline"
CLIENT_SECRET = "fake-client-secret"


class FakeOidcProvider:
    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = "key-1"
        self.claims: dict[str, Any] = {}
        self.codes: dict[str, dict[str, Any]] = {}
        self.tokens: dict[str, dict[str, Any]] = {}
        self.tamper = False
        self.wrong_nonce = False
        self.calls: list[str] = []
        self.logouts: list[dict[str, Any]] = []  # the verified id_token_hint claims and where it sent back
        # interactive: the authorization endpoint shows a sign-in page where a browser types the
        # email of one of `accounts` (email -> claims), as a person logs in at their provider.
        self.interactive = False
        self.accounts: dict[str, dict[str, Any]] = {}
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.issuer = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeOidcProvider:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def sign_in_as(self, **claims: Any) -> None:
        """The person the next authorization request signs in (sub defaults to their email)."""
        self.claims = {"sub": claims.get("email", "someone"), **claims}

    def id_token(self, grant: dict[str, Any]) -> str:
        now = int(time.time())
        payload = {
            **grant["claims"],
            "iss": self.issuer,
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            "nonce": "not-the-nonce" if self.wrong_nonce else grant["nonce"],
        }
        key = self.other_key if self.tamper else self.key
        return jwt.encode(payload, key, algorithm="RS256", headers={"kid": self.kid})

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _send(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> None:
                data = json.dumps(body).encode() if body is not None else b""
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                if body is not None:
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                url = urlparse(self.path)
                provider.calls.append(url.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                if url.path == "/.well-known/openid-configuration":
                    base = provider.issuer
                    self._send(
                        200,
                        {
                            "issuer": base,
                            "authorization_endpoint": f"{base}/authorize",
                            "token_endpoint": f"{base}/token",
                            "userinfo_endpoint": f"{base}/userinfo",
                            "jwks_uri": f"{base}/jwks",
                            "end_session_endpoint": f"{base}/logout",
                            "response_types_supported": ["code"],
                            "id_token_signing_alg_values_supported": ["RS256"],
                            "code_challenge_methods_supported": ["S256"],
                        },
                    )
                elif url.path == "/jwks":
                    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(provider.key.public_key()))
                    self._send(200, {"keys": [{**jwk, "kid": provider.kid, "use": "sig", "alg": "RS256"}]})
                elif url.path == "/authorize":
                    if query.get("client_id") != CLIENT_ID or query.get("response_type") != "code":
                        self._send(400, {"error": "invalid_request"})
                        return
                    if provider.interactive:
                        self._sign_in_page(url.query)
                        return
                    self._redirect_back(query, provider.claims)
                elif url.path == "/logout":
                    self._end_session(query)
                elif url.path == "/userinfo":
                    token = self.headers.get("Authorization", "").removeprefix("Bearer ")
                    grant = provider.tokens.get(token)
                    self._send(200, grant["claims"]) if grant else self._send(401, {"error": "invalid_token"})
                else:
                    self._send(404, {"error": "not_found"})

            def _end_session(self, query: dict[str, str]) -> None:
                try:
                    claims = jwt.decode(
                        query.get("id_token_hint", ""),
                        provider.key.public_key(),
                        algorithms=["RS256"],
                        audience=CLIENT_ID,
                        issuer=provider.issuer,
                        options={"verify_exp": False},  # an expired hint still names the session
                    )
                except jwt.InvalidTokenError:
                    self._send(400, {"error": "invalid_request", "error_description": "id_token_hint"})
                    return
                back = query.get("post_logout_redirect_uri", "")
                provider.logouts.append({"claims": claims, "post_logout_redirect_uri": back})
                self._send(302, headers={"Location": back}) if back else self._send(200, {})

            def _sign_in_page(self, query: str, error: str = "") -> None:
                page = (
                    "<!doctype html><title>Acme ID</title><h1>Acme ID sign-in</h1>"
                    f"<p>{html.escape(error)}</p><form method='post' action='/authorize?{html.escape(query)}'>"
                    "<label>Email <input name='email'></label><button>Sign in</button></form>"
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)

            def _redirect_back(self, query: dict[str, str], claims: dict[str, Any]) -> None:
                code = secrets.token_urlsafe(16)
                provider.codes[code] = {
                    "claims": dict(claims),
                    "nonce": query.get("nonce"),
                    "challenge": query.get("code_challenge"),
                    "redirect_uri": query["redirect_uri"],
                }
                back = {"code": code, "state": query.get("state", "")}
                self._send(302, headers={"Location": f"{query['redirect_uri']}?{urlencode(back)}"})

            def do_POST(self) -> None:
                url = urlparse(self.path)
                provider.calls.append(url.path)
                if url.path == "/authorize":
                    length = int(self.headers.get("Content-Length") or 0)
                    email = parse_qs(self.rfile.read(length).decode()).get("email", [""])[0]
                    query = {k: v[0] for k, v in parse_qs(url.query).items()}
                    if email not in provider.accounts:
                        self._sign_in_page(url.query, error="No such account.")
                        return
                    self._redirect_back(query, {"sub": email, **provider.accounts[email]})
                    return
                if self.path != "/token":
                    self._send(404, {"error": "not_found"})
                    return
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                grant = provider.codes.pop(form.get("code", ""), None)
                verifier = form.get("code_verifier", "")
                challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
                if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
                    self._send(401, {"error": "invalid_client"})
                elif grant is None or grant["redirect_uri"] != form.get("redirect_uri"):
                    self._send(400, {"error": "invalid_grant"})
                elif grant["challenge"] != challenge.decode():
                    self._send(400, {"error": "invalid_grant", "error_description": "PKCE verifier"})
                else:
                    access = secrets.token_urlsafe(16)
                    provider.tokens[access] = grant
                    body = {
                        "access_token": access,
                        "token_type": "Bearer",
                        "id_token": provider.id_token(grant),
                    }
                    self._send(200, body)

        return Handler
