# mixq::io: the data readers in include/mixq/io (MIXQ_IO_HEADERS, listed in CMakeLists.txt).
# Header-only like mixq::mixq, but gzip-compressed files need zlib, so they
# live behind their own target and export set: a consumer without zlib still
# gets mixq::mixq (cmake/mixqConfig.cmake.in).
#
# Defines mixq_io / mixq::io when zlib is found for the target (a cross build
# without the target's zlib goes without it).

if(NOT ZLIB_FOUND)
  message(STATUS "mixq: zlib not found for this target; mixq::io (the data readers) is not defined")
  return()
endif()

add_library(mixq_io INTERFACE)
add_library(mixq::io ALIAS mixq_io)
set_target_properties(mixq_io PROPERTIES EXPORT_NAME io)
target_sources(mixq_io INTERFACE
  FILE_SET HEADERS BASE_DIRS include FILES ${MIXQ_IO_HEADERS})
target_link_libraries(mixq_io INTERFACE mixq::mixq ZLIB::ZLIB)

install(TARGETS mixq_io EXPORT mixqIoTargets FILE_SET HEADERS)
install(EXPORT mixqIoTargets NAMESPACE mixq:: DESTINATION ${CMAKE_INSTALL_DATADIR}/cmake/mixq)
