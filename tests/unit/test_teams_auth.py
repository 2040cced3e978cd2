"""Who may call POST /api/messages: 401 without a valid token, anonymous only when switched on.

Tokens are signed here with a test key; only the fetch of Microsoft's published keys and the
bot's own outgoing token (both network calls) are replaced.
"""

from __future__ import annotations

import time

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient
from microsoft_agents.authentication.msal import MsalAuth
from microsoft_agents.hosting.core import JwtTokenValidator

from gateway.main import create_app
from gateway.settings import Settings
from gateway.teams.config import TeamsConfigError, auth_configuration
from tests import fake_engine

APP_ID = "5f0c7a8e-1b2c-4d3e-9f00-112233445566"
TENANT = "0d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6"
OTHER_TENANT = "99999999-4b5c-4d6e-8f70-8192a3b4c5d6"
BOT_SERVICE = "https://api.botframework.com"
SERVICE_URL = "https://smba.trafficmanager.net/emea/"


def activity(**fields) -> dict:
    return {
        "type": "message",
        "text": "hej",
        "channelId": "msteams",
        "deliveryMode": "expectReplies",
        "serviceUrl": SERVICE_URL,
        "conversation": {"id": "a:1", "conversationType": "personal", "tenantId": TENANT},
        "from": {"id": "29:user"},
        "recipient": {"id": f"28:{APP_ID}"},
        **fields,
    }


@pytest.fixture(scope="module")
def key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def signed(key, monkeypatch):
    """Make tokens signed with the test key, and let the SDK's validator find that key."""
    public = jwt.PyJWK.from_dict(
        {**jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key(), as_dict=True), "kid": "test-key", "alg": "RS256"}
    )
    fetched: list[str] = []

    async def signing_key(jwks_uri, header):
        fetched.append(jwks_uri)
        if header.get("kid") != "test-key":
            raise jwt.PyJWKClientError("Unable to find a signing key that matches")
        return public

    async def outgoing_token(self, resource_url, scopes, force_refresh=False):
        return "bot-token"

    monkeypatch.setattr(JwtTokenValidator._jwk_client_manager, "get_signing_key", signing_key)
    monkeypatch.setattr(MsalAuth, "get_access_token", outgoing_token)

    def make(**claims) -> str:
        kid = claims.pop("kid", "test-key")
        now = int(time.time())
        body = {
            "aud": APP_ID,
            "iss": BOT_SERVICE,
            "nbf": now - 10,
            "iat": now - 10,
            "exp": now + 3600,
            "serviceurl": SERVICE_URL,
            **claims,
        }
        # The key object, not its PEM: PyJWT would parse and check the PEM again for every token.
        return jwt.encode(
            {k: v for k, v in body.items() if v is not None}, key, algorithm="RS256", headers={"kid": kid}
        )

    make.fetched = fetched
    return make


def client_for(tmp_path, **teams) -> TestClient:
    engine = httpx.MockTransport(
        lambda r: (
            fake_engine.reply({"text": "Svar."}) if r.url.path.endswith("/webhook") else httpx.Response(200, text="ok")
        )
    )
    return TestClient(create_app(Settings(data_dir=tmp_path, **teams), engine_transport=engine))


@pytest.fixture(scope="module")
def bot(tmp_path_factory):
    with client_for(
        tmp_path_factory.mktemp("bot"), teams_app_id=APP_ID, teams_tenant_id=TENANT, teams_client_secret="s3cret"
    ) as c:
        yield c


@pytest.fixture(scope="module")
def unconfigured(tmp_path_factory):
    with client_for(tmp_path_factory.mktemp("unconfigured")) as c:
        yield c


def assert_401(response, code):
    assert response.status_code == 401, response.text
    assert response.json()["error"]["code"] == code and response.json()["error"]["message"]
    assert response.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("client_name", ["bot", "unconfigured"])
def test_without_a_token_the_answer_is_401(request, client_name):
    client = request.getfixturevalue(client_name)
    assert_401(client.post("/api/messages", json=activity()), "missing_token")


@pytest.mark.parametrize("header", ["Basic dXNlcjpwdw==", "Bearer", "Bearer ", "token abc"])
def test_malformed_authorization_is_401(bot, header):
    assert_401(bot.post("/api/messages", json=activity(), headers={"Authorization": header}), "invalid_token")


def test_a_valid_bot_service_token_is_answered(bot, signed):
    r = bot.post("/api/messages", json=activity(), headers={"Authorization": f"Bearer {signed()}"})
    assert r.status_code == 200, r.text
    assert [a["text"] for a in r.json()["activities"] if a["type"] == "message"] == ["Svar."]
    # Bot Service tokens are checked against Bot Service's published keys.
    assert signed.fetched == ["https://login.botframework.com/v1/.well-known/keys"]


@pytest.mark.parametrize(
    "claims",
    [
        {"aud": "11111111-2222-3333-4444-555555555555"},  # a token for another bot
        {"aud": None},
        {"exp": int(time.time()) - 3600},  # expired (beyond the 5 min leeway)
        {"iss": "https://evil.example"},
        {"iss": f"https://login.microsoftonline.com/{OTHER_TENANT}/v2.0", "tid": OTHER_TENANT},  # another tenant
        {"kid": "unknown-key"},
    ],
)
def test_invalid_tokens_are_401(bot, signed, claims):
    r = bot.post("/api/messages", json=activity(), headers={"Authorization": f"Bearer {signed(**claims)}"})
    assert_401(r, "invalid_token")


def test_no_token_of_its_own_for_the_reply_is_503_not_500(bot, signed, monkeypatch):
    async def entra_unreachable(self, resource_url, scopes, force_refresh=False):
        raise ConnectionError("login.microsoftonline.com unreachable")

    monkeypatch.setattr(MsalAuth, "get_access_token", entra_unreachable)
    r = bot.post("/api/messages", json=activity(), headers={"Authorization": f"Bearer {signed()}"})
    assert r.status_code == 503 and r.json()["error"]["code"] == "teams_unavailable"


