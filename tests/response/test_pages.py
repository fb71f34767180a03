"""The pages: plans (list, detail, edit → a new revision, import/export), responses (list, start, page
with checklist and timeline, live fragment, level change, end, done), the duty screen's panel; drills
marked 演练; refusals as messages that change nothing."""

from __future__ import annotations

import pytest
from django.utils import timezone

from citywatch.response.models import Plan, Proposal, Response
from tests.support.personas import client_for
from tests.support.places import CITY
from tests.support.response import warning_event

pytestmark = pytest.mark.django_db


def typhoon():
    return Plan.objects.get(hazard="typhoon", area__code=CITY)


def test_plan_pages_and_an_edit_writes_a_revision():
    admin = client_for("city_admin")
    listing = admin.get("/plans/")
    assert listing.status_code == 200 and "演示内容" in listing.content.decode()
    page = admin.get(f"/plans/{typhoon().pk}/").content.decode()
    assert "市气象局" in page and "Ⅲ级" in page
    form = admin.get(f"/plans/{typhoon().pk}/edit/")
    assert form.status_code == 200
    number = typhoon().current.number
    post = {
        "name": "台风预案（修订）",
        "rule": "same",
        "level_4": "1",
        "condition_4": "蓝色预警",
        "actions_4": "会商 | 厦门市应急管理局 | 20\n监测 | 市气象局 | 60",
        "note": "测试修订",
    }
    answer = admin.post(f"/plans/{typhoon().pk}/edit/", post)
    assert answer.status_code == 302
    plan = typhoon()
    assert plan.current.number == number + 1 and plan.name == "台风预案（修订）"
    assert list(plan.current.levels.values_list("level", flat=True)) == ["4"]
    bad = admin.post(f"/plans/{plan.pk}/edit/", {**post, "actions_4": "只有一列"})
    assert bad.status_code == 422 and typhoon().current.number == number + 1
    assert admin.get("/plans/export.xlsx")["Content-Type"].startswith("application/vnd.openxmlformats")
    assert client_for("commander").get(f"/plans/{plan.pk}/edit/").status_code == 403


def test_response_pages_from_start_to_end():
    commander = client_for("commander")
    assert commander.get("/responses/").status_code == 200
    answer = commander.post("/responses/start/", {"plan": typhoon().pk, "level": "3", "reason": "黄色预警"})
    assert answer.status_code == 302
    response = Response.objects.get(hazard="typhoon", status="active", exercise=False)
    page = commander.get(f"/responses/{response.pk}/").content.decode()
    assert "市气象局" in page and 'data-live-kinds="response.*,action.*,warning.*"' in page
    item = response.actions.first()
    assert commander.post(f"/responses/actions/{item.pk}/done/", {"note": "已完成"}).status_code == 302
    live = commander.get(f"/responses/{response.pk}/live/").content.decode()
    assert "已完成" in live
    commander.post(
        f"/responses/{response.pk}/level/", {"level": "2", "reason": "升级", "version": response.version}
    )
    response.refresh_from_db()
    assert response.level == "2"
    # A second start of the same response is refused with a message; nothing is written.
    count = Response.objects.count()
    again = commander.post("/responses/start/", {"plan": typhoon().pk, "level": "4"}, follow=True)
    assert "已在运行" in again.content.decode() and Response.objects.count() == count
    # A lifted warning's end proposal is offered on the response page itself, with a reason to give.
    warning_event("warning.lifted", hazard="typhoon", colour="orange", code=CITY)
    end = Proposal.objects.get(kind="end", response=response, status="open")
    page = commander.get(f"/responses/{response.pk}/").content.decode()
    assert f'data-proposal="{end.pk}"' in page and "建议：厦门市终止台风应急响应" in page
    assert 'name="reason"' in page.split(f'data-proposal="{end.pk}"')[1].split("</li>")[0]
    commander.post(f"/responses/proposals/{end.pk}/accept/", {"reason": "过境", "next": "response"})
    response.refresh_from_db()
    assert response.status == "ended"
    pdf = commander.get(f"/responses/{response.pk}/report.pdf")
    assert pdf.content.startswith(b"%PDF")
    # A duty officer may follow, not start.
    assert (
        client_for("duty_officer").post("/responses/start/", {"plan": typhoon().pk, "level": "4"}).status_code
        == 403
    )


def test_the_duty_screen_shows_proposals_running_responses_and_overdue_actions():
    warning_event(hazard="typhoon", colour="yellow", code=CITY)
    proposal = Proposal.objects.latest("id")
    duty = client_for("commander").get("/duty/").content.decode()
    assert 'id="panel-response-responses"' in duty and f'data-proposal="{proposal.pk}"' in duty
    assert "建议：厦门市启动台风Ⅲ级应急响应" in duty  # one sentence, in the page's language
    answer = client_for("commander").post(
        f"/responses/proposals/{proposal.pk}/accept/", {"level": "3", "next": "duty"}
    )
    assert answer.status_code == 302
    response = Response.objects.get(pk=Proposal.objects.get(pk=proposal.pk).response_id)
    response.actions.update(deadline=timezone.now() - timezone.timedelta(minutes=1))
    fragment = client_for("duty_officer").get("/duty/panels/response.responses/").content.decode()
    assert str(response) in fragment and response.actions.first().title in fragment


def test_a_drill_is_marked_on_its_page():
    commander = client_for("commander")
    commander.post("/responses/start/", {"plan": typhoon().pk, "level": "4", "exercise": "1"})
    drill = Response.objects.get(exercise=True, status="active")
    page = commander.get(f"/responses/{drill.pk}/").content.decode()
    assert "演练" in page
