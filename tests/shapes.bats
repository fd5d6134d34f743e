#!/usr/bin/env bats
# Hard shapes of data: duplicates and constant columns, wide rows, and
# tiny inputs of 1, 2 and 3 rows.  The forest must stay a forest (no
# degenerate trees, no division by zero) and the scores must make sense.

load test_helper

# check_trees MODEL: every tree of MODEL is sound, for data without
# missing values.  Prints "ok" and, per feature index, how many nodes split
# on it ("used F N"), or the problems found.  Sound means: a split node's
# children both hold rows and add up to it, the leaves of a tree hold the
# whole sample, and no node is deeper than ceil(log2(sample_size)).
check_trees() {
	awk '
	function fail(msg) { print "tree " tree ": " msg; bad = 1 }
	function end_tree(   i, sum) {
		if (tree < 0) return
		sum = 0
		for (i = 0; i < nnode; i++) {
			if (!(i in size)) fail("node " i " missing")
			if (i in left) {
				if (!(size[left[i]] > 0 && size[right[i]] > 0))
					fail("node " i ": a child of size 0")
				if (size[left[i]] + size[right[i]] != size[i])
					fail("node " i ": children do not add up")
			} else {
				sum += size[i]
			}
			if (depth[i] > limit) fail("node " i " at depth " depth[i])
		}
		if (sum != psi) fail("leaves hold " sum " rows of " psi)
		if (size[0] != psi) fail("root holds " size[0] " rows of " psi)
		split("", size); split("", left); split("", right); split("", depth)
	}
	$1 == "sample_size" {
		psi = $2
		for (limit = 0; 2 ^ limit < psi; limit++) ;
	}
	$1 == "penalize_range" { bounds = 2 * $2 }
	$1 == "tree" { end_tree(); tree = $2; nnode = $3; depth[0] = 0; next }
	tree >= 0 && $2 == "leaf" { size[$1] = $3 }
	tree >= 0 && ($2 == "split" || $2 == "plane") {
		if ($2 == "split") {
			l = $(5 + bounds); r = $(6 + bounds); s = $(7 + bounds)
			used[$3]++
		} else {
			l = $(3 * $3 + 4 + bounds); r = $(3 * $3 + 5 + bounds)
			s = $(3 * $3 + 6 + bounds)
			for (k = 0; k < $3; k++) used[$(4 + 3 * k)]++
		}
		size[$1] = s; left[$1] = l; right[$1] = r
		depth[l] = depth[$1] + 1; depth[r] = depth[$1] + 1
	}
	$1 == "end" { end_tree() }
	BEGIN { tree = -1 }
	END {
		if (bad) exit 1
		print "ok"
		for (f in used) print "used " f " " used[f]
	}' "$1"
}

# Whether every score (column COL of a scored TSV on stdin) is a number
# in (0, 1] as ifscore prints it: 0.dddddd or 1.000000.
scores_valid() {
	awk -F '\t' -v col="$1" '
	NR == 1 { if ($col != "score") bad = 1; next }
	{
		s = $col
		if (s !~ /^(0\.[0-9][0-9][0-9][0-9][0-9][0-9]|1\.000000)$/ || s + 0 <= 0) {
			print "line " NR ": score \"" s "\""
			bad = 1
		}
	}
	END { exit bad }'
}

# The score of the scored TSV line matching REGEX (stdin).
score_of() {
	awk -F '\t' -v re="$1" '$0 ~ re { print $(NF - 1); exit }'
}

# --- duplicates and constant columns ---------------------------------------------

# 1000 rows like the http data: a constant column, a column of three
# values, 800 rows that are one and the same row, and a few distinct ones.
duplicates() {
	awk 'BEGIN {
		print "const\tthree\tx\ty"
		for (i = 0; i < 1000; i++) {
			if (i < 800)
				print "5\t2\t10\t0"
			else
				print "5\t" (1 + i % 3) "\t" (10 + i % 17) "\t" (i % 50 == 0 ? i : 0)
		}
	}'
}

