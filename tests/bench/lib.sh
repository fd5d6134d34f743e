# shellcheck shell=bash disable=SC2034,SC2154  # globals shared with the caller
# Shared by the quality benchmarks (tests/bench/quality, knockout, shapes);
# sourced, not run.  It finds the programs and the data sets, makes a temporary
# folder that is removed at exit, runs one train-and-score pass, and does the
# arithmetic.  The caller sets `prog` (its name, for messages) before sourcing.
# Functions that compute something set global variables rather than print, so
# that they run in the main shell and a `die` in them ends the script.

shopt -s inherit_errexit

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
datasets="$root/../shared/datasets"

die() {
	printf '%s: %s\n' "$prog" "$*" >&2
	exit 2
}

# The programs are copied to the temporary folder so that a rebuild of bin/
# while the benchmark runs (other people work in this tree) cannot change them
# halfway through.
bench_init() {
	local t
	for t in iftrain ifscore ifstat; do
		[[ -x $root/bin/$t ]] || die "$root/bin/$t not found: run 'make' first"
	done
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/$prog.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	mkdir "$tmp/bin"
	cp "$root/bin/iftrain" "$root/bin/ifscore" "$root/bin/ifstat" "$tmp/bin/"
	bin=$tmp/bin
}

need_datasets() {
	[[ -d $datasets ]] || die "data sets not found: $datasets (the shared folder beside the repository, see its README.md)"
}

# has_extension: does this iftrain have -e/--extension (the Extended Isolation
# Forest)?  The help text is read whole: `| grep -q` could end iftrain with
# SIGPIPE and read as "no" under pipefail.
has_extension() {
	local help
	help=$("$bin/iftrain" --help)
	[[ $help == *--extension* ]]
}

# unpack NAME: decompress data set NAME to the temporary folder and set `file`
# to the plain TSV (reading it repeatedly beats zcat every time).
unpack() {
	local src=$datasets/$1.tsv.gz
	file=$tmp/$1.tsv
	[[ -f $src ]] || die "data set not found: $src"
	gzip -dc "$src" >"$file" || die "cannot decompress $src"
}

# shape FILE: set `rows` and `features` of a TSV with a header whose features
# are every column but `label`.
shape() {
	local out
	out=$(awk -F '\t' 'NR == 1 { f = NF; for (i = 1; i <= NF; i++) if ($i == "label") f-- }
		END { print NR - 1, f }' "$1")
	read -r rows features <<<"$out"
}

# run TRAIN SCORE [IFTRAIN-OPTION...]: train on TRAIN, score SCORE, and set
# `auc`, `ap`, `flagged` and `tp` as ifstat reports them (roc_auc,
# average_precision, anomalies, tp; an undefined figure is "-").  iftrain's standard error is kept in $tmp/train.err for the
# caller (with -v it holds the rows used and skipped).
run() {
	local train=$1 score=$2
	shift 2
	if ! "$bin/iftrain" "$@" -o "$tmp/model.if" "$train" 2>"$tmp/train.err"; then
		cat "$tmp/train.err" >&2
		die "iftrain $* $train failed"
	fi
	# One scoring thread: the scores do not depend on -j, and at a320d31
	# ifscore's worker pipeline (the default -j 2 here) now and then hung at
	# the end of the input; a benchmark should measure, not wait.
	"$bin/ifscore" -j 1 -m "$tmp/model.if" "$score" | "$bin/ifstat" >"$tmp/stat.tsv" ||
		die "ifscore | ifstat on $score failed"
	local out scored errors expected
	out=$(awk -F '\t' '{ v[$1] = ($2 == "" ? "-" : $2) }
		END { print v["roc_auc"], v["average_precision"], v["anomalies"], v["tp"], v["rows"], v["errors"] }' \
		"$tmp/stat.tsv")
	read -r auc ap flagged tp scored errors <<<"$out"
	# Every row in, one row out, all scored: anything else is a bug to see.
	expected=$(awk 'END { print NR - 1 }' "$score")
	[[ $scored == "$expected" && $errors == 0 ]] ||
		die "$score: $expected rows in, ifstat saw $scored rows, $errors errors"
}

# seeds_run TRAIN SCORE [OPTION...]: run once for each seed in the array
# `seeds` and set `auc_mean`, `auc_sd` and `ap_mean` ("-" if any run's AUC is
# undefined).
seeds_run() {
	local train=$1 score=$2 s out
	shift 2
	: >"$tmp/auc"
	: >"$tmp/ap"
	for s in "${seeds[@]}"; do
		run "$train" "$score" --seed "$s" "$@"
		if [[ $auc == - ]]; then
			auc_mean=- auc_sd=- ap_mean=-
			return
		fi
		echo "$auc" >>"$tmp/auc"
		echo "$ap" >>"$tmp/ap"
	done
	out=$(mean_sd <"$tmp/auc")
	read -r auc_mean auc_sd <<<"$out"
	out=$(mean_sd <"$tmp/ap")
	read -r ap_mean _ <<<"$out"
}

# mean_sd: the mean and the sample standard deviation (n - 1) of the numbers on
# standard input, one per line, as "mean sd"; sd is "-" for fewer than two.
mean_sd() {
	awk '{ x[++n] = $1; s += $1 }
		END {
			if (n == 0) { print "- -"; exit }
			m = s / n
			if (n < 2) { printf "%.17g -\n", m; exit }
			for (i = 1; i <= n; i++) ss += (x[i] - m) ^ 2
			printf "%.17g %.17g\n", m, sqrt(ss / (n - 1))
		}'
}

# pm MEAN SD [DECIMALS]: "0.9876 ± 0.0019".
pm() {
	awk -v m="$1" -v s="$2" -v d="${3:-4}" 'BEGIN {
		if (m == "-") { print "-"; exit }
		if (s == "-") printf "%.*f\n", d, m
		else printf "%.*f ± %.*f\n", d, m, d, s
	}'
}

# align: lay out tab-separated lines in columns two spaces apart.  Widths are
# counted in characters by dropping UTF-8 continuation bytes (for the ±), in
# the C locale so that every awk counts the same way.
align() {
	LC_ALL=C awk -F '\t' '
		{ line[NR] = $0; for (i = 1; i <= NF; i++) { w = width($i); if (w > max[i]) max[i] = w } }
		function width(s) { gsub(/[\200-\277]/, "", s); return length(s) }
		END {
			for (r = 1; r <= NR; r++) {
				n = split(line[r], f, "\t"); out = ""
				for (i = 1; i <= n; i++) {
					out = out f[i]
					if (i < n) out = out sprintf("%*s", max[i] - width(f[i]) + 2, "")
				}
				print out
			}
		}'
}
