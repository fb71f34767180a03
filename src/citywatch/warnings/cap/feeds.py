"""CAP feeds: reading Atom 1.0 and RSS 2.0 alert feeds, and writing CityWatch's Atom feed.

A feed lists alerts. An "index" (thin) feed links each entry to its CAP document; a "fat" feed embeds
the CAP `alert` in the entry. `read_feed` parses a feed as safely as a CAP document (same size limit,
same refusal of DTDs and entities), bounds the number of entries, checks what RFC 4287 (Atom) and RSS
2.0 require of a feed and its entries, and finds each entry's CAP: the `<link>` of type
application/cap+xml (else, as many real feeds do, an untyped or XML-typed link), an out-of-line
`<content src>` of that type, or an embedded `alert` (returned as bytes, to give to `read_alert`).

Writing follows the CAP feed convention: one Atom entry per alert in force, whose id is the alert's
URL, with `<link rel="alternate" type="application/cap+xml" href=".../cap/alerts/<identifier>.xml">`,
the headline as title, the sent time as `updated`/`published`, and the sender as author.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import quote, urljoin, urlsplit

from lxml import etree

from citywatch.warnings.cap.model import CAP10_NS, CAP11_NS, CAP12_NS, CAP_MIME_TYPE, Alert, Info
from citywatch.warnings.cap.problems import FeedRefused, Level, Problem, only_errors, only_warnings, problem
from citywatch.warnings.cap.safexml import (
    DEFAULT_MAX_BYTES,
    element_path,
    local_name,
    namespace_of,
    parse_document,
)

ATOM_NS = "http://www.w3.org/2005/Atom"
ATOM_MIME_TYPE = "application/atom+xml"
DEFAULT_MAX_ENTRIES = 1000
MAX_PROBLEMS = 100
ATOM_COMMON = ("author", "category", "contributor", "id", "link", "rights", "title", "updated")
FEED_CHILDREN = frozenset((*ATOM_COMMON, "entry", "generator", "icon", "logo", "subtitle"))
ENTRY_CHILDREN = frozenset((*ATOM_COMMON, "content", "published", "source", "summary"))
CAP_NAMESPACES = (CAP12_NS, CAP11_NS, CAP10_NS)
RFC3339 = re.compile(r"^(\d{4}-\d\d-\d\d[Tt]\d\d:\d\d:\d\d)(\.\d+)?([Zz]|[+-]\d\d:\d\d)$")
ALERT_PATH_SAFE = "-._~:@!$'()*+;="


@dataclass(frozen=True, kw_only=True)
class FeedEntry:
    entry_id: str | None  # Atom <id> or RSS <guid>
    title: str | None
    updated: datetime | None  # Atom <updated> or RSS <pubDate>
    alert_url: str | None  # absolute http(s) URL of the CAP document, when linked
    identifier: str | None  # the CAP identifier, when the feed states it (embedded alert, cap:identifier)
    embedded_alert: bytes | None  # the embedded CAP alert element, serialized, for read_alert
    line: int | None = None


@dataclass(frozen=True, kw_only=True)
class Feed:
    format: str  # "atom" or "rss"
    feed_id: str | None
    title: str | None
    updated: datetime | None
    entries: tuple[FeedEntry, ...]
    warnings: tuple[Problem, ...] = ()


def _text(element: etree._Element | None) -> str:
    return "".join(element.itertext()).strip() if element is not None else ""


def _at(element: etree._Element) -> dict[str, object]:
    return {"path": element_path(element), "lineno": element.sourceline}


def parse_rfc3339(value: str) -> datetime:
    match = RFC3339.match(value.strip())
    if not match:
        raise ValueError(f"not an RFC 3339 date-time: {value!r}")
    base, fraction, zone = match.groups()
    fraction = (fraction or "")[:7]  # datetime keeps microseconds
    zone = "+00:00" if zone in ("Z", "z") else zone
    return datetime.fromisoformat(f"{base.upper()}{fraction}{zone}")


def _cap_child(element: etree._Element) -> etree._Element | None:
    for child in element.iter():
        if local_name(child.tag) == "alert" and namespace_of(child.tag) in CAP_NAMESPACES:
            return child
    return None


def _cap_identifier(alert: etree._Element | None, entry: etree._Element) -> str | None:
    for source in (alert, entry):
        if source is None:
            continue
        for child in source:
            if local_name(child.tag) == "identifier" and namespace_of(child.tag) in CAP_NAMESPACES:
                return _text(child) or None
    return None


def _entry(element, entry_id, title, updated, url, alert) -> FeedEntry:
    return FeedEntry(
        entry_id=entry_id,
        title=title or None,
        updated=updated,
        alert_url=url,
        identifier=_cap_identifier(alert, element),
        embedded_alert=etree.tostring(alert) if alert is not None else None,
        line=element.sourceline,
    )


def _resolve(element: etree._Element, href: str, base_url: str | None) -> str:
    base = urljoin(base_url or "", element.base or "") if element.base else (base_url or "")
    return urljoin(base, href.strip())


def _http(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _atom_cap_link(entry: etree._Element) -> etree._Element | None:
    links = entry.findall(f"{{{ATOM_NS}}}link")
    for link in links:
        if (link.get("type") or "").split(";")[0].strip().lower() == CAP_MIME_TYPE and link.get("href"):
            return link
    for link in links:
        kind = (link.get("type") or "").lower()
        rel = link.get("rel") or "alternate"
        if link.get("href") and rel in ("alternate", "related") and (not kind or "xml" in kind):
            return link
    return None


def _required(parent: etree._Element, parent_name: str, names: Iterable[str], found: list[Problem]) -> None:
    for name in names:
        count = len(parent.findall(f"{{{ATOM_NS}}}{name}"))
        if count != 1:
            found.append(
                problem("atom-required", parent=parent_name, element=name, count=count, **_at(parent))
            )


def _atom_updated(parent: etree._Element, found: list[Problem]) -> datetime | None:
    element = parent.find(f"{{{ATOM_NS}}}updated")
    if element is None:
        return None
    try:
        return parse_rfc3339(_text(element))
    except ValueError:
        found.append(problem("atom-date", element="updated", value=_text(element), **_at(element)))
        return None


def _unknown_atom_children(parent: etree._Element, allowed: frozenset[str], found: list[Problem]) -> None:
    for child in parent:
        if namespace_of(child.tag) == ATOM_NS and local_name(child.tag) not in allowed:
            found.append(problem("atom-element", element=local_name(child.tag), **_at(child)))


def _read_atom(root: etree._Element, base_url: str | None, max_entries: int) -> tuple[Feed, list[Problem]]:
    found: list[Problem] = []
    entries_xml = root.findall(f"{{{ATOM_NS}}}entry")
    if len(entries_xml) > max_entries:
        raise FeedRefused([problem("entry-limit", limit=max_entries, **_at(root))])
    _required(root, "feed", ("id", "title", "updated"), found)
    _unknown_atom_children(root, FEED_CHILDREN, found)
    updated = _atom_updated(root, found)
    entries = []
    seen_ids: set[str] = set()
    for element in entries_xml:
        _required(element, "entry", ("id", "title", "updated"), found)
        _unknown_atom_children(element, ENTRY_CHILDREN, found)
        entry_id = _text(element.find(f"{{{ATOM_NS}}}id")) or None
        if entry_id is not None:
            if entry_id in seen_ids:
                found.append(problem("entry-id-duplicate", value=entry_id, **_at(element)))
            seen_ids.add(entry_id)
        content = element.find(f"{{{ATOM_NS}}}content")
        alert = _cap_child(content) if content is not None else None
        url = None
        link = _atom_cap_link(element)
        if link is not None:
            url = _resolve(link, link.get("href", ""), base_url)
        elif (
            content is not None
            and content.get("src")
            and CAP_MIME_TYPE in (content.get("type") or "").lower()
        ):
            url = _resolve(content, content.get("src", ""), base_url)
        if url is not None and not _http(url):
            found.append(problem("feed-link-scheme", value=url, **_at(element)))
        elif alert is None and url is None:
            found.append(problem("atom-entry-cap", **_at(element)))
        url = url if url is not None and _http(url) else None
        title = _text(element.find(f"{{{ATOM_NS}}}title"))
        entries.append(_entry(element, entry_id, title, _atom_updated(element, found), url, alert))
    feed = Feed(
        format="atom",
        feed_id=_text(root.find(f"{{{ATOM_NS}}}id")) or None,
        title=_text(root.find(f"{{{ATOM_NS}}}title")) or None,
        updated=updated,
        entries=tuple(entries),
    )
    return feed, found


def _rss_date(element: etree._Element | None, found: list[Problem]) -> datetime | None:
    if element is None:
        return None
    try:
        value = parsedate_to_datetime(_text(element))
    except (TypeError, ValueError, IndexError):
        found.append(
            problem("rss-date", level=Level.WARNING, element="pubDate", value=_text(element), **_at(element))
        )
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _read_rss(root: etree._Element, base_url: str | None, max_entries: int) -> tuple[Feed, list[Problem]]:
    found: list[Problem] = []
    if root.get("version") != "2.0":
        raise FeedRefused([problem("rss-version", value=root.get("version") or "", **_at(root))])
    channels = root.findall("channel")
    if len(channels) != 1:
        raise FeedRefused([problem("rss-required", parent="rss", element="channel", **_at(root))])
    channel = channels[0]
    items = channel.findall("item")
    if len(items) > max_entries:
        raise FeedRefused([problem("entry-limit", limit=max_entries, **_at(channel))])
    for name in ("title", "link", "description"):
        if channel.find(name) is None:
            found.append(problem("rss-required", parent="channel", element=name, **_at(channel)))
    if channel.find("pubDate") is None:
        found.append(problem("rss-pubdate", level=Level.WARNING, **_at(channel)))
    updated = _rss_date(channel.find("pubDate"), found)
    entries = []
    seen_ids: set[str] = set()
    for item in items:
        where = _at(item)
        title, description = _text(item.find("title")), _text(item.find("description"))
        if not title and not description:
            found.append(problem("rss-item-text", **where))
        alert = _cap_child(item)
        url = None
        link = _text(item.find("link"))
        enclosure = next((e for e in item.findall("enclosure") if e.get("type") == CAP_MIME_TYPE), None)
        if link:
            url = _resolve(item, link, base_url)
        elif enclosure is not None and enclosure.get("url"):
            url = _resolve(item, enclosure.get("url", ""), base_url)
        if url is not None and not _http(url):
            found.append(problem("feed-link-scheme", value=url, **where))
        elif url is None and alert is None:
            found.append(problem("rss-item-link", **where))
        url = url if url is not None and _http(url) else None
        guid = _text(item.find("guid")) or None
        if guid is None:
            found.append(problem("rss-item-guid", level=Level.WARNING, **where))
        elif guid in seen_ids:
            found.append(problem("entry-id-duplicate", value=guid, **where))
        else:
            seen_ids.add(guid)
        entries.append(_entry(item, guid, title, _rss_date(item.find("pubDate"), found), url, alert))
    feed = Feed(
        format="rss",
        feed_id=None,
        title=_text(channel.find("title")) or None,
        updated=updated,
        entries=tuple(entries),
    )
    return feed, found


def read_feed(
    data: bytes,
    *,
    base_url: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_entries: int = DEFAULT_MAX_ENTRIES,
) -> Feed:
    """The entries of an Atom 1.0 or RSS 2.0 alert feed; raises FeedRefused with every problem.

    `base_url` (the feed's own URL) resolves relative links."""
    root = parse_document(data, max_bytes=max_bytes, refusal=FeedRefused)
    if root.tag == f"{{{ATOM_NS}}}feed":
        feed, found = _read_atom(root, base_url, max_entries)
    elif root.tag == "rss":
        feed, found = _read_rss(root, base_url, max_entries)
    else:
        raise FeedRefused(
            [problem("feed-root", element=local_name(root.tag), path=local_name(root.tag), lineno=1)]
        )
    if only_errors(found):
        raise FeedRefused(found[:MAX_PROBLEMS])
    return Feed(
        format=feed.format,
        feed_id=feed.feed_id,
        title=feed.title,
        updated=feed.updated,
        entries=feed.entries,
        warnings=only_warnings(found)[:MAX_PROBLEMS],
    )


# --- writing ---------------------------------------------------------------------------------------


def alert_path(identifier: str) -> str:
    """The path of an alert's CAP document: /cap/alerts/<identifier>.xml, the identifier %-encoded."""
    return f"/cap/alerts/{quote(identifier, safe=ALERT_PATH_SAFE)}.xml"


def _atom_time(value: datetime) -> str:
    if value.utcoffset() is None:
        raise ValueError("feed times must be aware datetimes")
    return value.replace(microsecond=0).isoformat()


def _preferred_info(alert: Alert, language: str) -> Info | None:
    return next(iter(alert.infos_in(language)), None) or next(iter(alert.infos), None)


def write_atom_feed(
    alerts: Iterable[Alert],
    *,
    feed_url: str,
    title: str,
    site_url: str | None = None,
    alert_url: Callable[[Alert], str] | None = None,
    updated: datetime | None = None,
    author: str = "CityWatch",
    language: str = "zh-CN",
    subtitle: str | None = None,
) -> bytes:
    """An Atom feed of the given alerts (pass those in force), newest first.

    Each entry links to `alert_url(alert)`, by default `site_url` (or `feed_url`) joined with
    `alert_path(alert.identifier)`. Titles and summaries come from the info in `language` (else the
    first). `updated` defaults to the newest alert's sent time, or now when there is none."""
    alerts = sorted(alerts, key=lambda a: a.sent, reverse=True)
    if updated is None:
        updated = alerts[0].sent if alerts else datetime.now(UTC)
    atom = f"{{{ATOM_NS}}}"
    root = etree.Element(f"{atom}feed", nsmap={None: ATOM_NS})
    root.set("{http://www.w3.org/XML/1998/namespace}lang", language)
    etree.SubElement(root, f"{atom}id").text = feed_url
    etree.SubElement(root, f"{atom}title").text = title
    if subtitle:
        etree.SubElement(root, f"{atom}subtitle").text = subtitle
    etree.SubElement(root, f"{atom}updated").text = _atom_time(updated)
    etree.SubElement(etree.SubElement(root, f"{atom}author"), f"{atom}name").text = author
    etree.SubElement(root, f"{atom}link", rel="self", type=ATOM_MIME_TYPE, href=feed_url)
    etree.SubElement(root, f"{atom}generator").text = "CityWatch"
    for alert in alerts:
        url = alert_url(alert) if alert_url else urljoin(site_url or feed_url, alert_path(alert.identifier))
        info = _preferred_info(alert, language)
        entry = etree.SubElement(root, f"{atom}entry")
        etree.SubElement(entry, f"{atom}id").text = url
        heading = (info.headline or info.event) if info else None
        etree.SubElement(entry, f"{atom}title").text = heading or alert.identifier
        etree.SubElement(entry, f"{atom}updated").text = _atom_time(alert.sent)
        etree.SubElement(entry, f"{atom}published").text = _atom_time(alert.sent)
        name = (info.sender_name if info else None) or alert.sender
        etree.SubElement(etree.SubElement(entry, f"{atom}author"), f"{atom}name").text = name
        etree.SubElement(entry, f"{atom}link", rel="alternate", type=CAP_MIME_TYPE, href=url)
        if info is not None:
            for category in info.categories:
                etree.SubElement(entry, f"{atom}category", term=str(category))
            if info.description or info.headline:
                etree.SubElement(entry, f"{atom}summary").text = info.description or info.headline
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
