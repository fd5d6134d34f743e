#!/usr/bin/env bats
# The model file: write -> read -> write is byte-identical and scores the
# same; the loader rejects every kind of damage with one exact message and
# status 2, and never crashes, whatever byte the file is cut at.

load test_helper

SHIPPED="$DATA/sensor_data.tsv"

# A small model (a few hundred bytes) trained on the first 20 rows.
small_model() {
	local model="$BATS_FILE_TMPDIR/small.if"
	[ -s "$model" ] || head -n 21 "$SHIPPED" | iftrain -t 2 -s 4 --seed 1 >"$model"
	echo "$model"
}

# A hand-made model of one known tree over two features, with the header
# iftrain writes today (so new header keys do not break the fixture).
# Tree lines are H+1 .. H+6 and 'end' is H+7, where H=$(header_lines).
write_fixture() {
	head -n 11 "$SHIPPED" |
	    iftrain --no-penalize-range -t 1 -s 4 -f temperature,humidity >base.if
	sed '/^tree /,$d' base.if
	cat <<-'EOF'
	tree 0 5
	0 split 0 50 1 2 4
	1 split 1 60 3 4 3
	2 leaf 1
	3 leaf 2
	4 leaf 1
	end
	EOF
}

header_lines() {
	sed '/^tree /,$d' base.if | wc -l
}

# Load FILE; expect status 2, nothing on stdout and exactly MESSAGE.
assert_rejected() {
	run_split ifscore -m "$1" --print-model
	echo "status=$status err=$err"
	[ "$status" -eq 2 ]
	[ -z "$out" ]
	[ "$err" = "$2" ]
}

# Load FILE; expect it to load and print back the same bytes.
assert_reprinted() {
	run_split ifscore -m "$1" --print-model
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	printf '%s\n' "$out" | cmp - "$1"
}

# --- round trip -------------------------------------------------------------

@test "model round trip: iftrain -> ifscore --print-model is byte-identical" {
	model="$(shipped_model)"
	ifscore -m "$model" --print-model >reprinted.if
	cmp "$model" reprinted.if
	ifscore -m reprinted.if --print-model >again.if
	cmp "$model" again.if
}

@test "model round trip: the reprinted model scores identically" {
	model="$(shipped_model)"
	ifscore -m "$model" --print-model >reprinted.if
	ifscore -m "$model" "$SHIPPED" >a.tsv
	ifscore -m reprinted.if "$SHIPPED" >b.tsv
	cmp a.tsv b.tsv
	[ "$(grep -c anomaly b.tsv)" -eq 53 ]
}

@test "model round trip: auto contamination, one feature, a small and a CSV-trained model" {
	iftrain -t 5 -f sound "$SHIPPED" >one.if
	small="$(small_model)"
	tr '\t' , <"$SHIPPED" >d.csv
	iftrain -t 3 -d , -c 0.1 d.csv >csv.if
	for m in one.if "$small" csv.if; do
		ifscore -m "$m" --print-model | cmp - "$m"
	done
	grep -qx 'contamination auto' one.if
}

@test "model round trip: an extended model (-e 2, hyperplane nodes)" {
	iftrain -t 10 -e 2 -c 0.05 "$SHIPPED" >e2.if
	grep -q '^[0-9]* plane ' e2.if
	ifscore -m e2.if --print-model | cmp - e2.if
	ifscore -m e2.if --print-model >again.if
	ifscore -m e2.if "$SHIPPED" | cmp - <(ifscore -m again.if "$SHIPPED")
}

@test "model round trip: the range penalty (iforest 2, bounds on split and plane lines)" {
	for e in 0 2; do
		iftrain --penalize-range -t 10 -e "$e" -c 0.05 "$SHIPPED" >r.if
		[ "$(head -n 1 r.if)" = "iforest 2" ]
		grep -qx 'penalize_range 1' r.if
		ifscore -m r.if --print-model | cmp - r.if
		ifscore -m r.if --print-model >again.if
		ifscore -m r.if "$SHIPPED" | cmp - <(ifscore -m again.if "$SHIPPED")
	done
	grep -q '^[0-9]* plane ' r.if
}

@test "model: without the range penalty the model is version 1, as before it" {
	iftrain --no-penalize-range -t 10 -c 0.05 "$SHIPPED" >plain.if
	[ "$(head -n 1 plain.if)" = "iforest 1" ]
	! grep -q penalize_range plain.if
	# Every split line has its seven words, no bounds.
	[ "$(awk '$2 == "split" && NF != 7' plain.if | wc -l)" -eq 0 ]
	iftrain --penalize-range --no-penalize-range -t 10 -c 0.05 "$SHIPPED" | cmp - plain.if
}

