# shmfuzz_add_provider(<name> SOURCES <files...> [INCLUDE_DIRECTORIES <dirs...>])
#
# For one provider, creates:
#   shmfprov_<name>   the provider as a shared object (libshmfprov_<name>.so) that
#                     `shmfuzz replay/stress --provider <name>` loads;
#   fuzz_<name>       the libFuzzer target   (when SHMF_ENGINE=libfuzzer);
#   afl_<name>        the AFL++ target       (otherwise; a plain runner unless
#                     built with afl-clang-fast).
# The provider sees only ndis.h: its include path is ndis/include.
#
# The same function serves this tree and, through shmfuzzConfig.cmake, a project
# that did find_package(shmfuzz).  The package sets SHMF_FUZZ_SOURCE_DIR,
# SHMF_RUNTIME_TARGET, SHMF_HARNESS_TARGET and SHMF_PACKAGE_SAN_FLAGS; in this tree
# they are unset and the defaults below are the tree's own.
function(shmfuzz_add_provider name)
  cmake_parse_arguments(P "" "" "SOURCES;INCLUDE_DIRECTORIES" ${ARGN})
  if(NOT P_SOURCES)
    message(FATAL_ERROR "shmfuzz_add_provider(${name}): SOURCES is required")
  endif()
  set(fuzz_dir "${PROJECT_SOURCE_DIR}/harness/fuzz")
  if(DEFINED SHMF_FUZZ_SOURCE_DIR)
    set(fuzz_dir "${SHMF_FUZZ_SOURCE_DIR}")
  endif()
  set(runtime_tgt shmf_runtime)
  if(DEFINED SHMF_RUNTIME_TARGET)
    set(runtime_tgt ${SHMF_RUNTIME_TARGET})
  endif()
  set(harness_tgt shmf_harness)
  if(DEFINED SHMF_HARNESS_TARGET)
    set(harness_tgt ${SHMF_HARNESS_TARGET})
  endif()
  # Empty in this tree, where add_compile_options() already applies them.
  set(san_flags ${SHMF_PACKAGE_SAN_FLAGS})
  set(prov_includes $<TARGET_PROPERTY:${runtime_tgt},INTERFACE_INCLUDE_DIRECTORIES> ${P_INCLUDE_DIRECTORIES})

  add_library(shmfprov_${name} MODULE ${P_SOURCES})
  target_include_directories(shmfprov_${name} PRIVATE ${prov_includes})
  target_compile_options(shmfprov_${name} PRIVATE -Wno-multichar ${SHMF_PROVIDER_INSTR_FLAGS} ${san_flags})
  set_target_properties(shmfprov_${name} PROPERTIES
      PREFIX "lib" OUTPUT_NAME "shmfprov_${name}"
      LIBRARY_OUTPUT_DIRECTORY "${PROJECT_BINARY_DIR}/providers")

  add_library(shmfsrc_${name} OBJECT ${P_SOURCES})
  target_include_directories(shmfsrc_${name} PRIVATE ${prov_includes})
  target_compile_options(shmfsrc_${name} PRIVATE -Wno-multichar ${SHMF_PROVIDER_INSTR_FLAGS} ${san_flags})

  add_library(shmffuzz_${name} STATIC ${fuzz_dir}/fuzz_common.c)
  target_link_libraries(shmffuzz_${name} PUBLIC ${harness_tgt})
  target_compile_definitions(shmffuzz_${name} PRIVATE SHMF_TARGET_NAME="${name}" SHMF_ENGINE_NAME="${SHMF_ENGINE}")
  target_compile_options(shmffuzz_${name} PRIVATE ${san_flags})
  if(SHMF_ENGINE STREQUAL "libfuzzer")
    add_executable(fuzz_${name} ${fuzz_dir}/libfuzzer_target.c
                   $<TARGET_OBJECTS:shmfsrc_${name}>)
    # OSS-Fuzz style builds pass $LIB_FUZZING_ENGINE here (.clusterfuzzlite/build.sh).
    if(DEFINED SHMF_FUZZ_LINK_FLAGS)
      separate_arguments(engine_link UNIX_COMMAND "${SHMF_FUZZ_LINK_FLAGS}")
    else()
      set(engine_link -fsanitize=fuzzer)
    endif()
    target_link_options(fuzz_${name} PRIVATE ${engine_link})
    target_compile_options(fuzz_${name} PRIVATE ${san_flags})
    target_link_libraries(fuzz_${name} PRIVATE shmffuzz_${name} ${harness_tgt})
    set_target_properties(fuzz_${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY "${PROJECT_BINARY_DIR}/fuzz")
  else()
    add_executable(afl_${name} ${fuzz_dir}/afl_target.c
                   $<TARGET_OBJECTS:shmfsrc_${name}>)
    target_compile_options(afl_${name} PRIVATE ${san_flags})
    target_link_libraries(afl_${name} PRIVATE shmffuzz_${name} ${harness_tgt})
    set_target_properties(afl_${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY "${PROJECT_BINARY_DIR}/fuzz")
  endif()
  # From the package, `cmake --install` puts the provider where an installed
  # `shmfuzz --provider <name>` looks (lib/shmfuzz/providers).
  if(DEFINED SHMF_PACKAGE_PROVIDER_INSTALL_DIR)
    install(TARGETS shmfprov_${name} LIBRARY DESTINATION "${SHMF_PACKAGE_PROVIDER_INSTALL_DIR}")
  endif()
  set_property(GLOBAL APPEND PROPERTY SHMF_PROVIDERS ${name})
endfunction()
