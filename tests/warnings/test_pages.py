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
def test_a_proposals_criterion_and_value_with_the_full_width_colon():
    """Chinese takes the full-width colon (50 毫米以上：55 mm), on the duty screen and the list."""
    from citywatch.core.models import AdminArea
    from citywatch.warnings import actions

    area = AdminArea.objects.get(code=TONGAN)
    signal = actions.Signal(area, "orange", 55.0, "mm", "3 小时降雨量达 50 毫米以上", timezone.now())
    actions.record_signals("rainstorm", [signal], [area])
    duty = client_for("duty_officer")
    assert "50 毫米以上：<strong>55 mm</strong>" in duty.get("/duty/").content.decode()
    assert "50 毫米以上：55 mm" in duty.get("/warnings/").content.decode()
