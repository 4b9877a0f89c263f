# Campaign tests (label "campaign"), all driven by tests/campaign/run_test.sh.
#
#   campaign_args, _report, _triage   no engine: argument and bad-input errors of
#                                     the scripts, `shmfuzz report` and `report-diff`,
#                                     triage of pre-made crash files (seconds)
#   campaign_build                    fixture: the libfuzzer and coverage presets'
#                                     targets these tests run, each in its own tree
#                                     under campaign-trees/ of this build tree
#   campaign_reference, _planted,     real 20 s libFuzzer campaigns (reference clean;
#   _interrupted, _workers,           a planted bug found; SIGINT; two workers
#   _coverage                         restarted after a crash and a timeout),
#                                     coverage.sh
#   campaign_failed, _partial,        engines that fail (status failed / partial,
#   _unreproduced                     exit 2) and a crash no replay reproduces
#                                     (exit 0, 1 with --strict); AFL++ played by a
#                                     stand-in script, libFuzzer real
#   campaign_afl_roles                the AFL++ instances' settings (stand-in):
#                                     main and even secondaries custom-only
#
# The campaigns use this build tree as their replay tree (SHMF_DEV_TREE: shmfuzz,
# the providers, the seeds) and the fixture's trees for the engines (SHMF_BUILD_DIR),
# so they never build while they run. The whole label takes about 2-4 minutes on
# 2 cores, most of it the fixture's first build.
set(_shmf_camp_driver ${CMAKE_CURRENT_SOURCE_DIR}/campaign/run_test.sh)
set(_shmf_camp_work ${CMAKE_CURRENT_BINARY_DIR}/campaign)
set(_shmf_camp_env "SHMF_BUILD_DIR=${PROJECT_BINARY_DIR}/campaign-trees"
                   "SHMF_DEV_TREE=${PROJECT_BINARY_DIR}")

function(_shmf_campaign_test t timeout)
  add_test(NAME campaign_${t}
           COMMAND ${_shmf_camp_driver} ${t} $<TARGET_FILE:shmfuzz> ${_shmf_camp_work}/${t})
  set_tests_properties(campaign_${t} PROPERTIES LABELS campaign TIMEOUT ${timeout}
                       SKIP_RETURN_CODE 77 ENVIRONMENT "${_shmf_camp_env}" ${ARGN})
endfunction()

foreach(t args report triage)
  _shmf_campaign_test(${t} 90)
endforeach()

_shmf_campaign_test(build 600 FIXTURES_SETUP shmf_campaign_engines)
foreach(t reference planted interrupted workers coverage failed partial unreproduced afl_roles)
  _shmf_campaign_test(${t} 240 FIXTURES_REQUIRED shmf_campaign_engines)
endforeach()

# Every seed replays clean against the reference provider.
add_test(NAME campaign_seeds_clean
         COMMAND shmfuzz replay -q --provider reference ${PROJECT_BINARY_DIR}/corpus/seeds)
set_tests_properties(campaign_seeds_clean PROPERTIES LABELS campaign TIMEOUT 60)

# The committed dictionary is `shmfuzz dict`'s output (every op has a token;
# every token encodes through the current codec).
add_test(NAME dict_in_step
         COMMAND sh -c "\"$1\" dict | cmp - \"$2\" || { echo 'corpus/shmfuzz.dict differs from shmfuzz dict: regenerate it with: shmfuzz dict > corpus/shmfuzz.dict' >&2; exit 1; }"
                 sh $<TARGET_FILE:shmfuzz> ${PROJECT_SOURCE_DIR}/corpus/shmfuzz.dict)
set_tests_properties(dict_in_step PROPERTIES LABELS unit TIMEOUT 30)
