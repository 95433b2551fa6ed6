"""`python -m wire.mock` as a real process, driven over HTTP by the official SDKs."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import anthropic
import httpx
import openai
import pytest

ROOT = Path(__file__).resolve().parents[3]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_listening(port: int, process: subprocess.Popen[bytes], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"mock server exited early with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"mock server did not listen on {port}")


@pytest.fixture(scope="module")
def mock_url() -> Iterator[str]:
    """Start the mock upstream as a subprocess; yield its base URL; terminate it."""
    port = _free_port()
    process = subprocess.Popen([sys.executable, "-m", "wire.mock", "--port", str(port)], cwd=ROOT)
    try:
        _wait_listening(port, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


pytestmark = pytest.mark.e2e


async def test_openai_stream_over_http(mock_url: str) -> None:
    client = openai.AsyncOpenAI(base_url=f"{mock_url}/v1", api_key="x", max_retries=0)
    stream = await client.chat.completions.create(
        model="mock/tools?text=OK",
        messages=[{"role": "user", "content": "pwd"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    names, usage, text = [], None, ""
    async for chunk in stream:
        usage = chunk.usage or usage
        for choice in chunk.choices:
            text += choice.delta.content or ""
            names += [c.function.name for c in choice.delta.tool_calls or () if c.function.name]
    assert (text, names) == ("OK", ["Bash", "Read"])
    assert usage is not None and usage.total_tokens > 0
    await client.close()


async def test_anthropic_stream_over_http(mock_url: str) -> None:
    client = anthropic.AsyncAnthropic(base_url=mock_url, api_key="x", max_retries=0)
    async with client.messages.stream(
        model="mock/thinking", max_tokens=100, messages=[{"role": "user", "content": "hi"}]
    ) as stream:
        message = await stream.get_final_message()
    assert [b.type for b in message.content] == ["thinking", "text"]
    assert message.content[1].text == "You said: hi"  # type: ignore[union-attr]
    await client.close()


async def test_abort_after_drops_the_connection(mock_url: str) -> None:
    body = {
        "model": "text?abort_after=3",
        "messages": [{"role": "user", "content": "x"}],
        "stream": True,
    }
    url = f"{mock_url}/v1/chat/completions"
    received = b""
    async with httpx.AsyncClient() as client, client.stream("POST", url, json=body) as response:
        assert response.status_code == 200
        with pytest.raises(httpx.RemoteProtocolError):
            async for chunk in response.aiter_bytes():
                received += chunk
    assert received.count(b"data: ") == 3 and b"[DONE]" not in received


async def test_error_status_over_http(mock_url: str) -> None:
    client = anthropic.AsyncAnthropic(base_url=mock_url, api_key="x", max_retries=0)
    with pytest.raises(anthropic.RateLimitError):
        await client.messages.create(
            model="mock/error?status=429", max_tokens=5, messages=[{"role": "user", "content": "x"}]
        )
    await client.close()


def test_mockllm_command_options() -> None:
    """`manage.py mockllm` takes the same --host/--port (its module is the only Django part)."""
    from gateway.management.commands.mockllm import Command

    parser = Command().create_parser("manage.py", "mockllm")
    options = parser.parse_args(["--port", "9001", "--host", "0.0.0.0"])
    assert (options.port, options.host) == (9001, "0.0.0.0")
    assert Command.requires_system_checks == []
