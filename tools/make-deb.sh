#!/bin/bash
# make deb: the Debian packages of this checkout, then lintian on them.
#   tools/make-deb.sh [OUTDIR]     (default build-deb; the .debs, .changes and logs go there)
# The checkout (what git knows, tracked or not ignored) is copied to OUTDIR/ntms and built there
# with dpkg-buildpackage -us -uc -b, so that the work tree gets no debian/tmp and the packages
# do not land in its parent directory. lintian then must report no error and no warning that
# debian/*.lintian-overrides does not justify.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$src/build-deb}
need() { command -v "$1" >/dev/null || { echo "make-deb: $1 is not installed (package $2)" >&2; exit 1; }; }
need dpkg-buildpackage dpkg-dev
need dh debhelper
need lintian lintian
need git git

rm -rf "$out"
mkdir -p "$out/ntms"
out=$(cd "$out" && pwd)
(cd "$src" && git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf -) |
  tar -C "$out/ntms" -xf -
echo "make-deb: dpkg-buildpackage -us -uc -b in $out/ntms (log: $out/build.log)"
if ! (cd "$out/ntms" && dpkg-buildpackage -us -uc -b) >"$out/build.log" 2>&1; then
  tail -n 40 "$out/build.log" >&2
  echo "make-deb: dpkg-buildpackage failed (log: $out/build.log)" >&2
  exit 1
fi
changes=$(ls "$out"/*.changes)
echo "make-deb: lintian $(basename "$changes")"
lintian --fail-on error,warning --display-info "$changes" | tee "$out/lintian.log"
ls -1 "$out"/*.deb
