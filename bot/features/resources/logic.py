"""Pure rules: the tally and its tie-break, tags, library filters and the export files."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from dateutil.relativedelta import relativedelta

from bot.features.resources.records import RatingSummary, Resource
from bot.features.resources.urls import link_label

MAX_CANDIDATES = 10
CANDIDATE_MONTHS = 6  # suggestions are carried over from month to month until this old
MAX_TAGS = 10
MAX_TAG_LENGTH = 40
PAGE_SIZE = 10


def candidate_cutoff(now: datetime) -> datetime:
    return now - relativedelta(months=CANDIDATE_MONTHS)


def winner(candidates: Sequence[Resource], counts: Mapping[int, int]) -> Resource | None:
    """Most votes wins; a tie goes to the candidate suggested earlier. None if nobody voted."""
    voted = [r for r in candidates if counts.get(r.id, 0) > 0]
    if not voted:
        return None
    return min(voted, key=lambda r: (-counts.get(r.id, 0), r.created_at, r.id))


def clean_tags(values: Sequence[str]) -> tuple[str, ...]:
    """Tags as typed (whitespace collapsed), without case-insensitive repeats.

    Raises ValueError("count") or ValueError("length") when over the limits.
    """
    tags: list[str] = []
    seen: set[str] = set()
    for value in values:
        tag = " ".join(value.split())
        if not tag or tag.lower() in seen:
            continue
        if len(tag) > MAX_TAG_LENGTH:
            raise ValueError("length")
        seen.add(tag.lower())
        tags.append(tag)
    if len(tags) > MAX_TAGS:
        raise ValueError("count")
    return tuple(tags)


def merge_tags(old: Sequence[str], new: Sequence[str]) -> tuple[str, ...]:
    merged = list(old)
    lowered = {t.lower() for t in old}
    for tag in new:
        if tag.lower() not in lowered and len(merged) < MAX_TAGS:
            merged.append(tag)
            lowered.add(tag.lower())
    return tuple(merged)


def matches(resource: Resource, tag: str | None, q: str | None, whys: Sequence[str] = ()) -> bool:
    if tag and " ".join(tag.split()).lower() not in {t.lower() for t in resource.tags}:
        return False
    if q:
        haystack = " ".join(
            [resource.title, resource.url, resource.why or "", *resource.tags, *whys]
        ).lower()
        if not all(word in haystack for word in q.lower().split()):
            return False
    return True


@dataclass(frozen=True)
class Page:
    items: tuple[Resource, ...]
    page: int
    pages: int
    total: int


def paginate(items: Sequence[Resource], page: int, size: int = PAGE_SIZE) -> Page:
    pages = max(1, -(-len(items) // size))
    page = min(max(page, 1), pages)
    start = (page - 1) * size
    return Page(tuple(items[start : start + size]), page, pages, len(items))


# ---------------------------------------------------------------- export

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~])")


def md_escape(text: str) -> str:
    """User text in Markdown: every markup character backslash-escaped, lines joined."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def md_url(url: str) -> str:
    """A link target that cannot close the Markdown link early."""
    return url.replace("(", "%28").replace(")", "%29").replace(" ", "%20").replace("<", "%3C")


def csv_cell(text: str) -> str:
    """Neutralise spreadsheet formulas (=, +, -, @ at the start of a cell)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@dataclass(frozen=True)
class ExportRow:
    resource: Resource
    meeting_date: str  # already formatted in the community's timezone
    meeting_title: str
    rating: RatingSummary | None


def export_markdown(community: str, rows: Sequence[ExportRow], generated: str) -> str:
    lines = [
        f"# {md_escape(community)}: resource library",
        "",
        f"Resources the group picked and discussed, newest first ({len(rows)}; {generated}).",
        "",
    ]
    for row in rows:
        r = row.resource
        lines.append(f"## [{md_escape(link_label(r.title, r.url))}]({md_url(r.url)})")
        lines.append("")
        meta = [f"Discussed {row.meeting_date}"]
        if row.meeting_title:
            meta[0] += f" at {md_escape(row.meeting_title)}"
        if row.rating is not None and row.rating.count:
            meta.append(f"rated {row.rating.average:.1f}/5 by {row.rating.count}")
        if r.tags:
            meta.append("tags: " + ", ".join(md_escape(t) for t in r.tags))
        lines.append(" · ".join(meta))
        if r.why:
            lines += ["", f"> {md_escape(r.why)}"]
        lines.append("")
    return "\n".join(lines)


def export_csv(rows: Sequence[ExportRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ["id", "title", "url", "why", "tags", "meeting_date", "meeting", "rating", "ratings"]
    )
    for row in rows:
        r = row.resource
        rated = row.rating is not None and row.rating.count > 0
        writer.writerow(
            [
                r.id,
                csv_cell(r.title),
                csv_cell(r.url),
                csv_cell(r.why or ""),
                csv_cell(", ".join(r.tags)),
                row.meeting_date,
                csv_cell(row.meeting_title),
                f"{row.rating.average:.1f}" if rated and row.rating else "",
                row.rating.count if row.rating else 0,
            ]
        )
    return out.getvalue()
