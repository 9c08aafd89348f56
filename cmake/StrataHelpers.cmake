# Small helpers shared by every folder's CMakeLists.txt.

# st_add_test(NAME SOURCES... [LIBS libs...])
# Builds a Check test executable from SOURCES plus tests/lib and registers it with
# ctest under NAME. Check's fork mode and per-test timeouts stay on.
function(st_add_test name)
  cmake_parse_arguments(T "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE st_testlib ${T_LIBS} PkgConfig::CHECK)
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES
    ENVIRONMENT "ST_BUILD_DIR=${CMAKE_BINARY_DIR};ST_SOURCE_DIR=${CMAKE_SOURCE_DIR}"
    TIMEOUT 600)
endfunction()

# st_add_fuzzer(NAME SOURCES... LIBS ...): a libFuzzer target (STRATA_FUZZ=ON only).
function(st_add_fuzzer name)
  cmake_parse_arguments(F "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${F_SOURCES})
  target_link_libraries(${name} PRIVATE ${F_LIBS})
  target_link_options(${name} PRIVATE -fsanitize=fuzzer)
endfunction()
