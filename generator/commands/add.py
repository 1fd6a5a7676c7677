"""``reading-list add``: one paper from arXiv (or Crossref, or a template) as papers/<id>.yaml.

The command never writes a file that ``check`` would reject (except ``--manual``, whose
template is meant to be filled in): the new entry is validated by the loader first, and a
paper already on the list, an unknown id, a withdrawn paper or a network failure writes
nothing and says why.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..core.authoring import (
    SCHEMA_URL,
    Known,
    dump_entry,
    known_papers,
    make_id,
    with_schema_header,
)
from ..core.entries import Problem, load_collection, load_taxonomy
from ..core.files import atomic_write
from ..core.terminal import visible
from ..sources import arxiv, crossref, metadata
from ..sources.http import HttpClient, HttpError
from .cli import add_papers_options, load, today

# Factories, so tests can hand in clients that do not really sleep.
arxiv_client: Callable[[], HttpClient] = arxiv.client_from_env
crossref_client: Callable[[], HttpClient] = crossref.client_from_env


def _setup(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("source", nargs="?", metavar="ID_OR_URL",
                        help="arXiv id or abs/pdf URL, e.g. 2505.20118 (with --manual: "
                             "the paper's title)")
    parser.add_argument("--doi", help="add by DOI through Crossref instead, e.g. 10.1145/...")
    parser.add_argument("--manual", action="store_true",
                        help="write a commented template to fill in by hand")
    parser.add_argument("--category", help="category slug (default: ask, or the suggestion "
                                           "with --yes)")
    parser.add_argument("--tags", help="comma-separated tag slugs, e.g. watermarking,llm")
    parser.add_argument("--note", help="a curator's note: why the paper is on the list")
    parser.add_argument("--abstract", help="the abstract, when the source has none (Crossref)")
    parser.add_argument("--yes", "-y", action="store_true",
                        help="accept the suggested category and tags without asking")
    add_papers_options(parser)


def fail(message: str, code: int = 1) -> int:
    """Print one line to stderr and return ``code``. Messages quote API answers and the
    command line, so their control characters are shown, not obeyed."""
    print(f"add: {visible(message)}", file=sys.stderr)
    return code


def is_interactive() -> bool:
    """Ask questions only when a person is at the keyboard."""
    return sys.stdin.isatty()


def cmd_add(args: argparse.Namespace) -> int:
    """Add a paper from an arXiv id or URL (or --doi, or --manual) as papers/<id>.yaml."""
    papers_dir: Path = args.papers
    taxonomy_path: Path = args.taxonomy or papers_dir / "taxonomy.yml"
    if not papers_dir.is_dir():
        return fail(f"no papers folder at {papers_dir} (run this in the project, or pass "
                    "--papers)", 2)
    known = known_papers([papers_dir])
    if args.manual:
        return write_template(args, known, taxonomy_path)
    if bool(args.doi) == bool(args.source):
        return fail("give an arXiv id or URL, or --doi DOI, or --manual "
                    "(e.g. reading-list add 2505.20118)", 2)
    try:
        fields = fetch_doi(args, known) if args.doi else fetch_arxiv(args, known)
    except _Refused as exc:
        return fail(str(exc), exc.code)
    except arxiv.SourceError as exc:
        return fail(f"{exc}; nothing written")
    except HttpError as exc:
        return fail(f"cannot reach the service ({exc}); nothing written. Check your "
                    "connection, or use --manual")
    fields["added"] = today(args).isoformat()
    if args.note:
        fields["note"] = args.note.strip()
    try:
        fields["category"], fields["tags"] = choose_labels(args, fields)
    except _Refused as exc:
        return fail(str(exc), exc.code)
    paper_id = make_id(str(fields["title"]), known.ids)
    text = dump_entry(fields)
    problems = validate(paper_id, text, taxonomy_path, args, papers_dir)
    errors = [p for p in problems if p.severity == "error"]
    for problem in problems:
        print(problem.format(), file=sys.stderr)
    if errors:
        return fail(f"the entry would not pass check ({len(errors)} error(s)); nothing "
                    "written")
    target = papers_dir / f"{paper_id}.yaml"
    atomic_write(target, with_schema_header(text, target))
    print(f"wrote {visible(target.as_posix())}")
    print("next: review the file, run `reading-list check`, then open a pull request",
          file=sys.stderr)
    return 0


class _Refused(Exception):
    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def refuse_duplicate(known: Known, kind: str, value: str | None) -> None:
    """Stop (nothing written) when an arXiv id or DOI is already on the list."""
    table = known.arxiv if kind == "arxiv" else known.doi
    if value and value.lower() in table:
        raise _Refused(f"{kind} {value} is already on the list as "
                       f"{table[value.lower()]}; nothing written")


def fetch_arxiv(args: argparse.Namespace, known: Known) -> dict[str, Any]:
    arxiv_id = arxiv.parse_arxiv_id(args.source)
    if arxiv_id is None:
        raise _Refused(f"not an arXiv id or URL: {args.source!r} (e.g. 2505.20118 or "
                       "https://arxiv.org/abs/2505.20118; for a DOI use --doi)", 2)
    refuse_duplicate(known, "arxiv", arxiv_id)
    print(f"fetching arXiv {visible(arxiv_id)} ...", file=sys.stderr)
    paper = arxiv.fetch(arxiv_id, arxiv_client())
    refuse_duplicate(known, "doi", paper.doi)
    fields = dict(paper.fields())
    # arXiv's comment ("Code: https://github.com/...") names a repository as often as the
    # abstract does; it is not an entry field, so it is read here, while it is at hand.
    propose_code(fields, paper.comment)
    return fields


def fetch_doi(args: argparse.Namespace, known: Known) -> dict[str, Any]:
    doi = crossref.parse_doi(args.doi)
    if doi is None:
        raise _Refused(f"not a DOI: {args.doi!r} (e.g. 10.1145/3576915.3623097)", 2)
    refuse_duplicate(known, "doi", doi)
    print(f"fetching DOI {visible(doi)} from Crossref ...", file=sys.stderr)
    work = crossref.fetch(doi, crossref_client())
    fields = dict(work.fields())
    if args.abstract:
        fields["abstract"] = " ".join(args.abstract.split())
    if not fields.get("abstract"):
        raise _Refused(f"Crossref has no abstract for {doi}: pass it with --abstract "
                       "\"...\" (or use --manual)", 2)
    propose_code(fields)
    return fields


def propose_code(fields: dict[str, Any], *more: str | None) -> None:
    """Set ``links.code`` when the abstract (or ``more`` text, such as arXiv's comment)
    names exactly one GitHub repository: the rule ``enrich`` follows
    (:func:`generator.sources.metadata.find_code_link`). A link already there is kept."""
    links = fields.get("links")
    if isinstance(links, dict) and links.get("code"):
        return
    code = metadata.find_code_link(str(fields.get("abstract") or ""), *more)
    if code:
        fields["links"] = {**(links if isinstance(links, dict) else {}), "code": code}
        print(f"code: {visible(code)} (named by the paper; check it is its own code)",
              file=sys.stderr)


def _split_tags(value: str | None) -> list[str]:
    return [t.strip() for t in (value or "").split(",") if t.strip()]


def choose_labels(args: argparse.Namespace, fields: dict[str, Any]) -> tuple[str, list[str]]:
    """The category and tags: from the options, else the suggestion when confirmed."""
    category = args.category.strip() if args.category else None
    tags = _split_tags(args.tags)
    if category and tags:
        show_suggestion(args, fields)  # still useful: it shows what is similar
        return category, tags
    suggestion = show_suggestion(args, fields)
    if args.yes:
        if suggestion is None or suggestion.category is None:
            raise _Refused("no suggestion to accept: pass --category and --tags", 2)
        return category or suggestion.category, tags or list(suggestion.tags)
    if is_interactive():
        default_cat = suggestion.category if suggestion else None
        default_tags = ",".join(suggestion.tags) if suggestion else ""
        category = category or _ask("category", default_cat)
        tags = tags or _split_tags(_ask("tags (comma-separated)", default_tags or None))
        if category and tags:
            return category, tags
    hint = (f" (suggested: --category {suggestion.category} --tags "
            f"{','.join(suggestion.tags)}, or --yes to accept that)"
            if suggestion and suggestion.category else "")
    raise _Refused("choose a category and tags: pass --category and --tags" + hint, 2)


def _ask(what: str, default: str | None) -> str:
    prompt = f"{what} [{visible(default)}]: " if default else f"{what}: "
    try:
        answer = input(prompt).strip()
    except EOFError:
        answer = ""
    return answer or (default or "")


def show_suggestion(args: argparse.Namespace, fields: dict[str, Any]):  # -> Suggestion | None
    """Print what the most similar entries suggest (import of related is lazy: scipy)."""
    collection, _ = load(args)
    if collection is None:
        print("(no suggestion: the list has errors; run `reading-list check`)",
              file=sys.stderr)
        return None
    from ..core.related import suggest

    suggestion = suggest(collection, str(fields["title"]), str(fields.get("abstract") or ""))
    for line in suggestion.explain():  # quotes the similar entries' titles
        print(visible(line), file=sys.stderr)
    return suggestion


def validate(paper_id: str, text: str, taxonomy_path: Path, args: argparse.Namespace,
             papers_dir: Path) -> list[Problem]:
    """Load the new entry with the real loader, from a scratch folder (problems name the
    file it would become)."""
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / f"{paper_id}.yaml"
        path.write_text(text, encoding="utf-8")
        _, problems = load_collection([path], taxonomy_path.resolve(), today(args),
                                      root=Path(scratch))
    target = (papers_dir / f"{paper_id}.yaml").as_posix()
    return [Problem(target if p.path == path.name else p.path, p.line, p.col, p.message,
                    p.hint, p.severity) for p in problems]


def write_template(args: argparse.Namespace, known: Known, taxonomy_path: Path) -> int:
    """``--manual``: a commented template that ``check`` flags until it is filled in."""
    title = " ".join((args.source or "").split())
    paper_id = make_id(title, known.ids) if title else make_id("new paper", known.ids)
    taxonomy, _ = load_taxonomy(taxonomy_path)
    categories = ", ".join(c.slug for c in taxonomy.categories) if taxonomy else "see taxonomy"
    tags = ", ".join(t.slug for t in taxonomy.tags) if taxonomy else "see taxonomy"
    lines = [
        f"# yaml-language-server: $schema={SCHEMA_URL}",
        "# A new entry. Fill in every empty field, then run `reading-list check`:",
        "# until then check reports the empty title/authors/category/tags/abstract as errors.",
        "# The file name is the paper's permanent id: rename the file to a short slug of",
        "# the title if this one is not good (lowercase words joined by hyphens).",
        f"title: {dump_entry({'title': title}, None).split(': ', 1)[1].strip()}"
        if title else 'title: ""',
        "authors: []                # [First Author, Second Author], in the paper's order",
        "# published: 2025-05       # YYYY, YYYY-MM or YYYY-MM-DD: the first version's date",
        f"added: {today(args).isoformat()}",
        '# arxiv: "2505.20118"      # quoted, without version; and/or doi: / url:',
        "# doi: 10.xxxx/xxxxx",
        "# url: https://...",
        "# venue: EMNLP 2025",
        "# links: {code: \"https://github.com/...\"}",
        *textwrap.wrap(f"categories: {categories}", 92, initial_indent="# ",
                       subsequent_indent="#   ", break_on_hyphens=False),
        'category: ""               # exactly one of the categories above',
        "tags: []                   # one or more of the tags listed at the end of this file",
        'abstract: ""               # the paper\'s abstract, as text ($...$ renders as math)',
        "# note: >                  # optional: why it belongs on the list (Markdown, no HTML)",
        "#   ...",
    ]
    note = args.note.strip() if args.note else None
    if note:
        lines = [ln for ln in lines if not ln.startswith("# note:") and ln != "#   ..."]
        lines.append(dump_entry({"note": note}, None).rstrip("\n"))
    lines.extend(textwrap.wrap(f"tags on the list: {tags}", 92, initial_indent="# ",
                               subsequent_indent="#   ", break_on_hyphens=False))
    target = args.papers / f"{paper_id}.yaml"
    atomic_write(target, with_schema_header("\n".join(lines) + "\n", target))
    print(f"wrote {visible(target.as_posix())}")
    print("this is a template: `reading-list check` reports it until every field is filled in",
          file=sys.stderr)
    return 0
