#!/usr/bin/env bats
# ifstat: figures checked against values computed independently (by hand,
# and with a throwaway script following numpy's and scikit-learn's
# definitions), every option, and the exit statuses.

load test_helper

# Labels, kinds, a missing value, ties in the scores, an unscored row; the
# time column is not numeric and is not summarised.
mixed() {
	printf 'time\ttemp\thum\tlabel\tkind\tscore\tstatus\n'
	printf 't1\t20\t50\t0\tnone\t0.400000\tnormal\n'
	printf 't2\t21\tNA\t0\tnone\t0.500000\tnormal\n'
	printf 't3\t22\t52\t1\tspike\t0.500000\tnormal\n'
	printf 't4\t30\t60\t1\tburst\t0.700000\tanomaly\n'
	printf 't5\t19\t48\t0\tnone\t0.700000\tanomaly\n'
	printf 't6\tx\t40\t0\tnone\t\terror\n'
}

# Ten labelled scores with ties across the labels (threshold 0.5).
#   positives 0.2 0.4 0.4 0.8 0.9, negatives 0.1 0.2 0.3 0.4 0.6
#   AUC = (1.5 + 3.5 + 3.5 + 5 + 5) / 25 = 0.74
#   AP  = .2*1 + .2*1 + .4*(4/6) + .2*(5/9) = 0.777778
ties() {
	printf 'label\tscore\tstatus\n'
	printf '%s\t%s\t%s\n' 0 0.100000 normal 0 0.200000 normal \
	    1 0.200000 normal 0 0.300000 normal 1 0.400000 normal \
	    0 0.400000 normal 1 0.400000 normal 0 0.600000 anomaly \
	    1 0.800000 anomaly 1 0.900000 anomaly
}

# The value of one metric in a two-column report on stdin.
metric() {
	awk -F '\t' -v m="$1" '$1 == m { print $2; found = 1 }
	    END { exit !found }'
}

@test "the default report of a mixed input, figure by figure" {
	mixed > in.tsv
	run_split ifstat in.tsv
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	expected="$(printf '%s\n' \
	    'metric	value' 'rows	6' 'normal	3' 'anomalies	2' 'errors	1' \
	    'anomaly_rate	0.4' 'score_min	0.4' 'score_mean	0.56' \
	    'score_p50	0.5' 'score_p90	0.7' 'score_p95	0.7' 'score_p99	0.7' \
	    'score_max	0.7' 'score_max_normal	0.5' 'score_min_anomaly	0.7' \
	    'threshold	0.6' 'temp_mean_normal	21' 'temp_sd_normal	1' \
	    'temp_mean_anomaly	24.5' 'temp_sd_anomaly	7.77817' \
	    'hum_mean_normal	51' 'hum_sd_normal	1.41421' \
	    'hum_mean_anomaly	54' 'hum_sd_anomaly	8.48528' \
	    'tp	1' 'fp	1' 'tn	2' 'fn	1' 'precision	0.5' 'recall	0.5' \
	    'f1	0.5' 'accuracy	0.6' 'roc_auc	0.666667' \
	    'average_precision	0.5' 'recall_spike	0' 'recall_burst	1')"
	[ "$out" = "$expected" ]
}

@test "quantiles interpolate as numpy does; AUC and AP count ties as sklearn" {
	ties > in.tsv
	run_split ifstat in.tsv
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	[ "$(metric score_mean <<<"$out")" = 0.43 ]
	[ "$(metric score_p50 <<<"$out")" = 0.4 ]
	[ "$(metric score_p90 <<<"$out")" = 0.81 ]
	[ "$(metric score_p95 <<<"$out")" = 0.855 ]
	[ "$(metric score_p99 <<<"$out")" = 0.891 ]
	[ "$(metric roc_auc <<<"$out")" = 0.74 ]
	[ "$(metric average_precision <<<"$out")" = 0.777778 ]
	[ "$(metric tp <<<"$out")" = 2 ]
	[ "$(metric fp <<<"$out")" = 1 ]
	[ "$(metric tn <<<"$out")" = 4 ]
	[ "$(metric fn <<<"$out")" = 3 ]
	[ "$(metric precision <<<"$out")" = 0.666667 ]
	[ "$(metric recall <<<"$out")" = 0.4 ]
	[ "$(metric f1 <<<"$out")" = 0.5 ]
	[ "$(metric accuracy <<<"$out")" = 0.6 ]
}

