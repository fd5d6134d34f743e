#!/usr/bin/env bats
# A table of bad inputs: one case per test, each with its exact status and
# the whole of its standard error, across the four tools.  Every case reads
# as
#
#	check CMD...                  # a pipe goes inside bash -c '…'
#	expect STATUS 'exact stderr'
#
# The decided input conventions (iftrain(1), INPUT), pinned here:
# - a UTF-8 byte-order mark before the header and a CR before a newline
#   are dropped, so CRLF files read as LF files;
# - blank lines are skipped (and still counted in line numbers);
# - a line may be of any length;
# - a line holding a NUL byte is reported and skipped, and the status is 2;
# - a header's bytes are names, UTF-8 or not;
# - numbers are strict; empty, NA, N/A and NaN (any case) are missing.
#
# The model loader's cases (an empty file, a wrong magic, a newer version,
# an unknown key, a corrupt number, a node out of range, a cycle, and the
# model cut short at every byte offset) are in model.bats, not repeated here.

load test_helper

SHIPPED="$DATA/sensor_data.tsv"

# check CMD...: run CMD; $status, $out (stdout) and $err (stderr).
check() {
	run_split "$@"
}

# expect STATUS 'STDERR': the status and the whole of stderr, exactly.
expect() {
	printf 'status=%s\nerr=%s\nout=%s\n' "$status" "$err" "${out:0:600}"
	[ "$status" -eq "$1" ]
	[ "$err" = "$2" ]
}

# expect_usage TOOL 'MESSAGE': a bad option: status 2, nothing on stdout,
# the message and the hint.
expect_usage() {
	expect 2 "$1: $2
Try '$1 --help' for more information."
	[ -z "$out" ]
}

# The three sensor columns with ROWS (each "t h s"), tab-separated.
sensor_rows() {
	printf 'temperature\thumidity\tsound\n'
	local r
	for r in "$@"; do
		printf '%s\n' "$r" | tr ' ' '\t'
	done
}

# A line length for the long-line cases: 10 MB, 2 MB under valgrind.
long_size() {
	if [ -n "${IFTOOLS_SLOW:-}" ]; then echo 2097152; else echo 10485760; fi
}

# --- empty input, no rows, no header -------------------------------------------

@test "iftrain: an empty file" {
	: >empty.tsv
	check iftrain empty.tsv
	expect 2 "iftrain: empty.tsv: empty input, expected a header line"
	[ -z "$out" ]
}

@test "ifstat: an input of blank lines only (CRLF) is empty" {
	printf '\n\r\n\n' >blank.tsv
	check ifstat blank.tsv
	expect 2 "ifstat: blank.tsv: empty input, expected a header line"
	[ -z "$out" ]
}

@test "iftrain: a BOM and nothing else is an empty input" {
	printf '\357\273\277' >bom.tsv
	check iftrain bom.tsv
	expect 2 "iftrain: bom.tsv: empty input, expected a header line"
	[ -z "$out" ]
}

@test "iftrain: a header and no rows (blank lines after it are no rows)" {
	sensor_rows >hdr.tsv
	printf '\n\r\n' >>hdr.tsv
	check iftrain hdr.tsv
	expect 2 "iftrain: hdr.tsv: no data rows after the header"
	[ -z "$out" ]
}

@test "ifscore: a header and no rows on stdin writes the output header" {
	model="$(shipped_model)"
	check bash -c 'printf "temperature\thumidity\tsound\n" | ifscore -m "$1"' _ "$model"
	expect 0 ""
	[ "$out" = "temperature	humidity	sound	score	status" ]
}

@test "ifscore: no header: the first row is taken as names, no feature is found" {
	model="$(shipped_model)"
	printf '50\t60\t70\n51\t61\t71\n' >nohdr.tsv
	check ifscore -m "$model" nohdr.tsv
	expect 2 "ifscore: nohdr.tsv:1: missing feature column 'temperature' (the model needs: temperature, humidity, sound)"
	[ -z "$out" ]
}

@test "ifstat: no header: no 'score' column" {
	printf '50\t60\t70\t0.5\tnormal\n' >nohdr.tsv
	check ifstat nohdr.tsv
	expect 2 "ifstat: nohdr.tsv:1: no column 'score'"
	[ -z "$out" ]
}

