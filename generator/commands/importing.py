"""``reading-list import``: bibliographies (BibTeX, CSL-JSON, RIS, CSV, awesome-lists) and
arXiv feeds.

Glue over :mod:`generator.sources.formats` (reading) and :mod:`generator.commands.listimport`
(merging, matching, checking, writing) for bibliographies, and over
:mod:`generator.sources.arxiv_feeds` for a feed: arguments, messages and exit codes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from ..core.authoring import known_papers
from ..core.entries import ID_RE, load_taxonomy
from ..core.terminal import visible
from ..sources.arxiv_feeds import (
    ImportError_,
    fetch,
    match_words,
    parse_feed,
    plan_import,
    read_source,
    source_url,
    write_plan,
)
from ..sources.formats import Issue, Record, read
from ..sources.http import HttpError
from . import listimport
from .cli import add_papers_options, today


def bibliography_sources(sources: Sequence[str]) -> bool:
    """True when the sources are files of a bibliography format (not arXiv feeds)."""
    from ..sources.formats import FormatError, detect

    for source in sources:
        path = Path(source)
        if not path.is_file():
            return False
        try:
            head = path.read_bytes()[:65536].decode("utf-8", "replace")
            if detect(path, head) == "feed":
                return False
        except (OSError, FormatError):
            return True  # read() reports the problem with its position
    return True


def run(args: argparse.Namespace, day: dt.date) -> int:
    """Import the bibliography files named in ``args.sources``; see the module docstring."""
    tags = [t.strip() for t in (args.tags or "").split(",") if t.strip()]
    for slug in ([args.category] if args.category else []) + tags:
        if not ID_RE.match(slug):
            print(f"import: '{visible(slug)}' is not a slug (lowercase letters, digits and "
                  "single hyphens, e.g. membership-inference)", file=sys.stderr)
            return 2
    taxonomy_path = args.taxonomy or args.papers / "taxonomy.yml"
    taxonomy, problems = load_taxonomy(taxonomy_path)
    if taxonomy is None:
        for problem in problems:
            print(problem.format(), file=sys.stderr)
        print("import stopped, nothing was written: fix the taxonomy first", file=sys.stderr)
        return 1
    records: list[Record] = []
    issues: list[Issue] = []
    for source in args.sources:
        found, problems_ = read(source)
        records += found
        issues += problems_
    for issue in issues:
        print(visible(str(issue)), file=sys.stderr)
    into = args.into or args.papers / "inbox"
    index = listimport.index_list(dict.fromkeys([args.papers, into]))
    plan = listimport.plan(records, taxonomy, index, day, args.category, tags)
    written: list[Path] = []
    if not args.dry_run:
        try:
            written = listimport.apply(plan, into, taxonomy_path, taxonomy)
        except (OSError, ValueError) as exc:
            print(f"import stopped: {visible(str(exc))}", file=sys.stderr)
            return 1
    _summary(plan, issues, into, written, args.dry_run)
    if args.enrich and written:
        return _enrich(written, day, taxonomy_path)
    # Unreadable items are reported above; only a run that could read nothing at all fails.
    return 1 if any(i.severity == "error" for i in issues) and not records else 0


def _enrich(paths: list[Path], day: dt.date, taxonomy_path: Path) -> int:
    """``--enrich``: fill the new entries' gaps from the metadata services."""
    from .enrich import checkpoint_path, enrich_files

    print(f"enriching {len(paths)} new entr{'y' if len(paths) == 1 else 'ies'} ...",
          file=sys.stderr)
    summary = enrich_files(paths, only=None, overwrite=False, dry_run=False,
                           env=dict(os.environ), out=sys.stderr, today=day,
                           taxonomy=taxonomy_path,
                           checkpoint=checkpoint_path(taxonomy_path.parent))
    return summary.exit_code


def _summary(plan: listimport.ImportPlan, issues: list[Issue], into: Path,
             written: list[Path], dry_run: bool) -> None:
    err = sys.stderr
    verb = "would write" if dry_run else "wrote"
    for new_id, cand, _text in plan.write:
        if cand.conflicts:
            print(f"{visible(new_id)}: merged {len(cand.sources)} listings; differing values: "
                  + visible("; ".join(cand.conflicts)), file=err)
    for new_id, what in plan.dropped:
        print(f"{visible(new_id)}: dropped {visible(what)}", file=err)
    for cand, where in plan.known:
        print(f"skipped (already on the list as {visible(where)}): "
              f"{visible(cand.record.title)}", file=err)
    for cand, reasons in plan.invalid:
        print(f"{visible(cand.record.source)}:{cand.record.line}: skipped "
              f"{visible(cand.record.title)!s}: {visible('; '.join(reasons))}", file=err)
    if plan.new_categories or plan.new_tags:
        cats = ", ".join(c.slug for c in plan.new_categories) or "none"
        tags = ", ".join(t.slug for t in plan.new_tags) or "none"
        print(f"taxonomy: {'would add' if dry_run else 'added'} {len(plan.new_categories)} "
              f"categor{'y' if len(plan.new_categories) == 1 else 'ies'} ({visible(cats)}) "
              f"and {len(plan.new_tags)} tag(s) ({visible(tags)}); describe them in "
              "taxonomy.yml", file=err)
    unreadable = sum(1 for i in issues if i.severity == "error")
    count = len(plan.write) if dry_run else len(written)
    print(f"read {plan.read} paper(s); merged {plan.merged} duplicate listing(s); {verb} "
          f"{count} entr{'y' if count == 1 else 'ies'} to {visible(into.as_posix())}/; "
          f"skipped {len(plan.known)} already on the list, {len(plan.invalid)} invalid, "
          f"{unreadable} unreadable", file=err)
    if count and not dry_run:
        missing = sum(1 for _, c, _ in plan.write if not c.record.abstract)
        if missing:
            print(f"{missing} entr{'y has' if missing == 1 else 'ies have'} no abstract: run "
                  f"`reading-list enrich {visible(into.as_posix())}` to fetch them",
                  file=err)