@test "duplicates and a constant column: sound trees, never a split on the constant" {
	duplicates >dup.tsv
	run_split iftrain -o dup.if dup.tsv
	[ "$status" -eq 0 ]
	[ "$err" = "iftrain: features (guessed from the first 1000 rows; -f to choose): const, three, x, y" ]
	run_split check_trees dup.if
	echo "$out"
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$out" | head -n 1)" = ok ]
	# Feature 0 is 'const': no node splits on it; the others are used.
	[ "$(printf '%s\n' "$out" | grep -c '^used 0 ')" -eq 0 ]
	printf '%s\n' "$out" | grep -q '^used 1 '
	printf '%s\n' "$out" | grep -q '^used 2 '
	# The loader agrees.
	ifscore -m dup.if --print-model >/dev/null
}

@test "duplicates and a constant column, extended forest (-e 2): sound trees" {
	duplicates >dup.tsv
	run_split iftrain -e 2 -o dup.if dup.tsv
	[ "$status" -eq 0 ]
	[ "$err" = "iftrain: features (guessed from the first 1000 rows; -f to choose): const, three, x, y" ]
	grep -q ' plane ' dup.if
	run_split check_trees dup.if
	echo "$out"
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$out" | head -n 1)" = ok ]
	[ "$(printf '%s\n' "$out" | grep -c '^used 0 ')" -eq 0 ]
}

@test "duplicates: scores finite in (0, 1]; a row unlike them scores higher" {
	duplicates >dup.tsv
	iftrain -o dup.if dup.tsv
	printf '5\t2\t10\t0\n5\t3\t40\t900\n5\t1\t10\t0\n' >extra.tsv
	{ cat dup.tsv; cat extra.tsv; } >all.tsv
	run_split ifscore -m dup.if all.tsv
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	[ "$(printf '%s\n' "$out" | wc -l)" -eq 1004 ]
	printf '%s\n' "$out" | scores_valid 5
	dup="$(printf '%s\n' "$out" | score_of '^5	2	10	0	')"
	odd="$(printf '%s\n' "$out" | score_of '^5	3	40	900	')"
	echo "duplicate row $dup, unlike row $odd"
	awk -v d="$dup" -v o="$odd" 'BEGIN { exit !(o > d + 0.1) }'
	# The 800 duplicates all score the same, and lowest of all.
	[ "$(printf '%s\n' "$out" | sed -n '2,801p' | cut -f 5 | sort -u)" = "$dup" ]
	[ "$(printf '%s\n' "$out" | sed 1d | cut -f 5 | sort | head -n 1)" = "$dup" ]
}

@test "all rows identical: score exactly 0.5 by definition, and not an anomaly" {
	# Every tree is a single leaf of the whole sample, so every row's path
	# is c(psi) in every tree and s = 2^(-c(psi)/c(psi)) = 0.5, which is
	# not above the auto threshold 0.5.  Whatever the row count.
	for n in 2 10 50 100 200 256 1000; do
		awk -v n="$n" 'BEGIN { print "a\tb"; for (i = 0; i < n; i++) print "7\t-3.5" }' >same.tsv
		iftrain -o same.if same.tsv
		[ "$(grep -c '^0 leaf ' same.if)" -eq 100 ]
		run_split ifscore -m same.if same.tsv
		[ "$status" -eq 0 ]
		[ -z "$err" ]
		got="$(printf '%s\n' "$out" | sed 1d | cut -f 3,4 | sort | uniq -c | tr -s ' ')"
		echo "$n rows: $got"
		[ "$got" = " $n 0.500000	normal" ]
	done
}

@test "a column constant but for missing values is never split on" {
	awk 'BEGIN {
		print "c\tv"
		for (i = 0; i < 300; i++) print (i % 4 ? "3" : "NA") "\t" i % 7
	}' >in.tsv
	run_split iftrain -o in.if in.tsv
	[ "$status" -eq 0 ]
	[ "$err" = "iftrain: features (guessed from the first 300 rows; -f to choose): c, v" ]
	[ "$(grep -c '^[0-9]* split 0 ' in.if)" -eq 0 ]
	grep -q '^[0-9]* split 1 ' in.if
	run_split ifscore -m in.if in.tsv
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	printf '%s\n' "$out" | scores_valid 3
}

