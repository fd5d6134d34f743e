#!/usr/bin/env bats
# The ways a forest is walked must give the same scores: the block walk
# with the processor's vector instructions (AVX-512 where it has them),
# the block walk in portable C (IFTOOLS_SIMD=0), and the general walk,
# row by row (IFTOOLS_SIMD=general); for an extended forest, the block
# walk of hyperplanes and the general walk.  Each with and without the
# range penalty (iftrain --penalize-range, the default; the tests before
# the range penalty's own train without it).  On a processor without
# AVX-512 the first two are the same code, and these tests check the
# portable walk.

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

# agree MODEL INPUT: the scores of the three walks, compared.  ifscore
# lays the forest out only once 512 rows have come (walk.h), so the rows
# are repeated past that.
agree() {
	awk 'NR == 1 { print; next } { row[++m] = $0 }
		END { for (k = 0; k * m <= 4096; k++) for (i = 1; i <= m; i++) print row[i] }' \
	    "$2" >many.tsv
	ifscore -m "$1" many.tsv | awk -F'\t' 'NR > 1 { print $(NF - 1) }' >vector.txt
	IFTOOLS_SIMD=0 ifscore -m "$1" many.tsv |
	    awk -F'\t' 'NR > 1 { print $(NF - 1) }' >portable.txt
	IFTOOLS_SIMD=general ifscore -m "$1" many.tsv |
	    awk -F'\t' 'NR > 1 { print $(NF - 1) }' >general.txt
	[ "$(wc -l <vector.txt)" -eq "$(($(wc -l <many.tsv) - 1))" ]
	[ "$(wc -l <vector.txt)" -gt 4096 ]
	cmp vector.txt portable.txt
	cmp vector.txt general.txt
}

@test "walks: 1 to 5 features and 9 agree, rows not a multiple of 16" {
	for d in 1 2 3 4 5 9; do
		rows 1013 "$d" "$d" >in.tsv
		iftrain --no-penalize-range -o m.if in.tsv
		agree m.if in.tsv
	done
}

@test "walks: sample sizes from 2 to 1000 (trees of 1 to 10 levels) agree" {
	rows 1500 3 7 >in.tsv
	for s in 2 3 17 33 64 65 128 129 1000; do
		iftrain --no-penalize-range -s "$s" -t 20 -o m.if in.tsv
		agree m.if in.tsv
	done
}

@test "walks: 5 features with deep trees agree" {
	rows 1500 5 8 >in.tsv
	iftrain --no-penalize-range -s 1000 -t 30 -o m.if in.tsv
	agree m.if in.tsv
}

@test "walks: 1 to 40 rows, every length of a short last block" {
	rows 40 3 9 >all.tsv
	iftrain --no-penalize-range -s 40 -o m.if all.tsv
	for n in 1 2 15 16 17 31 33 40; do
		head -n $((n + 1)) all.tsv >in.tsv
		agree m.if in.tsv
	done
}

@test "walks: the shipped data, and iftrain's threshold, are the same either way" {
	for rule in --no-penalize-range --penalize-range; do
		iftrain "$rule" -c 0.05 --seed 42 -o vector.if "$DATA/sensor_data.tsv"
		IFTOOLS_SIMD=0 iftrain "$rule" -c 0.05 --seed 42 -o portable.if "$DATA/sensor_data.tsv"
		IFTOOLS_SIMD=general iftrain "$rule" -c 0.05 --seed 42 -o general.if "$DATA/sensor_data.tsv"
		cmp vector.if portable.if
		cmp vector.if general.if
		agree vector.if "$DATA/sensor_data.tsv"
	done
}

@test "walks: extended forests, 1 to 8 terms a plane, agree" {
	for d in 2 3 5 9; do
		rows 1013 "$d" "$((d + 10))" >in.tsv
		for e in 1 $((d - 1)); do
			iftrain --no-penalize-range -e "$e" -t 30 -o m.if in.tsv
			agree m.if in.tsv
		done
	done
}

@test "walks: extended forests of 1 to 10 levels agree" {
	rows 1500 4 21 >in.tsv
	for s in 2 3 33 256 1000; do
		iftrain --no-penalize-range -e 2 -s "$s" -t 20 -o m.if in.tsv
		agree m.if in.tsv
	done
}

@test "walks: an extended forest with feature splits among its planes agrees" {
	# Training writes a feature split in an extended forest only when no
	# plane it draws separates the rows; here a third of the planes are
	# turned into splits on their first term's feature and point.
	rows 1013 3 31 >in.tsv
	iftrain --no-penalize-range -e 1 -t 20 -s 64 -o planes.if in.tsv
	awk '$2 == "plane" && NR % 3 == 0 { n = $3
		print $1, "split", $4, $6, $(4 + 3 * n), $(5 + 3 * n), $(6 + 3 * n); next }
		{ print }' planes.if >mixed.if
	[ "$(grep -c ' split ' mixed.if)" -gt 50 ]
	agree mixed.if in.tsv
}

