"""Build the starting keyword dictionary and stopword list from real data.

    python -m benchmarks.build_dictionary --out dictionaries/keywords.tsv \\
        --stopwords-out dictionaries/stopwords.txt --data /work/shared/data

Sources (read, never copied: only the derived word list is written):

* the noun lexicons bundled with konlpy's taggers, read straight from their
  jars: Kkma ``dic/noun.dic`` (NNG/NNP tags) and Open Korean Text (Okt)
  ``noun/*.txt`` lists (nouns, entities, Wikipedia titles, geolocations,
  company names, politicians, k-pop names, family names);
* document frequencies of words in the Korean news sets (title + text), the
  petitions (title + content) and the search-trend phrases under ``--data``.
  Every word (run of Hangul/Latin letters) loses a trailing particle that
  agrees with its stem (:mod:`keywords.particles`), so ``자민당이`` counts for
  ``자민당``.

What is kept (``df`` = number of distinct documents):

1. lexicon nouns of two or more characters with ``df >= min_docs`` (3 for
   Wikipedia titles, which are noisier);
2. words unknown to the lexicons with ``df >= 4 * min_docs`` that Okt tags as
   nouns only (compounds such as ``무기징역``), or 3-syllable words starting
   with a family name and not ending like a verb (new names such as ``최가온``,
   typed person);
3. Latin or mixed words (``SK하이닉스``, ``AI``) with ``df >= 4 * min_docs``;
4. two-word phrases (``볼로디미르 젤렌스키``) whose parts are both known nouns,
   seen in ``>= 15 * min_docs`` documents and in at least half of the documents
   of their first word: the matcher keeps the longest entry at a start, so a
   looser rule would let ``대통령 지지율`` take the hits of ``대통령``; phrases
   starting with a :data:`SEED` keyword are left out (``내란`` keeps its hits);
5. the hand-made :data:`SEED` entries (events with aliases).

Types come from the lexicon (Okt politician/k-pop lists -> person, company
list -> organisation, geolocations -> place), then suffix rules
(``~당``, ``~위원회``, ``~은행`` -> organisation; ``~시``, ``~군``, ``~동`` of
proper nouns -> place; ``~올림픽``, ``~연휴``, ``~참사`` -> event), else
``common`` for Kkma NNG and empty when unknown.

Stopwords are :data:`HAND_STOPWORDS` plus every word whose document frequency
is at least 2% in each of the three text corpora (different years and
genres, so such words carry no topic), minus :data:`NOT_STOPWORDS`.  Nothing
in the stopword list is written to the dictionary.
"""
from __future__ import annotations

import argparse
import collections
import csv
import gzip
import json
import pathlib
import re
import sys
import zipfile

import konlpy

from keywords.normalize import normalize_text
from keywords.particles import PARTICLES, strip_particle

OKT_NOUNS = "org/openkoreantext/processor/util/noun/"
OKT_TYPES = {"congress": "person", "kpop": "person", "names": "person", "company_names":
             "organisation", "geolocations": "place", "nouns": "", "entities": "",
             "wikipedia_title_nouns": ""}