# ---------------------------------------------------------------------------- the command


def _import_setup(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("sources", metavar="SOURCE", nargs="+",
                        help="bibliography files (BibTeX .bib, CSL-JSON .json, RIS .ris, CSV "
                             ".csv, a Markdown awesome-list .md), or one arXiv RSS/Atom URL, "
                             "saved feed file or arXiv category such as cs.CR")
    parser.add_argument("--into", type=Path, default=None, metavar="DIR",
                        help="where entries go (default: PAPERS/inbox, for review; "
                             "--into papers puts them straight on the list)")
    parser.add_argument("--category", default=None, metavar="SLUG",
                        help="bibliographies: file every paper in this category (default: "
                             "the source's headings or CSV column, else the file's name)")
    parser.add_argument("--tags", default=None, metavar="A,B",
                        help="bibliographies: tags added to every paper")
    parser.add_argument("--enrich", action="store_true",
                        help="bibliographies: then fill missing abstracts, authors, dates "
                             "and venues from arXiv, Semantic Scholar and Crossref")
    parser.add_argument("--dry-run", action="store_true",
                        help="bibliographies: say what would be written; write nothing")
    parser.add_argument("--match", default=None, metavar="WORDS",
                        help="feeds: keep papers whose title or abstract contains any of these "
                             "words (commas separate phrases: 'model stealing, watermark')")
    parser.add_argument("--limit", type=int, default=None, metavar="N",
                        help="feeds: write at most N candidates")
    parser.add_argument("--inbox", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--include-replacements", action="store_true",
                        help="feeds: also import arXiv 'replace' announcements (new versions "
                             "of older papers)")
    parser.add_argument("--timeout", type=float, default=30.0,
                        help="feeds: seconds to wait for the server (default: 30)")
    add_papers_options(parser)


def cmd_import(args: argparse.Namespace) -> int:
    """Bring papers in from a bibliography (BibTeX, CSL-JSON, RIS, CSV, awesome-list) or an
    arXiv feed; entries go to papers/inbox/ for review unless --into says otherwise."""
    if bibliography_sources(args.sources):
        return run(args, today(args))
    if len(args.sources) > 1:
        print("import: give one arXiv feed at a time (bibliography files can be combined)",
              file=sys.stderr)
        return 2
    args.source = args.sources[0]
    if args.limit is not None and args.limit < 0:
        print("import: --limit must be 0 or more", file=sys.stderr)
        return 2
    try:
        url = source_url(args.source, dict(os.environ))
        data = fetch(url, timeout=args.timeout) if url else read_source(Path(args.source))
        candidates = parse_feed(data)
    except HttpError as exc:  # messages quote the server's answer and the URL
        print(f"import: cannot fetch the feed: {visible(exc)}", file=sys.stderr)
        return 1
    except ImportError_ as exc:
        print(f"import: {visible(args.source)}: {visible(exc)}", file=sys.stderr)
        return 1
    inbox = args.into or args.inbox or args.papers / "inbox"
    known = known_papers([args.papers, inbox])
    plan = plan_import(candidates, known, match_words(args.match), args.limit,
                       args.include_replacements)
    written = write_plan(plan, inbox, today(args), url or args.source)
    for path in written:
        print(visible(path.as_posix()))
    skipped = [f"{len(plan.known)} already on the list or in the inbox"]
    if plan.unmatched:
        skipped.append(f"{plan.unmatched} not matching --match")
    if plan.replacements:
        skipped.append(f"{plan.replacements} arXiv replacements")
    if plan.over_limit:
        skipped.append(f"{plan.over_limit} over --limit")
    print(f"{len(candidates)} paper(s) in the feed: wrote {len(written)} candidate(s) to "
          f"{visible(inbox.as_posix())}/; skipped " + ", ".join(skipped), file=sys.stderr)
    if written:
        print("review each one (category, tags, note), then move it to "
              f"{visible(args.papers.as_posix())}/ and run `reading-list check`",
              file=sys.stderr)
    return 0
