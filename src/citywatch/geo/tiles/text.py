"""Label text as it goes into tiles.

Labels are drawn by MapLibre GL JS with the browser's fonts (no glyph server). MapLibre 5.24 (the
version pinned) rasterises them with TinySDF 2.1, which misplaces a glyph whose ink starts well right
of its origin (mapbox/tiny-sdf#65, fixed in tiny-sdf 2.2, bundled from maplibre-gl 6): opening CJK
brackets such as （ 【 〔 ［ come out blank or cut. Until CityWatch moves to that version, label texts
use the half-width forms of the brackets and quotes that show the fault; names in the database are
untouched.
"""

from __future__ import annotations

LABEL_REPLACEMENTS = str.maketrans(
    {
        "（": "(",
        "）": ")",
        "［": "[",
        "］": "]",
        "｛": "{",
        "｝": "}",
        "〔": "(",
        "〕": ")",
        "【": "[",
        "】": "]",
        "「": "“",
        "」": "”",
        "『": "“",
        "』": "”",
        "‘": "'",
        "’": "'",
    }
)


def label(text: str | None) -> str | None:
    """``text`` as drawn on the map (see the module docstring); None and "" stay None."""
    return text.translate(LABEL_REPLACEMENTS) if text else None
