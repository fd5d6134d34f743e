#!/usr/bin/env bats
# The ways a forest is walked must give the same scores: the block walk
# with the processor's vector instructions (AVX-512 where it has them),
# the block walk in portable C (IFTOOLS_SIMD=0), and the general walk that
# --json uses row by row; for an extended forest, the block walk of
# hyperplanes and the general walk.  On a processor without AVX-512 the
# first two are the same code, and these tests check the portable walk.

load test_helper

# rows N D SEED: a header f1..fD and N rows of D values, some repeated,
# some constant runs, and some rows with a missing value (NA).
rows() {
	awk -v n="$1" -v d="$2" -v seed="$3" 'BEGIN {
		srand(seed)
		for (j = 1; j <= d; j++) printf "%sf%d", (j > 1 ? "\t" : ""), j
		print ""
		for (i = 0; i < n; i++) {
			line = ""
			for (j = 1; j <= d; j++) {
				if (i % 97 == 13 && j == (i % d) + 1) v = "NA"
				else if (i % 11 == 0) v = 5
				else v = sprintf("%.3f", (rand() - 0.5) * 10 ^ j)
				line = line (j > 1 ? "\t" : "") v
			}
			print line
		}
	}'
}

# agree MODEL INPUT: the scores of the three walks, compared.
agree() {
	ifscore -m "$1" "$2" | awk -F'\t' 'NR > 1 { print $(NF - 1) }' >vector.txt
	IFTOOLS_SIMD=0 ifscore -m "$1" "$2" |
	    awk -F'\t' 'NR > 1 { print $(NF - 1) }' >portable.txt
	ifscore --json -m "$1" "$2" |
	    sed 's/.*"score":\([0-9.]*\).*/\1/' >general.txt
	[ "$(wc -l <vector.txt)" -eq "$(($(wc -l <"$2") - 1))" ]
	cmp vector.txt portable.txt
	cmp vector.txt general.txt
}

@test "walks: 1 to 5 features and 9 agree, rows not a multiple of 16" {
	for d in 1 2 3 4 5 9; do
		rows 1013 "$d" "$d" >in.tsv
		iftrain -o m.if in.tsv
		agree m.if in.tsv
	done
}

@test "walks: sample sizes from 2 to 1000 (trees of 1 to 10 levels) agree" {
	rows 1500 3 7 >in.tsv
	for s in 2 3 17 33 64 65 128 129 1000; do
		iftrain -s "$s" -t 20 -o m.if in.tsv
		agree m.if in.tsv
	done
}

@test "walks: 5 features with deep trees agree" {
	rows 1500 5 8 >in.tsv
	iftrain -s 1000 -t 30 -o m.if in.tsv
	agree m.if in.tsv
}

@test "walks: 1 to 40 rows, every length of a short last block" {
	rows 40 3 9 >all.tsv
	iftrain -s 40 -o m.if all.tsv
	for n in 1 2 15 16 17 31 33 40; do
		head -n $((n + 1)) all.tsv >in.tsv
		agree m.if in.tsv
	done
}

@test "walks: the shipped data, and iftrain's threshold, are the same either way" {
	iftrain -c 0.05 --seed 42 -o vector.if "$DATA/sensor_data.tsv"
	IFTOOLS_SIMD=0 iftrain -c 0.05 --seed 42 -o portable.if "$DATA/sensor_data.tsv"
	cmp vector.if portable.if
	agree vector.if "$DATA/sensor_data.tsv"
}

@test "walks: extended forests, 1 to 8 terms a plane, agree" {
	for d in 2 3 5 9; do
		rows 1013 "$d" "$((d + 10))" >in.tsv
		for e in 1 $((d - 1)); do
			iftrain -e "$e" -t 30 -o m.if in.tsv
			agree m.if in.tsv
		done
	done
}

@test "walks: extended forests of 1 to 10 levels agree" {
	rows 1500 4 21 >in.tsv
	for s in 2 3 33 256 1000; do
		iftrain -e 2 -s "$s" -t 20 -o m.if in.tsv
		agree m.if in.tsv
	done
}

@test "walks: an extended forest with feature splits among its planes agrees" {
	# Training writes a feature split in an extended forest only when no
	# plane it draws separates the rows; here a third of the planes are
	# turned into splits on their first term's feature and point.
	rows 1013 3 31 >in.tsv
	iftrain -e 1 -t 20 -s 64 -o planes.if in.tsv
	awk '$2 == "plane" && NR % 3 == 0 { n = $3
		print $1, "split", $4, $6, $(4 + 3 * n), $(5 + 3 * n), $(6 + 3 * n); next }
		{ print }' planes.if >mixed.if
	[ "$(grep -c ' split ' mixed.if)" -gt 50 ]
	agree mixed.if in.tsv
}
