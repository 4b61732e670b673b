"""Dutch text analysis shared by both search backends, in plain Python so that ``postgres`` and
``opensearch`` split compounds and expand synonyms from the very same lists:

- ``fold``: lower case, accents removed (coördinator = coordinator).
- ``Lexicon``: splits compounds into the words of a Dutch word list (Debian's ``wdutch``):
  ``vorkheftruckcertificaat`` → vork, heftruck, certificaat. Documents are indexed with these
  parts, so ``heftruck`` finds ``Heftruckchauffeur``; a compound in a query also matches its
  parts written apart.
- ``Synonyms``: the versioned ``synonyms.txt`` (acronyms, loanwords, broader terms).
- ``plan``: turns a query into groups of alternatives (every group must match, any alternative
  of a group will do). Stemming stays with the backend (PostgreSQL's and OpenSearch's Dutch
  stemmers).
"""
from __future__ import annotations

import logging
import re
import unicodedata
import dataclasses
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
SYNONYMS_FILE = HERE / "synonyms.txt"
PEOPLE_WORDS_FILE = HERE / "people_words.txt"
EXTRA_WORDS_FILE = HERE / "extra_words.txt"
WORD_LIST = Path("/usr/share/dict/dutch")

TOKEN = re.compile(r"[a-z0-9]+")
# an apostrophe inside a word is no break in it: pm'er, zzp'ers, auto's read pmer, zzpers, autos
INNER_APOSTROPHE = re.compile(r"(?<=[a-z0-9])['\u2019`](?=[a-z])")
MIN_PART = 4           # shortest compound part (vork, bouw, zorg); shorter parts are mostly noise
MIN_COMPOUND = 2 * MIN_PART
MAX_PHRASE = 6         # longest synonym entry, in words
APART_PART = 5         # a compound matches its parts apart only when each is this long (not heft + ruck)

# The Snowball Dutch stop words (the list PostgreSQL's `dutch` configuration uses).
STOP_WORDS = frozenset("""
de en van ik te dat die in een hij het niet zijn is was op aan met als voor had er maar om hem dan
zou of wat mijn men dit zo door over ze zich bij ook tot je mij uit der daar haar naar heb hoe heeft
hebben deze u want nog zal me zij nu ge geen omdat iets worden toch al waren veel meer doen toen moet
ben zonder kan hun dus alles onder ja eens hier wie werd altijd doch wordt wezen kunnen ons zelf tegen
na reeds wil kon niets uw iemand geweest andere
""".split())


# Words that say what the person wants to do, not what about: they never exclude a course (a
# query "heftruck leren" finds the heftruck courses that do not say "leren"). Dropped from the
# plan unless the query has nothing else (phrases: their words together).
INTENT_WORDS = frozenset("""worden leren omscholen omscholing bijscholen bijscholing cursus cursussen opleiding
opleidingen training trainingen scholing volgen doen halen starten beginnen wil willen graag zoek zoeken""".split())
INTENT_PHRASES = (("diploma", "halen"), ("certificaat", "halen"), ("omscholen", "naar"), ("opleiding", "tot"))


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def tokens(text: str) -> list[str]:
    return TOKEN.findall(INNER_APOSTROPHE.sub("", fold(text)))


class Lexicon:
    """Dictionary-based compound splitting: the fewest known words that make up a token."""

    def __init__(self, words: Iterable[str]):
        self.words = frozenset(w for w in (fold(w.strip()) for w in words)
                               if MIN_PART <= len(w) <= 40 and w.isalpha())
        self._splits: dict[str, list[str]] = {}     # words recur: split each once

    @classmethod
    def load(cls, path: Path = WORD_LIST, extra: Path = EXTRA_WORDS_FILE) -> "Lexicon":
        words: list[str] = []
        if path.exists():
            words.extend(path.read_text(encoding="utf-8", errors="ignore").splitlines())
        else:
            log.warning("no Dutch word list at %s (Debian package wdutch): compounds are split "
                        "with the short built-in list only", path)
        words.extend(_lines(extra))
        return cls(words)

    def split(self, word: str) -> list[str]:
        """The parts of compound ``word`` (at least two), or [] when it is not one. A linking
        ``s`` between parts is allowed (bedrijf-s-hulpverlening)."""
        if word not in self._splits:
            if len(self._splits) > 200_000:
                self._splits.clear()
            self._splits[word] = self._split(word)
        return self._splits[word]

    def _split(self, word: str) -> list[str]:
        n = len(word)
        if n < MIN_COMPOUND:
            return []
        # best[i]: the fewest parts spelling word[i:], as a list (None: impossible)
        best: list[list[str] | None] = [None] * (n + 1)
        best[n] = []
        for i in range(n - MIN_PART, -1, -1):
            choice = None
            for j in range(n, i + MIN_PART - 1, -1):      # longest part first
                if word[i:j] not in self.words:
                    continue
                for k in (j, j + 1) if j < n and word[j] == "s" else (j,):
                    rest = best[k]
                    if rest is not None and (choice is None or len(rest) + 1 < len(choice)):
                        choice = [word[i:j], *rest]
            best[i] = choice
        parts = best[0]
        if parts is None or len(parts) < 2:
            # the whole word may be the only way to spell it; look for a split anyway
            parts = self._split_known(word)
        return parts if parts and len(parts) >= 2 else []

    def _split_known(self, word: str) -> list[str]:
        for j in range(len(word) - MIN_PART, MIN_PART - 1, -1):
            head, tail = word[:j], word[j:]
            if head in self.words:
                if tail in self.words:
                    return [head, tail]
                if tail.startswith("s") and tail[1:] in self.words:
                    return [head, tail[1:]]
        return []

    def parts(self, text: str) -> list[str]:
        """Every part of every compound in ``text``, split down to the smallest known words,
        and neighbouring parts joined again (vork|heftruck|certificaat also gives
        heftruckcertificaat), without the compound itself and without repeats."""
        seen: dict[str, None] = {}
        for token in tokens(text):
            leaves = self._leaves(token, seen, top=True)
            for size in range(1, len(leaves)):
                for start in range(len(leaves) - size + 1):
                    seen.setdefault("".join(leaves[start:start + size]), None)
            seen.pop(token, None)
        return list(seen)

    def _leaves(self, word: str, seen: dict[str, None], top: bool = False) -> list[str]:
        # a part is split again only when long (vorkheftruck), not heftruck into heft + ruck
        split = self.split(word) if top or len(word) >= MIN_COMPOUND + 2 else []
        if not split:
            return [word]
        leaves = []
        for part in split:
            seen.setdefault(part, None)
            leaves.extend(self._leaves(part, seen))
        return leaves


