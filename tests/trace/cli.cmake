# smmusim trace diff / to-perfetto from the command line
# (docs/trace-format.md). include()d from tests/CMakeLists.txt, so
# CMAKE_CURRENT_SOURCE_DIR is tests/.
#
# Data in tests/data/trace: model.trace, a model trace; model-same.trace,
# the same records with numbers written otherwise, fields reordered and
# comments; model-oa.trace, one XLATE's oa changed (line 14);
# model-reorder.trace, the XLATEs of SIDs 0x10 and 0x11 (lines 13, 14)
# swapped; qemu.trace, what from-qemu makes of the same run (no TIME,
# fewer fields, no SYNC or MSI); bad.trace, a bad kind at 3:5;
# newer.trace, format version 2.
set(TR_DATA ${CMAKE_CURRENT_SOURCE_DIR}/data/trace)
macro(trace_cli name rc)
  add_test(NAME ${name} COMMAND ${CMAKE_COMMAND} "-DCMD=$<TARGET_FILE:smmusim_cli>;trace;${ARGN}" -DEXPECT_RC=${rc} ${TR_EXPECT} -P ${CMAKE_CURRENT_SOURCE_DIR}/expect_exit.cmake)
endmacro()

set(TR_EXPECT "-DEXPECT_OUT=total               14         14         14          0          0          0\ntraces agree\n")
trace_cli(cli_trace_diff_same 0 diff ${TR_DATA}/model.trace ${TR_DATA}/model-same.trace)
set(TR_EXPECT "-DEXPECT_OUT=first divergence: A:14 vs B:14: XLATE field oa: 0x80008010 vs 0x80009010\n  A:14: 1100 XLATE sid=0x11 ssid=- iova=0x40000010 access=w priv=0 size=64 result=OK oa=0x80008010 perm=rw- event=- stalled=0 latency=150\n  B:14: 1100 XLATE sid=0x11 ssid=- iova=0x40000010 access=w priv=0 size=64 result=OK oa=0x80009010 perm=rw- event=- stalled=0 latency=150\n\nA: ${TR_DATA}/model.trace\nB: ${TR_DATA}/model-oa.trace\n")
trace_cli(cli_trace_diff_oa 1 diff ${TR_DATA}/model.trace ${TR_DATA}/model-oa.trace)
set(TR_EXPECT "-DEXPECT_OUT=XLATE                3          3          2          1          0          0\ntotal               14         14         13          1          0          0\ntraces differ: 1 divergence\n")
trace_cli(cli_trace_diff_oa_summary 1 diff ${TR_DATA}/model.trace ${TR_DATA}/model-oa.trace)
set(TR_EXPECT "-DEXPECT_OUT=traces agree")
trace_cli(cli_trace_diff_ignore_field 0 diff --ignore-field perm,oa ${TR_DATA}/model.trace ${TR_DATA}/model-oa.trace)
trace_cli(cli_trace_diff_ignore_kind 0 diff --ignore XLATE ${TR_DATA}/model.trace ${TR_DATA}/model-oa.trace)
trace_cli(cli_trace_diff_only 0 diff --only CMD,EVT,MMIO_R ${TR_DATA}/model.trace ${TR_DATA}/model-oa.trace)

# the QEMU-derived trace: no TIME, fewer fields, no SYNC or MSI
set(TR_EXPECT "-DEXPECT_OUT=first divergence: A:12: SYNC only in A\n  A:12: 470 SYNC idx=1 cs=NONE\ndivergence 2: A:16: MSI only in A\n")
trace_cli(cli_trace_diff_qemu 1 diff --max 5 ${TR_DATA}/model.trace ${TR_DATA}/qemu.trace)
set(TR_EXPECT "-DEXPECT_OUT=total               12         12         12          0          0          0\ntraces agree\n")
trace_cli(cli_trace_diff_qemu_only 0 diff --only MMIO_R,MMIO_W,CMD,EVT,XLATE ${TR_DATA}/model.trace ${TR_DATA}/qemu.trace)
set(TR_EXPECT "-DEXPECT_OUT=first divergence: A:13 vs B:10: XLATE field ssid: - vs absent; field access: r vs absent; field priv: 0 vs absent; field size: 64 vs absent; field event: - vs absent; field stalled: 0 vs absent\n")
trace_cli(cli_trace_diff_qemu_strict 1 diff --strict --ignore-time --only XLATE ${TR_DATA}/model.trace ${TR_DATA}/qemu.trace)

