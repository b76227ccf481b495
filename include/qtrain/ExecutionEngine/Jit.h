//===- Jit.h - Compile qtrain modules for this machine ----------*- C++ -*-===//
//
// Lowers a module that uses qtrain on tensors with the qtrain-to-llvm
// pipeline and JIT-compiles it for a target CPU (default: this machine, its
// own vector extensions; LLVM -O3). Tests and benchmarks call the functions
// through their C interface (`llvm.emit_c_interface`).
//
//===----------------------------------------------------------------------===//

#ifndef QTRAIN_EXECUTIONENGINE_JIT_H
#define QTRAIN_EXECUTIONENGINE_JIT_H

#include "qtrain/Conversion/QTrainToVector/QTrainToVector.h"

#include "mlir/ExecutionEngine/CRunnerUtils.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"

#include "llvm/Support/Error.h"

#include <array>
#include <memory>
#include <type_traits>

namespace qtrain {

/// A context with every dialect a qtrain module may use and the LLVM IR
/// translations.
std::unique_ptr<mlir::MLIRContext> createJitContext();

struct JitOptions {
  /// The lowering's options, the target CPU among them: the JIT compiles
  /// for the same CPU and features the lowering was tuned for (default:
  /// this machine).
  QTrainToVectorOptions lowering;
  /// LLVM's optimisation level for the lowered module.
  unsigned optLevel = 3;
};

/// Lowers `module` in place with qtrain-to-llvm and compiles it to machine
/// code (now, not at the first call). Errors
/// carry the diagnostics (lowering failures, a bad target).
///
/// Parallel tiles run on OpenMP (libomp, loaded once for the process). A
/// parallel op returns only after every worker has left the JIT-compiled
/// code, so an engine may be destroyed as soon as its last call returned.
llvm::Expected<std::unique_ptr<mlir::ExecutionEngine>>
jitCompile(mlir::ModuleOp module, const JitOptions &options = {});

/// Parses `source` into `context`, then as above.
llvm::Expected<std::unique_ptr<mlir::ExecutionEngine>>
jitCompile(mlir::MLIRContext &context, llvm::StringRef source,
           const JitOptions &options = {});

/// The descriptor a C interface takes for a rank-`Rank` memref. Its layout
/// does not depend on the element type, so one type serves every element
/// type.
template <int Rank> using Memref = StridedMemRefType<char, Rank>;
using Memref1D = Memref<1>;

/// A descriptor of the contiguous row-major array of `shape` at `data`.
template <int Rank, typename T>
Memref<Rank> memrefOf(T *data, const std::array<int64_t, Rank> &shape) {
  char *p =
      reinterpret_cast<char *>(const_cast<std::remove_const_t<T> *>(data));
  Memref<Rank> m;
  m.basePtr = p;
  m.data = p;
  m.offset = 0;
  if constexpr (Rank > 0) {
    int64_t stride = 1;
    for (int d = Rank - 1; d >= 0; --d) {
      m.sizes[d] = shape[d];
      m.strides[d] = stride;
      stride *= shape[d];
    }
  }
  return m;
}

/// A descriptor of the `n` elements at `data`.
template <typename T> Memref1D memref1D(T *data, int64_t n) {
  return memrefOf<1>(data, {n});
}

/// The address of `_mlir_ciface_<name>` cast to a function pointer type.
template <typename Fn>
llvm::Expected<Fn *> lookupCInterface(mlir::ExecutionEngine &engine,
                                      llvm::StringRef name) {
  auto address = engine.lookup(("_mlir_ciface_" + name).str());
  if (!address)
    return address.takeError();
  return reinterpret_cast<Fn *>(*address);
}

} // namespace qtrain

#endif // QTRAIN_EXECUTIONENGINE_JIT_H
