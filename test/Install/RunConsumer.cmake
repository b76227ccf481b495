# cmake -P driver of the install-consumer test (CMakeLists.txt beside it).
function(run what)
  execute_process(${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out
    ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc}):\n${out}\n${err}")
  endif()
  set(out "${out}" PARENT_SCOPE)
endfunction()

file(REMOVE_RECURSE ${PREFIX} ${WORK_DIR})
run("cmake --install" COMMAND ${CMAKE_COMMAND} --install ${BUILD_DIR}
  --prefix ${PREFIX})

# The consumer, found through the prefix like any installed package.
run("configuring the consumer" COMMAND ${CMAKE_COMMAND}
  -S ${SOURCE_DIR} -B ${WORK_DIR} -G ${GENERATOR}
  -DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM}
  -DCMAKE_BUILD_TYPE=Release
  -DCMAKE_PREFIX_PATH=${PREFIX}
  -DCMAKE_CXX_COMPILER=${CXX_COMPILER}
  -DCMAKE_CXX_FLAGS=${CXX_FLAGS}
  -DCMAKE_EXE_LINKER_FLAGS=${LINKER_FLAGS})
run("building the consumer" COMMAND ${CMAKE_COMMAND} --build ${WORK_DIR})
run("running the consumer" COMMAND ${WORK_DIR}/qtrain-consumer)
message(STATUS "qtrain-consumer: ${out}")

# The installed tools find libMLIR.so, the bundled recipes are inside them.
set(model ${PREFIX}/bin/qtrain-model mlp --inputs=4 --hidden=8 --classes=3
  --batch=2 --momentum=0)
run("installed qtrain-model | qtrain-opt" COMMAND ${model}
  COMMAND ${PREFIX}/bin/qtrain-opt --qtrain-quantize=recipe=mxfp8)
if(NOT out MATCHES "qtrain.matmul")
  message(FATAL_ERROR "installed qtrain-opt: no qtrain.matmul in\n${out}")
endif()

# The installed plugin in upstream mlir-opt (an instrumented plugin cannot
# load into it).
if(NOT CXX_FLAGS MATCHES "-fsanitize=")
  set(plugin ${PREFIX}/lib/libQTrainPlugin.so)
  run("upstream mlir-opt with the installed plugin" COMMAND ${model}
    COMMAND ${MLIR_OPT} --load-dialect-plugin=${plugin}
      --load-pass-plugin=${plugin}
      "--pass-pipeline=builtin.module(qtrain-quantize{recipe=mxfp8})")
  if(NOT out MATCHES "qtrain.matmul")
    message(FATAL_ERROR "mlir-opt + plugin: no qtrain.matmul in\n${out}")
  endif()
endif()