# translations of two StreamIDs completing in the other order
set(TR_EXPECT "-DEXPECT_OUT=first divergence: A:13: XLATE only in A\n")
trace_cli(cli_trace_diff_order 1 diff --ignore-time ${TR_DATA}/model.trace ${TR_DATA}/model-reorder.trace)
set(TR_EXPECT "-DEXPECT_OUT=XLATE                3          3          3          0          0          0\n")
trace_cli(cli_trace_diff_reorder 0 diff --ignore-time --reorder ${TR_DATA}/model.trace ${TR_DATA}/model-reorder.trace)
set(TR_EXPECT "-DEXPECT_OUT=first divergence: A:13 vs B:14: XLATE time: 1000 vs 1100\n")
trace_cli(cli_trace_diff_reorder_time 1 diff --reorder ${TR_DATA}/model.trace ${TR_DATA}/model-reorder.trace)

# errors: exit 2 with the file and line
set(TR_EXPECT "-DEXPECT_ERR=smmusim trace diff: ${TR_DATA}/bad.trace:3:5: bad record kind 'xlate': must be [A-Z][A-Z0-9_]*\n")
trace_cli(cli_trace_diff_bad_trace 2 diff ${TR_DATA}/model.trace ${TR_DATA}/bad.trace)
set(TR_EXPECT "-DEXPECT_ERR=newer.trace:1:17: trace format version 2 is newer than this reader knows (1)")
trace_cli(cli_trace_diff_newer 2 diff ${TR_DATA}/newer.trace ${TR_DATA}/model.trace)
set(TR_EXPECT "-DEXPECT_ERR=pass.scn:1:1: not a smmusim trace: the first line is not '# smmusim-trace N'")
trace_cli(cli_trace_diff_not_trace 2 diff ${TR_DATA}/model.trace ${CMAKE_CURRENT_SOURCE_DIR}/data/scenarios/good/pass.scn)
set(TR_EXPECT "-DEXPECT_ERR=no-such.trace: No such file or directory")
trace_cli(cli_trace_diff_missing 2 diff ${TR_DATA}/model.trace no-such.trace)
set(TR_EXPECT "-DEXPECT_ERR=smmusim trace diff: give two traces, A and B\n(see 'smmusim trace diff --help')")
trace_cli(cli_trace_diff_one_file 2 diff ${TR_DATA}/model.trace)
set(TR_EXPECT "-DEXPECT_ERR=smmusim trace diff: too many traces: 'c'")
trace_cli(cli_trace_diff_three_files 2 diff a b c)
set(TR_EXPECT "-DEXPECT_ERR=smmusim trace diff: only one of A and B can be '-'")
trace_cli(cli_trace_diff_two_stdin 2 diff - -)
set(TR_EXPECT "-DEXPECT_ERR=smmusim trace diff: --max: 'x' is not a number")
trace_cli(cli_trace_diff_bad_max 2 diff --max x a b)
set(TR_EXPECT "-DEXPECT_ERR=smmusim trace diff: --only needs a value")
trace_cli(cli_trace_diff_only_no_value 2 diff a b --only)
set(TR_EXPECT "-DEXPECT_ERR=smmusim trace diff: --only: 'xlate' is not a record kind ([A-Z][A-Z0-9_]*)")
trace_cli(cli_trace_diff_bad_only 2 diff --only CMD,xlate a b)
set(TR_EXPECT "-DEXPECT_ERR=smmusim trace diff: --ignore-field: 'Oa' is not a field name ([a-z0-9_]+)")
trace_cli(cli_trace_diff_bad_field 2 diff --ignore-field Oa a b)
set(TR_EXPECT "-DEXPECT_ERR=smmusim trace diff: unknown option '--bogus'")
trace_cli(cli_trace_diff_bad_option 2 diff --bogus a b)
set(TR_EXPECT "-DEXPECT_ERR=smmusim trace: no subcommand: diff, from-qemu or to-perfetto")
trace_cli(cli_trace_no_subcommand 2)
set(TR_EXPECT "-DEXPECT_ERR=smmusim trace: unknown subcommand 'compare'")
trace_cli(cli_trace_bad_subcommand 2 compare a b)

