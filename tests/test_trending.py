"""The trending ranking: growth not totals, the new-paper boost, fallback, reasons, movement."""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from generator.commands.cli import main
from generator.core.entries import Collection, Paper, PartialDate, Taxonomy, load_collection
from generator.core.files import iter_entry_files
from generator.core.metrics import History, load_history
from generator.core.trending import (
    BOOST_DAYS,
    SIGNALS,
    WINDOWS,
    boost,
    growth,
    rank,
    rankings_json,
)

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "metrics-30d.json"
FIXTURE_TODAY = dt.date(2026, 12, 27)
T = dt.date(2026, 12, 20)


def d(n: int) -> dt.date:
    return T + dt.timedelta(days=n)


def paper(pid: str, added: dt.date = dt.date(2026, 1, 1), published: str = "2024-05",
          aliases: tuple[str, ...] = ()) -> Paper:
    return Paper(id=pid, source=f"papers/{pid}.yaml", title=pid.title(), abstract="",
                 category="c", tags=(), added=added, published=PartialDate.parse(published),
                 arxiv="2401.00001", aliases=aliases)


def coll(*papers: Paper) -> Collection:
    return Collection(tuple(sorted(papers, key=lambda p: p.id)), Taxonomy((), ()))


def hist(series: dict[str, dict[str, list[tuple[int, int]]]]) -> History:
    """{paper: {signal: [(day offset, value), ...]}} -> History."""
    days: dict[dt.date, dict[str, dict[str, int]]] = {}
    for pid, signals in series.items():
        for signal, points in signals.items():
            for offset, value in points:
                days.setdefault(d(offset), {}).setdefault(pid, {})[signal] = value
    return History(days)


def ids(ranking) -> list[str]:
    return [r.paper_id for r in ranking.rows]


# --- growth -------------------------------------------------------------------------------

@pytest.mark.parametrize(("points", "days", "expected"), [
    ([(-7, 10), (0, 16)], 7, 6),  # baseline exactly at the window start
    ([(-9, 10), (-3, 13), (0, 16)], 7, 5),  # base before the window: 6 in 9 days, scaled to 7
    ([(-14, 10), (0, 24)], 7, 7),  # a 14-day gap: only 7 days' worth counts
    ([(-2, 100), (0, 103)], 7, 3),  # history starts inside the window: total never counts
    ([(0, 5000)], 7, 0),  # one value: no growth
    ([(-7, 10), (0, 8)], 7, 0),  # a correction downwards is no growth
    ([(-30, 1), (-8, 9)], 7, 0),  # nothing inside the window
    ([(-1, 4), (0, 6)], 1, 2),
    ([(-7, 10), (-2, 15)], 7, 5),  # newest value a few days old still counts
])
def test_growth(points: list[tuple[int, int]], days: int, expected: int) -> None:
    assert growth([(d(o), v) for o, v in points], T, days) == expected


# --- ranking properties ----------------------------------------------------------------------

@given(st.integers(0, 500), st.integers(0, 500), st.sampled_from(sorted(SIGNALS)),
       st.sampled_from(sorted(WINDOWS)))
def test_more_growth_ranks_higher_all_else_equal(a: int, b: int, signal: str,
                                                 window: str) -> None:
    days = WINDOWS[window]
    h = hist({"a": {signal: [(-days, 100), (0, 100 + a)]},
              "b": {signal: [(-days, 100), (0, 100 + b)]},
              "c": {"citations": [(-days, 1), (0, 2)]}})  # so there is growth somewhere
    r = rank(coll(paper("a"), paper("b"), paper("c")), h, T, window)
    pos = {row.paper_id: row.rank for row in r.rows}
    if a > b:
        assert pos["a"] < pos.get("b", 99)
    elif b > a:
        assert pos["b"] < pos.get("a", 99)


def test_totals_without_growth_do_not_trend() -> None:
    h = hist({"classic": {"citations": [(-10, 10000), (-5, 10000), (0, 10000)],
                          "github_stars": [(-10, 90000), (0, 90000)]},
              "fresh": {"citations": [(-7, 3), (0, 5)]}})
    r = rank(coll(paper("classic"), paper("fresh")), h, T, "week")
    assert not r.fallback
    assert ids(r) == ["fresh"]
    assert r.rows[0].reasons == ("+2 citations this week",)


