# Builds one compile-fail target. The misuse must fail with output matching
# EXPECTED; the twin must build.
execute_process(
  COMMAND ${CMAKE_COMMAND} --build ${BUILD_DIR} --target ${TARGET}
  RESULT_VARIABLE result
  OUTPUT_VARIABLE output
  ERROR_VARIABLE output)
if(VARIANT STREQUAL "twin")
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "the corrected twin ${TARGET} does not compile:\n${output}")
  endif()
  message(STATUS "twin compiles")
else()
  if(result EQUAL 0)
    message(FATAL_ERROR "${TARGET} compiled, but the misuse it holds must not")
  endif()
  if(NOT output MATCHES "${EXPECTED}")
    message(FATAL_ERROR "${TARGET} failed, but without a message matching '${EXPECTED}':\n${output}")
  endif()
  message(STATUS "rejected with the expected message: ${CMAKE_MATCH_0}")
endif()
