"""BibTeX for one paper, a category, a tag or the whole list.

Entries come from pull requests, so every value is untrusted. BibTeX's parser knows only one
rule inside a ``{...}`` field: the field ends at the brace that balances its opening one, and a
backslash does not protect a brace (``\\}`` closes a field as surely as ``}``). So every value
written here is brace-balanced by construction: text is escaped with commands whose braces
come in pairs (``\\textbraceleft{}``), and ``$...$`` math keeps only braces that pair up.
Nothing can end a field or a record early, so no ``@preamble``, ``@comment`` or forged record
can be smuggled in. Math may use only an allowlist of control words (Greek, operators, fonts,
``\\frac``...): a citation is pasted into someone's paper and compiled, and ``\\input``,
``\\def`` or ``\\catcode`` in a title must not run there.

The record type follows the venue (:func:`venue_kind`): ``@inproceedings`` with
``booktitle`` for conferences and workshops, ``@article`` with ``journal`` for journals,
``@misc`` otherwise (``eprint`` for arXiv preprints, ``howpublished`` for other venues).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from .entries import Paper
from .render import _MATH  # found as the site finds math, so a title cites as it reads

MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")

# --- escaping -------------------------------------------------------------------------------

# Every replacement has balanced braces: BibTeX counts ``\{`` as an opening brace.
_TEXT_SPECIAL = {"\\": r"\textbackslash{}", "{": r"\textbraceleft{}",
                 "}": r"\textbraceright{}", "&": r"\&", "%": r"\%", "#": r"\#", "_": r"\_",
                 "$": r"\$", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}
_TEXT_SPECIAL_RE = re.compile(r"[\\{}&%#_$~^]")
# Line breaks, tabs and control characters become one space: a value is one line, so nothing
# in it starts a line of the .bib file, and TeX never sees an invalid or end-of-line character.
_SPACE_RE = re.compile(r"[\s\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_SURROGATE_RE = re.compile(r"[\ud800-\udfff]")

# Control words allowed in math: what titles use (and KaTeX renders), nothing that reads or
# writes files or redefines TeX. Anything else is shown as text: \backslash\mathrm{name}.
_MATH_WORDS = """
    alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa varkappa
    lambda mu nu xi omicron pi varpi rho varrho sigma varsigma tau upsilon phi varphi chi psi
    omega Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega
    aleph beth ell hbar imath jmath wp Re Im partial nabla infty emptyset varnothing forall
    exists nexists neg lnot top bot angle triangle Box Diamond square blacksquare lozenge
    prime backprime surd flat natural sharp clubsuit diamondsuit heartsuit spadesuit dagger
    ddagger checkmark star ast
    pm mp times div cdot cdotp circ bullet oplus ominus otimes oslash odot cap cup sqcap sqcup
    vee wedge lor land setminus smallsetminus wr amalg uplus triangleleft triangleright
    bigtriangleup bigtriangledown lhd rhd unlhd unrhd ltimes rtimes boxplus boxtimes boxminus
    boxdot dotplus divideontimes circledast
    le leq ge geq ne neq equiv sim simeq approx cong propto prec succ preceq succeq ll gg
    subset supset subseteq supseteq subsetneq supsetneq sqsubseteq sqsupseteq in ni notin mid
    nmid parallel nparallel perp models vdash dashv vDash Vdash asymp doteq bowtie lesssim
    gtrsim approxeq triangleq coloneqq eqqcolon leqslant geqslant nleq ngeq nless ngtr not
    lessgtr gtrless
    to gets leftarrow rightarrow Leftarrow Rightarrow leftrightarrow Leftrightarrow
    longleftarrow longrightarrow Longleftarrow Longrightarrow longleftrightarrow
    Longleftrightarrow mapsto longmapsto uparrow downarrow Uparrow Downarrow updownarrow
    Updownarrow nearrow searrow swarrow nwarrow hookleftarrow hookrightarrow leadsto implies
    impliedby iff rightharpoonup rightleftharpoons xrightarrow xleftarrow twoheadrightarrow
    rightsquigarrow circlearrowleft circlearrowright
    lbrace rbrace langle rangle lceil rceil lfloor rfloor lvert rvert lVert rVert vert Vert
    backslash left right middle big Big bigg Bigg bigl bigr Bigl Bigr biggl biggr Biggl Biggr
    sum prod coprod int iint iiint oint bigcup bigcap bigsqcup bigvee bigwedge bigoplus
    bigotimes bigodot biguplus lim limsup liminf sup inf max min argmax argmin arg det dim exp
    gcd hom ker lg ln log Pr sin cos tan cot sec csc arcsin arccos arctan sinh cosh tanh coth
    deg
    hat widehat tilde widetilde bar overline underline vec overrightarrow overleftarrow dot
    ddot acute grave breve check mathring overbrace underbrace boxed phantom
    frac dfrac tfrac cfrac sqrt binom dbinom tbinom choose over atop stackrel overset underset
    substack operatorname mathrm mathbf mathit mathsf mathtt mathcal mathbb mathfrak mathscr
    mathbbm boldsymbol bm pmb text textrm textit textbf texttt textsf textsc textnormal emph
    mbox displaystyle textstyle scriptstyle scriptscriptstyle limits nolimits mathop mathbin
    mathrel mathord
    quad qquad enspace thinspace negthinspace ldots cdots vdots ddots dots dotsc dotsb colon
    LaTeX TeX
