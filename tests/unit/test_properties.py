"""Bad input, systematically: every input gets a named error or a success, never a crash."""

import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from limits import parse

from tests.conftest import VALID_CONFIG, moment
from widget.config import KNOWN, validate
from widget.errors import INVALID_CONFIG, WidgetError


def values(finite: bool):
    leaf = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=not finite, allow_infinity=not finite),
                     st.text(max_size=20))
    return st.recursive(leaf, lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)),
                        max_leaves=8)


json_value = values(finite=False)  # what a JS page can hand to validate() (NaN, Infinity included)
wire_value = values(finite=True)  # what JSON on the wire can carry
field_names = st.one_of(st.sampled_from(KNOWN), st.text(alphabet=string.ascii_letters, min_size=1, max_size=12))


@given(st.dictionaries(field_names, json_value, max_size=12))
@settings(max_examples=300, deadline=None)
def test_any_config_is_valid_or_names_its_bad_fields(raw):
    try:
        config = validate(raw)
    except WidgetError as e:
        assert e.code == INVALID_CONFIG and e.details
        assert all(isinstance(k, str) and k and isinstance(v, str) and v for k, v in e.details.items())
        assert all(k.split(".")[0] in raw or k in KNOWN for k in e.details)
        return
    assert config["features"] and isinstance(config["examDuration"], (int, float))


@given(field=st.sampled_from(sorted(VALID_CONFIG)), value=json_value)
@settings(max_examples=300, deadline=None)
def test_one_bad_value_is_blamed_on_its_field_only(field, value):
    raw = {**VALID_CONFIG, "apiKey": "eye_k", field: value}
    try:
        validate(raw)
    except WidgetError as e:
        assert set(e.details) == {field}


event_body = st.fixed_dictionaries(
    {"events": st.lists(st.fixed_dictionaries({
        "id": st.one_of(st.text(max_size=70), st.integers()),
        "type": st.one_of(st.sampled_from(["TAB_NOT_FOCUS", "STARTED"]), st.text(max_size=70)),
        "createdAt": st.one_of(st.just(moment()), st.text(max_size=30), st.integers()),
        "payload": wire_value,
    }), max_size=5)}
)


@given(body=st.one_of(event_body, wire_value))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_event_batch_gets_an_answer_not_a_crash(app, client, api_key, body):
    app.state.limits["key_address"].item = parse("1000/second")  # every example starts a session from one address
    created = client.post("/api/v1/sessions", json={"apiKey": api_key, "config": VALID_CONFIG},
                          headers={"Origin": "http://localhost:5000"}).json()
    r = client.post(f"/api/v1/sessions/{created['sessionId']}/events", json=body,
                    headers={"Origin": "http://localhost:5000", "Authorization": f"Bearer {created['token']}"})
    assert r.status_code in (200, 400, 413, 422, 429), (r.status_code, r.text)
    assert "code" in r.json() or r.status_code == 200


@given(config=st.one_of(st.dictionaries(field_names, wire_value, max_size=10), wire_value))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_session_request_gets_an_answer_not_a_crash(app, client, api_key, config):
    app.state.limits["key_address"].item = parse("1000/second")
    r = client.post("/api/v1/sessions", json={"apiKey": api_key, "config": config}, headers={"Origin": "http://localhost:5000"})
    assert r.status_code in (201, 400, 422, 429), (r.status_code, r.text)