# wide: the rows, every other one with its values times 3, so many fall
# outside the ranges the range penalty keeps.
wide() {
	awk -F'\t' -v OFS='\t' 'NR > 1 && NR % 2 {
		for (i = 1; i <= NF; i++) if ($i != "NA") $i *= 3 } 1' "$1"
}

@test "walks: the range penalty, 1 to 5 features and 9, agree inside and outside the ranges" {
	for d in 1 2 3 4 5 9; do
		rows 1013 "$d" "$((d + 40))" >in.tsv
		wide in.tsv >wide.tsv
		iftrain --penalize-range -o m.if in.tsv
		agree m.if in.tsv
		agree m.if wide.tsv
	done
	# The rule is in force: it changes the scores of the wide rows.
	iftrain --no-penalize-range -o plain.if in.tsv
	ifscore -m plain.if wide.tsv >plain.txt
	ifscore -m m.if wide.tsv >ranged.txt
	! cmp -s plain.txt ranged.txt
}

@test "walks: the range penalty with trees of 1 to 10 levels agrees" {
	rows 1500 3 47 >in.tsv
	wide in.tsv >wide.tsv
	for s in 2 3 17 33 128 129 256 1000; do
		iftrain --penalize-range -s "$s" -t 20 -o m.if in.tsv
		agree m.if wide.tsv
	done
}

@test "walks: the range penalty in extended forests, planes and splits, agrees" {
	for d in 2 3 5; do
		rows 1013 "$d" "$((d + 50))" >in.tsv
		wide in.tsv >wide.tsv
		for e in 1 $((d - 1)); do
			iftrain --penalize-range -e "$e" -t 30 -o m.if in.tsv
			agree m.if wide.tsv
		done
	done
	# A third of the planes made feature splits on their first term,
	# with a range around the split.
	iftrain --penalize-range -e 1 -t 20 -s 64 -o planes.if in.tsv
	awk '$2 == "plane" && NR % 3 == 0 { n = $3
		printf "%s split %s %.17g %.17g %.17g %s %s %s\n", $1, $4, $6,
		    $6 - 1000, $6 + 1000, $(6 + 3 * n), $(7 + 3 * n), $(8 + 3 * n); next }
		{ print }' planes.if >mixed.if
	[ "$(grep -c ' split ' mixed.if)" -gt 50 ]
	agree mixed.if wide.tsv
}

@test "walks: a hyperplane whose sum is not a number goes the same way in every walk" {
	# Values near +-1e308: the differences of a row's values at +-1.7e308
	# from the planes' points overflow, and two terms of opposite sign
	# add up to inf - inf.
	awk 'BEGIN { srand(3); print "a\tb"
		for (i = 0; i < 200; i++)
			printf "%.17g\t%.17g\n", (rand() * 2 - 1) * 8e307, (rand() * 2 - 1) * 8e307 }' >in.tsv
	printf 'a\tb\n1.7e308\t-1.7e308\n-1.7e308\t1.7e308\n1.7e308\t1.7e308\n-1.7e308\t-1.7e308\n' >far.tsv
	for opt in --no-penalize-range --penalize-range; do
		iftrain "$opt" -e 1 -t 100 -s 32 -o m.if in.tsv
		agree m.if far.tsv
	done
}

# chains N: a model of N trees, each a chain of 16 splits, as deep as its
# sample size (65536) allows: 33 nodes, padded to 65536 in the layout.
chains() {
	awk -v n="$1" 'BEGIN {
		psi = 65536
		printf "iforest 1\nfeatures 1\nfeature f1\ntrees %d\nsample_size %d\n", n, psi
		printf "c_psi %.17g\n", 2 * (log(psi - 1) + 0.5772156649015329) - 2 * (psi - 1) / psi
		printf "contamination auto\nthreshold 0.5\nseed 1\nrows %d\n", psi
		for (t = 0; t < n; t++) {
			printf "tree %d 33\n", t
			for (id = 0; id < 33; id++)
				if (id % 2 || id == 32)
					printf "%d leaf 1\n", id
				else
					printf "%d split 0 %d %d %d %d\n", id, id / 2 + t % 7, id + 1, id + 2, 17 - id / 2
		}
		print "end"
	}'
}

@test "walks: degenerate trees keep the general walk, not a layout padded to gigabytes" {
	# 1000 chains would pad to 768 MB (256 MB of it written); the model
	# is 300 KB.  Scored within 64 MiB of a small model's peak memory.
	chains 1000 >chains.if
	printf 'f1\n3\n-1\n20\n' >in.tsv
	agree chains.if in.tsv
	iftrain -o small.if many.tsv
	/usr/bin/time -f %M -o base.txt ifscore -m small.if many.tsv >/dev/null
	/usr/bin/time -f %M -o chains.txt ifscore -m chains.if many.tsv >/dev/null
	echo "peak RSS: small model $(tail -n 1 base.txt) KiB, chains $(tail -n 1 chains.txt) KiB"
	[ "$(tail -n 1 chains.txt)" -le $(($(tail -n 1 base.txt) + 65536)) ]
}
