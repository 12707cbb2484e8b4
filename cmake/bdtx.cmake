# Build helpers: one small target per library folder, one per .proto.
#
#   bdtx_cc_library(NAME foo SRCS a.cc HDRS a.h DEPS bar absl::status)
#   bdtx_cc_binary(NAME foo SRCS main.cc DEPS bar)
#   bdtx_cc_test(NAME foo_test SRCS foo_test.cc DEPS foo [LABELS slow] [TIMEOUT 300])
#   bdtx_proto_library(NAME events_proto PROTO bdtx/v1/events.proto DEPS ... [GRPC] [ROOT dir])

# googleapis protos (google/api/annotations.proto, http.proto) from Debian's
# golang-github-gogo-googleapis-dev instead of hand copies.
find_path(BDTX_GOOGLEAPIS_PROTO_DIR google/api/annotations.proto
  PATHS /usr/share/gocode/src/github.com/gogo/googleapis NO_DEFAULT_PATH REQUIRED)

# Partial aggregate initialisation ({key}, SignOff{ONLINE}) is intended: the rest default.
set(BDTX_WARNINGS -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers)
# Clang checks the ABSL_GUARDED_BY / ABSL_EXCLUSIVE_LOCKS_REQUIRED annotations at compile
# time (GCC ignores them).
# -Wunused-private-field is clang's alone: off until plans_service.cc's unused
# UploadReactor::context_ is removed (issue 17 report), so GCC and clang agree.
if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  list(APPEND BDTX_WARNINGS -Wthread-safety -Wno-unused-private-field)
endif()
set(BDTX_SANITIZER_FLAGS)
if(BDTX_SANITIZE AND BDTX_TSAN)
  message(FATAL_ERROR "BDTX_SANITIZE (ASan+UBSan) and BDTX_TSAN cannot share a build")
endif()
if(BDTX_SANITIZE)
  set(BDTX_SANITIZER_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=undefined
                           -fno-omit-frame-pointer)
endif()
if(BDTX_TSAN)
  set(BDTX_SANITIZER_FLAGS -fsanitize=thread -fno-omit-frame-pointer)
endif()
if(BDTX_FUZZ)
  # Coverage feedback for libFuzzer in every library the targets link; clang warns
  # about things g++ does not, and the g++ build is the one that enforces -Werror.
  list(APPEND BDTX_SANITIZER_FLAGS -fsanitize=fuzzer-no-link)
  set(BDTX_WARNINGS -Wall -Wno-unused-parameter -Wno-missing-field-initializers)
endif()

function(_bdtx_common_options target)
  target_compile_options(${target} PRIVATE ${BDTX_WARNINGS} ${BDTX_SANITIZER_FLAGS})
  target_link_options(${target} PRIVATE ${BDTX_SANITIZER_FLAGS})
endfunction()

# Executables of a TSan build carry the shim that tells TSan about the (uninstrumented)
# system Abseil's locks (common/testing/tsan_absl_shim.cc).
function(_bdtx_executable_options target)
  _bdtx_common_options(${target})
  if(BDTX_TSAN)
    target_link_libraries(${target} PRIVATE bdtx_tsan_absl_shim)
  endif()
endfunction()

function(bdtx_cc_library)
  cmake_parse_arguments(ARG "" "NAME" "SRCS;HDRS;DEPS" ${ARGN})
  if(ARG_SRCS)
    add_library(${ARG_NAME} STATIC ${ARG_SRCS} ${ARG_HDRS})
    target_include_directories(${ARG_NAME} PUBLIC ${PROJECT_SOURCE_DIR})
    target_link_libraries(${ARG_NAME} PUBLIC ${ARG_DEPS})
    _bdtx_common_options(${ARG_NAME})
    if(BDTX_SANITIZE OR BDTX_TSAN)
      target_link_options(${ARG_NAME} INTERFACE ${BDTX_SANITIZER_FLAGS})
    endif()
  else()
    add_library(${ARG_NAME} INTERFACE ${ARG_HDRS})
    target_include_directories(${ARG_NAME} INTERFACE ${PROJECT_SOURCE_DIR})
    target_link_libraries(${ARG_NAME} INTERFACE ${ARG_DEPS})
  endif()
