# diff.minimize: `shmfuzz minimize --against` keeps the divergence's signature
# and drops the ops that do not make it.
# -DSHMFUZZ=... -DRULES=... -DWORK=dir
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
file(WRITE ${WORK}/in.ops
"alloc usage=4 length=4096
touch write=1 len=8
raise level=1
lower
qalloc order=3 bufsize=2048
alloc usage=1 length=8192
alloc usage=4 length=0
free
free
touch len=4
")
execute_process(COMMAND ${SHMFUZZ} minimize -p gaps_length_zero --against reference
                        --allow ${RULES} -o ${WORK}/min.ops ${WORK}/in.ops
                RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 1)
  message(FATAL_ERROR "minimize exited ${rc} (want 1): ${err}")
endif()
if(NOT err MATCHES "10 -> 1 ops.*divergence\\|alloc:accepted:length-zero")
  message(FATAL_ERROR "minimize did not keep the divergence in one op: ${err}")
endif()
execute_process(COMMAND ${SHMFUZZ} replay -q -p gaps_length_zero --against reference
                        --allow ${RULES} ${WORK}/min.ops
                RESULT_VARIABLE rc OUTPUT_VARIABLE out)
if(NOT rc EQUAL 1 OR NOT out MATCHES "signature: divergence\\|alloc:accepted:length-zero")
  message(FATAL_ERROR "the minimized input does not replay to the divergence (${rc}): ${out}")
endif()
