"""A throw-away Synapse homeserver on loopback, for the Matrix tests and `make matrix-dev`.

Synapse comes from its own virtual environment (tools/install-synapse.sh). The configuration
is the least a homeserver needs to serve the client API: SQLite, one plain-HTTP listener on
127.0.0.1, no federation, no presence, no URL previews, no statistics reporting, and rate
limits high enough that a test's burst of messages is never throttled. Users are registered
through the shared-secret admin API, as an administrator would with register_new_matrix_user.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import yaml

ROOT = Path(__file__).resolve().parent.parent
SYNAPSE_VENV = ROOT / ".venv-synapse"
LOOPBACK = "127.0.0.1"
# Generous limits: the tests send bursts that a real user never would.
_RELAXED = {"per_second": 1000, "burst_count": 1000}


def _unpadded_b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii").rstrip("=")


@dataclass
class Homeserver:
    directory: Path
    port: int
    server_name: str = "lotsen.test"
    venv: Path = SYNAPSE_VENV
    log_level: str = "INFO"
    process: subprocess.Popen | None = None
    shared_secret: str = field(default_factory=lambda: secrets.token_hex(32))

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def log_file(self) -> Path:
        return self.directory / "homeserver.log"

    @property
    def database(self) -> Path:
        return self.directory / "homeserver.db"

    def user_id(self, localpart: str) -> str:
        return f"@{localpart}:{self.server_name}"

    def config(self) -> dict:
        d = self.directory
        return {
            "server_name": self.server_name,
            "public_baseurl": f"{self.url}/",
            "pid_file": str(d / "homeserver.pid"),
            "listeners": [
                {
                    "port": self.port,
                    "bind_addresses": [LOOPBACK],
                    "type": "http",
                    "tls": False,
                    "x_forwarded": False,
                    "resources": [{"names": ["client"], "compress": False}],
                }
            ],
            "database": {"name": "sqlite3", "args": {"database": str(self.database)}},
            "log_config": str(d / "log.config"),
            "media_store_path": str(d / "media"),
            "signing_key_path": str(d / "signing.key"),
            "registration_shared_secret": self.shared_secret,
            "macaroon_secret_key": secrets.token_hex(32),
            "form_secret": secrets.token_hex(32),
            "report_stats": False,
            "enable_metrics": False,
            "enable_registration": False,
            # Password hashing at bcrypt's minimum cost: each login would otherwise take a second.
            "bcrypt_rounds": 4,
            # No federation: no other server is asked for keys or allowed to talk to this one.
            "federation_domain_whitelist": [],
            "trusted_key_servers": [],
            "suppress_key_server_warning": True,
            "presence": {"enabled": False},
            "url_preview_enabled": False,
            "rc_message": _RELAXED,
            "rc_login": {"address": _RELAXED, "account": _RELAXED, "failed_attempts": _RELAXED},
            "rc_registration": _RELAXED,
            "rc_joins": {"local": _RELAXED, "remote": _RELAXED},
            "rc_invites": {"per_room": _RELAXED, "per_user": _RELAXED, "per_issuer": _RELAXED},
            "rc_key_requests": _RELAXED,
            "rc_room_creation": _RELAXED,
        }

    def log_config(self) -> dict:
        return {
            "version": 1,
            "formatters": {"plain": {"format": "%(asctime)s %(name)s %(levelname)s %(request)s %(message)s"}},
            "filters": {"context": {"()": "synapse.logging.context.LoggingContextFilter", "request": ""}},
            "handlers": {
                "file": {
                    "class": "logging.FileHandler",
                    "filename": str(self.log_file),
                    "formatter": "plain",
                    "filters": ["context"],
                    "encoding": "utf-8",
                }
            },
            "loggers": {"synapse.storage.SQL": {"level": "WARNING"}},
            "root": {"level": self.log_level, "handlers": ["file"]},
            "disable_existing_loggers": False,
        }

    def write_config(self) -> Path:
        d = self.directory
        d.mkdir(parents=True, exist_ok=True)
        (d / "media").mkdir(exist_ok=True)
        # The server's ed25519 signing key in Synapse's format, so no --generate-keys run is needed.
        key = d / "signing.key"
        if not key.exists():
            key.write_text(f"ed25519 a_{secrets.token_hex(2)} {_unpadded_b64(secrets.token_bytes(32))}\n")
        (d / "log.config").write_text(yaml.safe_dump(self.log_config()), encoding="utf-8")
        path = d / "homeserver.yaml"
        path.write_text(yaml.safe_dump(self.config(), sort_keys=False), encoding="utf-8")
        return path

    def start(self, timeout: float = 90.0) -> None:
        python = self.venv / "bin" / "python"
        if not python.exists():
            raise RuntimeError(f"Synapse saknas i {self.venv}: kör tools/install-synapse.sh.")
        config = self.write_config()
        with open(self.directory / "stdout.log", "ab") as out:
            self.process = subprocess.Popen(
                [str(python), "-m", "synapse.app.homeserver", "--config-path", str(config)],
                cwd=self.directory,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                env={**os.environ, "SYNAPSE_NO_TLS": "1"},
            )
        self.wait_ready(timeout)

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process and self.process.poll() is not None:
                tail = (self.directory / "stdout.log").read_text(errors="replace")[-3000:]
                raise RuntimeError(f"Synapse avslutades med kod {self.process.returncode}:\n{tail}")
            try:
                if httpx.get(f"{self.url}/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        self.stop()
        raise TimeoutError(f"Synapse svarade inte inom {timeout:.0f} s")

    def register(self, localpart: str, password: str, admin: bool = False) -> dict:
        """A new user through the shared-secret admin API: user_id, access_token, device_id."""
        endpoint = f"{self.url}/_synapse/admin/v1/register"
        nonce = httpx.get(endpoint, timeout=10).json()["nonce"]
        mac = hmac.new(self.shared_secret.encode(), digestmod=hashlib.sha1)
        mac.update(
            b"\x00".join([nonce.encode(), localpart.encode(), password.encode(), b"admin" if admin else b"notadmin"])
        )
        response = httpx.post(
            endpoint,
            timeout=30,
            json={
                "nonce": nonce,
                "username": localpart,
                "password": password,
                "admin": admin,
                "mac": mac.hexdigest(),
            },
        )
        response.raise_for_status()
        return response.json()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        except ProcessLookupError:
            pass
