"""Real PostgreSQL and Redis for the scale-out test, from Debian's packages
(tools/install-services.sh), each started on a free loopback port in a temporary directory.

PostgreSQL refuses to run as root, so when the test runs as root both servers run as the
unprivileged user `nobody` (the temporary directory is handed to it).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

LOOPBACK = "127.0.0.1"
INSTALL_HINT = "kör tools/install-services.sh (installerar postgresql och redis-server från Debian)"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def _postgres_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).resolve().parent
    raise RuntimeError(f"PostgreSQL saknas: {INSTALL_HINT}")


def _wait_port(port: int, proc: subprocess.Popen, name: str, log: Path, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = log.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"{name} avslutades med kod {proc.returncode}:\n{tail}")
        with socket.socket() as s:
            if s.connect_ex((LOOPBACK, port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"{name} svarade inte på port {port} inom {timeout:.0f} s")


@dataclass
class _Server:
    base: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="lotsen-scale-")))
    port: int = field(default_factory=free_port)
    password: str = field(default_factory=lambda: os.urandom(12).hex())
    proc: subprocess.Popen | None = None

    def _as_user(self) -> dict:
        """Run as nobody when we are root; hand the directory over first."""
        if os.geteuid() != 0:
            return {}
        nobody = pwd.getpwnam("nobody")
        for path in [self.base, *self.base.rglob("*")]:
            os.chown(path, nobody.pw_uid, nobody.pw_gid)
        return {"user": nobody.pw_uid, "group": nobody.pw_gid, "extra_groups": []}

    def _start(self, cmd: list[str], name: str) -> None:
        log = self.base / f"{name}.log"
        log.touch()
        ids = self._as_user()
        with open(log, "ab") as out:
            self.proc = subprocess.Popen(
                cmd, stdout=out, stderr=subprocess.STDOUT, cwd=self.base, start_new_session=True, **ids
            )
        _wait_port(self.port, self.proc, name, log)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        shutil.rmtree(self.base, ignore_errors=True)


@dataclass
class PostgresServer(_Server):
    user: str = "lotsen"
    db: str = "lotsen"

    @property
    def url(self) -> str:
        return f"postgresql://{self.user}:{self.password}@{LOOPBACK}:{self.port}/{self.db}"

    def start(self) -> PostgresServer:
        bindir = _postgres_bin()
        (self.base / "pwfile").write_text(self.password + "\n")
        data, sockets = self.base / "data", self.base / "sockets"
        sockets.mkdir()
        ids = self._as_user()
        subprocess.run(
            [
                str(bindir / "initdb"),
                "-D",
                str(data),
                "-U",
                self.user,
                "--pwfile",
                str(self.base / "pwfile"),
                "--auth=scram-sha-256",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ],
            check=True,
            capture_output=True,
            cwd=self.base,
            **ids,
        )
        # Durability off: a throwaway database for one test run.
        self._start(
            [
                str(bindir / "postgres"),
                "-D",
                str(data),
                "-p",
                str(self.port),
                "-k",
                str(sockets),
                "-c",
                f"listen_addresses={LOOPBACK}",
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
                "-c",
                "max_connections=50",
            ],
            "postgres",
        )
        self._create_database()
        return self

    def _create_database(self) -> None:
        import psycopg

        deadline = time.monotonic() + 30
        while True:  # the port opens a moment before connections are accepted
            try:
                with psycopg.connect(
                    host=LOOPBACK,
                    port=self.port,
                    user=self.user,
                    password=self.password,
                    dbname="postgres",
                    autocommit=True,
                ) as conn:
                    conn.execute(f'CREATE DATABASE "{self.db}"')
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def stop(self, sig: int = signal.SIGINT) -> None:  # SIGINT: PostgreSQL's fast shutdown
        super().stop(sig)


@dataclass
class RedisServer(_Server):
    def start(self) -> RedisServer:
        binary = shutil.which("redis-server")
        if not binary:
            raise RuntimeError(f"Redis saknas: {INSTALL_HINT}")
        self._start(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                LOOPBACK,
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.base),
                "--requirepass",
                self.password,
                "--protected-mode",
                "yes",
            ],
            "redis",
        )
        return self

    def command_calls(self) -> dict[str, int]:
        """Calls per command since start (INFO commandstats): shows the lock store at work."""
        out = subprocess.run(
            [
                "redis-cli",
                "-h",
                LOOPBACK,
                "-p",
                str(self.port),
                "--no-auth-warning",
                "-a",
                self.password,
                "INFO",
                "commandstats",
            ],
            check=True,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout
        calls = {}
        for line in out.splitlines():
            if line.startswith("cmdstat_"):
                name, _, stats = line.partition(":")
                calls[name.removeprefix("cmdstat_")] = int(dict(kv.split("=") for kv in stats.split(","))["calls"])
        return calls