def test_new_papers_get_a_visible_decaying_boost() -> None:
    ages = [0, 1, 3, 7, 14, 27, 28, 40]
    values = [boost(paper("p", added=T - dt.timedelta(days=a)), T, 7) for a in ages]
    assert values == sorted(values, reverse=True) and values[0] == 21.0
    assert values[ages.index(7)] == pytest.approx(10.5)  # half-life of a week
    assert values[ages.index(BOOST_DAYS)] == 0 and values[-1] == 0
    # Same growth: the paper added more recently ranks higher, and says why.
    h = hist({p: {"citations": [(-7, 1), (0, 3)]} for p in ("newer", "older", "oldest")})
    r = rank(coll(paper("newer", added=d(-2)), paper("older", added=d(-10)),
                  paper("oldest", added=dt.date(2025, 1, 1))), h, T, "week")
    assert ids(r) == ["newer", "older", "oldest"]
    assert r.rows[0].reasons == ("+2 citations this week", "added 2 days ago")
    assert r.rows[0].summary == "+2 citations this week; added 2 days ago"
    assert r.rows[2].reasons == ("+2 citations this week",)
    assert r.rows[0].score > r.rows[1].score > r.rows[2].score == 10.0


def test_reasons_in_words_ordered_by_weight() -> None:
    h = hist({"p": {"github_stars": [(-7, 100), (0, 141)], "citations": [(-7, 10), (0, 16)],
                    "influential_citations": [(-7, 1), (0, 3)],
                    "hf_upvotes": [(-7, 0), (0, 1)]}})
    (row,) = rank(coll(paper("p")), h, T, "week").rows
    assert row.reasons == ("+41 GitHub stars", "+6 citations (2 influential)",
                           "+1 Hugging Face upvote this week")
    assert row.score == 41 * 1 + 6 * 5 + 2 * 5 + 1 * 3
    assert dict(row.growth) == {"github_stars": 41, "citations": 6,
                                "influential_citations": 2, "hf_upvotes": 1}


def test_ties_break_by_added_then_published_then_id() -> None:
    same = {"citations": [(-7, 0), (0, 1)]}
    papers = [paper("b-late", published="2025-01"), paper("a-late", published="2025-01"),
              paper("early", published="2020"), paper("recent", added=dt.date(2026, 2, 1))]
    h = hist({p.id: same for p in papers})
    expected = ["recent", "a-late", "b-late", "early"]
    for seed in range(5):  # the input order never matters
        random.Random(seed).shuffle(papers)
        r = rank(Collection(tuple(papers), Taxonomy((), ())), h, T, "week")
        assert ids(r) == expected


def test_movement_since_the_previous_day() -> None:
    h = hist({"anchor": {"citations": [(-8, 0), (-1, 100), (0, 100)]},
              "steady": {"citations": [(-8, 0), (-1, 10), (0, 10)]},
              "riser": {"citations": [(-8, 0), (-1, 1), (0, 12)]},
              "faller": {"citations": [(-8, 0), (-1, 5), (0, 5)]},
              "newcomer": {"citations": [(-1, 0), (0, 1)]}})
    r = rank(coll(paper("anchor"), paper("steady"), paper("riser"), paper("faller"),
                  paper("newcomer", added=T)), h, T, "week")
    # Yesterday: anchor 500, steady 50, faller 25, riser 5 (newcomer not on the list yet).
    # Today: anchor 500, riser 60, steady 50, newcomer 5 + 21 boost, faller 25.
    assert [(row.paper_id, row.movement) for row in r.rows] == [
        ("anchor", "same"), ("riser", "up 2"), ("steady", "down 1"), ("newcomer", "new"),
        ("faller", "down 2")]
    assert r.rows[3].reasons == ("+1 citation this week", "added today")


def test_aliases_carry_history_across_a_rename() -> None:
    h = hist({"old-name": {"citations": [(-7, 1)]}, "new-name": {"citations": [(0, 9)]}})
    r = rank(coll(paper("new-name", aliases=("old-name",))), h, T, "week")
    assert r.rows[0].reasons == ("+8 citations this week",)


