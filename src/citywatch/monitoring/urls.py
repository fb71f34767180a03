from django.urls import path

from citywatch.monitoring.views import alarms, rules, sources, stations

urlpatterns = [
    path("monitoring/", stations.station_map, name="monitoring_map"),
    path("monitoring/stations/", stations.station_list, name="monitoring_stations"),
    path("monitoring/stations/new/", stations.station_edit, name="monitoring_station_new"),
    path("monitoring/stations/import/", stations.station_import, name="monitoring_station_import"),
    path("monitoring/stations/export/", stations.station_export, name="monitoring_station_export"),
    path("monitoring/stations/<int:pk>/", stations.station_detail, name="monitoring_station"),
    path("monitoring/stations/<int:pk>/edit/", stations.station_edit, name="monitoring_station_edit"),
    path("monitoring/stations/<int:pk>/delete/", stations.station_delete, name="monitoring_station_delete"),
    path("monitoring/sources/", sources.source_list, name="monitoring_sources"),
    path("monitoring/sources/new/", sources.source_edit, name="monitoring_source_new"),
    path("monitoring/sources/<int:pk>/edit/", sources.source_edit, name="monitoring_source_edit"),
    path("monitoring/alarms/", alarms.alarm_list, name="monitoring_alarms"),
    path(
        "monitoring/alarms/<int:pk>/acknowledge/",
        alarms.alarm_acknowledge,
        name="monitoring_alarm_acknowledge",
    ),
    path("monitoring/alarms/<int:pk>/close/", alarms.alarm_close, name="monitoring_alarm_close"),
    path("monitoring/rules/", rules.rule_list, name="monitoring_rules"),
    path("monitoring/rules/new/", rules.rule_edit, name="monitoring_rule_new"),
    path("monitoring/rules/<int:pk>/", rules.rule_edit, name="monitoring_rule"),
    path("monitoring/rules/<int:pk>/preview/", rules.rule_preview, name="monitoring_rule_preview"),
]
