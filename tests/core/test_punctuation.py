"""Chinese text uses the full-width colon "：" as punctuation: in the catalogue's msgstr, and after a label on
the pages (the templates put ``{% translate ": " context "label separator" %}`` there, "：" in Chinese and
": " in English). A colon that is code stays ASCII: placeholders, URLs, times (12:00), EPSG:4326, an input
syntax such as 名称:数量."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import citywatch

PACKAGE = Path(citywatch.__file__).resolve().parent
CATALOGUE = PACKAGE / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
CJK = re.compile(r"[\u3400-\u9fff]")
# what may hold an ASCII colon that is not punctuation
CODE = re.compile(
    r"%\([a-z_]+\)s:%\([a-z_]+\)s"  # file:row, host:port
    r"|%\([a-z_]+\)[sdr]"  # placeholders
    r"|\{[a-z_]+\}"  # {kind}
    r"|[a-z][a-z0-9+.-]*://\S*"  # URLs
    r"|\b\d{1,2}:\d{2}(:\d{2})?"  # times
    r"|[A-Za-z0-9_.-]+:[A-Za-z0-9_.:%()-]+"  # EPSG:4326, urn:oasis:…, file:row
)


def msgstrs(path: Path) -> list[str]:
    """Every msgstr of a .po file, its continuation lines joined."""
    out, current = [], None
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("msgstr"):
            current = [line.partition(" ")[2].strip()[1:-1]]
            out.append(current)
        elif line.startswith('"') and current is not None:
            current.append(line.strip()[1:-1])
        else:
            current = None
    return ["".join(parts) for parts in out]


def test_chinese_msgstr_use_the_full_width_colon():
    bad = [
        s
        for s in msgstrs(CATALOGUE)
        if CJK.search(s) and re.search(r":(\s|$|\\n)", CODE.sub("", s.replace("\\n", "\n")))
    ]
    assert not bad, bad


def test_no_template_puts_an_ascii_colon_after_a_label():
    # ``{% translate "Status" %}: …`` and ``{{ name }}: …`` render "状态: …" in Chinese
    bad = []
    for template in PACKAGE.rglob("templates/**/*.html"):
        for n, line in enumerate(template.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"(%\}|\}\}):(\s|$|<)", line) or re.search(r"[\u3400-\u9fff]:(\s|$|<)", line):
                bad.append(f"{template.relative_to(PACKAGE)}:{n}")
    assert not bad, bad


@pytest.mark.django_db
def test_a_label_reads_with_the_full_width_colon_in_chinese_and_ascii_in_english(siming):
    page = siming.get("/resources/shelters/import/")
    assert page.status_code == 200
    assert re.search(r"<h1>导入：\S", page.content.decode()), page.content.decode()[:2000]
    from django.conf import settings
    from django.utils import translation

    siming.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override(translation.get_language()):  # the request activates English: not after it
        english = siming.get("/resources/shelters/import/").content.decode()
    assert re.search(r"<h1>Import: \S", english), english[:2000]