SEED = [  # keyword, type, aliases
    ("설 연휴", "event", ["설연휴"]), ("설", "event", ["설날"]), ("추석", "event", []),
    ("추석 연휴", "event", ["추석연휴"]), ("동계올림픽", "event", ["동계 올림픽"]),
    ("밀라노 코르티나 동계올림픽", "event", ["밀라노올림픽"]), ("최가온", "person", []),
    ("김길리", "person", []), ("자민당", "organisation", ["자유민주당", "자민"]), ("무기징역", "common", []),
    ("내란", "common", []), ("전투기", "common", []), ("추락", "common", []),
    ("코르티나담페초", "place", ["코르티나"]),
    ("더불어민주당", "organisation", ["민주당"]), ("국민의힘", "organisation", []),
    ("자유한국당", "organisation", []), ("청와대", "organisation", []),
]
HAND_STOPWORDS = """
것 수 등 때 중 곳 데 바 뿐 줄 만큼 정도 측 쪽 점 번 개 명 건 곳곳 가지 경우 관련 대한 대해 위해
이번 오늘 어제 내일 올해 지난해 작년 내년 이날 당시 최근 현재 지금 앞서 향후 이후 이전 직후 이어
오전 오후 새벽 밤 낮 주말 평일 하루 이틀 사흘 시간 분 초 년 월 일 주 연 분기 상반기 하반기
기자 특파원 뉴스 사진 영상 속보 단독 종합 포토 르포 인터뷰 기사 보도 제공 출처 무단 전재 배포 금지
저작권 구독 댓글 클릭 링크 홈페이지 페이지 앱 자료 사진제공 연합뉴스 뉴시스 뉴스1 편집
그 이 저 그것 이것 저것 여기 거기 저기 우리 저희 자신 본인 모두 각각 일부 전체 대부분 다수 소수
하나 둘 셋 넷 다섯 첫 첫째 둘째 모든 여러 각 전 후 내 외 간 상 하 등등 및 또 또한 또는 혹은
약 총 최대 최소 이상 이하 미만 초과 가량 여 만 억 조 원 달러 엔 위안 유로 퍼센트 포인트
때문 위 아래 앞 뒤 속 안 밖 사이 가운데 주변 이곳 그곳 한편 반면 물론 다만 특히 역시 바로
가능 필요 예정 계획 상황 문제 내용 부분 방안 방식 측면 차원 수준 기준 대상 과정 결과 이유
사실 얘기 말씀 생각 의견 입장 발언 설명 주장 지적 강조 언급 전망 분석 평가 확인 발표 진행
씨 님 군 양 등의 따라 통해 함께 대비 비해 달리 관계자 측근 여부 만큼 때문에 가장 매우 다시
현지시간 한국시간 현지시각 전날 전일 당일 금일 익일 이튿날 지난달 이달 다음달 지난주 이번주 다음주
A씨 B씨 C씨 D씨 E씨 씨는 본지 본사 취재진 취재 기고 칼럼 사설 게시물 원문 바로가기
""".split()
NOT_KEYWORDS = {"현지 시각", "본 게시물", "접전 끝", "부총리 겸", "직무대행 겸", "퀴즈 정답", "설과 추석"}
NOT_STOPWORDS = {"정부", "대통령", "시장", "경제", "국민", "서울", "한국", "미국", "기업", "정책",
                 "경찰", "국회", "사회", "지역", "교육", "투자", "금리", "주식", "증시", "부동산",
                 "중국", "일본", "북한", "법원", "검찰", "선거", "의원", "대표", "정치"}
ORG_SUFFIXES = ("위원회", "공단", "은행", "그룹", "증권", "협회", "재단", "대학교", "연구원", "노조",
                "지방법원", "검찰청", "경찰청", "홀딩스", "본부")
ORG_PROPER_SUFFIXES = ("당", "부", "청", "처", "원", "회", "대", "사", "국")
PLACE_PROPER_SUFFIXES = ("시", "군", "구", "도", "동", "읍", "면", "리", "섬", "산", "강", "역", "항")
EVENT_SUFFIXES = ("올림픽", "월드컵", "선거", "총선", "대선", "연휴", "축제", "참사", "사고", "사건",
                  "전쟁", "대회", "시상식", "박람회", "정상회담", "청문회", "재판", "선고")
VERBISH_FINALS = set("다고며서면지게요죠까니한된할될는던은을진운인린른해했됐었았였겠도하되므입려러습기시적")
# Okt suffixes that make a new noun (다주택+자, 색동+원); not 들, 씩, 중, 간, 째, 상 ...
NOUN_SUFFIXES = {"자", "원", "장", "사", "가", "소", "단", "관", "청", "처", "회", "당", "인"}
# finals that look like a verb ending or a particle but end many nouns (엡스타인, 특별자치도):
# a word ending in one is kept when it is seen with particles after it
STEM_FINALS = set("인도")
_WORD = re.compile(r"[가-힣A-Za-z][가-힣A-Za-z0-9]*")
# a person's name is often followed by "(age/affiliation" or a title
_NAME_CUE = re.compile(r"\(| (?:선수|씨|감독|대표|의원|장관|회장|위원장|총리|대통령|교수|후보|전 |측)")