@test "model round trip: a model trained on one row" {
	head -n 2 "$SHIPPED" | iftrain -t 3 -c 0.1 >one-row.if
	ifscore -m one-row.if --print-model | cmp - one-row.if
}

@test "model round trip: feature names with spaces" {
	printf 'a b\tc  d\n1\t2\n2\t3\n3\t1\n' | iftrain -t 2 >sp.if
	grep -qx 'feature a b' sp.if
	grep -qx 'feature c  d' sp.if
	ifscore -m sp.if --print-model | cmp - sp.if
	run_split bash -c 'printf "a b\tc  d\n1\t2\n" | ifscore -m sp.if'
	[ "$status" -eq 0 ]
	[ -z "$err" ]
}

@test "model round trip: a model iftrain writes from an empty column name loads" {
	# iftrain accepts an empty header field as a feature name and writes
	# 'feature ' (with nothing after the space); the loader then rejects
	# its own output with "feature: missing name".
	printf 'a\t\tb\n1\t2\t3\n2\t3\t1\n3\t1\t2\n' >in.tsv
	run_split iftrain -t 1 -o e.if in.tsv
	if [ "$status" -eq 0 ]; then
		run_split ifscore -m e.if --print-model
		echo "status=$status err=$err"
		[ "$status" -eq 0 ]
		printf '%s\n' "$out" | cmp - e.if
	else
		# Refusing the empty name up front is fine too, with a message.
		[ "$status" -eq 2 ]
		[ -n "$err" ]
		[ ! -e e.if ]
	fi
}

@test "a 100-tree model loads and scores" {
	model="$(shipped_model)"
	[ "$(grep -c '^tree ' "$model")" -eq 100 ]
	run_split ifscore -m "$model" --print-model
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	[ "$(printf '%s\n' "$out" | grep -c '^tree ')" -eq 100 ]
	iftrain -t 100 -s 1024 "$SHIPPED" >big.if
	run_split ifscore -m big.if "$SHIPPED"
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	[ "$(printf '%s\n' "$out" | wc -l)" -eq 1051 ]
}

@test "the hand-made fixture model loads (the loader tests start from it)" {
	write_fixture >fix.if
	run_split ifscore -m fix.if --print-model
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	printf '%s\n' "$out" | cmp - fix.if
	run_split bash -c 'printf "temperature\thumidity\n40\t50\n40\t70\n60\t0\n" | ifscore -m fix.if'
	[ "$status" -eq 0 ]
	[ -z "$err" ]
}

# --- the loader's errors -------------------------------------------------------

@test "loader: an empty model file" {
	: >empty.if
	run_split ifscore -m empty.if --print-model
	echo "status=$status err=$err"
	[ "$status" -eq 2 ]
	[ -z "$out" ]
	# There is no line 0 to name.
	[ "$err" = "ifscore: empty.if: empty model file" ]
}

@test "loader: wrong magic" {
	write_fixture | sed '1s/.*/iforest2 1/' >bad.if
	assert_rejected bad.if "ifscore: bad.if:1: not an iftools model (expected 'iforest VERSION' on the first line)"
	write_fixture | sed '1s/.*/hello world/' >bad.if
	assert_rejected bad.if "ifscore: bad.if:1: not an iftools model (expected 'iforest VERSION' on the first line)"
	write_fixture | sed '1s/.*/iforest/' >bad.if
	assert_rejected bad.if "ifscore: bad.if:1: not an iftools model (expected 'iforest VERSION' on the first line)"
}

@test "loader: a newer version, and version 0" {
	write_fixture | sed '1s/.*/iforest 4/' >bad.if
	assert_rejected bad.if "ifscore: bad.if:1: model version 4 is newer than this program reads (3)"
	write_fixture | sed '1s/.*/iforest 0/' >bad.if
	assert_rejected bad.if "ifscore: bad.if:1: invalid model version 0"
	write_fixture | sed '1s/.*/iforest x/' >bad.if
	assert_rejected bad.if "ifscore: bad.if:1: version: invalid number 'x'"
}

@test "loader: an unknown key" {
	write_fixture | sed '/^seed /a\
colour blue' >bad.if
	line="$(grep -n '^colour ' bad.if | cut -d: -f1)"
	assert_rejected bad.if "ifscore: bad.if:$line: unknown key 'colour'"
}

