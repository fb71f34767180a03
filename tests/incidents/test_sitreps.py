"""Situation reports: numbered drafts generated from the incident, versioned edits, issue (then 409),
PDF with an embedded CJK font and DOCX, jurisdiction (404) and roles (403)."""

from __future__ import annotations

import contextlib
import io
import re
import shutil
import subprocess
import zlib

import pytest

from citywatch.core.errors import Conflict
from citywatch.core.models import ObjectChange
from citywatch.incidents import actions, documents
from citywatch.incidents.models import IncidentLog, Sitrep
from tests.support.builders import depot_with, new_incident, team_in
from tests.support.places import HULI, SIMING

J = "application/json"
TITLE = "思明区莲前街道内涝"


def busy_incident(duty, user, **extra):
    incident = new_incident(title=TITLE, deaths=1, serious_injuries=2, injuries=5, missing=3, **extra)
    team = team_in(SIMING)
    d = actions.request_dispatch(incident, team.pk, duty, assigned_to=user("team_leader"))
    actions.dispatch_transition(d, "accept", duty)
    depot, item = depot_with(100)
    r = actions.request_supply(incident, duty, depot.pk, item.code, 40)
    actions.supply_transition(r, "approve", duty, 30)
    actions.supply_transition(r, "ship", duty, 10)
    actions.create_task(incident, duty, "转移低洼地带群众")
    return incident, team, item


@pytest.mark.django_db
def test_numbering_versioning_issue_and_log(duty):
    incident = new_incident()
    one = actions.generate_sitrep(incident, duty)
    two = actions.generate_sitrep(incident, duty)
    assert (one.number, two.number, one.version, one.status) == (1, 2, 1, "draft")
    assert actions.generate_sitrep(new_incident(), duty).number == 1  # per incident
    one = actions.update_sitrep(one, duty, {"summary": "雨势减弱", "needs": "沙袋"}, expected_version=1)
    assert one.version == 2 and one.summary == "雨势减弱"
    assert actions.update_sitrep(one, duty, {"summary": "雨势减弱"}).version == 2  # nothing changed
    with pytest.raises(Conflict, match="当前版本 2"):
        actions.update_sitrep(one, duty, {"summary": "旧版本"}, expected_version=1)
    one = actions.issue_sitrep(one, duty)
    assert one.status == "issued" and one.issued_at and one.issued_by == duty
    with pytest.raises(Conflict, match="已签发，不能修改"):
        actions.update_sitrep(one, duty, {"summary": "改"})
    with pytest.raises(Conflict, match="已签发，不能修改"):
        actions.issue_sitrep(one, duty)
    actions_logged = list(
        IncidentLog.objects.filter(incident=incident, data__sitrep__isnull=False).values_list(
            "data__action", flat=True
        )
    )
    assert actions_logged == ["generate", "generate", "update", "issue"]
    assert ObjectChange.objects.filter(content_type__model="sitrep", object_id=str(one.pk)).count() >= 3


@pytest.mark.django_db
def test_content_reflects_dispatches_supplies_casualties_and_exercise(duty, user):
    incident, team, item = busy_incident(duty, user, exercise=True)
    s = actions.generate_sitrep(incident, duty)
    assert s.exercise is True
    assert [(f["team"], f["status"]) for f in s.forces] == [(team.name, "accepted")]
    assert [(r["item"], r["requested"], r["approved"], r["shipped"]) for r in s.supplies] == [
        (item.name, "40", "30", "10")
    ]
    assert (s.deaths, s.serious_injuries, s.injuries, s.missing) == (1, 2, 5, 3)
    assert any(row["kind"] == "dispatch" for row in s.timeline)
    assert "帐篷 20 顶" in s.needs and "转移低洼地带群众" in s.next_steps


