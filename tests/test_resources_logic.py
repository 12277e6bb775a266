"""Resource of the month: the pure rules (addresses, tie-break, tags, export, titles)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from bot.features.resources.logic import (
    ExportRow,
    clean_tags,
    export_csv,
    export_markdown,
    matches,
    merge_tags,
    paginate,
    winner,
)
from bot.features.resources.records import RatingSummary, Resource
from bot.features.resources.title_lookup import parse_title, tidy_title
from bot.features.resources.urls import BadUrl, clean_url, fallback_title, url_key

T0 = datetime(2027, 1, 1, tzinfo=UTC)


def res(rid: int, title: str = "T", days: int = 0, **kw: object) -> Resource:
    values: dict[str, object] = {
        "id": rid,
        "community_id": 1,
        "url": f"https://example.org/{rid}",
        "url_key": f"example.org/{rid}",
        "title": title,
        "title_given": True,
        "why": None,
        "tags": (),
        "suggested_by": None,
        "created_at": T0 + timedelta(days=days),
        "picked_meeting_id": None,
        "picked_at": None,
        "meeting_at": None,
        "pick_mode": None,
    }
    values.update(kw)
    return Resource(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "variant",
    [
        "https://example.org/report",
        "HTTPS://Example.ORG/report/",
        "https://example.org:443/report#section-2",
        "https://example.org/report?utm_source=news&utm_medium=email",
        "https://example.org/report/?fbclid=abc&gclid=x&mc_cid=1&mc_eid=2&ref=twitter",
        "http://example.org:80/report",
    ],
)
def test_variants_of_one_address_compare_equal(variant: str) -> None:
    assert url_key(variant) == url_key("https://example.org/report")


def test_query_order_does_not_matter_but_real_parameters_do() -> None:
    assert url_key("https://a.org/p?b=2&a=1") == url_key("https://a.org/p?a=1&b=2")
    assert url_key("https://a.org/p?id=1") != url_key("https://a.org/p?id=2")
    assert url_key("https://a.org/Report") != url_key(
        "https://a.org/report"
    )  # paths are case-sensitive


def test_clean_url_keeps_what_matters_and_quotes_markup_characters() -> None:
    assert clean_url("HTTPS://Example.ORG:443/r?utm_campaign=x&page=2#top") == (
        "https://example.org/r?page=2#top"
    )
    cleaned = clean_url("https://a.org/x>y|z<w (1)")
    assert not set("<>| ()") & set(cleaned)
    assert clean_url("https://example.org:8443/") == "https://example.org:8443/"


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("javascript:alert(1)", "scheme"),
        ("data:text/html,<script>x</script>", "scheme"),
        ("file:///etc/passwd", "scheme"),
        ("ftp://example.org/x", "scheme"),
        ("not a url", "unparsable"),
        ("https://", "unparsable"),
        ("https://example.org:99999/", "unparsable"),
        ("https://good.org@evil.net/", "userinfo"),
        ("https://example.org/" + "a" * 2100, "too_long"),
    ],
)
def test_addresses_that_are_refused(url: str, reason: str) -> None:
    with pytest.raises(BadUrl) as err:
        clean_url(url)
    assert err.value.reason == reason


def test_fallback_title_is_host_and_path() -> None:
    assert fallback_title("https://www.example.org/reports/spv-guide/") == (
        "example.org/reports/spv-guide"
    )
    assert fallback_title("https://example.org/") == "example.org"


def test_most_votes_win_and_ties_go_to_the_earlier_suggestion() -> None:
    older, newer, other = res(1, days=0), res(2, days=5), res(3, days=1)
    assert winner([newer, older, other], {1: 2, 2: 3, 3: 1}) == newer
    assert winner([newer, older, other], {1: 2, 2: 2, 3: 1}) == older
    assert winner([newer, older], {}) is None


def test_tags_are_deduplicated_and_limited() -> None:
    assert clean_tags(["Payment rules", " payment  rules", "evaluation"]) == (
        "Payment rules",
        "evaluation",
    )
    with pytest.raises(ValueError, match="count"):
        clean_tags([f"t{i}" for i in range(11)])
    with pytest.raises(ValueError, match="length"):
        clean_tags(["x" * 41])
    assert merge_tags(("a", "B"), ("b", "c")) == ("a", "B", "c")


def test_library_filters_by_tag_and_words() -> None:
    r = res(1, "Outcomes funds guide", tags=("SIB", "evaluation"), why="Explains rate cards")
    assert matches(r, "sib", None)
    assert not matches(r, "procurement", None)
    assert matches(r, None, "rate guide")
    assert not matches(r, None, "guide banana")
    assert matches(res(2, "x"), None, "extra", whys=["an extra reason"])


def test_pages_are_clamped() -> None:
    items = [res(i) for i in range(1, 24)]
    page = paginate(items, 3)
    assert (page.page, page.pages, page.total, len(page.items)) == (3, 3, 23, 3)
    assert paginate(items, 99).page == 3
    assert paginate([], 1).pages == 1


def test_markdown_export_escapes_user_text_and_links() -> None:
    r = res(
        1,
        "[click](javascript:alert(1)) **bold**",
        why="<b>x</b> @everyone",
        tags=("a_b",),
        url="https://a.org/%28x%29",
    )
    md = export_markdown("Club *North*", [ExportRow(r, "2027-02-01", "Café", None)], "today")
    assert "\\[click\\]\\(javascript:alert\\(1\\)\\) \\*\\*bold\\*\\*" in md
    assert "](https://a.org/%28x%29)" in md
    assert "\\<b\\>x\\</b\\>" in md
    assert "Club \\*North\\*" in md


def test_csv_export_neutralises_formulas() -> None:
    r = res(1, '=HYPERLINK("http://evil")', why="+1 useful", tags=("x",))
    table = export_csv([ExportRow(r, "2027-02-01", "Café", RatingSummary(4.5, 2))])
    rows = list(csv.reader(io.StringIO(table)))
    assert rows[0][:3] == ["id", "title", "url"]
    assert rows[1][1].startswith("'=") and rows[1][3].startswith("'+")
    assert rows[1][7:] == ["4.5", "2"]


def test_title_parsing() -> None:
    assert parse_title("<html><head><title> A &amp; B\n report </title></head>") == "A & B report"
    assert parse_title("<svg><title>icon</title></svg><title>Real</title>") == "Real"
    assert parse_title("<p>no title</p>") is None
    assert parse_title("<title></title>") is None
    long = tidy_title("x" * 300)
    assert long is not None and len(long) == 200 and long.endswith("…")
