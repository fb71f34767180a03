"""The one-map's command panel, through the UI: summon an expert (nearest first, the steps recorded for
them, the expert busy then available again), give someone a command role and end it, add a task with an
owner and mark it done; a task added by another officer (through the API) arrives without a reload."""

import pytest

from tests.support.browser import FAR, api_client, close_streams, create, open_onemap, open_tab
from tests.support.places import TONGAN

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

J = "application/json"


@pytest.fixture
def experts(scene):  # noqa: F811
    from citywatch.resources.models import ExpertCategory

    ExpertCategory.objects.get_or_create(code="geology", defaults={"name": "地质灾害"})
    admin = api_client("city_admin")
    near = create(
        admin, "experts", name="近处地质专家", category="geology", lon=118.152, lat=24.731, area_code=TONGAN
    )
    far = create(
        admin, "experts", name="远处地质专家", category="geology", lon=FAR[0], lat=FAR[1], area_code=TONGAN
    )
    return {"near": near, "far": far, "admin": admin}


def test_summon_an_expert_assign_roles_and_tasks(page, demo_live_server, scene, experts):  # noqa: F811
    base = demo_live_server.url
    incident_id = scene["incident"]["id"]
    admin = experts["admin"]
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    open_onemap(page, base, "duty_officer", incident_id)
    try:
        # Every resource kind has a layer: the experts' layer (off at first) loads when switched on, and
        # the ranked list has an experts group, nearest first, with their availability.
        for kind in ("experts", "facilities", "duty-people"):
            assert page.locator(f'#onemap-layers input[data-layer="{kind}"]').count() == 1
        page.click("#layers-box > summary")  # the layer switches are folded away at first
        page.check('#onemap-layers input[data-layer="experts"]')
        loaded = 'input[data-layer="experts"][data-state=loaded]'
        page.wait_for_selector(loaded, state="attached", timeout=15_000)
        layer = page.evaluate("() => window.citywatchLayers.experts.features.map(f => f.properties.name)")
        assert {"近处地质专家", "远处地质专家"} <= set(layer)
        group = page.locator('#nearby-results .nearby-group[data-kind="experts"] .nearby-name')
        assert group.all_inner_texts()[:2] == ["近处地质专家", "远处地质专家"]

        # Experts: available ones, the nearest first (on the dispatch tab).
        open_tab(page, "dispatch")
        page.wait_for_selector('#summons-expert[data-state="loaded"]', state="attached", timeout=15_000)
        values = page.eval_on_selector_all("#summons-expert option", "os => os.map(o => o.value)")
        assert values[:2] == [str(experts["near"]["id"]), str(experts["far"]["id"])], values
        page.fill("#summons-note", "边坡稳定性评估")
        page.click("#summons-request")
        row = "#summons-list li.summons"
        page.wait_for_selector(row + '[data-status="requested"]', timeout=15_000)
        assert "近处地质专家" in page.locator(row).inner_text()
        expert_url = f"/api/v1/resources/experts/{experts['near']['id']}"
        assert admin.get(expert_url).json()["availability"] == "busy"
        # A busy expert is no longer offered.
        page.wait_for_function(
            "id => ![...document.querySelectorAll('#summons-expert option')].some(o => o.value === id)",
            arg=str(experts["near"]["id"]),
            timeout=15_000,
        )
        for action, status in (("accept", "accepted"), ("depart", "en_route"), ("arrive", "on_scene")):
            page.click(f"{row} button.action-{action}")
            page.wait_for_selector(f'{row}[data-status="{status}"]', timeout=15_000)
        page.click(row + " button.action-release")
        page.wait_for_selector(row + '[data-status="released"]', timeout=15_000)
        assert admin.get(expert_url).json()["availability"] == "available"

        # A command role, then ended (on the command post tab).
        open_tab(page, "post")
        page.select_option("#participant-user", "commander")
        page.select_option("#participant-role", "commander")
        page.click("#participant-add")
        person = '#participant-list li.participant[data-role="commander"]'
        page.wait_for_selector(person, timeout=15_000)
        assert "市指挥长" in page.locator(person).inner_text()  # by full name
        page.click(person + " button.participant-end")
        page.wait_for_selector(person, state="detached", timeout=15_000)
        ended = scene["duty"].get(f"/api/v1/incidents/{incident_id}/participants").json()
        assert [(p["user"], p["role"], p["active"]) for p in ended] == [("commander", "commander", False)]

        # A task with an owner and a due time, marked done.
        open_tab(page, "tasks")
        page.fill("#task-title", "疏散滑坡体下方住户")
        page.select_option("#task-owner", "team_leader")
        page.fill("#task-due", "2030-01-01T18:30")
        page.click("#task-add")
        task = "#task-list li.task"
        page.wait_for_selector(task + '[data-status="open"]', timeout=15_000)
        assert "救援队 队长" in page.locator(task).inner_text()  # by full name
        page.click(task + " button.action-done")
        page.wait_for_selector(task + '[data-status="done"]', timeout=15_000)
        tasks = scene["duty"].get(f"/api/v1/incidents/{incident_id}/tasks").json()
        assert tasks[0]["owner"] == "team_leader" and tasks[0]["status"] == "done"
        assert tasks[0]["due_at"].startswith("2030-01-01T")

        # Another officer's task arrives live.
        r = api_client("commander").post(
            f"/api/v1/incidents/{incident_id}/tasks", {"title": "联系气象部门（测试）"}, content_type=J
        )
        assert r.status_code == 201, r.content
        page.wait_for_selector("#task-list li.task:has-text('联系气象部门')", timeout=20_000)

        # Every step is in the incident log.
        log = scene["duty"].get(f"/api/v1/incidents/{incident_id}/log?limit=200").json()["items"]
        texts = " | ".join(e["text"] for e in log)
        for needle in ("调用专家：近处地质专家", "市指挥长 担任指挥长", "新任务：疏散滑坡体下方住户"):
            assert needle in texts, texts
        for node in ("#summons-message", "#participant-message", "#task-message"):
            assert page.locator(node).is_hidden(), page.locator(node).inner_text()
    finally:
        close_streams(page)
    assert not errors, errors
