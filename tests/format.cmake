# The C/C++ sources follow .clang-format (label `unit`): scripts/check-format.sh lists the
# files clang-format 14 would change; `scripts/check-format.sh --fix` rewrites them.
# Skipped (77) when clang-format is missing (scripts/setup-deps.sh --tests installs it).
option(SHMF_FORMAT_CHECK "Register the ctest `format` (scripts/check-format.sh)." ON)
if(SHMF_FORMAT_CHECK)
  find_program(SHMF_FORMAT_BASH bash REQUIRED)
  add_test(NAME format
           COMMAND ${SHMF_FORMAT_BASH} -c
                   "command -v \"\${CLANG_FORMAT:-clang-format}\" >/dev/null || (echo 'format: clang-format not installed (scripts/setup-deps.sh --tests installs it)' && exit 77) && exec \"$0\""
                   ${PROJECT_SOURCE_DIR}/scripts/check-format.sh
           WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
  set_tests_properties(format PROPERTIES LABELS unit TIMEOUT 120 SKIP_RETURN_CODE 77)
endif()
