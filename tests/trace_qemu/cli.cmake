# smmusim trace from-qemu (docs/trace-format.md, "Converting QEMU logs").
# Included from tests/CMakeLists.txt: CMAKE_CURRENT_SOURCE_DIR is tests/.
# Data: tests/data/trace_qemu/ (qemu-7.2.log without timestamps,
# qemu-9.1-timestamps.log with TID@SEC.USEC prefixes, qemu-iso8601.log
# with the ISO 8601 prefixes of QEMU after 10.0, bad-event.log (line 3 does not parse),
# truncated.log (its last line is cut), garbage.bin).
set(TQ_DATA ${CMAKE_CURRENT_SOURCE_DIR}/data/trace_qemu)
set(TQ_EXPECT ${CMAKE_CURRENT_SOURCE_DIR}/expect_exit.cmake)
macro(trace_qemu_cli name rc)
  add_test(NAME ${name} COMMAND ${CMAKE_COMMAND} "-DCMD=$<TARGET_FILE:smmusim_cli>;trace;from-qemu;${ARGN}" -DEXPECT_RC=${rc} ${TQ_ARGS} -P ${TQ_EXPECT})
endmacro()

set(TQ_ARGS "-DEXPECT_OUT=# smmusim-trace 1\n# source: qemu\n# clock-hz: 1000000000\n- MMIO_R off=0x0 reg=IDR0 size=4 val=0xd40101a\n")
trace_qemu_cli(cli_trace_qemu_72_header 0 ${TQ_DATA}/qemu-7.2.log)
set(TQ_ARGS "-DEXPECT_OUT=- MMIO_W off=0x98 reg=CMDQ_PROD size=4 val=0x3\n- CMD idx=0 op=CMD_CFGI_STE sid=0x8\n- CMD idx=1 op=CMD_TLBI_NH_VA asid=0x1 vmid=0x0 addr=0x7f0000001000\n- CMD idx=2 op=CMD_SYNC\n- IRQ src=CMD_SYNC\n- MMIO_R off=0x9c reg=CMDQ_CONS size=4 val=0x3\n")
trace_qemu_cli(cli_trace_qemu_72_commands 0 ${TQ_DATA}/qemu-7.2.log)
set(TQ_ARGS "-DEXPECT_OUT=- EVT type=F_TRANSLATION sid=0x8\n- IRQ src=EVTQ\n- XLATE sid=0x8 iova=0x7f0000009000 result=ABORT oa=- perm=--- event=F_TRANSLATION\n- MMIO_R off=0x100a8 reg=EVENTQ_PROD size=4 val=0x1\n- MMIO_W off=0x98 reg=CMDQ_PROD size=4 val=0x4\n- CMD idx=3 op=CMD_0x0f\n- CMD_ERR idx=3 op=CMD_0x0f cerror=CERROR_ILL\n- GERROR bit=CMDQ_ERR\n")
trace_qemu_cli(cli_trace_qemu_72_fault 0 ${TQ_DATA}/qemu-7.2.log)
# -v: the counts and the skipped events by name, on stderr
set(TQ_ARGS "-DEXPECT_ERR=qemu-7.2.log: 59 lines: 54 trace events (39 converted, 15 skipped), 5 other lines; 33 records\nskipped events:\n  smmu_add_mr 2\n  smmu_iotlb_inv_iova 1\n  smmuv3_cmdq_consume_out 4\n")
trace_qemu_cli(cli_trace_qemu_72_verbose 0 -v ${TQ_DATA}/qemu-7.2.log)

# timestamps, -o, --clock-hz 1 MHz (a cycle per microsecond)
set(TQ_ARGS "-DEXPECT_ERR=qemu-9.1-timestamps.log: 1 timestamps went backwards; TIME held at the previous value")
trace_qemu_cli(cli_trace_qemu_91 0 -o ${CMAKE_CURRENT_BINARY_DIR}/trace_qemu_91.trace --clock-hz 1000000 ${TQ_DATA}/qemu-9.1-timestamps.log)
set_tests_properties(cli_trace_qemu_91 PROPERTIES FIXTURES_SETUP trace_qemu_91)
add_test(NAME cli_trace_qemu_91_file COMMAND ${CMAKE_COMMAND} -E cat ${CMAKE_CURRENT_BINARY_DIR}/trace_qemu_91.trace)
set_tests_properties(cli_trace_qemu_91_file PROPERTIES FIXTURES_REQUIRED trace_qemu_91 PASS_REGULAR_EXPRESSION "^# smmusim-trace 1\n# source: qemu\n# clock-hz: 1000000\n0 XLATE sid=0x0 iova=0x40001000 result=OK oa=0x40001000 event=-\n.*\n150 MMIO_W off=0x20 reg=CR0 size=4 val=0xd\n901 MMIO_W off=0x98 reg=CMDQ_PROD size=4 val=0x8\n901 CMD idx=0 op=CMD_CFGI_STE_RANGE sid=0x0\n.*\n915 CMD idx=4 op=CMD_TLBI_NH_VA asid=0x5 vmid=0x3 addr=0x7f0000003000\n.*\n1900 MMIO_R off=0x9c reg=CMDQ_CONS size=4 val=0x8\n.*\n4901 CMD_ERR idx=8 op=- cerror=CERROR_ABT\n4902 GERROR bit=CMDQ_ERR\n4903 IRQ src=GERROR\n$")
set(TQ_ARGS "-DEXPECT_OUT=18991910202000 MMIO_R off=0x9c reg=CMDQ_CONS size=4 val=0x0\n18991910204000 XLATE sid=0x8 iova=0x2000 result=ABORT oa=- perm=---\n")
trace_qemu_cli(cli_trace_qemu_iso 0 ${TQ_DATA}/qemu-iso8601.log)