@test "a single class leaves the AUC (and what needs positives) NA" {
	printf 'label\tscore\tstatus\n0\t0.3\tnormal\n0\t0.3\tnormal\n0\t0.7\tanomaly\n' > neg.tsv
	run_split ifstat neg.tsv
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	[ "$(metric roc_auc <<<"$out")" = NA ]
	[ "$(metric average_precision <<<"$out")" = NA ]
	[ "$(metric recall <<<"$out")" = NA ]
	[ "$(metric precision <<<"$out")" = 0 ]
	[ "$(metric accuracy <<<"$out")" = 0.666667 ]

	printf 'label\tscore\tstatus\n1\t0.2\tnormal\n1\t0.5\tnormal\n1\t0.5\tnormal\n' > pos.tsv
	run_split ifstat --json pos.tsv
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	[[ "$out" == *'"precision":null,"recall":0,"f1":0,'* ]]
	[[ "$out" == *'"roc_auc":null,"average_precision":1}' ]]
}

@test "without a label column there are no label metrics" {
	printf 'x\tscore\tstatus\n1\t0.1\tnormal\n3\t0.9\tanomaly\n' > in.tsv
	run_split ifstat in.tsv
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	[ "$(tail -n 1 <<<"$out")" = "x_sd_anomaly	NA" ]
	[[ "$out" != *roc_auc* ]]
}

@test "the original printout: 53 anomalies in 1050 rows is a rate of 5.05%" {
	{
		printf 'score\tstatus\n'
		for i in $(seq 997); do printf '0.4\tnormal\n'; done
		for i in $(seq 53); do printf '0.7\tanomaly\n'; done
	} > in.tsv
	run_split ifstat in.tsv
	[ "$status" -eq 0 ]
	[ "$(metric anomaly_rate <<<"$out")" = 0.0504762 ]
	# position .95 * 1049 = 996.55: 0.4 + .55 * (0.7 - 0.4)
	[ "$(metric score_p95 <<<"$out")" = 0.565 ]
	[ "$(metric score_p90 <<<"$out")" = 0.4 ]
}

@test "missing feature values are skipped; a column with text is left out" {
	printf 'device\tv\tw\tscore\tstatus\n' > in.tsv
	printf 'a\t1.5\t1\t0.1\tnormal\n' >> in.tsv
	printf 'b\tNA\t2\t0.1\tnormal\n' >> in.tsv
	printf '7\t2.5\tn/a\t0.1\tnormal\n' >> in.tsv
	printf 'c\t\tnan\t0.1\tnormal\n' >> in.tsv
	printf 'd\t4.0\tN/A\t0.1\tnormal\n' >> in.tsv
	printf 'e\t7\t\t0.1\tnormal\n' >> in.tsv
	run_split ifstat in.tsv
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	[ "$(metric v_mean_normal <<<"$out")" = 3.75 ]
	[ "$(metric v_sd_normal <<<"$out")" = 2.39792 ]
	[ "$(metric w_mean_normal <<<"$out")" = 1.5 ]
	[ "$(metric v_mean_anomaly <<<"$out")" = NA ]
	[[ "$out" != *device* ]]
}

@test "a label that is not 0 or 1 is an error naming file, line and field" {
	printf 'label\tscore\tstatus\n1\t0.7\tanomaly\n2\t0.5\tnormal\n' > in.tsv
	run_split ifstat in.tsv
	[ "$status" -eq 2 ]
	[ "$err" = "ifstat: in.tsv:3: field 'label': invalid label '2' (expected 0 or 1)" ]
	# the other rows are still reported
	[ "$(metric rows <<<"$out")" = 1 ]
}

@test "a score that is not a number is an error" {
	printf 'score\tstatus\n0.5\tnormal\n0.5x\tnormal\n' > in.tsv
	run_split ifstat in.tsv
	[ "$status" -eq 2 ]
	[ "$err" = "ifstat: in.tsv:3: field 'score': invalid number '0.5x'" ]

	printf 'score\tstatus\n\tnormal\n' > in.tsv
	run_split bash -c 'ifstat < in.tsv'
	[ "$status" -eq 2 ]
	[ "$err" = "ifstat: -:2: field 'score': missing value" ]
}

