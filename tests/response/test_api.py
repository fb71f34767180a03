"""The plans and responses API as clients use it: start, refusals with a clear message and nothing
written, checklist, proposals, XLSX round trip, the drill report."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from citywatch.notify.models import Message
from citywatch.response.models import Plan, Proposal, Response
from tests.support.personas import client_for
from tests.support.places import CITY, HULI
from tests.support.response import warning_event

pytestmark = pytest.mark.django_db


def typhoon():
    return Plan.objects.get(hazard="typhoon", area__code=CITY)


def post(client, url, body):
    return client.post(url, body, content_type="application/json")


def test_start_read_change_end():
    commander = client_for("commander")
    answer = post(commander, "/api/v1/responses/", {"plan": typhoon().pk, "level": "3", "reason": "黄色预警"})
    assert answer.status_code == 201, answer.json()
    body = answer.json()
    assert body["roman"] == "Ⅲ" and body["progress"]["total"] == len(body["actions"]) > 0
    assert {a["organisation"] for a in body["actions"]} >= {"市气象局"}
    pk = body["id"]
    done = post(commander, f"/api/v1/checklist-actions/{body['actions'][0]['id']}/done", {"note": "已会商"})
    assert done.status_code == 200 and done.json()["status"] == "done"
    up = post(commander, f"/api/v1/responses/{pk}/level", {"level": "2", "reason": "橙色预警", "version": 1})
    assert up.status_code == 200 and up.json()["level"] == "2"
    stale = post(commander, f"/api/v1/responses/{pk}/level", {"level": "1", "reason": "x", "version": 1})
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "conflict"
    ended = post(commander, f"/api/v1/responses/{pk}/end", {"reason": "台风过境"})
    assert ended.status_code == 200 and ended.json()["status"] == "ended"
    kinds = [e["kind"] for e in commander.get(f"/api/v1/responses/{pk}/timeline").json()]
    assert kinds[0] == "started" and "upgraded" in kinds and kinds[-1] == "ended"


@pytest.mark.parametrize(
    ("username", "body", "status", "says"),
    [
        ("duty_officer", {"level": "3"}, 403, "应急响应"),
        ("commander", {"level": "3", "area": "999999"}, 422, "999999"),
        ("commander", {"level": "5"}, 422, None),
    ],
)
def test_refusals_are_clear_and_write_nothing(username, body, status, says):
    before = (Response.objects.count(), Message.objects.count())
    answer = post(client_for(username), "/api/v1/responses/", {"plan": typhoon().pk, **body})
    assert answer.status_code == status, answer.json()
    if says:
        assert says in answer.json()["error"]["message"]
    assert (Response.objects.count(), Message.objects.count()) == before


def test_two_starts_of_the_same_response_one_409():
    commander = client_for("commander")
    assert post(commander, "/api/v1/responses/", {"plan": typhoon().pk, "level": "4"}).status_code == 201
    again = post(commander, "/api/v1/responses/", {"plan": typhoon().pk, "level": "3"})
    assert again.status_code == 409 and "已在运行" in again.json()["error"]["message"]


def test_a_proposal_accepted_at_a_higher_level_by_the_commander():
    warning_event(hazard="rainstorm", colour="red", code=HULI)
    proposal = Proposal.objects.latest("id")
    listed = client_for("commander").get("/api/v1/proposals/", {"status": "open"}).json()
    assert proposal.pk in [p["id"] for p in listed["items"]]
    assert post(client_for("duty_officer"), f"/api/v1/proposals/{proposal.pk}/accept", {}).status_code == 403
    answer = post(client_for("commander"), f"/api/v1/proposals/{proposal.pk}/accept", {"level": "1"})
    assert answer.status_code == 200 and answer.json()["level"] == "1"
    assert answer.json()["warnings"][0]["message"] == proposal.message_id


def test_xlsx_export_reimports_unchanged_and_an_edit_makes_a_revision():
    import openpyxl

    admin = client_for("city_admin")
    data = admin.get("/api/v1/plans/export", {"hazard": "typhoon"}).content
    upload = SimpleUploadedFile("plans.xlsx", data)
    report = admin.post("/api/v1/plans/import", {"file": upload}).json()
    assert report == {"created": 0, "updated": 0, "unchanged": 1, "dry_run": False}
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book.active
    sheet.cell(row=2, column=9).value = 45
    out = io.BytesIO()
    book.save(out)
    revision = typhoon().current.number
    # Imported from an English session: the revision's note (a shared record) is in the site's language.
    admin.post("/i18n/setlang/", {"language": "en", "next": "/plans/"})
    report = admin.post("/api/v1/plans/import", {"file": SimpleUploadedFile("p.xlsx", out.getvalue())}).json()
    assert report["updated"] == 1 and typhoon().current.number == revision + 1
    assert typhoon().current.note == "导入"


def test_a_file_with_problems_writes_nothing_and_says_where():
    admin = client_for("city_admin")
    csv = (
        "灾种,预案,区域代码,提议规则,级别,行动,责任单位,时限\n"
        "flood,测试,350203,same,Ⅴ,会商,某单位,30\n"
        "volcano,测试,350203,same,Ⅳ,x,y,1\n"
        "flood,测试,350203,same,Ⅳ,会商,某单位,-5\n"
    )
    answer = admin.post("/api/v1/plans/import", {"file": SimpleUploadedFile("p.csv", csv.encode())})
    assert answer.status_code == 422
    rows = sorted(p["row"] for p in answer.json()["error"]["details"])
    assert rows == [2, 3, 4]
    assert not Plan.objects.filter(hazard="flood").exists()


def test_the_drill_report_is_a_pdf_marked_as_an_exercise():
    commander = client_for("commander")
    pk = post(commander, "/api/v1/responses/", {"plan": typhoon().pk, "level": "4", "exercise": True}).json()[
        "id"
    ]
    pdf = commander.get(f"/api/v1/responses/{pk}/report.pdf")
    assert (
        pdf.status_code == 200
        and pdf["Content-Type"] == "application/pdf"
        and pdf.content.startswith(b"%PDF")
    )
    from citywatch.response import documents

    html = documents.render_html(Response.objects.get(pk=pk))
    assert "演练" in html
