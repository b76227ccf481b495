//===- Passes.td - qtrain conversion passes ----------------*- tablegen -*-===//

#ifndef QTRAIN_CONVERSION_PASSES_TD
#define QTRAIN_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertQTrainToVector : Pass<"convert-qtrain-to-vector", "mlir::ModuleOp"> {
  let summary = "Lower qtrain ops on tensors to vector, arith, scf and memref code";
  let description = [{
    Replaces every qtrain op by loops over buffers whose element code is
    vectorised (`vector-width` lanes; by default one vector register of
    the target CPU, see docs/CPULowering.md) and computes exactly the bits of the
    numerics library (docs/Numerics.md): minifloat and integer rounding with
    integer bit operations, stochastic rounding with the library's random
    streams indexed by each element's row-major position. Operands enter
    through `bufferization.to_buffer` and results leave through
    `bufferization.to_tensor restrict`, so the output is ready for
    `one-shot-bufferize`. The `qtrain-to-llvm` pipeline runs this pass and
    the upstream passes that finish the job.

    ```
    qtrain-opt --convert-qtrain-to-vector="vector-width=8" model.mlir
    ```

    Elementwise ops over more than `tile-elements` elements (and not drawing
    from an LFSR, whose lanes advance sequentially) are split into tiles in
    an `scf.forall`; each element still uses its global row-major index as
    its stream index, so results do not depend on the tiling or the number
    of threads. `tile-elements=0` keeps every op on one thread.

    `math.exp` and `math.log` on f32 scalars and vectors (wherever they
    are, `linalg.generic` bodies included) become the numerics library's
    `expF32` and `logF32`, operation for operation, so that their bits do
    not depend on the host's libm (docs/Numerics.md, Elementary functions);
    other types are left to `convert-math-to-llvm`.

    `qtrain.conv2d`, `qtrain.delayed_scale` and `qtrain.zero_setting_error`
    must have been rewritten by `qtrain-decompose` first (the pipeline runs
    it): this pass only converts, and reports them at their location. An
    op the lowering does not cover yet is reported with its location and
    the pass fails.
  }];
  let dependentDialects = [
    "mlir::arith::ArithDialect", "mlir::bufferization::BufferizationDialect",
    "mlir::cf::ControlFlowDialect", "mlir::linalg::LinalgDialect",
    "mlir::math::MathDialect",
    "mlir::memref::MemRefDialect", "mlir::scf::SCFDialect",
    "mlir::vector::VectorDialect"
  ];
  let options = [
    Option<"targetCpu", "target-cpu", "std::string", /*default=*/"\"\"",
           "LLVM CPU to generate code for (x86-64-v3, znver3, ...); empty or "
           "'host': this machine">,
    Option<"targetFeatures", "target-features", "std::string",
           /*default=*/"\"\"",
           "Feature changes on top of the CPU's (+avx512f,-fma)">,
    Option<"vectorWidth", "vector-width", "int64_t", /*default=*/"0",
           "Lanes of the element code's vectors (0: one vector register of "
           "f32 on the target)">,
    Option<"tileElements", "tile-elements", "int64_t",
           /*default=*/"::qtrain::kDefaultTileElements",
           "Elements per parallel tile of elementwise ops (scf.forall); 0 "
           "keeps every op on one thread">,
    Option<"gemmTileBytes", "gemm-tile-bytes", "int64_t",
           /*default=*/"::qtrain::kDefaultGemmTileBytes",
           "Bytes of A's rows per parallel GEMM tile, read from L2 for each "
           "packed strip of B (0: tiles of the fork-join size only)">,
    Option<"gemmRows", "gemm-rows", "int64_t", /*default=*/"0",
           "Rows of an f32 GEMM register block (0: from the target)">,
    Option<"gemmVectors", "gemm-vectors", "int64_t", /*default=*/"0",
           "Column vectors of an f32 GEMM register block (0: from the "
           "target)">,
    Option<"emulatedRows", "emulated-rows", "int64_t", /*default=*/"0",
           "Rows of a register block of emulated accumulation's f32 fast "
           "path (0: from the target)">,
    Option<"emulatedVectors", "emulated-vectors", "int64_t",
           /*default=*/"0",
           "Column vectors of a register block of emulated accumulation's "
           "f32 fast path (0: from the target)">
  ];
}

