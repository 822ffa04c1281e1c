# Finds mixq's dependencies and defines the targets the project links:
#   xtensor  xsimd  xtl  fmt::fmt-header-only (and fmt::fmt)  Boost::headers
# ZLIB::ZLIB for mixq::io (the data readers: required by the tests, optional
# otherwise, and in cross builds taken only from the target's root);
# and, for tests, examples and benchmarks:
#   Catch2::Catch2  nlohmann_json::nlohmann_json  benchmark::benchmark
#
# With MIXQ_HOST_HEADERS=ON (cross builds) the header-only ones come from the
# build host's /usr/include instead: a folder of symlinks to their include
# directories is made at configure time and used as a system include path, so
# the cross compiler sees these libraries but none of the host's C headers.

if(MIXQ_HOST_HEADERS)
  set(MIXQ_HOST_INCLUDE_ROOT "/usr/include" CACHE PATH "Where the host's header-only dependencies live")
  set(_dir ${CMAKE_BINARY_DIR}/host-headers)
  file(MAKE_DIRECTORY ${_dir})
  foreach(_entry xtensor xtensor.hpp xsimd xtl fmt boost catch2 nlohmann)
    if(NOT EXISTS ${MIXQ_HOST_INCLUDE_ROOT}/${_entry})
      message(FATAL_ERROR "MIXQ_HOST_HEADERS: ${MIXQ_HOST_INCLUDE_ROOT}/${_entry} is missing; run scripts/bootstrap.sh")
    endif()
    file(CREATE_LINK ${MIXQ_HOST_INCLUDE_ROOT}/${_entry} ${_dir}/${_entry} SYMBOLIC)
  endforeach()

  function(_mixq_host_target name)
    add_library(${name} INTERFACE IMPORTED GLOBAL)
    set_target_properties(${name} PROPERTIES INTERFACE_INCLUDE_DIRECTORIES ${_dir} ${ARGN})
  endfunction()
  _mixq_host_target(xtl)
  _mixq_host_target(xsimd)
  _mixq_host_target(xtensor)
  _mixq_host_target(fmt::fmt-header-only INTERFACE_COMPILE_DEFINITIONS FMT_HEADER_ONLY=1)
  _mixq_host_target(Boost::headers)
  _mixq_host_target(Catch2::Catch2)
  _mixq_host_target(nlohmann_json::nlohmann_json)
  set(Catch2_FOUND TRUE)
  set(nlohmann_json_FOUND TRUE)
  # Catch.cmake (catch_discover_tests) ships with the host's Catch2.
  list(APPEND CMAKE_MODULE_PATH /usr/lib/cmake/Catch2)
  # zlib is compiled: only the target's own (under CMAKE_FIND_ROOT_PATH) will do.
  find_package(ZLIB)
  return()
endif()

find_package(xtl REQUIRED)
find_package(xsimd REQUIRED)
find_package(xtensor REQUIRED)
find_package(fmt REQUIRED)
find_package(Boost REQUIRED)
if(MIXQ_BUILD_TESTS OR MIXQ_BUILD_FUZZ)
  find_package(ZLIB REQUIRED)
  if(MIXQ_BUILD_TESTS)
    find_package(Catch2 2 REQUIRED)
  endif()
else()
  find_package(ZLIB)
endif()
if(MIXQ_BUILD_EXAMPLES)
  find_package(nlohmann_json 3 REQUIRED)
elseif(MIXQ_BUILD_TESTS OR MIXQ_BUILD_FUZZ)
  find_package(nlohmann_json 3)  # the fuzz targets of the tool's JSON readers
endif()
if(MIXQ_BUILD_BENCH)
  find_package(benchmark REQUIRED)
endif()
