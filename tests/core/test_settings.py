"""Typed settings from the environment."""

import os
import stat

import dj_database_url
import pytest
from django.core.exceptions import ImproperlyConfigured

from citywatch import env


def test_env_bool(monkeypatch):
    monkeypatch.setenv("X_FLAG", "yes")
    assert env.env_bool("X_FLAG") is True
    monkeypatch.setenv("X_FLAG", "0")
    assert env.env_bool("X_FLAG", True) is False
    monkeypatch.setenv("X_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="X_FLAG must be true or false"):
        env.env_bool("X_FLAG")


def test_env_int_and_list(monkeypatch):
    monkeypatch.setenv("X_INT", "12")
    assert env.env_int("X_INT", 3) == 12
    monkeypatch.setenv("X_INT", "twelve")
    with pytest.raises(ImproperlyConfigured, match="whole number"):
        env.env_int("X_INT", 3)
    monkeypatch.setenv("X_LIST", "a.example, b.example,,")
    assert env.env_list("X_LIST", []) == ["a.example", "b.example"]


def test_secret_key_is_generated_once_and_private(tmp_path, monkeypatch):
    monkeypatch.delenv("CITYWATCH_SECRET_KEY", raising=False)
    first = env.secret_key(tmp_path)
    assert len(first) >= 50 and env.secret_key(tmp_path) == first
    assert stat.S_IMODE(os.stat(tmp_path / "secret_key").st_mode) == 0o600
    monkeypatch.setenv("CITYWATCH_SECRET_KEY", "from-the-environment")
    assert env.secret_key(tmp_path) == "from-the-environment"


@pytest.mark.parametrize(
    ("url", "engine"),
    [
        ("spatialite:////srv/citywatch/db.sqlite3", "django.contrib.gis.db.backends.spatialite"),
        ("postgis://citywatch@db.example:5432/citywatch", "django.contrib.gis.db.backends.postgis"),
    ],
)
def test_database_urls(url, engine):
    assert dj_database_url.parse(url)["ENGINE"] == engine


def test_defaults(settings):
    assert settings.TIME_ZONE == "Asia/Shanghai" and settings.USE_TZ
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert [code for code, _ in settings.LANGUAGES] == ["zh-hans", "en"]
