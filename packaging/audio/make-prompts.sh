#!/bin/sh
# Regenerates the spoken prompts in assets/audio/<language>/<key>.wav from the texts in
# i18n/<language>.ftl, with espeak-ng (Debian: apt-get install espeak-ng).
#
#   packaging/audio/make-prompts.sh            # every language espeak-ng has a voice for
#   packaging/audio/make-prompts.sh vi         # one language
#
# The kiosk plays these on tap-and-hold (src/audio.rs). The keys are PROMPT_KEYS there; keep
# the two lists in step (a test checks every language's folder against it). A recorded human
# voice can replace any file: same name, WAV (PCM), mono.
set -eu

root=$(cd "$(dirname "$0")/../.." && pwd)
keys="question-default level-very-unsatisfied level-unsatisfied level-neutral level-satisfied level-very-satisfied"
# Slower than espeak-ng's default (175 words a minute): for elderly listeners.
speed=130

command -v espeak-ng >/dev/null || { echo "espeak-ng is missing: apt-get install espeak-ng" >&2; exit 1; }

languages=${*:-$(cd "$root/i18n" && ls *.ftl | sed 's/\.ftl$//')}
for language in $languages; do
    if ! espeak-ng --voices="$language" | awk 'NR > 1 { found = 1 } END { exit !found }'; then
        echo "$language: espeak-ng has no voice; skipped (record the prompts instead)" >&2
        continue
    fi
    out="$root/assets/audio/$language"
    mkdir -p "$out"
    for key in $keys; do
        text=$(sed -n "s/^$key = //p" "$root/i18n/$language.ftl")
        [ -n "$text" ] || { echo "$language: no text for $key" >&2; exit 1; }
        espeak-ng -v "$language" -s "$speed" -w "$out/$key.wav" "$text"
    done
    echo "$language: $(ls "$out" | wc -l) prompts in $out"
done
