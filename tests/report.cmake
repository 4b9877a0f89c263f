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
