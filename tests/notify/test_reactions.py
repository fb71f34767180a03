"""Reactions: another app's handler runs in the publisher's transaction for the kinds it registered; what
it writes exists exactly when the message does; a failing one is undone and logged and the publisher's
change goes on; the messages a reaction publishes are not reacted to."""

import pytest
from django.db import transaction

from citywatch import notify
from citywatch.core.choices import OrganisationKind
from citywatch.core.models import Organisation
from citywatch.notify.actions import reactions
from citywatch.notify.models import Message
from tests.support.notify import area

pytestmark = pytest.mark.django_db


@pytest.fixture
def registered():
    names = []

    def register(pattern, handler):
        name = f"test.{len(names)}"
        names.append(name)
        reactions.register(pattern, handler, name=name)

    yield register
    for name in names:
        reactions.REACTIONS.pop(name, None)


def organisation(name):
    return Organisation.objects.create(name=name, kind=OrganisationKind.values[0], area=area())


def publish(kind="warning.issued"):
    return notify.publish(kind, area=area(), subject="思明区台风黄色预警", hazard="typhoon", level="yellow")


def test_a_reaction_runs_in_the_publishers_transaction_for_its_kinds(registered):
    seen = []
    registered("warning.*", lambda message: seen.append((message.kind, message.pk)))
    registered("response.started", lambda message: seen.append(("exact", message.kind)))
    with transaction.atomic():
        issued = publish()
        publish("alarm.opened")
        publish("response.started")
    assert seen == [("warning.issued", issued.pk), ("exact", "response.started")]


def test_what_a_reaction_writes_rolls_back_with_the_publisher(registered):
    registered("warning.*", lambda message: organisation(f"反应 {message.pk}"))
    with pytest.raises(RuntimeError), transaction.atomic():
        message = publish()
        assert Organisation.objects.filter(name=f"反应 {message.pk}").exists()
        raise RuntimeError("the publisher fails")
    assert not Organisation.objects.filter(name__startswith="反应 ").exists()


def test_a_failing_reaction_is_undone_and_logged_and_the_publisher_goes_on(registered, caplog):
    def broken(message):
        organisation("半途而废")
        raise ValueError("a bug")

    after = []
    registered("warning.*", broken)
    registered("warning.*", lambda message: after.append(message.pk))
    with transaction.atomic():
        message = publish()
    assert Message.objects.filter(pk=message.pk).exists() and after == [message.pk]
    assert not Organisation.objects.filter(name="半途而废").exists()
    assert any(
        "event=reaction.failed" in r.getMessage() and "test.0" in r.getMessage() for r in caplog.records
    )


def test_a_reactions_own_messages_are_not_reacted_to(registered):
    seen = []

    def echo(message):
        seen.append(message.kind)
        publish("warning.updated")

    registered("warning.*", echo)
    with transaction.atomic():
        publish()
    assert seen == ["warning.issued"]
    assert Message.objects.filter(kind="warning.updated").exists()


def test_a_pattern_is_a_kind_or_ends_in_a_star():
    with pytest.raises(ValueError):
        reactions.register("warning*", print, name="test.bad")
    assert "test.bad" not in reactions.REACTIONS


def test_publish_many_reacts_to_each_message(registered):
    from citywatch.notify.actions.publish import publish_many

    seen = []
    registered("warning.*", lambda message: seen.append(message.pk))
    fields = {"area": area(), "subject": "思明区台风黄色预警", "hazard": "typhoon", "level": "yellow"}
    with transaction.atomic():
        made = publish_many(
            [("warning.issued", fields), ("alarm.opened", fields), ("warning.lifted", fields)]
        )
    assert seen == [made[0].pk, made[2].pk] and all(seen)
