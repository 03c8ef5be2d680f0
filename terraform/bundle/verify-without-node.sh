#!/usr/bin/env bash
# Verifies a signed terraform bundle with standard tools only (bash, openssl >= 3, jq, coreutils), for
# customers who do not install Node. Same checks as `npm run bundle:verify`:
#   signature over MANIFEST.jws, MANIFEST.json equal to the signed payload, every hash, no file added.
# Usage: verify-without-node.sh <bundle dir> <vendor public key (SPKI PEM)>
set -euo pipefail

dir=${1:?usage: verify-without-node.sh <bundle dir> <public key pem>}
pub=${2:?usage: verify-without-node.sh <bundle dir> <public key pem>}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

b64url_decode() {
  local s
  s=$(printf '%s' "$1" | tr '_-' '/+')
  case $(( ${#s} % 4 )) in 2) s="$s==" ;; 3) s="$s=" ;; esac
  printf '%s' "$s" | base64 -d
}

IFS=. read -r header payload signature < "$dir/MANIFEST.jws"
b64url_decode "$header" | jq -e '.alg == "EdDSA" and .typ == "agentplane-bundle-manifest+jws"' > /dev/null \
  || { echo "MANIFEST.jws: unexpected header" >&2; exit 1; }
printf '%s.%s' "$header" "$payload" > "$work/signing-input"
b64url_decode "$signature" > "$work/signature"
openssl pkeyutl -verify -pubin -inkey "$pub" -rawin -in "$work/signing-input" -sigfile "$work/signature" > /dev/null \
  || { echo "MANIFEST.jws: signature does not verify" >&2; exit 1; }
b64url_decode "$payload" > "$work/manifest.json"
cmp -s "$work/manifest.json" "$dir/MANIFEST.json" || { echo "MANIFEST.json: differs from the signed manifest" >&2; exit 1; }

# Same order as the signer: byte order of the relative paths.
jq -r '.files[].path' "$work/manifest.json" > "$work/signed-paths"
(cd "$dir" && find . -type f ! -name MANIFEST.json ! -name MANIFEST.jws | sed 's|^\./||' | LC_ALL=C sort) > "$work/present-paths"
if ! diff -q "$work/signed-paths" "$work/present-paths" > /dev/null; then
  first=$(diff "$work/signed-paths" "$work/present-paths" | grep -m1 '^[<>]' || true)
  case $first in "<"*) echo "${first#< }: missing" >&2 ;; *) echo "${first#> }: unexpected" >&2 ;; esac
  exit 1
fi
jq -r '.files[] | "\(.sha256)  \(.path)"' "$work/manifest.json" > "$work/sums"
if ! (cd "$dir" && sha256sum --quiet --strict -c "$work/sums" > "$work/check" 2>&1); then
  echo "$(head -n1 "$work/check" | cut -d: -f1): modified" >&2
  exit 1
fi
echo "verified $(wc -l < "$work/sums") files"
