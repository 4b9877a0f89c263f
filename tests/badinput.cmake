# Bad input everywhere (issue 15 item 4, label `badinput`): every error of the
# shmfuzz command and of the scripts' argument checks exits 2 with exactly one
# line on stderr, no sanitizer report (LeakSanitizer on) and nothing left behind;
# --help / -h and --version exit 0 with the usage on stdout.  The cases are the
# tables in badinput/cases-*.txt, run by badinput/run.py from a temporary
# directory outside the checkout; no case builds or installs anything.
find_package(Python3 COMPONENTS Interpreter REQUIRED)
foreach(_shmf_table shmfuzz scripts)
  add_test(NAME badinput_${_shmf_table}
           COMMAND Python3::Interpreter ${CMAKE_CURRENT_SOURCE_DIR}/badinput/run.py
                   --shmfuzz $<TARGET_FILE:shmfuzz> --scripts ${PROJECT_SOURCE_DIR}/scripts
                   --dev-tree ${PROJECT_BINARY_DIR}
                   ${CMAKE_CURRENT_SOURCE_DIR}/badinput/cases-${_shmf_table}.txt)
  set_tests_properties(badinput_${_shmf_table} PROPERTIES LABELS badinput TIMEOUT 120)
endforeach()
