# diff.bad_rules: a broken rules file or provider is a usage error (exit 2) with
# one line naming the file and line, before anything runs.
# -DSHMFUZZ=... -DWORK=dir -DINPUT=file.ops
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
file(WRITE ${WORK}/bad.rules "shmfuzz-rules v=1\nallow statuss length>1M\n")
function(expect_usage_error what pattern)
  execute_process(COMMAND ${SHMFUZZ} ${ARGN} RESULT_VARIABLE rc ERROR_VARIABLE err
                  OUTPUT_VARIABLE out)
  string(REGEX MATCHALL "\n" lines "${err}")
  list(LENGTH lines n)
  if(NOT rc EQUAL 2 OR NOT err MATCHES "${pattern}" OR NOT n EQUAL 1)
    message(FATAL_ERROR "${what}: exit ${rc}, stderr '${err}' (want 2 and one line matching '${pattern}')")
  endif()
endfunction()
expect_usage_error("bad rule" "bad.rules:2: unknown property"
                   replay -p gaps_length_zero --against reference --allow ${WORK}/bad.rules ${INPUT})
expect_usage_error("missing rules file" "cannot read rules file"
                   replay -p gaps_length_zero --against reference --allow ${WORK}/none.rules ${INPUT})
expect_usage_error("unknown against" "unknown provider 'nosuch'"
                   replay -p gaps_length_zero --against nosuch ${INPUT})
expect_usage_error("minimize bad rule" "bad.rules:2: unknown property"
                   minimize -p gaps_length_zero --against reference --allow ${WORK}/bad.rules
                   -o ${WORK}/m.ops ${INPUT})