def _pdf_text(pdf: bytes) -> str:
    if shutil.which("pdftotext"):
        return subprocess.run(
            ["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True
        ).stdout.decode()
    return ""


def _embedded_fonts(pdf: bytes) -> list[str]:
    if shutil.which("pdffonts"):
        out = subprocess.run(["pdffonts", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
        # name type encoding emb sub uni object ID: keep the names of embedded fonts
        return [
            line.split()[0]
            for line in out.splitlines()[2:]
            if re.search(r"\s(yes)\s+(yes|no)\s+(yes|no)\s+\d", line)
        ]
    raw = pdf
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", pdf, re.S):
        with contextlib.suppress(zlib.error):
            raw += zlib.decompress(stream)
    return ["embedded"] if re.search(rb"/FontFile[23]?", raw) else []


@pytest.mark.django_db
def test_sitrep_no_1_as_pdf_through_the_api(duty, user, siming, huli, tmp_path):
    incident, team, item = busy_incident(duty, user, exercise=True)
    base = f"/api/v1/incidents/{incident.pk}/sitreps"
    r = siming.post(base, content_type=J)
    assert r.status_code == 201, r.content
    assert r.json()["number"] == 1 and r.json()["status"] == "draft"
    draft = siming.get(f"{base}/1.pdf")
    assert draft.status_code == 200 and draft["Content-Type"] == "application/pdf"
    assert "草稿" in _pdf_text(draft.content) or not shutil.which("pdftotext")
    r = siming.post(f"{base}/1/issue", {"version": 1}, content_type=J)
    assert r.status_code == 200 and r.json()["status"] == "issued"
    r = siming.get(f"{base}/1.pdf")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    assert r["Content-Disposition"].startswith("attachment;")
    pdf = r.content
    assert pdf.startswith(b"%PDF")
    fonts = _embedded_fonts(pdf)
    assert fonts, "no embedded font"
    if shutil.which("pdffonts"):
        assert any("CJK" in name for name in fonts), fonts
    text = _pdf_text(pdf)
    if shutil.which("pdftotext"):
        for expected in (TITLE, "突发事件信息报告", "第1期", "演练", team.name, "帐篷"):
            assert expected in text.replace(" ", ""), expected
        assert "草稿" not in text
    (tmp_path / "sitrep.pdf").write_bytes(pdf)
    if shutil.which("pdftoppm"):  # the page renders (looked at by hand: Chinese, no boxes)
        subprocess.run(
            [
                "pdftoppm",
                "-r",
                "60",
                "-png",
                "-f",
                "1",
                "-l",
                "1",
                str(tmp_path / "sitrep.pdf"),
                str(tmp_path / "p"),
            ],
            check=True,
        )
        assert list(tmp_path.glob("p*.png"))
        import os

        if os.environ.get("CITYWATCH_SITREP_PREVIEW"):
            shutil.copy(tmp_path / "sitrep.pdf", os.environ["CITYWATCH_SITREP_PREVIEW"])
    # the other district sees nothing
    assert huli.get(base).status_code == 404
    assert huli.get(f"{base}/1").status_code == 404
    assert huli.get(f"{base}/1.pdf").status_code == 404
    assert huli.get(f"{base}/1.docx").status_code == 404
    assert huli.post(base, content_type=J).status_code == 404
    assert huli.patch(f"{base}/1", {"summary": "x"}, content_type=J).status_code == 404
    assert huli.post(f"{base}/1/issue", content_type=J).status_code == 404


@pytest.mark.django_db
def test_docx_opens_and_holds_the_sections(duty, user, siming):
    from docx import Document

    incident, team, item = busy_incident(duty, user)
    base = f"/api/v1/incidents/{incident.pk}/sitreps"
    assert siming.post(base, content_type=J).status_code == 201
    r = siming.get(f"{base}/1.docx")
    assert r.status_code == 200
    assert r["Content-Type"] == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    doc = Document(io.BytesIO(r.content))
    text = "\n".join(p.text for p in doc.paragraphs)
    cells = "\n".join(c.text for t in doc.tables for row in t.rows for c in row.cells)
    for heading in (
        "突发事件信息报告 第1期",
        documents.t("Summary"),  # the catalogue's word
        "处置经过",
        "投入力量",
        "调拨物资",
        "人员伤亡",
        "需求",
        "下一步工作",
    ):
        assert heading in text, heading
    assert TITLE in cells and team.name in cells and "帐篷" in cells
    assert "草稿" in doc.sections[0].header.paragraphs[0].text
    assert "演练" not in text
    # The timeline copies the log, written in the site's language: Chinese, statuses by their labels.
    assert "接报（电话）：" + TITLE in cells and f"{team.name}：已下达 → 已接受" in cells
    assert not re.findall(r"[A-Za-z]{2,}", text + cells), re.findall(r"[A-Za-z]{2,}", text + cells)


@pytest.mark.django_db
def test_api_edit_versioning_and_conflicts(siming):
    incident = new_incident()
    base = f"/api/v1/incidents/{incident.pk}/sitreps"
    assert siming.post(base, content_type=J).json()["number"] == 1
    assert siming.post(base, content_type=J).json()["number"] == 2
    assert [s["number"] for s in siming.get(base).json()] == [1, 2]
    r = siming.patch(f"{base}/1", {"summary": "已控制", "deaths": 2, "version": 1}, content_type=J)
    assert r.status_code == 200 and r.json()["version"] == 2 and r.json()["deaths"] == 2
    r = siming.patch(f"{base}/1", {"summary": "过期", "version": 1}, content_type=J)
    assert r.status_code == 409
    assert siming.patch(f"{base}/1", {"deaths": -1}, content_type=J).status_code == 422
    assert siming.post(f"{base}/1/issue", {"version": 1}, content_type=J).status_code == 409
    assert siming.post(f"{base}/1/issue", content_type=J).status_code == 200
    r = siming.patch(f"{base}/1", {"summary": "签发后"}, content_type=J)
    assert r.status_code == 409
    assert siming.get(f"{base}/1").json()["summary"] == "已控制"
    assert siming.get(f"{base}/9").status_code == 404
    assert siming.get(f"{base}/9.pdf").status_code == 404


@pytest.mark.django_db
def test_edited_tables_reach_the_document_and_bad_rows_change_nothing(siming):
    incident = new_incident()
    base = f"/api/v1/incidents/{incident.pk}/sitreps"
    siming.post(base, content_type=J)
    rows = {
        "timeline": [{"time": "约 14 时", "text": "第一批群众转移完毕"}],
        "forces": [{"team": "同安区综合应急救援大队", "status_label": "已到场"}],
        "supplies": [{"item": "救生衣", "depot": "市级物资库", "requested": "200", "unit": "件"}],
        "injuries": 3,
    }
    r = siming.patch(f"{base}/1", {**rows, "version": 1}, content_type=J)
    assert r.status_code == 200 and r.json()["version"] == 2, r.content
    html = documents.render_html(Sitrep.objects.get(incident=incident, number=1))
    assert " · ".join(incident.area.place_names()) in html  # the place from the district down
    for text in ("约 14 时", "第一批群众转移完毕", "同安区综合应急救援大队", "已到场", "救生衣", "200 件"):
        assert text in html
    for bad in (
        {"forces": [{"team": {"nested": 1}}]},
        {"forces": [{"team": "x" * 1001}]},
        {"timeline": [{"text": "a\x00b"}]},
        {"supplies": ["not an object"]},
        {"forces": [{"team": True}]},
    ):
        r = siming.patch(f"{base}/1", bad, content_type=J)
        assert r.status_code == 422, (bad, r.content)
    assert siming.get(f"{base}/1").json()["version"] == 2


@pytest.mark.django_db
def test_team_leader_and_inspector_cannot_write(siming, inspector, team_leader):
    incident = new_incident()
    base = f"/api/v1/incidents/{incident.pk}/sitreps"
    assert siming.post(base, content_type=J).status_code == 201
    for client in (inspector, team_leader):
        assert client.post(base, content_type=J).status_code == 403
    assert inspector.get(f"{base}/1").status_code == 200
    assert inspector.patch(f"{base}/1", {"summary": "x"}, content_type=J).status_code == 403
    assert inspector.post(f"{base}/1/issue", content_type=J).status_code == 403
    assert team_leader.get(base).status_code == 404
    assert Sitrep.objects.filter(incident=incident).count() == 1


@pytest.mark.django_db
def test_english_document(duty, settings):
    from django.utils import translation

    incident = new_incident(title="Flooded underpass")
    s = actions.generate_sitrep(incident, duty)
    with translation.override("en"):
        html = documents.render_html(s)
    assert "Incident information report No. 1" in html and "DRAFT" in html and "Casualties" in html


def test_huli_constant_is_a_district():
    assert HULI != SIMING


@pytest.mark.django_db
def test_odd_cells_are_refused_or_shown_as_written(siming):
    incident = new_incident()
    base = f"/api/v1/incidents/{incident.pk}/sitreps"
    siming.post(base, content_type=J)
    body = '{"forces": [{"team": NaN}]}'
    assert siming.patch(f"{base}/1", body, content_type=J).status_code == 422
    ancient = "0001-01-01T00:00:00+01:00"
    odd = {"timeline": [{"time": 1405, "text": "数字时间"}, {"time": ancient, "text": "远古"}]}
    assert siming.patch(f"{base}/1", odd, content_type=J).status_code == 200
    for ext in ("pdf", "docx"):
        assert siming.get(f"{base}/1.{ext}").status_code == 200
    html = documents.render_html(Sitrep.objects.get(incident=incident, number=1))
    assert "1405" in html and ancient in html
