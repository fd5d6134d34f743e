#!/usr/bin/env bats
# ifscore: the output columns, the 53-of-1050 result, every option, bad rows
# and bad inputs with exact messages and statuses, write errors and pipes.

load test_helper

SHIPPED="$DATA/sensor_data.tsv"

# Bad option: exactly the error line plus the hint, status 2, no stdout.
assert_usage_error() {
	[ "$status" -eq 2 ]
	[ -z "$out" ]
	[ "$err" = "$1
Try 'ifscore --help' for more information." ]
}

# A small input: a good row, a bad number, a missing value, a short row,
# and an anomalous row.
mixed_input() {
	printf 'temperature\thumidity\tsound\tlabel\n'
	printf '50\t60\t70\t0\n'
	printf '5x\t60\t70\t0\n'
	printf '50\t\t70\t0\n'
	printf '50\t60\n'
	printf '90\t90\t100\t1\n'
}

# --- help and version ---------------------------------------------------

@test "ifscore --help prints the usage on stdout and exits 0" {
	run_split ifscore --help
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	[[ "${out%%$'\n'*}" == "usage: ifscore -m MODEL "* ]]
	[[ "$out" == *"       ifscore -m MODEL --print-model"* ]]
	for opt in --model --threshold --delimiter --unbuffered --json --strict \
	    --print-model --columns --bad-rows-ok --help --version; do
		[[ "$out" == *"$opt"* ]]
	done
	run_split ifscore -h
	[ "$status" -eq 0 ]
	[[ "$out" == "usage: ifscore -m MODEL"* ]]
}

@test "ifscore --version and -V print 'ifscore (iftools) X.Y.Z' first" {
	run_split ifscore --version
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	[[ "${out%%$'\n'*}" =~ ^ifscore\ \(iftools\)\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
	run_split ifscore -V
	[ "$status" -eq 0 ]
	[[ "${out%%$'\n'*}" =~ ^ifscore\ \(iftools\)\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
}

# --- normal use ---------------------------------------------------------

@test "ifscore: the header is the input header plus score and status" {
	model="$(shipped_model)"
	ifscore -m "$model" "$SHIPPED" >out.tsv 2>err
	[ ! -s err ]
	[ "$(head -n 1 out.tsv)" = "$(head -n 1 "$SHIPPED")"$'\tscore\tstatus' ]
	[ "$(wc -l <out.tsv)" -eq 1051 ]
}

@test "ifscore: every input column comes out unchanged" {
	model="$(shipped_model)"
	ifscore -m "$model" "$SHIPPED" >out.tsv
	cut -f1-4 out.tsv | cmp - "$SHIPPED"
	# Six fields on every line; the score has six decimals.
	run awk -F'\t' 'NR > 1 && (NF != 6 || $5 !~ /^[01]\.[0-9][0-9][0-9][0-9][0-9][0-9]$/ ||
	    ($6 != "normal" && $6 != "anomaly")) { bad++ } END { exit bad > 0 }' out.tsv
	[ "$status" -eq 0 ]
}

@test "ifscore flags 53 of the 1050 shipped rows, 50 of them labelled 1" {
	model="$(shipped_model)"
	run_split ifscore -m "$model" "$SHIPPED"
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	printf '%s\n' "$out" >out.tsv
	[ "$(awk -F'\t' '$6 == "anomaly"' out.tsv | wc -l)" -eq 53 ]
	[ "$(awk -F'\t' '$6 == "normal"' out.tsv | wc -l)" -eq 997 ]
	[ "$(awk -F'\t' '$6 == "anomaly" && $4 == 1' out.tsv | wc -l)" -eq 50 ]
	# Every anomaly scores above every normal row.
	min_anomaly="$(awk -F'\t' '$6 == "anomaly"' out.tsv | cut -f5 | sort -n | head -n 1)"
	max_normal="$(awk -F'\t' '$6 == "normal"' out.tsv | cut -f5 | sort -n | tail -n 1)"
	awk -v a="$min_anomaly" -v n="$max_normal" 'BEGIN { exit !(a + 0 >= n + 0) }'
}

@test "ifscore: the shipped row 1 scores 0.437783" {
	model="$(shipped_model)"
	[ "$(ifscore -m "$model" "$SHIPPED" | sed -n 2p)" = "$(sed -n 2p "$SHIPPED")"$'\t0.437783\tnormal' ]
}

@test "ifscore --model is -m, and scoring is deterministic" {
	model="$(shipped_model)"
	ifscore -m "$model" "$SHIPPED" >a.tsv
	ifscore --model "$model" "$SHIPPED" >b.tsv
	ifscore --model="$model" <"$SHIPPED" >c.tsv
	cmp a.tsv b.tsv
	cmp a.tsv c.tsv
}

@test "ifscore -T 1 flags nothing, -T 0 flags every row" {
	model="$(shipped_model)"
	run_split ifscore -T 1 -m "$model" "$SHIPPED"
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	[ "$(printf '%s\n' "$out" | grep -c anomaly || true)" -eq 0 ]
	run_split ifscore --threshold 0 -m "$model" "$SHIPPED"
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$out" | grep -c anomaly)" -eq 1050 ]
}

@test "ifscore -T 0.5 on the 0.05 model flags what the auto model flags (163)" {
	model="$(shipped_model)"
	[ "$(ifscore -T 0.5 -m "$model" "$SHIPPED" | grep -c anomaly)" -eq 163 ]
	iftrain --no-penalize-range --seed 42 -o auto.if "$SHIPPED"
	[ "$(ifscore -m auto.if "$SHIPPED" | grep -c anomaly)" -eq 163 ]
}

@test "ifscore -T with bad values" {
	model="$(shipped_model)"
	run_split ifscore -T 2 -m "$model"
	assert_usage_error "ifscore: invalid value '2' for --threshold: must be at least 0.0 and at most 1.0"
	run_split ifscore -T -0.1 -m "$model"
	assert_usage_error "ifscore: invalid value '-0.1' for --threshold: must be at least 0.0 and at most 1.0"
	run_split ifscore -T x -m "$model"
	assert_usage_error "ifscore: invalid value 'x' for --threshold: not a number"
}

@test "ifscore -u writes the same output" {
	model="$(shipped_model)"
	ifscore -m "$model" "$SHIPPED" >a.tsv
	run_split ifscore -u -m "$model" "$SHIPPED"
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	printf '%s\n' "$out" | cmp - a.tsv
	ifscore --unbuffered -m "$model" "$SHIPPED" | cmp - a.tsv
}

@test "ifscore -u: a row comes out while the input is still open" {
	model="$(shipped_model)"
	mkfifo in
	ifscore -u -m "$model" in >out.tsv 2>err &
	pid=$!
	exec 7<>in
	head -n 2 "$SHIPPED" >&7
	for _ in $(seq 200); do
		[ "$(wc -l <out.tsv)" -ge 2 ] && break
		sleep 0.1
	done
	lines="$(wc -l <out.tsv)"
	exec 7>&-
	wait "$pid"
	[ "$lines" -eq 2 ]
	[ ! -s err ]
}

@test "ifscore without -u also flushes when its input has no more data ready" {
	model="$(shipped_model)"
	mkfifo in
	ifscore -m "$model" in >out.tsv 2>err &
	pid=$!
	exec 7<>in
	head -n 3 "$SHIPPED" >&7
	for _ in $(seq 200); do
		[ "$(wc -l <out.tsv)" -ge 3 ] && break
		sleep 0.1
	done
	lines="$(wc -l <out.tsv)"
	exec 7>&-
	wait "$pid"
	[ "$lines" -eq 3 ]
}

@test "ifscore --json writes one valid JSON object per row" {
	model="$(shipped_model)"
	run_split ifscore --json -m "$model" "$SHIPPED"
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	printf '%s\n' "$out" >out.jsonl
	[ "$(wc -l <out.jsonl)" -eq 1050 ]
	run python3 -c '
import json, sys
rows = [json.loads(l) for l in sys.stdin]
keys = ["temperature", "humidity", "sound", "label", "score",
        "anomaly_score", "status"]
for r in rows:
    assert list(r) == keys, r
    assert all(isinstance(r[k], (int, float)) for k in keys[:3] + ["score"]), r
    assert r["label"] in ("0", "1"), r
    assert r["anomaly_score"] in (0, 1), r
    assert r["status"] == ("anomaly" if r["anomaly_score"] else "normal"), r
    assert 0 <= r["score"] <= 1, r
print(sum(r["anomaly_score"] for r in rows),
      sum(1 for r in rows if r["anomaly_score"] and r["label"] == "1"))
' <out.jsonl
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "53 50" ]
}

@test "ifscore --json gives the same scores and values as the TSV output" {
	model="$(shipped_model)"
	ifscore -m "$model" "$SHIPPED" | tail -n +2 | cut -f5,6 >tsv.txt
	ifscore --json -m "$model" "$SHIPPED" | python3 -c '
import json, sys
for l in sys.stdin:
    r = json.loads(l)
    print("%.6f\t%s" % (r["score"], r["status"]))
' >json.txt
	cmp tsv.txt json.txt
	# The first row is written with the input text of its numbers.
	[ "$(ifscore --json -m "$model" "$SHIPPED" | head -n 1)" = '{"temperature":52.483570765056164,"humidity":63.99355436586002,"sound":64.59857380020495,"label":"0","score":0.437783,"anomaly_score":0,"status":"normal"}' ]
}

@test "ifscore --json: text columns are strings, missing values null, bad rows null" {
	model="$(shipped_model)"
	{
		printf 'time\ttemperature\thumidity\tsound\n'
		printf 'a "q"\t50\tNA\t70\n'
		printf 't2\t5x\t60\t70\n'
	} >in.tsv
	run_split ifscore --json -m "$model" in.tsv
	[ "$status" -eq 2 ]
	[ "$err" = "ifscore: in.tsv:3: field 'temperature': invalid number '5x'" ]
	[ "$out" = '{"time":"a \"q\"","temperature":50,"humidity":null,"sound":70,"score":0.401111,"anomaly_score":0,"status":"normal"}
{"time":"t2","temperature":"5x","humidity":60,"sound":70,"score":null,"anomaly_score":null,"status":"error"}' ]
	printf '%s\n' "$out" | python3 -c 'import json,sys; [json.loads(l) for l in sys.stdin]'
}

@test "ifscore --json: a column's type is decided once, not per value" {
	model="$(shipped_model)"
	{
		printf 'id\ttemperature\thumidity\tsound\n'
		printf '007\t50\t50.0\t7e1\n'
		printf 'x1\t+50\t50\t70\n'
	} >in.tsv
	run_split ifscore --json -m "$model" in.tsv
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	[ "$(printf '%s\n' "$out" | cut -d, -f1-4)" = '{"id":"007","temperature":50,"humidity":50.0,"sound":7e1
{"id":"x1","temperature":50.0,"humidity":50,"sound":70' ]
}

@test "ifscore --json goes through the block walk: same scores as TSV on every -j" {
	model="$(shipped_model)"
	ifscore -j 1 --json -m "$model" "$SHIPPED" >j1.jsonl
	ifscore -j 2 --json -m "$model" "$SHIPPED" >j2.jsonl
	cmp j1.jsonl j2.jsonl
	[ "$(wc -l <j1.jsonl)" -eq 1050 ]
}

@test "ifscore re-scoring a scored file replaces score and status" {
	model="$(shipped_model)"
	ifscore -m "$model" "$SHIPPED" >once.tsv
	run_split ifscore -m "$model" once.tsv
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	printf '%s\n' "$out" | cmp - once.tsv
	# Anywhere in the header, and in JSON too.
	{
		printf 'status\ttemperature\thumidity\tscore\tsound\n'
		printf 'old\t50\t50\t0.9\t70\n'
	} >moved.tsv
	run_split ifscore -m "$model" moved.tsv
	[ "$status" -eq 0 ]
	[ "$out" = "temperature	humidity	sound	score	status
50	50	70	0.377372	normal" ]
	run_split ifscore --json -m "$model" moved.tsv
	[ "$out" = '{"temperature":50,"humidity":50,"sound":70,"score":0.377372,"anomaly_score":0,"status":"normal"}' ]
	# An old cause goes too, with or without --explain.
	ifscore --explain=all -m "$model" "$SHIPPED" >explained.tsv
	run_split ifscore -m "$model" explained.tsv
	[ "$status" -eq 0 ]
	printf '%s\n' "$out" | cmp - once.tsv
	# A bad short row is padded to the columns kept.
	printf 'status\ttemperature\thumidity\tscore\tsound\nx\t1\n' >short.tsv
	run_split ifscore -m "$model" short.tsv
	[ "$status" -eq 2 ]
	[ "$err" = "ifscore: short.tsv:2: expected 5 fields, found 2" ]
	[ "$out" = "temperature	humidity	sound	score	status
1				error" ]
}

@test "ifscore -d , reads and writes CSV" {
	model="$(shipped_model)"
	tr '\t' , <"$SHIPPED" >d.csv
	run_split ifscore -d , -m "$model" d.csv
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	[ "${out%%$'\n'*}" = "temperature,humidity,sound,label,score,status" ]
	ifscore -m "$model" "$SHIPPED" | tr '\t' , >expected.csv
	printf '%s\n' "$out" | cmp - expected.csv
}

@test "ifscore: CSV without -d is missing every feature" {
	model="$(shipped_model)"
	tr '\t' , <"$SHIPPED" >d.csv
	run_split ifscore -m "$model" d.csv
	[ "$status" -eq 2 ]
	[ -z "$out" ]
	[ "$err" = "ifscore: d.csv:1: missing feature column 'temperature' (the model needs: temperature, humidity, sound)" ]
}

@test "ifscore: column order does not matter" {
	model="$(shipped_model)"
	ifscore -m "$model" "$SHIPPED" | cut -f5,6 >expected.txt
	awk -F'\t' -v OFS='\t' '{ print $4, $3, $1, $2 }' "$SHIPPED" >reordered.tsv
	run_split ifscore -m "$model" reordered.tsv
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	[ "${out%%$'\n'*}" = $'label\tsound\ttemperature\thumidity\tscore\tstatus' ]
	printf '%s\n' "$out" | cut -f5,6 | cmp - expected.txt
	printf '%s\n' "$out" | cut -f1-4 | cmp - reordered.tsv
}

@test "ifscore: extra columns pass through untouched" {
	model="$(shipped_model)"
	awk -F'\t' -v OFS='\t' '{ print (NR == 1 ? "id" : "dev-" NR), $0, (NR == 1 ? "note" : "x y z") }' \
	    "$SHIPPED" >extra.tsv
	run_split ifscore -m "$model" extra.tsv
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	printf '%s\n' "$out" | cut -f1-6 | cmp - extra.tsv
	printf '%s\n' "$out" | cut -f7,8 | cmp - <(ifscore -m "$model" "$SHIPPED" | cut -f5,6)
}

@test "ifscore: the input may lack the label and other non-feature columns" {
	model="$(shipped_model)"
	cut -f1-3 "$SHIPPED" >nolabel.tsv
	run_split ifscore -m "$model" nolabel.tsv
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	[ "$(printf '%s\n' "$out" | grep -c anomaly)" -eq 53 ]
}

@test "ifscore: a row with a missing feature is still scored" {
	model="$(shipped_model)"
	{
		printf 'temperature\thumidity\tsound\n'
		printf '50\t\t70\n50\tNA\t70\n50\tn/a\t70\n90\tNaN\t100\nNA\tNA\tNA\n'
	} >in.tsv
	run_split ifscore -m "$model" in.tsv
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	[ "$out" = "temperature	humidity	sound	score	status
50		70	0.401111	normal
50	NA	70	0.401111	normal
50	n/a	70	0.401111	normal
90	NaN	100	0.655398	anomaly
NA	NA	NA	0.438528	normal" ]
}

@test "ifscore: a bad row is reported, written as 'error', and scoring goes on" {
	model="$(shipped_model)"
	mixed_input >in.tsv
	run_split ifscore -m "$model" in.tsv
	[ "$status" -eq 2 ]
	[ "$err" = "ifscore: in.tsv:3: field 'temperature': invalid number '5x'
ifscore: in.tsv:5: expected 4 fields, found 2" ]
	[ "$out" = "temperature	humidity	sound	label	score	status
50	60	70	0	0.397770	normal
5x	60	70	0		error
50		70	0	0.401111	normal
50	60				error
90	90	100	1	0.628241	anomaly" ]
	# The short row is padded, so score and status stay in their columns.
	[ "$(printf '%s\n' "$out" | awk -F'\t' 'NF != 6' | wc -l)" -eq 0 ]
}

@test "ifscore: bad numbers, each with its exact message" {
	model="$(shipped_model)"
	local value message
	while IFS='|' read -r value message; do
		printf 'temperature\thumidity\tsound\n1\t2\t3\n%s\t2\t3\n' "$value" >in.tsv
		run_split ifscore -m "$model" in.tsv
		echo "value=$value status=$status err=$err"
		[ "$status" -eq 2 ]
		[ "$err" = "ifscore: in.tsv:3: field 'temperature': $message" ]
		[ "$(printf '%s\n' "$out" | tail -n 1)" = "$value"$'\t2\t3\t\terror' ]
	done <<-'EOF'
	12abc|invalid number '12abc'
	3.4.5|invalid number '3.4.5'
	inf|invalid number 'inf'
	0x1p3|invalid number '0x1p3'
	4,2|invalid number '4,2'
	1e999|number out of range '1e999'
	12345678901234567890123456789012345678901234567890x|invalid number '1234567890123456789012345678901234567890'...
	EOF
}

@test "ifscore --strict stops at the first bad row" {
	model="$(shipped_model)"
	mixed_input >in.tsv
	run_split ifscore --strict -m "$model" in.tsv
	[ "$status" -eq 2 ]
	[ "$err" = "ifscore: in.tsv:3: field 'temperature': invalid number '5x'" ]
	[ "$out" = "temperature	humidity	sound	label	score	status
50	60	70	0	0.397770	normal
5x	60	70	0		error" ]
}

@test "ifscore --strict changes nothing on good input" {
	model="$(shipped_model)"
	run_split ifscore --strict -m "$model" "$SHIPPED"
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	[ "$(printf '%s\n' "$out" | grep -c anomaly)" -eq 53 ]
}

@test "ifscore: a missing feature column names what the model needs" {
	model="$(shipped_model)"
	cut -f1,2,4 "$SHIPPED" >in.tsv
	run_split ifscore -m "$model" in.tsv
	[ "$status" -eq 2 ]
	[ -z "$out" ]
	[ "$err" = "ifscore: in.tsv:1: missing feature column 'sound' (the model needs: temperature, humidity, sound)" ]
}

@test "ifscore: a header and no rows writes the header" {
	model="$(shipped_model)"
	head -n 1 "$SHIPPED" >hdr.tsv
	run_split ifscore -m "$model" hdr.tsv
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	[ "$out" = "$(head -n 1 "$SHIPPED")"$'\tscore\tstatus' ]
}

@test "ifscore: empty input" {
	model="$(shipped_model)"
	run_split ifscore -m "$model" </dev/null
	[ "$status" -eq 2 ]
	[ -z "$out" ]
	[ "$err" = "ifscore: -: empty input, expected a header line" ]
}

@test "ifscore: an input file that does not exist" {
	model="$(shipped_model)"
	run_split ifscore -m "$model" nofile.tsv
	[ "$status" -eq 2 ]
	[ -z "$out" ]
	[ "$err" = "ifscore: cannot open 'nofile.tsv': No such file or directory" ]
}

@test "ifscore: no -m is a usage error" {
	run_split ifscore "$SHIPPED"
	assert_usage_error "ifscore: no model given (-m MODEL)"
	run_split ifscore
	assert_usage_error "ifscore: no model given (-m MODEL)"
}

@test "ifscore: -m without its argument, and unknown options" {
	run_split ifscore -m
	assert_usage_error "ifscore: option requires an argument -- 'm'"
	run_split ifscore --model
	assert_usage_error "ifscore: option '--model' requires an argument"
	run_split ifscore -x -m m.if
	assert_usage_error "ifscore: invalid option -- 'x'"
	run_split ifscore --bogus -m m.if
	assert_usage_error "ifscore: unrecognized option '--bogus'"
	run_split ifscore -d ab -m m.if
	assert_usage_error "ifscore: invalid delimiter 'ab': must be one character"
	run_split ifscore -d 5 -m m.if
	assert_usage_error "ifscore: invalid delimiter '5': letters, digits and '.', '+', '-', '/' occur in values"
	run_split ifscore -d é -m m.if
	assert_usage_error "ifscore: invalid delimiter 'é': only single-byte characters are supported"
}

@test "ifscore: a model that does not exist" {
	run_split ifscore -m nope.if "$SHIPPED"
	[ "$status" -eq 2 ]
	[ -z "$out" ]
	[ "$err" = "ifscore: cannot read model 'nope.if': No such file or directory" ]
}

@test "ifscore: a directory as the model" {
	mkdir dir
	run_split ifscore -m dir "$SHIPPED"
	[ "$status" -eq 2 ]
	[ -z "$out" ]
	[ "$err" = "ifscore: cannot read model 'dir': Is a directory" ]
}

@test "ifscore: a data file as the model" {
	run_split ifscore -m "$SHIPPED" "$SHIPPED"
	[ "$status" -eq 2 ]
	[ -z "$out" ]
	[ "$err" = "ifscore: $SHIPPED:1: not an iftools model (expected 'iforest VERSION' on the first line)" ]
}

@test "ifscore >/dev/full: status 2 and a write error" {
	model="$(shipped_model)"
	run_split bash -c 'ifscore -m "$1" "$2" >/dev/full' _ "$model" "$SHIPPED"
	[ "$status" -eq 2 ]
	[ "$err" = "ifscore: write error on standard output: No space left on device" ]
	run_split bash -c 'ifscore --json -m "$1" "$2" >/dev/full' _ "$model" "$SHIPPED"
	[ "$status" -eq 2 ]
	[ "$err" = "ifscore: write error on standard output: No space left on device" ]
	run_split bash -c 'ifscore -m "$1" --print-model >/dev/full' _ "$model"
	[ "$status" -eq 2 ]
	[ "$err" = "ifscore: write error on standard output: No space left on device" ]
	run_split bash -c 'ifscore --help >/dev/full'
	[ "$status" -eq 2 ]
	[ "$err" = "ifscore: write error: No space left on device" ]
}

@test "ifscore | head -1 ends quietly" {
	model="$(shipped_model)"
	run_split bash -c 'ifscore -m "$1" "$2" | head -n 1' _ "$model" "$SHIPPED"
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	[ "$out" = "$(head -n 1 "$SHIPPED")"$'\tscore\tstatus' ]
	# ifscore itself ends by SIGPIPE, not with an error message.
	run_split bash -c 'ifscore -m "$1" "$2" | head -n 1 >/dev/null; echo "${PIPESTATUS[0]}"' _ "$model" "$SHIPPED"
	[ -z "$err" ]
	[ "$out" -eq 0 ] || [ "$out" -eq 141 ]
}

@test "ifscore --print-model writes the model file as read" {
	model="$(shipped_model)"
	run_split ifscore -m "$model" --print-model
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	printf '%s\n' "$out" | cmp - "$model"
}

@test "ifscore: several input files, each with the same header" {
	model="$(shipped_model)"
	head -n 501 "$SHIPPED" >a.tsv
	{ head -n 1 "$SHIPPED"; tail -n +502 "$SHIPPED"; } >b.tsv
	ifscore -m "$model" "$SHIPPED" >whole.tsv
	run_split ifscore -m "$model" a.tsv b.tsv
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	printf '%s\n' "$out" | cmp - whole.tsv
	# Standard input as '-' among files.
	ifscore -m "$model" a.tsv - <b.tsv | cmp - whole.tsv
}

@test "ifscore: standard input named twice is read once, as cat reads it" {
	model="$(shipped_model)"
	ifscore -m "$model" "$SHIPPED" >whole.tsv
	run_split bash -c 'ifscore -m "$1" - - <"$2"' _ "$model" "$SHIPPED"
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	printf '%s\n' "$out" | cmp - whole.tsv
	head -n 501 "$SHIPPED" >a.tsv
	run_split bash -c 'ifscore -m "$1" - a.tsv - <"$2"' _ "$model" "$SHIPPED"
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	[ "$(printf '%s\n' "$out" | wc -l)" -eq $((1051 + 500)) ]
}

@test "ifscore: a file whose header differs is reported and skipped, the rest scored" {
	model="$(shipped_model)"
	head -n 5 "$SHIPPED" >a.tsv
	awk -F'\t' -v OFS='\t' 'NR <= 3 { print $2, $1, $3, $4 }' "$SHIPPED" >b.tsv
	{ head -n 1 "$SHIPPED"; sed -n 6,8p "$SHIPPED"; } >c.tsv
	run_split ifscore -m "$model" a.tsv b.tsv c.tsv
	[ "$status" -eq 2 ]
	[ "$err" = "ifscore: b.tsv:1: header differs from the first input's, input skipped" ]
	printf '%s\n' "$out" | cmp - <(ifscore -m "$model" "$SHIPPED" | head -n 8)
}

@test "ifscore: error line numbers count per input file" {
	model="$(shipped_model)"
	head -n 3 "$SHIPPED" >a.tsv
	{ head -n 2 "$SHIPPED"; printf '1\tbad\t3\t0\n'; } >b.tsv
	run_split ifscore -m "$model" a.tsv b.tsv
	[ "$status" -eq 2 ]
	[ "$err" = "ifscore: b.tsv:3: field 'humidity': invalid number 'bad'" ]
	[ "$(printf '%s\n' "$out" | wc -l)" -eq 5 ]
}

@test "ifscore: CRLF line ends and a UTF-8 BOM are accepted" {
	model="$(shipped_model)"
	printf '\357\273\277temperature\thumidity\tsound\r\n50\t60\t70\r\n' >in.tsv
	run_split ifscore -m "$model" in.tsv
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	[ "$out" = "temperature	humidity	sound	score	status
50	60	70	0.397770	normal" ]
}

@test "ifscore -j: the output does not depend on the number of threads" {
	model="$(shipped_model)"
	ifscore -j 1 -m "$model" "$SHIPPED" >j1.tsv
	run_split ifscore -j 3 -m "$model" "$SHIPPED"
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	printf '%s\n' "$out" | cmp - j1.tsv
	ifscore --jobs 2 --json -m "$model" "$SHIPPED" | cmp - <(ifscore -j 1 --json -m "$model" "$SHIPPED")
	run_split ifscore -j 0 -m "$model"
	assert_usage_error "ifscore: invalid value '0' for --jobs: must be at least 1"
}

@test "ifscore --print-model with input files is a usage error" {
	model="$(shipped_model)"
	run_split ifscore -m "$model" --print-model "$SHIPPED"
	assert_usage_error "ifscore: --print-model reads no input files"
}

@test "ifscore(1): the EXAMPLES that show output print what they show" {
	check_man_examples ifscore.1
}

@test "ifscore --help: defaults in brackets, never '(default ...)'" {
	run_split ifscore --help
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	[[ "$out" != *"(default"* ]]
	[[ "$out" == *"field delimiter [tab]"* ]]
	[[ "$out" == *"scoring threads [online CPUs]"* ]]
	[[ "$out" == *"[the model's]"* ]]
}

@test "ifscore -j: the reader's own messages keep their place among the rows' messages" {
	model="$(shipped_model)"
	{
		head -n 1 "$SHIPPED"
		for i in $(seq 1 5); do
			tail -n +2 "$SHIPPED"
			printf '1\t2\tx%d\t4\t0\n' "$i"
		done
	} >big.tsv
	printf 'other\theader\n1\t2\n' >differs.tsv
	for j in 1 2 4; do
		ifscore -j "$j" -m "$model" big.tsv missing.tsv differs.tsv big.tsv \
			>"out$j.tsv" 2>"err$j.txt" || [ $? -eq 2 ]
	done
	cmp out1.tsv out2.tsv
	cmp out1.tsv out4.tsv
	cmp err1.txt err2.txt
	cmp err1.txt err4.txt
	[ "$(sed -n 6p err1.txt)" = "ifscore: cannot open 'missing.tsv': No such file or directory" ]
	[ "$(sed -n 7p err1.txt)" = "ifscore: differs.tsv:1: header differs from the first input's, input skipped" ]
	[ "$(wc -l <err1.txt)" -eq 12 ]
}

# --- --adapt and --state ------------------------------------------------

# A model of a plant before its change, and a stream in which the plant
# changes at row 2000 (a tenth of the benchmark's sizes).
drift_model() {
	local model="$BATS_FILE_TMPDIR/drift.if"
	[ -s "$model" ] || sensorgen -n 3000 -a 0 --seed 4 | iftrain -o "$model"
	echo "$model"
}
drift_stream() {
	sensorgen -n 4000 --shift 2000 -k spike --seed 3
}

# Rows flagged from data row $1 on, of the scored file $2.
flagged_from() {
	awk -F '\t' -v from="$1" 'NR > from + 1 && $NF == "anomaly" { n++ } END { print n + 0 }' "$2"
}

# The state file's count of rows scored.
state_rows() {
	sed -n 's/^rows //p' "$1" | head -1
}

# Run ifscore ARGS on a pipe fed the first $1 rows of stream.tsv, which
# then stays open, until it has written them (to run.tsv, err.txt); sets
# $pid, and $feeder, the writer to end afterwards.  A background job
# would ignore SIGINT unless told otherwise.
start_paused() {
	local rows=$1 i
	shift
	mkfifo pipe
	env --default-signal=INT ifscore "$@" <pipe >run.tsv 2>err.txt &
	pid=$!
	{ head -n $((rows + 1)) stream.tsv; exec sleep 30; } >pipe &
	feeder=$!
	# Until the rows are out (run.tsv may not even exist yet on a busy
	# machine: the shell that opens it runs in the background).
	for i in $(seq 1 400); do
		if [ -e run.tsv ] && [ "$(wc -l <run.tsv)" -gt "$rows" ]; then
			break
		fi
		sleep 0.05
	done
}

@test "ifscore --adapt: the forest follows a changed plant, the frozen one flags it all" {
	model="$(drift_model)"
	drift_stream >stream.tsv
	ifscore -m "$model" stream.tsv >frozen.tsv
	run_split ifscore -m "$model" --adapt 512 stream.tsv
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	printf '%s\n' "$out" >adapted.tsv
	[ "$(wc -l <adapted.tsv)" -eq 4001 ]
	[ "$(head -1 adapted.tsv)" = "$(head -1 frozen.tsv)" ]
	# From two windows after the change: the frozen model flags nearly
	# every row, the adapted one few besides the spikes.
	[ "$(flagged_from 3024 frozen.tsv)" -gt 900 ]
	[ "$(flagged_from 3024 adapted.tsv)" -lt 150 ]
	# Before the first replacement (row 5) the scores are the model's.
	cmp <(head -6 adapted.tsv) <(head -6 frozen.tsv)
	! cmp -s adapted.tsv frozen.tsv
}

@test "ifscore --adapt: the same output for every -j, however the input arrives" {
	model="$(drift_model)"
	drift_stream >stream.tsv
	iftrain -c 0.02 -o c.if <(sensorgen -n 3000 -a 0 --seed 4)
	for args in "-m $model --adapt 512" "-m $model --adapt 300 --adapt-all" \
	    "-m c.if --adapt 1000" "-m $model --adapt 512 --json"; do
		ifscore -j 1 $args stream.tsv >j1.out
		for j in 2 4; do
			ifscore -j "$j" $args stream.tsv | cmp - j1.out
		done
		# A line at a time, and through a pipe in bursts.
		ifscore -j 2 -u $args <stream.tsv | cmp - j1.out
		{ head -1001 stream.tsv; sleep 0.2; tail -n +1002 stream.tsv; } |
			ifscore -j 2 $args | cmp - j1.out
	done
}

@test "ifscore --adapt: -c follows the threshold, --adapt-all changes the samples" {
	model="$(drift_model)"
	drift_stream >stream.tsv
	iftrain -c 0.02 -o c.if <(sensorgen -n 3000 -a 0 --seed 4)
	ifscore -m c.if stream.tsv >frozen.tsv
	ifscore -m c.if --adapt 1000 stream.tsv >follow.tsv
	ifscore -m c.if --adapt 1000 -T 0.6 stream.tsv >fixed.tsv
	# The threshold follows: after the change the flagged share returns
	# to about the contamination (2% of 1000 rows).
	[ "$(flagged_from 3000 frozen.tsv)" -gt 900 ]
	[ "$(flagged_from 3000 follow.tsv)" -lt 40 ]
	! cmp -s follow.tsv fixed.tsv
	ifscore -m c.if --adapt 1000 --adapt-all stream.tsv >all.tsv
	! cmp -s all.tsv follow.tsv
}

@test "ifscore --state: a stream split in runs gives the output of one run" {
	model="$(drift_model)"
	drift_stream >stream.tsv
	ifscore -m "$model" --adapt 512 stream.tsv >whole.tsv
	head -1 stream.tsv >header.tsv
	{ cat header.tsv; sed -n 2,1501p stream.tsv; } >part1.tsv
	{ cat header.tsv; sed -n 1502,1502p stream.tsv; } >part2.tsv
	{ cat header.tsv; sed -n '1503,$p' stream.tsv; } >part3.tsv
	run_split ifscore -m "$model" --adapt 512 --state s.state part1.tsv
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	printf '%s\n' "$out" >runs.tsv
	[ "$(state_rows s.state)" -eq 1500 ]
	ifscore -j 1 -m "$model" --adapt 512 --state s.state part2.tsv | tail -n +2 >>runs.tsv
	# A run with no rows leaves the state as it was.
	cp s.state before.state
	ifscore -m "$model" --adapt 512 --state s.state header.tsv | cmp - <(head -1 whole.tsv)
	cmp s.state before.state
	ifscore -j 4 -m "$model" --adapt 512 --state s.state --checkpoint 700 <part3.tsv | tail -n +2 >>runs.tsv
	cmp runs.tsv whole.tsv
	[ "$(state_rows s.state)" -eq 4000 ]
	[ "$(ls | grep -c '^s\.state')" -eq 1 ] # no temporary file left
}

@test "ifscore --state: SIGTERM, SIGINT, SIGHUP write the rows read, then the state, and end by the signal" {
	model="$(drift_model)"
	drift_stream >stream.tsv
	ifscore -m "$model" --adapt 512 stream.tsv >whole.tsv
	for sig in TERM INT HUP; do
		rm -f s.state
		start_paused 1000 -j 2 -m "$model" --adapt 512 --state s.state
		kill -"$sig" "$pid"
		status=0
		wait "$pid" || status=$?
		kill "$feeder" 2>/dev/null || true
		rm -f pipe
		[ "$status" -eq $((128 + $(kill -l "$sig"))) ] || { echo "SIG$sig: status $status"; cat err.txt; wc -l run.tsv; false; }
		[ ! -s err.txt ]
		cmp run.tsv <(head -1001 whole.tsv)
		[ "$(state_rows s.state)" -eq 1000 ]
		# The rest, resumed from the state, is what one run wrote.
		{ head -1 stream.tsv; tail -n +1002 stream.tsv; } |
			ifscore -m "$model" --adapt 512 --state s.state | tail -n +2 |
			cmp - <(tail -n +1002 whole.tsv)
	done
}

@test "ifscore --checkpoint: a run killed with SIGKILL resumes from its last checkpoint" {
	model="$(drift_model)"
	drift_stream >stream.tsv
	ifscore -m "$model" --adapt 512 stream.tsv >whole.tsv
	start_paused 1500 -j 2 -m "$model" --adapt 512 --state s.state --checkpoint 1000
	kill -KILL "$pid"
	wait "$pid" || true
	kill "$feeder"
	# The checkpoint at row 1000: resuming from row 1001 scores exactly as
	# the one run did (the rows 1001-1500 a second time, the same lines).
	[ "$(state_rows s.state)" -eq 1000 ]
	{ head -1 stream.tsv; tail -n +1002 stream.tsv; } |
		ifscore -m "$model" --adapt 512 --state s.state | tail -n +2 |
		cmp - <(tail -n +1002 whole.tsv)
}

@test "ifscore --checkpoint: SIGKILL while a checkpoint is written leaves the previous state readable" {
	model="$(drift_model)"
	header="$(drift_stream | head -1)"
	# A checkpoint every row, so that most kills land in one.
	for delay in 0.3 0.5 0.7 0.9 1.1; do
		mkfifo pipe
		ifscore -m "$model" --adapt 512 --state s.state --checkpoint 1 \
			<pipe >/dev/null &
		pid=$!
		sensorgen -r 2000 -n 0 --seed 9 >pipe &
		# The state is first written at the start (slow under valgrind).
		i=0
		while [ ! -e s.state ] && [ "$i" -lt 300 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		sleep "$delay"
		kill -KILL "$pid"
		wait "$pid" || true
		wait || true # sensorgen ends on its broken pipe
		rm pipe
		rows=$(state_rows s.state)
		[ -n "$rows" ]
		run_split ifscore -m "$model" --adapt 512 --state s.state <<<"$header"
		[ "$status" -eq 0 ]
		[ -z "$err" ]
		[ "$(state_rows s.state)" -eq "$rows" ]
		rm -f s.state.*
	done
}

@test "ifscore --adapt with --json, and with --strict: the state holds the rows written" {
	model="$(drift_model)"
	drift_stream >stream.tsv
	run_split ifscore -m "$model" --adapt 512 --json stream.tsv
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	[ "$(printf '%s\n' "$out" | wc -l)" -eq 4000 ]
	{ sed -n 1,1001p stream.tsv; printf '2026-01-01T09:00:00Z\t5x\t1\t1\t0\tnone\n'; tail -n +1002 stream.tsv; } >bad.tsv
	run_split ifscore -m "$model" --adapt 512 --strict --state s.state bad.tsv
	[ "$status" -eq 2 ]
	[ "$err" = "ifscore: bad.tsv:1002: field 'temperature': invalid number '5x'" ]
	# Through the bad row, written as an error, and nothing after it.
	[ "$(printf '%s\n' "$out" | wc -l)" -eq 1002 ]
	cmp <(printf '%s\n' "$out" | head -1001) <(ifscore -m "$model" --adapt 512 stream.tsv | head -1001)
	[ "$(state_rows s.state)" -eq 1000 ]
}

@test "ifscore --adapt, --state: bad options, files and states, each with its message" {
	model="$(drift_model)"
	drift_stream >stream.tsv
	run_split ifscore -m "$model" --state s.state stream.tsv
	assert_usage_error "ifscore: --state needs --adapt"
	run_split ifscore -m "$model" --adapt-all stream.tsv
	assert_usage_error "ifscore: --adapt-all needs --adapt"
	run_split ifscore -m "$model" --adapt 512 --checkpoint 10 stream.tsv
	assert_usage_error "ifscore: --checkpoint needs --state"
	run_split ifscore -m "$model" --adapt 512 --state s.state --checkpoint 0 stream.tsv
	assert_usage_error "ifscore: invalid value '0' for --checkpoint: must be at least 1"
	run_split ifscore -m "$model" --adapt x stream.tsv
	assert_usage_error "ifscore: invalid value 'x' for --adapt: not a whole number"
	run_split ifscore -m "$model" --adapt 100 stream.tsv
	assert_usage_error "ifscore: invalid value '100' for --adapt: the window must hold at least the model's sample size (256)"
	run_split ifscore -m "$model" --adapt 512 --print-model
	assert_usage_error "ifscore: --print-model cannot be combined with --adapt"
	run_split ifscore -m "$model" --adapt 512 --explain stream.tsv
	assert_usage_error "ifscore: --explain cannot be combined with --adapt"

	ifscore -m "$model" --adapt 512 --state s.state stream.tsv >/dev/null
	iftrain -o other.if <(sensorgen -n 3000 -a 0 --seed 5)
	cp s.state keep.state
	while IFS='|' read -r args message; do
		run_split ifscore $args <stream.tsv
		[ "$status" -eq 2 ] || { echo "status $status for $args"; false; }
		[ -z "$out" ]
		[ "$err" = "ifscore: $message" ] || { echo "for $args: $err"; false; }
		cmp s.state keep.state # never replaced
	done <<EOF2
-m other.if --adapt 512 --state s.state|s.state:2: the state of another model, not of 'other.if'
-m $model --adapt 1024 --state s.state|s.state:3: the state of --adapt 512, not 1024
-m $model --adapt 512 --adapt-all --state s.state|s.state:4: the state of a run without --adapt-all
-m $model --adapt 512 --state .|cannot read state '.': Is a directory
-m $model --adapt 512 --state nodir/s.state|cannot write state 'nodir/s.state': No such file or directory
EOF2
	# Corrupt states, named with the line.
	printf 'garbage\n' >bad1.state
	head -c 300 s.state >bad2.state
	sed 's/^head .*/head 4096/' s.state >bad3.state
	sed '12s/^[^ ]*/x/' s.state >bad4.state
	# The forest's first node (the line after 'tree 0'), on a feature the
	# model does not have.
	node=$(( $(grep -n '^tree 0 ' s.state | cut -d: -f1) + 1 ))
	sed "${node}s/^0 split [0-9]* /0 split 7 /" s.state >bad5.state
	: >bad6.state
	while IFS='|' read -r file message; do
		run_split ifscore -m "$model" --adapt 512 --state "$file" <stream.tsv
		[ "$status" -eq 2 ]
		[ -z "$out" ]
		[ "$err" = "ifscore: $message" ] || { echo "for $file: $err"; false; }
	done <<EOF2
bad1.state|bad1.state:1: not an ifscore state file (no 'ifstate 1' line)
bad2.state|bad2.state:13: truncated state: expected a window row
bad3.state|bad3.state:9: invalid head '4096'
bad4.state|bad4.state:12: invalid score
bad5.state|bad5.state:$node: node 0: feature 7 out of range (0..2)
bad6.state|bad6.state:1: truncated state: expected 'ifstate 1'
EOF2
}

@test "ifscore --help: --adapt, --adapt-all, --state, --checkpoint, as in the synopsis" {
	run_split ifscore --help
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	grep -qx -- "               \[--adapt W \[--adapt-all\] \[--state FILE \[--checkpoint N\]\]\]" <<<"$out"
	for opt in "--adapt W" --adapt-all "--state FILE" "--checkpoint N"; do
		grep -q -- "      $opt  " <<<"$out"
	done
}

@test "ifscore --adapt with a model's context: the series carry on over -j and over runs" {
	sensorgen -n 3000 -a 0 -D 3 --seed 4 | iftrain -w 10 -g device -o ctx.if
	sensorgen -n 4000 -D 3 --shift 2000 -k spike --seed 3 >stream.tsv
	run_split ifscore -j 1 -m ctx.if --adapt 512 stream.tsv
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	printf '%s\n' "$out" >j1.tsv
	ifscore -m ctx.if stream.tsv >frozen.tsv
	! cmp -s j1.tsv frozen.tsv
	for j in 2 4; do
		ifscore -j "$j" -m ctx.if --adapt 512 stream.tsv | cmp - j1.tsv
	done
	# Split in two runs: each machine's windows are in the state.
	head -n 2001 stream.tsv >part1.tsv
	{ head -n 1 stream.tsv; tail -n +2002 stream.tsv; } >part2.tsv
	ifscore -m ctx.if --adapt 512 --state s.state part1.tsv >runs.tsv
	[ "$(sed -n 's/^context //p' s.state | head -1)" = 3 ]
	ifscore -j 2 -m ctx.if --adapt 512 --state s.state --checkpoint 300 part2.tsv |
		tail -n +2 >>runs.tsv
	cmp runs.tsv j1.tsv
	# A series that is not valid, or one too many for --max-groups.
	line=$(grep -n '^context ' s.state | head -1 | cut -d: -f1)
	sed "$((line + 1))s/ [^ ]*\$/ x/" s.state >bad.state
	run_split ifscore -m ctx.if --adapt 512 --state bad.state part2.tsv
	[ "$status" -eq 2 ]
	[ "$err" = "ifscore: bad.state:$((line + 1)): invalid context series" ]
	run_split ifscore -m ctx.if --adapt 512 --max-groups 2 --state s.state part2.tsv
	[ "$status" -eq 2 ]
	[ "$err" = "ifscore: s.state:$((line + 3)): more context series than --max-groups" ]
}

# --- headerless input: --columns ------------------------------------------

@test "ifscore --columns: headerless in, headerless out, the rows of a run with a header" {
	model="$(shipped_model)"
	ifscore -m "$model" "$SHIPPED" | tail -n +2 >want
	run_split bash -c 'tail -n +2 "$1" | ifscore -m "$2" --columns temperature,humidity,sound,label' \
		_ "$SHIPPED" "$model"
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	[ "$out" = "$(cat want)" ]
}

@test "ifscore --columns: pieces split at any line boundary score as the whole" {
	model="$(shipped_model)"
	n=3000 # a run for each piece: under valgrind (IFTOOLS_SLOW) fewer
	[ -z "${IFTOOLS_SLOW:-}" ] || n=300
	sensorgen -n "$n" -k burst,spike,drift | tail -n +2 >rows.tsv
	cols=timestamp,temperature,humidity,sound,label,kind
	ifscore -m "$model" --columns "$cols" rows.tsv >want
	[ "$(wc -l <want)" -eq "$n" ]
	# Cut at line boundaries of several sizes, one of them a single line.
	for lines in 1 7 $((n / 3)) $((n - 1)); do
		rm -f piece.*
		split -l "$lines" rows.tsv piece.
		for p in piece.*; do
			ifscore -m "$model" --columns "$cols" "$p"
		done >got
		cmp want got
	done
}

@test "ifscore --columns: an empty input writes nothing and exits 0" {
	model="$(shipped_model)"
	run_split ifscore -m "$model" --columns temperature,humidity,sound </dev/null
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	[ -z "$out" ]
}

@test "ifscore --columns with --json and -d ," {
	model="$(shipped_model)"
	run_split bash -c 'printf "50,60,70\n" | ifscore -m "$1" -d , --columns temperature,humidity,sound' \
		_ "$model"
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	[[ "$out" == 50,60,70,0.*,* ]]
	run_split bash -c 'printf "50\t60\t70\n" | ifscore -m "$1" --json --columns temperature,humidity,sound' \
		_ "$model"
	[ "$status" -eq 0 ]
	[[ "$out" == '{"temperature":50,"humidity":60,"sound":70,"score":'* ]]
}

@test "ifscore --columns: a missing feature, a bad list" {
	model="$(shipped_model)"
	run_split ifscore -m "$model" --columns temperature,sound </dev/null
	[ "$status" -eq 2 ]
	[ "$err" = "ifscore: missing feature column 'humidity' in --columns (the model needs: temperature, humidity, sound)" ]
	run_split ifscore -m "$model" --columns a,,b </dev/null
	assert_usage_error "ifscore: invalid value 'a,,b' for --columns: an empty column name"
	run_split ifscore -m "$model" --columns a,b,a </dev/null
	assert_usage_error "ifscore: invalid value 'a,b,a' for --columns: column 'a' named twice"
}

@test "ifscore --columns: a short row is an error row, numbered from line 1" {
	model="$(shipped_model)"
	run_split bash -c 'printf "50\t60\t70\n50\t60\n" | ifscore -m "$1" --columns temperature,humidity,sound' \
		_ "$model"
	[ "$status" -eq 2 ]
	[ "$err" = "ifscore: -:2: expected 3 fields, found 2" ]
	[ "${out##*$'\n'}" = $'50\t60\t\t\terror' ]
}

# --- --bad-rows-ok --------------------------------------------------------

@test "ifscore --bad-rows-ok: bad rows reported and marked, status 0" {
	model="$(shipped_model)"
	mixed_input >in.tsv
	run_split ifscore -m "$model" in.tsv
	[ "$status" -eq 2 ]
	want_out="$out" want_err="$err"
	run_split ifscore -m "$model" --bad-rows-ok in.tsv
	[ "$status" -eq 0 ]
	[ "$out" = "$want_out" ]
	[ "$err" = "$want_err" ]
	[ "$(grep -c 'error$' <<<"$out")" -eq 2 ]
}

@test "ifscore --bad-rows-ok: an unreadable input still fails" {
	model="$(shipped_model)"
	run_split ifscore -m "$model" --bad-rows-ok nosuch.tsv
	[ "$status" -eq 2 ]
	[ "$err" = "ifscore: cannot open 'nosuch.tsv': No such file or directory" ]
	printf 'temperature\thumidity\tsound\n1\t2\t3\n' >a.tsv
	printf 'temperature\tsound\n1\t3\n' >b.tsv
	run_split ifscore -m "$model" --bad-rows-ok a.tsv b.tsv
	[ "$status" -eq 2 ]
}

@test "ifscore: --strict and --bad-rows-ok cannot be combined" {
	run_split ifscore -m x.if --strict --bad-rows-ok
	assert_usage_error "ifscore: --strict and --bad-rows-ok cannot be combined"
}