# --- wide rows ------------------------------------------------------------------

@test "wide rows: 300 features x 2000 rows train and score (100 x 500 under valgrind)" {
	nf=300 nr=2000
	[ -z "${IFTOOLS_SLOW:-}" ] || { nf=100 nr=500; }
	awk -v nf="$nf" -v nr="$nr" 'BEGIN {
		srand(3)
		line = "id"
		for (f = 1; f <= nf; f++) line = line "\tf" f
		print line
		for (r = 1; r <= nr; r++) {
			line = "row" r
			for (f = 1; f <= nf; f++) line = line "\t" sprintf("%.4f", rand() * f)
			print line
		}
	}' >wide.tsv
	run_split iftrain -o wide.if wide.tsv
	[ "$status" -eq 0 ]
	# A wide guess lists ten names and the count.
	[ "$err" = "iftrain: features (guessed from the first $((nr < 1000 ? nr : 1000)) rows; -f to choose): f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, ... ($nf in all)
iftrain: left out: id (not numeric)" ]
	[ "$(sed -n 's/^features //p' wide.if)" -eq "$nf" ]
	# The trees use the width: many distinct features are split on.
	run_split check_trees wide.if
	[ "$(printf '%s\n' "$out" | head -n 1)" = ok ]
	[ "$(printf '%s\n' "$out" | grep -c '^used ')" -gt $((nf / 3)) ]
	ifscore -m wide.if wide.tsv >scored.tsv 2>err.txt
	[ ! -s err.txt ]
	[ "$(wc -l <scored.tsv)" -eq $((nr + 1)) ]
	[ "$(awk -F '\t' '{ print NF }' scored.tsv | sort -u)" -eq $((nf + 3)) ]
	[ "$(head -n 1 scored.tsv | cut -f "$((nf + 2))-")" = "score	status" ]
	scores_valid $((nf + 2)) <scored.tsv
	# Every row is normal or anomaly, never error.
	[ "$(cut -f "$((nf + 3))" scored.tsv | sed 1d | sort -u | tr '\n' ' ')" = "anomaly normal " ]
}

# --- tiny data ----------------------------------------------------------------------
#
# forest.c: c(n) = 0 for n <= 1, n - 1 for n <= 2, else
# 2 (ln(n - 1) + gamma) - 2 (n - 1) / n; a leaf of size n adds c(n) to its
# depth; the score is 2^(-mean path / c(psi)), and 1.0 when c(psi) = 0.

# tiny N: the first N of three rows that differ in both features.
tiny() {
	printf 'x\ty\n'
	printf '1\t5\n2\t6\n10\t20\n' | head -n "$1"
}

# The two unseen rows scored with each tiny model: far out, and all missing.
unseen() {
	printf 'x\ty\n100\t-100\n\t\n'
}

# tiny_case N [OPTIONS]: train on tiny N with OPTIONS, score the training
# rows and the unseen ones; $out is the scored rows of both, without headers.
tiny_case() {
	local n=$1
	shift
	tiny "$n" >t.tsv
	unseen >u.tsv
	run_split iftrain --no-penalize-range -f x,y "$@" -o t.if t.tsv
	echo "iftrain: status=$status err=$err"
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	run_split ifscore -m t.if t.tsv u.tsv
	echo "ifscore: status=$status err=$err"
	echo "$out"
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	out="$(printf '%s\n' "$out" | sed 1d)"
}

