// libQTrainPlugin.so in Debian's upstream mlir-opt (not qtrain-opt): the
// dialect plugin registers the qtrain dialect, the pass plugin qtrain's passes
// and pipelines. Plugin passes are not command-line flags of mlir-opt (its
// flags exist before a plugin loads): they run through --pass-pipeline.
// An instrumented plugin cannot load into the uninstrumented mlir-opt.
// UNSUPPORTED: sanitizer

// RUN: qtrain-model mlp --inputs=4 --hidden=8 --classes=3 --batch=2 --momentum=0 \
// RUN:   | mlir-opt --load-dialect-plugin=%qtrain_plugin --load-pass-plugin=%qtrain_plugin \
// RUN:       --pass-pipeline='builtin.module(qtrain-quantize{recipe=mxfp8})' \
// RUN:   | FileCheck %s --check-prefix=QUANT

// The quantized step parses with the dialect plugin alone and lowers with
// qtrain-to-llvm, through the same or a second invocation.
// RUN: qtrain-model mlp --inputs=4 --hidden=8 --classes=3 --batch=2 --momentum=0 \
// RUN:   | mlir-opt --load-pass-plugin=%qtrain_plugin \
// RUN:       --pass-pipeline='builtin.module(qtrain-quantize{recipe=mxfp8})' \
// RUN:   | mlir-opt --load-dialect-plugin=%qtrain_plugin --load-pass-plugin=%qtrain_plugin \
// RUN:       --pass-pipeline='builtin.module(qtrain-to-llvm)' \
// RUN:   | FileCheck %s --check-prefix=LLVM
// RUN: qtrain-model mlp --inputs=4 --hidden=8 --classes=3 --batch=2 --momentum=0 \
// RUN:   | mlir-opt --load-dialect-plugin=%qtrain_plugin --load-pass-plugin=%qtrain_plugin \
// RUN:       --pass-pipeline='builtin.module(qtrain-quantize{recipe=mxfp8},qtrain-to-llvm)' \
// RUN:   | FileCheck %s --check-prefix=LLVM

// Without the plugin, mlir-opt knows neither the dialect nor the pipeline.
// RUN: qtrain-model mlp --inputs=4 --hidden=8 --classes=3 --batch=2 --momentum=0 \
// RUN:   | mlir-opt --load-pass-plugin=%qtrain_plugin \
// RUN:       --pass-pipeline='builtin.module(qtrain-quantize{recipe=mxfp8})' \
// RUN:   | not mlir-opt 2>&1 | FileCheck %s --check-prefix=NODIALECT
// RUN: not mlir-opt %s --pass-pipeline='builtin.module(qtrain-quantize)' 2>&1 \
// RUN:   | FileCheck %s --check-prefix=NOPASS

// QUANT-LABEL: func.func @train_step
// fc1 forward: both operands in MXFP8 (E4M3 elements), then the matmul.
// QUANT: qtrain.quantize %{{.*}}#qtrain.scaled<mxfp8_e4m3>{{.*}} : tensor<2x4xf32>
// QUANT: qtrain.quantize %{{.*}}#qtrain.scaled<mxfp8_e4m3>{{.*}} : tensor<4x8xf32>
// QUANT: qtrain.matmul {{.*}} : tensor<2x4xf32>, tensor<4x8xf32> -> tensor<2x8xf32>
// Backward: errors in MXFP8 with E5M2 elements.
// QUANT: qtrain.quantize %{{.*}}#qtrain.scaled<mxfp8_e5m2>
// QUANT: qtrain.matmul
// QUANT-NOT: linalg.matmul
// QUANT-LABEL: func.func @predict
// QUANT: qtrain.matmul

// LLVM-NOT: qtrain.
// LLVM: llvm.func @train_step(
// LLVM: llvm.func @predict(

// NODIALECT: error: Dialect `qtrain' not found for custom op 'qtrain.quantize'
// NOPASS: 'qtrain-quantize' does not refer to a registered pass or pass pipeline