def display_form(word: str, cases) -> str:
    """Most frequent casing of a word with Latin letters (``sk하이닉스`` -> ``SK하이닉스``)."""
    if any("a" <= ch <= "z" for ch in word):
        forms = [f for f in (word, word.upper(), word.capitalize()) if cases[f]]
        return max(forms, key=cases.__getitem__, default=word)
    return word


def publishers(data: pathlib.Path) -> set[str]:
    """Publisher names of the news sets (bylines, never topics)."""
    names = set()
    for name in ("news_econ_kr_2026feb", "news_general_kr_2022jul"):
        with gzip.open(data / name / "items.jsonl.gz", "rt", encoding="utf-8") as handle:
            names.update(json.loads(line)["publisher_name"] for line in handle)
    return {n for n in names if n and not n.isascii()}


def read_corpora(data: pathlib.Path) -> dict[str, list[str]]:
    """Documents per corpus, normalised."""
    def jsonl(path):
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            return [json.loads(line) for line in handle]

    corpora = {}
    for name in ("news_econ_kr_2026feb", "news_general_kr_2022jul"):
        corpora[name] = [normalize_text(f"{r['title']} . {r['text']}")
                         for r in jsonl(data / name / "items.jsonl.gz") if r.get("lang") == "ko"]
    corpora["petitions"] = [normalize_text(f"{r['title']} . {r['content']}")
                            for r in jsonl(data / "petitions_kr_2019" / "petitions.jsonl.gz")]
    with gzip.open(data / "search_trends_zum_2025oct" / "trends.tsv.gz", "rt", encoding="utf-8") as h:
        corpora["trends"] = sorted({normalize_text(r["keyword"]) for r in csv.DictReader(h, delimiter="\t")})
    return corpora


def stems_with_particles(docs: list[str], min_count: int = 2) -> set[str]:
    """Words seen (in >= ``min_count`` occurrences) followed by an agreeing particle: such a
    word is a stem itself and is not cut.  Without this, a name ending in a syllable that
    is also a particle lost it (``엡스타인`` -> ``엡스타`` + ``인``) although the text has
    ``엡스타인의``, ``엡스타인과``.

    >>> sorted(stems_with_particles(["엡스타인의 파일", "엡스타인과 만남", "엡스타인"]))
    ['엡스타인']
    """
    counts = collections.Counter()
    for doc in docs:
        for match in _WORD.finditer(doc):
            raw = match.group()
            stem = strip_particle(raw, min_stem=1)
            if stem != raw:
                counts[stem] += 1
    return {w for w, c in counts.items() if c >= min_count and len(w) >= 2}


def document_frequencies(docs: list[str], lexicon=frozenset()):
    """Counters over stemmed words: unigram df, bigram df (bare first word), surface case
    counts, and name cues (bare word followed by a parenthesis or a title such as 선수).
    A word found whole in ``lexicon`` is not stripped (코르티나 stays, not 코르티 + 나)."""
    df, pairs, cases = collections.Counter(), collections.Counter(), collections.Counter()
    names = collections.Counter()
    whole = stems_with_particles(docs)
    for doc in docs:
        words, bigrams = set(), set()
        previous = None
        for match in _WORD.finditer(doc):
            raw = match.group()
            stem = raw if raw in lexicon or raw in whole else strip_particle(raw, min_stem=1)
            key = stem.lower()
            words.add(key)
            cases[stem] += 1
            if stem == raw and _NAME_CUE.match(doc, match.end()):
                names[key] += 1
            if previous is not None and previous[1] == match.start() - 1:
                bigrams.add((previous[0], key))
            previous = (key, match.end()) if stem == raw else None
        df.update(words)
        pairs.update(bigrams)
    return df, pairs, cases, names