@test "tiny data: 1 row: psi 1, c(1) = 0, so every score is 1.0 by definition" {
	# A one-row tree isolates nothing: forest_score_of returns 1.0 when
	# c_psi is 0, for any row, seen, unseen or all missing.  The auto
	# threshold is 0.5, so every row is an anomaly.
	tiny_case 1
	grep -q -x 'sample_size 1' t.if
	grep -q -x 'c_psi 0' t.if
	[ "$out" = "1	5	1.000000	anomaly
100	-100	1.000000	anomaly
		1.000000	anomaly" ]
}

@test "tiny data: 1 row, -c 0.05: the threshold is 1.0, and 1.0 is not above it" {
	# The threshold is the 95th percentile of the training scores, all 1.0.
	tiny_case 1 -c 0.05
	grep -q -x 'threshold 1' t.if
	[ "$out" = "1	5	1.000000	normal
100	-100	1.000000	normal
		1.000000	normal" ]
}

@test "tiny data: 2 rows: psi 2, c(2) = 1, so every score is 0.5" {
	# Height limit ceil(log2 2) = 1: every tree is one split (the rows
	# differ in both features) into two leaves of one row, path 1 + c(1)
	# = 1, and s = 2^(-1/c(2)) = 0.5 for every row; a row with no values
	# takes the size-weighted mean of two paths of 1.  0.5 is not above
	# the threshold 0.5, auto or set by -c (the scores are all equal).
	for c in auto 0.05; do
		tiny_case 2 -c "$c"
		grep -q -x 'c_psi 1' t.if
		grep -q -x 'threshold 0.5' t.if
		[ "$(grep -c '^0 split ' t.if)" -eq 100 ]
		[ "$out" = "1	5	0.500000	normal
2	6	0.500000	normal
100	-100	0.500000	normal
		0.500000	normal" ]
	done
}

# The mean path length over the trees behind a printed score, for psi 3.
c3_path() {
	awk -v s="$1" 'BEGIN {
		c3 = 2 * (log(2) + 0.5772156649015329) - 2 * 2 / 3
		printf "%.4f\n", -log(s) / log(2) * c3
	}'
}

@test "tiny data: 3 rows: the middle row is never isolated first" {
	# psi 3, c(3) = 2 (ln 2 + gamma) - 4/3 = 1.2073923575896..., height
	# limit 2.  (2,6) lies between the other rows in both features, so a
	# first split isolates (1,5) or (10,20), and the other two rows are
	# split at depth 2: per tree the paths are 1, 2, 2.  So (2,6) scores
	# 2^(-2/c(3)) = 0.317216 exactly, and the three mean paths add up to 5.
	# (10,20) is far out: a uniform split isolates it first in 94 of the
	# 100 trees (mean path 1.06), (1,5) in the other 6 (1.94).
	tiny_case 3
	grep -q -x 'c_psi 1.207392357589623' t.if
	[ "$out" = "1	5	0.328333	normal
2	6	0.317216	normal
10	20	0.544149	anomaly
100	-100	0.415467	normal
		0.384116	normal" ]
	[ "$(c3_path 0.317216)" = 2.0000 ]
	[ "$(c3_path 0.328333)" = 1.9400 ]
	[ "$(c3_path 0.544149)" = 1.0600 ]
}

@test "tiny data: 3 rows, -c 0.05: numpy's interpolated quantile sets the threshold" {
	# threshold = -percentile(-scores, 5) = 0.544149 - 0.1 * (0.544149 -
	# 0.328333) = 0.522567...: the same row is the one anomaly.
	tiny_case 3 -c 0.05
	grep -q -x 'threshold 0.52256783572471543' t.if
	[ "$out" = "1	5	0.328333	normal
2	6	0.317216	normal
10	20	0.544149	anomaly
100	-100	0.415467	normal
		0.384116	normal" ]
}

@test "tiny data: -s 1 on many rows is the one-row case: every score 1.0" {
	tiny 3 >t.tsv
	run_split iftrain -f x,y -s 1 -c 0.05 -o t.if t.tsv
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	run_split ifscore -m t.if t.tsv
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	[ "$(printf '%s\n' "$out" | sed 1d | cut -f 3,4 | sort -u)" = "1.000000	normal" ]
}
