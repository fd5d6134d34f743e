# Shared by every .bats file: puts the built programs first on PATH and
# gives each test a scratch folder.
IFTOOLS_ROOT="$(cd "$BATS_TEST_DIRNAME/.." && pwd)"
# tests/cluster is a level deeper.
[ -f "$IFTOOLS_ROOT/Makefile" ] || IFTOOLS_ROOT="$(cd "$IFTOOLS_ROOT/.." && pwd)"
# make sanitize and make valgrind point IFTOOLS_BIN at their own builds.
PATH="${IFTOOLS_BIN:-$IFTOOLS_ROOT/bin}:$PATH"
DATA="$IFTOOLS_ROOT/data"
export IFTOOLS_ROOT DATA PATH LC_ALL=C

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
}

# Bats' run merges stderr into $output; these keep them apart.
# run_split CMD...: sets $status, $out (stdout) and $err (stderr).
run_split() {
	local errfile="$BATS_TEST_TMPDIR/.stderr.$$"
	set +e
	out="$("$@" 2>"$errfile")"
	status=$?
	set -e
	err="$(cat "$errfile")"
	rm -f "$errfile"
}

# A small model trained on the shipped data, made once per test file:
# scikit-learn's forest (no range penalty), whose scores the tests pin.
shipped_model() {
	local model="$BATS_FILE_TMPDIR/shipped.if"
	[ -s "$model" ] || iftrain --no-penalize-range -c 0.05 --seed 42 \
	    -o "$model" "$DATA/sensor_data.tsv"
	echo "$model"
}