@test "a bad status or field count is an error" {
	printf 'score\tstatus\n0.5\tweird\n0.5\n' > in.tsv
	run_split ifstat in.tsv
	[ "$status" -eq 2 ]
	[ "$err" = "ifstat: in.tsv:2: field 'status': invalid status 'weird' (expected normal, anomaly or error)
ifstat: in.tsv:3: expected 2 fields, found 1" ]
}

@test "no score or status column is an error, and no report" {
	printf 'temp\tstatus\n1\tnormal\n' > in.tsv
	run_split ifstat in.tsv
	[ "$status" -eq 2 ]
	[ -z "$out" ]
	[ "$err" = "ifstat: in.tsv:1: no column 'score'" ]

	printf 'score\n0.5\n' > in.tsv
	run_split ifstat in.tsv
	[ "$status" -eq 2 ]
	[ "$err" = "ifstat: in.tsv:1: no column 'status'" ]

	mixed > in.tsv
	run_split ifstat -g device in.tsv
	[ "$status" -eq 2 ]
	[ "$err" = "ifstat: in.tsv:1: no column 'device' (for --group-by)" ]
}

@test "empty or unreadable input is an error" {
	run_split ifstat /dev/null
	[ "$status" -eq 2 ]
	[ "$err" = "ifstat: /dev/null: empty input, expected a header line" ]
	run_split ifstat nosuch.tsv
	[ "$status" -eq 2 ]
	[ "$err" = "ifstat: cannot open 'nosuch.tsv': No such file or directory" ]
}

@test "a header with no rows gives a report of nothing" {
	printf 'score\tstatus\n' > in.tsv
	run_split ifstat --wide in.tsv
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	[ "$(head -n 1 <<<"$out")" = "rows	normal	anomalies	errors	anomaly_rate	score_min	score_mean	score_p50	score_p90	score_p95	score_p99	score_max	score_max_normal	score_min_anomaly	threshold" ]
	[ "$(tail -n +2 <<<"$out")" = "$(printf '0\t0\t0\t0\tNA\tNA\tNA\tNA\tNA\tNA\tNA\tNA\tNA\tNA\tNA')" ]
}

@test "--max-rate: 1 when the rate exceeds it, 0 otherwise, report printed" {
	mixed > in.tsv
	run_split ifstat --max-rate 0.3 in.tsv
	[ "$status" -eq 1 ]
	[ -z "$err" ]
	[ "$(metric anomaly_rate <<<"$out")" = 0.4 ]
	run_split ifstat --max-rate 0.4 in.tsv
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	run_split ifstat --max-rate 1.5 in.tsv
	[ "$status" -eq 2 ]
	[ "$err" = "ifstat: invalid value '1.5' for --max-rate: must be at least 0.0 and at most 1.0
Try 'ifstat --help' for more information." ]
}

@test "--max-rate with -g alerts when any group exceeds it" {
	printf 'dev\tscore\tstatus\na\t0.1\tnormal\na\t0.1\tnormal\nb\t0.9\tanomaly\nb\t0.1\tnormal\n' > in.tsv
	run_split ifstat -g dev --max-rate 0.4 in.tsv
	[ "$status" -eq 1 ]
	run_split ifstat -g dev --max-rate 0.5 in.tsv
	[ "$status" -eq 0 ]
	# a bad line outranks the alert
	printf 'b\tx\tanomaly\n' >> in.tsv
	run_split ifstat -g dev --max-rate 0.4 in.tsv
	[ "$status" -eq 2 ]
}

@test "-g: one summary per group in order of appearance, long and wide" {
	printf 'dev\tscore\tstatus\nb\t0.2\tnormal\na\t0.8\tanomaly\nb\t0.4\tnormal\na\t0.2\tnormal\n' > in.tsv
	run_split ifstat -g dev in.tsv
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	[ "$(head -n 3 <<<"$out")" = "dev	metric	value
b	rows	2
b	normal	2" ]
	[ "$(grep -c '^b	' <<<"$out")" -eq 15 ]
	[ "$(grep '	score_mean	' <<<"$out")" = "b	score_mean	0.3
a	score_mean	0.5" ]

	run_split ifstat --group-by=dev --wide in.tsv
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	[ "$out" = "dev	rows	normal	anomalies	errors	anomaly_rate	score_min	score_mean	score_p50	score_p90	score_p95	score_p99	score_max	score_max_normal	score_min_anomaly	threshold
b	2	2	0	0	0	0.2	0.3	0.3	0.38	0.39	0.398	0.4	0.4	NA	0.6
a	2	1	1	0	0.5	0.2	0.5	0.5	0.74	0.77	0.794	0.8	0.2	0.8	0.6" ]
}

@test "-e: a summary of every N rows, the rest, then the total" {
	ties > in.tsv
	run_split ifstat -e 4 --wide in.tsv
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	[ "$(cut -f 1-5,8 <<<"$out")" = "window	rows	normal	anomalies	errors	score_mean
1	4	4	0	0	0.2
2	4	3	1	0	0.45
3	2	0	2	0	0.85
total	10	7	3	0	0.43" ]
	# the last window: 0.8 and 0.9 both positive, one class
	[ "$(sed -n 4p <<<"$out" | cut -f 25,26)" = "NA	1" ]
	[ "$(sed -n 5p <<<"$out" | cut -f 25,26)" = "0.74	0.777778" ]

	run_split ifstat --every 5 --json in.tsv
	[ "$status" -eq 0 ]
	[ "$(cut -c 1-40 <<<"$out")" = '{"window":1,"rows":5,"normal":5,"anomali
{"window":2,"rows":5,"normal":2,"anomali
{"window":"total","rows":10,"normal":7,"' ]
}

@test "-e with -g: each window has a line for every group in it" {
	printf 'dev\tscore\tstatus\na\t0.1\tnormal\nb\t0.2\tnormal\na\t0.3\tnormal\na\t0.9\tanomaly\n' > in.tsv
	run_split ifstat -e 2 -g dev --wide in.tsv
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	[ "$(cut -f 1-5 <<<"$out")" = "window	dev	rows	normal	anomalies
1	a	1	1	0
1	b	1	1	0
2	a	2	1	1
total	a	3	2	1
total	b	1	1	0" ]
	run_split ifstat -e 2 -g dev in.tsv
	[ "$(head -n 2 <<<"$out")" = "window	dev	metric	value
1	a	rows	1" ]
}

@test "-e: each window is written as soon as it is complete" {
	mkfifo feed
	ifstat -e 2 --wide < feed > out.tsv &
	exec 7> feed
	printf 'score\tstatus\n0.1\tnormal\n0.9\tanomaly\n' >&7
	for i in $(seq 50); do
		grep -q '^1	' out.tsv && break
		sleep 0.1
	done
	grep -q '^1	2	1	1	0	0.5	' out.tsv
	exec 7>&-
	wait $!
	[ "$(cut -f 1,2 out.tsv)" = "window	rows
1	2
total	2" ]
}

@test "--json: one object per summary, null for undefined figures" {
	printf 'dev\tlabel\tscore\tstatus\nx"1\t0\t0.25\tnormal\n' > in.tsv
	run_split ifstat --json -g dev in.tsv
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	[ "$out" = '{"dev":"x\"1","rows":1,"normal":1,"anomalies":0,"errors":0,"anomaly_rate":0,"score_min":0.25,"score_mean":0.25,"score_p50":0.25,"score_p90":0.25,"score_p95":0.25,"score_p99":0.25,"score_max":0.25,"score_max_normal":0.25,"score_min_anomaly":null,"threshold":null,"tp":0,"fp":0,"tn":1,"fn":0,"precision":null,"recall":null,"f1":null,"accuracy":1,"roc_auc":null,"average_precision":null}' ]
}

@test "--wide: a header and one row with the same metrics as the long form" {
	mixed > in.tsv
	run_split ifstat -w in.tsv
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	[ "$(wc -l <<<"$out")" -eq 2 ]
	ifstat in.tsv | tail -n +2 | cut -f 1 | paste -s > long_names
	head -n 1 <<<"$out" > wide_names
	cmp long_names wide_names
	ifstat in.tsv | tail -n +2 | cut -f 2 | paste -s > long_values
	tail -n 1 <<<"$out" > wide_values
	cmp long_values wide_values
}

@test "only the kinds that label-1 rows have get a recall, in order of appearance" {
	printf 'label\tkind\tscore\tstatus\n1\tweird\t0.9\tanomaly\n1\tweird\t0.1\tnormal\n1\tspike\t0.9\tanomaly\n0\tnone\t0.1\tnormal\n' > in.tsv
	run_split ifstat in.tsv
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	[ "$(grep '^recall_' <<<"$out")" = "recall_weird	0.5
recall_spike	1" ]
	# a group without a kind that another has: NA for it
	printf 'dev\tlabel\tkind\tscore\tstatus\na\t1\tdrift\t0.9\tanomaly\nb\t1\tstuck\t0.2\tnormal\n' > g.tsv
	run_split ifstat -g dev --wide g.tsv
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	[ "$(cut -f 1,27,28 <<<"$out")" = "dev	recall_drift	recall_stuck
a	1	NA
b	NA	0" ]
}

@test "--histogram: fits 80 columns, tells classes apart, marks the threshold" {
	ties > in.tsv
	run_split ifstat --histogram in.tsv
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	[ "$(awk 'length > 80' <<<"$out")" = "" ]
	hist="$(sed -n '/^histogram of/,$p' <<<"$out")"
	[ "$(head -n 1 <<<"$hist")" = "histogram of 10 scores, threshold 0.5 (estimated)" ]
	# the threshold line sits between the rows from 0.45 and from 0.5
	[ "$(grep -A 1 '^  0.450' <<<"$hist" | tail -n 1)" = "---------------- threshold 0.5 ----------------" ]
	grep -q '^  0.100         1 |=*$' <<<"$hist"
	grep -q '^  0.600         1 |x*$' <<<"$hist"
	grep -q '^  0.900         1 |#*$' <<<"$hist"
	grep -q '^  0.400         3 |=*o*$' <<<"$hist"

	run_split ifstat -T 0.85 --histogram in.tsv
	[ "$status" -eq 0 ]
	[[ "$out" == *"threshold 0.85 (set with -T)"* ]]
	[ "$(grep -B 1 -- '--- threshold 0.85 ---' <<<"$out" | head -n 1 | cut -c 1-7)" = "  0.800" ]
}

@test "--histogram on a large spread stays within 80 columns" {
	awk 'BEGIN { print "score\tstatus"; for (i = 1; i <= 2000; i++)
	    printf "%.6f\t%s\n", i / 2000, (i > 1900 ? "anomaly" : "normal") }' > in.tsv
	run_split ifstat --histogram in.tsv
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	[ "$(awk 'length > 80' <<<"$out")" = "" ]
	[ "$(grep -c '|' <<<"$out")" -le 21 ]
	[[ "$out" == *"threshold 0.95025 (estimated)"* ]]
}

@test "-d: another delimiter, in and out" {
	printf 'v,score,status\n1,0.2,normal\n3,0.8,anomaly\n' > in.csv
	run_split ifstat -d , --wide in.csv
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	[ "$out" = "rows,normal,anomalies,errors,anomaly_rate,score_min,score_mean,score_p50,score_p90,score_p95,score_p99,score_max,score_max_normal,score_min_anomaly,threshold,v_mean_normal,v_sd_normal,v_mean_anomaly,v_sd_anomaly
2,1,1,0,0.5,0.2,0.5,0.5,0.74,0.77,0.794,0.8,0.2,0.8,0.5,1,NA,3,NA" ]
}

@test "several inputs and standard input make one report" {
	ties > a.tsv
	ties > b.tsv
	run_split bash -c 'ifstat a.tsv - < b.tsv'
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	[ "$(metric rows <<<"$out")" = 20 ]
	[ "$(metric roc_auc <<<"$out")" = 0.74 ]
}

@test "usage: --help, --version, bad options" {
	run_split ifstat --help
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	[[ "$out" == "usage: ifstat [-d char] [-e rows] [-g column] [-T threshold]"* ]]
	run_split ifstat --version
	[ "$status" -eq 0 ]
	[[ "$out" == "ifstat (iftools) "* ]]
	run_split ifstat --bogus
	[ "$status" -eq 2 ]
	[ "$err" = "ifstat: unrecognized option '--bogus'
Try 'ifstat --help' for more information." ]
	run_split ifstat -e 0
	[ "$status" -eq 2 ]
	[ "$err" = "ifstat: invalid value '0' for --every: must be at least 1
Try 'ifstat --help' for more information." ]
	run_split ifstat --json --wide
	[ "$status" -eq 2 ]
	[ "$err" = "ifstat: --json and --wide cannot be combined
Try 'ifstat --help' for more information." ]
	run_split ifstat -T 2
	[ "$status" -eq 2 ]
}

@test "a failed write is an error" {
	mixed > in.tsv
	run_split bash -c 'ifstat in.tsv > /dev/full'
	[ "$status" -eq 2 ]
	[ "$err" = "ifstat: write error on standard output: No space left on device" ]
}

@test "a score outside [0, 1] is bad data, named with file and line" {
	printf 'score\tstatus\n0.5\tnormal\n1e59\tanomaly\n-0.000001\tnormal\n1.0000001\tanomaly\n1\tanomaly\n0\tnormal\n' > in.tsv
	run_split ifstat --histogram in.tsv
	[ "$status" -eq 2 ]
	[ "$err" = "ifstat: in.tsv:3: field 'score': invalid score '1e59' (expected 0 to 1)
ifstat: in.tsv:4: field 'score': invalid score '-0.000001' (expected 0 to 1)
ifstat: in.tsv:5: field 'score': invalid score '1.0000001' (expected 0 to 1)" ]
	# the other rows are summarised, 0 and 1 included
	[ "$(metric rows <<<"$out")" = 3 ]
	[ "$(metric score_max <<<"$out")" = 1 ]
	[[ "$out" == *"histogram of 3 scores"* ]]
	# -T bounds the threshold the same way
	run_split ifstat -T 1.5 in.tsv
	[ "$status" -eq 2 ]
	[ "$err" = "ifstat: invalid value '1.5' for --threshold: must be at least 0.0 and at most 1.0
Try 'ifstat --help' for more information." ]
}

@test "ifscore's rows for bad input count as errors: ifscore | ifstat works" {
	model=$(shipped_model)
	printf 'temperature\thumidity\tsound\tlabel\n' > in.tsv
	printf '50\t50\t70\t0\n' >> in.tsv      # scored
	printf '50\t50\n' >> in.tsv             # short: padded
	printf '50\tx\t70\t0\n' >> in.tsv       # a bad value: empty score
	printf '50\t50\t70\t0\t9\t9\n' >> in.tsv # too wide: as it came
	printf '90\t90\t100\t1\n' >> in.tsv     # scored
	ifscore -m "$model" in.tsv > scored.tsv 2>/dev/null || true
	[ "$(cut -f 5- scored.tsv | grep -c error)" -eq 3 ]
	run_split ifstat scored.tsv
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	[ "$(metric rows <<<"$out")" = 5 ]
	[ "$(metric errors <<<"$out")" = 3 ]
	[ "$(metric normal <<<"$out")" = 1 ]
	[ "$(metric anomalies <<<"$out")" = 1 ]
	[ "$(metric tp <<<"$out")" = 1 ]
	# the same through a pipe, grouped by a column the bad rows lack
	run_split bash -c "ifscore -m '$model' in.tsv 2>/dev/null | ifstat -g label --wide | cut -f 1-5"
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	[ "$out" = "label	rows	normal	anomalies	errors
0	3	1	0	2
	1	0	0	1
1	1	0	1	0" ]
	# a too-wide line not in ifscore's shape is still a bad line
	printf 'score\tstatus\n0.5\tnormal\textra\n0.5\tnormal\t\terror\n' > wide.tsv
	run_split ifstat wide.tsv
	[ "$status" -eq 2 ]
	[ "$err" = "ifstat: wide.tsv:2: expected 2 fields, found 3" ]
	[ "$(metric errors <<<"$out")" = 1 ]
}

@test "huge values have finite means; JSON never holds a non-number" {
	printf 'v\tw\tscore\tstatus\n1e308\t1.7e308\t0.1\tnormal\n-1e308\t-1.7e308\t0.1\tnormal\n1.7e308\t1.7e308\t0.2\tnormal\n' > in.tsv
	run_split ifstat in.tsv
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	[ "$(metric v_mean_normal <<<"$out")" = 5.66667e+307 ]
	[ "$(metric v_sd_normal <<<"$out")" = 1.40119e+308 ]
	[ "$(metric w_mean_normal <<<"$out")" = 5.66667e+307 ]
	# a deviation beyond the largest double is no number at all
	[ "$(metric w_sd_normal <<<"$out")" = NA ]
	run_split ifstat --json -e 2 in.tsv
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	python3 -c '
import json, sys
def refuse(c):
    raise ValueError(c)
for line in sys.stdin:
    json.loads(line, parse_constant=refuse)
' <<<"$out"
	[[ "$out" == *'"w_sd_normal":null'* ]]
	[[ "$out" != *inf* ]]
}

@test "rates and scores print in plain decimals" {
	awk 'BEGIN { print "label\tscore\tstatus"
	    for (i = 0; i < 40000; i++)
	        printf "%d\t%s\t%s\n", i < 3, (i < 3 ? "0.000090" : "0.000010"),
	            (i < 3 ? "anomaly" : "normal") }' > in.tsv
	run_split ifstat in.tsv
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	[ "$(metric anomaly_rate <<<"$out")" = 0.000075 ]
	[ "$(metric score_min <<<"$out")" = 0.00001 ]
	[ "$(metric score_mean <<<"$out")" = 0.000010006 ]
	[ "$(metric precision <<<"$out")" = 1 ]
	[[ "$out" != *e-0* ]]
}

@test "the report shows the threshold: the gap the statuses leave, or -T" {
	ties > in.tsv
	run_split ifstat in.tsv
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	[ "$(metric score_max_normal <<<"$out")" = 0.4 ]
	[ "$(metric score_min_anomaly <<<"$out")" = 0.6 ]
	[ "$(metric threshold <<<"$out")" = 0.5 ]
	run_split ifstat -T 0.45 in.tsv
	[ "$(metric threshold <<<"$out")" = 0.45 ]
	# statuses no single threshold gives: no threshold
	printf 'score\tstatus\n0.7\tnormal\n0.6\tanomaly\n' > mixed.tsv
	run_split ifstat --histogram mixed.tsv
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	[ "$(metric threshold <<<"$out")" = NA ]
	[[ "$out" == *"histogram of 2 scores, threshold unknown (set it with -T)"* ]]
}

# Start ifstat -e 2 on the fifo "feed" with SIGINT at its default (a
# background job of a script ignores it), and wait for its first window.
start_live() {
	mkfifo feed
	env --default-signal=INT ifstat "$@" < feed > out.tsv 2> err.txt &
	pid=$!
	exec 7> feed
	printf 'score\tstatus\n0.1\tnormal\n0.9\tanomaly\n0.2\tnormal\n' >&7
	for i in $(seq 100); do
		grep -q '^1	' out.tsv && break
		sleep 0.1
	done
}

@test "Ctrl-C on a live stream prints what is known, then dies of SIGINT" {
	start_live -e 2 --wide
	kill -INT "$pid"
	st=0
	wait "$pid" || st=$?
	exec 7>&-
	[ "$st" -eq 130 ]
	[ ! -s err.txt ]
	[ "$(cut -f 1-5 out.tsv)" = "window	rows	normal	anomalies	errors
1	2	1	1	0
2	1	1	0	0
total	3	2	1	0" ]
}

@test "SIGTERM too; an ignored SIGINT stays ignored" {
	start_live -e 2 --wide
	kill -TERM "$pid"
	st=0
	wait "$pid" || st=$?
	exec 7>&-
	[ "$st" -eq 143 ]
	[ "$(tail -n 1 out.tsv | cut -f 1,2)" = "total	3" ]

	rm -f feed
	mkfifo feed
	( trap '' INT; exec ifstat -e 2 --wide < feed > out.tsv ) &
	pid=$!
	exec 7> feed
	printf 'score\tstatus\n0.1\tnormal\n' >&7
	kill -INT "$pid"
	printf '0.9\tanomaly\n' >&7
	exec 7>&-
	wait "$pid"
	[ "$(tail -n 1 out.tsv | cut -f 1,2)" = "total	2" ]
}

@test "--max-rate judges each -e window and stops at the first over it" {
	printf 'score\tstatus\n0.1\tnormal\n0.2\tnormal\n0.9\tanomaly\n0.1\tnormal\n0.9\tanomaly\n0.9\tanomaly\n0.1\tnormal\n0.1\tnormal\n' > in.tsv
	# windows: rate 0, 0.5, 1, 0; the total's is 0.375
	run_split ifstat -e 2 --max-rate 0.5 --wide in.tsv
	[ "$status" -eq 1 ]
	[ -z "$err" ]
	[ "$(cut -f 1-5 <<<"$out")" = "window	rows	normal	anomalies	errors
1	2	2	0	0
2	2	1	1	0
3	2	0	2	0
total	6	3	3	0" ]
	run_split ifstat --max-rate 0.5 in.tsv
	[ "$status" -eq 0 ]
	run_split ifstat -e 2 --max-rate 1 in.tsv
	[ "$status" -eq 0 ]
	[ "$(grep -c '^total	rows	' <<<"$out")" -eq 1 ]
	[ "$(grep '^total	rows	' <<<"$out")" = "total	rows	8" ]
}

@test "a live stream's window over --max-rate ends ifstat at once" {
	mkfifo feed
	ifstat -e 2 --max-rate 0.4 --json < feed > out.json &
	pid=$!
	exec 7> feed
	printf 'score\tstatus\n0.1\tnormal\n0.9\tanomaly\n' >&7
	st=0
	wait "$pid" || st=$?
	exec 7>&-
	[ "$st" -eq 1 ]
	[ "$(wc -l < out.json)" -eq 2 ]
	[[ "$(tail -n 1 out.json)" == '{"window":"total","rows":2,'* ]]
}

# peak_kb CMD ARG...: the peak resident memory, in KB, of CMD (its output
# discarded), as GNU time measures it (a forked python or bash would
# count its own size in).
peak_kb() {
	/usr/bin/time -f %M -o peak.txt "$@" > /dev/null
	cat peak.txt
}

# scored N: N scored rows, labelled, on stdout.
scored() {
	awk -v n="$1" 'BEGIN { print "label\tscore\tstatus"
	    for (i = 0; i < n; i++) {
	        s = (i * 7919 % 10007) / 10007
	        printf "%d\t%.6f\t%s\n", (s > 0.9), s, (s > 0.8 ? "anomaly" : "normal")
	    } }'
}

@test "-e on a long stream runs in constant memory" {
	# 20 times the rows: every score kept would be 8 bytes each, well
	# over 10 MB more (not a timing: memory is counted, not time).
	short=100000 long=2000000 limit=4096
	if [ -n "${IFTOOLS_SLOW:-}" ]; then short=20000 long=400000 limit=2048; fi
	scored $short > short.tsv
	scored $long > long.tsv
	a=$(peak_kb ifstat -e 1000 short.tsv)
	b=$(peak_kb ifstat -e 1000 long.tsv)
	echo "peak: $a KB for $short rows, $b KB for $long rows"
	[ $((b - a)) -lt "$limit" ]
	# and the total is still right, to the documented step
	scored 20000 > in.tsv
	exact=$(ifstat in.tsv | metric roc_auc)
	run_split ifstat -e 1000 --wide in.tsv
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	sketch=$(tail -n 1 <<<"$out" | cut -f 25)
	echo "exact $exact, sketch $sketch"
	awk -v a="$exact" -v b="$sketch" 'BEGIN { d = a - b; exit !(d < 0.0001 && d > -0.0001) }'
}

@test "groups times kinds take no table: memory grows with the rows" {
	n=3000
	awk -v n=$n 'BEGIN { print "dev\tlabel\tkind\tscore\tstatus"
	    for (i = 0; i < n; i++) printf "d%d\t1\tk%d\t0.5\tnormal\n", i, i }' > many.tsv
	awk -v n=$n 'BEGIN { print "dev\tlabel\tkind\tscore\tstatus"
	    for (i = 0; i < n; i++) printf "d\t1\tk\t0.5\tnormal\n" }' > one.tsv
	a=$(peak_kb ifstat -g dev one.tsv)
	b=$(peak_kb ifstat -g dev many.tsv)
	echo "peak: $a KB for one group and kind, $b KB for $n of each"
	# a groups x kinds table would be 3000 * 3000 * 16 bytes: 144 MB
	[ $((b - a)) -lt 40000 ]
	run_split ifstat -g dev many.tsv
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	# each group lists its own kind only
	[ "$(grep -c '	recall_k' <<<"$out")" -eq $n ]
	[ "$(grep '^d17	recall_' <<<"$out")" = "d17	recall_k17	0" ]
}

@test "ifstat(1): the EXAMPLES that show output print just that" {
	check_man_examples ifstat.1
}

@test "--help gives defaults in brackets, as iftrain and ifscore do" {
	run_split ifstat --help
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	[[ "$out" != *"(default"* ]]
	grep -q -- '--delimiter CHAR .*\[tab\]$' <<<"$out"
	grep -q -- '--group-by COLUMN .*\[off\]$' <<<"$out"
}

# Scored rows with a cause column (ifscore --explain=all): anomalies of
# three causes on two machines, normal rows with causes of their own.
with_causes() {
	printf 'device\ttemp\tscore\tstatus\tcause\n'
	printf 'm1\t20\t0.400000\tnormal\ttemp+\n'
	printf 'm1\t90\t0.700000\tanomaly\ttemp+\n'
	printf 'm1\t91\t0.710000\tanomaly\ttemp+\n'
	printf 'm2\t1\t0.690000\tanomaly\ttemp-\n'
	printf 'm2\t21\t0.650000\tanomaly\thum=\n'
	printf 'm2\t22\t0.410000\tnormal\thum=\n'
	printf 'm2\tx\t\terror\t\n'
}

@test "cause column: anomalies counted per cause, by name, after the rest" {
	with_causes > in.tsv
	run_split ifstat in.tsv
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	[ "$(printf '%s\n' "$out" | tail -n 3)" = "$(printf '%s\n' \
	    'cause_hum=	1' 'cause_temp+	2' 'cause_temp-	1')" ]
	# The cause column is not summarised as a number.
	[[ "$out" != *cause_mean* ]]
	[ "$(printf '%s\n' "$out" | metric temp_mean_anomaly)" = 50.75 ]
}

@test "cause column: per group with -g, and in --json and --wide" {
	with_causes > in.tsv
	run_split ifstat -g device in.tsv
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	[ "$(printf '%s\n' "$out" | grep cause_)" = "$(printf '%s\n' \
	    'm1	cause_hum=	0' 'm1	cause_temp+	2' 'm1	cause_temp-	0' \
	    'm2	cause_hum=	1' 'm2	cause_temp+	0' 'm2	cause_temp-	1')" ]
	run_split bash -c 'ifstat --json in.tsv | jq -c "[.\"cause_temp+\", .\"cause_temp-\", .\"cause_hum=\"]"'
	[ "$out" = "[2,1,1]" ]
	ifstat --wide in.tsv > wide.tsv
	# The last three columns.
	[ "$(head -n 1 wide.tsv | awk -F'\t' '{ print $(NF-2), $(NF-1), $NF }')" = \
	  'cause_hum= cause_temp+ cause_temp-' ]
	[ "$(tail -n 1 wide.tsv | awk -F'\t' '{ print $(NF-2), $(NF-1), $NF }')" = '1 2 1' ]
}

@test "cause column: no anomalies, no cause metrics" {
	printf 'score\tstatus\tcause\n0.400000\tnormal\ttemp+\n0.410000\tnormal\t\n' > in.tsv
	run_split ifstat in.tsv
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	[[ "$out" != *cause* ]]
}

@test "ifstat --columns: headerless in, the report without its header line" {
	mixed > in.tsv
	ifstat in.tsv | tail -n +2 > want
	ifstat -w in.tsv | tail -n +2 > want_wide
	tail -n +2 in.tsv > rows.tsv
	cols=time,temp,hum,label,kind,score,status
	run_split ifstat --columns "$cols" rows.tsv
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	[ "$out" = "$(cat want)" ]
	run_split ifstat -w --columns "$cols" rows.tsv
	[ "$out" = "$(cat want_wide)" ]
	run_split ifstat --columns score,status </dev/null
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	[ "$(metric rows <<<"$out")" = 0 ]
}

@test "ifstat --columns: a bad list is a usage error" {
	run_split ifstat --columns score,,status </dev/null
	[ "$status" -eq 2 ]
	[ "$err" = "ifstat: invalid value 'score,,status' for --columns: an empty column name
Try 'ifstat --help' for more information." ]
}
