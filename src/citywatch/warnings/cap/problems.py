"""What is wrong with a document: one `Problem` per finding, each naming the rule that failed.

A problem keeps its message template and parameters, and is rendered in the active language when it
is shown (`Problem.message`), so a problem found by the worker reads in Chinese on a Chinese page and
in English in an English one. Rule identifiers and element names stay as they are in every language.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.utils.translation import gettext
from django.utils.translation import gettext_noop as N_

MAX_VALUE_CHARS = 80


class Level(enum.StrEnum):
    ERROR = "error"  # the document is refused
    WARNING = "warning"  # accepted; worth telling the person who imports it


# Message templates, one per finding. They are msgids of the zh-Hans catalogue: change one here and
# change it in locale/zh_Hans/LC_MESSAGES/django.po too (tests/warnings/test_cap_messages.py checks).
M = {
    # The bytes and the XML
    "size-limit": N_("The document is %(size)s bytes; the limit is %(limit)s bytes."),
    "encoding-unknown": N_(
        "The document declares the character encoding %(encoding)s, which is not accepted."
    ),
    "encoding-invalid": N_(
        "The bytes are not valid %(encoding)s (first bad byte at offset %(offset)s, line %(line)s)."
    ),
    "encoding-mismatch": N_(
        "The document starts with a %(found)s byte order mark but declares %(declared)s."
    ),
    "doctype": N_("The document has a document type declaration (<!DOCTYPE>); DTDs are not accepted."),
    "entity-declaration": N_(
        "The document declares XML entities in <!DOCTYPE>; entity expansion (such as a 'billion laughs' "
        "bomb) is not accepted."
    ),
    "external-entity": N_(
        "The document declares an external entity (SYSTEM or PUBLIC) in <!DOCTYPE>; nothing was read and "
        "the document is refused."
    ),
    "malformed-xml": N_("The document is not well-formed XML (line %(line)s, column %(column)s): %(detail)s"),
    "not-cap": N_(
        "The root element is <%(element)s> in namespace '%(namespace)s'; a CAP 1.2 document has the root "
        "<alert> in namespace urn:oasis:names:tc:emergency:cap:1.2."
    ),
    "cap-version": N_("This is a CAP %(version)s document; only CAP 1.2 is accepted."),
    "cap-version-11": N_("This is a CAP %(version)s document; only CAP 1.2 and CAP 1.1 are accepted."),
    "vertex-limit": N_("The document has %(count)s coordinate pairs; the limit is %(limit)s."),
    # The CAP 1.2 schema
    "schema-unexpected": N_("<%(element)s> is not expected here; expected: %(expected)s."),
    "schema-missing": N_("<%(element)s> is incomplete; missing: %(expected)s."),
    "schema-enumeration": N_("<%(element)s> is '%(value)s', which is not one of: %(allowed)s."),
    "schema-type": N_("<%(element)s> is '%(value)s', which is not a valid %(type)s."),
    "schema-other": N_("<%(element)s> does not follow the CAP 1.2 schema: %(detail)s"),
    "datetime-format": N_(
        "<%(element)s> is '%(value)s'; CAP 1.2 times are written like 2002-05-24T16:49:00-07:00, with "
        "seconds and an explicit offset (no 'Z', no fractions of a second; UTC is -00:00)."
    ),
    # The CAP 1.2 rules the schema cannot express
    "identifier-format": N_(
        "<identifier> '%(value)s' must not be empty or contain spaces, commas, '<' or '&'."
    ),
    "sender-format": N_("<sender> '%(value)s' must not be empty or contain spaces, commas, '<' or '&'."),
    "references-required": N_(
        "A message of type %(msg_type)s must name the message(s) it refers to in <references>."
    ),
    "references-format": N_(
        "<references> item '%(value)s' is not a sender,identifier,sent triple "
        "(e.g. sender@example.org,ID-1,2024-06-01T08:00:00+08:00)."
    ),
    "references-self": N_("<references> names this message itself ('%(value)s')."),
    "references-postdated": N_("<references> item '%(value)s' was sent after this message."),
    "restriction-required": N_(
        "<scope> is Restricted, so <restriction> must say who may receive the message."
    ),
    "restriction-unused": N_("<restriction> only applies when <scope> is Restricted (here it is %(scope)s)."),
    "addresses-required": N_("<scope> is Private, so <addresses> must list the recipients."),
    "list-quoting": N_(
        "<%(element)s> has an unbalanced double quote; items containing spaces are enclosed in double quotes."
    ),
    "polygon-format": N_("<polygon> item '%(value)s' is not a latitude,longitude pair."),
    "polygon-points": N_("<polygon> has %(count)s coordinate pairs; at least 4 are required."),
    "polygon-closed": N_(
        "<polygon> does not close: the first pair (%(first)s) differs from the last (%(last)s)."
    ),
    "polygon-self-intersection": N_("<polygon> crosses itself; its area is repaired when it is read."),
    "coordinate-separator": N_(
        "<%(element)s> has a non-standard separator in '%(value)s' (read as latitude,longitude)."
    ),
    "circle-format": N_(
        "<circle> '%(value)s' is not 'latitude,longitude radius' with the radius in kilometres "
        "(e.g. 24.48,118.09 10)."
    ),
    "coordinate-range": N_(
        "<%(element)s> has latitude %(lat)s, longitude %(lon)s; latitude must be within -90..90 and "
        "longitude within -180..180."
    ),
    "expires-before-onset": N_("<expires> (%(expires)s) is before <onset> (%(onset)s)."),
    "expires-before-effective": N_("<expires> (%(expires)s) is before <effective> (%(effective)s)."),
    "expires-before-sent": N_(
        "<expires> (%(expires)s) is before <sent> (%(sent)s), which is the effective time when "
        "<effective> is absent."
    ),
    "ceiling-without-altitude": N_("<ceiling> is given without <altitude>."),
    "altitude-above-ceiling": N_("<altitude> (%(altitude)s) is above <ceiling> (%(ceiling)s)."),
    "mime-type-format": N_("<mimeType> '%(value)s' is not a media type such as image/png (RFC 2046)."),
    "web-uri": N_("<web> '%(value)s' is not a full absolute URI."),
    "resource-uri": N_("<uri> '%(value)s' is relative, but the resource has no <derefUri>."),
    "deref-uri-base64": N_("<derefUri> is not valid base64."),
    "resource-size": N_("<size> must not be negative."),
    "utc-offset-plus": N_("<%(element)s> writes UTC as +00:00; CAP 1.2 asks for -00:00."),
    "note-for-error": N_("A message of type Error should explain the rejection in <note>."),
    "cap11-upgraded": N_("CAP 1.1 document, read under the CAP 1.2 rules."),
    "certainty-very-likely": N_("<certainty> 'Very Likely' (deprecated) was read as 'Likely'."),
    "signature-not-verified": N_("The message carries an XML signature, which is not verified."),
    # Feeds
    "feed-root": N_(
        "The document is neither an Atom 1.0 feed nor an RSS 2.0 feed; its root element is <%(element)s>."
    ),
    "atom-required": N_("<%(parent)s> must have exactly one <%(element)s> (it has %(count)s)."),
    "atom-element": N_("<%(element)s> is not an Atom 1.0 element (RFC 4287)."),
    "atom-date": N_("<%(element)s> '%(value)s' is not an RFC 3339 date-time."),
    "atom-entry-cap": N_(
        "The entry neither embeds a CAP alert nor links to one (a <link> of type application/cap+xml)."
    ),
    "entry-id-duplicate": N_("The entry id '%(value)s' is used by more than one entry."),
    "entry-limit": N_("The feed has more than %(limit)s entries."),
    "feed-link-scheme": N_("The alert link '%(value)s' is not an http or https URL."),
    "rss-version": N_("<rss> has version '%(value)s'; only RSS 2.0 is accepted."),
    "rss-required": N_("<%(parent)s> must have one <%(element)s>."),
    "rss-item-text": N_("The item has neither <title> nor <description>."),
    "rss-item-link": N_("The item has no <link> to its CAP alert."),
    "rss-item-guid": N_("The item has no <guid>; it is recognised by its link."),
    "rss-pubdate": N_("The channel has no <pubDate>."),
    "rss-date": N_("<%(element)s> '%(value)s' is not an RFC 822 date; it is ignored."),
    # Fetching
    "fetch-scheme": N_("Only http and https URLs are fetched, not '%(value)s'."),
    "fetch-host": N_("The host %(host)s cannot be resolved."),
    "fetch-address": N_(
        "The host %(host)s resolves to an internal address (%(address)s: private, loopback, link-local or "
        "reserved); it is not fetched."
    ),
    "fetch-status": N_("The server answered HTTP %(status)s for %(url)s."),
    "fetch-size": N_("The response from %(url)s is larger than %(limit)s bytes."),
    "fetch-encoding": N_(
        "The server sent a '%(encoding)s'-encoded response; only uncompressed responses are read."
    ),
    "fetch-failed": N_("Fetching %(url)s failed: %(detail)s"),
}

LOCATED = N_("%(path)s, line %(line)s: %(message)s [%(rule)s]")
UNLOCATED = N_("%(path)s: %(message)s [%(rule)s]")
BARE = N_("%(message)s [%(rule)s]")


def clip(value: object) -> object:
    """Values quoted in a message are cut short: a refusal never echoes a whole document back."""
    if isinstance(value, str) and len(value) > MAX_VALUE_CHARS:
        return value[: MAX_VALUE_CHARS - 1] + "…"
    return value


@dataclass(frozen=True)
class Problem:
    """One finding. `rule` is the stable identifier (see docs/architecture.md, "CAP in and out")."""

    rule: str
    template_key: str
    params: tuple[tuple[str, object], ...] = ()
    path: str = ""  # where: a readable path such as alert/info[2]/area/polygon[3]
    line: int | None = None
    level: Level = Level.ERROR
    detail: str = ""  # the underlying parser's own words, in English, for the technically minded

    @property
    def message(self) -> str:
        return gettext(M[self.template_key]) % dict(self.params)

    def __str__(self) -> str:
        values = {"path": self.path, "line": self.line, "message": self.message, "rule": self.rule}
        if self.path and self.line:
            return gettext(LOCATED) % values
        if self.path:
            return gettext(UNLOCATED) % values
        return gettext(BARE) % values

    def as_dict(self) -> dict[str, object]:
        """For an API error body's `details`."""
        return {
            "rule": self.rule,
            "level": str(self.level),
            "path": self.path,
            "line": self.line,
            "message": self.message,
        }


