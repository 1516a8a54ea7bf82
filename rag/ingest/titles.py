"""A document's title, as a reader would give it.

PDFs often carry a metadata title that is not theirs ("paper.dvi", "Microsoft Word -
draft3.doc", "Proceedings Template - WORD", or a section name): it is kept only when its
words are at the top of the first page. Else the title is the largest-font line(s) at the top
of the first page. A Markdown file's title is its front matter's, else its first heading; a
plain-text file's a short first line (HTML and DOCX read theirs in rag.ingest.loaders:
<title>, the core properties, else the first heading). `from_file_name` makes a readable
name of a file that has none, for display. `pdf_authors` reads the people a PDF's first
page lists under its title (its byline), or a metadata author the page bears out;
`text_authors` those of Markdown front matter or a byline line ("By …", "Author: …").
"""

from __future__ import annotations

import re
import tomllib
from pathlib import PurePosixPath

import yaml

from rag.ingest.layout import FRONT_MATTER, HEADING, Unit, lines
from rag.ingest.pagetext import PageText
from rag.text import fold

TOP_CHARS = 1500  # a real metadata title is written within the first page's opening
MAX_WORDS = 30  # a title is at most this long
SIZE_MARGIN = 0.08  # lines within 8% of the largest size are of the title's size
_FILE_LIKE = re.compile(r"\.(?:dvi|pdf|docx?|tex|ps|rtf|odt|pages|indd|qxd)\b|^microsoft "
                        r"(?:word|powerpoint)\b|\btemplate\b|^untitled\b", re.I)
_WORD = re.compile(r"[^\W_]+")
_SMALL = frozenset("a an and as at but by for in of on or the to vs via with".split())


def _words(text: str) -> list[str]:
    return _WORD.findall(fold(text))


def metadata_title(title: str | None, first_page: str) -> str | None:
    """The PDF's metadata title when it is the document's: not a file or template name, and
    at least 80% of its words on the first page's opening (a glyph may read wrong there:
    "X3" for "2Q")."""
    if not title or _FILE_LIKE.search(title):
        return None
    words = _words(title)
    top = set(_words(first_page[:TOP_CHARS]))
    found = sum(w in top for w in words)
    return " ".join(title.split()) if words and found >= 0.8 * len(words) else None


