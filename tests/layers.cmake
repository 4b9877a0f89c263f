# The runtime's layers (label `unit`): no file of ndis/src calls upward or in a
# cycle (scripts/check-layers.sh, from the compiled objects), and the tables'
# invariant checkers hold after every kind of op (test_layers.c).
find_program(SHMF_BASH bash REQUIRED)
add_test(NAME layers
         COMMAND ${SHMF_BASH} ${PROJECT_SOURCE_DIR}/scripts/check-layers.sh ${CMAKE_BINARY_DIR})
set_tests_properties(layers PROPERTIES LABELS unit TIMEOUT 60
                     ENVIRONMENT "NM=${CMAKE_NM}")

add_executable(test_layers test_layers.c)
target_link_libraries(test_layers PRIVATE shmf_runtime PkgConfig::CMOCKA)
target_include_directories(test_layers PRIVATE ${PROJECT_SOURCE_DIR}/ndis/src)
add_test(NAME test_layers COMMAND test_layers)
set_tests_properties(test_layers PROPERTIES LABELS unit TIMEOUT 60)
