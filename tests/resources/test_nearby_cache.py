"""The nearby analysis keeps its prepared candidates per process (``resources.nearby.CANDIDATES``): the
registry is read once, and read again after any write to it — a record created, changed, deleted or
written in bulk — because the write raises the registry's version in its own transaction."""

import pytest

from citywatch.resources import actions
from citywatch.resources.kinds import KINDS
from citywatch.resources.models import RegistryVersion, RescueTeam
from citywatch.resources.nearby import CANDIDATES

pytestmark = pytest.mark.django_db

POINT = {"lon": 118.10, "lat": 24.46}  # in 思明区
NEAR = {"lon": 118.1001, "lat": 24.4601}
ASK = {**POINT, "kinds": "rescue-teams,shelters", "limit": 5, "minutes": 60}


def team(name, **extra):
    return {"name": name, "kind": "social", "members": 10, "area_code": "350203", **NEAR, **extra}


def nearest(client):
    response = client.get("/api/v1/nearby", ASK)
    assert response.status_code == 200, response.content
    return response.json()["items"]


def test_the_registry_is_read_once_until_a_write(city_admin):
    CANDIDATES.clear()
    loads, preparations = CANDIDATES.loads, CANDIDATES.preparations
    first = nearest(city_admin)
    assert CANDIDATES.loads - loads == 2  # two kinds read
    assert CANDIDATES.preparations - preparations == 2  # one candidate set per direction
    loads, preparations = CANDIDATES.loads, CANDIDATES.preparations
    assert nearest(city_admin) == first
    assert (CANDIDATES.loads, CANDIDATES.preparations) == (loads, preparations)

    version = RegistryVersion.current()
    created = city_admin.post(
        "/api/v1/resources/rescue-teams/", team("缓存测试救援队"), content_type="application/json"
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert RegistryVersion.current() != version
    items = nearest(city_admin)
    assert ("rescue-teams", pk, "缓存测试救援队") in [(i["kind"], i["id"], i["name"]) for i in items]
    assert CANDIDATES.loads > loads

    # A change of state (what a dispatch does to a team) is seen at once.
    changed = city_admin.patch(
        f"/api/v1/resources/rescue-teams/{pk}", {"status": "unavailable"}, content_type="application/json"
    )
    assert changed.status_code == 200, changed.content
    mine = [i for i in nearest(city_admin) if i["kind"] == "rescue-teams" and i["id"] == pk]
    assert mine and mine[0]["status"] == "unavailable"

    assert city_admin.delete(f"/api/v1/resources/rescue-teams/{pk}").status_code == 204
    assert pk not in [i["id"] for i in nearest(city_admin) if i["kind"] == "rescue-teams"]


def test_a_bulk_write_moves_the_version(city_admin):
    nearest(city_admin)
    loads = CANDIDATES.loads
    kind = KINDS["rescue-teams"]
    fields, problems = actions.clean_record(
        kind, team("批量缓存测试队"), actions.Context.for_user(city_admin_user())
    )
    assert not problems, problems
    [(obj, outcome)] = actions.save_resources(kind, [(fields, None)])
    assert outcome == "created"
    items = nearest(city_admin)
    assert ("rescue-teams", obj.pk) in [(i["kind"], i["id"]) for i in items]
    assert CANDIDATES.loads > loads


def test_each_jurisdiction_gets_its_own_candidates(city_admin, huli):
    RescueTeam.objects.filter(name="湖里缓存测试队").delete()
    nearest(city_admin)  # the city-wide view is prepared first
    items = huli.get("/api/v1/nearby", {**ASK, "limit": 50, "minutes": 240}).json()["items"]
    ids = [i["id"] for i in items if i["kind"] == "rescue-teams"]
    assert ids
    assert set(RescueTeam.objects.filter(pk__in=ids).values_list("area__path", flat=True)) <= {
        p for p in RescueTeam.objects.values_list("area__path", flat=True) if p.startswith("350200.350206.")
    }


def city_admin_user():
    from citywatch.core.models import User

    return User.objects.get(username="city_admin")


def test_the_details_shown_follow_every_write_at_once(city_admin):
    """The ranked list's details (a team's leader, a shelter's free places) are kept with the candidates;
    renaming the leader (a user) or changing a shelter's occupancy shows at the next request."""
    from citywatch.resources.models import Shelter

    team = (
        RescueTeam.objects.filter(leader__isnull=False, location__isnull=False)
        .select_related("leader")
        .first()
    )
    assert team is not None
    ask = {"lon": team.location.x, "lat": team.location.y, "kinds": "rescue-teams,shelters", "limit": 200}

    def shown(kind, pk):
        response = city_admin.get("/api/v1/nearby", ask)
        assert response.status_code == 200, response.content
        found = [i for i in response.json()["items"] if i["kind"] == kind and i["id"] == pk]
        assert found, (kind, pk)
        return found[0]["details"]

    assert shown("rescue-teams", team.pk)["leader"] == team.leader.display_name
    leader = team.leader
    leader.first_name, leader.last_name = "缓存", "队长"
    leader.save()
    assert shown("rescue-teams", team.pk)["leader"] == leader.display_name != ""

    response = city_admin.get("/api/v1/nearby", ask).json()["items"]
    shelter = Shelter.objects.get(pk=next(i["id"] for i in response if i["kind"] == "shelters"))
    shelter.occupancy = 0
    shelter.save()
    assert shown("shelters", shelter.pk)["free"] == shelter.capacity
    shelter.occupancy = shelter.capacity
    shelter.save()
    assert shown("shelters", shelter.pk)["free"] == 0


def test_a_whole_answer_is_kept_until_the_data_or_the_viewer_changes(city_admin, huli):
    """``ANSWERS``: the same question on the same data is answered with the same bytes without a search;
    a write to the registry, another jurisdiction or another language is another answer."""
    from citywatch.resources.nearby import ANSWERS

    ANSWERS.clear()
    first = city_admin.get("/api/v1/nearby", ASK)
    assert first.status_code == 200 and first["Content-Type"].startswith("application/json")
    assert (ANSWERS.hits, ANSWERS.misses) == (0, 1)
    again = city_admin.get("/api/v1/nearby", ASK)
    assert again.content == first.content and (ANSWERS.hits, ANSWERS.misses) == (1, 1)

    # Another jurisdiction sees other records: not the city-wide answer.
    district = huli.get("/api/v1/nearby", ASK)
    assert district.status_code == 200 and ANSWERS.misses == 2
    assert {i["id"] for i in district.json()["items"]} != {i["id"] for i in first.json()["items"]}

    # Another language: its own answer (labels are translated).
    from django.conf import settings

    city_admin.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = city_admin.get("/api/v1/nearby", ASK)
    del city_admin.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert english.status_code == 200 and ANSWERS.misses == 3
    assert english["Content-Language"] == "en" and english.content != first.content

    created = city_admin.post(
        "/api/v1/resources/rescue-teams/", team("整答缓存测试队"), content_type="application/json"
    )
    assert created.status_code == 201, created.content
    after = city_admin.get("/api/v1/nearby", ASK)
    assert ANSWERS.misses == 4
    assert created.json()["id"] in [i["id"] for i in after.json()["items"] if i["kind"] == "rescue-teams"]


def test_an_incidents_nearby_is_the_kept_answer_at_its_point(city_admin):
    """``GET /incidents/{pk}/nearby`` (the one-map's call) answers from the same prepared candidates and
    kept answers as ``GET /nearby`` at the incident's point, with the incident's own two fields; the
    answer is a valid ``IncidentNearbyOut``."""
    from citywatch.incidents.api.schemas import IncidentNearbyOut
    from citywatch.incidents.choices import preferred_team_types
    from citywatch.resources.nearby import ANSWERS
    from tests.support.builders import new_incident

    incident = new_incident()
    ask = {k: v for k, v in ASK.items() if k not in ("lon", "lat")}
    ANSWERS.clear()
    first = city_admin.get(f"/api/v1/incidents/{incident.pk}/nearby", ask)
    assert first.status_code == 200, first.content
    assert first["Content-Type"].startswith("application/json") and first["Cache-Control"] == "no-store"
    assert (ANSWERS.hits, ANSWERS.misses) == (0, 1)
    body = IncidentNearbyOut.model_validate_json(first.content)
    assert body.incident == incident.pk
    assert body.preferred_team_types == preferred_team_types(incident)
    again = city_admin.get(f"/api/v1/incidents/{incident.pk}/nearby", ask)
    assert again.content == first.content and (ANSWERS.hits, ANSWERS.misses) == (1, 1)
    point = {"lon": incident.location.x, "lat": incident.location.y}
    at_point = city_admin.get("/api/v1/nearby", {**ask, **point})
    assert ANSWERS.hits == 2  # the same question, asked by its point
    expected = at_point.json()
    got = first.json()
    assert {k: got[k] for k in expected} == expected and len(expected["items"]) > 0
