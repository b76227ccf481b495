//===- Jit.h - Compile qtrain modules for this machine ----------*- C++ -*-===//
//
// Parses a module that uses qtrain on tensors, lowers it with the
// qtrain-to-llvm pipeline and JIT-compiles it for the host CPU (its own
// vector extensions, LLVM -O3). Tests and benchmarks call the functions
// through their C interface (`llvm.emit_c_interface`).
//
//===----------------------------------------------------------------------===//

#ifndef QTRAIN_EXECUTIONENGINE_JIT_H
#define QTRAIN_EXECUTIONENGINE_JIT_H

#include "qtrain/Pipelines/Pipelines.h"

#include "mlir/ExecutionEngine/CRunnerUtils.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/IR/MLIRContext.h"

#include "llvm/Support/Error.h"

#include <memory>
#include <type_traits>

namespace qtrain {

/// A context with every dialect a qtrain module may use and the LLVM IR
/// translations, and the pass registrations the pipeline text needs.
std::unique_ptr<mlir::MLIRContext> createJitContext();

struct JitOptions {
  int64_t vectorWidth = 16;
  int64_t tileElements = 65536;
  unsigned optLevel = 3;
};

/// Parses `source`, lowers it and compiles it. Errors carry the
/// diagnostics (parse errors, lowering failures).
///
/// Engines are never freed (the library keeps a reference until the process
/// ends, without destroying them at exit): when a parallel op returns, a
/// worker thread of MLIR's async runtime may still be leaving the
/// JIT-compiled code that signalled completion, and freeing that code under
/// it crashed (under load, in the tests). The runtime joins its workers at
/// exit while the code is still mapped.
llvm::Expected<std::shared_ptr<mlir::ExecutionEngine>>
compileForHost(mlir::MLIRContext &context, llvm::StringRef source,
               const JitOptions &options = {});

/// The descriptor a C interface takes for a rank-1 memref. Its layout does
/// not depend on the element type, so one type serves every element type.
using Memref1D = StridedMemRefType<char, 1>;

/// A descriptor of the `n` elements at `data`.
template <typename T> Memref1D memref1D(T *data, int64_t n) {
  char *p =
      reinterpret_cast<char *>(const_cast<std::remove_const_t<T> *>(data));
  return {p, p, 0, {n}, {1}};
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
