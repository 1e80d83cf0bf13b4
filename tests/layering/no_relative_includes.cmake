# Fails when a C file of the service or the simulators includes a header by a relative path
# (#include "../x.h" or "./x.h"), which the per-layer include views cannot see (see
# tests/layering/CMakeLists.txt).
file(GLOB_RECURSE files ${ROOT}/lib/*.[ch] ${ROOT}/api/*.[ch] ${ROOT}/adapters/*.[ch]
     ${ROOT}/cmd/*.[ch])
set(bad "")
foreach(f ${files})
  file(STRINGS ${f} lines REGEX "^[ \t]*#[ \t]*include[ \t]*\"[.][.]?/")
  if(lines)
    list(APPEND bad "${f}: ${lines}")
  endif()
endforeach()
if(bad)
  string(REPLACE ";" "\n" bad "${bad}")
  message(FATAL_ERROR "relative includes pass the layer views:\n${bad}")
endif()
message(STATUS "no relative includes in ${ROOT}")