def read_lexicon() -> tuple[dict[str, tuple[str, str]], set[str]]:
    """word -> (tag, source) from the tagger jars, and the family-name set."""
    java = pathlib.Path(konlpy.__file__).parent / "java"
    lexicon: dict[str, tuple[str, str]] = {}
    with zipfile.ZipFile(java / "kkma-2.0.jar") as jar:
        for line in jar.read("dic/noun.dic").decode("utf-8").splitlines():
            if "/" in line and not line.startswith("//"):
                word, tag = line.split("/")[:2]
                if tag.startswith(("NNG", "NNP")) and word:
                    lexicon[word] = (tag[:3], "kkma")
    with zipfile.ZipFile(java / "open-korean-text-2.1.0.jar") as jar:
        for name, kind in OKT_TYPES.items():
            for word in jar.read(f"{OKT_NOUNS}{name}.txt").decode("utf-8").split():
                if kind or word not in lexicon:
                    lexicon[word] = (kind or "NN", "okt-wiki" if name.startswith("wiki") else "okt")
        families = set(jar.read("org/openkoreantext/processor/util/substantives/family_names.txt")
                       .decode("utf-8").split())
    return lexicon, families


def entity_type(word: str, tag: str) -> str:
    """person/organisation/place/event/common or '' from lexicon tag and suffix rules."""
    if tag in ("person", "organisation", "place"):
        return tag
    last = word.split()[-1]
    if last.endswith(EVENT_SUFFIXES) and len(last) >= 3:
        return "event"
    if word.endswith(ORG_SUFFIXES) and len(word) > 3:
        return "organisation"
    if len(word) >= 3 and word.endswith("당") and not word.endswith(("식당", "성당", "정당", "서당")):
        return "organisation"
    if tag == "NNP" and len(word) >= 3:
        if word.endswith(PLACE_PROPER_SUFFIXES):
            return "place"
        if word.endswith(ORG_PROPER_SUFFIXES):
            return "organisation"
    return "common" if tag == "NNG" else ""


def repair_truncations(chosen, corpora, stems, min_docs, keep=frozenset()):
    """Entries that are mostly seen as the start of one longer word W = entry + particle
    that is itself a stem (``송가`` in ``송가인``/``송가인의``, ``비영리법`` in ``비영리법인``):
    returns (the W to check as new entries, the entries to cut).  An entry is cut when
    W is at least 75% of its uses, W's own uses (bare or with a particle) number at
    least ``4 * min_docs`` and the entry's other uses fewer (``외국`` stays beside
    ``외국인``); W is proposed only when it is not an entry already.

    >>> docs = {"news": ["송가인 콘서트", "송가인의 노래", "송가인이 온다"] * 4}
    >>> repair_truncations({"송가": ""}, docs, {"송가인"}, 2)
    ({'송가인'}, {'송가'})
    """
    raw = collections.Counter()
    for docs in corpora.values():
        for doc in docs:
            raw.update(m.group() for m in _WORD.finditer(doc))
    forms = sorted(PARTICLES)
    add, cut = set(), set()
    for entry in chosen:
        if entry in keep or " " in entry or not all("가" <= ch <= "힣" for ch in entry):
            continue
        uses = {p: raw[entry + p] for p in forms if raw.get(entry + p)}
        total = raw.get(entry, 0) + sum(uses.values())
        for p, count in uses.items():
            full = entry + p
            if full not in stems or count < 0.75 * total:
                continue
            own = count + sum(raw.get(full + q, 0) for q in forms)
            if own >= 4 * min_docs and total - count < 4 * min_docs:
                cut.add(entry)
                if full not in chosen:
                    add.add(full)
    return add, cut


