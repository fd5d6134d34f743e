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

# check_man_examples PAGE: run every literal display of PAGE's EXAMPLES
# section that shows output, and compare what it prints (stdout and stderr,
# runs of blanks as one space) with what the page shows.  In a display, a
# line starting with "$ " is a command, continued on the next line after
# a trailing '|' or '\'; the other lines are its output.  The displays run
# in order in one scratch folder where data/ is the shipped data, so a
# model made by one is there for the next; displays without output, and
# those of an endless stream (-n 0), are not run.
# Runs of blanks as one space: a page aligns tab-separated columns.
squeeze() {
	sed 's/[[:blank:]][[:blank:]]*/ /g'
}

check_man_examples() {
	local page="$IFTOOLS_ROOT/man/$1" dir="$BATS_TEST_TMPDIR/examples" n i
	mkdir -p "$dir"
	ln -sfn "$DATA" "$dir/data"
	n=$(awk -v dir="$dir" '
		function unescape(s) {
			gsub(/\\-/, "-", s); gsub(/\\&/, "", s); gsub(/\\e/, "\\", s)
			return s
		}
		/^\.Sh / { in_ex = $2 == "EXAMPLES" }
		in_ex && /^\.Bd -literal/ { block = 1; cmd = ""; want = ""; cont = 0; next }
		in_ex && block && /^\.Ed/ {
			block = 0
			# An endless stream (-n 0) is shown, not run.
			if (cmd != "" && want != "" && cmd !~ /-n 0( |$)/) {
				n++
				printf "%s", cmd > (dir "/cmd" n); close(dir "/cmd" n)
				printf "%s", want > (dir "/want" n); close(dir "/want" n)
			}
			next
		}
		block {
			line = unescape($0)
			if (cont || line ~ /^\$ /) {
				if (!cont) sub(/^\$ /, "", line)
				cmd = cmd line "\n"
				cont = line ~ /[|\\]$/
			} else {
				want = want line "\n"
			}
		}
		END { print n + 0 }' "$page")
	echo "$1: $n examples with output"
	[ "$n" -gt 0 ]
	for ((i = 1; i <= n; i++)); do
		(cd "$dir" && bash -o pipefail "cmd$i" 2>&1) | squeeze >"$dir/got$i"
		echo "--- example $i: $(head -n 1 "$dir/cmd$i")"
		# A long line may be shown wrapped: then the words must agree.
		diff <(squeeze <"$dir/want$i") "$dir/got$i" ||
		    [ "$(tr -d ' \n' <"$dir/want$i")" = "$(tr -d ' \n' <"$dir/got$i")" ]
	done
}
