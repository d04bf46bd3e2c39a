# Helpers that give every module the same shape: one library, one test binary.

# keel_module(NAME <name> SOURCES <files...> [DEPS <targets...>])
# Creates the library target keel_<name> (alias keel::<name>). The repository
# root is the include root, so headers are included as "keel/<module>/x.h".
function(keel_module)
  cmake_parse_arguments(ARG "" "NAME" "SOURCES;DEPS" ${ARGN})
  add_library(keel_${ARG_NAME} STATIC ${ARG_SOURCES})
  add_library(keel::${ARG_NAME} ALIAS keel_${ARG_NAME})
  target_include_directories(keel_${ARG_NAME} PUBLIC "${PROJECT_SOURCE_DIR}")
  target_link_libraries(keel_${ARG_NAME} PUBLIC ${ARG_DEPS})
endfunction()

# keel_test(NAME <name> SOURCES <files...> [DEPS <targets...>] [ENV <k=v...>])
# One test executable per module; each TEST becomes its own CTest case, so
# `ctest -j` spreads them over the cores.
function(keel_test)
  if(NOT KEEL_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(ARG "" "NAME" "SOURCES;DEPS;ENV" ${ARGN})
  add_executable(${ARG_NAME} ${ARG_SOURCES})
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_DEPS} GTest::gmock_main)
  target_compile_definitions(${ARG_NAME} PRIVATE
    KEEL_SOURCE_DIR="${PROJECT_SOURCE_DIR}" KEEL_BINARY_DIR="${PROJECT_BINARY_DIR}")
  gtest_discover_tests(${ARG_NAME}
    DISCOVERY_TIMEOUT 60
    PROPERTIES TIMEOUT 300 ENVIRONMENT "${ARG_ENV}")
endfunction()