def okt_nouns_only(words: list[str]) -> set[str]:
    """The words Okt tags as nouns, optionally ending in a noun suffix (색동/Noun + 원/Suffix)
    or starting with a prefix or adverb-like syllable (다/Adverb + 주택 + 자) that Komoran
    reads as part of a noun (다/NNG + 주택자/NNG): compounds such as 다주택자, 색동원."""
    from konlpy.tag import Komoran, Okt

    okt, komoran = Okt(), None
    kept = set()
    for w in words:
        tags = [tag for _, tag in okt.pos(w)]
        if not tags or "Noun" not in tags:
            continue
        last = okt.pos(w)[-1][0]
        noun_suffix = last in NOUN_SUFFIXES and (last != "당" or len(w) >= 4)  # 소나무당, not 달러당
        body = tags[:-1] if len(tags) > 1 and tags[-1] == "Suffix" and noun_suffix else tags
        if all(tag == "Noun" for tag in body):
            kept.add(w)
        elif body[0] in ("Adverb", "Prefix") and all(tag == "Noun" for tag in body[1:]):
            komoran = komoran or Komoran()
            if all(tag.startswith(("NNG", "NNP", "XPN")) for _, tag in komoran.pos(w)):
                kept.add(w)
    return kept


def komoran_not_nouns(words: list[str]) -> set[str]:
    """The words in which Komoran finds no noun at all (열린 = 열리/VV + ㄴ/ETM, 이제 = MAG)."""
    from konlpy.tag import Komoran

    komoran = Komoran()
    noun = ("NNG", "NNP", "NNB", "NR", "SL", "SH", "XR", "NA")  # NA: unknown to Komoran
    return {w for w in words if not any(tag.startswith(noun) for _, tag in komoran.pos(w))}


def build(data: pathlib.Path, min_docs: int = 2, log=print, dropped_out=None):
    """Return (rows: list of (keyword, type, aliases), stopwords: sorted list)."""
    corpora = read_corpora(data)
    log("documents:", {k: len(v) for k, v in corpora.items()})
    lexicon, families = read_lexicon()
    freq = {name: document_frequencies(docs, lexicon) for name, docs in corpora.items()}
    stems = set().union(*(stems_with_particles(docs) for docs in corpora.values()))
    df, pairs, cases, names = (collections.Counter() for _ in range(4))
    for unigram, bigram, case, name in freq.values():
        df.update(unigram)
        pairs.update(bigram)
        cases.update(case)
        names.update(name)
    log("lexicon:", len(lexicon), "distinct stems:", len(df))

    text_corpora = [name for name in corpora if name != "trends"]
    stop = set(HAND_STOPWORDS)
    for word in freq[text_corpora[0]][0]:
        if all(freq[c][0][word] >= 0.02 * len(corpora[c]) for c in text_corpora):
            stop.add(word)
    stop |= {normalize_text(p).lower() for p in publishers(data)}
    stop -= NOT_STOPWORDS
    stop = {w.lower() for w in stop if not w.isdigit()}

    chosen: dict[str, str] = {}  # keyword -> type
    unknown = []
    for word, count in df.items():
        if word in stop or len(word) < 2 or any(ch.isdigit() for ch in word):
            continue
        hangul = all("가" <= ch <= "힣" for ch in word)
        if word in lexicon:
            tag, source = lexicon[word]
            if count >= (3 if source == "okt-wiki" else 1) * min_docs and hangul:
                chosen[word] = entity_type(word, tag)
            elif count >= 4 * min_docs and not hangul:
                chosen[word] = entity_type(word, tag)
        elif count >= 4 * min_docs:
            if not hangul:
                shown = display_form(word, cases)
                if word.isascii() and not (shown.isupper() and len(word) <= 6):
                    continue  # English words in Korean text; acronyms such as AI, KT kept
                chosen[word] = ""
            elif (len(word) == 3 and word[0] in families and word[-1] not in VERBISH_FINALS
                  and names[word] >= 3):
                chosen[word] = "person"
            elif ((word[-1] not in VERBISH_FINALS or (word[-1] in STEM_FINALS and word in stems))
                  and len(word) <= 10):
                unknown.append(word)  # 엡스타인, seen as 엡스타인의/엡스타인과, is a noun
    log("lexicon/name/latin words:", len(chosen), "unknown to check with Okt:", len(unknown))
    for word in okt_nouns_only(sorted(unknown)):
        chosen[word] = entity_type(word, "new")
    # The lexicons hold inflected verbs and adverbs or rare homographs of them (열린, 하지,
    # 이제, 통한): a word is dropped when Komoran reads a verb, adverb or ending in it.
    doubtful = [w for w in chosen if chosen[w] not in ("person", "organisation", "place")
                and all("가" <= ch <= "힣" for ch in w)]
    dropped = komoran_not_nouns(doubtful)
    for word in dropped:
        del chosen[word]
    if dropped_out is not None:
        dropped_out.extend(sorted(dropped))
    log("dropped as not nouns:", len(dropped), "of", len(doubtful))

    repaired, cut = repair_truncations(chosen, corpora, stems, min_docs,
                                       {keyword for keyword, _, _ in SEED})
    for word in cut:
        del chosen[word]
    for word in okt_nouns_only(sorted(repaired)):
        chosen[word] = entity_type(word, lexicon.get(word, ("", ""))[0])
    log("truncations cut:", len(cut), "full forms added:", len(set(chosen) & repaired))

    known = set(chosen) | {w for w in lexicon if len(w) == 1}
    seeded = {keyword for keyword, _, _ in SEED}  # hand entries are not shadowed by phrases
    for (first, second), count in pairs.items():
        if count < 15 * min_docs or first in stop or second in stop or first in seeded:
            continue
        if first in known and second in known and count >= 0.5 * df[first]:
            chosen[f"{first} {second}"] = entity_type(f"{first} {second}", "")

    for word in NOT_KEYWORDS:
        chosen.pop(word, None)
    rows = {word: (" ".join(display_form(part, cases) for part in word.split()), kind, [])
            for word, kind in chosen.items()}
    for keyword, kind, aliases in SEED:  # hand entries win
        for alias in aliases:
            rows.pop(alias, None)
        rows[keyword] = (keyword, kind, aliases)
    stop -= set(rows)
    return sorted(rows.values()), sorted(stop)


