"""E-mail through Django's mail backend (locmem in tests): the subject, the text, the exercise mark."""

from django.core import mail

from citywatch.notify import worker
from citywatch.notify.models import Delivery
from tests.support.notify import message, subscription


def test_an_email_per_subscription_in_the_site_language(db, settings):
    settings.CITYWATCH_MQTT_URL = ""
    sub, _ = subscription("email", "duty@example.org, chief@example.org", include_exercise=True)
    real = message("warning.issued", subject="思明区暴雨黄色预警", body="请注意防范强降雨。")
    drill = message("warning.issued", subject="思明区暴雨黄色预警", exercise=True)
    worker.run_once("mail-test")
    assert Delivery.objects.filter(subscription=sub, status="sent").count() == 2
    by_id = {m.extra_headers["X-CityWatch-Message"]: m for m in mail.outbox}
    sent = by_id[str(real.pk)]
    assert sent.subject == "思明区暴雨黄色预警" and sent.to == ["duty@example.org", "chief@example.org"]
    assert (
        "请注意防范强降雨。" in sent.body
        and "事件类型：warning.issued" in sent.body
        and "思明区" in sent.body
    )
    assert by_id[str(drill.pk)].subject == "【演练】思明区暴雨黄色预警"
