# Warning flags for mixq's own tests, examples and benchmarks (never put on
# the INTERFACE target: integrators choose their own).
option(MIXQ_WERROR "Treat warnings in mixq's own targets as errors" OFF)
add_library(mixq_warnings INTERFACE)
target_compile_options(mixq_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
  # GCC 12 reports a false -Wrestrict inside libstdc++'s std::string::insert
  # at -O3 (reached from xtensor's printer); nothing in mixq can address it.
  $<$<CXX_COMPILER_ID:GNU>:-Wno-restrict>
  $<$<BOOL:${MIXQ_WERROR}>:-Werror>)
