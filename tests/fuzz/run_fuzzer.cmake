# Runs one libFuzzer binary for a few seconds on a fresh copy of its seed
# corpus (ctest fuzz_run_*). Usage:
#   cmake -DFUZZER=<bin> -DCORPUS=<seed dir> -DWORK_DIR=<dir> -DSECONDS=<n>
#         -P run_fuzzer.cmake
# New inputs and crash artifacts stay in WORK_DIR (corpus/, artifacts/).
foreach(var FUZZER CORPUS WORK_DIR SECONDS)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run_fuzzer.cmake: ${var} is not set")
  endif()
endforeach()

file(REMOVE_RECURSE ${WORK_DIR}/corpus)
file(MAKE_DIRECTORY ${WORK_DIR}/corpus ${WORK_DIR}/artifacts)
file(COPY ${CORPUS}/ DESTINATION ${WORK_DIR}/corpus)

execute_process(
  COMMAND ${FUZZER}
    -max_total_time=${SECONDS} -timeout=5 -rss_limit_mb=2048
    -print_final_stats=1
    -artifact_prefix=${WORK_DIR}/artifacts/
    ${WORK_DIR}/corpus
  WORKING_DIRECTORY ${WORK_DIR}
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${FUZZER} failed (${rc}); crash inputs in "
                      "${WORK_DIR}/artifacts")
endif()
