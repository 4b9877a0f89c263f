# `shmfuzz report` and `report-diff` on synthetic run directories of every status:
# a failed, partial or interrupted campaign is said so in campaign.json, SARIF
# (invocations) and HTML, and report-diff refuses to compare a run that did not run.
add_test(NAME report_status
         COMMAND Python3::Interpreter ${CMAKE_CURRENT_SOURCE_DIR}/report/status.py
                 $<TARGET_FILE:shmfuzz> ${PROJECT_SOURCE_DIR}
                 ${CMAKE_CURRENT_BINARY_DIR}/report_status)
set_tests_properties(report_status PROPERTIES LABELS unit TIMEOUT 60)
