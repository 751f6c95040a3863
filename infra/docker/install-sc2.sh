#!/bin/sh
# Install the headless StarCraft II Linux package and its map packs into $1.
#
# Blizzard publishes these for AI research (github.com/Blizzard/s2client-proto#downloads).
# The archives are encrypted with the password 'iagreetotheeula'; typing that password
# binds you to the Blizzard StarCraft II AI and Machine Learning License:
#   https://blzdistsc2-a.akamaihd.net/AI_AND_MACHINE_LEARNING_LICENSE.html
# Nothing is unpacked unless the builder passes that password as ACCEPT_EULA: their
# explicit acceptance of the license, made at build time, never defaulted here.
#
# Inputs (environment, set from the Dockerfile's build args):
#   SC2_VERSION    one of the published Linux packages, e.g. 4.10
#   ACCEPT_EULA    must be exactly the archive password (see above)
#   SC2_SHA256     optional: expected sha256 of the package zip (pin the bytes, not only the name)
#   SC2_MAP_PACKS  space-separated map pack names (Melee holds Simple64/96/128)
set -eu

dest=${1:?usage: install-sc2.sh DEST_DIR}
cdn=https://blzdistsc2-a.akamaihd.net
license_url=$cdn/AI_AND_MACHINE_LEARNING_LICENSE.html

if [ "${ACCEPT_EULA:-}" != "iagreetotheeula" ]; then
  echo "ERROR: the StarCraft II Linux package is licensed under the Blizzard StarCraft II" >&2
  echo "AI and Machine Learning License ($license_url)." >&2
  echo "Read it; if you accept it, build with --build-arg ACCEPT_EULA=iagreetotheeula" >&2
  echo "(the archive password, whose use means acceptance)." >&2
  exit 1
fi

# Version -> published archive name (the names are not uniform; the list in
# s2client-proto's README is the source).
case "${SC2_VERSION:?set the SC2_VERSION build arg, e.g. 4.10}" in
  3.16.1) archive=SC2.3.16.1.zip ;;
  3.17) archive=SC2.3.17.zip ;;
  4.0.2) archive=SC2.4.0.2.zip ;;
  4.1.2) archive=SC2.4.1.2.60604_2018_05_16.zip ;;
  4.6) archive=SC2.4.6.0.67926.zip ;;
  4.6.1) archive=SC2.4.6.1.68195.zip ;;
  4.6.2) archive=SC2.4.6.2.69232.zip ;;
  4.7) archive=SC2.AStar.4.7.zip ;;
  4.7.1) archive=SC2.4.7.1.zip ;;
  4.8.2 | 4.8.3 | 4.8.4 | 4.8.6 | 4.9.0 | 4.9.1 | 4.9.2 | 4.9.3 | 4.10) archive=SC2.$SC2_VERSION.zip ;;
  *)
    echo "ERROR: no published StarCraft II Linux package for SC2_VERSION=$SC2_VERSION" >&2
    echo "(known: 3.16.1 3.17 4.0.2 4.1.2 4.6 4.6.1 4.6.2 4.7 4.7.1 4.8.2 4.8.3 4.8.4 4.8.6 4.9.0-4.9.3 4.10)" >&2
    exit 1
    ;;
esac

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fetch() {  # url -> file; fail on HTTP errors, retry transient ones
  curl --fail --location --retry 5 --retry-delay 5 --silent --show-error -o "$2" "$1"
}

echo "downloading StarCraft II $SC2_VERSION ($archive)"
fetch "$cdn/Linux/$archive" "$work/sc2.zip"
if [ -n "${SC2_SHA256:-}" ]; then
  echo "$SC2_SHA256  $work/sc2.zip" | sha256sum -c -
else
  echo "note: SC2_SHA256 not set; recording the archive's digest for pinning:"
  sha256sum "$work/sc2.zip"
fi
mkdir -p "$work/unpacked"
unzip -q -P "$ACCEPT_EULA" "$work/sc2.zip" -d "$work/unpacked"
rm "$work/sc2.zip"
mkdir -p "$(dirname "$dest")"
mv "$work/unpacked/StarCraftII" "$dest"

mkdir -p "$dest/Maps"
for pack in ${SC2_MAP_PACKS:-Melee}; do
  echo "downloading map pack $pack"
  fetch "$cdn/MapPacks/$pack.zip" "$work/$pack.zip"
  # Map packs are extracted straight into Maps/ (s2client-proto README).
  unzip -q -o -P "$ACCEPT_EULA" "$work/$pack.zip" -d "$dest/Maps"
  rm "$work/$pack.zip"
done

binary=$(ls "$dest"/Versions/Base*/SC2_x64 2>/dev/null | head -n 1)
[ -n "$binary" ] || { echo "ERROR: no Versions/Base*/SC2_x64 in the package" >&2; exit 1; }
chmod +x "$binary"
ls "$dest/Maps"/*/Simple64.SC2Map >/dev/null 2>&1 || echo "note: Simple64 not installed (add the Melee pack)"
echo "installed $binary"
