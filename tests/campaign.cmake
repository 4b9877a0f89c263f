# Campaign tests (label "campaign"): `shmfuzz report`, triage of pre-made crash
# files, campaign.sh argument errors, the seed corpus against the reference, and a
# 15 s real campaign when the engine builds exist (skipped otherwise).
set(_shmf_camp_driver ${CMAKE_CURRENT_SOURCE_DIR}/campaign/run_test.sh)
set(_shmf_camp_work ${CMAKE_CURRENT_BINARY_DIR}/campaign)

foreach(t args report triage short)
  add_test(NAME campaign_${t}
           COMMAND ${_shmf_camp_driver} ${t} $<TARGET_FILE:shmfuzz> ${_shmf_camp_work}/${t})
  set_tests_properties(campaign_${t} PROPERTIES LABELS campaign TIMEOUT 90 SKIP_RETURN_CODE 77)
endforeach()

# Every seed replays clean against the reference provider.
add_test(NAME campaign_seeds_clean
         COMMAND shmfuzz replay -q --provider reference ${PROJECT_BINARY_DIR}/corpus/seeds)
set_tests_properties(campaign_seeds_clean PROPERTIES LABELS campaign TIMEOUT 60)
