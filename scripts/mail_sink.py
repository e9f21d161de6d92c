"""A local mail sink for `make run`: an SMTP server (aiosmtpd) on 127.0.0.1 that delivers
nothing and saves every message it is given as an .eml file, so the notices the service
e-mails can be read (README, "Notices and e-mail").

    python scripts/mail_sink.py --dir instance/mail --port 8025
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import signal
import threading
from pathlib import Path

from aiosmtpd.controller import Controller


class SaveToFolder:
    """aiosmtpd handler: each message's bytes, as received, to <folder>/<time>-<n>.eml."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.count += 1
            n = self.count
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
        to = re.sub(r"[^A-Za-z0-9@._-]", "_", ",".join(envelope.rcpt_tos))[:80]
        path = self.folder / f"{stamp}-{n:04d}-{to}.eml"
        path.write_bytes(envelope.original_content or envelope.content)
        print(f"mail sink: {path}", flush=True)
        return "250 Message accepted for delivery"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", default="instance/mail", type=Path)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", default=8025, type=int)
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    controller = Controller(SaveToFolder(args.dir), hostname=args.host, port=args.port)
    controller.start()
    print(f"mail sink on {args.host}:{args.port}, saving to {args.dir}/", flush=True)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
