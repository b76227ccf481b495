//===- StepCall.h - Call a JIT-compiled function on host tensors -*- C++
//-*-===//
//
// Calls a function of ranked tensors of f32 / i32 / i64 (and i64 scalars)
// through its C interface, with any number of arguments and results. The
// results come back as host tensors; the JIT's result buffers are freed.
//
//===----------------------------------------------------------------------===//

#ifndef QTRAIN_TRAIN_STEPCALL_H
#define QTRAIN_TRAIN_STEPCALL_H

#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/BuiltinTypes.h"

#include "llvm/Support/Error.h"

#include <cstdint>
#include <memory>
#include <vector>

namespace qtrain::train {

/// A row-major host tensor of f32 (or i32 when `isInt`, i64 when `isI64`)
/// elements, or an i64 scalar (`isScalar`, a seed argument). The elements
/// live in the vector of their type, or, for a result adopted from the
/// compiled code (callTensors' `into`), in that code's buffer (`external`,
/// shared and freed with the last copy); data() and values() serve both.
struct HostTensor {
  std::vector<int64_t> shape;
  std::vector<float> f32;
  std::vector<int32_t> i32;
  std::vector<int64_t> i64;
  bool isInt = false;
  bool isI64 = false;
  bool isScalar = false;
  int64_t scalar = 0;
  std::shared_ptr<void> external;

  int64_t count() const {
    int64_t n = 1;
    for (int64_t d : shape)
      n *= d;
    return n;
  }
  /// The elements' bytes (`bytes()` of them); a scalar's value.
  void *data() {
    return isScalar   ? (void *)&scalar
           : external ? external.get()
           : isI64    ? (void *)i64.data()
           : isInt    ? (void *)i32.data()
                      : (void *)f32.data();
  }
  /// The elements as T (float, int32_t or int64_t, as the type says).
  template <typename T> T *values() { return static_cast<T *>(data()); }
  template <typename T> const T *values() const {
    return static_cast<const T *>(data());
  }
  const void *data() const { return const_cast<HostTensor *>(this)->data(); }
  size_t elementBytes() const { return isI64 ? 8 : 4; }
  size_t bytes() const { return isScalar ? 8 : count() * elementBytes(); }

  /// Zeros of `type`: a ranked tensor of f32, i32 or i64, or i64.
  static HostTensor zeros(mlir::Type type);
};

/// Whether `type` is one a HostTensor holds.
bool isHostType(mlir::Type type);

/// The signature of `name` in `module` (before lowering), with the C
/// interface requested.
mlir::FunctionType prepareCall(mlir::ModuleOp module, llvm::StringRef name);

/// Calls `name` (of signature `type`) on `args`; returns its results.
/// Result j goes into `*into[j]` instead when that is given (e.g. the
/// argument it updates), and the returned entry is then empty: the tensor
/// adopts the compiled code's buffer (no copy) unless that buffer is also
/// an argument's or another result's, when the elements are copied.
llvm::Expected<std::vector<HostTensor>>
callTensors(mlir::ExecutionEngine &engine, llvm::StringRef name,
            mlir::FunctionType type, std::vector<HostTensor> &args,
            llvm::ArrayRef<HostTensor *> into = {});

} // namespace qtrain::train

#endif // QTRAIN_TRAIN_STEPCALL_H
