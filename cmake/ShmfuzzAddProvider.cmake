# shmfuzz_add_provider(<name> SOURCES <files...> [INCLUDE_DIRECTORIES <dirs...>])
#
# For one provider, creates:
#   shmfprov_<name>   the provider as a shared object (libshmfprov_<name>.so) that
#                     `shmfuzz replay/stress --provider <name>` loads;
#   fuzz_<name>       the libFuzzer target   (when SHMF_ENGINE=libfuzzer);
#   afl_<name>        the AFL++ target       (otherwise; a plain runner unless
#                     built with afl-clang-fast).
# The provider sees only ndis.h: its include path is ndis/include.
function(shmfuzz_add_provider name)
  cmake_parse_arguments(P "" "" "SOURCES;INCLUDE_DIRECTORIES" ${ARGN})
  if(NOT P_SOURCES)
    message(FATAL_ERROR "shmfuzz_add_provider(${name}): SOURCES is required")
  endif()
  set(prov_includes $<TARGET_PROPERTY:shmf_runtime,INTERFACE_INCLUDE_DIRECTORIES> ${P_INCLUDE_DIRECTORIES})

  add_library(shmfprov_${name} MODULE ${P_SOURCES})
  target_include_directories(shmfprov_${name} PRIVATE ${prov_includes})
  target_compile_options(shmfprov_${name} PRIVATE -Wno-multichar ${SHMF_PROVIDER_INSTR_FLAGS})
  set_target_properties(shmfprov_${name} PROPERTIES
      PREFIX "lib" OUTPUT_NAME "shmfprov_${name}"
      LIBRARY_OUTPUT_DIRECTORY "${PROJECT_BINARY_DIR}/providers")

  add_library(shmfsrc_${name} OBJECT ${P_SOURCES})
  target_include_directories(shmfsrc_${name} PRIVATE ${prov_includes})
  target_compile_options(shmfsrc_${name} PRIVATE -Wno-multichar ${SHMF_PROVIDER_INSTR_FLAGS})

  add_library(shmffuzz_${name} STATIC ${PROJECT_SOURCE_DIR}/harness/fuzz/fuzz_common.c)
  target_link_libraries(shmffuzz_${name} PUBLIC shmf_harness)
  target_compile_definitions(shmffuzz_${name} PRIVATE SHMF_TARGET_NAME="${name}")
  if(SHMF_ENGINE STREQUAL "libfuzzer")
    add_executable(fuzz_${name} ${PROJECT_SOURCE_DIR}/harness/fuzz/libfuzzer_target.c
                   $<TARGET_OBJECTS:shmfsrc_${name}>)
    target_link_options(fuzz_${name} PRIVATE -fsanitize=fuzzer)
    target_link_libraries(fuzz_${name} PRIVATE shmffuzz_${name} shmf_harness)
    set_target_properties(fuzz_${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY "${PROJECT_BINARY_DIR}/fuzz")
  else()
    add_executable(afl_${name} ${PROJECT_SOURCE_DIR}/harness/fuzz/afl_target.c
                   $<TARGET_OBJECTS:shmfsrc_${name}>)
    target_link_libraries(afl_${name} PRIVATE shmffuzz_${name} shmf_harness)
    set_target_properties(afl_${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY "${PROJECT_BINARY_DIR}/fuzz")
  endif()
  set_property(GLOBAL APPEND PROPERTY SHMF_PROVIDERS ${name})
endfunction()