@test "loader: a duplicate key" {
	write_fixture | sed '/^seed /p' >bad.if
	line="$(grep -n '^seed ' bad.if | tail -n 1 | cut -d: -f1)"
	assert_rejected bad.if "ifscore: bad.if:$line: duplicate key 'seed'"
}

@test "loader: a missing key" {
	write_fixture | sed '/^seed /d' >bad.if
	line="$(grep -n '^tree 0 ' bad.if | cut -d: -f1)"
	assert_rejected bad.if "ifscore: bad.if:$line: missing key 'seed' before the first tree"
	write_fixture | sed '/^threshold /d' >bad.if
	assert_rejected bad.if "ifscore: bad.if:$line: missing key 'threshold' before the first tree"
}

@test "loader: corrupt numbers" {
	write_fixture | sed 's/^threshold .*/threshold 0.5x/' >bad.if
	line="$(grep -n '^threshold ' bad.if | cut -d: -f1)"
	assert_rejected bad.if "ifscore: bad.if:$line: threshold: invalid number '0.5x'"
	write_fixture | sed 's/^threshold .*/threshold nan/' >bad.if
	assert_rejected bad.if "ifscore: bad.if:$line: threshold: invalid number 'nan'"
	write_fixture | sed 's/^0 split 0 50 /0 split 0 5O /' >bad.if
	h="$(header_lines)"
	assert_rejected bad.if "ifscore: bad.if:$((h + 2)): split: invalid number '5O'"
	write_fixture | sed 's/^trees 1$/trees 1x/' >bad.if
	line="$(grep -n '^trees ' bad.if | cut -d: -f1)"
	assert_rejected bad.if "ifscore: bad.if:$line: trees: invalid number '1x'"
	write_fixture | sed 's/^seed .*/seed 99999999999999999999/' >bad.if
	line="$(grep -n '^seed ' bad.if | cut -d: -f1)"
	assert_rejected bad.if "ifscore: bad.if:$line: seed: '99999999999999999999' is out of range"
}

@test "loader: c_psi that does not match sample_size" {
	write_fixture | sed 's/^c_psi .*/c_psi 1.5/' >bad.if
	line="$(grep -n '^tree 0 ' bad.if | cut -d: -f1)"
	assert_rejected bad.if "ifscore: bad.if:$line: c_psi does not match sample_size 4"
}

@test "loader: a child node out of range" {
	write_fixture | sed 's/^0 split 0 50 1 2 4$/0 split 0 50 1 9 4/' >bad.if
	h="$(header_lines)"
	assert_rejected bad.if "ifscore: bad.if:$((h + 2)): node 0: child 9 out of range (1..4)"
}

@test "loader: a node referenced twice" {
	write_fixture | sed 's/^1 split 1 60 3 4 3$/1 split 1 60 2 4 3/' >bad.if
	h="$(header_lines)"
	assert_rejected bad.if "ifscore: bad.if:$((h + 3)): node 1: child 2 already has a parent"
}

@test "loader: a child index pointing backwards (a cycle)" {
	write_fixture | sed 's/^1 split 1 60 3 4 3$/1 split 1 60 0 4 3/' >bad.if
	h="$(header_lines)"
	assert_rejected bad.if "ifscore: bad.if:$((h + 3)): node 1: child 0 out of range (2..4)"
	write_fixture | sed 's/^1 split 1 60 3 4 3$/1 split 1 60 1 4 3/' >bad.if
	assert_rejected bad.if "ifscore: bad.if:$((h + 3)): node 1: child 1 out of range (2..4)"
}

@test "loader: a node that no split reaches" {
	write_fixture | sed 's/^1 split 1 60 3 4 3$/1 leaf 3/' >bad.if
	h="$(header_lines)"
	# Nodes 3 and 4 now have no parent; the tree's last line is named.
	assert_rejected bad.if "ifscore: bad.if:$((h + 6)): tree 0: node 3 is not reachable"
}

@test "loader: a feature index out of range" {
	write_fixture | sed 's/^0 split 0 50 /0 split 2 50 /' >bad.if
	h="$(header_lines)"
	assert_rejected bad.if "ifscore: bad.if:$((h + 2)): node 0: feature 2 out of range (0..1)"
}

