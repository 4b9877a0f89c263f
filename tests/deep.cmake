# Deep tier of planted bugs (providers/deep/, docs/planted-bugs.md "Deep tier").
# tests/regressions.cmake already runs each corpus/regressions/deep_<x>.ops
# (regress.deep_<x>, and its reference-clean twin).  Here, per provider:
#
#   deep.<x>.seeds-clean   the built seed corpus (corpus/seeds, encoded into
#                          ${SHMF_SEED_DIR} by corpus/CMakeLists.txt) replays
#                          clean: no seed reaches the bug;
#   deep.<x>.others-clean  every other regression input (the shallow tier's and
#                          the other deep providers') replays clean: its own
#                          input is the only way to its finding here.
#
# Labels fuzz-replay and deep.  Included from tests/CMakeLists.txt.
file(GLOB shmf_deep_sources CONFIGURE_DEPENDS "${PROJECT_SOURCE_DIR}/providers/deep/*.c")
file(GLOB shmf_deep_all_inputs CONFIGURE_DEPENDS "${PROJECT_SOURCE_DIR}/corpus/regressions/*.ops")
list(SORT shmf_deep_sources)
list(SORT shmf_deep_all_inputs)

foreach(src ${shmf_deep_sources})
  get_filename_component(stem "${src}" NAME_WE)
  set(provider deep_${stem})
  set(own "${PROJECT_SOURCE_DIR}/corpus/regressions/${provider}.ops")
  if(NOT EXISTS "${own}")
    message(FATAL_ERROR "${src}: the deep tier needs a regression input ${own}")
  endif()
  set(others ${shmf_deep_all_inputs})
  list(REMOVE_ITEM others "${own}")

  add_test(NAME deep.${stem}.seeds-clean
           COMMAND shmfuzz replay -q --provider ${provider} ${SHMF_SEED_DIR})
  add_test(NAME deep.${stem}.others-clean
           COMMAND shmfuzz replay -q --provider ${provider} ${others})
  set_tests_properties(deep.${stem}.seeds-clean deep.${stem}.others-clean
                       PROPERTIES LABELS "fuzz-replay;deep" TIMEOUT 60)
endforeach()