def problem(
    rule: str,
    template_key: str | None = None,
    *,
    path: str = "",
    lineno: int | None = None,
    level: Level = Level.ERROR,
    raw: str = "",
    **params: object,
) -> Problem:
    """A finding of `rule`, worded by template `template_key` (default: the rule's own) with `params`.

    `path` and `lineno` locate it; `raw` keeps an underlying parser's own message."""
    key = template_key or rule
    if key not in M:
        raise KeyError(f"no message template {key!r}")
    return Problem(
        rule=rule,
        template_key=key,
        params=tuple((name, clip(value)) for name, value in params.items()),
        path=path,
        line=lineno,
        level=level,
        detail=str(clip(raw)) if raw else "",
    )


def only_errors(problems: Iterable[Problem]) -> tuple[Problem, ...]:
    return tuple(p for p in problems if p.level is Level.ERROR)


def only_warnings(problems: Iterable[Problem]) -> tuple[Problem, ...]:
    return tuple(p for p in problems if p.level is Level.WARNING)


class CapError(ValueError):
    """Base of every refusal; `problems` says what failed, each with its rule."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__("; ".join(str(p) for p in self.problems))

    @property
    def rules(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(p.rule for p in self.problems if p.level is Level.ERROR))

    def details(self) -> list[Mapping[str, object]]:
        return [p.as_dict() for p in self.problems]


class CapRefused(CapError):
    """A CAP document was refused (unsafe, not XML, not CAP 1.2, or breaking a CAP 1.2 rule)."""


class CapWriteError(CapError):
    """An `Alert` could not be written as valid CAP 1.2 (the model breaks a CAP rule)."""


class FeedRefused(CapError):
    """An Atom or RSS feed was refused."""


class FetchFailed(CapError):
    """A feed or alert could not be fetched."""