def test_limit_and_unknown_window() -> None:
    h = hist({p: {"citations": [(-7, 0), (0, i + 1)]} for i, p in enumerate("abcde")})
    r = rank(coll(*[paper(p) for p in "abcde"]), h, T, "week", limit=2)
    assert ids(r) == ["e", "d"] and [row.rank for row in r.rows] == [1, 2]
    with pytest.raises(ValueError, match="unknown window 'year'"):
        rank(coll(), h, T, "year")


# --- fallback -------------------------------------------------------------------------------

def test_fallback_with_no_history_lists_the_newest_by_publication_and_says_so() -> None:
    papers = coll(paper("old", added=d(-1), published="2019"),
                  paper("new-b", added=d(-2), published="2024-03"),
                  paper("new-a", added=d(-2), published="2024-03-05"),
                  paper("newest", added=dt.date(2026, 1, 1), published="2025-01"),
                  paper("future", added=d(3)))
    r = rank(papers, History(), T, "week")
    assert r.fallback and r.data_date is None
    assert r.explanation == ("No popularity data yet: showing the newest papers by "
                             "publication date instead of a ranking.")
    # By publication date, not by date added ("old" joined the list yesterday); a month
    # ("2024-03") sorts by its first day; not yet added papers are left out.
    assert ids(r) == ["newest", "new-a", "new-b", "old"]
    assert [row.reasons for row in r.rows] == [
        ("published January 2025",), ("published 5 March 2024",), ("published March 2024",),
        ("published 2019",)]
    assert not any("added" in reason for row in r.rows for reason in row.reasons)
    assert all(row.score == 0 for row in r.rows)
    assert [row.movement for row in r.rows] == ["same"] * 4


def test_fallback_ties_on_publication_go_to_the_newer_addition_then_id() -> None:
    papers = coll(paper("b", added=d(-5), published="2024"), paper("a", added=d(-5),
                                                                   published="2024"),
                  paper("c", added=d(-1), published="2024"))
    assert ids(rank(papers, History(), T, "week")) == ["c", "a", "b"]


def test_fallback_with_one_day_or_no_growth() -> None:
    papers = coll(paper("a"), paper("b"))
    one = rank(papers, hist({"a": {"citations": [(0, 50)]}}), T)
    assert one.fallback and one.data_date == T
    assert one.explanation.startswith("Popularity data starts on 20 December 2026")
    flat = rank(papers, hist({"a": {"citations": [(-3, 50), (0, 50)]}}), T)
    assert flat.fallback and "No new citations, stars or upvotes in the 7 days" in \
        flat.explanation
    assert ids(flat) == ["a", "b"]


# --- the recorded fixture: page, JSON and terminal agree, and follow the rule -----------------

@pytest.fixture(scope="module")
def default_list() -> Collection:
    collection, problems = load_collection(list(iter_entry_files(ROOT / "papers")),
                                           ROOT / "papers" / "taxonomy.yml", FIXTURE_TODAY,
                                           root=ROOT)
    assert collection is not None, problems
    return collection


def documented_score(raw: dict, pid: str, aliases: tuple[str, ...], today: dt.date,
                     days: int, added: dt.date) -> float:
    """docs/trending.md's rule, re-derived from the raw JSON document."""
    start = today - dt.timedelta(days=days)
    score = 0.0
    for signal, spec in SIGNALS.items():
        points = sorted((dt.date.fromisoformat(k), papers[key][signal])
                        for k, papers in raw["days"].items()
                        for key in (pid, *aliases)
                        if key in papers and signal in papers[key]
                        and dt.date.fromisoformat(k) <= today)
        inside = [p for p in points if p[0] > start]
        if not inside:
            continue
        before = [p for p in points if p[0] <= start]
        base = before[-1] if before else inside[0]
        change = (inside[-1][1] - base[1]) * min(1, days / max(1, (inside[-1][0] - base[0]).days))
        score += spec.weight * max(0, int(change + 0.5))
    age = (today - added).days
    if 0 <= age < 28:
        score += 3 * days * 0.5 ** (age / 7)
    return round(score, 2)


