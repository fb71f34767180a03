"""``core.models.versions.raised_once``: a bulk writer's raises of the access and registry versions are
made once, when its block ends, inside its transaction."""

import pytest
from django.db import transaction

from citywatch.core import actions
from citywatch.core.models import AccessVersion
from citywatch.core.models.versions import raised_once
from citywatch.resources.models import RegistryVersion

pytestmark = pytest.mark.django_db


def versions():
    return AccessVersion.read(), RegistryVersion.read()


def test_raises_in_the_block_are_made_once_when_it_ends():
    before = versions()
    with transaction.atomic():
        with raised_once():
            actions.save_area(code="350203999", name="测试社区甲", level="community")
            actions.save_area(code="350203998", name="测试社区乙", level="community")
            assert versions() == before  # collected, not yet made
            with raised_once():  # a nested block joins the outer one
                actions.save_area(code="350203997", name="测试社区丙", level="community")
            assert versions() == before
        after = versions()
    assert after[0] != before[0] and after[1] != before[1]


def test_without_the_block_every_write_raises_at_once():
    before = versions()
    actions.save_area(code="350203999", name="测试社区甲", level="community")
    assert versions()[0] != before[0] and versions()[1] != before[1]


def test_a_block_that_fails_still_raises():
    before = versions()
    with pytest.raises(RuntimeError), raised_once():
        actions.save_area(code="350203999", name="测试社区甲", level="community")
        raise RuntimeError("stop")
    assert versions()[0] != before[0] and versions()[1] != before[1]
