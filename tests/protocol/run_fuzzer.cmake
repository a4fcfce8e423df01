# Runs the decoder fuzzer from a fresh working corpus seeded with tests/gateway/fuzz_corpus
# (the committed seeds are read, never written). Invoked by ctest:
#   cmake -DFUZZER=... -DSEEDS=... -DWORK=... -P run_fuzzer.cmake
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK}/corpus ${WORK}/artifacts)
execute_process(
  COMMAND ${FUZZER} -runs=200000 -max_len=70000 -seed=1 -max_total_time=240 -timeout=10
          -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix=${WORK}/artifacts/
          ${WORK}/corpus ${SEEDS}
  RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "fuzz_decoder failed (${result}); the crashing input is in ${WORK}/artifacts")
endif()
