from django.db import models


class WorkerHeartbeat(models.Model):
    """The background worker's last sign of life, one row per worker name."""

    name = models.CharField(max_length=64, unique=True)
    beat_at = models.DateTimeField()
    hostname = models.CharField(max_length=200, blank=True)
    pid = models.IntegerField(null=True)

    def __str__(self):
        return f"{self.name} @ {self.beat_at:%Y-%m-%d %H:%M:%S}"
