#!/usr/bin/env bash
# word-frequencies.sh - writes src/locale/word-frequencies.tsv, the word frequencies behind
# the language detector's word vote, from wordfreq 3.1.1's "small" lists (PyPI; code
# Apache-2.0, data CC BY-SA 4.0 by Robyn Speer and contributors, built from Wikipedia,
# subtitles, news, books, web text, Twitter and Reddit). General text and chat, in the seven
# languages the detector tells apart.
#
# wordfreq stores each word in a bucket of centibels: a word in bucket b has a frequency of
# about 10^(-b/100). The lists stop at 10^-6 (bucket 599). wordfreq case-folds (`ß` is
# written `ss`); faqbot folds `ß` the same way before it looks a word up. Only words made of letters are
# kept (the detector splits words at anything else). One line per word, sorted, with its
# centibels per language as listed and, for chat that drops accents, as the folded form of
# accented words ("esta" for "está").
#
# Usage: scripts/word-frequencies.sh   (needs python3 with venv, and PyPI; run from anywhere)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"${PYTHON:-python3}" -m venv "$tmp/venv"
"$tmp/venv/bin/pip" install --quiet --disable-pip-version-check msgpack==1.1.0 >&2
(cd "$tmp" && venv/bin/pip download --quiet --disable-pip-version-check --no-deps wordfreq==3.1.1 >&2 \
    && venv/bin/python -m zipfile -e wordfreq-3.1.1-py3-none-any.whl .)
"$tmp/venv/bin/python" - "$tmp/wordfreq/data" > "$tmp/out.tsv" <<'PY'
import gzip, sys, unicodedata
import msgpack
langs = ["pt", "es", "ca", "fr", "it", "en", "de"]

def fold(word):
    # As faqbot's analysis::fold: NFKC, lower case, NFD, combining marks dropped.
    word = unicodedata.normalize("NFD", unicodedata.normalize("NFKC", word).lower())
    return "".join(c for c in word if not unicodedata.category(c).startswith("M"))

listed, folded = {}, {}
for lang in langs:
    with gzip.open(f"{sys.argv[1]}/small_{lang}.msgpack.gz") as f:
        buckets = msgpack.unpackb(f.read(), raw=False)
    assert buckets[0] == {"format": "cB", "version": 1}, buckets[0]
    # As wordfreq reads them: the first bucket after the header is 0 cB.
    for cb, words in enumerate(buckets[1:]):
        for word in words:
            if not word.isalpha() or word != word.lower():
                continue
            row = listed.setdefault(word, {})
            row[lang] = min(row.get(lang, cb), cb)
            plain = fold(word)
            if plain != word:
                row = folded.setdefault(plain, {})
                row[lang] = min(row.get(lang, cb), cb)

def cell(row):
    return " ".join(f"{lang}{row[lang]}" for lang in langs if lang in row)

print("# Word frequencies per language from wordfreq 3.1.1's small lists (code Apache-2.0, data")
print("# CC BY-SA 4.0, Robyn Speer and contributors; https://github.com/rspeer/wordfreq).")
print("# word<TAB>as listed<TAB>as the accent-folded form of listed words; each cell holds")
print("# language + centibels (a word at b has frequency 10^(-b/100)), the lists stop at 599.")
print("# Sorted by the word's bytes: faqbot looks words up by binary search, reading nothing")
print("# at start-up. Written by scripts/word-frequencies.sh; do not edit by hand.")
for key in sorted(set(listed) | set(folded), key=lambda k: k.encode()):
    print(f"{key}\t{cell(listed.get(key, {}))}\t{cell(folded.get(key, {}))}")
PY
mv "$tmp/out.tsv" "$root/src/locale/word-frequencies.tsv"
wc -lc "$root/src/locale/word-frequencies.tsv"