# help: trace answers --help for itself and for each subcommand
set(TR_EXPECT "-DEXPECT_OUT=usage: smmusim trace diff [options] A B\n       smmusim trace from-qemu")
trace_cli(cli_trace_help 0 --help)
set(TR_EXPECT "-DEXPECT_OUT=  --reorder ")
trace_cli(cli_trace_diff_help 0 diff --help)
set(TR_EXPECT "-DEXPECT_OUT=usage: smmusim trace to-perfetto [-o OUT.json] TRACE\n\nWrite Chrome")
trace_cli(cli_trace_help_perfetto 0 help to-perfetto)
set(TR_EXPECT "-DEXPECT_OUT=usage: smmusim trace from-qemu")
trace_cli(cli_trace_help_qemu 0 help from-qemu)
trace_cli(cli_trace_from_qemu_dispatch_help 0 from-qemu --help)
set(TR_EXPECT "-DEXPECT_ERR=smmusim trace: unknown subcommand 'nope'")
trace_cli(cli_trace_help_bad 2 help nope)

# to-perfetto
set(TR_EXPECT "-DEXPECT_OUT=${CMAKE_CURRENT_BINARY_DIR}/cli_trace.json: 14 records: 5 slices, 8 instants, 6 counter events\n")
trace_cli(cli_trace_perfetto 0 to-perfetto -o ${CMAKE_CURRENT_BINARY_DIR}/cli_trace.json ${TR_DATA}/model.trace)
set_tests_properties(cli_trace_perfetto PROPERTIES FIXTURES_SETUP cli_trace_json)
add_test(NAME cli_trace_perfetto_json COMMAND ${CMAKE_COMMAND} -E cat ${CMAKE_CURRENT_BINARY_DIR}/cli_trace.json)
set_tests_properties(cli_trace_perfetto_json PROPERTIES FIXTURES_REQUIRED cli_trace_json PASS_REGULAR_EXPRESSION "^{\"traceEvents\":\\[\n{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":1,\"tid\":0,\"args\":{\"name\":\"trace example\"}},\n.*{\"ph\":\"X\",\"name\":\"CMD_SYNC\",\"cat\":\"CMD\",\"pid\":1,\"tid\":2,\"ts\":0.46,\"dur\":0.01,.*{\"ph\":\"X\",\"name\":\"XLATE OK\",\"cat\":\"XLATE\",\"pid\":1,\"tid\":100,\"ts\":1,\"dur\":0.2,\"args\":{\"trace line\":13,\"sid\":\"0x10\",.*\n\\],\n\"otherData\":{\"file\":\"[^\"]*model.trace\",\"clock-hz\":1000000000,\"source\":\"smmusim 0.1\",\"records\":14,\"untimed\":0}}\n$")
set(TR_EXPECT "-DEXPECT_OUT={\"traceEvents\":[\n")
trace_cli(cli_trace_perfetto_stdout 0 to-perfetto ${TR_DATA}/model.trace)
set(TR_EXPECT "-DEXPECT_ERR=smmusim trace to-perfetto: 12 records with TIME '-' not drawn")
trace_cli(cli_trace_perfetto_untimed 0 to-perfetto ${TR_DATA}/qemu.trace)
set(TR_EXPECT "-DEXPECT_ERR=smmusim trace to-perfetto: ${TR_DATA}/bad.trace:3:5: bad record kind 'xlate'")
trace_cli(cli_trace_perfetto_bad 2 to-perfetto -o ${CMAKE_CURRENT_BINARY_DIR}/cli_trace_bad.json ${TR_DATA}/bad.trace)
# the half-written output is removed
add_test(NAME cli_trace_perfetto_bad_removed COMMAND ${CMAKE_COMMAND} -E cat ${CMAKE_CURRENT_BINARY_DIR}/cli_trace_bad.json)
set_tests_properties(cli_trace_perfetto_bad PROPERTIES FIXTURES_SETUP cli_trace_bad)
set_tests_properties(cli_trace_perfetto_bad_removed PROPERTIES FIXTURES_REQUIRED cli_trace_bad WILL_FAIL TRUE)
set(TR_EXPECT "-DEXPECT_ERR=smmusim trace to-perfetto: no trace given")
trace_cli(cli_trace_perfetto_no_file 2 to-perfetto)
set(TR_EXPECT "-DEXPECT_ERR=smmusim trace to-perfetto: -o needs a value")
trace_cli(cli_trace_perfetto_no_out 2 to-perfetto ${TR_DATA}/model.trace -o)
set(TR_EXPECT "-DEXPECT_ERR=smmusim trace to-perfetto: /nonexistent/dir/x.json: No such file or directory")
trace_cli(cli_trace_perfetto_bad_out 2 to-perfetto -o /nonexistent/dir/x.json ${TR_DATA}/model.trace)
