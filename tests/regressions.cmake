# Regression inputs for the planted-bug providers (corpus/regressions/*.ops).
#
# Each file starts with two comment lines:
#   # expect: <finding kind>|none
#   # provider: <provider name>
# and gets two tests, labelled fuzz-replay:
#   regress.<name>                  the provider gives exactly that first finding
#                                   (or none);
#   regress.<name>.reference-clean  the reference provider gives no finding.
# Included from tests/CMakeLists.txt.
find_package(Python3 COMPONENTS Interpreter REQUIRED)

file(GLOB shmf_regression_inputs CONFIGURE_DEPENDS
     "${PROJECT_SOURCE_DIR}/corpus/regressions/*.ops")
list(SORT shmf_regression_inputs)

set(shmf_expect_finding "${CMAKE_CURRENT_LIST_DIR}/expect_finding.py")

foreach(input ${shmf_regression_inputs})
  get_filename_component(name "${input}" NAME_WE)
  file(STRINGS "${input}" expect_line REGEX "^#[ \t]*expect:" LIMIT_COUNT 1)
  file(STRINGS "${input}" provider_line REGEX "^#[ \t]*provider:" LIMIT_COUNT 1)
  string(REGEX REPLACE "^#[ \t]*expect:[ \t]*([^ \t]*).*$" "\\1" expected "${expect_line}")
  string(REGEX REPLACE "^#[ \t]*provider:[ \t]*([^ \t]*).*$" "\\1" provider "${provider_line}")
  if(NOT expect_line OR NOT provider_line OR expected STREQUAL "" OR provider STREQUAL "")
    message(FATAL_ERROR "${input}: needs '# expect: <kind>|none' and '# provider: <name>' lines")
  endif()

  add_test(NAME regress.${name}
           COMMAND Python3::Interpreter ${shmf_expect_finding}
                   $<TARGET_FILE:shmfuzz> ${provider} ${input} ${expected})
  add_test(NAME regress.${name}.reference-clean
           COMMAND Python3::Interpreter ${shmf_expect_finding}
                   $<TARGET_FILE:shmfuzz> reference ${input} none)
  set_tests_properties(regress.${name} regress.${name}.reference-clean
                       PROPERTIES LABELS fuzz-replay TIMEOUT 60)
endforeach()
