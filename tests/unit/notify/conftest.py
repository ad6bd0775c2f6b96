"""Fixtures of the notification tests: the fake WeChat server on a simulated clock and a notification
centre on a tmp data root (in-memory secrets unless a test uses the vault)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from jupyterlab_quant.notify.base import SecretSource
from jupyterlab_quant.notify.center import NotificationCenter
from jupyterlab_quant.notify.secrets import MemorySecrets
from tests.fakes.wechat_server import FakeWeChat
from tests.unit.notify.helpers import (
    APPID,
    APPSECRET,
    OPENID,
    PUSHPLUS_TOKEN,
    SC3_KEY,
    SENDKEY,
    TEMPLATE_ID,
    WECOM_KEY,
    Clock,
    session,
)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def fake(clock: Clock) -> Iterator[FakeWeChat]:
    with FakeWeChat(wecom_keys={WECOM_KEY}, sendkeys={SENDKEY, SC3_KEY}, pushplus_tokens={PUSHPLUS_TOKEN},
                    apps={APPID: APPSECRET}, openids={OPENID}, template_ids={TEMPLATE_ID},
                    clock=clock.epoch) as f:
        yield f


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "jlq"


@pytest.fixture
def make_center(home: Path, clock: Clock) -> Iterator[Callable[..., NotificationCenter]]:
    made: list[NotificationCenter] = []

    def make(secrets: SecretSource | None = None, *, clock: Clock = clock, **kw: Any) -> NotificationCenter:
        c = NotificationCenter(home, secrets if secrets is not None else MemorySecrets(), clock=clock,
                               session=session(), sleep=lambda s: None, seed=7, **kw)
        # short timeouts: the fake answers in milliseconds, scripted delays are 1 s
        c.configure_global({"timeout.connect": 2, "timeout.read": 0.4})
        made.append(c)
        return c

    yield make
    for c in made:
        c.close()


@pytest.fixture
def center(make_center: Callable[..., NotificationCenter]) -> NotificationCenter:
    return make_center()
