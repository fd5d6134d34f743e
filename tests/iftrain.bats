#!/usr/bin/env bats
# iftrain: every option, the model header, determinism, atomic -o, and the
# exact message and status of every bad input.

load test_helper

# What iftrain says when it guesses the shipped data's features.
GUESS="iftrain: features (guessed from the first 1000 rows; -f to choose): temperature, humidity, sound"

SHIPPED="$DATA/sensor_data.tsv"

# A small valid input whose fourth line is "$1" (tab-separated fields).
input_with_line4() {
	printf 'temperature\thumidity\tsound\tlabel\n'
	printf '1\t2\t3\t0\n4\t5\t6\t0\n%s\n7\t8\t9\t0\n' "$1"
}

# The value of KEY in a model file's header.
model_key() {
	sed -n "s/^$1 //p" "$2" | head -1
}

# Bad option: exactly the error line plus the hint, status 2, no stdout.
assert_usage_error() {
	[ "$status" -eq 2 ]
	[ -z "$out" ]
	[ "$err" = "$1
Try 'iftrain --help' for more information." ]
}

# --- help and version ---------------------------------------------------

@test "iftrain --help prints the usage on stdout and exits 0" {
	run_split iftrain --help
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	[[ "${out%%$'\n'*}" == "usage: iftrain "* ]]
	for opt in --contamination --delimiter --extension --features --jobs --output \
	    --sample-size --trees --verbose --exclude --seed --model --columns --window --group \
	    --context --max-groups --series-min --help --version; do
		[[ "$out" == *"$opt"* ]]
	done
}

@test "iftrain -h is --help" {
	run_split iftrain -h
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	[ "$out" = "$(iftrain --help)" ]
}

@test "iftrain --version and -V print 'iftrain (iftools) X.Y.Z' first" {
	run_split iftrain --version
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	[[ "${out%%$'\n'*}" =~ ^iftrain\ \(iftools\)\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
	run_split iftrain -V
	[ "$status" -eq 0 ]
	[[ "${out%%$'\n'*}" =~ ^iftrain\ \(iftools\)\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
}

@test "iftrain --help >/dev/full fails with status 2" {
	run_split bash -c 'iftrain --help >/dev/full'
	[ "$status" -eq 2 ]
	[ "$err" = "iftrain: write error: No space left on device" ]
}

# --- normal use and the model header -------------------------------------

@test "iftrain with no options writes the model to stdout with the default header" {
	iftrain "$SHIPPED" >m.if 2>err
	[ "$(cat err)" = "$GUESS" ]
	[ "$(sed -n 1,12p m.if)" = "iforest 2
features 3
feature temperature
feature humidity
feature sound
trees 100
sample_size 256
c_psi 10.244770920119917
contamination auto
threshold 0.5
seed 42
rows 1050" ]
	# The range penalty is the default: version 2, its key.
	[ "$(sed -n 13,14p m.if)" = "extension 0
penalize_range 1" ]
	iftrain --penalize-range "$SHIPPED" | cmp - m.if
	[ "$(grep -c '^tree ' m.if)" -eq 100 ]
	[ "$(tail -n 1 m.if)" = "end" ]
}

@test "iftrain -c 0.05 -v: Normal: 997, Anomalies: 53, Anomaly Ratio: 5.05%" {
	run_split iftrain --no-penalize-range -f temperature,humidity,sound -c 0.05 -v -o m.if "$SHIPPED"
	[ "$status" -eq 0 ]
	[ -z "$out" ]
	[ "$(printf '%s\n' "$err" | wc -l)" -eq 4 ]
	[[ "$err" == "iftrain: rows read: 1050, used: 1050, "* ]]
	[[ "$err" == *"
iftrain: features: temperature, humidity, sound
iftrain: trees: 100, sample size: 256, threshold: 0.609635 (contamination set)
iftrain: Normal: 997, Anomalies: 53, Anomaly Ratio: 5.05%" ]]
	[ "$(model_key contamination m.if)" = "0.050000000000000003" ]
	[ "$(model_key threshold m.if)" = "0.60963480535028758" ]
}

@test "iftrain --contamination auto keeps the threshold at 0.5 (-v counts 163)" {
	run_split iftrain --no-penalize-range --contamination auto --verbose -o m.if "$SHIPPED"
	[ "$status" -eq 0 ]
	[[ "$err" == *"threshold: 0.500000 (contamination auto)"* ]]
	[[ "$err" == *"iftrain: Normal: 887, Anomalies: 163, Anomaly Ratio: 15.52%" ]]
	[ "$(model_key contamination m.if)" = "auto" ]
	[ "$(model_key threshold m.if)" = "0.5" ]
}

@test "iftrain -c 0.5 (the upper bound) is accepted" {
	run_split iftrain -t 5 -c 0.5 -o m.if "$SHIPPED"
	[ "$status" -eq 0 ]
	[ "$err" = "$GUESS" ]
	[ "$(model_key contamination m.if)" = "0.5" ]
}

@test "iftrain -f without -v prints nothing on stderr; a guess is told" {
	run_split iftrain -f temperature,humidity,sound -c 0.05 -o m.if "$SHIPPED"
	[ "$status" -eq 0 ]
	[ -z "$out" ]
	[ -z "$err" ]
	[ -s m.if ]
	run_split iftrain -c 0.05 -o guessed.if "$SHIPPED"
	[ "$status" -eq 0 ]
	[ "$err" = "$GUESS" ]
	cmp m.if guessed.if
}

@test "iftrain -t N / --trees N writes N trees" {
	iftrain -t 7 "$SHIPPED" >m.if
	[ "$(model_key trees m.if)" = 7 ]
	[ "$(grep -c '^tree ' m.if)" -eq 7 ]
	[ "$(grep '^tree ' m.if | tail -n 1 | cut -d' ' -f2)" = 6 ]
	iftrain --trees=3 "$SHIPPED" >m3.if
	[ "$(grep -c '^tree ' m3.if)" -eq 3 ]
}

@test "iftrain -s N sets sample_size and bounds every tree at 2N-1 nodes" {
	iftrain -t 20 -s 16 "$SHIPPED" >m.if
	[ "$(model_key sample_size m.if)" = 16 ]
	[ "$(model_key c_psi m.if)" = "4.6955317320074856" ]
	run awk '/^tree / && ($3 < 1 || $3 > 31) { bad++ } END { exit bad > 0 }' m.if
	[ "$status" -eq 0 ]
}

@test "iftrain -s larger than the rows uses every row: sample_size = rows" {
	iftrain -t 3 -s 5000 "$SHIPPED" >m.if
	[ "$(model_key sample_size m.if)" = 1050 ]
	[ "$(model_key rows m.if)" = 1050 ]
	head -n 11 "$SHIPPED" | iftrain -t 3 >small.if
	[ "$(model_key sample_size small.if)" = 10 ]
	[ "$(model_key rows small.if)" = 10 ]
}

@test "iftrain: the same seed gives a byte-identical model" {
	iftrain -c 0.05 --seed 7 "$SHIPPED" >a.if
	iftrain -c 0.05 --seed 7 "$SHIPPED" >b.if
	cmp a.if b.if
	[ "$(model_key seed a.if)" = 7 ]
}

@test "iftrain: -j 1, -j 2 and -j 5 give byte-identical models" {
	iftrain -c 0.05 -j 1 "$SHIPPED" >j1.if
	iftrain -c 0.05 -j 2 "$SHIPPED" >j2.if
	iftrain -c 0.05 --jobs 5 "$SHIPPED" >j5.if
	cmp j1.if j2.if
	cmp j1.if j5.if
}

@test "iftrain: -j 1 and -j 2 agree on 200,000 rows, past the reader's ring of blocks" {
	# With threads, parsed rows reach the sampler through a ring of 32
	# blocks of 64 KiB (2,730 rows of three features): this input goes
	# round it twice, with a row of missing values (left out) midway.
	{ sensorgen -n 100000 --seed 3
	  printf '2026-01-01T00:00:00Z\tNA\tNA\tNA\t0\n'
	  sensorgen -n 100000 --seed 4 | tail -n +2; } >big.tsv
	iftrain -c 0.05 -j 1 big.tsv >j1.if
	iftrain -c 0.05 -j 2 big.tsv | cmp - j1.if
	iftrain -j 2 -s 1000 -t 10 big.tsv | cmp - <(iftrain -j 1 -s 1000 -t 10 big.tsv)
	[ "$(model_key rows j1.if)" = 200000 ]
}

@test "iftrain: different seeds give different models" {
	iftrain -t 10 --seed 1 "$SHIPPED" >a.if
	iftrain -t 10 --seed 2 "$SHIPPED" >b.if
	run cmp -s a.if b.if
	[ "$status" -eq 1 ]
	# The trees differ, not just the seed line.
	run cmp -s <(sed 1,12d a.if) <(sed 1,12d b.if)
	[ "$status" -eq 1 ]
}

@test "iftrain default seed is 42" {
	iftrain -t 5 "$SHIPPED" >a.if
	iftrain -t 5 --seed 42 "$SHIPPED" >b.if
	cmp a.if b.if
	[ "$(model_key seed a.if)" = 42 ]
}

@test "iftrain reads standard input, also as '-'" {
	iftrain -t 5 "$SHIPPED" >file.if
	iftrain -t 5 <"$SHIPPED" >stdin.if
	iftrain -t 5 - <"$SHIPPED" >dash.if
	cmp file.if stdin.if
	cmp file.if dash.if
}

@test "iftrain reads several files as one data set" {
	head -n 501 "$SHIPPED" >a.tsv
	{ head -n 1 "$SHIPPED"; tail -n +502 "$SHIPPED"; } >b.tsv
	iftrain -t 5 "$SHIPPED" >whole.if
	iftrain -t 5 a.tsv b.tsv >parts.if
	cmp whole.if parts.if
}

# --- -o: atomic output -----------------------------------------------------

@test "iftrain -o writes the model atomically and leaves no temporary file" {
	iftrain -t 5 "$SHIPPED" >expected.if
	mkdir out
	run_split iftrain -t 5 -o out/m.if "$SHIPPED"
	[ "$status" -eq 0 ]
	[ -z "$out" ]
	[ "$err" = "$GUESS" ]
	[ "$(ls -A out)" = "m.if" ]
	cmp expected.if out/m.if
}

@test "iftrain -o replaces an existing model" {
	mkdir out
	echo "old" >out/m.if
	iftrain -t 5 --output out/m.if "$SHIPPED"
	[ "$(head -n 1 out/m.if)" = "iforest 2" ]
	[ "$(ls -A out)" = "m.if" ]
}

@test "iftrain -o keeps the old model whole when training fails" {
	mkdir out
	iftrain -t 5 -o out/m.if "$SHIPPED"
	cp out/m.if saved.if
	input_with_line4 $'12abc\t2\t3\t0' >bad.tsv
	run_split iftrain -t 5 -o out/m.if bad.tsv
	[ "$status" -eq 2 ]
	cmp saved.if out/m.if
	[ "$(ls -A out)" = "m.if" ]
}

@test "iftrain -o onto a FIFO does not replace the FIFO with a regular file" {
	# The atomic rename must not swap a FIFO (or, run as root, a device
	# such as /dev/stdout) for a regular file: either write through it or
	# refuse with status 2.
	iftrain -t 2 "$SHIPPED" >expected.if
	mkfifo fifo
	timeout 3 cat fifo >got.if &
	reader=$!
	run_split iftrain -t 2 -o fifo "$SHIPPED"
	wait "$reader" || true
	echo "status=$status err=$err"
	[ -p fifo ]
	if [ "$status" -eq 0 ]; then
		cmp expected.if got.if
	else
		[ "$status" -eq 2 ]
		[ -n "$err" ]
	fi
}

@test "iftrain -o into a folder that does not exist" {
	run_split iftrain -f temperature,humidity,sound -t 5 -o nodir/m.if "$SHIPPED"
	[ "$status" -eq 2 ]
	[ -z "$out" ]
	[ "$err" = "iftrain: cannot write model 'nodir/m.if': No such file or directory" ]
	[ ! -e nodir ]
}

@test "iftrain >/dev/full: status 2 and a write error" {
	run_split bash -c 'iftrain -f temperature,humidity,sound -t 5 "$1" >/dev/full' _ "$SHIPPED"
	[ "$status" -eq 2 ]
	[ "$err" = "iftrain: write error on standard output: No space left on device" ]
}

# --- choosing the features ---------------------------------------------------

@test "iftrain: automatic features skip 'label' and text columns such as 'time'" {
	sensorgen -n 300 --seed 3 >s.tsv
	[ "$(head -n 1 s.tsv)" = $'time\ttemperature\thumidity\tsound\tlabel' ]
	run_split iftrain -t 5 -v -o m.if s.tsv
	[ "$status" -eq 0 ]
	[[ "$err" == *"iftrain: features: temperature, humidity, sound"* ]]
	[ "$(sed -n 2,5p m.if)" = "features 3
feature temperature
feature humidity
feature sound" ]
}

@test "iftrain: a numeric column that is not 'label' is a feature" {
	printf 'a\tb\tlabel\tnote\n1\t2\t0\tx\n2\t3\t0\ty\n3\t1\t1\tz\n' >in.tsv
	iftrain -t 2 in.tsv >m.if
	[ "$(sed -n 2,4p m.if)" = "features 2
feature a
feature b" ]
}

@test "iftrain -f picks the features in the order given" {
	run_split iftrain -t 5 -f sound,temperature -o m.if "$SHIPPED"
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	[ "$(sed -n 2,4p m.if)" = "features 2
feature sound
feature temperature" ]
	iftrain -t 5 --features=humidity "$SHIPPED" >h.if
	[ "$(sed -n 2,3p h.if)" = "features 1
feature humidity" ]
}

@test "iftrain -f can name 'label'" {
	iftrain -t 2 -f label "$SHIPPED" >m.if
	[ "$(sed -n 2,3p m.if)" = "features 1
feature label" ]
}

@test "iftrain -f with an unknown column" {
	run_split iftrain -f temperature,nope "$SHIPPED"
	[ "$status" -eq 2 ]
	[ -z "$out" ]
	[ "$err" = "iftrain: $SHIPPED: no column 'nope' for --features" ]
}

@test "iftrain -f naming a column twice" {
	run_split iftrain -f sound,sound "$SHIPPED"
	[ "$status" -eq 2 ]
	[ -z "$out" ]
	[ "$err" = "iftrain: --features names 'sound' twice" ]
}

@test "iftrain -f naming a text column reports every row" {
	sensorgen -n 3 --seed 3 >s.tsv
	run_split iftrain -f time s.tsv
	[ "$status" -eq 2 ]
	[ -z "$out" ]
	[ "$err" = "iftrain: s.tsv:2: field 'time': invalid number '2026-01-01T00:00:00Z'
iftrain: s.tsv:3: field 'time': invalid number '2026-01-01T00:00:01Z'
iftrain: s.tsv:4: field 'time': invalid number '2026-01-01T00:00:02Z'
iftrain: no model written: the input has errors" ]
}

@test "iftrain -x leaves columns out" {
	run_split iftrain -t 5 -x humidity -o m.if "$SHIPPED"
	[ "$status" -eq 0 ]
	[ "$err" = "iftrain: features (guessed from the first 1000 rows; -f to choose): temperature, sound" ]
	[ "$(sed -n 2,4p m.if)" = "features 2
feature temperature
feature sound" ]
	iftrain -t 5 --exclude=temperature,sound "$SHIPPED" >x.if
	[ "$(sed -n 2,3p x.if)" = "features 1
feature humidity" ]
}

@test "iftrain -x with an unknown column" {
	run_split iftrain -x humidity,nope "$SHIPPED"
	[ "$status" -eq 2 ]
	[ -z "$out" ]
	[ "$err" = "iftrain: $SHIPPED: no column 'nope' for --exclude" ]
}

@test "iftrain -f with -x is a usage error" {
	run_split iftrain -f sound -x humidity "$SHIPPED"
	assert_usage_error "iftrain: --features and --exclude cannot be combined"
}

@test "iftrain -e LEVEL writes hyperplane nodes and the extension key" {
	iftrain -t 5 "$SHIPPED" >e0.if
	[ "$(model_key extension e0.if)" = 0 ]
	[ "$(grep -c '^[0-9]* plane ' e0.if)" -eq 0 ]
	run_split iftrain -t 5 -e 2 -o e2.if "$SHIPPED"
	[ "$status" -eq 0 ]
	[ "$err" = "$GUESS" ]
	[ "$(model_key extension e2.if)" = 2 ]
	[ "$(grep -c '^[0-9]* plane ' e2.if)" -gt 0 ]
	iftrain -t 5 --extension=2 "$SHIPPED" | cmp - e2.if
	# Deterministic across thread counts too.
	iftrain -t 5 -e 1 -j 1 "$SHIPPED" >j1.if
	iftrain -t 5 -e 1 -j 3 "$SHIPPED" | cmp - j1.if
}

@test "iftrain -e must stay below the number of features" {
	run_split iftrain -f temperature,humidity,sound -e 3 "$SHIPPED"
	assert_usage_error "iftrain: invalid value '3' for --extension: must be at most 2 (features - 1)"
	run_split iftrain -e 1 -f sound "$SHIPPED"
	assert_usage_error "iftrain: invalid value '1' for --extension: must be at most 0 (features - 1)"
	run_split iftrain -e -1 "$SHIPPED"
	assert_usage_error "iftrain: invalid value '-1' for --extension: must be at least 0"
}

@test "iftrain -x of every feature: no numeric columns" {
	run_split iftrain -x temperature,humidity,sound "$SHIPPED"
	[ "$status" -eq 2 ]
	[ -z "$out" ]
	[ "$err" = "iftrain: $SHIPPED:2: no numeric columns to use as features" ]
}

@test "iftrain: an input with only text and label columns" {
	printf 'name\tlabel\nx\t1\n' >in.tsv
	run_split iftrain in.tsv
	[ "$status" -eq 2 ]
	[ "$err" = "iftrain: in.tsv:2: no numeric columns to use as features" ]
}

@test "iftrain -d , reads CSV and trains the same model" {
	tr '\t' , <"$SHIPPED" >d.csv
	iftrain -t 10 -c 0.05 "$SHIPPED" >tsv.if
	run_split iftrain -t 10 -c 0.05 -d , -o csv.if d.csv
	[ "$status" -eq 0 ]
	[ "$err" = "$GUESS" ]
	cmp tsv.if csv.if
	iftrain -t 10 -c 0.05 --delimiter=tab "$SHIPPED" >tab.if
	cmp tsv.if tab.if
}

@test "iftrain: rows with some features missing train; rows with none are skipped and counted" {
	# Since 4e36d13 a row with a missing value trains (it follows both
	# branches of a split on the missing feature); only a row with no
	# feature value at all is left out.
	{
		head -n 31 "$SHIPPED"
		printf '50\tNA\t70\t0\n\t1\t2\t0\n1\tnan\t3\t0\nN/A\tNA\t\t0\n'
	} >in.tsv
	run_split iftrain -f temperature,humidity,sound -t 5 -v -o m.if in.tsv
	[ "$status" -eq 0 ]
	[ -z "$out" ]
	[ "${err%%$'\n'*}" = "iftrain: rows read: 34, used: 33, skipped for no feature value: 1" ]
	[ "$(model_key rows m.if)" = 33 ]
	# The missing values change the model.
	head -n 31 "$SHIPPED" | iftrain -t 5 >clean.if
	run cmp -s clean.if m.if
	[ "$status" -eq 1 ]
	# And it loads and scores.
	ifscore -m m.if --print-model | cmp - m.if
}

@test "iftrain: no row has a feature value" {
	printf 'a\tb\n\tNA\nNA\t\n' >in.tsv
	run_split iftrain -f a,b in.tsv
	[ "$status" -eq 2 ]
	[ -z "$out" ]
	[ "$err" = "iftrain: no model written: no row has a feature value" ]
}

# --- bad data --------------------------------------------------------------

@test "iftrain: bad numbers in a feature, with exact messages" {
	local value message
	while IFS='|' read -r value message; do
		input_with_line4 "$value"$'\t2\t3\t0' >bad.tsv
		run_split iftrain -f temperature,humidity,sound -o m.if bad.tsv
		echo "value=$value status=$status err=$err"
		[ "$status" -eq 2 ]
		[ -z "$out" ]
		[ "$err" = "iftrain: bad.tsv:4: field 'temperature': $message '$value'
iftrain: no model written: the input has errors" ]
		[ ! -e m.if ]
	done <<-'EOF'
	12abc|invalid number
	3.4.5|invalid number
	inf|invalid number
	-inf|invalid number
	0x1p3|invalid number
	1,5|invalid number
	 5|invalid number
	+|invalid number
	1e|invalid number
	1e999|number out of range
	-1e999|number out of range
	EOF
}

@test "iftrain: a bad number in a later column names that column" {
	input_with_line4 $'1\t2\t4x2\t0' >bad.tsv
	run_split iftrain -f temperature,humidity,sound bad.tsv
	[ "$status" -eq 2 ]
	[ "$err" = "iftrain: bad.tsv:4: field 'sound': invalid number '4x2'
iftrain: no model written: the input has errors" ]
}

@test "iftrain: a bad label is not an error (label is not a feature)" {
	input_with_line4 $'1\t2\t3\tyes' >in.tsv
	run_split iftrain -f temperature,humidity,sound -t 2 in.tsv
	[ "$status" -eq 0 ]
	[ -z "$err" ]
}

@test "iftrain: wrong field count" {
	input_with_line4 $'1\t2\t3' >bad.tsv
	run_split iftrain -f temperature,humidity,sound bad.tsv
	[ "$status" -eq 2 ]
	[ -z "$out" ]
	[ "$err" = "iftrain: bad.tsv:4: expected 4 fields, found 3
iftrain: no model written: the input has errors" ]
	input_with_line4 $'1\t2\t3\t0\t9' >long.tsv
	run_split iftrain -f temperature,humidity,sound long.tsv
	[ "$status" -eq 2 ]
	[ "$err" = "iftrain: long.tsv:4: expected 4 fields, found 5
iftrain: no model written: the input has errors" ]
}

@test "iftrain: a header and no data rows" {
	head -n 1 "$SHIPPED" >hdr.tsv
	run_split iftrain hdr.tsv
	[ "$status" -eq 2 ]
	[ -z "$out" ]
	[ "$err" = "iftrain: hdr.tsv: no data rows after the header" ]
}

@test "iftrain: empty input" {
	: >empty.tsv
	run_split iftrain empty.tsv
	[ "$status" -eq 2 ]
	[ -z "$out" ]
	[ "$err" = "iftrain: empty.tsv: empty input, expected a header line" ]
	run_split iftrain </dev/null
	[ "$status" -eq 2 ]
	[ "$err" = "iftrain: -: empty input, expected a header line" ]
}

@test "iftrain: a file that does not exist" {
	run_split iftrain nofile.tsv
	[ "$status" -eq 2 ]
	[ -z "$out" ]
	[ "$err" = "iftrain: cannot open 'nofile.tsv': No such file or directory" ]
}

@test "iftrain: a directory as input" {
	mkdir dir
	run_split iftrain dir
	[ "$status" -eq 2 ]
	[ -z "$out" ]
	[ "$err" = "iftrain: cannot read 'dir': Is a directory" ]
}

@test "iftrain: errors on standard input are named '-'" {
	run_split bash -c 'printf "a\tb\n1\t2\n3\tx\n" | iftrain -f a,b'
	[ "$status" -eq 2 ]
	[ "$err" = "iftrain: -:3: field 'b': invalid number 'x'
iftrain: no model written: the input has errors" ]
}

# --- bad options -------------------------------------------------------------

@test "iftrain: bad option values, each with its exact message" {
	local args message
	while IFS='|' read -r args message; do
		# shellcheck disable=SC2086
		run_split iftrain $args "$SHIPPED"
		echo "args=$args status=$status err=$err"
		assert_usage_error "iftrain: $message"
	done <<-'EOF'
	-t 0|invalid value '0' for --trees: must be at least 1
	-t 100001|invalid value '100001' for --trees: must be at most 100000
	-t 1.5|invalid value '1.5' for --trees: not a whole number
	-t x|invalid value 'x' for --trees: not a whole number
	--trees=|invalid value '' for --trees: not a whole number
	-s -1|invalid value '-1' for --sample-size: must be at least 1
	-s 0|invalid value '0' for --sample-size: must be at least 1
	-c 0|invalid value '0' for --contamination: must be greater than 0.0 and at most 0.5
	-c 0.7|invalid value '0.7' for --contamination: must be greater than 0.0 and at most 0.5
	-c -0.1|invalid value '-0.1' for --contamination: must be greater than 0.0 and at most 0.5
	-c x|invalid value 'x' for --contamination: not a number
	-c nan|invalid value 'nan' for --contamination: not a number
	--seed -1|invalid value '-1' for --seed: must be at least 0
	--seed 4x|invalid value '4x' for --seed: not a whole number
	-j 0|invalid value '0' for --jobs: must be at least 1
	-j 65|invalid value '65' for --jobs: must be at most 64
	-d ab|invalid delimiter 'ab': must be one character
	-d 5|invalid delimiter '5': letters, digits and '.', '+', '-', '/' occur in values
	-d .|invalid delimiter '.': letters, digits and '.', '+', '-', '/' occur in values
	-d e|invalid delimiter 'e': letters, digits and '.', '+', '-', '/' occur in values
	-d E|invalid delimiter 'E': letters, digits and '.', '+', '-', '/' occur in values
	-d -|invalid delimiter '-': letters, digits and '.', '+', '-', '/' occur in values
	-d +|invalid delimiter '+': letters, digits and '.', '+', '-', '/' occur in values
	-d n|invalid delimiter 'n': letters, digits and '.', '+', '-', '/' occur in values
	-d a|invalid delimiter 'a': letters, digits and '.', '+', '-', '/' occur in values
	-d i|invalid delimiter 'i': letters, digits and '.', '+', '-', '/' occur in values
	-d /|invalid delimiter '/': letters, digits and '.', '+', '-', '/' occur in values
	-d é|invalid delimiter 'é': only single-byte characters are supported
	--bogus|unrecognized option '--bogus'
	-q|invalid option -- 'q'
	EOF
}

@test "iftrain: a number too large for an option says 'at most', not 'at least'" {
	# strtoll's ERANGE on overflow is reported as below the minimum.
	run_split iftrain --seed 99999999999999999999 "$SHIPPED"
	echo "status=$status err=$err"
	assert_usage_error "iftrain: invalid value '99999999999999999999' for --seed: must be at most 9223372036854775807"
	run_split iftrain -t 99999999999999999999 "$SHIPPED"
	echo "status=$status err=$err"
	assert_usage_error "iftrain: invalid value '99999999999999999999' for --trees: must be at most 100000"
}

@test "iftrain: an option missing its argument" {
	run_split iftrain -t </dev/null
	assert_usage_error "iftrain: option requires an argument -- 't'"
	run_split iftrain --trees </dev/null
	assert_usage_error "iftrain: option '--trees' requires an argument"
	run_split iftrain "$SHIPPED" -o </dev/null
	assert_usage_error "iftrain: option requires an argument -- 'o'"
}

@test "iftrain: a bad option writes no model over -o" {
	echo old >m.if
	run_split iftrain -o m.if -t 0 "$SHIPPED"
	[ "$status" -eq 2 ]
	[ "$(cat m.if)" = old ]
}

# --- merging: -m A -m B ---------------------------------------------------

# Node lines of a model, without the tree numbers.
nodes_of() {
	sed -n '/^tree /,$p' "$1" | grep -v '^tree \|^end$'
}

@test "iftrain -m A -m B: every tree, in -m order, the same bytes every time" {
	iftrain -t 7 --seed 1 -o a.if "$SHIPPED"
	iftrain -t 5 --seed 2 -o b.if "$SHIPPED"
	run_split iftrain -m a.if -m b.if -o ab.if
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	[ -z "$out" ]
	[ "$(model_key trees ab.if)" = 12 ]
	[ "$(model_key rows ab.if)" = 2100 ]
	[ "$(model_key seed ab.if)" = 1 ]
	cat <(nodes_of a.if) <(nodes_of b.if) >want
	cmp want <(nodes_of ab.if)
	iftrain -m a.if -m b.if >again.if
	cmp ab.if again.if
	iftrain -m b.if -m a.if >ba.if
	! cmp -s ab.if ba.if
	# The merged model loads and scores.
	ifscore -m ab.if "$SHIPPED" >/dev/null
}

@test "iftrain -m: shards' models merged score like one model of their trees" {
	# Two 50-tree halves of one 100-tree training are not the same trees,
	# but the merged forest must rank the shipped anomalies as well.
	head -n 526 "$SHIPPED" >s1.tsv
	{ head -n 1 "$SHIPPED"; tail -n +527 "$SHIPPED"; } >s2.tsv
	iftrain -t 50 --seed 1 -x label -o s1.if s1.tsv
	iftrain -t 50 --seed 2 -x label -o s2.if s2.tsv
	iftrain -m s1.if -m s2.if -c 0.05 -o all.if "$SHIPPED"
	run_split bash -c 'ifscore -m all.if "$1" | ifstat | awk -F"\t" "\$1 == \"roc_auc\" { print \$2 }"' \
		_ "$SHIPPED"
	[ "$status" -eq 0 ]
	awk -v auc="$out" 'BEGIN { exit !(auc > 0.95) }'
}

@test "iftrain -m -c F: the threshold from the merged forest's scores of the data" {
	iftrain -t 30 --seed 1 -c 0.1 -o a.if "$SHIPPED"
	iftrain -t 30 --seed 2 -c 0.1 -o b.if "$SHIPPED"
	run_split iftrain -v -m a.if -m b.if -c 0.05 -o ab.if "$SHIPPED"
	[ "$status" -eq 0 ]
	[ "${err##*$'\n'}" = "iftrain: Normal: 997, Anomalies: 53, Anomaly Ratio: 5.05%" ]
	[ "$(model_key contamination ab.if)" = 0.050000000000000003 ]
	[ "$(ifscore -m ab.if "$SHIPPED" | grep -c 'anomaly$')" -eq 53 ]
	# The same on one thread or four, from standard input, and
	# headerless with --columns.
	iftrain -j 1 -m a.if -m b.if -c 0.05 "$SHIPPED" >j1.if
	iftrain -j 4 -m a.if -m b.if -c 0.05 "$SHIPPED" >j4.if
	cmp ab.if j1.if
	cmp ab.if j4.if
	iftrain -m a.if -m b.if -c 0.05 <"$SHIPPED" >stdin.if
	cmp ab.if stdin.if
	tail -n +2 "$SHIPPED" | iftrain -m a.if -m b.if -c 0.05 \
		--columns temperature,humidity,sound,label >headerless.if
	cmp ab.if headerless.if
}

@test "iftrain -m without -c: the inputs' threshold when they agree, else 0.5" {
	iftrain -t 5 --seed 1 -c 0.05 -o a.if "$SHIPPED"
	iftrain -t 5 --seed 2 -c 0.05 -o b.if "$SHIPPED"
	run_split iftrain -m a.if -m a.if -o aa.if
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	[ "$(model_key threshold aa.if)" = "$(model_key threshold a.if)" ]
	[ "$(model_key contamination aa.if)" = 0.050000000000000003 ]
	run_split iftrain -m a.if -m b.if -o ab.if
	[ "$status" -eq 0 ]
	[ "$err" = "iftrain: the inputs' thresholds differ: the merged model has the auto threshold, 0.5 (-c F with data sets one)" ]
	[ "$(model_key threshold ab.if)" = 0.5 ]
	[ "$(model_key contamination ab.if)" = auto ]
	run_split iftrain -m a.if -m a.if -c auto -o auto.if
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	[ "$(model_key threshold auto.if)" = 0.5 ]
}

@test "iftrain -m: models that differ in what scoring reads are not merged" {
	iftrain -t 3 -o a.if "$SHIPPED"
	iftrain -t 3 -s 128 -o small.if "$SHIPPED"
	iftrain -t 3 -f temperature,sound -o two.if "$SHIPPED"
	iftrain -t 3 -f sound,temperature,humidity -o order.if "$SHIPPED"
	iftrain -t 3 -e 1 -o ext.if "$SHIPPED"
	run_split iftrain -m a.if -m small.if -o out.if
	[ "$status" -eq 2 ]
	[ "$err" = "iftrain: cannot merge 'small.if' with 'a.if': 'sample_size 128' where 'a.if' has 'sample_size 256'" ]
	[ ! -e out.if ]
	run_split iftrain -m a.if -m two.if
	[ "$err" = "iftrain: cannot merge 'two.if' with 'a.if': 'features 2' where 'a.if' has 'features 3'" ]
	run_split iftrain -m a.if -m order.if
	[ "$err" = "iftrain: cannot merge 'order.if' with 'a.if': 'feature sound' where 'a.if' has 'feature temperature'" ]
	run_split iftrain -m a.if -m a.if -m ext.if
	[ "$status" -eq 2 ]
	[ "$err" = "iftrain: cannot merge 'ext.if' with 'a.if': 'extension 1' where 'a.if' has 'extension 0'" ]
	[ -z "$out" ]
}

@test "iftrain -m: a model that cannot be read, bad data while rethresholding" {
	iftrain -t 3 -o a.if "$SHIPPED"
	run_split iftrain -m a.if -m nosuch.if
	[ "$status" -eq 2 ]
	[ "$err" = "iftrain: cannot read model 'nosuch.if': No such file or directory" ]
	input_with_line4 $'5x\t1\t2\t0' >bad.tsv
	run_split iftrain -m a.if -c 0.1 -o out.if bad.tsv
	[ "$status" -eq 2 ]
	[ "$err" = "iftrain: bad.tsv:4: field 'temperature': invalid number '5x'
iftrain: no model written: the input has errors" ]
	[ ! -e out.if ]
	printf 'temperature\tsound\n1\t2\n' >lacks.tsv
	run_split iftrain -m a.if -c 0.1 lacks.tsv
	[ "$status" -eq 2 ]
	[ "$err" = "iftrain: lacks.tsv:1: missing feature column 'humidity' (the model needs: temperature, humidity, sound)" ]
}

@test "iftrain -m: training options and input files without -c F are usage errors" {
	for pair in "-t 5:--trees" "-s 64:--sample-size" "-e 1:--extension" \
	    "-f sound:--features" "-x label:--exclude" "--seed 3:--seed"; do
		run_split iftrain -m a.if ${pair%%:*}
		assert_usage_error "iftrain: ${pair##*:} cannot be combined with --model"
	done
	run_split iftrain -m a.if data.tsv
	assert_usage_error "iftrain: --model reads input files only with -c F"
	run_split iftrain -m a.if -c auto data.tsv
	assert_usage_error "iftrain: --model reads input files only with -c F"
}

@test "iftrain --columns: a headerless input trains the same model" {
	iftrain -t 10 -f temperature,humidity,sound -o want.if "$SHIPPED"
	run_split bash -c 'tail -n +2 "$1" | iftrain -t 10 -f temperature,humidity,sound --columns temperature,humidity,sound,label' \
		_ "$SHIPPED"
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	[ "$out" = "$(cat want.if)" ]
}

@test "iftrain -m: context models merge, and -c F computes their context per series" {
	sensorgen -D 2 -n 4000 -a 0 --seed 5 >all.tsv
	head -n 2001 all.tsv >a.tsv
	{ head -n 1 all.tsv; tail -n +2002 all.tsv; } >b.tsv
	iftrain -t 20 --seed 1 -g device -w 16 -o a.if a.tsv
	iftrain -t 20 --seed 2 -g device -w 16 -o b.if b.tsv
	iftrain -t 5 -g device -w 8 -o w8.if a.tsv
	run_split iftrain -v -m a.if -m b.if -c 0.05 -o ab.if all.tsv
	[ "$status" -eq 0 ]
	[ "${err##*$'\n'}" = "iftrain: Normal: 3800, Anomalies: 200, Anomaly Ratio: 5.00%" ]
	[ "$(head -n 1 ab.if)" = "iforest 2" ]
	[ "$(model_key window ab.if)" = 16 ]
	# ifscore computes the same context: it flags the same 200 rows.
	[ "$(ifscore -m ab.if all.tsv | grep -c 'anomaly$')" -eq 200 ]
	run_split iftrain -m a.if -m w8.if
	[ "$status" -eq 2 ]
	[ "$err" = "iftrain: cannot merge 'w8.if' with 'a.if': 'feature temperature@trend8' where 'a.if' has 'feature temperature@trend16'" ]
	run_split iftrain -m a.if -c 0.05 --columns time,temperature,humidity,sound </dev/null
	[ "$status" -eq 2 ]
	[ "$err" = "iftrain: missing group column 'device' in --columns (the model's context is per 'device')" ]
}

@test "iftrain --columns: an empty input has no data rows" {
	run_split iftrain --columns a,b </dev/null
	[ "$status" -eq 2 ]
	[ "$err" = "iftrain: -: no data rows" ]
}

# --- -o through links, long names ---------------------------------------------

@test "iftrain -o onto a dangling symbolic link writes its target; the link stays" {
	mkdir sub
	ln -s sub/target.if link.if
	ln -s ../link.if sub/chain.if
	run_split iftrain -f temperature,humidity,sound -t 3 -o sub/chain.if "$SHIPPED"
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	[ -L link.if ] && [ -L sub/chain.if ]
	[ "$(readlink link.if)" = sub/target.if ]
	[ -f sub/target.if ] && [ ! -L sub/target.if ]
	ifscore -m link.if --print-model | cmp - sub/target.if
	# Rewritten through the link that now resolves: still a link.
	iftrain -f temperature,humidity,sound -t 4 -o link.if "$SHIPPED"
	[ -L link.if ]
	[ "$(model_key trees sub/target.if)" = 4 ]
	[ -z "$(ls -A sub | grep -v '^target.if$\|^chain.if$')" ]
}

@test "iftrain -o with a name of the longest length the folder allows" {
	local name
	name="$(printf 'm%.0s' $(seq "$(getconf NAME_MAX .)"))"
	run_split iftrain -f temperature,humidity,sound -t 3 -o "$name" "$SHIPPED"
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	[ -s "$name" ]
	[ "$(ls -A | wc -l)" -eq 1 ]
}

# --- the feature guess ---------------------------------------------------------

@test "iftrain: a glitch in the first row does not drop a sensor: it is an error" {
	sed '2s/^[^\t]*/ERR/' "$SHIPPED" >glitch.tsv
	run_split iftrain -o m.if glitch.tsv
	[ "$status" -eq 2 ]
	[ "$err" = "$GUESS
iftrain: glitch.tsv:2: field 'temperature': invalid number 'ERR'
iftrain: no model written: the input has errors" ]
	[ ! -e m.if ]
}

@test "iftrain: a tie between numbers and text goes to the numbers" {
	printf 'a\tb\n1\t2\nx\t3\n' >tie.tsv
	run_split iftrain tie.tsv
	[ "$status" -eq 2 ]
	[ "$err" = "iftrain: features (guessed from the first 2 rows; -f to choose): a, b
iftrain: tie.tsv:3: field 'a': invalid number 'x'
iftrain: no model written: the input has errors" ]
	# Text in most rows: not a feature.
	printf 'a\tb\n1\t2\nx\t3\ny\t4\n' >text.tsv
	run_split iftrain -o m.if text.tsv
	[ "$status" -eq 0 ]
	[ "$err" = "iftrain: features (guessed from the first 3 rows; -f to choose): b
iftrain: left out: a (not numeric)" ]
}

@test "iftrain: identifiers are left out, and said to be" {
	# A row number, an epoch, a column named like an id, distinct
	# integers in no order, and the sensors.
	awk 'BEGIN {
		srand(3)
		print "n\tclock\tdevice_id\tserial\tTime\ttemperature\tcount"
		for (i = 1; i <= 200; i++)
			printf "%d\t%d\t%d\t%d\t%.1f\t%.3f\t%d\n", i, 1700000000 + 60 * i,
			    i % 7, (i * 7919) % 10007, i / 3, 20 + rand(), int(rand() * 5)
	}' >ids.tsv
	run_split iftrain -o m.if ids.tsv
	[ "$status" -eq 0 ]
	[ "$err" = "iftrain: features (guessed from the first 200 rows; -f to choose): temperature, count
iftrain: left out: n (integers that only rise or only fall), clock (integers that only rise or only fall), device_id (an identifier's name), serial (integers, all distinct), Time (an identifier's name)" ]
	[ "$(sed -n 2,4p m.if)" = "features 2
feature temperature
feature count" ]
	# -f takes any of them, quietly.
	run_split iftrain -f n,temperature -o f.if ids.tsv
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	# Nine rising integers are too few to call an identifier.
	head -n 10 ids.tsv | cut -f 1,6 >few.tsv
	run_split iftrain -o few.if few.tsv
	[ "$err" = "iftrain: features (guessed from the first 9 rows; -f to choose): n, temperature" ]
}

@test "iftrain: an incomplete last line is reported and no model is written" {
	{ head -n 20 "$SHIPPED"; printf '50.1\t6'; } >cut.tsv
	run_split iftrain -f temperature,humidity,sound -o m.if cut.tsv
	[ "$status" -eq 2 ]
	[ "$err" = "iftrain: cut.tsv:21: incomplete last line (no newline at the end)
iftrain: no model written: the input has errors" ]
	[ ! -e m.if ]
	# Guessing reads it too: same verdict.
	run_split iftrain -o m.if cut.tsv
	[ "$status" -eq 2 ]
	[ "$err" = "iftrain: cut.tsv:21: incomplete last line (no newline at the end)
iftrain: features (guessed from the first 20 rows; -f to choose): temperature, humidity, sound
iftrain: no model written: the input has errors" ]
}

@test "iftrain(1): the EXAMPLES that show output print what they show" {
	check_man_examples iftrain.1
}

@test "iftrain --help: defaults in brackets, never '(default ...)'" {
	run_split iftrain --help
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	[[ "$out" != *"(default"* ]]
	# Every option that takes a value names its default in brackets.
	[ -z "$(printf '%s\n' "$out" | awk '/^  -.*[A-Z]+ / && !/\[/ { getline next_line; if (next_line !~ /\[/) print }')" ]
}
