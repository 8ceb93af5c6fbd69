"""Korean particles and endings that may follow a keyword inside the same word.

    >>> final_class("임재범"), final_class("가수"), final_class("서울"), final_class("BTS")
    (1, 0, 2, 3)
    >>> accepts("임재범", "이"), accepts("임재범", "가"), accepts("BTS", "가")
    (True, False, True)

A keyword counts in a word when the rest of the word (its *tail*) is empty or
one of the forms in :data:`PARTICLES`.  Each form says after which kind of
final syllable it is grammatical (agreement with 받침, the final consonant):

``VOWEL`` (0)
    keyword ends in a Hangul syllable without final consonant (가수 -> 가수가)
``CONSONANT`` (1)
    ends in a final consonant other than ㄹ (임재범 -> 임재범이, 임재범으로)
``RIEUL`` (2)
    ends in ㄹ: takes the consonant forms, except that 으로 becomes 로
    (서울이, 서울은, but 서울로)
``OTHER`` (3)
    ends in a Latin letter, digit or anything else: every form is accepted
    (BTS가 and BTS이 are both seen in real text, as is 5G로 / 5G으로).

The table is built from pairs (consonant form, vowel form) such as 이/가, 은/는,
을/를, 과/와, 이나/나, 이라/라; the 으로 family (으로/로); forms that do not
change (의, 에, 에서, 도, 만, 까지 ...); combinations (에서는, 에게서, 까지도,
만의 ...); and the noun-like suffixes 씨, 님, 들, 측 followed by an agreeing
particle (씨가, 님이, 들이, 측은 ...).  Forms are at most four syllables.
"""
from __future__ import annotations

__all__ = [
    "VOWEL",
    "CONSONANT",
    "RIEUL",
    "OTHER",
    "PARTICLES",
    "strip_particle",
    "MAX_PARTICLE_LEN",
    "final_class",
    "accepts",
]

VOWEL, CONSONANT, RIEUL, OTHER = 0, 1, 2, 3
_HANGUL_FIRST, _HANGUL_LAST = 0xAC00, 0xD7A3

# (after consonant incl. ㄹ, after vowel); the pairs from ("이라", "라") on are the copula 이다 and
# its endings, which also end nouns (나는가수다, 우리나라): see strip_particle's ``copula``
_PAIRS = [
    ("이", "가"), ("은", "는"), ("을", "를"), ("과", "와"), ("이나", "나"),
    ("이랑", "랑"), ("과의", "와의"), ("과는", "와는"), ("과도", "와도"), ("과만", "와만"),
    ("은커녕", "는커녕"), ("이라", "라"), ("이란", "란"), ("이다", "다"), ("이고", "고"),
    ("이며", "며"), ("이야", "야"), ("이여", "여"), ("이라는", "라는"), ("이라고", "라고"),
    ("이라도", "라도"), ("이라며", "라며"), ("이라면", "라면"), ("이라서", "라서"),
    ("이지만", "지만"), ("이었다", "였다"), ("이었던", "였던"), ("이었고", "였고"),
    ("이었으며", "였으며"), ("이에요", "예요"), ("이든", "든"), ("이든지", "든지"),
    ("이나마", "나마"), ("이면", "면"), ("이라든가", "라든가"), ("이라니", "라니"), ("이라기보다", None),
    ("이냐", "냐"), ("이자", None), ("이야말로", "야말로"), ("이란다", "란다"),
    ("이래", "래"), ("이었지만", "였지만"),
]
_FIRST_COPULA = _PAIRS.index(("이라", "라"))
# 으로 family: (after consonant other than ㄹ, after vowel or ㄹ)
_RO = ["", "서", "써", "는", "도", "의", "부터", "만", "서는", "써는", "서의", "까지"]
# forms that do not depend on the final syllable
_INVARIANT = [
    "의", "에", "에서", "에게", "께", "께서", "한테", "도", "만", "까지", "부터", "마저",
    "조차", "처럼", "보다", "같이", "밖에", "뿐", "인", "만큼", "대로", "보고", "하고",
    "에서는", "에서도", "에서의", "에서만", "에서부터", "에서처럼", "에서와", "에서나",
    "에는", "에도", "에의", "에만", "에나", "에서조차", "에까지", "에게는", "에게도", "에게서",
    "에게만", "에게의", "에게로", "께서는", "께서도", "께는", "께도", "한테는", "한테도",
    "한테서", "한테만", "까지도", "까지는", "까지의", "까지만", "부터는", "부터도", "부터의",
    "부터가", "만의", "만은", "만을", "만이", "만이라도", "만으로", "만으로도", "만큼은",
    "만큼의", "만큼도", "보다는", "보다도", "보다가", "처럼은", "처럼도", "뿐만", "뿐이다",
    "뿐인", "조차도", "마저도", "밖에는", "대로의", "같은", "같이는", "인가",
    "인지", "인데", "인들", "답게", "다운", "마다", "마다의", "끼리", "쯤", "쯤은",
]
# noun-like suffixes that take their own agreeing particle
_NOUN_SUFFIXES = ["씨", "님", "들", "측"]
_AFTER_SUFFIX = ["", "이/가", "은/는", "을/를", "과/와", "의", "에", "에게", "에서", "도", "만",
                 "까지", "으로/로", "께서", "이다/다", "이라고/라고", "이라는/라는"]

