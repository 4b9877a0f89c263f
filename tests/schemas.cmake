# JSON the tools write validates against reports/schema/*.json (python3-jsonschema,
# from scripts/setup-deps.sh; the test is skipped when the module is missing).
add_test(NAME schemas_validate
         COMMAND Python3::Interpreter ${CMAKE_CURRENT_SOURCE_DIR}/schemas.py
                 $<TARGET_FILE:shmfuzz> ${PROJECT_SOURCE_DIR}
                 ${CMAKE_CURRENT_BINARY_DIR}/schemas)
set_tests_properties(schemas_validate PROPERTIES LABELS unit TIMEOUT 60 SKIP_RETURN_CODE 77)
