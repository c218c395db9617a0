# A quicker cold sanitizer build on the shared 2-core machine (a CMake project include):
#   cmake -S . -B build-tsan -G Ninja -DGATEHOUSE_TSAN=ON -DGATEHOUSE_PCH=ON -DGATEHOUSE_WERROR=ON \
#     -DCMAKE_PROJECT_INCLUDE=$PWD/scripts/sanitizer_quick.cmake && ninja -C build-tsan -j2 gatehouse proxy_unit_tests
# (or -DGATEHOUSE_ASAN=ON into build-asan). The parser and the sources matching
# GATEHOUSE_SAN_PLAIN (default acme/, src/handlers, src/templates) are compiled with the plain
# build's exact flags (no sanitizer, no PCH), so they come from ccache; every other file of
# gatehouse_runtime is instrumented at -O1 -g1 with PCH. About 200 instrumented objects: ~25 min
# at -j2 under the usual load, instead of hours. Uninstrumented code is not checked, and for
# TSan a shared_ptr released there hides its atomics: a report whose other side is in such a
# file is a false positive until an instrumented build repeats it (scripts/tsan_files.txt,
# README "Tests" on sanitizers). `proxy_unit_tests`: only tests/unit/proxy, as one binary.
if(NOT DEFINED GATEHOUSE_SAN_PLAIN)
  set(GATEHOUSE_SAN_PLAIN "/acme/|/src/templates/|/src/handlers/")
endif()

function(gatehouse_san_quick)
  get_target_property(opts gatehouse_parser COMPILE_OPTIONS)
  list(FILTER opts EXCLUDE REGEX "^-fsanitize|^-fno-sanitize|^-fno-omit-frame-pointer")
  set_target_properties(gatehouse_parser PROPERTIES COMPILE_OPTIONS "${opts}" PRECOMPILE_HEADERS "")
  get_target_property(srcs gatehouse_runtime SOURCES)
  set(plain)
  set(instrumented)
  foreach(s ${srcs})
    if(s MATCHES "${GATEHOUSE_SAN_PLAIN}")
      list(APPEND plain ${s})
    else()
      list(APPEND instrumented ${s})
    endif()
  endforeach()
  add_library(gatehouse_plain OBJECT ${plain})
  foreach(p INCLUDE_DIRECTORIES COMPILE_DEFINITIONS LINK_LIBRARIES)
    get_target_property(v gatehouse_runtime ${p})
    set_target_properties(gatehouse_plain PROPERTIES ${p} "${v}")
  endforeach()
  set_target_properties(gatehouse_plain PROPERTIES COMPILE_OPTIONS "${opts}")
  set_target_properties(gatehouse_runtime PROPERTIES SOURCES "${instrumented};$<TARGET_OBJECTS:gatehouse_plain>")
  target_compile_options(gatehouse_runtime PRIVATE -O1 -g1)
  target_compile_options(gatehouse PRIVATE -O1 -g1)

  find_package(Catch2 2 REQUIRED)
  file(GLOB tests ${CMAKE_SOURCE_DIR}/tests/unit/proxy/*_test.cpp)
  add_executable(proxy_unit_tests ${CMAKE_SOURCE_DIR}/tests/unit/main.cpp ${tests})
  target_link_libraries(proxy_unit_tests PRIVATE gatehouse_runtime Catch2::Catch2)
  target_include_directories(proxy_unit_tests PRIVATE ${CMAKE_SOURCE_DIR}/src ${CMAKE_SOURCE_DIR}/parser
                                                      ${CMAKE_SOURCE_DIR}/acme)
  target_compile_definitions(proxy_unit_tests PRIVATE GATEHOUSE_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
  target_compile_options(proxy_unit_tests PRIVATE -O1 -g1)
endfunction()
cmake_language(DEFER DIRECTORY ${CMAKE_SOURCE_DIR} CALL gatehouse_san_quick)
