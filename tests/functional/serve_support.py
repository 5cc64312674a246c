"""A ``mockgw serve`` subprocess for the CLI tests; ``start_server`` (conftest) starts them."""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
import urllib.request

LISTENING = "mockgw listening on http://127.0.0.1:"


class Server:
    """A ``mockgw serve`` subprocess with its stderr collected by a thread."""

    def __init__(self, args: list[str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "mockgw", "serve", "--port", "0", "--quiet", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.stderr: queue.Queue[str] = queue.Queue()
        self.stderr_text = ""
        threading.Thread(target=self._drain, daemon=True).start()
        assert self.process.stdout is not None
        first = self.process.stdout.readline().rstrip("\n")
        assert first.startswith(LISTENING), first
        self.url = f"http://127.0.0.1:{int(first.removeprefix(LISTENING))}"

    def _drain(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.stderr.put(line)

    def read_stderr(self) -> str:
        while not self.stderr.empty():
            self.stderr_text += self.stderr.get_nowait()
        return self.stderr_text

    def reply_text(self) -> str:
        request = urllib.request.Request(
            self.url + "/v1/chat/completions",
            data=json.dumps(
                {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}
            ).encode(),
            headers={"Authorization": "Bearer sk-test", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            body = json.load(response)
        text: str = body["choices"][0]["message"]["content"]
        return text

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(5)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()
