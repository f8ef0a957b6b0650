#!/usr/bin/env bash
# ngram-profiles.sh - writes src/locale/ngrams.tsv, the character n-gram counts behind the
# language detector's statistical vote, from the language profiles of langdetect 1.0.9
# (PyPI, Apache-2.0: Copyright 2014-2015 Michal Danilak; profiles from Shuyo Nakatani's
# language-detection, built from Wikipedia). General text, so the vote knows Catalan,
# French, Italian, English and German as well as Portuguese and Spanish.
#
# The profiles count 1-3 letter n-grams of words padded with a space; here capitals are
# folded into lower case (the detector sees lower-cased text), the space is written `_`, and
# grams with anything but letters are left out (the detector splits words there). The
# profiles were cut at different depths: src/detect/ngrams.rs evens that out when it reads.
#
# Usage: scripts/ngram-profiles.sh   (needs python3 and pip; run from anywhere)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && pip download --quiet --no-deps --no-binary :all: langdetect==1.0.9 && tar xzf langdetect-1.0.9.tar.gz)
python3 - "$tmp/langdetect-1.0.9/langdetect/profiles" > "$tmp/ngrams.tsv" <<'PY'
import json, sys
langs = ["pt", "es", "ca", "fr", "it", "en", "de"]
counts, totals = {}, {}
for i, lang in enumerate(langs):
    profile = json.load(open(f"{sys.argv[1]}/{lang}", encoding="utf-8"))
    totals[lang] = profile["n_words"]
    for gram, n in profile["freq"].items():
        gram = gram.lower().replace(" ", "_")
        # The detector splits words at anything but a letter: other grams never match.
        if not gram.strip("_") or not all(c.isalpha() or c == "_" for c in gram):
            continue
        counts.setdefault(gram, [0] * len(langs))[i] += n
print("# Character 1-3-grams (words padded with `_`) counted per language in langdetect 1.0.9's")
print("# profiles (Apache-2.0, Copyright 2014-2015 Michal Danilak; built from Wikipedia), capitals")
print("# folded. Written by scripts/ngram-profiles.sh; do not edit by hand.")
print("\t".join(["total"] + langs))
for n in range(3):
    print("\t".join([str(n + 1)] + [str(totals[l][n]) for l in langs]))
print("\t".join(["gram"] + langs))
for gram in sorted(counts):
    print("\t".join([gram] + [str(c) for c in counts[gram]]))
PY
mv "$tmp/ngrams.tsv" "$root/src/locale/ngrams.tsv"
wc -l "$root/src/locale/ngrams.tsv"
