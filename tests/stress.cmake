# Stress-runner tests (label `stress`, docs/stress.md): the reference stays clean
# under 2 threads, a provider with a missing lock is found in threads mode and,
# deterministically, in interleave mode; the interleave engine's own checks.
# Each case is bounded (a few seconds; the racy threads case stops at its finding).
add_library(shmfprov_stress_racy MODULE stress_racy_provider.c)
target_include_directories(shmfprov_stress_racy PRIVATE ${PROJECT_SOURCE_DIR}/ndis/include)
target_compile_options(shmfprov_stress_racy PRIVATE -Wno-multichar)
set_target_properties(shmfprov_stress_racy PROPERTIES PREFIX "lib")

add_executable(test_stress test_stress.c)
target_link_libraries(test_stress PRIVATE shmf_harness)
add_dependencies(test_stress shmfuzz shmfprov_stress_racy shmfprov_reference)

set(_stress_cases reference-threads reference-threads64 racy-threads racy-interleave reference-interleave engine)
if(SHMF_SANITIZE STREQUAL "thread")
  list(APPEND _stress_cases tsan-reference)
endif()
foreach(_c ${_stress_cases})
  add_test(NAME stress_${_c}
           COMMAND test_stress ${_c} $<TARGET_FILE:shmfuzz> reference
                   $<TARGET_FILE:shmfprov_stress_racy> ${CMAKE_CURRENT_BINARY_DIR}/stress-work)
  set_tests_properties(stress_${_c} PROPERTIES LABELS stress TIMEOUT 180)
endforeach()