def test_own_tenant_token_is_accepted(bot, signed):
    token = signed(iss=f"https://login.microsoftonline.com/{TENANT}/v2.0", tid=TENANT)
    assert bot.post("/api/messages", json=activity(), headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_token_signed_with_another_key_is_401(bot, signed):
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = int(time.time())
    forged = jwt.encode(
        {"aud": APP_ID, "iss": BOT_SERVICE, "exp": now + 600, "nbf": now},
        stranger,
        algorithm="RS256",
        headers={"kid": "test-key"},
    )
    assert_401(
        bot.post("/api/messages", json=activity(), headers={"Authorization": f"Bearer {forged}"}), "invalid_token"
    )


def test_replies_only_to_the_service_the_token_names(bot, signed):
    r = bot.post(
        "/api/messages",
        json=activity(serviceUrl="https://attacker.example/"),
        headers={"Authorization": f"Bearer {signed()}"},
    )
    assert_401(r, "service_url_mismatch")


def test_without_app_id_no_token_is_accepted(unconfigured, signed):
    assert_401(
        unconfigured.post("/api/messages", json=activity(), headers={"Authorization": f"Bearer {signed()}"}),
        "invalid_token",
    )


def test_anonymous_mode_only_when_switched_on_and_only_for_this_machine(tmp_path):
    with client_for(tmp_path, teams_anonymous=True) as anonymous:
        local = activity(serviceUrl="http://localhost:56150/_connector")
        assert anonymous.post("/api/messages", json=local).status_code == 200
        assert anonymous.post("/api/messages", json={**local, "serviceUrl": "http://[::1]:5/"}).status_code == 200
        r = anonymous.post("/api/messages", json=activity(serviceUrl="http://10.0.0.5/_connector"))
        assert r.status_code == 403 and r.json()["error"]["code"] == "service_url_not_allowed"


@pytest.mark.parametrize(
    ("teams", "fragment"),
    [
        ({"teams_tenant_id": TENANT, "teams_client_secret": "s"}, "LOTSEN_TEAMS_APP_ID"),
        ({"teams_app_id": APP_ID, "teams_client_secret": "s"}, "LOTSEN_TEAMS_TENANT_ID"),
        ({"teams_app_id": APP_ID, "teams_tenant_id": "common", "teams_client_secret": "s"}, "katalog-id"),
        ({"teams_app_id": APP_ID, "teams_tenant_id": TENANT}, "LOTSEN_TEAMS_CLIENT_SECRET"),
        (
            {
                "teams_app_id": APP_ID,
                "teams_tenant_id": TENANT,
                "teams_client_secret": "s",
                "teams_certificate_file": "bot.pfx",
            },
            "inte båda",
        ),
        (
            {"teams_app_id": APP_ID, "teams_tenant_id": TENANT, "teams_certificate_file": "/saknas/bot.pfx"},
            "finns inte",
        ),
    ],
)
def test_half_configured_bot_is_refused_with_a_swedish_message(tmp_path, teams, fragment):
    with pytest.raises(TeamsConfigError, match=fragment):
        auth_configuration(Settings(data_dir=tmp_path, **teams))


def test_half_configured_bot_stops_the_start(tmp_path):
    with pytest.raises(TeamsConfigError, match="LOTSEN_TEAMS_TENANT_ID"):
        with client_for(tmp_path, teams_app_id=APP_ID, teams_client_secret="s"):
            pass


def test_certificate_configuration_is_single_tenant(tmp_path):
    pfx = tmp_path / "bot.pfx"
    pfx.write_bytes(b"test")
    config = auth_configuration(Settings(teams_app_id=APP_ID, teams_tenant_id=TENANT, teams_certificate_file=pfx))
    assert config.AUTH_TYPE == "certificate" and config.CERT_PFX_FILE == str(pfx) and not config.CLIENT_SECRET
    assert config.AUTHORITY == f"https://login.microsoftonline.com/{TENANT}" and config.VALIDATE_ISSUER
    assert not config.ANONYMOUS_ALLOWED


@pytest.mark.parametrize(
    "settings",
    [
        {"teams_app_id": APP_ID, "teams_tenant_id": TENANT, "teams_client_secret": "s"},
        {"host": "0.0.0.0"},
        {"host": "10.1.0.11"},
    ],
)
def test_anonymous_mode_refuses_to_start_on_a_real_bot_or_a_reachable_host(tmp_path, settings):
    with pytest.raises(TeamsConfigError, match="LOTSEN_TEAMS_ANONYMOUS"):
        auth_configuration(Settings(data_dir=tmp_path, teams_anonymous=True, **settings))


def test_without_a_service_url_claim_replies_go_to_microsoft_hosts_only(bot, signed):
    r = bot.post(
        "/api/messages",
        json=activity(serviceUrl="https://attacker.example/"),
        headers={"Authorization": f"Bearer {signed(serviceurl=None)}"},
    )
    assert r.status_code == 403 and r.json()["error"]["code"] == "service_url_not_allowed"


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://smba.trafficmanager.net/emea/", True),
        ("https://smba.infra.gcc.teams.microsoft.com/", True),
        ("https://europe.webchat.botframework.com/", True),
        ("http://smba.trafficmanager.net/", False),
        ("https://trafficmanager.net.evil.example/", False),
        ("https://evilbotframework.com/", False),
        (None, False),
    ],
)
def test_microsoft_service_hosts(url, allowed):
    from gateway.teams.auth import is_microsoft_service

    assert is_microsoft_service(url) is allowed