@pytest.mark.parametrize("window", sorted(WINDOWS))
def test_fixture_ranking_follows_the_documented_rule(default_list: Collection,
                                                     window: str) -> None:
    raw = json.loads(FIXTURE.read_text())
    assert len(raw["days"]) == 30
    history = load_history(FIXTURE)
    r = rank(default_list, history, FIXTURE_TODAY, window)
    assert not r.fallback and r.data_date == FIXTURE_TODAY
    assert len(r.rows) >= 20
    by_id = default_list.by_id
    expected = sorted(
        ((documented_score(raw, p.id, p.aliases, FIXTURE_TODAY, WINDOWS[window], p.added), p)
         for p in default_list.papers),
        key=lambda sp: (-sp[0], -sp[1].added.toordinal(), -sp[1].date_key.toordinal(),
                        sp[1].id))
    assert ids(r) == [p.id for s, p in expected if s > 0]
    assert [row.score for row in r.rows] == [s for s, _ in expected if s > 0]
    for row in r.rows:
        assert row.paper_id in by_id and row.reasons and row.reasons[0].startswith("+")
        assert row.movement == "new" or row.movement == "same" or \
            row.movement.split()[0] in ("up", "down")
    assert any(row.movement != "same" for row in r.rows)


def test_fixture_terminal_table_and_json_agree(default_list: Collection, capsys) -> None:
    history = load_history(FIXTURE)
    rankings = [rank(default_list, history, FIXTURE_TODAY, w, limit=20) for w in WINDOWS]
    doc = rankings_json(rankings)
    assert json.dumps(doc, sort_keys=True) == json.dumps(
        rankings_json(list(reversed(rankings))), sort_keys=True)  # stable, keyed by window
    week = doc["windows"]["week"]
    assert week["data_date"] == "2026-12-27" and week["days"] == 7
    assert set(week["papers"][0]) >= {"id", "rank", "score", "reasons", "movement"}
    code = main(["trending", "--papers", str(ROOT / "papers"), "--history", str(FIXTURE),
                 "--date", "2026-12-27", "--window", "week", "--limit", "20"])
    out = capsys.readouterr().out
    assert code == 0
    assert "data of 2026-12-27" in out
    printed = [line.split()[0].rstrip(":") for line in out.splitlines()
               if line.startswith(" " * 20) and ":" in line]
    assert printed == [p["id"] for p in week["papers"]]
    top = week["papers"][0]
    assert f"{top['id']}: {top['summary']}" in out  # the same reasons as the page


def test_trending_command_errors(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "metrics.json"
    bad.write_text("{")
    code = main(["trending", "--papers", str(ROOT / "papers"), "--history", str(bad),
                 "--date", "2026-12-27"])
    err = capsys.readouterr().err
    assert code == 1 and err.startswith(f"error: {bad}: not valid JSON")
    code = main(["trending", "--papers", str(ROOT / "papers"), "--history",
                 str(tmp_path / "none.json"), "--date", "2026-12-27", "--limit", "3"])
    out = capsys.readouterr().out
    assert code == 0 and "No popularity data yet" in out


def test_page_rankings_follow_the_history_not_its_address():
    """pages._rank reuses a ranking only for a history with the same content: a new history
    object (which may sit at a freed object's address) is never taken for an old one."""
    import gc

    from generator import pages
    from generator.core import trending
    from generator.core.cache import Cache

    collection = coll(paper("a"), paper("b"), paper("c"))
    today = dt.date(2026, 11, 30)
    cache = Cache()  # one cache across the builds, as a serve session has
    for _ in range(5):
        quiet = History({today - dt.timedelta(days=7): {}, today: {}})
        first = pages._rank(collection, quiet, today, "week", cache)
        del quiet
        gc.collect()
        busy = History({today - dt.timedelta(days=7): {"b": {"citations": 1}},
                        today: {"b": {"citations": 500}}})
        assert pages._rank(collection, busy, today, "week", cache) == \
            trending.rank(collection, busy, today, "week")
        assert pages._rank(collection, busy, today, "week", cache) != first
