"""`make matrix-dev`: a local Synapse, the whole stack with the Matrix bot, and how to log in.

For trying the Matrix bot by hand with any Matrix client (Element Desktop or Web, …) on this
machine. Everything lives in a fresh temporary directory and is gone after Ctrl-C: the
homeserver, its accounts and the bot's keys.
"""

from __future__ import annotations

import argparse
import secrets
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

from tools.homeserver import Homeserver
from tools.stack import LOOPBACK, Stack


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Starta Synapse och Påverkanslotsen med Matrix-boten")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--matrix-port", type=int, default=8008)
    parser.add_argument("--rasa-port", type=int, default=5005)
    parser.add_argument("--actions-port", type=int, default=5055)
    args = parser.parse_args(argv)

    def on_signal(signum, _frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    work = Path(tempfile.mkdtemp(prefix="lotsen-matrix-dev-"))
    homeserver = Homeserver(work / "synapse", args.matrix_port)
    stack = None
    try:
        homeserver.start()
        bot_password, your_password = secrets.token_urlsafe(16), secrets.token_urlsafe(9)
        bot = homeserver.register("lotsen", bot_password)
        you = homeserver.register("du", your_password)
        stack = Stack(
            port=args.port,
            rasa_port=args.rasa_port,
            actions_port=args.actions_port,
            data_dir=work / "data",
            log_dir=work / "logs",
            env={
                "LOTSEN_MATRIX_HOMESERVER": homeserver.url,
                "LOTSEN_MATRIX_USER_ID": bot["user_id"],
                "LOTSEN_MATRIX_PASSWORD": bot_password,
            },
        )
        # Our page links in the answers open where this stack serves them.
        stack.env["LOTSEN_MATRIX_PAGE_BASE"] = stack.url
        stack.start()
        stack.wait_ready()
        print(
            f"""
Påverkanslotsen svarar på {stack.url} och i Matrix.
  Hemserver:  {homeserver.url}  (Synapse på {LOOPBACK}, inga andra servrar)
  Logga in:   {you["user_id"]}  lösenord {your_password}
              (Element: "Logga in" → "Redigera" hemserver → {homeserver.url})
  Chatta:     starta en direktchatt med {bot["user_id"]} – krypterad, som Element gör som standard.
  Loggar:     {work / "logs"}  och  {homeserver.log_file}
Ctrl-C stoppar allt och tar bort {work}.
""",
            flush=True,
        )
        while all(p.poll() is None for p in stack.processes.values()) and homeserver.process.poll() is None:
            time.sleep(0.5)
        print("Något avslutades oväntat. Stoppar resten.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nStoppar …", flush=True)
        return 0
    except (RuntimeError, TimeoutError) as exc:
        print(f"Kunde inte starta: {exc}", file=sys.stderr)
        return 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        if stack:
            stack.stop()
        homeserver.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
