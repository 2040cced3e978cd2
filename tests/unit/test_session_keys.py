"""The server secret and keyed channel session ids."""

from __future__ import annotations

import re
import stat

from gateway.session_keys import channel_session_id, load_secret


def test_generated_secret_is_private_and_stable(tmp_path):
    first = load_secret(None, tmp_path / "data")
    assert len(first) == 32
    assert load_secret(None, tmp_path / "data") == first
    mode = stat.S_IMODE((tmp_path / "data" / "secret.key").stat().st_mode)
    assert mode == 0o600


def test_configured_secret_wins_and_writes_nothing(tmp_path):
    assert load_secret("s3cret", tmp_path) == b"s3cret"
    assert not (tmp_path / "secret.key").exists()


def test_channel_ids_depend_on_the_secret_and_every_part():
    a = channel_session_id(b"k1", "teams", "tenant", "conv")
    assert re.fullmatch(r"teams-[A-Za-z0-9_-]{40}", a)
    assert a == channel_session_id(b"k1", "teams", "tenant", "conv")
    assert a != channel_session_id(b"k2", "teams", "tenant", "conv")
    assert a != channel_session_id(b"k1", "teams", "tenantc", "onv")
    assert a != channel_session_id(b"k1", "matrix", "tenant", "conv")