@test "loader: too many nodes for the sample size" {
	write_fixture | sed 's/^tree 0 5$/tree 0 8/' >bad.if
	h="$(header_lines)"
	assert_rejected bad.if "ifscore: bad.if:$((h + 1)): tree 0: 8 nodes, expected 1 to 7 for sample_size 4"
	write_fixture | sed 's/^tree 0 5$/tree 0 4294967295/' >bad.if
	assert_rejected bad.if "ifscore: bad.if:$((h + 1)): tree 0: 4294967295 nodes, expected 1 to 7 for sample_size 4"
	write_fixture | sed 's/^tree 0 5$/tree 0 4294967296/' >bad.if
	assert_rejected bad.if "ifscore: bad.if:$((h + 1)): nodes: '4294967296' is out of range"
	write_fixture | sed 's/^tree 0 5$/tree 0 0/' >bad.if
	assert_rejected bad.if "ifscore: bad.if:$((h + 1)): tree 0: 0 nodes, expected 1 to 7 for sample_size 4"
}

@test "loader: fewer node lines than the tree declares" {
	write_fixture | sed 's/^tree 0 5$/tree 0 6/' >bad.if
	h="$(header_lines)"
	assert_rejected bad.if "ifscore: bad.if:$((h + 7)): expected node 5"
}

@test "loader: bad node lines" {
	h="$(write_fixture >/dev/null; header_lines)"
	write_fixture | sed 's/^2 leaf 1$/2 twig 1/' >bad.if
	assert_rejected bad.if "ifscore: bad.if:$((h + 4)): unknown node type 'twig'"
	write_fixture | sed 's/^2 leaf 1$/2 leaf -1/' >bad.if
	assert_rejected bad.if "ifscore: bad.if:$((h + 4)): node 2: size out of range (0..4)"
	write_fixture | sed 's/^2 leaf 1$/2 leaf 5/' >bad.if
	assert_rejected bad.if "ifscore: bad.if:$((h + 4)): node 2: size out of range (0..4)"
	write_fixture | sed 's/^2 leaf 1$/2 leaf 1 /' >bad.if
	assert_rejected bad.if "ifscore: bad.if:$((h + 4)): malformed leaf line"
	write_fixture | sed 's/^0 split 0 50 1 2 4$/0 split 0 50 1 2/' >bad.if
	assert_rejected bad.if "ifscore: bad.if:$((h + 2)): malformed split line"
	write_fixture | sed 's/^2 leaf 1$/7 leaf 1/' >bad.if
	assert_rejected bad.if "ifscore: bad.if:$((h + 4)): expected node 2"
}

@test "loader: a split whose children both have size 0" {
	write_fixture | sed 's/^3 leaf 2$/3 leaf 0/; s/^4 leaf 1$/4 leaf 0/' >bad.if
	h="$(header_lines)"
	assert_rejected bad.if "ifscore: bad.if:$((h + 6)): tree 0: node 1: children of size 0"
}

@test "loader: hyperplane nodes and the extension key" {
	h="$(write_fixture >/dev/null; header_lines)"
	write_fixture | sed 's/^0 split 0 50 1 2 4$/0 plane 1 0 1 50 1 2 4/' >bad.if
	assert_rejected bad.if "ifscore: bad.if:$((h + 2)): node 0: a plane in a model of extension 0"
	write_fixture | sed 's/^extension 0$/extension 2/' >bad.if
	assert_rejected bad.if "ifscore: bad.if:$((h + 1)): extension 2 needs more than 2 features"
	# With extension 1 a plane through both features loads...
	write_fixture | sed 's/^extension 0$/extension 1/; s/^0 split 0 50 1 2 4$/0 plane 2 0 1 50 1 -1 60 1 2 4/' >plane.if
	assert_reprinted plane.if
	# ...but not one with more terms than extension + 1 (parse_count's
	# overflow test wraps when a single digit exceeds its maximum), or a
	# count that does not match the words.
	write_fixture | sed 's/^extension 0$/extension 1/; s/^0 split 0 50 1 2 4$/0 plane 3 0 1 50 1 -1 60 0 1 1 1 2 4/' >bad.if
	assert_rejected bad.if "ifscore: bad.if:$((h + 2)): terms: '3' is out of range"
	write_fixture | sed 's/^extension 0$/extension 1/; s/^0 split 0 50 1 2 4$/0 plane 2 0 1 50 1 2 4/' >bad.if
	assert_rejected bad.if "ifscore: bad.if:$((h + 2)): malformed plane line"
}