@dataclass(frozen=True)
class Synonyms:
    version: str
    rules: dict[tuple[str, ...], frozenset[tuple[str, ...]]]

    @classmethod
    def load(cls, *paths: Path) -> "Synonyms":
        """The rules of ``paths`` (synonyms.txt and people_words.txt), the version of each in
        the version of all."""
        versions, rules = [], {}
        for raw in (line for path in (paths or (SYNONYMS_FILE, PEOPLE_WORDS_FILE))
                    for line in path.read_text(encoding="utf-8").splitlines()):
            line = raw.strip()
            if line.startswith("# version:"):
                versions.append(line.split(":", 1)[1].strip())
            if not line or line.startswith("#"):
                continue
            if "=>" in line:
                left, right = line.split("=>", 1)
                sources, targets = _entries(left), _entries(right)
            else:
                sources = targets = _entries(line)
            for source in sources:
                rules.setdefault(source, set()).update(t for t in targets if t != source)
        return cls(".".join(versions) or "unversioned", {k: frozenset(v) for k, v in rules.items()})


def _entries(text: str) -> list[tuple[str, ...]]:
    return [tuple(tokens(e)) for e in text.split(",") if tokens(e)]


def _lines(path: Path) -> list[str]:
    if not path.exists():
        return []
    return [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines()
            if ln.strip() and not ln.startswith("#")]


@dataclass(frozen=True)
class Group:
    """One position of a query: ``alternatives`` are phrases (words joined by spaces); a
    document matches the group when it contains any one of them."""
    word: str                      # what the user typed here
    alternatives: tuple[str, ...]  # the typed word or phrase first
    # words that match too when each is somewhere in the course (title, text), not side by
    # side: two words typed as one phrase, a compound's long parts (vrachtwagen chauffeur)
    apart: tuple[str, ...] = ()


@dataclass(frozen=True)
class QueryPlan:
    text: str
    groups: tuple[Group, ...]
    # a document matches when it matches every group; a relaxed plan (any_word) when it matches
    # one, those matching more ranking first
    any_word: bool = False
    # the typo corrections the plan took in, per word typed (not part of what matches)
    corrected: dict = dataclasses.field(default_factory=dict, compare=False, hash=False)

    @property
    def words(self) -> list[str]:
        return [g.word for g in self.groups]

    @property
    def key(self) -> tuple:
        """What the matches depend on (not how the words were written)."""
        return self.groups, self.any_word

    def relaxed(self) -> "QueryPlan":
        return dataclasses.replace(self, any_word=True)


@lru_cache(maxsize=1)
def default_synonyms() -> Synonyms:
    return Synonyms.load()


@lru_cache(maxsize=1)
def default_lexicon() -> Lexicon:
    return Lexicon.load()


