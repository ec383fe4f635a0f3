"""Bearer tokens: what is accepted as whom, and everything else a 401 or a 403."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from devstack.auth import DevIssuer
from learnflow_common.auth import ADMIN_SCOPE, KeySet, Principal, TokenVerifier, parse_jwks
from learnflow_common.problems import Problem


@pytest.fixture
def issuer(tmp_path: Path) -> DevIssuer:
    return DevIssuer(tmp_path / "auth").ensure()


@pytest.fixture
def verifier(issuer: DevIssuer) -> TokenVerifier:
    return TokenVerifier(KeySet(file=issuer.jwks_file), issuer.issuer, issuer.audience)


def principal(verifier: TokenVerifier, token: str) -> Principal:
    return asyncio.run(verifier.principal(token))


def refusal(verifier: TokenVerifier, token: str) -> Problem:
    with pytest.raises(Problem) as refused:
        principal(verifier, token)
    return refused.value


def test_a_learner_token_speaks_for_its_sub(issuer: DevIssuer, verifier: TokenVerifier) -> None:
    assert principal(verifier, issuer.token("ada")) == Principal("ada", frozenset())


def test_scopes_come_from_the_space_separated_scope_claim(issuer: DevIssuer, verifier: TokenVerifier) -> None:
    caller = principal(verifier, issuer.token("ops", ("admin", "reports:read")))

    assert caller.scopes == {"admin", "reports:read"}
    assert caller.is_privileged


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"aud": "another-api"}, "audience"),
        ({"iss": "someone-else"}, "issuer"),
        ({"exp": int(time.time()) - 3600}, "expired"),
        ({"nbf": int(time.time()) + 3600}, "not yet valid"),
        ({"sub": "has spaces"}, "sub"),
    ],
)
def test_a_token_for_another_audience_issuer_time_or_subject_is_401(
    issuer: DevIssuer, verifier: TokenVerifier, claims: dict[str, object], reason: str
) -> None:
    subject = str(claims.pop("sub", "ada"))
    problem = refusal(verifier, issuer.token(subject, **claims))

    assert problem.status == 401, reason
    assert problem.headers["WWW-Authenticate"].startswith('Bearer realm="learnflow", error="invalid_token"')


def test_a_token_signed_by_another_key_is_401(tmp_path: Path, verifier: TokenVerifier) -> None:
    stranger = DevIssuer(tmp_path / "stranger").ensure()

    assert refusal(verifier, stranger.token("ada")).status == 401


def test_an_unsigned_token_is_401(verifier: TokenVerifier) -> None:
    unsigned = jwt.encode({"sub": "ada", "iss": "learnflow-dev", "aud": "learnflow", "exp": 2**40}, None, "none")

    assert refusal(verifier, unsigned).status == 401


def test_a_token_hmac_signed_with_the_public_key_is_401(issuer: DevIssuer, verifier: TokenVerifier) -> None:
    """The algorithm confusion attack: the published key used as an HMAC secret."""
    encode = jwt.utils.base64url_encode
    header = encode(json.dumps({"alg": "HS256", "typ": "JWT", "kid": issuer.kid}).encode())
    claims = encode(json.dumps({"sub": "ada", "iss": issuer.issuer, "aud": issuer.audience, "exp": 2**40}).encode())
    signature = hmac.new(issuer.jwks_file.read_bytes(), header + b"." + claims, hashlib.sha256).digest()
    forged = (header + b"." + claims + b"." + encode(signature)).decode()

    assert refusal(verifier, forged).status == 401


def test_garbage_is_401(verifier: TokenVerifier) -> None:
    assert refusal(verifier, "not-a-jwt").status == 401


def test_a_rotated_key_is_found_by_reloading_the_jwks_file(
    tmp_path: Path, issuer: DevIssuer, verifier: TokenVerifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    rotated = DevIssuer(tmp_path / "rotated").ensure()
    issuer.jwks_file.write_text(rotated.jwks_file.read_text())
    monkeypatch.setattr("learnflow_common.auth.RELOAD_INTERVAL_SECONDS", 0.0)

    assert principal(verifier, rotated.token("ada")).subject == "ada"


def test_a_jwks_without_an_asymmetric_signing_key_is_refused_at_start() -> None:
    symmetric = {"keys": [{"kty": "oct", "k": "c2VjcmV0", "alg": "HS256", "kid": "x"}]}

    with pytest.raises(ValueError, match="no usable signing key"):
        parse_jwks(json.dumps(symmetric))


def test_an_encryption_key_is_not_a_signing_key() -> None:
    public = jwt.algorithms.ECAlgorithm.to_jwk(ec.generate_private_key(ec.SECP256R1()).public_key(), as_dict=True)

    with pytest.raises(ValueError, match="no usable signing key"):
        parse_jwks(json.dumps({"keys": [{**public, "use": "enc"}]}))


def test_a_learner_may_act_only_for_themself() -> None:
    ada = Principal("ada")

    ada.require_learner("ada")
    with pytest.raises(Problem) as refused:
        ada.require_learner("bob")
    assert refused.value.status == 403


def test_an_admin_may_act_for_any_learner_and_has_the_admin_scope() -> None:
    admin = Principal("ops", frozenset({ADMIN_SCOPE}))

    admin.require_learner("bob")
    admin.require_scope(ADMIN_SCOPE, "The feed")
    with pytest.raises(Problem):
        Principal("ada").require_scope(ADMIN_SCOPE, "The feed")
