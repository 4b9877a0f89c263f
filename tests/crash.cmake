# Crash findings (label `crash`): a provider that crashes under ASan is reported
# with the op that was running (op_index, the trace's marked line) and the
# provider's own function as the place (signature kind|function|op), even when
# that function is static.  Included from tests/CMakeLists.txt after
# stress.cmake (uses shmfprov_stress_racy).
find_package(Python3 COMPONENTS Interpreter REQUIRED)
set(_shmf_check_crash "${CMAKE_CURRENT_LIST_DIR}/check_crash_finding.py")

if(SHMF_SANITIZE MATCHES "address")
  # Sequential: the free handler reads its tracking block after freeing it.
  add_test(NAME crash.uaf_stats.names_op_and_function
           COMMAND Python3::Interpreter ${_shmf_check_crash} $<TARGET_FILE:shmfuzz>
                   buggy_uaf_stats ${PROJECT_SOURCE_DIR}/corpus/regressions/uaf_stats.ops
                   1 "use-after-free|RefFree")
  # Interleaved (`cpu` ops): the race of the missing lock, the same finding
  # from the same input every time.
  add_test(NAME crash.racy_interleave.deterministic
           COMMAND Python3::Interpreter ${_shmf_check_crash} $<TARGET_FILE:shmfuzz>
                   $<TARGET_FILE:shmfprov_stress_racy>
                   ${CMAKE_CURRENT_LIST_DIR}/data/racy_interleave.ops
                   5 "use-after-free|RacyFree" 3)
  set_tests_properties(crash.uaf_stats.names_op_and_function crash.racy_interleave.deterministic
                       PROPERTIES LABELS crash TIMEOUT 120)
endif()
