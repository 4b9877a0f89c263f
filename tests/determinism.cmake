# Determinism and no state leaks between inputs (issue 4, "Done means").
#   determinism_replay20  one regression input replayed 20 times: identical replay
#                         JSON (finding, signature, trace) 20/20.
#   test_rss              the seed programs run through shmf_exec_run in one
#                         process: no RSS growth after warm-up.  Under the dev
#                         preset (ASan) 20000 runs, to stay within ~30 s; the
#                         release bench runs 100000 (bench/verifier/run.sh rss).
add_test(NAME determinism_replay20
         COMMAND Python3::Interpreter ${CMAKE_CURRENT_SOURCE_DIR}/determinism.py
                 $<TARGET_FILE:shmfuzz> ${PROJECT_SOURCE_DIR}/corpus/regressions/double_free.ops
                 ${CMAKE_CURRENT_BINARY_DIR}/determinism 20)
set_tests_properties(determinism_replay20 PROPERTIES LABELS unit TIMEOUT 60)

add_executable(test_rss test_rss.c ${PROJECT_SOURCE_DIR}/providers/reference/reference.c)
target_compile_options(test_rss PRIVATE -Wno-multichar)
target_link_libraries(test_rss PRIVATE shmf_harness)
add_dependencies(test_rss shmf_seed_corpus)
set(SHMF_RSS_RUNS 20000 CACHE STRING "Runs of test_rss under ctest")
add_test(NAME test_rss
         COMMAND sh -c "exec \"$0\" ${SHMF_RSS_RUNS} 2048 \"$1\"/*" $<TARGET_FILE:test_rss>
                 ${PROJECT_BINARY_DIR}/corpus/seeds)
# ASan's quarantine of freed heap would look like growth (256 MiB by default;
# even a 4 MiB one fills more slowly than the warm-up now that the runtime
# recycles its objects): off, so only memory the harness keeps counts.
set_tests_properties(test_rss PROPERTIES LABELS unit TIMEOUT 90
                     ENVIRONMENT "ASAN_OPTIONS=quarantine_size_mb=0:detect_leaks=1")