# errors
set(TQ_ARGS "-DEXPECT_ERR=smmusim trace from-qemu: ${TQ_DATA}/bad-event.log:3: smmuv3_translate_success: cannot parse 'translated'")
trace_qemu_cli(cli_trace_qemu_bad_event 2 ${TQ_DATA}/bad-event.log)
# the partial output is removed
set(TQ_ARGS "-DEXPECT_ERR=cannot parse 'translated'")
trace_qemu_cli(cli_trace_qemu_bad_event_out 2 -o ${CMAKE_CURRENT_BINARY_DIR}/trace_qemu_bad.trace ${TQ_DATA}/bad-event.log)
set_tests_properties(cli_trace_qemu_bad_event_out PROPERTIES FIXTURES_SETUP trace_qemu_bad)
add_test(NAME cli_trace_qemu_bad_event_no_file COMMAND ${CMAKE_COMMAND} -E cat ${CMAKE_CURRENT_BINARY_DIR}/trace_qemu_bad.trace)
set_tests_properties(cli_trace_qemu_bad_event_no_file PROPERTIES FIXTURES_REQUIRED trace_qemu_bad WILL_FAIL TRUE)
set(TQ_ARGS "-DEXPECT_OUT=- MMIO_R off=0x24 reg=CR0ACK size=4 val=0xd\n" "-DEXPECT_ERR=smmusim trace from-qemu: warning: ${TQ_DATA}/truncated.log:3: smmuv3_write_mmio: cannot parse 'size' (truncated last line, skipped)")
trace_qemu_cli(cli_trace_qemu_truncated 0 ${TQ_DATA}/truncated.log)
set(TQ_ARGS "-DEXPECT_ERR=smmusim trace from-qemu: ${TQ_DATA}/garbage.bin: no QEMU trace events found")
trace_qemu_cli(cli_trace_qemu_garbage 2 ${TQ_DATA}/garbage.bin)
set(TQ_ARGS "-DEXPECT_ERR=smmusim trace from-qemu: no-such.log: No such file or directory")
trace_qemu_cli(cli_trace_qemu_missing 2 no-such.log)
set(TQ_ARGS "-DEXPECT_ERR=no-such-dir/out.trace: No such file or directory")
trace_qemu_cli(cli_trace_qemu_bad_out 2 -o ${CMAKE_CURRENT_BINARY_DIR}/no-such-dir/out.trace ${TQ_DATA}/qemu-7.2.log)
set(TQ_ARGS "-DEXPECT_ERR=no QEMU log given")
trace_qemu_cli(cli_trace_qemu_no_log 2 -v)
set(TQ_ARGS "-DEXPECT_ERR=unknown option '--bogus'")
trace_qemu_cli(cli_trace_qemu_bad_option 2 --bogus ${TQ_DATA}/qemu-7.2.log)
set(TQ_ARGS "-DEXPECT_ERR=more than one LOG: 'b.log'")
trace_qemu_cli(cli_trace_qemu_two_logs 2 a.log b.log)
set(TQ_ARGS "-DEXPECT_ERR=--clock-hz: '0' is not between 1 and 1000000000000")
trace_qemu_cli(cli_trace_qemu_bad_clock 2 --clock-hz 0 ${TQ_DATA}/qemu-7.2.log)
set(TQ_ARGS "-DEXPECT_ERR=--clock-hz: '1e9' is not a number")
trace_qemu_cli(cli_trace_qemu_clock_nan 2 --clock-hz 1e9 ${TQ_DATA}/qemu-7.2.log)
set(TQ_ARGS "-DEXPECT_ERR=-o needs a value")
trace_qemu_cli(cli_trace_qemu_o_no_value 2 ${TQ_DATA}/qemu-7.2.log -o)
# (main.c answers "smmusim trace from-qemu --help" with the trace usage)
add_test(NAME cli_trace_qemu_help COMMAND ${CMAKE_COMMAND} "-DCMD=$<TARGET_FILE:smmusim_cli>;trace;help;from-qemu" -DEXPECT_RC=0 "-DEXPECT_OUT=usage: smmusim trace from-qemu [-o OUT] [-v] [--clock-hz HZ] LOG\n" -P ${TQ_EXPECT})
unset(TQ_ARGS)
