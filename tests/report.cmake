# `shmfuzz report` and `report-diff` on synthetic run directories of every status:
# a failed, partial or interrupted campaign is said so in campaign.json, SARIF
# (invocations) and HTML, and report-diff refuses to compare a run that did not run.
add_test(NAME report_status
         COMMAND Python3::Interpreter ${CMAKE_CURRENT_SOURCE_DIR}/report/status.py
                 $<TARGET_FILE:shmfuzz> ${PROJECT_SOURCE_DIR}
                 ${CMAKE_CURRENT_BINARY_DIR}/report_status)
set_tests_properties(report_status PROPERTIES LABELS unit TIMEOUT 60)

# campaign.html in headless Chromium: a generated 8 h campaign (2 x 1,000 samples,
# 200 findings) loads in under a second; the campaign tests' real clean and
# planted-bug pages (when they ran) have their rows, links and drawn charts;
# screenshots go to reports/out/screenshots/. Skipped (77) without Chromium.
add_test(NAME report_browser
         COMMAND Python3::Interpreter ${CMAKE_CURRENT_SOURCE_DIR}/report/browser.py
                 $<TARGET_FILE:shmfuzz> ${PROJECT_SOURCE_DIR}
                 ${CMAKE_CURRENT_BINARY_DIR}/report_browser
                 ${CMAKE_CURRENT_BINARY_DIR}/campaign/reference/out
                 ${CMAKE_CURRENT_BINARY_DIR}/campaign/planted/out)
set_tests_properties(report_browser PROPERTIES LABELS report TIMEOUT 180 SKIP_RETURN_CODE 77
                     DEPENDS "campaign_reference;campaign_planted")

# The standalone C reproducer (`shmfuzz repro-c`) compiles with the provider and the
# libraries as its header says, and replays the finding.
string(REPLACE ";" " " _shmf_repro_san "${SHMF_SAN_FLAGS}")
add_test(NAME repro_c_compiles
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/repro_c/run.sh $<TARGET_FILE:shmfuzz>
                 ${PROJECT_SOURCE_DIR} ${CMAKE_CURRENT_BINARY_DIR}/repro_c ${CMAKE_C_COMPILER}
                 "${_shmf_repro_san}" ${PROJECT_BINARY_DIR}/harness/generated
                 $<TARGET_FILE:shmf_harness> $<TARGET_FILE:shmf_runtime>)
set_tests_properties(repro_c_compiles PROPERTIES LABELS unit TIMEOUT 120)

# One writer per report file (DESIGN.md "Reports"): report_fields prints the field
# lists of harness/report/report_fields.h (the tables the C builders check against);
# schema_fields.py compares them with reports/schema/{finding,run}.json, validates
# what every writer wrote (replay, replay --against, stress clean and with a
# finding, scripts/campaign/engines.py, the campaign tests' run directories when
# they ran) and reads those documents back through `shmfuzz report`.
add_executable(report_fields report/fields.c)
target_link_libraries(report_fields PRIVATE shmf_harness)
add_test(NAME report_schema_fields
         COMMAND Python3::Interpreter ${CMAKE_CURRENT_SOURCE_DIR}/report/schema_fields.py
                 $<TARGET_FILE:shmfuzz> $<TARGET_FILE:report_fields> ${PROJECT_SOURCE_DIR}
                 ${CMAKE_CURRENT_BINARY_DIR}/report_schema_fields
                 $<TARGET_FILE:shmfprov_stress_racy>
                 ${CMAKE_CURRENT_BINARY_DIR}/campaign/reference/out
                 ${CMAKE_CURRENT_BINARY_DIR}/campaign/planted/out)
set_tests_properties(report_schema_fields PROPERTIES LABELS "report;unit" TIMEOUT 180)
