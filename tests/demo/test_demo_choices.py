"""Issue 11, item 11: the demo gives a typhoon night real choices — some shelters full and some closed,
teams of every type with leaders who can log in (and a few community squads with none on record, flagged),
the demo's team leader leading 集美区's first water-rescue team."""

import pytest

from citywatch.core.choices import Role
from citywatch.resources.choices import ShelterStatus, TeamKind
from citywatch.resources.models import RescueTeam, Shelter
from tests.support.personas import DEMO_PASSWORD

pytestmark = pytest.mark.django_db


def test_some_shelters_are_full_and_some_closed():
    shelters = Shelter.objects.filter(external_id__startswith="demo-")
    full = shelters.filter(status=ShelterStatus.FULL)
    assert full.count() >= 10 and all(s.occupancy == s.capacity for s in full)
    assert shelters.filter(status=ShelterStatus.CLOSED).count() >= 10
    assert shelters.filter(status=ShelterStatus.OPEN).count() > shelters.count() // 2


def test_teams_of_every_type_have_leaders_who_can_log_in():
    teams = RescueTeam.objects.filter(external_id__startswith="demo-").select_related("leader")
    for kind in TeamKind.values:
        led = [t for t in teams if t.kind == kind and t.leader is not None]
        assert led, f"no team of kind {kind} has a leader"
        leader = led[0].leader
        assert leader.role == Role.TEAM_LEADER and leader.is_active and not leader.must_change_password
        assert leader.groups.filter(name=Role.TEAM_LEADER).exists()
        assert leader.check_password(DEMO_PASSWORD)
        assert leader.username not in leader.display_name  # people are named by their full name
    unled = [t for t in teams if t.leader is None]
    assert unled and all(t.kind == TeamKind.GRASSROOTS for t in unled)
    assert len(unled) < len(teams) // 10


def test_the_demo_team_leader_leads_a_water_rescue_team_in_jimei():
    team = RescueTeam.objects.get(leader__username="team_leader")
    assert team.kind == TeamKind.WATER_RESCUE and ".350211." in team.area.path
