# Fails if the store's test program has a test path that tests/sql/CMakeLists.txt does not
# register with ctest (a test nobody runs is worse than none).
cmake_minimum_required(VERSION 3.25)
execute_process(COMMAND "${PROGRAM}" -l OUTPUT_VARIABLE listed RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${PROGRAM} -l failed (${rc})")
endif()
string(REGEX MATCHALL "/sql/[^\n]+" paths "${listed}")
foreach(p IN LISTS paths)
  string(REGEX REPLACE "^/sql/" "" p "${p}")
  if(NOT p IN_LIST EXPECTED)
    message(FATAL_ERROR "test /sql/${p} is not registered in tests/sql/CMakeLists.txt")
  endif()
endforeach()