# The fixture with the range penalty: version 2, its key, and bounds.
ranged_fixture() {
	write_fixture | sed '1s/.*/iforest 2/; /^extension 0$/a\
penalize_range 1
		s/^0 split 0 50 1 2 4$/0 split 0 50 40 60 1 2 4/
		s/^1 split 1 60 3 4 3$/1 split 1 60 55 70 3 4 3/'
}

@test "loader: the range penalty's key, version and bounds" {
	h="$(write_fixture >/dev/null; header_lines)"
	ranged_fixture >ranged.if
	assert_reprinted ranged.if
	# A version-1 model cannot hold the key.
	ranged_fixture | sed '1s/.*/iforest 1/' >bad.if
	assert_rejected bad.if "ifscore: bad.if:$((h + 1)): key 'penalize_range' needs model version 2"
	ranged_fixture | sed 's/^penalize_range 1$/penalize_range 2/' >bad.if
	assert_rejected bad.if "ifscore: bad.if:$((h + 1)): penalize_range: '2' is out of range"
	# Splits need their bounds, and the bounds must hold the split.
	ranged_fixture | sed 's/^0 split 0 50 40 60 1 2 4$/0 split 0 50 1 2 4/' >bad.if
	assert_rejected bad.if "ifscore: bad.if:$((h + 3)): malformed split line"
	ranged_fixture | sed 's/^1 split 1 60 55 70 3 4 3$/1 split 1 60 61 70 3 4 3/' >bad.if
	assert_rejected bad.if "ifscore: bad.if:$((h + 4)): node 1: range 61 70 does not hold the split"
	ranged_fixture | sed 's/^0 split 0 50 40 60 1 2 4$/0 split 0 50 40 x 1 2 4/' >bad.if
	assert_rejected bad.if "ifscore: bad.if:$((h + 3)): high: invalid number 'x'"
	# A plane's bounds hold its split, 0.
	ranged_fixture | sed 's/^extension 0$/extension 1/; s/^0 split 0 50 40 60 1 2 4$/0 plane 2 0 1 50 1 -1 60 -2 3 1 2 4/' >plane.if
	assert_reprinted plane.if
	sed 's/ -2 3 1 2 4$/ 1 3 1 2 4/' plane.if >bad.if
	assert_rejected bad.if "ifscore: bad.if:$((h + 3)): node 0: range 1 3 does not hold the split"
	sed 's/ -2 3 1 2 4$/ 1 2 4/' plane.if >bad.if
	assert_rejected bad.if "ifscore: bad.if:$((h + 3)): malformed plane line"
}

@test "loader: the range penalty scores a row outside a split's range as isolated there" {
	# Root: temperature at 50, range 40..60; a row at 1000 is isolated at
	# the root (path 1); one at 45, humidity 65 reaches leaf 4 (depth 2).
	ranged_fixture >ranged.if
	printf 'temperature\thumidity\n1000\t65\n45\t65\n' >in.tsv
	run_split ifscore -m ranged.if in.tsv
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	# c(4) = 1.8517: 2^(-1 / c(4)) and 2^(-2 / c(4)).
	[ "$(printf '%s\n' "$out" | cut -f3 | sed 1d | tr '\n' ' ')" = "0.687744 0.472991 " ]
}

@test "loader: features and feature lines that disagree" {
	write_fixture | sed 's/^features 2$/features 1/' >bad.if
	line="$(grep -n '^feature humidity' bad.if | cut -d: -f1)"
	assert_rejected bad.if "ifscore: bad.if:$line: more 'feature' lines than 'features 1'"
	write_fixture | sed 's/^feature humidity$/feature temperature/' >bad.if
	line="$(grep -n '^feature temperature' bad.if | tail -n 1 | cut -d: -f1)"
	assert_rejected bad.if "ifscore: bad.if:$line: duplicate feature 'temperature'"
	write_fixture | sed 's/^features 2$/features 0/' >bad.if
	line="$(grep -n '^features ' bad.if | cut -d: -f1)"
	assert_rejected bad.if "ifscore: bad.if:$line: features: a model needs at least one"
}

@test "loader: more trees declared than written" {
	write_fixture | sed 's/^trees 1$/trees 2/' >bad.if
	h="$(header_lines)"
	assert_rejected bad.if "ifscore: bad.if:$((h + 7)): expected 'tree 1 NODES'"
}

