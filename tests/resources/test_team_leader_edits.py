"""Issue 10, finding 5: a team leader edits only the team they lead (the row rule of their role in
``resources/roles.py``, applied by ``core.access``), through the API and the edit page alike."""

import pytest

from citywatch.core.models import User
from citywatch.resources.models import RescueTeam
from tests.support.builders import team_in
from tests.support.places import HULI, SIMING

J = "application/json"


def led_by(username, code):
    team = team_in(code)
    RescueTeam.objects.filter(pk=team.pk).update(leader=User.objects.get(username=username))
    return team


@pytest.mark.django_db
def test_a_team_leader_changes_their_own_team_only_through_the_api(team_leader):
    own, other = led_by("team_leader", SIMING), team_in(HULI)
    RescueTeam.objects.filter(pk=other.pk).update(leader=None)
    r = team_leader.patch(f"/api/v1/resources/rescue-teams/{own.pk}", {"members": 33}, content_type=J)
    assert r.status_code == 200, r.content
    assert r.json()["members"] == 33
    r = team_leader.patch(f"/api/v1/resources/rescue-teams/{other.pk}", {"members": 1}, content_type=J)
    assert r.status_code == 403, r.content
    assert r.json()["error"]["message"]
    other.refresh_from_db()
    assert other.members != 1
    # They still see every team of their jurisdiction.
    assert team_leader.get(f"/api/v1/resources/rescue-teams/{other.pk}").status_code == 200


@pytest.mark.django_db
def test_a_team_leader_edits_their_own_team_only_on_the_pages(team_leader):
    own, other = led_by("team_leader", SIMING), team_in(HULI)
    RescueTeam.objects.filter(pk=other.pk).update(leader=None)
    assert team_leader.get(f"/resources/rescue-teams/{own.pk}/edit/").status_code == 200
    assert team_leader.get(f"/resources/rescue-teams/{other.pk}/edit/").status_code == 403
    r = team_leader.post(
        f"/resources/rescue-teams/{other.pk}/edit/", {"name": "被改了", "kind": "fire_rescue"}
    )
    assert r.status_code == 403
    other.refresh_from_db()
    assert other.name != "被改了"
    # The detail page offers "edit" only where the leader may edit.
    own_page = team_leader.get(f"/resources/rescue-teams/{own.pk}/").content.decode()
    other_page = team_leader.get(f"/resources/rescue-teams/{other.pk}/").content.decode()
    assert f"/resources/rescue-teams/{own.pk}/edit/" in own_page
    assert f"/resources/rescue-teams/{other.pk}/edit/" not in other_page


@pytest.mark.django_db
def test_the_list_of_teams_a_leader_may_change_is_theirs(user):
    from citywatch.resources.kinds import KINDS
    from citywatch.resources.queries import records_for

    own = led_by("team_leader", SIMING)
    changeable = list(
        records_for(KINDS["rescue-teams"], user("team_leader"), "change").values_list("pk", flat=True)
    )
    assert own.pk in changeable and all(
        RescueTeam.objects.get(pk=pk).leader_id == user("team_leader").pk for pk in changeable
    )
