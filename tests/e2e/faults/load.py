"""Steady client load against a gateway from a background thread: every answer checked, every
transaction id kept (`x-luthien-transaction-id`), so a test can count rows against them."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import httpx

PROMPT = "steady"


@dataclass
class SteadyLoad:
    """One client thread calling `/v1/chat/completions` back to back, alternating streamed and
    non-streamed calls, until `stop()`."""

    base_url: str
    key: str
    ids: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> SteadyLoad:
        """Begin calling."""
        self._thread = threading.Thread(target=self._run, name="steady-load", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Finish the call in flight and stop."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=60)

    def wait_for(self, count: int, timeout: float = 60.0) -> None:
        """Wait until `count` more calls have completed (or fail with what went wrong)."""
        target = len(self.ids) + count
        deadline = time.monotonic() + timeout
        while len(self.ids) < target:
            assert not self.failures, self.failures[:3]
            assert time.monotonic() < deadline, f"only {len(self.ids)} of {target} calls done"
            time.sleep(0.05)

    def _run(self) -> None:
        headers = {"authorization": f"Bearer {self.key}"}
        with httpx.Client(base_url=self.base_url, headers=headers, timeout=30) as client:
            stream = False
            while not self._stop.is_set():
                stream = not stream
                try:
                    self._call(client, stream)
                except Exception as error:  # kept for the test to report
                    self.failures.append(repr(error))

    def _call(self, client: httpx.Client, stream: bool) -> None:
        body = {"model": "mock/echo", "messages": [{"role": "user", "content": PROMPT}]}
        answer = client.post("/v1/chat/completions", json={**body, "stream": stream})
        if answer.status_code != 200 or not _complete(answer, stream):
            self.failures.append(f"{answer.status_code} {answer.text[:300]}")
            return
        self.ids.append(answer.headers["x-luthien-transaction-id"])


def _complete(answer: httpx.Response, stream: bool) -> bool:
    """Whether a call got the whole echo: the body's text, or a stream ending in `[DONE]`."""
    if stream:
        text = answer.text
        return text.rstrip().endswith("data: [DONE]") and '"error"' not in text
    return bool(answer.json()["choices"][0]["message"]["content"] == f"You said: {PROMPT}")
