from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotifyConfig(AppConfig):
    name = "citywatch.notify"
    label = "notify"
    verbose_name = _("Notifications")

    def ready(self):
        from citywatch.notify.events import OUTBOX

        OUTBOX.connect()  # new outbox rows wake the live streams (events.Watch)