@test "iftrain: no header: the first line names the features (it cannot be told from data)" {
	printf '50\t60\t70\n51\t61\t71\n52\t60\t75\n' >nohdr.tsv
	check iftrain nohdr.tsv
	expect 0 "iftrain: features (guessed from the first 2 rows; -f to choose): 50, 60, 70"
	[ "$(printf '%s\n' "$out" | grep '^feature')" = "features 3
feature 50
feature 60
feature 70" ]
	[ "$(printf '%s\n' "$out" | grep '^rows ')" = "rows 2" ]
}

# --- column names ----------------------------------------------------------------

@test "iftrain: a duplicate column name" {
	printf 'a\tb\ta\n1\t2\t3\n' >dup.tsv
	check iftrain dup.tsv
	expect 2 "iftrain: dup.tsv:1: duplicate column name 'a'"
	[ -z "$out" ]
}

@test "ifscore: a feature column named twice" {
	model="$(shipped_model)"
	printf 'temperature\thumidity\tsound\thumidity\n50\t60\t70\t61\n' >dup.tsv
	check ifscore -m "$model" dup.tsv
	expect 2 "ifscore: dup.tsv:1: duplicate column name 'humidity'"
	[ -z "$out" ]
}

@test "ifstat: 'score' named twice, on standard input" {
	check bash -c 'printf "score\tstatus\tscore\n0.5\tnormal\t0.6\n" | ifstat'
	expect 2 "ifstat: -:1: duplicate column name 'score'"
	[ -z "$out" ]
}

@test "iftrain: two empty column names (trailing tabs) are duplicates" {
	printf 'a\t\t\n1\t2\t3\n' >dup.tsv
	check iftrain dup.tsv
	expect 2 "iftrain: dup.tsv:1: duplicate column name ''"
	[ -z "$out" ]
}

@test "iftrain: a duplicate among 100,000 column names (20,000 under valgrind)" {
	n=100000
	[ -z "${IFTOOLS_SLOW:-}" ] || n=20000
	awk -v n="$n" 'BEGIN {
		for (c = 1; c <= n; c++) printf "%sc%d", (c > 1 ? "\t" : ""), (c == n ? 7 : c)
		print ""
		for (c = 1; c <= n; c++) printf "%s1", (c > 1 ? "\t" : "")
		print ""
	}' >wide.tsv
	check iftrain wide.tsv
	expect 2 "iftrain: wide.tsv:1: duplicate column name 'c7'"
	[ -z "$out" ]
}

@test "ifscore: CR-only line endings are reported, not read as one header" {
	model="$(shipped_model)"
	printf 'temperature\thumidity\tsound\r50\t60\t70\r51\t61\t71\r' >mac.tsv
	check ifscore -m "$model" mac.tsv
	expect 2 "ifscore: mac.tsv:1: carriage return inside the header line (CR-only line endings?), input skipped"
	[ -z "$out" ]
	check iftrain mac.tsv
	expect 2 "iftrain: mac.tsv:1: carriage return inside the header line (CR-only line endings?), input skipped"
}

@test "ifscore: control characters in a bad value or a name are escaped" {
	model="$(shipped_model)"
	printf 'temperature\thumidity\tsound\n5\033[31m\t6\r0\t7\001\n' >ctl.tsv
	check ifscore -m "$model" ctl.tsv
	expect 2 "ifscore: ctl.tsv:2: field 'temperature': invalid number '5\\x1b[31m'"
	printf 'temperature\thumidity\tsound\n50\t6\r0\t7\001\n' >ctl.tsv
	check ifscore -m "$model" ctl.tsv
	expect 2 "ifscore: ctl.tsv:2: field 'humidity': invalid number '6\\r0'"
	printf 'temp\033erature\tx\n1\t2\n' >name.tsv
	check ifscore -m "$model" name.tsv
	expect 2 "ifscore: name.tsv:1: missing feature column 'temperature' (the model needs: temperature, humidity, sound)"
	check iftrain -f "x,$(printf 'bad\033')" name.tsv
	expect 2 "iftrain: name.tsv: no column 'bad\\x1b' for --features"
}

@test "ifscore: a missing feature column names what the model needs" {
	model="$(shipped_model)"
	printf 'humidity\ttemperature\tlabel\n60\t50\t0\n' >miss.tsv
	check ifscore -m "$model" miss.tsv
	expect 2 "ifscore: miss.tsv:1: missing feature column 'sound' (the model needs: temperature, humidity, sound)"
	[ -z "$out" ]
}

# --- field counts ------------------------------------------------------------------

