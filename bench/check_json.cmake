# Smoke check of a benchmark program (never of its speed): run
#   ${PROG} --quick
# and require exit status 0, an empty stderr, and a stdout of JSON objects,
# one per line, each with a string "name", numbers "ns_per_op" and "ops",
# a string "preset" and "quick": true. With -DNAMES=a;b;c the names must
# be exactly those, in that order.
#
#   cmake -DPROG=path -DNAMES="a;b" -P check_json.cmake
if(NOT DEFINED PROG)
  message(FATAL_ERROR "check_json.cmake: -DPROG=path is required")
endif()
execute_process(COMMAND ${PROG} --quick
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${PROG} --quick: exit status ${rc}\nstdout:\n${out}\nstderr:\n${err}")
endif()
if(NOT err STREQUAL "")
  message(FATAL_ERROR "${PROG} --quick wrote to stderr:\n${err}")
endif()

# Lines of stdout; a JSON object never holds ';' here, but escape it anyway.
string(REPLACE ";" "\\;" out "${out}")
string(REPLACE "\n" ";" lines "${out}")
set(seen "")
set(lineno 0)
foreach(line IN LISTS lines)
  math(EXPR lineno "${lineno} + 1")
  if(line STREQUAL "")
    continue()
  endif()
  string(JSON type ERROR_VARIABLE jerr TYPE "${line}")
  if(jerr OR NOT type STREQUAL "OBJECT")
    message(FATAL_ERROR "line ${lineno}: not a JSON object (${jerr}): ${line}")
  endif()
  foreach(field_type IN ITEMS name:STRING ns_per_op:NUMBER ops:NUMBER preset:STRING quick:BOOLEAN)
    string(REPLACE ":" ";" ft "${field_type}")
    list(GET ft 0 field)
    list(GET ft 1 want)
    string(JSON got ERROR_VARIABLE jerr TYPE "${line}" ${field})
    if(jerr OR NOT got STREQUAL want)
      message(FATAL_ERROR "line ${lineno}: \"${field}\" should be a ${want}: ${line}")
    endif()
  endforeach()
  string(JSON quick GET "${line}" quick)
  if(NOT quick STREQUAL "ON")
    message(FATAL_ERROR "line ${lineno}: \"quick\" should be true: ${line}")
  endif()
  string(JSON ns GET "${line}" ns_per_op)
  if(ns MATCHES "^-")
    message(FATAL_ERROR "line ${lineno}: negative ns_per_op: ${line}")
  endif()
  string(JSON name GET "${line}" name)
  list(APPEND seen "${name}")
endforeach()

if(seen STREQUAL "")
  message(FATAL_ERROR "${PROG} --quick printed no result")
endif()
if(DEFINED NAMES AND NOT seen STREQUAL NAMES)
  message(FATAL_ERROR "results: '${seen}', expected '${NAMES}'")
endif()
list(LENGTH seen n)
message(STATUS "ok: ${n} results: ${seen}")
