# Real driver code against shmfuzz's WDK surface (issue 17 items 1-3), label `wdk`:
#   wdk_headers          every public header, and one translation unit per header
#                        that uses each of its names, compiles as C11 (gcc, clang)
#                        and as C++17 (g++, clang++) with -Wall -Wextra -Werror;
#   test_wdk             the new runtime routines (NdisAllocateMdl, assertions,
#                        PAGED_CODE, lists, ring extensions) and the driver
#                        registration path with a negative test per finding;
#   wdk_*_replay|stress  two providers that export only DriverEntry -- a C
#                        miniport and a C++ filter, built by shmfuzz_add_provider --
#                        clean under `shmfuzz replay` (every seed) and `shmfuzz stress`.
#   test_ring_rules      NetAdapterCx's ring rules (item 5): a tiny driver per
#                        rule (tests/ring_rules/), each caught with exactly its
#                        finding; the reference ring driver clean;
#   test_ndis_shm        NDIS's own behaviour around the provider (item 4): the
#                        SG list validated and copied, refused blocks (CONTIGUOUS
#                        with more than one element) freed back, no provider.
# Included from tests/CMakeLists.txt.

# === NetAdapterCx ring rules (C only: before the C++ check) ===
add_executable(test_ring_rules ${CMAKE_CURRENT_SOURCE_DIR}/ring_rules/test_ring_rules.c
               ${CMAKE_CURRENT_SOURCE_DIR}/ring_rules/rule_drivers.c
               ${PROJECT_SOURCE_DIR}/providers/reference/reference.c
               ${PROJECT_SOURCE_DIR}/providers/reference/ring_driver.c)
target_link_libraries(test_ring_rules PRIVATE shmf_harness PkgConfig::CMOCKA)
target_include_directories(test_ring_rules PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}
                           ${PROJECT_SOURCE_DIR}/providers/reference)
target_compile_options(test_ring_rules PRIVATE -Wno-multichar)
add_test(NAME test_ring_rules COMMAND test_ring_rules)
set_tests_properties(test_ring_rules PROPERTIES LABELS "unit;wdk" TIMEOUT 60)