"""
MATH_COMMANDS = frozenset(_MATH_WORDS.split())
# A control word is a backslash and letters; XeTeX and LuaTeX count any Unicode letter as one.
_MATH_TOKEN_RE = re.compile(r"\\[^\W\d_]+|\\.?|[{}%#&]|[^\\{}%#&]+", re.S)


def escape_text(text: str) -> str:
    """Escape plain text (authors, venues): every character prints as itself, no math."""
    return _escape_chars(_clean(text))


def _escape_chars(text: str) -> str:
    return _TEXT_SPECIAL_RE.sub(lambda m: _TEXT_SPECIAL[m.group(0)], text)


def escape(text: str) -> str:
    """Escape a title: plain text escaped, ``$...$`` math kept but brace-balanced and limited
    to :data:`MATH_COMMANDS`; ``\\$`` outside math is a literal dollar sign, as on the site."""
    text = _clean(text)
    out, pos = [], 0
    for match in _MATH.finditer(text):
        out.append(_escape_chars(text[pos:match.start()].replace("\\$", "$")))
        out.append("$" + _escape_math(match.group(1)) + "$")
        pos = match.end()
    out.append(_escape_chars(text[pos:].replace("\\$", "$")))
    return "".join(out)


def _clean(text: str) -> str:
    # Most values are printable text with single spaces (isprintable() is False for line
    # breaks, controls, surrogates and every space but " "): nothing to do.
    if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        return text
    # A lone surrogate cannot be written as UTF-8; U+FFFD keeps its place visible.
    return _SPACE_RE.sub(" ", _SURROGATE_RE.sub("\ufffd", text)).strip()


def _escape_math(math: str) -> str:
    """One math span's content, brace-balanced for BibTeX and harmless for TeX."""
    # TeX reads ^^5c as a backslash and ^^7b as a brace before anything else: never emit ^^.
    math = re.sub(r"\^(?=\^)", "^{}", math)
    pieces = _MATH_TOKEN_RE.findall(math)
    # Group braces and escaped braces (\{ \}) are paired separately; each set balanced on its
    # own makes the whole balanced, as BibTeX counts both. Unpaired ones become symbols,
    # ended by {} rather than a space (BibTeX collapses spaces: the field would read back
    # different from what was written).
    groups: list[int] = []
    escaped: list[int] = []
    for i, piece in enumerate(pieces):
        if piece == "{":
            groups.append(i)
        elif piece == "\\{":
            escaped.append(i)
        elif piece in ("}", "\\}"):
            stack = groups if piece == "}" else escaped
            if stack:
                stack.pop()
            else:
                pieces[i] = r"\rbrace{}"
        elif piece in ("%", "#", "&"):
            pieces[i] = "\\" + piece
        elif piece == "\\":  # a backslash with nothing after it
            pieces[i] = r"\backslash{}"
        elif piece[0] == "\\" and piece[1:2].isalpha() and piece[1:] not in MATH_COMMANDS:
            pieces[i] = r"\backslash\mathrm{" + piece[1:] + "}"
    for i in groups + escaped:
        pieces[i] = r"\lbrace{}"
    return "".join(pieces)


def escape_verbatim(value: str) -> str:
    """Escape a URL-like value (url, doi, eprint): characters that URLs do not allow raw
    (braces, backslash, quotes, spaces, non-ASCII...) are percent-encoded, which names the
    same resource, and ``%`` and ``#`` are escaped for LaTeX as before."""
    out = _URL_UNSAFE.sub(_percent, _clean(value))
    return out.replace("%", r"\%").replace("#", r"\#")


# Anything but RFC 3986's unreserved and reserved characters and "%".
_URL_UNSAFE = re.compile(r"[^A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]")


def _percent(match: re.Match[str]) -> str:
    return "".join(f"%{b:02X}" for b in match.group(0).encode("utf-8", "replace"))


