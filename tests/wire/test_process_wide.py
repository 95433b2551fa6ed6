"""`wire.process_wide`: services made once (or once per loop), closed newest first, reset."""

from __future__ import annotations

import asyncio
import importlib

import pytest

from wire.process_wide import PROCESS, Registry, Service


class Thing:
    """A service object that remembers being closed."""

    made = 0

    def __init__(self) -> None:
        Thing.made += 1
        self.number = Thing.made
        self.closed = False

    async def aclose(self) -> None:
        self.closed = True


@pytest.fixture
def registry() -> Registry:
    return Registry()


def test_made_on_first_get_then_the_same_object(registry: Registry) -> None:
    item = Service("thing", Thing, registry=registry)
    assert item.peek() is None
    first = item.get()
    assert item.get() is first
    assert item.peek() is first


def test_a_name_is_registered_once(registry: Registry) -> None:
    Service("thing", Thing, registry=registry)
    with pytest.raises(ValueError, match="'thing' already exists"):
        Service("thing", Thing, registry=registry)
    assert [s.name for s in registry.services()] == ["thing"]
    assert registry.service("thing").name == "thing"


def test_reset_runs_on_reset_and_the_next_get_makes_a_new_object(registry: Registry) -> None:
    discarded: list[Thing] = []
    item = Service("thing", Thing, on_reset=discarded.append, registry=registry)
    first = item.get()
    item.reset()
    assert discarded == [first]
    assert item.peek() is None
    assert item.get() is not first
    item.reset()
    item.reset()  # nothing made: nothing to discard
    assert len(discarded) == 2


async def test_close_all_closes_made_objects_newest_first(registry: Registry) -> None:
    order: list[str] = []

    def closer(name: str):  # type: ignore[no-untyped-def]
        async def close(thing: Thing) -> None:
            order.append(name)
            await thing.aclose()

        return close

    older = Service("older", Thing, close=closer("older"), registry=registry)
    newer = Service("newer", Thing, close=closer("newer"), registry=registry)
    Service("never made", Thing, close=closer("never made"), registry=registry)
    newer_thing = newer.get()  # made first, so closed last
    older_thing = older.get()
    assert await registry.close_all() == []
    assert order == ["older", "newer"]
    assert older_thing.closed and newer_thing.closed
    assert older.peek() is None and newer.peek() is None


async def test_a_failing_close_is_reported_and_the_others_still_close(
    registry: Registry, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(thing: Thing) -> None:
        raise RuntimeError("boom")

    bad = Service("bad", Thing, close=broken, registry=registry)
    good = Service("good", Thing, close=Thing.aclose, registry=registry)
    good_thing = good.get()
    bad.get()
    assert await registry.close_all() == ["bad"]
    assert good_thing.closed
    assert bad.peek() is None
    assert "closing the process-wide service 'bad' failed" in caplog.text


async def test_a_sync_close_is_called_too(registry: Registry) -> None:
    closed: list[Thing] = []
    item = Service("sync", Thing, close=closed.append, registry=registry)
    thing = item.get()
    await registry.close_all()
    assert closed == [thing]


def test_per_loop_objects_belong_to_their_loop(registry: Registry) -> None:
    item = Service("per loop", Thing, close=Thing.aclose, per_loop=True, registry=registry)

    async def get_twice() -> Thing:
        first = item.get()
        assert item.get() is first
        return first

    async def close() -> None:
        await item.aclose()

    with asyncio.Runner() as runner:
        first = runner.run(get_twice())
    with asyncio.Runner() as runner:
        assert runner.run(_peek(item)) is None  # another loop sees nothing made
        second = runner.run(get_twice())
        assert second is not first
        runner.run(close())
    assert second.closed
    assert not first.closed  # made on a loop that is gone: forgotten, not closed there


async def test_a_per_loop_object_of_another_loop_is_forgotten_not_closed(
    registry: Registry,
) -> None:
    item = Service("per loop", Thing, close=Thing.aclose, per_loop=True, registry=registry)

    def made_elsewhere() -> Thing:
        return asyncio.run(_get(item))

    other = await asyncio.to_thread(made_elsewhere)
    await registry.close_all()
    assert not other.closed
    assert item.peek() is None


async def _get(item: Service[Thing]) -> Thing:
    return item.get()


async def _peek(item: Service[Thing]) -> Thing | None:
    return item.peek()


APP_SERVICE_MODULES = (
    "activity.recorder",
    "activity.broadcast",
    "activity.audience",
    "wire.http_client",
    "wire.upstreams",
    "gateway.rate_limit",
    "gateway.keys",
    "policies.runtime",
    "policies.reloader",
    "policies.version_stamp",
    "policies.judge_client",
)


def test_the_process_registry_holds_every_service_of_the_apps() -> None:
    """A service registers when its module is imported (before that nothing can be made)."""
    for module in APP_SERVICE_MODULES:
        importlib.import_module(module)
    names = {item.name for item in PROCESS.services()}
    assert {
        "recorder",
        "broadcaster",
        "audience",
        "upstream client",
        "upstreams",
        "rate limiter",
        "key cache",
        "policy runtime",
        "policy reloader",
        "policy stamp redis client",
        "judge http client",
    } <= names
