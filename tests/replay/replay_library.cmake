# Every bundled scenario, run with a replay log (--trace --trace-mem), then
# replayed into a fresh model: every register read must match and every
# record the model writes must agree with the log (--check-outputs).
# -DSMMUSIM=path -DLIBRARY=dir -DWORK=dir
file(GLOB_RECURSE scns ${LIBRARY}/*.scn)
list(SORT scns)
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
set(n 0)
foreach(scn IN LISTS scns)
  math(EXPR n "${n} + 1")
  set(log ${WORK}/${n})
  execute_process(COMMAND ${SMMUSIM} run --trace ${log} --trace-mem ${scn}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${scn}: run exit ${rc}\n${out}${err}")
  endif()
  if(IS_DIRECTORY ${log})
    file(GLOB logs ${log}/*.trace)
  else()
    set(logs ${log})
  endif()
  foreach(l IN LISTS logs)
    execute_process(COMMAND ${SMMUSIM} replay --check-outputs ${l}
                    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
    if(NOT rc EQUAL 0 OR NOT out MATCHES "; 0 mismatches\n" OR NOT out MATCHES "traces agree")
      message(FATAL_ERROR "${scn} (${l}): replay exit ${rc}\n${out}${err}")
    endif()
  endforeach()
endforeach()
message(STATUS "${n} scenario files replayed, every read and record agreed")