def plan(q: str, synonyms: Synonyms, lexicon: Lexicon,
         corrections: dict[str, list[str]] | None = None) -> QueryPlan:
    """Groups for query ``q``. Quoted text stays one phrase; the longest synonym entry wins;
    a compound also matches its parts written apart; ``corrections`` (typo candidates per
    word, from the backend's vocabulary) are extra alternatives. Stop words on their own are
    dropped."""
    corrections = corrections or {}
    subject = _without_intent(q)
    if subject != q and tokens(subject):
        q = subject
    groups: list[Group] = []
    for quoted, plain in re.findall(r'"([^"]*)"|([^"]+)', q):
        if quoted:
            words = tokens(quoted)
            if words:
                phrase = " ".join(words)
                groups.append(Group(phrase, (phrase,)))
            continue
        words = tokens(plain)
        i = 0
        while i < len(words):
            for size in range(min(MAX_PHRASE, len(words) - i), 0, -1):
                span = tuple(words[i:i + size])
                if size > 1 and span not in synonyms.rules:
                    continue
                typed = " ".join(span)
                alternatives, apart = [typed], [typed] if size > 1 else []
                alternatives += [" ".join(t) for t in sorted(synonyms.rules.get(span, ()))]
                if size == 1:
                    word = span[0]
                    parts = lexicon.split(word)
                    if parts:
                        alternatives.append(" ".join(parts))
                        if all(len(p) >= APART_PART for p in parts):
                            apart.append(" ".join(parts))
                    alternatives += course_subject(word, parts)
                    alternatives += irregular_singular(word)
                    alternatives += corrections.get(word, [])
                    if word in STOP_WORDS and len(alternatives) == 1:
                        break
                groups.append(Group(typed, tuple(dict.fromkeys(alternatives)), tuple(apart)))
                break
            i += size
    return QueryPlan(q, _joined(groups), corrected={w: tuple(c) for w, c in corrections.items() if c})


def _without_intent(q: str) -> str:
    """``q`` without its intent words (outside quotes): what it is about."""
    out = []
    for quoted, plain in re.findall(r'"([^"]*)"|([^"]+)', q):
        if quoted:
            out.append(f'"{quoted}"')
            continue
        words = tokens(plain)
        for phrase in INTENT_PHRASES:
            for i in range(len(words) - len(phrase) + 1):
                if tuple(words[i:i + len(phrase)]) == phrase:
                    words[i:i + len(phrase)] = [""] * len(phrase)
        out.append(" ".join(w for w in words if w and w not in INTENT_WORDS))
    return " ".join(o for o in out if o)


def _joined(groups: list[Group]) -> tuple[Group, ...]:
    """Two words typed apart that people also write as one (web developer, vrachtwagen
    chauffeur): each of the two groups also takes the word written together, so a course with
    the compound matches both, as one with the words apart does."""
    out = list(groups)
    for i in range(len(groups) - 1):
        left, right = groups[i].word, groups[i + 1].word
        if " " in left or " " in right or not (left.isalpha() and right.isalpha()) or len(left) < 2 \
                or len(right) < 3 or left in STOP_WORDS or right in STOP_WORDS:
            continue
        together = left + right
        out[i] = dataclasses.replace(out[i], alternatives=tuple(dict.fromkeys((*out[i].alternatives, together))))
        out[i + 1] = dataclasses.replace(out[i + 1], alternatives=tuple(dict.fromkeys(
            (*out[i + 1].alternatives, together))))
    return tuple(out)


# What a compound's last part may be that says only "a course" (taalcursus, heftruckopleiding)
# (longest first, so that the longest head is taken off a word)
GENERIC_HEADS = tuple(sorted("""cursus cursussen opleiding opleidingen training trainingen scholing workshop
workshops les lessen""".split(), key=len, reverse=True))


def course_subject(word: str, parts: list[str]) -> list[str]:
    """What a compound that ends in a word for "course" is about: a taalcursus is a course about
    taal, so ``taal`` alone also matches (*Nederlands als tweede taal*, which no one calls a
    taalcursus). From the compound's parts, or, for a subject the word list does not know
    (``excelcursus``), from the word less its head (and a linking ``s``)."""
    if len(parts) > 1 and parts[-1] in GENERIC_HEADS:
        return [" ".join(parts[:-1])]
    for head in GENERIC_HEADS:
        subject = word[: -len(head)]
        if word.endswith(head) and len(subject) >= 3 and subject not in STOP_WORDS:
            return [subject] + ([subject[:-1]] if subject.endswith("s") and len(subject) >= 5 else [])
    return []


# Plurals the Dutch stemmer leaves apart from their singular: -man makes -mannen or -lieden
# (timmermannen, timmerlieden -> timmerman; vaklieden -> vakman).
IRREGULAR_PLURALS = (("mannen", "man"), ("lieden", "man"))


def irregular_singular(word: str) -> list[str]:
    """The singular of an irregular plural (a word of at least three letters before the
    ending), else nothing."""
    return [word[: -len(plural)] + singular for plural, singular in IRREGULAR_PLURALS
            if word.endswith(plural) and len(word) - len(plural) >= 3]


def correctable(word: str) -> bool:
    """Words long enough to look for a typo in (short ones are too ambiguous)."""
    return len(word) >= 5 and not word.isdigit()


def adjacent_swaps(word: str) -> list[str]:
    """``word`` with two neighbouring letters swapped, each way it can be: a typo
    that Levenshtein counts as two, and search and suggest as one (``heftrukc`` ->
    ``eheftrukc``..., ``heftruck``)."""
    return list(dict.fromkeys(word[:i] + word[i + 1] + word[i] + word[i + 2:]
                              for i in range(len(word) - 1) if word[i] != word[i + 1]))
