# The layering rule, checked (run by ctest as services_meet_only_through_protos_and_common):
# a file under services/A/ never includes services/B/, and a CMakeLists.txt under
# services/A/ never links a target of services/B/ (B_*, bdtx-B). Services meet only
# through protos/ and common/ (docs/architecture.md). Tests under tests/ and bench/ may
# reach into any service.
#
#   cmake -DROOT=<source dir> -P cmake/check_layering.cmake
if(NOT ROOT)
  message(FATAL_ERROR "usage: cmake -DROOT=<source dir> -P check_layering.cmake")
endif()

file(GLOB _entries RELATIVE ${ROOT}/services ${ROOT}/services/*)
set(_services)
foreach(_e ${_entries})
  if(IS_DIRECTORY ${ROOT}/services/${_e})
    list(APPEND _services ${_e})
  endif()
endforeach()
list(LENGTH _services _count)
if(_count LESS 2)
  message(FATAL_ERROR "found ${_count} service folders under ${ROOT}/services: wrong ROOT?")
endif()

set(_violations)
set(_checked 0)
foreach(_a ${_services})
  file(GLOB_RECURSE _sources ${ROOT}/services/${_a}/*.h ${ROOT}/services/${_a}/*.cc
       ${ROOT}/services/${_a}/*.proto)
  foreach(_f ${_sources})
    math(EXPR _checked "${_checked} + 1")
    file(STRINGS ${_f} _includes REGEX "^[ \t]*#[ \t]*(include|import)[ \t]*[\"<]services/")
    foreach(_line ${_includes})
      string(REGEX REPLACE ".*[\"<]services/([^/\">]+)/.*" "\\1" _b "${_line}")
      if(NOT _b STREQUAL _a)
        file(RELATIVE_PATH _rel ${ROOT} ${_f})
        list(APPEND _violations "${_rel}: ${_line}")
      endif()
    endforeach()
  endforeach()
  file(GLOB_RECURSE _cmakes ${ROOT}/services/${_a}/CMakeLists.txt)
  foreach(_f ${_cmakes})
    file(READ ${_f} _text)
    foreach(_b ${_services})
      if(_b STREQUAL _a)
        continue()
      endif()
      # A target of B: "B_something" or "bdtx-B" as a whole word (bdtx_B_proto is the
      # shared proto target, which is allowed).
      if(_text MATCHES "(^|[ \t\n(])(${_b}_[A-Za-z0-9_]+|bdtx-${_b})([ \t\n)]|$)")
        file(RELATIVE_PATH _rel ${ROOT} ${_f})
        list(APPEND _violations "${_rel}: links ${CMAKE_MATCH_2} of services/${_b}")
      endif()
    endforeach()
  endforeach()
endforeach()

if(_violations)
  list(JOIN _violations "\n  " _text)
  message(FATAL_ERROR "services must meet only through protos/ and common/; move the shared "
                      "code to common/ (or the test to tests/):\n  ${_text}")
endif()
message(STATUS "layering: ${_checked} files in ${_count} services, none reaches into another")
