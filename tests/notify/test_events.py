"""The live stream at /events/: the outbox messages each user may see, resumable, filtered by kind."""

import json

import pytest
from django.test import override_settings

from tests.support.notify import message
from tests.support.personas import client_for
from tests.support.places import HULI, SIMING

FAST = override_settings(CITYWATCH_EVENTS_POLL_SECONDS=0.05, CITYWATCH_EVENTS_MAX_SECONDS=10)


def read(response, want, chunks=12):
    """The events (parsed, with their SSE ids) read until one satisfies ``want`` or ``chunks`` are read."""
    seen = []
    it = iter(response.streaming_content)
    for _ in range(chunks):
        try:
            chunk = next(it).decode()
        except StopIteration:
            break
        for block in chunk.split("\n\n"):
            lines = block.split("\n")
            data = [line[6:] for line in lines if line.startswith("data: ")]
            ids = [line[4:] for line in lines if line.startswith("id: ")]
            if data:
                event = json.loads("\n".join(data))
                assert ids == [str(event["id"])]
                seen.append(event)
        if any(want(e) for e in seen):
            break
    response.close()
    return seen


@FAST
def test_a_siming_officer_gets_simings_messages_and_not_hulis(db):
    r = client_for("siming_officer").get("/events/")
    assert r.status_code == 200 and r["Content-Type"].startswith("text/event-stream")
    huli = message(code=HULI, subject="湖里区暴雨预警")
    siming = message(code=SIMING, subject="思明区暴雨预警", payload={"warning": 3})
    events = read(r, lambda e: e["id"] == siming.pk)
    assert [e["id"] for e in events] == [siming.pk]
    event = events[0]
    assert event["kind"] == "warning.issued" and event["area"]["code"] == SIMING
    assert event["subject"] == "思明区暴雨预警" and event["payload"] == {"warning": 3}
    assert event["exercise"] is False and event["level"] == "yellow"
    assert huli.pk not in [e["id"] for e in events]


@FAST
def test_resume_after_last_event_id(db):
    first = message(subject="一")
    second = message(subject="二")
    r = client_for("duty_officer").get("/events/", headers={"Last-Event-ID": str(first.pk)})
    assert [e["id"] for e in read(r, lambda e: e["id"] == second.pk)] == [second.pk]


@FAST
def test_only_the_kinds_asked_for(db):
    r = client_for("duty_officer").get("/events/", {"kinds": "alarm.*,response.started"})
    message("warning.issued")
    alarm = message("alarm.opened", subject="告警")
    started = message("response.started", subject="响应", exercise=True)
    events = read(r, lambda e: e["id"] == started.pk)
    assert [(e["id"], e["exercise"]) for e in events] == [(alarm.pk, False), (started.pk, True)]


@override_settings(CITYWATCH_EVENTS_POLL_SECONDS=0.01, CITYWATCH_EVENTS_MAX_SECONDS=0.2)
def test_the_stream_ends_by_itself(db):
    r = client_for("duty_officer").get("/events/")
    chunks = list(r.streaming_content)
    assert chunks[0].startswith(b"retry:")


@pytest.mark.parametrize(("username", "status"), [("team_leader", 403), ("inspector", 200)])
@FAST
def test_who_may_listen(db, username, status):
    r = client_for(username).get("/events/", {"kinds": "x.y"})
    assert r.status_code == status
    if status == 200:
        r.close()


def test_anonymous_is_sent_to_log_in(anon):
    r = anon.get("/events/")
    assert r.status_code in (302, 401)


@override_settings(CITYWATCH_EVENTS_POLL_SECONDS=0.05, CITYWATCH_EVENTS_MAX_SECONDS=0.5)
def test_the_asgi_stream_sends_the_same_events(db, user):
    import functools

    from asgiref.sync import async_to_sync

    from citywatch.notify.events import Cursor, async_stream, poll

    before = message(code=SIMING, subject="之前")
    cursor = Cursor(before.pk)
    siming = message(code=SIMING, subject="思明")
    message(code=HULI, subject="湖里")

    fetch = functools.partial(poll, user("siming_officer"), cursor)

    async def collect():
        return [chunk async for chunk in async_stream(fetch)]

    body = b"".join(async_to_sync(collect)()).decode()
    assert body.startswith("retry:") and f"id: {siming.pk}\n" in body and "湖里" not in body
