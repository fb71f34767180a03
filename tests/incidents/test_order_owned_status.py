"""Issue 10, finding 4: the status an order owns (a team's status, an expert's availability) is changed
only by the order's actions. A PATCH, the edit page or an import that changes it while an order is active
is a 409 and changes nothing, so a team cannot be freed by hand and dispatched twice."""

import pytest

from citywatch.incidents import actions
from citywatch.incidents.models import Dispatch
from citywatch.resources.models import Expert, RescueTeam
from tests.support.builders import expert_in, new_incident, team_in
from tests.support.places import SIMING

J = "application/json"


@pytest.mark.django_db
def test_a_patch_cannot_free_a_dispatched_team_and_a_second_dispatch_is_refused(duty, duty_client):
    incident, team = new_incident(), team_in(SIMING)
    actions.request_dispatch(incident, team.pk, duty)
    url = f"/api/v1/resources/rescue-teams/{team.pk}"
    r = duty_client.patch(url, {"status": "available"}, content_type=J)
    assert r.status_code == 409, r.content
    assert team.name in r.json()["error"]["message"]
    team.refresh_from_db()
    assert team.status == "deployed"
    r = duty_client.post(
        f"/api/v1/incidents/{new_incident().pk}/dispatches", {"team": team.pk}, content_type=J
    )
    assert r.status_code == 409, r.content
    assert Dispatch.objects.filter(team=team, status="requested").count() == 1
    # Other fields of the team may still change while it is out.
    r = duty_client.patch(url, {"notes": "车辆已加油"}, content_type=J)
    assert r.status_code == 200 and r.json()["status"] == "deployed"


@pytest.mark.django_db
def test_the_edit_page_cannot_change_the_status_of_a_dispatched_team(duty, duty_client):
    from citywatch.resources.kinds import KINDS
    from citywatch.resources.serializers import record

    incident, team = new_incident(), team_in(SIMING)
    actions.request_dispatch(incident, team.pk, duty)
    team.refresh_from_db()
    data = {k: ("" if v is None else v) for k, v in record(KINDS["rescue-teams"], team, text=True).items()}
    data["status"] = "unavailable"
    r = duty_client.post(f"/resources/rescue-teams/{team.pk}/edit/", data)
    assert r.status_code in (200, 409, 422), r.status_code
    team.refresh_from_db()
    assert team.status == "deployed"


@pytest.mark.django_db
def test_deployed_is_set_only_by_an_order(duty_client):
    team = team_in(SIMING)
    r = duty_client.patch(f"/api/v1/resources/rescue-teams/{team.pk}", {"status": "deployed"}, content_type=J)
    assert r.status_code == 409, r.content
    team.refresh_from_db()
    assert team.status == "available"
    # Marking an idle team unavailable by hand (and back) stays allowed.
    for status in ("unavailable", "available"):
        r = duty_client.patch(f"/api/v1/resources/rescue-teams/{team.pk}", {"status": status}, content_type=J)
        assert r.status_code == 200 and r.json()["status"] == status


@pytest.mark.django_db
def test_a_summoned_experts_availability_follows_the_summons_only(duty, city_admin):
    incident, expert = new_incident(), expert_in(SIMING)
    actions.summon_expert(incident, expert.pk, duty)
    r = city_admin.patch(
        f"/api/v1/resources/experts/{expert.pk}", {"availability": "available"}, content_type=J
    )
    assert r.status_code == 409, r.content
    assert Expert.objects.get(pk=expert.pk).availability == "busy"


@pytest.mark.django_db
def test_releasing_frees_the_team_again(duty, duty_client):
    incident, team = new_incident(), team_in(SIMING)
    d = actions.dispatch_transition(actions.request_dispatch(incident, team.pk, duty), "accept", duty)
    actions.dispatch_transition(d, "release", duty)
    assert RescueTeam.objects.get(pk=team.pk).status == "available"
    r = duty_client.patch(
        f"/api/v1/resources/rescue-teams/{team.pk}", {"status": "unavailable"}, content_type=J
    )
    assert r.status_code == 200


@pytest.mark.django_db
def test_an_import_cannot_free_a_dispatched_team(duty, city_admin):
    import csv
    import io
    import json

    from django.core.files.uploadedfile import SimpleUploadedFile

    incident, team = new_incident(), team_in(SIMING)
    actions.request_dispatch(incident, team.pk, duty)
    exported = city_admin.get("/api/v1/resources/rescue-teams/export", {"format": "csv"}).content.decode(
        "utf-8-sig"
    )
    rows = [r for r in csv.DictReader(io.StringIO(exported)) if r["external_id"] == team.external_id]
    assert rows and rows[0]["status"] == "deployed"
    rows[0]["status"] = "available"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerow(rows[0])
    upload = SimpleUploadedFile("teams.csv", out.getvalue().encode())
    r = city_admin.post("/api/v1/resources/rescue-teams/import", {"file": upload})
    assert r.status_code in (409, 422), r.content
    assert "请先解除或撤回该指令" in json.dumps(r.json(), ensure_ascii=False)
    assert RescueTeam.objects.get(pk=team.pk).status == "deployed"
