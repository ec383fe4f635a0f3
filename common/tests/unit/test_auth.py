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
from learnflow_common.auth import ADMIN_SCOPE, REMEMBER_TOKEN_SECONDS, KeySet, Principal, TokenVerifier, parse_jwks
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


class Checks:
    """Counts the signature checks (``jwt.decode``) a verifier makes."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        real = jwt.decode

        def counted(*args: object, **kwargs: object) -> object:
            self.count += 1
            return real(*args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr("learnflow_common.auth.jwt.decode", counted)


def test_a_token_that_passed_is_not_checked_again_within_a_minute(
    issuer: DevIssuer, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [time.time()]
    verifier = TokenVerifier(KeySet(file=issuer.jwks_file), issuer.issuer, issuer.audience, clock=lambda: now[0])
    checks = Checks(monkeypatch)
    token = issuer.token("ada")

    first = principal(verifier, token)
    now[0] += REMEMBER_TOKEN_SECONDS - 1
    again = principal(verifier, token)
    now[0] += 2
    after_a_minute = principal(verifier, token)

    assert first == again == after_a_minute == Principal("ada", frozenset())
    assert checks.count == 2


def test_a_remembered_token_is_checked_again_once_it_expires(
    issuer: DevIssuer, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [time.time()]
    verifier = TokenVerifier(
        KeySet(file=issuer.jwks_file), issuer.issuer, issuer.audience, leeway_seconds=0, clock=lambda: now[0]
    )
    token = issuer.token("ada", ttl_seconds=20)
    principal(verifier, token)
    checks = Checks(monkeypatch)

    now[0] += 21
    principal(verifier, token)  # PyJWT's own clock says it is still valid; ours says it expired

    assert checks.count == 1


def test_a_refused_token_is_checked_every_time(
    issuer: DevIssuer, verifier: TokenVerifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    checks = Checks(monkeypatch)
    token = issuer.token("ada", aud="another-api")

    assert refusal(verifier, token).status == refusal(verifier, token).status == 401
    assert checks.count == 2


def test_a_remembered_token_whose_key_left_the_key_set_is_refused(
    tmp_path: Path, issuer: DevIssuer, verifier: TokenVerifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    old_token = issuer.token("ada")
    principal(verifier, old_token)
    rotated = DevIssuer(tmp_path / "rotated").ensure()
    issuer.jwks_file.write_text(rotated.jwks_file.read_text())
    monkeypatch.setattr("learnflow_common.auth.RELOAD_INTERVAL_SECONDS", 0.0)
    principal(verifier, rotated.token("bob"))  # names the new key: the set is reloaded without the old one

    assert refusal(verifier, old_token).status == 401


def test_at_most_so_many_tokens_are_remembered(
    issuer: DevIssuer, verifier: TokenVerifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("learnflow_common.auth.REMEMBERED_TOKENS", 3)
    tokens = [issuer.token(f"learner-{n}") for n in range(5)]
    for token in tokens:
        principal(verifier, token)
    checks = Checks(monkeypatch)

    principal(verifier, tokens[0])  # forgotten: the least recently used
    principal(verifier, tokens[4])

    assert checks.count == 1


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
