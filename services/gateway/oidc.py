"""Staff sign in with their organisation's own OpenID provider (Entra ID, Keycloak, an
eHerkenning broker): OpenID Connect's authorization code flow with PKCE, through authlib.

``start`` makes the address to send the browser to and what the browser keeps meanwhile (a
state, a nonce and the PKCE verifier, in an HTTP-only cookie: the gateway keeps nothing, so any
gateway process can take the answer). ``finish`` takes the provider's answer: the state must be
the one this browser was given, the code is exchanged (with the verifier) for an ID token whose
signature, issuer, audience, lifetime and nonce are checked; the e-mail address counts only when
the provider says it verified it. Anything else is ``SignInRefused`` with the reason."""
from __future__ import annotations

import base64
import hmac
import json
import time

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry

SCOPE = "openid email profile"
FLOW_SECONDS = 600          # how long a sign-in at the provider may take
METADATA_SECONDS = 3600     # how long the provider's discovery document and keys are reused
HTTP_SECONDS = 10


class SignInRefused(Exception):
    """The provider's answer is not one to sign anyone in with (the reason, for the log)."""


class OpenIdProvider:
    def __init__(self, issuer: str, client_id: str, client_secret: str, redirect_uri: str):
        self.issuer, self.client_id, self.client_secret = issuer.rstrip("/"), client_id, client_secret
        self.redirect_uri = redirect_uri
        self._metadata, self._keys, self._fetched = None, None, 0.0

    def metadata(self, refresh: bool = False) -> dict:
        """The provider's discovery document (and its signing keys), fetched at most hourly."""
        if refresh or self._metadata is None or time.monotonic() - self._fetched > METADATA_SECONDS:
            found = _get_json(f"{self.issuer}/.well-known/openid-configuration")
            if found.get("issuer", "").rstrip("/") != self.issuer:
                raise SignInRefused(f"the provider calls itself {found.get('issuer')!r}, not {self.issuer!r}")
            self._keys = KeySet.import_key_set(_get_json(found["jwks_uri"]))
            self._metadata, self._fetched = found, time.monotonic()
        return self._metadata

    def _client(self) -> OAuth2Session:
        return OAuth2Session(self.client_id, self.client_secret, scope=SCOPE, redirect_uri=self.redirect_uri,
                             code_challenge_method="S256")

    def start(self) -> tuple[str, dict]:
        """(the address at the provider, what the browser keeps until it comes back)."""
        kept = {"state": generate_token(32), "nonce": generate_token(32), "verifier": generate_token(48),
                "at": int(time.time())}
        url, _ = self._client().create_authorization_url(
            self.metadata()["authorization_endpoint"], state=kept["state"], nonce=kept["nonce"],
            code_verifier=kept["verifier"])
        return url, kept

    def finish(self, args, kept: dict | None) -> dict:
        """Who signed in (``contracts.members.SignedIn``), from the provider's answer ``args`` and
        what this browser kept; SignInRefused otherwise."""
        if not kept or time.time() - kept.get("at", 0) > FLOW_SECONDS:
            raise SignInRefused("no sign-in of this browser is waiting (never started, finished, or too old)")
        if not hmac.compare_digest(str(args.get("state", "")), str(kept.get("state", ""))):
            raise SignInRefused("the state is not the one this browser was given")
        if args.get("error"):
            raise SignInRefused(f"the provider answered {args['error']}: {args.get('error_description', '')}")
        if not args.get("code"):
            raise SignInRefused("the provider's answer has no code")
        metadata = self.metadata()
        client = self._client()
        try:
            token = client.fetch_token(metadata["token_endpoint"], code=args["code"], code_verifier=kept["verifier"],
                                       grant_type="authorization_code", timeout=HTTP_SECONDS)
        except Exception as exc:        # authlib's OAuthError, or the provider away
            raise SignInRefused(f"the code was not exchanged: {exc}") from None
        claims = self._id_token(token, kept["nonce"])
        if not claims.get("email") and metadata.get("userinfo_endpoint"):
            info = client.get(metadata["userinfo_endpoint"], timeout=HTTP_SECONDS).json()
            if info.get("sub") != claims["sub"]:
                raise SignInRefused("the userinfo answer is about someone else")
            claims = {**info, **claims}
        verified = claims.get("email_verified") in (True, "true")
        return {"issuer": self.issuer, "subject": claims["sub"],
                "email": claims.get("email") if verified else None, "name": claims.get("name")}

    def _id_token(self, token: dict, nonce: str) -> dict:
        if "id_token" not in token:
            raise SignInRefused("the provider sent no ID token")
        algorithms = self.metadata().get("id_token_signing_alg_values_supported")
        for attempt in ("cached keys", "fetched keys"):
            try:
                decoded = jwt.decode(token["id_token"], self._keys, registry=JWSRegistry(algorithms=algorithms))
                break
            except JoseError as exc:
                if attempt == "fetched keys":
                    raise SignInRefused(f"the ID token's signature does not check: {exc}") from None
                self.metadata(refresh=True)         # the provider may have rolled its keys
        claims = CodeIDToken(decoded.claims, decoded.header,
                             {"iss": {"essential": True, "values": [self.issuer]},
                              "aud": {"essential": True, "values": [self.client_id]}},
                             {"nonce": nonce, "client_id": self.client_id, "access_token": token.get("access_token")})
        try:
            claims.validate(leeway=60)
        except JoseError as exc:
            raise SignInRefused(f"the ID token is not for this sign-in: {exc}") from None
        return dict(claims)


def _get_json(url: str) -> dict:
    try:
        answer = requests.get(url, timeout=HTTP_SECONDS)
        answer.raise_for_status()
        return answer.json()
    except (requests.RequestException, ValueError) as exc:
        raise SignInRefused(f"the provider could not be read at {url}: {exc}") from None


def kept_cookie(kept: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(kept).encode()).decode()


def kept_from(cookie: str | None) -> dict | None:
    try:
        kept = json.loads(base64.urlsafe_b64decode((cookie or "").encode()))
    except ValueError:
        return None
    return kept if isinstance(kept, dict) else None
