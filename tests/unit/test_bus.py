import pytest

from widget.events import EVENTS, EventBus


def make():
    logs = []
    bus = EventBus(lambda cb, payload: cb(payload), lambda level, msg: logs.append((level, msg)))
    return bus, logs


def test_on_returns_unsubscribe_and_off_removes():
    bus, _ = make()
    got = []
    unsubscribe = bus.on("STARTED", got.append)
    bus.emit("STARTED", 1)
    unsubscribe()
    bus.emit("STARTED", 2)
    other = got.append
    bus.on("STARTED", other)
    bus.off("STARTED", other)
    bus.emit("STARTED", 3)
    assert got == [1]


def test_unknown_event_is_a_type_error_naming_the_valid_ones():
    bus, _ = make()
    with pytest.raises(TypeError) as info:
        bus.on("STARTD", print)
    assert "STARTD" in str(info.value) and "STARTED" in str(info.value) and "END_PROCTORING" in str(info.value)


def test_a_throwing_listener_is_logged_and_others_still_run():
    bus, logs = make()
    got = []

    def broken(_):
        raise ValueError("boom")

    bus.on("TAB_NOT_FOCUS", broken)
    bus.on("TAB_NOT_FOCUS", got.append)
    bus.emit("TAB_NOT_FOCUS", {"x": 1})
    assert got == [{"x": 1}]
    assert logs and logs[0][0] == "error" and "boom" in logs[0][1]


def test_late_listener_warns_once():
    bus, logs = make()
    bus.emit("STARTED", {})
    bus.on("TAB_NOT_FOCUS", print)
    bus.on("EXIT_FULLSCREEN", print)
    assert len([l for l in logs if l[0] == "warn"]) == 1


def test_clear_removes_every_listener():
    bus, _ = make()
    for name in EVENTS:
        bus.on(name, print)
    bus.clear()
    assert all(bus.count(name) == 0 for name in EVENTS)
