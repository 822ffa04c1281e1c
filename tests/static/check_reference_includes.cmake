# Fails when a header of include/mixq/kernels/reference/ includes, directly or
# through other mixq headers, a SIMD header or a mixq header other than
# core/, storage/, config.hpp, kernels/args.hpp and the reference headers
# themselves: the scalar twins must not depend on the SIMD code they check.
#   cmake -D INCLUDE_DIR=<include> -P check_reference_includes.cmake
cmake_minimum_required(VERSION 3.25)
file(GLOB queue RELATIVE ${INCLUDE_DIR} ${INCLUDE_DIR}/mixq/kernels/reference/*.hpp)
set(seen)
set(bad)
while(queue)
  list(POP_FRONT queue header)
  if(header IN_LIST seen)
    continue()
  endif()
  list(APPEND seen ${header})
  file(STRINGS ${INCLUDE_DIR}/${header} lines REGEX "^#include <")
  foreach(line IN LISTS lines)
    string(REGEX REPLACE "^#include <([^>]+)>.*" "\\1" included "${line}")
    if(included MATCHES "^mixq/(core/|storage/|config\\.hpp$|kernels/args\\.hpp$|kernels/reference/)")
      list(APPEND queue ${included})
    elseif(included MATCHES "^mixq/" OR included MATCHES "^xsimd/" OR included MATCHES "(intrin|arm_neon|cpuid)\\.h$")
      list(APPEND bad "${header} includes <${included}>")
    endif()
  endforeach()
endwhile()
if(bad)
  list(JOIN bad "\n  " message)
  message(FATAL_ERROR "kernels/reference/ must depend only on the standard library, core/, storage/ and "
                      "kernels/args.hpp:\n  ${message}")
endif()
list(LENGTH seen count)
message(STATUS "kernels/reference/ stands alone (${count} headers checked)")
