# Bring-your-own-provider tests (label `byo`, docs/byo-provider.md): install this
# tree into a temporary prefix, then use it the three ways a user would -- an
# external CMake project, a prebuilt .so, and the ClusterFuzzLite build script.
# The scripts are tests/byo/*.sh: about 50 s of CPU in all, most of it compiling.
find_program(SHMF_BASH bash)
if(NOT SHMF_BASH)
  message(STATUS "byo tests: no bash, not registered")
  return()
endif()
find_program(SHMF_CLANGXX NAMES clang++ ${CMAKE_C_COMPILER}++)

set(_byo_work "${PROJECT_BINARY_DIR}/byo")
set(_byo_env
    "BYO_SRC=${PROJECT_SOURCE_DIR}"
    "BYO_BUILD=${PROJECT_BINARY_DIR}"
    "BYO_PREFIX=${_byo_work}/prefix"
    "BYO_WORK=${_byo_work}"
    "BYO_CC=${CMAKE_C_COMPILER}"
    "BYO_CXX=${SHMF_CLANGXX}"
    "BYO_CMAKE=${CMAKE_COMMAND}"
    # The installed tools must not fall back to this build tree's providers.
    "SHMF_PROVIDER_PATH=")
file(MAKE_DIRECTORY "${_byo_work}")

add_test(NAME byo_install COMMAND ${SHMF_BASH} ${CMAKE_CURRENT_SOURCE_DIR}/byo/install.sh)
set_tests_properties(byo_install PROPERTIES FIXTURES_SETUP byo_prefix)
foreach(_t external prebuilt)
  add_test(NAME byo_${_t} COMMAND ${SHMF_BASH} ${CMAKE_CURRENT_SOURCE_DIR}/byo/${_t}.sh)
  set_tests_properties(byo_${_t} PROPERTIES FIXTURES_REQUIRED byo_prefix)
endforeach()
add_test(NAME byo_cflite COMMAND ${SHMF_BASH} ${CMAKE_CURRENT_SOURCE_DIR}/byo/cflite.sh)

set_tests_properties(byo_install byo_external byo_prebuilt byo_cflite PROPERTIES
    LABELS byo TIMEOUT 180 ENVIRONMENT "${_byo_env}")
# The ClusterFuzzLite build compiles the whole harness a second time.
set_tests_properties(byo_cflite PROPERTIES TIMEOUT 300)
