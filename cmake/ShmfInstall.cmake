# ShmfInstall.cmake -- what `cmake --install` puts where, and the CMake package
# that lets another project call find_package(shmfuzz) + shmfuzz_add_provider().
#
# Included last from the top-level CMakeLists.txt, when every target exists.
# Layout under the prefix (docs/byo-provider.md):
#
#   include/shmfuzz/ndis.h, ndis/*.h,       what a provider compiles against
#                   net/*.h, shmfuzz/*.h    (-I<prefix>/include/shmfuzz)
#   include/shmfuzz/harness/*.h             harness headers the fuzz sources include
#   lib/libshmf_*.a                         runtime, harness, generic fuzz glue
#   lib/shmfuzz/providers/libshmfprov_*.so  providers `shmfuzz --provider NAME` finds
#   lib/shmfuzz/libshmf_afl_mutator.so      AFL++ custom mutator
#   lib/cmake/shmfuzz/                      package config, targets, version
#   libexec/shmfuzz/afl_generic|fuzz_generic  engine binaries for SHMFUZZ_PROVIDER=
#   bin/shmfuzz                             the CLI
#   share/shmfuzz/fuzz/                     engine entry sources for shmfuzz_add_provider,
#                                           and the reference ring driver they link
#   share/shmfuzz/{scripts,schema,corpus}/  scripts, JSON Schemas, seeds (.ops text and
#                                           seeds-bin/ encoded), dictionary
include(CMakePackageConfigHelpers)

