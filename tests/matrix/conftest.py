"""A real Synapse homeserver and the shared stack's gateway running the Matrix bot.

Synapse (tools/install-synapse.sh, `make synapse`) starts once on a free loopback port with
SQLite; the bot's and the test people's accounts are registered through its shared-secret
admin API. The stack's gateway is restarted with the LOTSEN_MATRIX_* variables for these
tests and without them afterwards, so the other tests see the gateway they expect.
"""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import free_port
from tests.matrix.client import MatrixUser
from tools.homeserver import Homeserver

BOT = "lotsen"
BOT_NAME = "Påverkanslotsen"
PERSON = "testperson"
COLLEAGUE = "kollega"
OUTSIDER = "obehorig"
MATRIX_ENV = (
    "LOTSEN_MATRIX_HOMESERVER",
    "LOTSEN_MATRIX_USER_ID",
    "LOTSEN_MATRIX_PASSWORD",
    "LOTSEN_MATRIX_ALLOWED_SERVERS",
    "LOTSEN_MATRIX_PAGE_BASE",
)


@pytest.fixture(scope="session")
def homeserver(tmp_path_factory):
    hs = Homeserver(tmp_path_factory.mktemp("synapse"), free_port())
    try:
        hs.start()
    except RuntimeError as exc:
        pytest.fail(str(exc))
    accounts = {
        name: hs.register(name, f"{name}-lösen-{hs.shared_secret[:8]}") for name in (BOT, PERSON, COLLEAGUE, OUTSIDER)
    }
    httpx.put(
        f"{hs.url}/_matrix/client/v3/profile/{accounts[BOT]['user_id']}/displayname",
        headers={"Authorization": f"Bearer {accounts[BOT]['access_token']}"},
        json={"displayname": BOT_NAME},
        timeout=10,
    ).raise_for_status()
    hs.accounts = accounts
    yield hs
    hs.stop()


def password(hs: Homeserver, name: str) -> str:
    return f"{name}-lösen-{hs.shared_secret[:8]}"


@pytest.fixture(scope="module")
def matrix_gateway(stack, homeserver):
    """The shared stack's gateway with the Matrix bot (password login, like a first start)."""
    stack.env.update(
        {
            "LOTSEN_MATRIX_HOMESERVER": homeserver.url,
            "LOTSEN_MATRIX_USER_ID": homeserver.user_id(BOT),
            "LOTSEN_MATRIX_PASSWORD": password(homeserver, BOT),
            # Only the two test people may invite the bot; the outsider on the same server may not.
            "LOTSEN_MATRIX_ALLOWED_SERVERS": f"{homeserver.user_id(PERSON)},{homeserver.user_id(COLLEAGUE)}",
            # Our page links in the answers start with the gateway's address.
            "LOTSEN_MATRIX_PAGE_BASE": stack.url,
        }
    )
    stack.restart("gateway")
    try:
        yield stack
    finally:
        for name in MATRIX_ENV:
            stack.env.pop(name, None)
        stack.restart("gateway")


@pytest.fixture(scope="module")
def person(homeserver, matrix_gateway, tmp_path_factory):
    user = MatrixUser(
        homeserver.url,
        homeserver.user_id(PERSON),
        password(homeserver, PERSON),
        tmp_path_factory.mktemp("person-store"),
    )
    yield user
    user.close()