endfunction()

function(bdtx_cc_binary)
  cmake_parse_arguments(ARG "" "NAME" "SRCS;DEPS" ${ARGN})
  add_executable(${ARG_NAME} ${ARG_SRCS})
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_DEPS})
  _bdtx_executable_options(${ARG_NAME})
endfunction()

function(bdtx_cc_test)
  cmake_parse_arguments(ARG "" "NAME;TIMEOUT" "SRCS;DEPS;LABELS;DEFINES" ${ARGN})
  add_executable(${ARG_NAME} ${ARG_SRCS})
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  target_compile_definitions(${ARG_NAME} PRIVATE ${ARG_DEFINES})
  _bdtx_executable_options(${ARG_NAME})
  add_test(NAME ${ARG_NAME} COMMAND ${ARG_NAME})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  set_tests_properties(${ARG_NAME} PROPERTIES TIMEOUT ${ARG_TIMEOUT} LABELS "${ARG_LABELS}")
endfunction()

# Generates C++ for one .proto under protos/: target NAME holds the messages; with
# GRPC, target NAME_grpc adds the service stubs (so pure domain code can link the
# messages without gRPC).
function(bdtx_proto_library)
  cmake_parse_arguments(ARG "GRPC" "NAME;PROTO;ROOT" "DEPS" ${ARGN})
  if(NOT ARG_ROOT)
    set(ARG_ROOT ${PROJECT_SOURCE_DIR}/protos)
  endif()
  get_filename_component(_dir ${ARG_PROTO} DIRECTORY)
  get_filename_component(_base ${ARG_PROTO} NAME_WE)
  set(_out ${PROJECT_BINARY_DIR}/gen)
  set(_pb ${_out}/${_dir}/${_base}.pb.cc ${_out}/${_dir}/${_base}.pb.h)
  set(_grpc)
  set(_plugin_args)
  if(ARG_GRPC)
    set(_grpc ${_out}/${_dir}/${_base}.grpc.pb.cc ${_out}/${_dir}/${_base}.grpc.pb.h)
    set(_plugin_args --grpc_out=${_out} --plugin=protoc-gen-grpc=$<TARGET_FILE:gRPC::grpc_cpp_plugin>)
  endif()
  file(MAKE_DIRECTORY ${_out})
  add_custom_command(
    OUTPUT ${_pb} ${_grpc}
    COMMAND protobuf::protoc
    ARGS --cpp_out=${_out} ${_plugin_args} -I${PROJECT_SOURCE_DIR}/protos
         -I${BDTX_GOOGLEAPIS_PROTO_DIR} ${ARG_ROOT}/${ARG_PROTO}
    DEPENDS ${ARG_ROOT}/${ARG_PROTO} protobuf::protoc
    COMMENT "protoc ${ARG_PROTO}")
  add_library(${ARG_NAME} STATIC ${_pb})
  target_include_directories(${ARG_NAME} PUBLIC ${_out})
  target_link_libraries(${ARG_NAME} PUBLIC protobuf::libprotobuf ${ARG_DEPS})
  target_compile_options(${ARG_NAME} PRIVATE ${BDTX_SANITIZER_FLAGS})
  if(ARG_GRPC)
    add_library(${ARG_NAME}_grpc STATIC ${_grpc})
    target_link_libraries(${ARG_NAME}_grpc PUBLIC ${ARG_NAME} gRPC::grpc++)
    target_compile_options(${ARG_NAME}_grpc PRIVATE ${BDTX_SANITIZER_FLAGS})
  endif()
endfunction()