set(SHMF_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/shmfuzz")
set(SHMF_INSTALL_INCDIR "${CMAKE_INSTALL_INCLUDEDIR}/shmfuzz")
set(SHMF_INSTALL_DATADIR "${CMAKE_INSTALL_DATADIR}/shmfuzz")
set(SHMF_INSTALL_PROVDIR "${CMAKE_INSTALL_LIBDIR}/shmfuzz/providers")
set(SHMF_INSTALL_LIBEXECDIR "${CMAKE_INSTALL_LIBEXECDIR}/shmfuzz")

# === Headers ===
# Public: the provider's world.  The private runtime headers (ndis/src/*.h) stay.
# ndis.h with its parts (ndis/*.h), wdm.h / ntddk.h, net/*.h, shmfuzz/*.h.
install(DIRECTORY ndis/include/ DESTINATION "${SHMF_INSTALL_INCDIR}"
        FILES_MATCHING PATTERN "*.h")
# The closure of the harness headers that harness/fuzz/*.c include, plus the ring
# driver typedefs that a ShmfProviderRingAdvance export uses (docs/rings.md).
install(FILES harness/codec/cmp.h harness/exec/exec.h harness/codec/mutator.h harness/codec/opstream.h
              harness/report/report.h harness/report/report_fields.h harness/exec/target.h
              harness/exec/target_check.h
              providers/reference/ring_driver.h
        DESTINATION "${SHMF_INSTALL_INCDIR}/harness")

# The harness declares its include directories as source paths; an exported target
# must not carry those, so keep them for the build tree and point the installed
# target at include/shmfuzz/harness instead.
get_target_property(_shmf_harness_inc shmf_harness INTERFACE_INCLUDE_DIRECTORIES)
set(_shmf_harness_inc_wrapped "")
foreach(_d IN LISTS _shmf_harness_inc)
  if(_d MATCHES "^\\$<")
    list(APPEND _shmf_harness_inc_wrapped "${_d}")
  else()
    list(APPEND _shmf_harness_inc_wrapped "$<BUILD_INTERFACE:${_d}>")
  endif()
endforeach()
list(APPEND _shmf_harness_inc_wrapped "$<INSTALL_INTERFACE:${SHMF_INSTALL_INCDIR}/harness>")
set_target_properties(shmf_harness PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${_shmf_harness_inc_wrapped}")

# === Libraries and programs (exported as shmfuzz::<name>) ===
# The same names in the build tree as in the package (shmfuzz::runtime exists).
add_library(shmfuzz::harness ALIAS shmf_harness)
add_library(shmfuzz::fuzz_common ALIAS shmf_fuzz_common)
add_library(shmfuzz::afl_mutator ALIAS shmf_afl_mutator)
add_executable(shmfuzz::shmfuzz ALIAS shmfuzz)
set_target_properties(shmf_runtime PROPERTIES EXPORT_NAME runtime)
set_target_properties(shmf_harness PROPERTIES EXPORT_NAME harness)
set_target_properties(shmf_fuzz_common PROPERTIES EXPORT_NAME fuzz_common)
set_target_properties(shmf_afl_mutator PROPERTIES EXPORT_NAME afl_mutator)
set_target_properties(shmfuzz PROPERTIES EXPORT_NAME shmfuzz)
install(TARGETS shmf_runtime shmf_harness shmf_fuzz_common
        EXPORT shmfuzzTargets
        ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}")
install(TARGETS shmfuzz EXPORT shmfuzzTargets RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}")
install(TARGETS shmf_afl_mutator EXPORT shmfuzzTargets
        LIBRARY DESTINATION "${CMAKE_INSTALL_LIBDIR}/shmfuzz")
foreach(_t afl_generic afl_generic_cmplog fuzz_generic)
  if(TARGET ${_t})
    install(TARGETS ${_t} RUNTIME DESTINATION "${SHMF_INSTALL_LIBEXECDIR}")
  endif()
endforeach()

# Every provider built here (reference and the planted-bug ones), where
# target.c's SHMF_INSTALL_PROVIDER_DIR looks for them.
get_property(_shmf_providers GLOBAL PROPERTY SHMF_PROVIDERS)
foreach(_p IN LISTS _shmf_providers)
  get_target_property(_shmf_no_install shmfprov_${_p} SHMF_NO_INSTALL)
  if(NOT _shmf_no_install) # test providers (tests/wdk.cmake) stay in the build tree
    install(TARGETS shmfprov_${_p} LIBRARY DESTINATION "${SHMF_INSTALL_PROVDIR}")
  endif()
endforeach()

# === Sources shmfuzz_add_provider() compiles in the consumer's build ===
install(FILES cmake/ShmfuzzAddProvider.cmake DESTINATION "${SHMF_INSTALL_CMAKEDIR}")
# The reference ring driver, linked into the engine targets of a provider that
# exports none (ShmfuzzAddProvider.cmake; docs/rings.md).
install(FILES harness/fuzz/fuzz_common.c harness/fuzz/fuzz_common.h
              harness/fuzz/libfuzzer_target.c harness/fuzz/afl_target.c
              providers/reference/ring_driver.c providers/reference/ring_driver.h
        DESTINATION "${SHMF_INSTALL_DATADIR}/fuzz")

# === Data: scripts, schemas, dictionary, seeds ===
install(DIRECTORY scripts/ DESTINATION "${SHMF_INSTALL_DATADIR}/scripts"
        USE_SOURCE_PERMISSIONS
        PATTERN "__pycache__" EXCLUDE PATTERN "*.pyc" EXCLUDE)
install(DIRECTORY reports/schema/ DESTINATION "${SHMF_INSTALL_DATADIR}/schema")
install(FILES corpus/shmfuzz.dict DESTINATION "${SHMF_INSTALL_DATADIR}/corpus")
install(DIRECTORY corpus/seeds corpus/regressions DESTINATION "${SHMF_INSTALL_DATADIR}/corpus")
# The seeds in binary form, as the engines read them (encoded by corpus/CMakeLists.txt).
if(TARGET shmf_seed_corpus AND SHMF_SEED_DIR)
  install(DIRECTORY "${SHMF_SEED_DIR}/" DESTINATION "${SHMF_INSTALL_DATADIR}/corpus/seeds-bin")
endif()
install(FILES docs/porting.md docs/byo-provider.md docs/rings.md docs/opstream.md
        DESTINATION "${CMAKE_INSTALL_DOCDIR}" OPTIONAL)

# === The CMake package ===
# Values the consumer's shmfuzz_add_provider() needs: the sanitizers the static
# libraries were built with (a consumer must link the same runtime) and the engine.
string(REPLACE ";" " " SHMF_PACKAGE_SAN_FLAGS_STR "${SHMF_SAN_FLAGS}")
install(EXPORT shmfuzzTargets NAMESPACE shmfuzz:: FILE shmfuzzTargets.cmake
        DESTINATION "${SHMF_INSTALL_CMAKEDIR}")
configure_package_config_file(cmake/shmfuzzConfig.cmake.in
    "${PROJECT_BINARY_DIR}/package/shmfuzzConfig.cmake"
    INSTALL_DESTINATION "${SHMF_INSTALL_CMAKEDIR}"
    PATH_VARS SHMF_INSTALL_INCDIR SHMF_INSTALL_DATADIR SHMF_INSTALL_PROVDIR
              SHMF_INSTALL_LIBEXECDIR CMAKE_INSTALL_BINDIR)
write_basic_package_version_file("${PROJECT_BINARY_DIR}/package/shmfuzzConfigVersion.cmake"
    VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES "${PROJECT_BINARY_DIR}/package/shmfuzzConfig.cmake"
              "${PROJECT_BINARY_DIR}/package/shmfuzzConfigVersion.cmake"
        DESTINATION "${SHMF_INSTALL_CMAKEDIR}")
