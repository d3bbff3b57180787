import pytest

from widget.errors import ALREADY_ACTIVE, WidgetError
from widget.session import ACTIVE, ENDED, INITIALIZING, LOADED, Lifecycle, Tally


def test_lifecycle_happy_path_and_restart():
    life = Lifecycle()
    assert life.state == LOADED
    life.begin_init()
    assert life.state == INITIALIZING
    life.activate()
    life.end()
    assert life.state == ENDED
    life.begin_init()  # a new session after the old one ended
    life.init_failed()
    assert life.state == ENDED


def test_init_while_active_or_initializing_is_refused():
    life = Lifecycle()
    life.begin_init()
    with pytest.raises(WidgetError) as info:
        life.begin_init()
    assert info.value.code == ALREADY_ACTIVE
    life.activate()
    with pytest.raises(WidgetError):
        life.begin_init()
    assert life.state == ACTIVE


def test_ended_never_goes_back_to_active():
    life = Lifecycle()
    life.begin_init()
    life.activate()
    life.end()
    with pytest.raises(RuntimeError):
        life.activate()


def test_tally_fires_on_fifth_distinct_type_then_restarts():
    tally = Tally()
    assert [tally.add(t) for t in "AABCD"] == [None] * 5
    assert tally.add("E") == list("ABCDE")
    assert tally.add("A") is None