@test "loader: text after 'end'" {
	write_fixture >bad.if
	echo "junk" >>bad.if
	h="$(header_lines)"
	assert_rejected bad.if "ifscore: bad.if:$((h + 8)): unexpected text after 'end'"
	write_fixture >bad.if
	echo "end" >>bad.if
	assert_rejected bad.if "ifscore: bad.if:$((h + 8)): unexpected text after 'end'"
}

@test "loader: a missing 'end'" {
	write_fixture | sed '$d' >bad.if
	h="$(header_lines)"
	assert_rejected bad.if "ifscore: bad.if:$((h + 6)): truncated model: expected 'end'"
}

@test "loader: node lines in any spelling the grammar allows read as the usual ones" {
	# Node lines of the usual form are read by a fast path; others by the
	# general one.  Leading zeros, signs, exponents: the same model.
	iftrain -t 20 -c 0.05 --seed 42 -o ranged.if "$SHIPPED"
	awk '$2 == "split" || $2 == "leaf" {
		$1 = "00" $1; $NF = $NF "e0"
		if ($2 == "split") $4 = "+" $4
	} { print }' ranged.if >spelled.if
	! cmp -s ranged.if spelled.if
	grep -q '^000 split 2 +' spelled.if
	run_split ifscore -m spelled.if --print-model
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	printf '%s\n' "$out" | cmp - ranged.if
	ifscore -m ranged.if "$SHIPPED" >want.tsv
	ifscore -m spelled.if "$SHIPPED" | cmp - want.tsv
}

@test "loader: a big model's damage is reported alike from a file (read in windows) and a pipe" {
	# A regular file is read 64 KiB at a time; a pipe whole.  Damage past
	# the first window, and a line longer than a window, read the same.
	iftrain -t 100 -c 0.05 --seed 42 -o big.if "$SHIPPED"
	[ "$(wc -c <big.if)" -gt 300000 ]
	n="$(wc -l <big.if)"
	both() {	# both FILE MESSAGE-AFTER-NAME
		assert_rejected "$1" "ifscore: $1:$2"
		run_split bash -c 'cat "$1" | ifscore -m /dev/stdin --print-model' _ "$1"
		[ "$status" -eq 2 ]
		[ "$err" = "ifscore: /dev/stdin:$2" ]
	}
	sed "$((n - 5))s/ [0-9.]*\$/ 1x5/" big.if >bad.if
	both bad.if "$((n - 5)): size: invalid number '1x5'"
	head -c 200000 big.if >bad.if
	both bad.if "$(($(wc -l <bad.if) + 1)): truncated model: the last line has no newline"
	sed "$((n / 2))s/ / \x00/" big.if >bad.if
	both bad.if "$((n / 2)): NUL byte in model"
	head -c 300000 big.if >bad.if
	printf '\0 cut after a NUL\n' >>bad.if
	both bad.if "$(($(head -c 300000 big.if | wc -l) + 1)): NUL byte in model"
	# A feature name of 200,000 bytes: one line over three windows.
	write_fixture >fix.if
	{ sed '/^feature temperature$/,$d' fix.if
	  printf 'feature '; head -c 200000 /dev/zero | tr '\0' x; echo
	  sed '1,/^feature temperature$/d' fix.if; } >long.if
	[ "$(wc -c <long.if)" -gt 200000 ]
	assert_reprinted long.if
}

@test "loader: a missing final newline" {
	write_fixture | head -c -1 >bad.if
	h="$(header_lines)"
	assert_rejected bad.if "ifscore: bad.if:$((h + 7)): truncated model: the last line has no newline"
}

@test "loader: a NUL byte" {
	write_fixture | sed 's/^seed \(.*\)$/seed \1\x00/' >bad.if
	[ "$(tr -cd '\000' <bad.if | wc -c)" -eq 1 ]
	line="$(grep -an '^seed ' bad.if | cut -d: -f1)"
	assert_rejected bad.if "ifscore: bad.if:$line: NUL byte in model"
	write_fixture >bad.if
	printf 'x\0y\n' >>bad.if
	h="$(header_lines)"
	assert_rejected bad.if "ifscore: bad.if:$((h + 8)): NUL byte in model"
}

@test "loader: an empty line" {
	write_fixture | sed '/^seed /a\
' >bad.if
	line="$(($(grep -n '^seed ' bad.if | cut -d: -f1) + 1))"
	assert_rejected bad.if "ifscore: bad.if:$line: empty line"
}