# === NDIS around the provider (C only) ===
add_executable(test_ndis_shm ${CMAKE_CURRENT_SOURCE_DIR}/wdk/test_ndis_shm.c)
target_link_libraries(test_ndis_shm PRIVATE shmf_runtime PkgConfig::CMOCKA)
target_include_directories(test_ndis_shm PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
target_compile_options(test_ndis_shm PRIVATE -Wno-multichar)
add_test(NAME test_ndis_shm COMMAND test_ndis_shm)
set_tests_properties(test_ndis_shm PROPERTIES LABELS "unit;wdk" TIMEOUT 60)

# C++ with the compiler of the C one (clang -> clang++, gcc -> g++): a provider's
# sanitizer runtime must be the one of the binaries that load it.
if(NOT CMAKE_CXX_COMPILER)
  get_filename_component(_wdk_cc "${CMAKE_C_COMPILER}" NAME)
  get_filename_component(_wdk_ccdir "${CMAKE_C_COMPILER}" DIRECTORY)
  if(_wdk_cc MATCHES "^(.*)clang(-[0-9.]+)?$")
    set(_wdk_cxx_name "${CMAKE_MATCH_1}clang++${CMAKE_MATCH_2}")
  elseif(_wdk_cc MATCHES "^(.*)gcc(-[0-9.]+)?$")
    set(_wdk_cxx_name "${CMAKE_MATCH_1}g++${CMAKE_MATCH_2}")
  else()
    set(_wdk_cxx_name "${_wdk_cc}++")
  endif()
  find_program(_wdk_cxx NAMES ${_wdk_cxx_name} HINTS "${_wdk_ccdir}")
  if(_wdk_cxx)
    set(CMAKE_CXX_COMPILER "${_wdk_cxx}" CACHE FILEPATH "C++ compiler (matching the C one)")
  endif()
endif()
include(CheckLanguage)
check_language(CXX)
if(NOT CMAKE_CXX_COMPILER)
  message(STATUS "wdk tests: no C++ compiler, not registered")
  return()
endif()
enable_language(CXX)

set(_wdk_dir "${CMAKE_CURRENT_SOURCE_DIR}/wdk")
find_program(SHMF_BASH bash)

# === Headers: C and C++ ===
set(_wdk_header_tus
    hdr_ndis.c hdr_sal.c hdr_nbl.c hdr_driver.c hdr_miniport.c hdr_filter.c hdr_wdm.c
    hdr_net_ring.c hdr_net_packet.c hdr_net_fragment.c hdr_net_ringcollection.c
    hdr_net_extension.c hdr_net_logicaladdress.c hdr_net_virtualaddress.c hdr_net_checksum.c)
list(TRANSFORM _wdk_header_tus PREPEND "${_wdk_dir}/headers/")
# In the build as C, with the tree's flags...
add_library(wdk_header_tus OBJECT ${_wdk_header_tus})
target_include_directories(wdk_header_tus PRIVATE ${PROJECT_SOURCE_DIR}/ndis/include)
target_compile_options(wdk_header_tus PRIVATE -Wno-multichar)
# ...and by every compiler found, in both languages, as a test.
add_test(NAME wdk_headers
         COMMAND ${SHMF_BASH} ${_wdk_dir}/headers.sh ${PROJECT_SOURCE_DIR}/ndis/include
                 ${CMAKE_CURRENT_BINARY_DIR}/wdk-headers ${_wdk_header_tus})
set_tests_properties(wdk_headers PROPERTIES LABELS "unit;wdk" TIMEOUT 300)

# === Runtime routines and the registration path ===
add_executable(test_wdk ${_wdk_dir}/test_wdk.c ${_wdk_dir}/test_wdk_driver.c)
target_link_libraries(test_wdk PRIVATE shmf_runtime PkgConfig::CMOCKA)
target_include_directories(test_wdk PRIVATE ${PROJECT_SOURCE_DIR}/ndis/src
                                            ${CMAKE_CURRENT_SOURCE_DIR})
target_compile_options(test_wdk PRIVATE -Wno-multichar)
add_test(NAME test_wdk COMMAND test_wdk)
set_tests_properties(test_wdk PROPERTIES LABELS "unit;wdk" TIMEOUT 60)

# === DriverEntry-only providers, C and C++, through shmfuzz_add_provider ===
shmfuzz_add_provider(wdk_miniport SOURCES ${_wdk_dir}/driver_miniport.c)
shmfuzz_add_provider(wdk_filter_cxx SOURCES ${_wdk_dir}/driver_filter.cpp)
foreach(_p wdk_miniport wdk_filter_cxx)
  file(MAKE_DIRECTORY "${CMAKE_CURRENT_BINARY_DIR}/wdk-stress-${_p}")
  # Test providers: beside the tests, not in build/providers (`shmfuzz providers`)
  # nor in the install.
  set_target_properties(shmfprov_${_p} PROPERTIES
      LIBRARY_OUTPUT_DIRECTORY "${CMAKE_CURRENT_BINARY_DIR}/wdk" SHMF_NO_INSTALL TRUE)
  add_test(NAME ${_p}_replay
           COMMAND shmfuzz replay -q --provider $<TARGET_FILE:shmfprov_${_p}>
                   ${PROJECT_SOURCE_DIR}/corpus/seeds)
  set_tests_properties(${_p}_replay PROPERTIES LABELS "unit;wdk" TIMEOUT 120)
  add_test(NAME ${_p}_stress
           COMMAND shmfuzz stress -q --provider $<TARGET_FILE:shmfprov_${_p}> --threads 2
                   --seconds 3 --out ${CMAKE_CURRENT_BINARY_DIR}/wdk-stress-${_p})
  set_tests_properties(${_p}_stress PROPERTIES LABELS "stress;wdk" TIMEOUT 120)
endforeach()

# === The RtEthSample-shaped C++ receive queue as the ring driver ===
# Under the NIC model (test_wdk_rteth, its cancel included) and as a provider's
# ShmfProviderRingAdvance through `shmfuzz replay` over the seeds: clean.
add_executable(test_wdk_rteth ${_wdk_dir}/test_wdk_rteth.c ${_wdk_dir}/rteth_rx.cpp
               ${PROJECT_SOURCE_DIR}/providers/reference/reference.c)
target_link_libraries(test_wdk_rteth PRIVATE shmf_harness PkgConfig::CMOCKA)
target_include_directories(test_wdk_rteth PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
target_compile_options(test_wdk_rteth PRIVATE -Wno-multichar)
add_test(NAME test_wdk_rteth COMMAND test_wdk_rteth)
set_tests_properties(test_wdk_rteth PROPERTIES LABELS "unit;wdk" TIMEOUT 60)
shmfuzz_add_provider(wdk_rteth_cxx SOURCES ${PROJECT_SOURCE_DIR}/providers/reference/reference.c
                     ${_wdk_dir}/rteth_rx.cpp)
set_target_properties(shmfprov_wdk_rteth_cxx PROPERTIES
    LIBRARY_OUTPUT_DIRECTORY "${CMAKE_CURRENT_BINARY_DIR}/wdk" SHMF_NO_INSTALL TRUE)
add_test(NAME wdk_rteth_cxx_replay
         COMMAND shmfuzz replay -q --provider $<TARGET_FILE:shmfprov_wdk_rteth_cxx>
                 ${PROJECT_SOURCE_DIR}/corpus/seeds)
set_tests_properties(wdk_rteth_cxx_replay PROPERTIES LABELS "unit;wdk" TIMEOUT 120)

# === The netvmini-shaped VMQ consumer against every provider we ship ===
# Correct providers (the reference, alt/, gaps/, the two DriverEntry drivers
# above): clean, also under fault injection.  Planted bugs (buggy/, deep/): one
# run each, reported.
add_executable(test_wdk_vmq ${_wdk_dir}/test_wdk_vmq.c ${_wdk_dir}/vmq_consumer.c)
shmf_link_runtime_whole(test_wdk_vmq)
target_link_libraries(test_wdk_vmq PRIVATE PkgConfig::CMOCKA)
target_include_directories(test_wdk_vmq PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
target_compile_options(test_wdk_vmq PRIVATE -Wno-multichar)
get_property(_wdk_prov_targets DIRECTORY ${PROJECT_SOURCE_DIR}/providers PROPERTY BUILDSYSTEM_TARGETS)
set(_wdk_vmq_correct $<TARGET_FILE:shmfprov_wdk_miniport> $<TARGET_FILE:shmfprov_wdk_filter_cxx>)
set(_wdk_vmq_planted)
foreach(_t ${_wdk_prov_targets})
  if(NOT _t MATCHES "^shmfprov_(.*)$")
    continue()
  endif()
  if(CMAKE_MATCH_1 MATCHES "^(reference|alt_.*|gaps_.*)$")
    list(APPEND _wdk_vmq_correct $<TARGET_FILE:${_t}>)
  else()
    list(APPEND _wdk_vmq_planted $<TARGET_FILE:${_t}>)
  endif()
  add_dependencies(test_wdk_vmq ${_t})
endforeach()
add_dependencies(test_wdk_vmq shmfprov_wdk_miniport shmfprov_wdk_filter_cxx)
add_test(NAME wdk_vmq_correct COMMAND test_wdk_vmq clean ${_wdk_vmq_correct})
set_tests_properties(wdk_vmq_correct PROPERTIES LABELS "unit;wdk" TIMEOUT 300)
add_test(NAME wdk_vmq_planted COMMAND test_wdk_vmq report ${_wdk_vmq_planted})
set_tests_properties(wdk_vmq_planted PROPERTIES LABELS "unit;wdk" TIMEOUT 300)
