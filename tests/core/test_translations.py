"""Every message marked for translation has its Simplified Chinese translation (no English left in the
Chinese interface): the catalogues are extracted afresh from a copy of the sources and compared."""

import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command

import citywatch

PACKAGE = Path(citywatch.__file__).parent


def _untranslated(po: Path) -> list[str]:
    out = []
    for flag in ("--untranslated", "--only-fuzzy"):
        text = subprocess.run(
            ["msgattrib", flag, "--no-obsolete", "--no-location", str(po)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        out += [
            line[len('msgid "') : -1]
            for line in text.splitlines()
            if line.startswith('msgid "') and line != 'msgid ""'
        ]
    return out


@pytest.mark.skipif(shutil.which("msgattrib") is None, reason="needs gettext (make test installs it)")
def test_every_message_is_translated(tmp_path, settings, monkeypatch):
    copy = tmp_path / "citywatch"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("vendor", "__pycache__", "*.mo"))
    settings.LOCALE_PATHS = [copy / "locale"]
    monkeypatch.chdir(copy)
    for domain in ("django", "djangojs"):
        call_command(
            "makemessages", locale=["zh_Hans"], domain=domain, verbosity=0, ignore_patterns=["static/vendor"]
        )
    missing = {
        domain: _untranslated(copy / "locale" / "zh_Hans" / "LC_MESSAGES" / f"{domain}.po")
        for domain in ("django", "djangojs")
    }
    assert missing == {"django": [], "djangojs": []}, (
        "add these to src/citywatch/locale/zh_Hans/LC_MESSAGES/*.po: " + repr(missing)
    )
