"""The long-running processes put their start-up heap out of the garbage collector's reach."""

from __future__ import annotations

import gc

import pytest

from casework.core.runtime import settle_heap


@pytest.fixture
def thawed():
    gc.unfreeze()
    yield
    gc.unfreeze()  # what a test froze goes back to the collector


def test_settling_freezes_what_start_up_built_after_collecting_its_garbage(thawed):
    class Node:
        pass

    cycle = Node()
    cycle.self = cycle  # garbage only the collector frees
    del cycle
    collected = []
    gc.callbacks.append(lambda phase, info: collected.append(info["collected"]))
    try:
        settle_heap()
    finally:
        gc.callbacks.pop()
    assert sum(collected) >= 1
    assert gc.get_freeze_count() > 1000


def test_the_web_server_settles_the_heap_before_its_first_request(thawed, app, monkeypatch):
    import waitress

    from casework.cli import serve_app

    frozen_when_served = []
    monkeypatch.setattr(
        waitress, "serve", lambda *args, **kwargs: frozen_when_served.append(gc.get_freeze_count())
    )
    with app.app_context():
        serve_app(app, "127.0.0.1", 5999)
    assert frozen_when_served and frozen_when_served[0] > 1000