@test "iftrain: too few fields" {
	sensor_rows "50 60 70" "51 61" "52 62 72" >few.tsv
	check iftrain -f temperature,humidity,sound few.tsv
	expect 2 "iftrain: few.tsv:3: expected 3 fields, found 2
iftrain: no model written: the input has errors"
	[ -z "$out" ]
}

@test "ifscore: too many fields: the row is written as 'error', the rest scored" {
	model="$(shipped_model)"
	sensor_rows "50 60 70 80" "50 60 70" >many.tsv
	check ifscore -m "$model" many.tsv
	expect 2 "ifscore: many.tsv:2: expected 3 fields, found 4"
	[ "$out" = "temperature	humidity	sound	score	status
50	60	70	80		error
50	60	70	0.397770	normal" ]
}

@test "ifscore: too few fields: the row is padded, its status in its column" {
	model="$(shipped_model)"
	sensor_rows "50 60" >few.tsv
	check ifscore -m "$model" few.tsv
	expect 2 "ifscore: few.tsv:2: expected 3 fields, found 2"
	[ "$out" = "temperature	humidity	sound	score	status
50	60			error" ]
}

@test "ifstat: too many fields" {
	printf 'score\tstatus\n0.5\tnormal\n0.9\tanomaly\textra\n' >in.tsv
	check ifstat in.tsv
	expect 2 "ifstat: in.tsv:3: expected 2 fields, found 3"
	[ "$(printf '%s\n' "$out" | sed -n 's/^rows\t//p')" = 1 ]
}

# --- numbers -------------------------------------------------------------------------

@test "iftrain: '3.4.5' in a feature" {
	sensor_rows "50 60 70" "50 3.4.5 70" >bad.tsv
	check iftrain -f temperature,humidity,sound bad.tsv
	expect 2 "iftrain: bad.tsv:3: field 'humidity': invalid number '3.4.5'
iftrain: no model written: the input has errors"
	[ -z "$out" ]
}

@test "ifscore: '12abc' in a feature" {
	model="$(shipped_model)"
	sensor_rows "12abc 60 70" >bad.tsv
	check ifscore -m "$model" bad.tsv
	expect 2 "ifscore: bad.tsv:2: field 'temperature': invalid number '12abc'"
	[ "$out" = "temperature	humidity	sound	score	status
12abc	60	70		error" ]
}

@test "iftrain: '0x1p3' (a C hex float) in a feature" {
	sensor_rows "50 60 70" "50 60 0x1p3" >bad.tsv
	check iftrain -f temperature,humidity,sound bad.tsv
	expect 2 "iftrain: bad.tsv:3: field 'sound': invalid number '0x1p3'
iftrain: no model written: the input has errors"
	[ -z "$out" ]
}

@test "ifscore: '1e999' in a feature is out of range" {
	model="$(shipped_model)"
	sensor_rows "50 1e999 70" >bad.tsv
	check ifscore -m "$model" bad.tsv
	expect 2 "ifscore: bad.tsv:2: field 'humidity': number out of range '1e999'"
	[ "$out" = "temperature	humidity	sound	score	status
50	1e999	70		error" ]
}

@test "iftrain: 'inf' in a feature" {
	sensor_rows "50 60 70" "inf 60 70" >bad.tsv
	check iftrain -f temperature,humidity,sound bad.tsv
	expect 2 "iftrain: bad.tsv:3: field 'temperature': invalid number 'inf'
iftrain: no model written: the input has errors"
	[ -z "$out" ]
}

@test "ifscore: '-nan' in a feature (NaN is missing, -nan is not)" {
	model="$(shipped_model)"
	sensor_rows "50 60 -nan" "50 60 NaN" >bad.tsv
	check ifscore -m "$model" bad.tsv
	expect 2 "ifscore: bad.tsv:2: field 'sound': invalid number '-nan'"
	[ "$(printf '%s\n' "$out" | cut -f 5)" = "status
error
normal" ]
}

@test "ifstat: '1e999' as a score" {
	printf 'score\tstatus\n0.5\tnormal\n1e999\tanomaly\n' >bad.tsv
	check ifstat bad.tsv
	expect 2 "ifstat: bad.tsv:3: field 'score': number out of range '1e999'"
	[ "$(printf '%s\n' "$out" | sed -n 's/^rows\t//p')" = 1 ]
}

@test "ifstat: '1e59' as a score, with --histogram" {
	printf 'score\tstatus\n0.5\tnormal\n1e59\tanomaly\n' >bad.tsv
	check ifstat --histogram bad.tsv
	expect 2 "ifstat: bad.tsv:3: field 'score': invalid score '1e59' (expected 0 to 1)"
	[ "$(printf '%s\n' "$out" | sed -n 's/^rows\t//p')" = 1 ]
}

@test "ifstat: a negative score, in JSON" {
	printf 'score\tstatus\n-0.5\tnormal\n' >bad.tsv
	check ifstat --json bad.tsv
	expect 2 "ifstat: bad.tsv:2: field 'score': invalid score '-0.5' (expected 0 to 1)"
	[[ "$out" == '{"rows":0,'* ]]
}

@test "ifstat: an error row with a bad label is not read past its status" {
	printf 'label\tscore\tstatus\nx\t\terror\n' >in.tsv
	check ifstat in.tsv
	expect 0 ""
	[ "$(printf '%s\n' "$out" | sed -n 's/^errors\t//p')" = 1 ]
}

# --- long lines, NUL bytes, encodings -----------------------------------------------

@test "ifscore: an incomplete last line is reported and written as 'error', for every -j" {
	model="$(shipped_model)"
	printf 'temperature\thumidity\tsound\n50\t60\t70\n51\t61\t7' >cut.tsv
	for j in 1 2; do
		check ifscore -j "$j" -m "$model" cut.tsv
		expect 2 "ifscore: cut.tsv:3: incomplete last line (no newline at the end)"
		[ "$out" = "temperature	humidity	sound	score	status
50	60	70	0.397770	normal
51	61	7		error" ]
	done
	check ifscore --json -m "$model" cut.tsv
	expect 2 "ifscore: cut.tsv:3: incomplete last line (no newline at the end)"
	[ "$(printf '%s\n' "$out" | tail -n 1)" = '{"temperature":51,"humidity":61,"sound":7,"score":null,"anomaly_score":null,"status":"error"}' ]
	# A header alone, cut short.
	printf 'temperature\thumidity\tsound' >hdr.tsv
	check ifscore -m "$model" hdr.tsv
	expect 2 "ifscore: hdr.tsv:1: incomplete last line (no newline at the end)"
	# With --strict, the first bad row ends the output.
	check ifscore --strict -m "$model" cut.tsv
	expect 2 "ifscore: cut.tsv:3: incomplete last line (no newline at the end)"
}

@test "ifscore: a line over 64 MiB is skipped and reported, in a file or a pipe" {
	model="$(shipped_model)"
	{
		printf 'temperature\thumidity\tsound\tnote\n50\t60\t70\t'
		head -c 67108864 /dev/zero | tr '\0' x
		printf '\n51\t61\t71\tshort\n'
	} >huge.tsv
	check ifscore -m "$model" huge.tsv
	expect 2 "ifscore: huge.tsv:2: line longer than 67108864 bytes, line skipped"
	[ "$out" = "temperature	humidity	sound	note	score	status
51	61	71	short	0.401093	normal" ]
	check bash -c 'cat "$2" | ifscore -m "$1"' _ "$model" huge.tsv
	expect 2 "ifscore: -:2: line longer than 67108864 bytes, line skipped"
	# 64 MiB and its newline is the longest line read.
	{
		printf 'temperature\thumidity\tsound\tnote\n50\t60\t70\t'
		head -c $((67108864 - 9)) /dev/zero | tr '\0' x
		printf '\n'
	} >max.tsv
	check bash -c 'cat "$2" | ifscore -m "$1" | cut -c 1-9,67108860-' _ "$model" max.tsv
	expect 0 ""
	[ "$(printf '%s\n' "$out" | tail -n 1)" = "50	60	70	xxxxx	0.397770	normal" ]
}

@test "iftrain: a header over 64 MiB skips the input" {
	{ head -c 67108865 /dev/zero | tr '\0' x; printf '\n1\n'; } >huge.tsv
	check iftrain huge.tsv
	expect 2 "iftrain: huge.tsv:1: header line longer than 67108864 bytes, input skipped"
}

@test "ifscore: a 10 MB line passes through whole (2 MB under valgrind)" {
	model="$(shipped_model)"
	n="$(long_size)"
	{
		printf 'temperature\thumidity\tsound\tnote\n50\t60\t70\t'
		head -c "$n" /dev/zero | tr '\0' x
		printf '\n51\t61\t71\tshort\n'
	} >long.tsv
	ifscore -m "$model" long.tsv >scored.tsv 2>err.txt && rc=0 || rc=$?
	[ "$rc" -eq 0 ]
	[ ! -s err.txt ]
	[ "$(wc -l <scored.tsv)" -eq 3 ]
	# The long line comes out as it went in, plus its score and status.
	[ "$(sed -n 2p scored.tsv | wc -c)" -eq $((9 + n + 17)) ]
	[ "$(sed -n 2p scored.tsv | cut -f 1-3,5-)" = "50	60	70	0.397770	normal" ]
	[ "$(sed -n 3p scored.tsv)" = "51	61	71	short	0.401093	normal" ]
}

@test "iftrain: a 10 MB line in a text column trains (2 MB under valgrind)" {
	n="$(long_size)"
	{
		printf 'temperature\thumidity\tsound\tnote\n50\t60\t70\t'
		head -c "$n" /dev/zero | tr '\0' x
		printf '\n51\t61\t71\tshort\n52\t59\t75\tshort\n'
	} >long.tsv
	check iftrain -f temperature,humidity,sound -v long.tsv
	expect 0 "iftrain: rows read: 3, used: 3, skipped for no feature value: 0
iftrain: features: temperature, humidity, sound
iftrain: trees: 100, sample size: 3, threshold: 0.500000 (contamination auto)
iftrain: Normal: 3, Anomalies: 0, Anomaly Ratio: 0.00%"
}

@test "ifscore: a 10 MB number is out of range, shown cut at 40 characters" {
	model="$(shipped_model)"
	n="$(long_size)"
	{
		printf 'temperature\thumidity\tsound\n50\t60\t'
		head -c "$n" /dev/zero | tr '\0' 9
		printf '\n'
	} >long.tsv
	ifscore -m "$model" long.tsv >scored.tsv 2>err.txt && rc=0 || rc=$?
	[ "$rc" -eq 2 ]
	[ "$(cat err.txt)" = "ifscore: long.tsv:2: field 'sound': number out of range '9999999999999999999999999999999999999999'..." ]
	[ "$(sed -n 2p scored.tsv | cut -f 1,2,4,5)" = "50	60		error" ]
}

@test "ifscore: a NUL byte: the line is skipped and reported, the rest scored" {
	model="$(shipped_model)"
	printf 'temperature\thumidity\tsound\n50\t60\t70\n5\0000\t60\t70\n51\t61\t71\n' >nul.tsv
	check ifscore -m "$model" nul.tsv
	expect 2 "ifscore: nul.tsv:3: NUL byte in line, line skipped"
	[ "$out" = "temperature	humidity	sound	score	status
50	60	70	0.397770	normal
51	61	71	0.401093	normal" ]
}

@test "iftrain: a NUL byte: no model" {
	printf 'temperature\thumidity\tsound\n50\t60\t70\n51\t61\t71\0\n' >nul.tsv
	check iftrain -f temperature,humidity,sound nul.tsv
	expect 2 "iftrain: nul.tsv:3: NUL byte in line, line skipped
iftrain: no model written: the input has errors"
	[ -z "$out" ]
}

@test "ifstat: a NUL byte: reported, and the report counts the other rows" {
	printf 'score\tstatus\n0.5\tnormal\n0.\0009\tanomaly\n0.7\tanomaly\n' >nul.tsv
	check ifstat nul.tsv
	expect 2 "ifstat: nul.tsv:3: NUL byte in line, line skipped"
	[ "$(printf '%s\n' "$out" | sed -n 's/^rows\t//p')" = 2 ]
	[ "$(printf '%s\n' "$out" | sed -n 's/^anomalies\t//p')" = 1 ]
}

@test "ifscore: a NUL byte in the header is reported on line 1, status 2, no output" {
	model="$(shipped_model)"
	printf 'temperature\thum\000idity\tsound\n50\t60\t70\n' >nul.tsv
	check ifscore -m "$model" nul.tsv
	echo "status=$status err=$err"
	[ "$status" -eq 2 ]
	[ -z "$out" ]
	[ "$err" = "ifscore: nul.tsv:1: NUL byte in the header line, input skipped" ]
}

@test "iftrain and ifscore: invalid UTF-8 in the header is just bytes" {
	printf 'temp\377\376erature\thumidity\tsound\n50\t60\t70\n52\t60\t71\n49\t58\t69\n' >latin.tsv
	check iftrain -o latin.if latin.tsv
	expect 0 "$(printf 'iftrain: features (guessed from the first 3 rows; -f to choose): temp\377\376erature, humidity, sound')"
	[ "$(sed -n 3p latin.if)" = "$(printf 'feature temp\377\376erature')" ]
	check ifscore -m latin.if latin.tsv
	expect 0 ""
	[ "$(printf '%s\n' "$out" | head -n 1)" = "$(printf 'temp\377\376erature\thumidity\tsound\tscore\tstatus')" ]
	[ "$(printf '%s\n' "$out" | wc -l)" -eq 4 ]
}

@test "ifscore --json: invalid UTF-8 in a name or a field still makes valid UTF-8 JSON" {
	# JSON text is UTF-8 (RFC 8259, section 8.1): bytes that are not UTF-8
	# must not reach a JSON string as they are.
	printf 'temp\377erature\thumidity\tsound\tnote\n50\t60\t70\tcaf\351\n52\t60\t71\tok\n' >latin.tsv
	iftrain -f "$(printf 'temp\377erature'),humidity,sound" -o latin.if latin.tsv
	check ifscore -m latin.if --json latin.tsv
	expect 0 ""
	[ "$(printf '%s\n' "$out" | wc -l)" -eq 2 ]
	printf '%s\n' "$out" | iconv -f UTF-8 -t UTF-8 >/dev/null
	[[ "$(printf '%s\n' "$out" | head -n 1)" == *'"humidity":60,"sound":70,'* ]]
}

@test "iftrain: a BOM and CRLF line ends train the model the LF file trains" {
	head -n 40 "$SHIPPED" >lf.tsv
	{ printf '\357\273\277'; sed 's/$/\r/' lf.tsv; } >crlf.tsv
	iftrain -f temperature,humidity,sound -c 0.05 -o lf.if lf.tsv
	check iftrain -f temperature,humidity,sound -c 0.05 -o crlf.if crlf.tsv
	expect 0 ""
	cmp lf.if crlf.if
}

@test "ifstat: a BOM and CRLF line ends give the LF file's report" {
	model="$(shipped_model)"
	head -n 60 "$SHIPPED" | ifscore -m "$model" >lf.tsv
	{ printf '\357\273\277'; sed 's/$/\r/' lf.tsv; } >crlf.tsv
	ifstat lf.tsv >lf.report
	check ifstat crlf.tsv
	expect 0 ""
	[ "$out" = "$(cat lf.report)" ]
}

@test "ifscore: a second input with a BOM and CRLF has the same header" {
	model="$(shipped_model)"
	sensor_rows "50 60 70" >lf.tsv
	{ printf '\357\273\277'; sensor_rows "51 61 71" | sed 's/$/\r/'; } >crlf.tsv
	check ifscore -m "$model" lf.tsv crlf.tsv
	expect 0 ""
	[ "$out" = "temperature	humidity	sound	score	status
50	60	70	0.397770	normal
51	61	71	0.401093	normal" ]
}

@test "ifscore: blank lines are skipped, and still counted in line numbers" {
	model="$(shipped_model)"
	printf '\n\ntemperature\thumidity\tsound\n\n50\t60\t70\r\n\r\n\n5x\t60\t70\n' >blank.tsv
	check ifscore -m "$model" blank.tsv
	expect 2 "ifscore: blank.tsv:8: field 'temperature': invalid number '5x'"
	[ "$out" = "temperature	humidity	sound	score	status
50	60	70	0.397770	normal
5x	60	70		error" ]
}

@test "iftrain: blank lines change nothing in the model" {
	head -n 30 "$SHIPPED" >plain.tsv
	sed 'G' plain.tsv >blank.tsv   # a blank line after every line
	iftrain -f temperature,humidity,sound -o plain.if plain.tsv
	check iftrain -f temperature,humidity,sound -o blank.if blank.tsv
	expect 0 ""
	cmp plain.if blank.if
}

# --- shapes of the training data -------------------------------------------------------

@test "iftrain: one training row: every tree is one leaf, sample size 1" {
	printf 'a\tb\n1\t2\n' >one.tsv
	check iftrain -f a,b -c 0.05 -v -o one.if one.tsv
	expect 0 "iftrain: rows read: 1, used: 1, skipped for no feature value: 0
iftrain: features: a, b
iftrain: trees: 100, sample size: 1, threshold: 1.000000 (contamination set)
iftrain: Normal: 1, Anomalies: 0, Anomaly Ratio: 0.00%"
	grep -q -x 'sample_size 1' one.if
	grep -q -x 'c_psi 0' one.if
	# 13 header lines (penalize_range, the default, is one), then 100
	# times 'tree I 1' and '0 leaf 1', then 'end'.
	[ "$(wc -l <one.if)" -eq 214 ]
	[ "$(grep -c '^tree [0-9]* 1$' one.if)" -eq 100 ]
	[ "$(grep -c '^0 leaf 1$' one.if)" -eq 100 ]
}

@test "iftrain -c 0.05: all rows identical: every tree is one leaf, every score 0.5" {
	# With -c the threshold is the rows' own (equal) score, so none is
	# above it; the auto threshold's verdict is in shapes.bats.
	{ printf 'a\tb\n'; for i in $(seq 300); do printf '7\t-3.5\n'; done; } >same.tsv
	check iftrain -f a,b -c 0.05 -v -o same.if same.tsv
	expect 0 "iftrain: rows read: 300, used: 300, skipped for no feature value: 0
iftrain: features: a, b
iftrain: trees: 100, sample size: 256, threshold: 0.500000 (contamination set)
iftrain: Normal: 300, Anomalies: 0, Anomaly Ratio: 0.00%"
	[ "$(grep -c '^0 leaf 256$' same.if)" -eq 100 ]
	[ "$(ifscore -m same.if same.tsv | cut -f 3,4 | sort | uniq -c | tr -s ' ')" = " 300 0.500000	normal
 1 score	status" ]
}

@test "iftrain and ifscore: 10,000 columns (2,000 under valgrind)" {
	ncol=10000
	[ -z "${IFTOOLS_SLOW:-}" ] || ncol=2000
	awk -v n="$ncol" 'BEGIN {
		for (r = 0; r <= 20; r++) {
			line = r ? (r * 7) % 13 : "c1"
			for (c = 2; c <= n; c++)
				line = line "\t" (r ? (r * 7 + c) % 13 : "c" c)
			print line
		}
	}' >wide.tsv
	check iftrain -t 10 -o wide.if wide.tsv
	expect 0 "iftrain: features (guessed from the first 20 rows; -f to choose): c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, ... ($ncol in all)"
	[ "$(sed -n 's/^features //p' wide.if)" -eq "$ncol" ]
	check ifscore -m wide.if wide.tsv
	expect 0 ""
	[ "$(printf '%s\n' "$out" | awk -F '\t' '{ print NF }' | sort -u)" -eq $((ncol + 2)) ]
	[ "$(printf '%s\n' "$out" | wc -l)" -eq 21 ]
	[ "$(printf '%s\n' "$out" | head -n 1 | cut -f "$((ncol + 1))-")" = "score	status" ]
}

# --- bad option values -------------------------------------------------------------------

@test "iftrain -t 0 (no trees)" {
	check iftrain -t 0 "$SHIPPED"
	expect_usage iftrain "invalid value '0' for --trees: must be at least 1"
}

@test "iftrain -s -5 (a negative sample size)" {
	check iftrain -s -5 "$SHIPPED"
	expect_usage iftrain "invalid value '-5' for --sample-size: must be at least 1"
}

@test "iftrain -c 0 (contamination 0)" {
	check iftrain -c 0 "$SHIPPED"
	expect_usage iftrain "invalid value '0' for --contamination: must be greater than 0.0 and at most 0.5"
}

@test "iftrain --contamination 0.7" {
	check iftrain --contamination 0.7 "$SHIPPED"
	expect_usage iftrain "invalid value '0.7' for --contamination: must be greater than 0.0 and at most 0.5"
}

@test "iftrain: an unknown option" {
	check iftrain --colour "$SHIPPED"
	expect_usage iftrain "unrecognized option '--colour'"
}

@test "iftrain: -t as the last word, missing its argument" {
	check iftrain -t
	expect_usage iftrain "option requires an argument -- 't'"
}

@test "iftrain -e 3 on three features (checked once the header is read)" {
	check iftrain -f temperature,humidity,sound -e 3 "$SHIPPED"
	expect_usage iftrain "invalid value '3' for --extension: must be at most 2 (features - 1)"
}

@test "ifscore -T 1.5" {
	model="$(shipped_model)"
	check ifscore -m "$model" -T 1.5 "$SHIPPED"
	expect_usage ifscore "invalid value '1.5' for --threshold: must be at least 0.0 and at most 1.0"
}

@test "ifscore -j 0" {
	model="$(shipped_model)"
	check ifscore -m "$model" -j 0 "$SHIPPED"
	expect_usage ifscore "invalid value '0' for --jobs: must be at least 1"
}

@test "ifscore: an unknown option in a group (-uq)" {
	model="$(shipped_model)"
	check ifscore -m "$model" -uq "$SHIPPED"
	expect_usage ifscore "invalid option -- 'q'"
}

@test "ifscore --json=yes: a flag given an argument" {
	model="$(shipped_model)"
	check ifscore -m "$model" --json=yes "$SHIPPED"
	expect_usage ifscore "option '--json' doesn't allow an argument"
}

@test "ifscore -d with an empty delimiter" {
	model="$(shipped_model)"
	check ifscore -m "$model" -d '' "$SHIPPED"
	expect_usage ifscore "invalid delimiter '': must be one character"
}

@test "ifstat --max-rate 1.5" {
	check ifstat --max-rate 1.5 /dev/null
	expect_usage ifstat "invalid value '1.5' for --max-rate: must be at least 0.0 and at most 1.0"
}

@test "ifstat -T x" {
	check ifstat -T x /dev/null
	expect_usage ifstat "invalid value 'x' for --threshold: not a number"
}

@test "ifstat --every as the last word, missing its argument" {
	check ifstat --every
	expect_usage ifstat "option '--every' requires an argument"
}

@test "ifstat -g with an empty column name" {
	check ifstat -g '' /dev/null
	expect_usage ifstat "invalid value '' for --group-by: expected a column name"
}

@test "sensorgen -r 2e6 (faster than a million a second)" {
	check sensorgen -r 2e6 -n 1
	expect_usage sensorgen "invalid value '2e6' for --rate: must be at least 1e-09 and at most 1000000.0"
}

@test "sensorgen -D 1.5" {
	check sensorgen -D 1.5 -n 1
	expect_usage sensorgen "invalid value '1.5' for --devices: not a whole number"
}

@test "sensorgen -k as the last word, missing its argument" {
	check sensorgen -k
	expect_usage sensorgen "option requires an argument -- 'k'"
}

@test "sensorgen --classic with -a" {
	check sensorgen --classic -a 0.1
	expect_usage sensorgen "--classic cannot be combined with --anomaly-rate"
}

# --- files that cannot be read ---------------------------------------------------------

@test "ifstat: a file that does not exist, then one that does: reported, the rest summarised" {
	printf 'score\tstatus\n0.5\tnormal\n' >in.tsv
	check ifstat nosuch.tsv in.tsv
	expect 2 "ifstat: cannot open 'nosuch.tsv': No such file or directory"
	[ "$(printf '%s\n' "$out" | sed -n 's/^rows\t//p')" = 1 ]
}

@test "ifscore: a folder as input" {
	model="$(shipped_model)"
	mkdir folder
	check ifscore -m "$model" folder
	expect 2 "ifscore: cannot read 'folder': Is a directory"
	[ -z "$out" ]
}

@test "ifstat: a folder as input" {
	mkdir folder
	check ifstat folder
	expect 2 "ifstat: cannot read 'folder': Is a directory"
	[ -z "$out" ]
}

@test "iftrain: an unreadable file" {
	# The tests may run as root, where chmod 000 does not stop a read:
	# /proc/self/mem opens but fails to read (EIO at address 0) for
	# everyone, root included.  The chmod case runs too when not root.
	check iftrain /proc/self/mem
	expect 2 "iftrain: cannot read '/proc/self/mem': Input/output error"
	[ -z "$out" ]
	if [ "$(id -u)" -ne 0 ]; then
		printf 'a\n1\n' >locked.tsv
		chmod 000 locked.tsv
		check iftrain locked.tsv
		expect 2 "iftrain: cannot open 'locked.tsv': Permission denied"
	fi
}

@test "ifscore: an unreadable model" {
	# As above: /proc/self/mem fails to read for root too.
	check ifscore -m /proc/self/mem "$SHIPPED"
	expect 2 "ifscore: cannot read model '/proc/self/mem': Input/output error"
	[ -z "$out" ]
	if [ "$(id -u)" -ne 0 ]; then
		cp "$(shipped_model)" locked.if
		chmod 000 locked.if
		check ifscore -m locked.if "$SHIPPED"
		expect 2 "ifscore: cannot read model 'locked.if': Permission denied"
	fi
}

@test "ifscore: a model that does not exist is reported before any input is read" {
	check bash -c 'printf "temperature\n" | ifscore -m nosuch.if'
	expect 2 "ifscore: cannot read model 'nosuch.if': No such file or directory"
	[ -z "$out" ]
}
