# mixq::onnx: ONNX import and export (include/mixq/io/onnx*.hpp,
# MIXQ_ONNX_HEADERS, listed in CMakeLists.txt). Header-only like mixq::mixq,
# but protobuf messages need Debian's libonnx and libprotobuf, so they live
# behind their own target and export set: a consumer without them still gets
# mixq::mixq (cmake/mixqConfig.cmake.in).
#
# Defines mixq_onnx / mixq::onnx when both are found for the target (the
# cross build goes without). Protobuf first: ONNX's targets refer to its
# protobuf::libprotobuf.

find_package(Protobuf QUIET)
if(Protobuf_FOUND)
  find_package(ONNX QUIET)
endif()
if(NOT (Protobuf_FOUND AND ONNX_FOUND AND TARGET onnx_proto))
  message(STATUS "mixq: libonnx or protobuf not found for this target; mixq::onnx (ONNX import and export) is not defined")
  return()
endif()

add_library(mixq_onnx INTERFACE)
add_library(mixq::onnx ALIAS mixq_onnx)
set_target_properties(mixq_onnx PROPERTIES EXPORT_NAME onnx)
target_sources(mixq_onnx INTERFACE
  FILE_SET HEADERS BASE_DIRS include FILES ${MIXQ_ONNX_HEADERS})
# onnx_proto brings ONNX_NAMESPACE=onnx and ONNX_ML=1, which its headers need.
target_link_libraries(mixq_onnx INTERFACE mixq::mixq onnx_proto protobuf::libprotobuf)

install(TARGETS mixq_onnx EXPORT mixqOnnxTargets FILE_SET HEADERS)
install(EXPORT mixqOnnxTargets NAMESPACE mixq:: DESTINATION ${CMAKE_INSTALL_DATADIR}/cmake/mixq)
