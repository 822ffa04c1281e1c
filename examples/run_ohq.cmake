cmake_minimum_required(VERSION 3.25)
# The quick start's main job: `mixq ohq` on a committed network, its JSON
# report and files in OUT, then the human-readable summary on the terminal.
#   TOOL the mixq tool; MODEL, DATA, OUT; BUDGET (e.g. size=0.5 or latency=0.8)
file(MAKE_DIRECTORY "${OUT}")
message(STATUS "mixq ohq ${MODEL} --data ${DATA} --budget ${BUDGET} --out ${OUT} (about a minute)")
execute_process(COMMAND "${TOOL}" ohq "${MODEL}" --data "${DATA}" --budget "${BUDGET}" --out "${OUT}" --progress
                OUTPUT_FILE "${OUT}/ohq.json" RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "mixq ohq failed (exit code ${result}); see the message above")
endif()
# The report up to the sweep: the FP32 / INT8 / OHQ table and the plan.
file(READ "${OUT}/report.md" report)
string(FIND "${report}" "## Sweep" sweep)
if(sweep GREATER 0)
  string(SUBSTRING "${report}" 0 ${sweep} report)
endif()
message("\n${report}Written to ${OUT}: ohq.json (the command's output), report.md, plan.json, table.json, report.json, plot.svg")
