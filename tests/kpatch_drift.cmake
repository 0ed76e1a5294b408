# The build-time drift check of kernel-patch/ catches drift: run
# kpatch_extract on a deliberately broken copy of hooks.txt and expect it
# to fail with the right message.
#   -DTOOL=kpatch_extract -DSRC=<source dir> -DOUT=<scratch dir> -DMODE=...
#   MODE ok        the real list: must pass
#   MODE unlisted  the Kconfig hook removed: an added line is unaccounted
#   MODE stale     a hook's text changed: it matches nothing in the patch
#   MODE carrier   a hook's carrier lacks its lines: the shim drifted
file(READ ${SRC}/kernel-patch/hooks.txt hooks)
string(REPLACE "shim/" "${SRC}/kernel-patch/shim/" hooks "${hooks}")
if(MODE STREQUAL "ok")
  set(expect "")
elseif(MODE STREQUAL "unlisted")
  string(REGEX REPLACE "hook drivers/vfio/Kconfig[^\n]*\n[^\n]*\nend\n" "" hooks "${hooks}")
  set(expect "neither compiled nor a listed hook")
elseif(MODE STREQUAL "stale")
  string(REPLACE "vfio_sva_detach_group(iommu, iommu_group);" "vfio_sva_detach_group(iommu, group);" hooks "${hooks}")
  set(expect "matches no added lines")
elseif(MODE STREQUAL "carrier")
  string(REPLACE "kernel-patch/shim/type1_shim.c cases of" "kernel-patch/shim/kshim.h cases of" hooks "${hooks}")
  set(expect "have drifted")
else()
  message(FATAL_ERROR "unknown MODE ${MODE}")
endif()
file(MAKE_DIRECTORY ${OUT})
file(WRITE ${OUT}/hooks-${MODE}.txt "${hooks}")
file(GLOB patches ${SRC}/kernel-patch/*.patch)
list(SORT patches)
execute_process(COMMAND ${TOOL} --hooks ${OUT}/hooks-${MODE}.txt
                        --out-c ${OUT}/gen-${MODE}.c --out-h ${OUT}/gen-${MODE}.h ${patches}
                RESULT_VARIABLE rc ERROR_VARIABLE err OUTPUT_VARIABLE out)
if(expect STREQUAL "")
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "kpatch_extract failed on the real list (${rc}):\n${err}")
  endif()
else()
  if(rc EQUAL 0)
    message(FATAL_ERROR "kpatch_extract accepted a drifted list (${MODE})")
  endif()
  string(FIND "${err}" "${expect}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "expected '${expect}' in:\n${err}")
  endif()
  if(NOT err MATCHES "hooks-${MODE}.txt:[0-9]+: |\\.patch:[0-9]+: ")
    message(FATAL_ERROR "no file:line location in:\n${err}")
  endif()
endif()
message(STATUS "${MODE}: ${err}")
