cmake_minimum_required(VERSION 3.25)
# Runs the mixq tool once and checks its exit code and output.
#   TOOL      the tool; EMULATOR (|-separated) runs it in cross builds
#   ARGS      |-separated arguments; INPUT a file for stdin
#   EXIT      expected exit code
#   STDOUT, STDERR   |-separated pieces of text each stream must contain
string(REPLACE "|" ";" args "${ARGS}")
string(REPLACE "|" ";" emulator "${EMULATOR}")
set(input_option)
if(INPUT)
  set(input_option INPUT_FILE "${INPUT}")
endif()
execute_process(COMMAND ${emulator} ${TOOL} ${args} ${input_option}
                RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE err)
set(report "exit code ${result}\n--- stdout\n${out}\n--- stderr\n${err}")
if(NOT result STREQUAL "${EXIT}")
  message(FATAL_ERROR "expected exit code ${EXIT}; ${report}")
endif()
foreach(stream STDOUT STDERR)
  if(stream STREQUAL "STDOUT")
    set(text "${out}")
  else()
    set(text "${err}")
  endif()
  string(REPLACE "|" ";" pieces "${${stream}}")
  foreach(piece IN LISTS pieces)
    string(FIND "${text}" "${piece}" at)
    if(at EQUAL -1)
      message(FATAL_ERROR "expected ${stream} to contain '${piece}'; ${report}")
    endif()
  endforeach()
endforeach()