def _author(name: str) -> str:
    """One name; a word "and" in it (or a name that is just "others") would make BibTeX see
    two authors or "et al.", so it is braced. "Last, First" and "Last, Jr, First" keep their
    BibTeX meaning; a name with more commas, which BibTeX rejects, is braced whole."""
    name = escape_text(name)
    if name.lower() == "others" or name.count(",") > 2:
        return "{" + name + "}"
    return _AND_RE.sub(r"{\g<0>}", name) if "and" in name.lower() else name


_AND_RE = re.compile(r"(?i)(?<!\S)and(?!\S)")


_KEY_UNSAFE = re.compile(r"[^A-Za-z0-9_:./+-]")


def key(paper: Paper) -> str:
    """The record key: the paper's permanent id. Ids the loader accepts are keys as they are;
    any other character (BibTeX ends a key at ``,``, space or a brace) becomes ``-``."""
    return _KEY_UNSAFE.sub("-", paper.id) or "paper"


# --- the record type --------------------------------------------------------------------------

_LETTER_BEFORE, _LETTER_AFTER = r"(?<![A-Za-z])", r"(?![A-Za-z])"


def _names(*alternatives: str) -> str:
    """A regex for whole names: not part of a longer word (ACL is not found in NAACL)."""
    return _LETTER_BEFORE + "(?:" + "|".join(alternatives) + ")" + _LETTER_AFTER


# First match wins. Words beat acronyms: "CVPR 2023 Workshops" is a workshop, "IEEE
# Security & Privacy Magazine" a magazine. Names are matched case-sensitively unless marked.
VENUE_RULES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern)) for kind, pattern in (
        # Not (yet) published: cite as @misc whatever venue it names.
        ("misc", "(?i)" + _names(
            "submission", "submitted", "under review", "in review", "rolling review",
            "rejected", "withdrawn", "preprint", "arxiv", "biorxiv", "medrxiv", "ssrn",
            "openreview", r"tech(?:nical|\.)? report", r"tech\. rep\.?", "thesis",
            "dissertation", "blog", "manuscript", "white ?paper")),
        # Journals named "Proceedings": PoPETs (a journal since 2015), PNAS, PVLDB, Proc. IEEE,
        # the Proceedings of the ACM on ... series.
        ("article", _names("PoPETs?", "PETS", "PNAS", "PVLDB", "PACM[A-Z]*")),
        ("article", "(?i)" + _names(
            "proceedings on privacy enhancing technologies",
            "proceedings of the national academy of sciences",
            "proceedings of the VLDB endowment", "proceedings of the royal society",
            r"proc(?:eedings of the|\.) ACM on",
            r"proc\. ACM (?:manag|hum|meas|program|comput|softw|interact|graph|netw)",
            r"proc(?:eedings of the|\.) IEEE(?=\s*(?:$|[,(0-9]))")),
        # Conferences and workshops by what they call themselves.
        ("inproceedings", "(?i)" + _names(
            "workshops?", "conference", r"conf\.", "symposium", r"symp\.", "proceedings",
            r"proc\.", "companion", "findings", "colloquium", "congress", "annual meeting")),
        # Journals by what they call themselves.
        ("article", "(?i)" + _names(
            "journal", r"j\.", "transactions", r"trans\.", "letters", r"lett\.", "magazine",
            r"mag\.", "surveys?", "review", "bulletin", "annals", "foundations and trends",
            "communications of the ACM")),
        # Conferences by name.
        ("inproceedings", _names(
            "NeurIPS", "NIPS", "(?i:neurips)", "ICML", "ICLR", "ACL", "EMNLP", "NAACL", "EACL",
            "AACL", "COLING", "LREC", "CoNLL", "COLM", "CVPR", "ICCV", "ECCV", "WACV", "BMVC",
            "GCPR", "ACCV", "ICASSP", "INTERSPEECH", "Interspeech", "MICCAI", "ACM MM",
            "ACM Multimedia", "USENIX", "OSDI", "NSDI", "CCS", "ACM CCS", "S&P", "EuroS&P",
            "Oakland", r"IEEE Security (?:&|and) Privacy", "NDSS", "AsiaCCS", "ASIACCS",
            "ACSAC", "RAID", "ESORICS", "CSF", "CARDIS", "CRYPTO", "EUROCRYPT", "Eurocrypt",
            "AAAI", "IJCAI", "AIES", "ECAI", "KDD", "WWW", "TheWebConf", "WSDM", "SIGIR",
            "CIKM", "RecSys", "ICDM", "ICDMW", "SDM", "ICDE", "SIGMOD", "VLDB", "CHI", "CSCW",
            "UIST", "IUI", "AISTATS", "UAI", "COLT", "ALT", "FAccT", "FAT\\*", "FAT/ML",
            "SaTML", "ICSE", "FSE", "ESEC/FSE", "ASE", "ISSTA", "MODELS", "IEEE CLOUD",
            "ICRA", "IROS", "CoRL", "MLSys", "SysML", "ISCA", "MICRO", "ASPLOS", "SOSP",
            "PLDI", "ICPR", "STOC", "FOCS", "SODA", "ICALP", "ITCS", "EC", "IJCNN", "ECML",
            "ECML-PKDD", "PAKDD", "ACML", "SIGGRAPH", "ICSE-SEIP", "DAC", "ICCAD", "DATE")),
        # Journals by name.
        ("article", _names(
            "TMLR", "JMLR", "TACL", "TPAMI", "PAMI", "TIFS", "TDSC", "TOPS", "TOSEM", "TSE",
            "TVCG", "TNNLS", "TKDE", "TIP", "TOG", "TOIS", "TIST", "IJCV", "CSUR", "CACM",
            "JAIR", "PLOS", "PLoS", "eLife", "npj", "IEEE Access", "IEEE Software",
            "IEEE Computer", "Neural Networks", "Neurocomputing", "Pattern Recognition",
            "Information Sciences", "Knowledge-Based Systems", "Expert Systems with Applications",
            "Computers (?:&|and) Security", "Cybersecurity", "High-Confidence Computing",
            "Distill")),
        ("article", r"^(?:Nature|Science)(?:$|[\s,(])"),
        ("article", r"^(?:Patterns|Artificial Intelligence|Machine Learning)"
                    r"(?:[\s,]*\(?[0-9]{4}\)?)?$"),
    ))


