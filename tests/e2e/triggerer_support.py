"""A real ``baton triggerer`` process beside the e2e harness's scheduler."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

from tests.e2e.harness import BATON, Baton


class Triggerer:
    def __init__(self, baton: Baton, name: str = "triggerer") -> None:
        self.baton = baton
        self.log = baton.root / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Triggerer:
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(
                [BATON, "triggerer"], env=self.baton.env, stdout=out, stderr=subprocess.STDOUT
            )
        return self

    def kill(self, sig: int = signal.SIGKILL) -> None:
        assert self.process is not None
        self.process.send_signal(sig)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def text(self) -> str:
        return Path(self.log).read_text(errors="replace") if self.log.exists() else ""
