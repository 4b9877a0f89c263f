# Engine smoke tests (label `engines`), all driven by tests/engines/run_test.sh:
#
#   engines_build      fixture: the libfuzzer and afl presets' targets the runs
#                      below need, each preset in its own tree under engines/ of
#                      this build tree (configured once, then only rebuilt)
#   engines_libfuzzer  fuzz_reference for 5 s (-seed=1) from the seeds: exit 0,
#                      units executed, no crash
#   engines_planted    fuzz_buggy_double_free from its regression input: stops at
#                      the crash and prints the `==shmfuzz== finding:` line
#   engines_afl        afl_reference for 5 s (-V 5 -s 1) with the custom mutator
#                      and the CMPLOG twin (-c): executions, no crash; skipped
#                      (77) without AFL++
#
# The runs take this tree's shmfuzz and seeds (SHMF_DEV_TREE). The whole label
# takes about 1-2 minutes on 2 cores, most of it the fixture's first build.
set(_shmf_eng_driver ${CMAKE_CURRENT_SOURCE_DIR}/engines/run_test.sh)
set(_shmf_eng_work ${CMAKE_CURRENT_BINARY_DIR}/engines)
set(_shmf_eng_env "SHMF_BUILD_DIR=${PROJECT_BINARY_DIR}/engines"
                  "SHMF_DEV_TREE=${PROJECT_BINARY_DIR}")

function(_shmf_engine_test t timeout)
  add_test(NAME engines_${t}
           COMMAND ${_shmf_eng_driver} ${t} $<TARGET_FILE:shmfuzz> ${_shmf_eng_work}/${t})
  set_tests_properties(engines_${t} PROPERTIES LABELS engines TIMEOUT ${timeout}
                       SKIP_RETURN_CODE 77 ENVIRONMENT "${_shmf_eng_env}" ${ARGN})
endfunction()

_shmf_engine_test(build 600 FIXTURES_SETUP shmf_engine_trees)
foreach(t libfuzzer planted afl)
  _shmf_engine_test(${t} 120 FIXTURES_REQUIRED shmf_engine_trees)
endforeach()
