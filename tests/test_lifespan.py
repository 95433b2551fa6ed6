"""The lifespan of the ASGI app: shutdown closes every process-wide service; the lifespan driver
used under daphne (`luthien_site.asgi_lifespan`) reports start-up failures."""

from __future__ import annotations

import importlib
from typing import Any

import pytest

from luthien_site.asgi_lifespan import LifespanFailed, LifespanManager
from tests.wire.test_process_wide import APP_SERVICE_MODULES
from wire.process_wide import Service, services


@pytest.mark.django_db(transaction=True)
async def test_shutdown_closes_every_registered_service(monkeypatch: pytest.MonkeyPatch) -> None:
    from activity.recorder import recorder
    from luthien_site.asgi import application
    from policies.reloader import policy_reloader

    for module in APP_SERVICE_MODULES:
        importlib.import_module(module)
    manager = LifespanManager(application)
    await manager.startup()
    assert policy_reloader().running  # start-up ran

    closed: list[str] = []
    made: dict[str, Any] = {}
    for item in services():
        made[item.name] = item.get()
        if item.close is not None:
            monkeypatch.setattr(item, "close", _recording(item, closed))
    the_recorder = recorder()

    await manager.shutdown()

    with_close = {item.name for item in services() if item.close is not None}
    assert set(closed) == with_close
    assert {"recorder", "upstream client", "judge http client", "policy reloader"} <= with_close
    assert all(item.peek() is None for item in services())
    assert not made["policy reloader"].running
    assert the_recorder.stats()["queued"] == 0
    assert the_recorder._closed


def _recording(item: Service[Any], closed: list[str]) -> Any:
    original = item.close
    assert original is not None

    async def close(obj: Any) -> None:
        closed.append(item.name)
        result = original(obj)
        if hasattr(result, "__await__"):
            await result

    return close


async def test_a_failed_start_up_is_reported_with_its_message() -> None:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        assert scope["type"] == "lifespan"
        assert (await receive())["type"] == "lifespan.startup"
        await send({"type": "lifespan.startup.failed", "message": "POLICY_CONFIG is invalid"})

    with pytest.raises(LifespanFailed, match="POLICY_CONFIG is invalid"):
        await LifespanManager(app).startup()


async def test_an_app_that_raises_during_start_up_is_reported() -> None:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        raise ValueError("no lifespan here")

    with pytest.raises(LifespanFailed, match="no lifespan here"):
        await LifespanManager(app).startup()


async def test_shutdown_without_start_up_does_nothing() -> None:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        raise AssertionError("never called")

    await LifespanManager(app).shutdown()
