# Install the build into a scratch prefix, then build examples/ with the
# installed pkg-config file only (no access to the source tree's headers).
set(prefix ${BUILD_DIR}/install-test)
file(REMOVE_RECURSE ${prefix})
execute_process(COMMAND ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix}
                RESULT_VARIABLE rc OUTPUT_QUIET)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cmake --install failed: ${rc}")
endif()
set(ENV{PKG_CONFIG_PATH} "${prefix}/lib/pkgconfig:${prefix}/lib/x86_64-linux-gnu/pkgconfig")
execute_process(COMMAND make -s -C ${SRC_DIR}/examples CC=${C_COMPILER} O=${prefix}/example
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "building the example failed:\n${out}\n${err}")
endif()
execute_process(COMMAND ${prefix}/example/hello_smmusim RESULT_VARIABLE rc OUTPUT_VARIABLE out)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "example exited ${rc}:\n${out}")
endif()
string(FIND "${out}" "read back 0x1122334455667788" pos)
if(pos EQUAL -1)
  message(FATAL_ERROR "unexpected example output:\n${out}")
endif()
message(STATUS "${out}")