def venue_kind(venue: str | None) -> str:
    """The BibTeX type a researcher expects for a venue: ``inproceedings`` for conferences and
    workshops, ``article`` for journals, ``misc`` for preprints and anything unrecognised."""
    if not venue:
        return "misc"
    venue = _clean(venue)
    for kind, pattern in VENUE_RULES:
        if pattern.search(venue):
            return kind
    return "misc"


_TRAILING_YEAR = re.compile(r"[\s,]*\(?(?:1[89]|2[0-9])[0-9]{2}\)?$")
_YEAR = re.compile(r"(?<![0-9])(?:1[89]|2[0-9])[0-9]{2}(?![0-9])")
_OLD_ARXIV_CLASS = re.compile(r"^([a-z]+(?:-[a-z]+)*(?:\.[A-Z]{2})?)/")


def _journal(venue: str) -> str:
    """The journal's name: "Nature Machine Intelligence 2024" cites as the journal, its year
    goes to ``year``."""
    return _TRAILING_YEAR.sub("", venue) or venue


# --- records ----------------------------------------------------------------------------------

@lru_cache(maxsize=65536)
def entry(paper: Paper) -> str:
    """One record, typed by :func:`venue_kind`; the key is the paper's permanent id."""
    venue = _clean(paper.venue or "")
    kind = venue_kind(venue)
    fields: list[tuple[str, str]] = [("title", "{{" + escape(paper.title) + "}}")]
    names = [_author(a) for a in paper.authors if _clean(a)]
    if names:
        if paper.authors_incomplete:
            names.append("others")
        fields.append(("author", "{" + " and ".join(names) + "}"))
    if paper.published:
        fields.append(("year", "{" + str(paper.published.year) + "}"))
        if paper.published.month:
            # A month macro, not a string: styles print it in their own language and form.
            fields.append(("month", MONTHS[paper.published.month - 1]))
    elif _YEAR.search(venue):
        fields.append(("year", "{" + _YEAR.findall(venue)[-1] + "}"))
    if venue:
        if kind == "inproceedings":
            fields.append(("booktitle", "{" + escape_text(venue) + "}"))
        elif kind == "article":
            fields.append(("journal", "{" + escape_text(_journal(venue)) + "}"))
        else:
            fields.append(("howpublished", "{" + escape_text(venue) + "}"))
    if paper.arxiv:
        fields += [("eprint", "{" + escape_verbatim(paper.arxiv) + "}"),
                   ("archivePrefix", "{arXiv}")]
        old_style = _OLD_ARXIV_CLASS.match(paper.arxiv)
        if old_style:  # new-style ids do not name their category
            fields.append(("primaryClass", "{" + old_style.group(1) + "}"))
    if paper.doi:
        fields.append(("doi", "{" + escape_verbatim(paper.doi) + "}"))
    url = paper.url or paper.arxiv_url or paper.doi_url
    if url:
        fields.append(("url", "{" + escape_verbatim(url) + "}"))
    body = ",\n".join(f"  {name} = {value}" for name, value in fields)
    return f"@{kind}{{{key(paper)},\n{body}\n}}\n"


def bibliography(papers: Iterable[Paper]) -> str:
    """Entries for many papers, sorted by id."""
    return "\n".join(entry(p) for p in sorted(papers, key=lambda p: p.id))
