# shmfuzz_add_provider(<name> SOURCES <files...> [INCLUDE_DIRECTORIES <dirs...>])
#
# For one provider, creates:
#   shmfprov_<name>   the provider as a shared object (libshmfprov_<name>.so) that
#                     `shmfuzz replay/stress --provider <name>` loads;
#   fuzz_<name>       the libFuzzer target   (when SHMF_ENGINE=libfuzzer);
#   afl_<name>        the AFL++ target       (otherwise; a plain runner unless
#                     built with afl-clang-fast);
#   afl_<name>_cmplog its CMPLOG twin for `afl-fuzz -c` (SHMF_ENGINE=afl with an
#                     AFL++ compiler): the same sources compiled again with
#                     AFL_LLVM_CMPLOG=1 (shmf_afl_cmplog below).
# The provider sees only ndis.h: its include path is ndis/include.
#
# Ring driver (docs/rings.md): a provider may export ShmfProviderRingAdvance /
# ShmfProviderRingCancel.  For one that does not, the engine targets link the
# reference provider's ring driver (providers/reference/ring_driver.c, compiled
# like the harness: without the provider's coverage instrumentation) beside its
# objects; its ShmfProviderRing* are weak aliases, so a provider's own win.  Not
# when SOURCES already has a ring_driver.c (the reference provider itself).  The
# shared object gets nothing added: `shmfuzz` gives a provider .so without ring
# exports the reference provider's (libshmfprov_reference.so).
#
# SOURCES may be C (.c) and C++ (.cpp, .cc, .cxx): the headers compile as both.
# C++ needs the CXX language enabled in the calling project (project(... LANGUAGES
# C CXX)) with the C++ compiler of the C one (clang++ beside clang: the sanitizer
# runtimes must match); the engine targets then link with it.  C++ sources are
# compiled without UBSan's vptr check, whose runtime part the C binaries that
# load a provider do not carry.
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
  # The reference ring driver for the engine targets (see above): the tree's, or
  # the copy the package installs beside the engine sources.
  set(ring_driver "${PROJECT_SOURCE_DIR}/providers/reference/ring_driver.c")
  if(DEFINED SHMF_FUZZ_SOURCE_DIR)
    set(ring_driver "${SHMF_FUZZ_SOURCE_DIR}/ring_driver.c")
  endif()
  foreach(src IN LISTS P_SOURCES)
    get_filename_component(_src_name "${src}" NAME)
    if(_src_name STREQUAL "ring_driver.c")
      set(ring_driver "")
    endif()
  endforeach()
  # Empty in this tree, where add_compile_options() already applies them.
  set(san_flags ${SHMF_PACKAGE_SAN_FLAGS})
  set(prov_includes $<TARGET_PROPERTY:${runtime_tgt},INTERFACE_INCLUDE_DIRECTORIES> ${P_INCLUDE_DIRECTORIES})
  _shmf_provider_languages(has_cxx)
  # Line tables even in builds without -g: the fault plan's call sites are
  # source locations (ndis/src/rt_site.c), the same in every build of a provider.
  set(prov_flags -Wno-multichar ${SHMF_PROVIDER_INSTR_FLAGS} ${san_flags}
      $<$<COMPILE_LANGUAGE:CXX>:-fno-sanitize=vptr>
      $<$<CONFIG:Release,MinSizeRel>:$<IF:$<C_COMPILER_ID:GNU>,-g1,-gline-tables-only>>)

  add_library(shmfprov_${name} MODULE ${P_SOURCES})
  target_include_directories(shmfprov_${name} PRIVATE ${prov_includes})
  target_compile_options(shmfprov_${name} PRIVATE ${prov_flags})
  set_target_properties(shmfprov_${name} PROPERTIES
      PREFIX "lib" OUTPUT_NAME "shmfprov_${name}"
      LIBRARY_OUTPUT_DIRECTORY "${PROJECT_BINARY_DIR}/providers")

  # AFL++ targets of this tree: the provider's comparisons reach the custom
  # mutator.  afl-cc drops -fsanitize-coverage=trace-cmp, so the provider is
  # compiled with AFL++'s CMPLOG instrumentation, and the plain target's link
  # points its hooks at the harness's (SHMF_CMPLOG_WRAP_FLAGS,
  # harness/exec/cmplog_hooks.c).  The CMPLOG twin keeps AFL++'s own.
  shmf_afl_cmplog_enabled(_shmf_cmp_ring)
  if(DEFINED SHMF_HARNESS_TARGET)
    set(_shmf_cmp_ring FALSE)
  endif()
  _shmf_provider_objects("")
  if(_shmf_cmp_ring)
    shmf_afl_cmplog(shmfsrc_${name})
  endif()
  if(SHMF_ENGINE STREQUAL "libfuzzer")
    add_executable(fuzz_${name} ${fuzz_dir}/libfuzzer_target.c
                   $<TARGET_OBJECTS:shmfsrc_${name}> ${ring_driver})
    # OSS-Fuzz style builds pass $LIB_FUZZING_ENGINE here (.clusterfuzzlite/build.sh).
    if(DEFINED SHMF_FUZZ_LINK_FLAGS)
      separate_arguments(engine_link UNIX_COMMAND "${SHMF_FUZZ_LINK_FLAGS}")
    else()
      set(engine_link -fsanitize=fuzzer)
      if(NOT DEFINED SHMF_HARNESS_TARGET) # this tree: its harness has cmp_hooks.c
        list(APPEND engine_link ${SHMF_CMP_WRAP_FLAGS})
      endif()
    endif()
    target_link_options(fuzz_${name} PRIVATE ${engine_link})
    target_compile_options(fuzz_${name} PRIVATE ${san_flags})
    target_link_libraries(fuzz_${name} PRIVATE shmffuzz_${name} ${harness_tgt})
    set_target_properties(fuzz_${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY "${PROJECT_BINARY_DIR}/fuzz")
    if(has_cxx)
      set_target_properties(fuzz_${name} PROPERTIES LINKER_LANGUAGE CXX)
    endif()
  else()
    _shmf_afl_target("")
    shmf_afl_cmplog_enabled(cmplog)
    if(cmplog)
      _shmf_provider_objects(_cmplog)
      _shmf_afl_target(_cmplog)
    endif()
  endif()
  # From the package, `cmake --install` puts the provider where an installed
  # `shmfuzz --provider <name>` looks (lib/shmfuzz/providers).
  if(DEFINED SHMF_PACKAGE_PROVIDER_INSTALL_DIR)
    install(TARGETS shmfprov_${name} LIBRARY DESTINATION "${SHMF_PACKAGE_PROVIDER_INSTALL_DIR}")
  endif()
  set_property(GLOBAL APPEND PROPERTY SHMF_PROVIDERS ${name})
endfunction()

# The helpers below run in the scope of shmfuzz_add_provider() and read its
# variables (name, P_SOURCES, prov_includes, prov_flags, san_flags, fuzz_dir,
# harness_tgt, has_cxx, ring_driver).

# _shmf_provider_languages(<out>): TRUE when P_SOURCES has C++ files; then CXX
# must be enabled.
function(_shmf_provider_languages out)
  set(cxx FALSE)
  foreach(src IN LISTS P_SOURCES)
    if(src MATCHES "\\.(cpp|cc|cxx)$")
      set(cxx TRUE)
    endif()
  endforeach()
  if(cxx)
    get_property(langs GLOBAL PROPERTY ENABLED_LANGUAGES)
    if(NOT "CXX" IN_LIST langs)
      message(FATAL_ERROR "shmfuzz_add_provider(${name}): C++ sources need the CXX language: "
                          "project(<name> LANGUAGES C CXX) with CMAKE_CXX_COMPILER=clang++ "
                          "(the C++ compiler of the C one)")
    endif()
  endif()
  set(${out} ${cxx} PARENT_SCOPE)
endfunction()
# sfx is "" for the plain targets and _cmplog for the CMPLOG twins, which link the
# harness's own twin when the tree has one (shmf_harness_cmplog, harness/) and
# the plain harness otherwise (an installed package).
function(_shmf_twin_of tgt sfx out)
  if(sfx AND TARGET ${tgt}${sfx})
    set(${out} ${tgt}${sfx} PARENT_SCOPE)
  else()
    set(${out} ${tgt} PARENT_SCOPE)
  endif()
endfunction()

# shmfsrc_<name><sfx>, the provider's objects, and shmffuzz_<name><sfx>, the glue.
function(_shmf_provider_objects sfx)
  _shmf_twin_of(${harness_tgt} "${sfx}" harness)
  add_library(shmfsrc_${name}${sfx} OBJECT ${P_SOURCES})
  target_include_directories(shmfsrc_${name}${sfx} PRIVATE ${prov_includes})
  target_compile_options(shmfsrc_${name}${sfx} PRIVATE ${prov_flags})

  add_library(shmffuzz_${name}${sfx} STATIC ${fuzz_dir}/fuzz_common.c)
  target_link_libraries(shmffuzz_${name}${sfx} PUBLIC ${harness})
  target_compile_definitions(shmffuzz_${name}${sfx} PRIVATE SHMF_TARGET_NAME="${name}" SHMF_ENGINE_NAME="${SHMF_ENGINE}")
  target_compile_options(shmffuzz_${name}${sfx} PRIVATE ${san_flags})
  if(sfx)
    shmf_afl_cmplog(shmfsrc_${name}${sfx} shmffuzz_${name}${sfx})
  endif()
endfunction()

# afl_<name><sfx>, in <build>/fuzz.
function(_shmf_afl_target sfx)
  _shmf_twin_of(${harness_tgt} "${sfx}" harness)
  set(t afl_${name}${sfx})
  add_executable(${t} ${fuzz_dir}/afl_target.c $<TARGET_OBJECTS:shmfsrc_${name}${sfx}>
                 ${ring_driver})
  if(NOT sfx AND _shmf_cmp_ring)
    target_link_options(${t} PRIVATE ${SHMF_CMPLOG_WRAP_FLAGS})
  endif()
  target_compile_options(${t} PRIVATE ${san_flags})
  target_link_libraries(${t} PRIVATE shmffuzz_${name}${sfx} ${harness})
  set_target_properties(${t} PROPERTIES RUNTIME_OUTPUT_DIRECTORY "${PROJECT_BINARY_DIR}/fuzz")
  if(has_cxx)
    set_target_properties(${t} PROPERTIES LINKER_LANGUAGE CXX)
  endif()
  if(sfx)
    shmf_afl_cmplog(${t})
  endif()
endfunction()

# shmf_afl_cmplog_enabled(<out>): true when the AFL++ targets get CMPLOG twins,
# that is SHMF_ENGINE=afl and an AFL++ compiler (afl-clang-fast, afl-clang-lto,
# afl-cc); with any other compiler AFL_LLVM_CMPLOG would change nothing.
function(shmf_afl_cmplog_enabled out)
  if(SHMF_ENGINE STREQUAL "afl" AND CMAKE_C_COMPILER MATCHES "afl-")
    set(${out} TRUE PARENT_SCOPE)
  else()
    set(${out} FALSE PARENT_SCOPE)
  endif()
endfunction()

# shmf_afl_cmplog(<target>...): compile and link the targets with AFL_LLVM_CMPLOG=1
# in the AFL++ compiler's environment (at link time too, where afl-clang-lto runs
# its instrumentation; AFL++ 4.04c adds the CMPLOG hooks when compiling).  The definition SHMF_AFL_CMPLOG=1 keeps their command lines apart from
# the plain targets', so a compiler cache never hands one the other's objects.
function(shmf_afl_cmplog)
  set(env ${CMAKE_COMMAND} -E env AFL_LLVM_CMPLOG=1)
  set(cc_launch ${env} ${CMAKE_C_COMPILER_LAUNCHER})
  set(ld_launch ${env} ${CMAKE_C_LINKER_LAUNCHER})
  set(cxx_launch ${env} ${CMAKE_CXX_COMPILER_LAUNCHER})
  set(cxx_ld_launch ${env} ${CMAKE_CXX_LINKER_LAUNCHER})
  foreach(t ${ARGN})
    set_target_properties(${t} PROPERTIES C_COMPILER_LAUNCHER "${cc_launch}" C_LINKER_LAUNCHER "${ld_launch}"
                                          CXX_COMPILER_LAUNCHER "${cxx_launch}"
                                          CXX_LINKER_LAUNCHER "${cxx_ld_launch}")
    target_compile_definitions(${t} PRIVATE SHMF_AFL_CMPLOG=1)
  endforeach()
endfunction()