def _height(page: PageText, start: int, end: int) -> float:
    """A line's drawn size: the median height of its characters' boxes (some PDFs give
    every font size as 1 and scale it by the text matrix: the boxes show the real size)."""
    heights = sorted(b[3] - b[1] for b in page.boxes[start:end] if b is not None)
    return heights[len(heights) // 2] if heights else 0.0


def largest_font_title(page: PageText) -> str | None:
    """The first page's line(s) drawn largest, when they read as a title (letters, 2 to
    MAX_WORDS words); consecutive lines of that size are one title wrapped."""
    drawn = [(line, _height(page, line.start, line.end)) for line in lines(page)
             if line.text.strip()]
    drawn = [(line, h) for line, h in drawn if h > 0]
    if not drawn:
        return None
    biggest = max(h for _, h in drawn)
    body = _height(page, 0, len(page.boxes))  # the size most characters are drawn at
    if biggest <= body * (1 + SIZE_MARGIN):
        return None  # one size throughout: no title by size
    at = next(i for i, (_, h) in enumerate(drawn) if h >= biggest * (1 - SIZE_MARGIN))
    taken = []
    for line, h in drawn[at:]:
        if h < biggest * (1 - SIZE_MARGIN):
            break
        taken.append(" ".join(line.text.split()))
    title = re.sub(r"(\w)- (\w)", r"\1\2", " ".join(taken)).strip()
    n = len(title.split())
    return title if 2 <= n <= MAX_WORDS and re.search(r"[^\W\d_]{2}", title) else None


def pdf_title(meta: str | None, pages: list[PageText]) -> str | None:
    """A PDF's title: its metadata title when the first page bears it out, else the first
    page's largest line, else a metadata title that is at least not a file or template
    name ("System Model" is Dynamo's metadata title; its first page says otherwise)."""
    if not pages:
        return None
    plausible = meta if meta and not _FILE_LIKE.search(meta) else None
    return (metadata_title(meta, pages[0].text) or largest_font_title(pages[0])
            or (" ".join(plausible.split()) if plausible else None))


def from_file_name(source: str) -> str:
    """A readable name from a file's name: "the-google-file-system.pdf" -> "The Google File
    System"."""
    stem = PurePosixPath(source).stem.strip(". ")
    words = [w for w in re.split(r"[\s_-]+", stem) if w]
    return " ".join(w if (w.isupper() or any(c.isupper() for c in w[1:]))
                    else w if (i and w.lower() in _SMALL) else w[:1].upper() + w[1:]
                    for i, w in enumerate(words)) or source


BYLINE_CHARS = 700  # the byline is read within this much text after the title
# Lines of a byline that are not people: affiliations and addresses (rules as data)
AFFILIATION_WORDS = frozenset("""university universität université institute institut
laboratory laboratories lab labs research department dept school college centre center
inc inc. ltd ltd. llc corporation corp company project foundation academy group division
faculty street road avenue ave square floor block suite draft position paper technical
report advisers adviser editor editors technologies entertainment
new""".split())  # "new": a place ("New York", "New Haven"), not a person
# "Jasmin Blanchette", "MICHAEL J. FISCHER", "K. MANI CHANDY", "Robbert van Renesse",
# "Poul-Henning Kamp", "S E Robertson"
_TOKEN = r"(?:[A-Z][a-z\u00c0-\u024f'’]+(?:[A-Z-][A-Za-z\u00c0-\u024f]+)?|[A-Z]{2,}(?:-[A-Z]{2,})?|[A-Z]\.?)"
_PERSON = re.compile(rf"(?<![\w.@]){_TOKEN}(?:\s(?:(?:van|von|de|der|da|del|le)\s)?{_TOKEN})"
                     rf"{{1,3}}(?![\w@])")
_END_OF_BYLINE = re.compile(r"\b(?:abstract|introduction|summary)\b|\n\s*1\.?\s+[A-Z]", re.I)


def byline(first_page: str, title: str | None) -> str:
    """The text of the first page between its title and its abstract (or introduction):
    where a paper lists its authors."""
    start = 0
    if title:
        folded, tail = fold(first_page[:TOP_CHARS]), _words(title)[-2:]
        m = re.search(r"\W+".join(map(re.escape, tail)), folded) if tail else None
        start = m.end() if m else 0
    text = first_page[start:start + BYLINE_CHARS]
    end = _END_OF_BYLINE.search(text)
    return text[:end.start()] if end else text


def _person(name: str) -> str:
    """A name as people write it: "MICHAEL J. FISCHER" -> "Michael J. Fischer"."""
    return " ".join(w.title() if len(w) > 2 and w.isupper() else w for w in name.split())


def authors_in(text: str) -> list[str]:
    """The people a byline lists, in order: runs of 2 to 4 capitalised words (initials
    allowed), not on a line naming an affiliation or an address (a digit, an e-mail)."""
    found: list[str] = []
    text = re.sub(r"<[^>]*>|\S+@\S+", " ", text)  # e-mail addresses
    lines = [ln for ln in re.split(r"\n|\s{2,}", text)  # not an address line
             if not re.search(r"\d|@|https?:|\.(?:com|edu|org)\b", ln)]
    for part in re.split(r"\n|,|;|\band\b|\bAND\b|\bBy\b|\bby\b|[†‡*∗]", "\n".join(lines)):
        part = part.strip()
        if not part or part.split()[0] in ("The", "THE"):
            continue
        words = part.split()  # "Nancy Leveson University of Washington": the person
        cut = next((i for i, w in enumerate(words) if fold(w).strip(".") in AFFILIATION_WORDS),
                   None)
        if cut is not None:
            if any(fold(w) == "new" for w in words[:cut]):
                continue
            part = " ".join(words[:cut])
        m = _PERSON.fullmatch(part)
        if m and any(len(w.strip(".")) > 1 for w in part.split()):
            found.append(_person(part))
    return list(dict.fromkeys(found))


def metadata_authors(field: str | None) -> list[str]:
    """The people a metadata author field names ("Diego Ongaro, John Ousterhout; Stanford
    University" -> the two people), as `authors_in` reads a byline."""
    return authors_in(re.sub(r"[;,]", "\n", field)) if field else []


def pdf_authors(meta: str | None, pages: list[PageText], title: str | None) -> list[str]:
    """A PDF's authors: the people its first page lists under the title, else its metadata
    author when the first page bears it out (not "Administrator")."""
    if not pages:
        return []
    listed = authors_in(byline(pages[0].text, title))
    if listed:
        return listed
    if meta and metadata_title(meta, pages[0].text):  # its words are on the first page
        return metadata_authors(meta)
    return []


# -- Markdown and plain text ----------------------------------------------------------------------

# Front matter keys, as static site generators, Pandoc and R Markdown write them.
FRONT_TITLE_KEYS = ("title",)
FRONT_AUTHOR_KEYS = ("authors", "author", "author_name", "creator", "creators")
# A byline line near the top: "By Jane Doe and John Roe", "Written by …", "Author: …".
BYLINE = re.compile(r"^\W*(?:(?:written|posted|edited)\s+)?by\s*:?\s+(?P<by>.+)$|"
                    r"^\W*authors?\s*[:\-–—]\s*(?P<named>.+)$", re.I)
BYLINE_LINES = 4  # a byline is among the first lines of text after the title
BYLINE_WORDS = 20
TITLE_LINES = 50  # a Markdown title is a heading within the first lines
_H1 = re.compile(r"^[ \t]{0,3}#[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$")
_SETEXT_1 = re.compile(r"^[ \t]{0,3}=+[ \t]*$")


def front_matter(text: str) -> dict:
    """A Markdown file's front matter (YAML between ---, TOML between +++) as a dict; {} when
    there is none or it does not parse."""
    m = FRONT_MATTER.match(text.lstrip("\ufeff"))
    if not m:
        return {}
    body = "\n".join(m.group(0).rstrip("\r\n").splitlines()[1:-1])  # inside its fences
    try:
        found = tomllib.loads(body) if m.group(0).startswith("+++") else yaml.safe_load(body)
    except (yaml.YAMLError, tomllib.TOMLDecodeError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def _plain(value) -> str | None:
    return " ".join(value.split()) or None if isinstance(value, str) else None


def markdown_title(text: str, units: list[Unit], front: dict) -> str | None:
    """Its front matter's title, else its first level-1 heading ("# Title" or "Title" over
    "=====") in its first TITLE_LINES lines, outside front matter and code, that reads as
    a title (at most MAX_WORDS words: not a table row that a rule of "=" underlines)."""
    for key in FRONT_TITLE_KEYS:
        if _plain(front.get(key)):
            return _plain(front[key])
    top = sum(len(line) + 1 for line in text.split("\n", TITLE_LINES)[:TITLE_LINES])
    for start, end, kind in units:
        if start > top:
            break
        if kind != HEADING:
            continue
        line = text[start:end].split("\n")[0]
        m = _H1.match(line)
        rest = text[end:].lstrip("\r\n").split("\n", 1)[0]
        title = m.group(1).strip() if m else line.strip() if (
            not line.lstrip().startswith("#") and _SETEXT_1.match(rest)) else None
        if title and len(title.split()) <= MAX_WORDS:
            return title
    return None


def text_title(text: str) -> str | None:
    """A plain-text file's title: a short first line standing alone before a blank line."""
    head, sep, rest = text.lstrip("\ufeff").partition("\n\n")
    head = head.strip()
    if sep and rest.strip() and head and "\n" not in head and len(head) <= 200:
        return head
    return None


def _front_people(value) -> list[str]:
    if isinstance(value, str):
        return metadata_authors(value)
    if isinstance(value, dict):
        return _front_people(value.get("name"))
    if isinstance(value, list):
        return list(dict.fromkeys(p for v in value for p in _front_people(v)))
    return []


def text_authors(text: str, title: str | None, front: dict | None = None) -> list[str]:
    """A Markdown or plain-text file's authors: its front matter's (author, authors,
    author_name …), else the people a byline line names within BYLINE_LINES lines of text
    after the title (or of the top, with no title in the text)."""
    for key in FRONT_AUTHOR_KEYS:
        people = _front_people((front or {}).get(key))
        if people:
            return people
    body = text.lstrip("\ufeff")
    m = FRONT_MATTER.match(body)
    start = m.end() if m else 0
    top = body[start:start + TOP_CHARS]
    rows = [ln.strip() for ln in top.splitlines() if ln.strip()]
    if title and rows and fold(title) in fold(rows[0]):
        rows = rows[1:]
    for row in rows[:BYLINE_LINES]:
        line = re.sub(r"[*_`]+", "", row)
        m = BYLINE.match(line)
        if m and len(line.split()) <= BYLINE_WORDS:
            people = authors_in(m.group("by") or m.group("named"))
            if people:
                return people
    return []