def SpecializeControl : Pass<"qtrain-specialize-control", "mlir::ModuleOp"> {
  let summary = "Fold the run-time control flow that the state arguments decide";
  let description = [{
    The accelerator has no branches. A training step whose `scf.if`,
    `scf.index_switch` and `arith.select` conditions follow from its 0-d
    integer state arguments alone (adaptive-bias FP8's `step < warm-up`) is
    compiled once per outcome: given the state of function `function` (by
    default the module's only function with a body; option `state`, pairs
    `INDEX=VALUE` of argument index and value), constant folding decides
    those conditions and every i1 value that follows from the state (an
    i1 `andi` with a false operand and an `ori` with a true one decide
    without their other operand: `flexblock-dynamic`'s end-of-period test
    and-ed with conditions the data decide), which become constants, and
    the ops' own folders and canonicalizations remove the branches not
    taken. The state arguments stay arguments (the step counter is still
    read and advanced); conditions the data decide are left alone and map
    as scalar code. `qtrain-train --target=accel` does this
    before each step, with a program per outcome.

    ```
    qtrain-opt step.mlir --qtrain-specialize-control="function=train_step state=15=3" \
        --qtrain-to-accel=function=train_step
    ```
  }];
  let dependentDialects = ["mlir::arith::ArithDialect"];
  let options = [
    Option<"function", "function", "std::string", /*default=*/"\"\"",
           "The function to specialize; empty: the module's only function "
           "with a body">,
    ListOption<"state", "state", "std::string",
               "INDEX=VALUE: a 0-d integer tensor argument's value">,
  ];
}

def ConvertQTrainToAccel : Pass<"convert-qtrain-to-accel", "mlir::ModuleOp"> {
  let summary = "Map a function of qtrain ops to an accel.program";
  let description = [{
    Replaces one function (option `function`; by default the module's only
    function with a body) by an `accel.program`: the instruction stream of
    the qtrain accelerator (docs/Accelerator.md, "The compiler side") that
    computes the same bits as the CPU lowering. Every argument, result and
    intermediate tensor gets a 64-byte aligned DRAM region, listed in the
    program's `accel.buffers` manifest (name, role, address, bytes, shape,
    element type), which `qtrain-sim` uses to place inputs and read outputs.

    `qtrain.matmul` is tiled to the scratchpads and the accumulator memory
    of the machine description (option `machine`, a JSON file; empty: the
    bundled default), with its operands' `qtrain.quantize` fused into the
    LOADs, double-buffered scratchpad and ACC halves, and the dependency
    tokens between the load, compute and store queues inserted from the
    memories each instruction reads and writes. `tile-m`, `tile-n` and
    `tile-k` override the tile sizes; results do not depend on them.

    What cannot be mapped is reported at the op's location as
    `cannot map 'OP' to the accelerator: REASON`, and the pass fails.

    ```
    qtrain-opt --convert-qtrain-to-accel="tile-k=64" step.mlir | qtrain-translate --accel-to-binary -o step.bin
    ```
  }];
  let dependentDialects = ["::qtrain::accel::ir::AccelDialect"];
  let options = [
    Option<"machine", "machine", "std::string", /*default=*/"\"\"",
           "Machine description (JSON, docs/Accelerator.md); empty: the "
           "bundled default">,
    Option<"function", "function", "std::string", /*default=*/"\"\"",
           "The function to map; empty: the module's only function with a "
           "body">,
    Option<"tileM", "tile-m", "int64_t", /*default=*/"0",
           "Output rows per tile (0: as large as the memories allow)">,
    Option<"tileN", "tile-n", "int64_t", /*default=*/"0",
           "Output columns per tile (0: as large as the memories allow)">,
    Option<"tileK", "tile-k", "int64_t", /*default=*/"0",
           "Reduction length per tile (0: as large as the memories allow; "
           "rounded down to whole blocks)">
  ];
}

#endif // QTRAIN_CONVERSION_PASSES_TD