@test "loader: a bad model stops ifscore before it reads or writes any row" {
	write_fixture | sed '1s/.*/iforest 4/' >bad.if
	run_split ifscore -m bad.if "$SHIPPED"
	[ "$status" -eq 2 ]
	[ -z "$out" ]
	[ "$err" = "ifscore: bad.if:1: model version 4 is newer than this program reads (3)" ]
}

# --- cut short or damaged at every byte --------------------------------------------

@test "loader: the model cut short at every byte offset fails cleanly" {
	model="$(small_model)"
	size="$(wc -c <"$model")"
	[ "$size" -gt 200 ]
	[ "$size" -lt 1000 ]
	# The loop runs in its own shell: Bats' per-command tracing is slow.
	# Under make valgrind (IFTOOLS_SLOW) every 13th offset is enough.
	step=1
	[ -z "${IFTOOLS_SLOW:-}" ] || step=13
	run_split bash -c '
		model=$1 size=$2 step=$3 checked=0
		for ((n = 0; n < size; n += step)); do
			head -c "$n" "$model" >cut.if
			ifscore -m cut.if --print-model >cut.out 2>cut.err && rc=0 || rc=$?
			lines=$(wc -l <cut.err)
			if [ "$rc" -ne 2 ] || [ -s cut.out ] || [ "$lines" -ne 1 ] ||
			    ! grep -q "^ifscore: cut\.if:" cut.err; then
				echo "offset $n: status $rc: $(cat cut.err)"
			fi
			checked=$((checked + 1))
		done
		echo "checked $checked"' _ "$model" "$size" "$step"
	echo "$out" | head -20
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	[ "$out" = "checked $(((size + step - 1) / step))" ]
	# The whole file still loads.
	ifscore -m "$model" --print-model | cmp - "$model"
}

@test "loader: a byte overwritten anywhere never crashes the loader" {
	model="$(small_model)"
	size="$(wc -c <"$model")"
	step=1
	[ -z "${IFTOOLS_SLOW:-}" ] || step=13
	run_split bash -c '
		model=$1 size=$2 step=$3 checked=0
		bytes=(9 x " " 0 -)
		for ((n = 0; n < size; n += step)); do
			c=${bytes[n % 5]}
			{ head -c "$n" "$model"; printf "%s" "$c"; tail -c +$((n + 2)) "$model"; } >bad.if
			ifscore -m bad.if --print-model >/dev/null 2>bad.err && rc=0 || rc=$?
			lines=$(wc -l <bad.err)
			# 0 when the change still makes a valid model, else one message.
			if { [ "$rc" -eq 0 ] && [ -s bad.err ]; } ||
			    { [ "$rc" -ne 0 ] && { [ "$rc" -ne 2 ] || [ "$lines" -ne 1 ] ||
			    ! grep -q "^ifscore: bad\.if:" bad.err; }; }; then
				echo "offset $n byte \"$c\": status $rc: $(cat bad.err)"
			fi
			checked=$((checked + 1))
		done
		echo "checked $checked"' _ "$model" "$size" "$step"
	echo "$out" | head -20
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	[ "$out" = "checked $(((size + step - 1) / step))" ]
}

@test "loader: a version-1 model without the 'extension' key still loads" {
	# iforest(5) documents version 1 without 'extension', and iftrain wrote
	# such files until 4e36d13, which added the key without a new version.
	model="$(shipped_model)"
	grep -v '^extension ' "$model" >old.if
	[ "$(wc -l <old.if)" -lt "$(wc -l <"$model")" ]
	run_split ifscore -m old.if "$SHIPPED"
	echo "status=$status err=$err"
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	[ "$(printf '%s\n' "$out" | grep -c anomaly)" -eq 53 ]
}

# --- inputs that never end, or are not files ---------------------------------

@test "loader: a device is refused before it is read" {
	assert_rejected /dev/zero "ifscore: cannot read model '/dev/zero': a device, not a file or a pipe"
	assert_rejected /dev/null "ifscore: cannot read model '/dev/null': a device, not a file or a pipe"
}

@test "loader: an endless pipe that is no model ends at once, on its first bytes" {
	local producer
	for producer in yes 'cat /dev/zero'; do
		run_split bash -c "$producer | ifscore -m /dev/stdin --print-model"
		echo "$producer: status=$status err=$err"
		[ "$status" -eq 2 ]
		[ "$err" = "ifscore: /dev/stdin:1: not an iftools model (expected 'iforest VERSION' on the first line)" ]
	done
}

