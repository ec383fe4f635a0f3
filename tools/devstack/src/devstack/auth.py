"""The development token issuer: a signing key, its public JWKS for the apps, and tokens for people
and tests (``make token LEARNER=ada``, ``make token SCOPE=admin``).

Production tokens come from a real identity provider; the apps only ever see the JWKS. The private
key stays in the stack folder (mode 0600), never in the apps' environment.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

ISSUER = "learnflow-dev"
AUDIENCE = "learnflow"
ALGORITHM = "ES256"
KEY_FILE = "signing-key.pem"
JWKS_FILE = "jwks.json"


@dataclass(frozen=True)
class DevIssuer:
    """A signing key on disk and what the apps need to trust it."""

    directory: Path
    issuer: str = ISSUER
    audience: str = AUDIENCE

    @property
    def key_file(self) -> Path:
        return self.directory / KEY_FILE

    @property
    def jwks_file(self) -> Path:
        return self.directory / JWKS_FILE

    @property
    def app_env(self) -> dict[str, str]:
        """The variables that make an app trust this issuer's tokens."""
        return {"AUTH_ISSUER": self.issuer, "AUTH_AUDIENCE": self.audience, "AUTH_JWKS_FILE": str(self.jwks_file)}

    def ensure(self) -> DevIssuer:
        """Creates the key pair once (private 0600 from creation, never overwritten)."""
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not self.key_file.exists():
            private = ec.generate_private_key(ec.SECP256R1())
            pem = private.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
            fd = os.open(self.key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
            with os.fdopen(fd, "wb") as out:
                out.write(pem)
        public = jwt.algorithms.ECAlgorithm.to_jwk(self._private_key().public_key(), as_dict=True)
        jwks = {"keys": [{**public, "kid": self.kid, "use": "sig", "alg": ALGORITHM}]}
        self.jwks_file.write_text(json.dumps(jwks, indent=2) + "\n")
        return self

    @property
    def kid(self) -> str:
        """Names the key by its public part, so a new key is a new kid."""
        public = (
            self._private_key()
            .public_key()
            .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        )
        return jwt.utils.base64url_encode(hashlib.sha256(public).digest()[:12]).decode()

    def _private_key(self) -> ec.EllipticCurvePrivateKey:
        key = serialization.load_pem_private_key(self.key_file.read_bytes(), password=None)
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        return key

    def token(self, subject: str, scopes: tuple[str, ...] = (), ttl_seconds: int = 3600, **claims: object) -> str:
        now = int(time.time())
        payload = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": subject,
            "iat": now,
            "exp": now + ttl_seconds,
            **({"scope": " ".join(scopes)} if scopes else {}),
            **claims,
        }
        return jwt.encode(payload, self._private_key(), algorithm=ALGORITHM, headers={"kid": self.kid})
