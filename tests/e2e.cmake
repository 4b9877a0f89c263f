# End-to-end tests (label `e2e`): a user's provider, outside this tree, fuzzed by
# a real, bounded campaign through every entry path a user has, read as a user's
# CI reads it. Driver: tests/e2e/run.sh; report checks: tests/e2e/check_campaign.py.
#
# Each test copies a planted-bug provider (providers/buggy/rev1_vport.c; for the
# folder, providers/buggy/ring_next_past.c beside the reference provider) or the
# clean one (providers/reference/reference.c) into a fresh mktemp -d folder under
# /tmp and runs scripts/campaign.sh by absolute path with that folder as cwd
# (libFuzzer, --jobs 1, --time 10s, --reliability 1; 5 s for the clean runs):
#
#   e2e_abs_c     --provider /tmp/.../mine.c
#   e2e_rel_c     --provider src/mine.c --out out (relative); --engine both (AFL++
#                 too) when AFL++ is installed
#   e2e_dir       --provider driver/ (two .c files, both needed)
#   e2e_so        a .so built with docs/byo-provider.md's libFuzzer flags against a
#                 `cmake --install` of this tree
#   e2e_cmake     `cmake --install` of this tree, then an external project with
#                 find_package(shmfuzz) + shmfuzz_add_provider() for a buggy and a
#                 clean provider; a campaign on each .so; the installed shmfuzz
#                 replays the minimized input
#   e2e_clean_c   the clean provider as an absolute .c path
#   e2e_cmp_tables  the clean provider, one campaign per engine: its comparisons
#                 reach the engine's record-level mutator (SHMFUZZ_MUTATOR_STATS)
#
# Buggy: exit 1; campaign.json, runs/*.json, findings/*/finding.json and meta.json
# validate against reports/schema/; campaign.sarif is SARIF 2.1.0 (version,
# tool.driver.name, ruleId/ruleIndex/level/message.text, artifactLocation.uri a
# valid URI -- file:/// for absolute paths -- startLine >= 1,
# invocations[0].executionSuccessful true); campaign.html whole and self-contained;
# status ok and every engine ran; only the planted kinds; for a .c or folder, the
# location is the file under the temp folder that defines the faulting function;
# every finding's minimized input reproduces with scripts/repro.sh (exit 1, same
# kind). Clean: exit 0, no finding, the same report checks.
#
# Engines are not built while the tests run: the campaigns use this build tree as
# their replay tree (SHMF_DEV_TREE) and the trees under campaign-trees/
# (SHMF_BUILD_DIR) of the campaign_build fixture (tests/campaign.cmake), to which
# the fixtures e2e_build and e2e_build_afl add the generic engine binaries that
# out-of-tree providers load (fuzz_generic; afl_generic, its CMPLOG twin and the
# AFL++ custom mutator -- only e2e_rel_c needs the afl tree).
# About 2 minutes in all on 2 cores with `ctest -L e2e` (serial; less with -j2),
# each test 15-40 s.
find_program(SHMF_E2E_BASH bash)
if(NOT SHMF_E2E_BASH)
  message(STATUS "e2e tests: no bash, not registered")
  return()
endif()

set(_e2e_env
    "SHMF_BUILD_DIR=${PROJECT_BINARY_DIR}/campaign-trees"
    "SHMF_DEV_TREE=${PROJECT_BINARY_DIR}"
    "E2E_BUILD=${PROJECT_BINARY_DIR}"
    "E2E_CC=${CMAKE_C_COMPILER}"
    "E2E_CMAKE=${CMAKE_COMMAND}"
    # The installed tools must not fall back to this build tree's providers.
    "SHMF_PROVIDER_PATH=")

add_test(NAME e2e_build COMMAND ${SHMF_E2E_BASH} ${CMAKE_CURRENT_SOURCE_DIR}/e2e/run.sh build)
set_tests_properties(e2e_build PROPERTIES
    FIXTURES_REQUIRED shmf_campaign_engines FIXTURES_SETUP shmf_e2e_engines)
add_test(NAME e2e_build_afl COMMAND ${SHMF_E2E_BASH} ${CMAKE_CURRENT_SOURCE_DIR}/e2e/run.sh build_afl)
set_tests_properties(e2e_build_afl PROPERTIES FIXTURES_SETUP shmf_e2e_afl)

foreach(_t abs_c rel_c dir so cmake clean_c cmp_tables driver_cpp)
  add_test(NAME e2e_${_t} COMMAND ${SHMF_E2E_BASH} ${CMAKE_CURRENT_SOURCE_DIR}/e2e/run.sh ${_t})
  set_tests_properties(e2e_${_t} PROPERTIES SKIP_RETURN_CODE 77
      FIXTURES_REQUIRED "shmf_campaign_engines;shmf_e2e_engines")
endforeach()
# AFL++ beside libFuzzer: two processes, and the afl tree too.
set_tests_properties(e2e_rel_c PROPERTIES PROCESSORS 2
    FIXTURES_REQUIRED "shmf_campaign_engines;shmf_e2e_engines;shmf_e2e_afl")
set_tests_properties(e2e_cmp_tables PROPERTIES
    FIXTURES_REQUIRED "shmf_campaign_engines;shmf_e2e_engines;shmf_e2e_afl")

set_tests_properties(e2e_build e2e_build_afl e2e_abs_c e2e_rel_c e2e_dir e2e_so e2e_cmake e2e_clean_c
    e2e_cmp_tables e2e_driver_cpp
    PROPERTIES LABELS e2e ENVIRONMENT "${_e2e_env}" TIMEOUT 300)
set_tests_properties(e2e_build e2e_build_afl PROPERTIES TIMEOUT 600)