@test "loader: a model through a pipe loads as from a file" {
	write_fixture >m.if
	run_split bash -c 'cat m.if | ifscore -m /dev/stdin --print-model'
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	[ "$out" = "$(cat m.if)" ]
}

@test "loader: a file over 2 GiB is refused unread" {
	write_fixture >big.if
	truncate -s 2147483648 big.if
	assert_rejected big.if "ifscore: big.if: model file larger than 2147483647 bytes"
}

@test "loader: a threshold outside [0, 1]" {
	line="$(write_fixture | grep -n '^threshold ' | cut -d: -f1)"
	for t in 1.5 -0.1 1e300; do
		write_fixture | sed "s/^threshold .*/threshold $t/" >bad.if
		assert_rejected bad.if "ifscore: bad.if:$line: threshold: '$t' is out of range (0..1)"
	done
	for t in 0 1; do
		write_fixture | sed "s/^threshold .*/threshold $t/" >ok.if
		ifscore -m ok.if --print-model >/dev/null
	done
}

@test "loader: CRLF line endings are named, with no raw carriage return" {
	write_fixture | sed 's/$/\r/' >crlf.if
	assert_rejected crlf.if "ifscore: crlf.if:1: carriage return at the end of the line (CRLF line endings?)"
}

@test "loader: a model of 200,000 features loads (20,000 under valgrind)" {
	n=200000
	[ -z "${IFTOOLS_SLOW:-}" ] || n=20000
	write_fixture | awk -v n="$n" '
		/^features / { print "features " n; next }
		/^feature / { if (!done) for (i = 1; i <= n; i++) print "feature f" i; done = 1; next }
		{ print }' >wide.if
	run_split ifscore -m wide.if --print-model
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$out" | grep -c '^feature ')" -eq "$n" ]
	# The same with one name twice: the line of the second is named.
	sed "s/^feature f$n\$/feature f7/" wide.if >dup.if
	line="$(grep -n "^feature f7\$" dup.if | tail -n 1 | cut -d: -f1)"
	assert_rejected dup.if "ifscore: dup.if:$line: duplicate feature 'f7'"
}

# --- the examples of iforest(5) ------------------------------------------------

# page_model N: the Nth model shown in iforest(5)'s EXAMPLES.
page_model() {
	awk -v want="$1" '
		/^\.Sh / { ex = $2 == "EXAMPLES" }
		ex && /^iforest 1$/ { n++ }
		ex && n == want && !done { print }
		ex && n == want && /^end$/ { done = 1 }' "$IFTOOLS_ROOT/man/iforest.5"
}

@test "iforest(5): its example models are what iftrain writes today" {
	page="$IFTOOLS_ROOT/man/iforest.5"
	grep -q "^\.Ql iftrain --no-penalize-range -t 2 -s 8 --seed 1 data/sensor_data.tsv :\$" "$page"
	grep -q "^\.Ql head -40 data/sensor_data.tsv | iftrain --no-penalize-range -t 1 -s 8 -e 2 --seed 1\$" "$page"
	iftrain --no-penalize-range -t 2 -s 8 --seed 1 "$DATA/sensor_data.tsv" 2>/dev/null >std.if
	diff <(page_model 1) std.if
	head -40 "$DATA/sensor_data.tsv" | iftrain --no-penalize-range -t 1 -s 8 -e 2 --seed 1 2>/dev/null >ext.if
	diff <(page_model 2) ext.if
}

@test "iforest(5): the worked inequality is node 0 of the extended example" {
	page_model 2 >ext.if
	# The three terms of node 0, as the page writes them: the first
	# as it is, the others with their sign in front.
	awk '
		/^feature / { name[nf++] = substr($0, 9) }
		/^0 plane / {
			for (i = 0; i < 3; i++) {
				f = $(4 + 3 * i); nrm = $(5 + 3 * i); pt = $(6 + 3 * i)
				if (i == 0) line = nrm
				else if (nrm ~ /^-/) line = "\\- " substr(nrm, 2)
				else line = "+ " nrm
				printf "%s (%s \\- %s)%s\n", line, name[f], pt, i == 2 ? " <= 0" : ""
			}
		}' ext.if >want.txt
	awk '/^Node 0 sends a row to leaf 1 when$/ { go = 1; next }
		go && /^\.Bd/ { next }
		go && /^\.Ed/ { exit }
		go { print }' "$IFTOOLS_ROOT/man/iforest.5" >shown.txt
	diff want.txt shown.txt
}
