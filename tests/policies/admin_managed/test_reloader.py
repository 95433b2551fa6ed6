"""Hot reload: the stamp poller picks up changes made elsewhere within a second, survives
errors, and the runtime's lazy first load and fallbacks."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from asgiref.sync import sync_to_async

from policies.models import PolicyConfig
from policies.reloader import PolicyReloader
from policies.runtime import PolicyRuntime, policy_runtime
from policies.selection import resolve_policy
from policies.services import policy_config_activate

pytestmark = pytest.mark.django_db(transaction=True)


def _activate_behind_the_back(name: str) -> None:
    """What another worker's commit looks like to this one: the database changed, this
    process's runtime did not."""
    PolicyConfig.objects.filter(is_active=True).update(is_active=False)
    PolicyConfig.objects.filter(name=name).update(is_active=True)


async def _wait_for(name: str, limit_s: float = 1.0) -> float:
    started = time.monotonic()
    while time.monotonic() - started < limit_s:
        if policy_runtime().current().name == name:
            return time.monotonic() - started
        await asyncio.sleep(0.02)
    raise AssertionError(
        f"{name} not in force after {limit_s}s (have {policy_runtime().current().name})"
    )


async def _poll_and_change(settings: Any, saved: Any) -> float:
    settings.LUTHIEN_POLICY_POLL_INTERVAL_S = 0.25
    first = await sync_to_async(saved)("first")
    await sync_to_async(saved)("second", "noop")
    await sync_to_async(policy_config_activate)(policy=first)
    reloader = PolicyReloader()
    await reloader.start()
    try:
        assert policy_runtime().current().name == "first"
        await sync_to_async(_activate_behind_the_back)("second")
        return await _wait_for("second")
    finally:
        await reloader.stop()


async def test_poller_picks_up_a_database_change_within_a_second(
    no_redis: None, settings: Any, saved: Any
) -> None:
    assert await _poll_and_change(settings, saved) < 1.0


async def test_poller_picks_up_a_redis_stamp_change_within_a_second(
    redis_url: str, settings: Any, saved: Any
) -> None:
    from policies.version_stamp import stamp_bump, stamp_close

    settings.REDIS_URL = redis_url
    settings.LUTHIEN_POLICY_POLL_INTERVAL_S = 0.25
    first = await sync_to_async(saved)("first")
    await sync_to_async(saved)("second", "noop")
    await sync_to_async(policy_config_activate)(policy=first)
    reloader = PolicyReloader()
    await reloader.start()
    try:
        await sync_to_async(_activate_behind_the_back)("second")
        await asyncio.sleep(0.6)
        assert policy_runtime().current().name == "first"  # Redis mode trusts the stamp
        await sync_to_async(stamp_bump)()
        assert await _wait_for("second") < 1.0
    finally:
        await reloader.stop()
        stamp_close()


async def test_poller_survives_errors_and_keeps_polling(
    no_redis: None, settings: Any, saved: Any, caplog: Any
) -> None:
    settings.LUTHIEN_POLICY_POLL_INTERVAL_S = 0.02
    reloader = PolicyReloader()
    calls = {"n": 0}

    class FlakyReader:
        async def read(self) -> str:
            calls["n"] += 1
            if calls["n"] < 4:
                raise ConnectionError("redis is down")
            return f"stamp-{calls['n'] // 10}"

        async def aclose(self) -> None:
            pass

    reloader._reader = FlakyReader()  # type: ignore[assignment]
    await reloader.start()
    try:
        await asyncio.sleep(0.3)
        assert reloader.running and calls["n"] > 5
        assert policy_runtime().loaded() is not None  # loaded once the stamp was readable
    finally:
        await reloader.stop()
    warnings = [r.message for r in caplog.records if "stamp check failed" in r.message]
    assert len(warnings) == 1  # once per outage, not once per tick


async def test_broken_active_row_keeps_the_previous_policy(no_redis: None, saved: Any) -> None:
    row = await sync_to_async(saved)("caps")
    await sync_to_async(policy_config_activate)(policy=row)
    reloader = PolicyReloader()
    await reloader.start()
    try:
        await sync_to_async(PolicyConfig.objects.filter(pk=row.pk).update)(
            policy_class="no-longer-exists", version=2
        )
        assert await reloader.check() is True
        assert policy_runtime().current().name == "caps"
    finally:
        await reloader.stop()


def test_runtime_loads_the_active_row_lazily(saved: Any) -> None:
    policy_config_activate(policy=saved("caps"))
    runtime = PolicyRuntime()
    assert runtime.loaded() is None
    assert (runtime.current().name, runtime.current().source) == ("caps", "database")


async def test_resolve_policy_loads_in_a_thread_on_first_use(saved: Any) -> None:
    await sync_to_async(policy_config_activate)(policy=await sync_to_async(saved)("caps"))
    policy_runtime().reset()
    assert (await resolve_policy(None)).name == "caps"


def test_in_flight_requests_keep_their_instance(saved: Any) -> None:
    policy_config_activate(policy=saved("one"))
    held = policy_runtime().current()
    policy_config_activate(policy=saved("two"))
    assert held.name == "one" and held.policy is not policy_runtime().current().policy


async def test_a_bump_missed_while_redis_was_down_is_sent_when_it_returns(
    redis_url: str, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another worker only learns of a change through the stamp: a bump that failed must not
    be lost, or that worker would keep the old policy after Redis came back."""
    import redis

    from policies import version_stamp

    settings.REDIS_URL = redis_url
    sync_client = version_stamp._SYNC_CLIENT.get()
    real_get = sync_client.get

    class Down:
        def set(self, *args: Any, **kwargs: Any) -> None:
            raise redis.ConnectionError("Redis is down")

    before = await sync_to_async(version_stamp.stamp_read)()
    monkeypatch.setattr(sync_client, "get", lambda url: Down())
    try:
        assert await sync_to_async(version_stamp.stamp_bump)() is False
        assert version_stamp.stamp_bump_owed()
        monkeypatch.setattr(sync_client, "get", real_get)  # Redis is back
        assert await sync_to_async(version_stamp.stamp_read)() == before  # nobody was told yet
        reloader = PolicyReloader()
        try:
            await reloader.check()  # the next tick of this worker's reloader pays the debt
        finally:
            await reloader.stop()
        assert not version_stamp.stamp_bump_owed()
        assert await sync_to_async(version_stamp.stamp_read)() != before
    finally:
        version_stamp.stamp_close()  # (whether a bump is owed is reset with every service)