MAX_PARTICLE_LEN = 4


def final_class(word: str) -> int:
    """Kind of the last character: VOWEL, CONSONANT, RIEUL (Hangul finals) or OTHER."""
    if not word:
        return OTHER
    code = ord(word[-1])
    if not _HANGUL_FIRST <= code <= _HANGUL_LAST:
        return OTHER
    jong = (code - _HANGUL_FIRST) % 28
    return VOWEL if jong == 0 else RIEUL if jong == 8 else CONSONANT


def _agreeing(cls: int, choice: str) -> str:
    """Pick the form of 'cons/vowel' choice (or a plain form) agreeing with ``cls``."""
    if "/" not in choice:
        return choice
    cons, vowel = choice.split("/")
    if cons == "으로":
        return cons if cls == CONSONANT else vowel
    return vowel if cls == VOWEL else cons


def _build() -> dict[str, frozenset[int]]:
    table: dict[str, set[int]] = {}

    def add(form: str | None, *classes: int) -> None:
        if form:
            table.setdefault(form, set()).update(classes)

    for cons, vowel in _PAIRS:
        add(cons, CONSONANT, RIEUL)
        add(vowel, VOWEL)
    for tail in _RO:
        add("으로" + tail, CONSONANT)
        add("로" + tail, VOWEL, RIEUL)
    for form in _INVARIANT:
        add(form, VOWEL, CONSONANT, RIEUL)
    for suffix in _NOUN_SUFFIXES:
        cls = final_class(suffix)
        for choice in _AFTER_SUFFIX:
            add(suffix + _agreeing(cls, choice), VOWEL, CONSONANT, RIEUL)
    too_long = [form for form in table if len(form) > MAX_PARTICLE_LEN]
    for form in too_long:
        del table[form]
    return {form: frozenset(classes | {OTHER}) for form, classes in sorted(table.items())}


#: particle form -> set of final classes of the keyword after which it is accepted
PARTICLES: dict[str, frozenset[int]] = _build()
#: the forms that are only the copula 이다 and its endings (not also a particle)
COPULA_FORMS: frozenset[str] = frozenset(f for pair in _PAIRS[_FIRST_COPULA:] for f in pair if f) - {
    f for pair in _PAIRS[:_FIRST_COPULA] for f in pair} - set(_INVARIANT)


def strip_particle(word: str, min_stem: int = 2, copula: bool = True) -> str:
    """The word without its longest form of :data:`PARTICLES` that agrees with what precedes it,
    never shorter than ``min_stem`` characters: the one rule for every caller that compares or
    counts words. ``copula=False`` keeps the copula's forms (다, 라, 고, 야 ... after a vowel),
    which also end nouns, for comparing the words of titles and queries.

    >>> strip_particle("임재범이"), strip_particle("나가수가"), strip_particle("확인"), strip_particle("이가", 1)
    ('임재범', '나가수', '확인', '이')
    >>> strip_particle("사실이다"), strip_particle("나는가수다"), strip_particle("나는가수다", copula=False)
    ('사실', '나는가수', '나는가수다')
    """
    for n in range(min(MAX_PARTICLE_LEN, len(word) - min_stem), 0, -1):
        tail = word[-n:]
        classes = PARTICLES.get(tail)
        if classes and final_class(word[:-n]) in classes and (copula or tail not in COPULA_FORMS):
            return word[:-n]
    return word


def accepts(keyword: str, tail: str) -> bool:
    """Whether ``keyword`` followed by ``tail`` (rest of the word) is a keyword hit."""
    if not tail:
        return True
    classes = PARTICLES.get(tail)
    return classes is not None and final_class(keyword) in classes
