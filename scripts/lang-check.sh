#!/usr/bin/env bash
# lang-check.sh - faqbot's language detection on public test data nobody here wrote: the
# sentences, word pairs and single words that lingua-rs ships in its language-model crates
# on crates.io (1,000 lines each, general text). Fetched with cargo into a throwaway
# project; nothing is copied into the repository. Prints, per language and kind, the share
# of lines faqbot reads as pt, es and other.
#
# Usage: scripts/lang-check.sh [FAQBOT_BINARY]   (default: target/release/faqbot)
# It is a check beside the corpus, not something to tune single lines to.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${1:-$root/target/release/faqbot}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
langs=(portuguese spanish catalan french italian english german)
mkdir -p "$tmp/p/src"
echo 'fn main() {}' > "$tmp/p/src/main.rs"
{
    printf '[package]\nname = "langdata"\nversion = "0.0.0"\nedition = "2021"\n[dependencies]\n'
    for l in "${langs[@]}"; do printf 'lingua-%s-language-model = "1.3"\n' "$l"; done
} > "$tmp/p/Cargo.toml"
(cd "$tmp/p" && cargo fetch --quiet)
src=$(cd "$tmp/p" && cargo metadata --format-version 1 | python3 -c '
import json, sys
for p in json.load(sys.stdin)["packages"]:
    if p["name"].startswith("lingua-") and p["name"].endswith("-language-model"):
        print(p["name"].split("-")[1], p["manifest_path"].rsplit("/", 1)[0])
')
printf '%-11s %-13s %7s %7s %7s\n' language kind pt es other
while read -r lang dir; do
    for kind in sentences word-pairs single-words; do
        "$bin" --model none ask --json < "$dir/testdata/$kind.txt" \
            | python3 -c '
import json, sys
counts = {"pt": 0, "es": 0, "other": 0}
for line in sys.stdin:
    counts[json.loads(line)["lang"]] += 1
n = sum(counts.values()) or 1
print(" ".join("%6.1f%%" % (100 * counts[k] / n) for k in ("pt", "es", "other")))
' | xargs printf "%-11s %-13s %7s %7s %7s\n" "$lang" "$kind"
    done
done <<< "$src"