def write(rows, stopwords, out: pathlib.Path, stop_out: pathlib.Path) -> None:
    with out.open("w", encoding="utf-8", newline="\n") as handle:
        handle.write("# Generated by python -m benchmarks.build_dictionary; operators may edit.\n")
        handle.write("# Columns: keyword, type (person/organisation/place/event/product/common or empty),\n")
        handle.write("# aliases ('|'-separated), weight (default 1.0), display (optional, default keyword).\n")
        handle.write("keyword\ttype\taliases\tweight\n")
        for keyword, kind, aliases in rows:
            handle.write(f"{keyword}\t{kind}\t{'|'.join(aliases)}\t\n")
    with stop_out.open("w", encoding="utf-8", newline="\n") as handle:
        handle.write("# Never-scored generic nouns: a hand list plus words frequent in news of two\n")
        handle.write("# years and in petitions alike. Generated by python -m benchmarks.build_dictionary.\n")
        handle.write("".join(f"{w}\n" for w in stopwords))


def main(argv=None) -> int:
    here = pathlib.Path(__file__).resolve().parent
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=pathlib.Path, default=here / "keywords.tsv")
    parser.add_argument("--stopwords-out", type=pathlib.Path, default=here / "stopwords.txt")
    parser.add_argument("--data", type=pathlib.Path, default=pathlib.Path("/work/shared/data"))
    parser.add_argument("--min-docs", type=int, default=2)
    args = parser.parse_args(argv)
    log = lambda *a: print(*a, file=sys.stderr)  # noqa: E731
    rows, stopwords = build(args.data, args.min_docs, log)
    write(rows, stopwords, args.out, args.stopwords_out)
    log(f"wrote {len(rows)} entries to {args.out} and {len(stopwords)} stopwords to {args.stopwords_out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
