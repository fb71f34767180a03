"""The duty officer's warning pages by persona: list with proposals, the form, the lifecycle buttons each
role may press, the CAP upload refusing a hostile file with its rule in words, and the duty-screen panel."""

from __future__ import annotations

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from citywatch.warnings.models import Warning
from tests.support.personas import client_for
from tests.support.places import TONGAN
from tests.warnings.conftest import fixture_bytes


def local(value):
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")


@pytest.mark.django_db
def test_draft_submit_approve_lift_through_the_pages():
    duty, commander = client_for("duty_officer"), client_for("commander")
    assert duty.get("/warnings/").status_code == 200
    form = duty.get("/warnings/new/")
    assert form.status_code == 200 and "同安区" in form.content.decode()
    now = timezone.now()
    response = duty.post(
        "/warnings/new/",
        {
            "hazard": "rainstorm",
            "level": "orange",
            "area_codes": [TONGAN],
            "onset": local(now),
            "expires": local(now + datetime.timedelta(hours=6)),
        },
    )
    assert response.status_code == 302, response.content[:500]
    warning = Warning.objects.latest("id")
    page = duty.get(f"/warnings/{warning.pk}/").content.decode()
    assert 'value="submit"' in page and 'value="issue"' not in page
    duty.post(f"/warnings/{warning.pk}/step/", {"action": "submit"})
    page = commander.get(f"/warnings/{warning.pk}/").content.decode()
    assert 'value="approve"' in page
    commander.post(f"/warnings/{warning.pk}/step/", {"action": "approve"})
    warning.refresh_from_db()
    assert warning.status == "issued"
    page = commander.get(f"/warnings/{warning.pk}/").content.decode()
    assert "&lt;alert" in page and 'value="lift"' in page
    # The version's CAP message type in words (发布, as the glossary has it), not the code "Alert".
    assert "<td>发布</td>" in page and "<td>Alert</td>" not in page
    # The list names our own warnings' source 本中心, not the product name.
    listing = commander.get("/warnings/").content.decode()
    assert "<td>本中心</td>" in listing and "<td>CityWatch</td>" not in listing
    duty_screen = commander.get("/duty/").content.decode()
    assert "panel-warnings-overview" in duty_screen and warning.headline in duty_screen
    # the inspector sees it but has no buttons
    assert 'value="lift"' not in client_for("inspector").get(f"/warnings/{warning.pk}/").content.decode()
    # expiry before onset: refused with a message, nothing stored
    count = Warning.objects.count()
    bad = duty.post(
        "/warnings/new/",
        {
            "hazard": "rainstorm",
            "level": "blue",
            "area_codes": [TONGAN],
            "onset": local(now),
            "expires": local(now - datetime.timedelta(hours=1)),
        },
    )
    assert bad.status_code == 422 and Warning.objects.count() == count


@pytest.mark.django_db
def test_cap_upload_page():
    admin = client_for("city_admin")
    refused = admin.post(
        "/warnings/import/", {"file": SimpleUploadedFile("x.cap", fixture_bytes("testdata/xee.cap"))}
    )
    text = refused.content.decode()
    # the rule in words (the rule codes are the API's): once, not repeated as a list of one
    assert refused.status_code == 422 and text.count("声明了外部实体") == 1 and "external-entity" not in text
    done = admin.post(
        "/warnings/import/",
        {"file": SimpleUploadedFile("a.xml", fixture_bytes("samples/Severe_Thunderstorm_Warning.xml"))},
    )
    assert done.status_code == 302
    assert client_for("inspector").get("/warnings/import/").status_code == 403


@pytest.mark.django_db
def test_cap_upload_says_warning_not_alarm():
    """告警 is a monitoring alarm on these pages: an imported CAP alert is a 预警 (warning)."""
    admin = client_for("city_admin")

    def upload():
        file = SimpleUploadedFile("a.xml", fixture_bytes("samples/Severe_Thunderstorm_Warning.xml"))
        return admin.post("/warnings/import/", {"file": file}, follow=True).content.decode()

    first = upload()
    assert "预警已导入。" in first and "告警已导入" not in first
    again = upload()
    assert "该预警已导入过，未重复导入。" in again


@pytest.mark.django_db
def test_a_proposal_with_a_draft_links_it_instead_of_offering_another():
    from citywatch.core.models import AdminArea
    from citywatch.warnings import actions

    area = AdminArea.objects.get(code=TONGAN)
    signal = actions.Signal(area, "orange", 55.0, "mm", "3 小时降雨量达 50 毫米以上", timezone.now())
    (proposal,) = actions.record_signals("rainstorm", [signal], [area])
    duty, commander = client_for("duty_officer"), client_for("commander")
    form = f'action="/warnings/proposals/{proposal.pk}/draft/"'
    assert form in commander.get("/duty/").content.decode()
    drafted = duty.post(f"/warnings/proposals/{proposal.pk}/draft/")
    assert drafted.status_code == 302
    warning = Warning.objects.get(proposal=proposal)
    duty.post(f"/warnings/{warning.pk}/step/", {"action": "submit"})
    for page in (commander.get("/duty/"), commander.get("/warnings/")):
        text = page.content.decode()
        assert f'class="pending" href="/warnings/{warning.pk}/"' in text and "待审批：" in text
        assert form not in text  # no second draft at the same level


@pytest.mark.django_db
def test_chinese_colons_on_the_proposal_and_the_public_page():
    """A proposal's criterion and value, and a public warning's areas, read with the full-width colon."""
    from citywatch.core.models import AdminArea, User
    from citywatch.notify.models import Message
    from citywatch.warnings import actions

    area = AdminArea.objects.get(code=TONGAN)
    signal = actions.Signal(area, "orange", 55.0, "mm", "3 小时降雨量达 50 毫米以上", timezone.now())
    (proposal,) = actions.record_signals("rainstorm", [signal], [area])
    said = "3 小时降雨量达 50 毫米以上：55"
    assert Message.objects.filter(kind="warning.proposed").latest("id").body.startswith(said)
    commander = client_for("commander")
    for page in ("/duty/", "/warnings/"):
        text = commander.get(page).content.decode()
        assert "3 小时降雨量达 50 毫米以上：" in text and "以上:" not in text, page
    warning = actions.draft_from_proposal(User.objects.get(username="commander"), proposal)
    assert "以上：55 mm" in commander.get(f"/warnings/{warning.pk}/").content.decode()
    actions.issue(User.objects.get(username="commander"), warning)
    from django.test import Client

    public = Client().get("/public/").content.decode()
    assert "影响范围：同安区" in public and "行政区划:" not in public


@pytest.mark.django_db
def test_a_lifted_warning_shows_when_it_was_lifted():
    """解除时间 on a lifted warning is when it was lifted, not the expiry it was issued with."""
    from citywatch.core.models import User
    from citywatch.warnings import actions

    commander = User.objects.get(username="commander")
    now = timezone.now()
    expires = now + datetime.timedelta(hours=6)
    warning = actions.draft_warning(
        commander,
        actions.WarningInput(
            hazard="rainstorm", level="blue", area_codes=[TONGAN], onset=now, expires=expires
        ),
    )
    actions.issue(commander, warning)
    warning.refresh_from_db()
    actions.lift(commander, warning)
    warning.refresh_from_db()
    text = client_for("commander").get(f"/warnings/{warning.pk}/").content.decode()
    lifted = timezone.localtime(warning.lifted_at).strftime("%Y-%m-%d %H:%M")
    planned = timezone.localtime(expires).strftime("%Y-%m-%d %H:%M")
    assert f"<dt>解除时间</dt><dd>{lifted}（原定 {planned}）</dd>" in text
