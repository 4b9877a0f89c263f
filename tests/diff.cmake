# Differential mode (docs/differential.md), label `diff` (plus `unit` for the
# fast ones).  Included from tests/CMakeLists.txt.
#
#   test_diff                     the observer, the comparison, rules and counters
#   diff.<input>                  each corpus/differential/*.ops: --against gives
#                                 its expected divergence (or none), with
#                                 finding.json's differential object, and single-
#                                 provider replays find nothing
#   diff.clean.<provider>         the reference and the independent providers
#                                 against the reference over every seed and
#                                 regression input: no divergence (shipped rules)
#   diff.minimize                 minimize --against keeps the divergence
#   diff.bad_rules                a broken rules file: exit 2, FILE:LINE: reason
find_package(Python3 COMPONENTS Interpreter REQUIRED)

set(shmf_diff_rules ${PROJECT_SOURCE_DIR}/corpus/differential/reference.rules)
set(shmf_diff_providers reference alt_pfvport alt_small gaps_length_zero gaps_usage_range
    gaps_vport_ignored gaps_quota_short buggy_double_free)

add_executable(test_diff diff/test_diff.c)
target_link_libraries(test_diff PRIVATE shmf_harness PkgConfig::CMOCKA)
target_include_directories(test_diff PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
shmf_link_runtime_whole(test_diff)
foreach(p ${shmf_diff_providers})
  add_dependencies(test_diff shmfprov_${p})
endforeach()
target_compile_definitions(test_diff PRIVATE
    "SHMF_TEST_PROVIDER_DIR=\"${PROJECT_BINARY_DIR}/providers\""
    "SHMF_TEST_RULES=\"${shmf_diff_rules}\"")
add_test(NAME test_diff COMMAND test_diff)
set_tests_properties(test_diff PROPERTIES LABELS "unit;diff" TIMEOUT 120)

file(GLOB shmf_diff_inputs CONFIGURE_DEPENDS "${PROJECT_SOURCE_DIR}/corpus/differential/*.ops")
list(SORT shmf_diff_inputs)
foreach(input ${shmf_diff_inputs})
  get_filename_component(name "${input}" NAME_WE)
  add_test(NAME diff.${name}
           COMMAND Python3::Interpreter ${CMAKE_CURRENT_SOURCE_DIR}/diff/expect_divergence.py
                   $<TARGET_FILE:shmfuzz> ${shmf_diff_rules} ${input})
  set_tests_properties(diff.${name} PROPERTIES LABELS "fuzz-replay;diff" TIMEOUT 60)
endforeach()

foreach(p reference alt_pfvport alt_small)
  add_test(NAME diff.clean.${p}
           COMMAND shmfuzz replay -q --provider ${p} --against reference
                   --allow ${shmf_diff_rules}
                   ${PROJECT_SOURCE_DIR}/corpus/seeds ${PROJECT_SOURCE_DIR}/corpus/regressions)
  set_tests_properties(diff.clean.${p} PROPERTIES LABELS "fuzz-replay;diff" TIMEOUT 120)
endforeach()

add_test(NAME diff.minimize
         COMMAND ${CMAKE_COMMAND} -DSHMFUZZ=$<TARGET_FILE:shmfuzz> -DRULES=${shmf_diff_rules}
                 -DWORK=${CMAKE_CURRENT_BINARY_DIR}/diff_minimize
                 -P ${CMAKE_CURRENT_SOURCE_DIR}/diff/minimize.cmake)
set_tests_properties(diff.minimize PROPERTIES LABELS "fuzz-replay;diff" TIMEOUT 120)

add_test(NAME diff.bad_rules
         COMMAND ${CMAKE_COMMAND} -DSHMFUZZ=$<TARGET_FILE:shmfuzz>
                 -DWORK=${CMAKE_CURRENT_BINARY_DIR}/diff_bad_rules
                 -DINPUT=${PROJECT_SOURCE_DIR}/corpus/differential/length_zero.ops
                 -P ${CMAKE_CURRENT_SOURCE_DIR}/diff/bad_rules.cmake)
set_tests_properties(diff.bad_rules PROPERTIES LABELS "badinput;diff" TIMEOUT 60)
