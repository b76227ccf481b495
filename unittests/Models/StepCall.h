//===- StepCall.h - Call a JIT-compiled function on host tensors ----------===//
//
// Test helper: calls a function on ranked tensors of f32 / i32 through its C
// interface, with any number of arguments and results (the results come
// back in a struct of memref descriptors, which the caller frees).
//
//===----------------------------------------------------------------------===//

#ifndef QTRAIN_UNITTESTS_MODELS_STEPCALL_H
#define QTRAIN_UNITTESTS_MODELS_STEPCALL_H

#include "qtrain/ExecutionEngine/Jit.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinTypes.h"

#include <cstdlib>
#include <cstring>
#include <vector>

namespace qtrain::testing {

/// A row-major host tensor of f32 (or i32 when `isInt`, i64 when `isI64`)
/// elements, or an i64 scalar (`isScalar`, a seed argument).
struct HostTensor {
  std::vector<int64_t> shape;
  std::vector<float> f32;
  std::vector<int32_t> i32;
  std::vector<int64_t> i64;
  bool isInt = false;
  bool isI64 = false;
  bool isScalar = false;
  int64_t scalar = 0;

  int64_t count() const {
    int64_t n = 1;
    for (int64_t d : shape)
      n *= d;
    return n;
  }
  void *data() {
    return isI64   ? (void *)i64.data()
           : isInt ? (void *)i32.data()
                   : (void *)f32.data();
  }
  size_t elementBytes() const { return isI64 ? 8 : 4; }

  static HostTensor zeros(mlir::Type type) {
    HostTensor h;
    if (type.isInteger(64)) {
      h.isScalar = true;
      return h;
    }
    auto t = llvm::cast<mlir::RankedTensorType>(type);
    h.shape.assign(t.getShape().begin(), t.getShape().end());
    h.isInt = t.getElementType().isInteger(32);
    h.isI64 = t.getElementType().isInteger(64);
    if (h.isI64)
      h.i64.assign(h.count(), 0);
    else if (h.isInt)
      h.i32.assign(h.count(), 0);
    else
      h.f32.assign(h.count(), 0.0f);
    return h;
  }
};

/// The signature of `name` in `module` (before lowering), with the C
/// interface requested.
inline mlir::FunctionType prepareCall(mlir::ModuleOp module,
                                      llvm::StringRef name) {
  auto fn = module.lookupSymbol<mlir::func::FuncOp>(name);
  fn->setAttr("llvm.emit_c_interface", mlir::UnitAttr::get(fn.getContext()));
  return fn.getFunctionType();
}

/// Calls `name` (of signature `type`) on `args`; returns its results.
inline llvm::Expected<std::vector<HostTensor>>
callTensors(mlir::ExecutionEngine &engine, llvm::StringRef name,
            mlir::FunctionType type, std::vector<HostTensor> &args) {
  // Descriptor words: base, data, offset, sizes[r], strides[r].
  auto words = [](size_t rank) { return 3 + 2 * rank; };
  std::vector<std::vector<int64_t>> descriptors;
  for (HostTensor &a : args) {
    if (a.isScalar) {
      descriptors.emplace_back();
      continue;
    }
    std::vector<int64_t> d(words(a.shape.size()));
    d[0] = d[1] = reinterpret_cast<int64_t>(a.data());
    int64_t stride = 1;
    for (size_t i = a.shape.size(); i-- > 0;) {
      d[3 + i] = a.shape[i];
      d[3 + a.shape.size() + i] = stride;
      stride *= a.shape[i];
    }
    descriptors.push_back(std::move(d));
  }
  size_t resultWords = 0;
  for (mlir::Type t : type.getResults())
    resultWords += words(llvm::cast<mlir::RankedTensorType>(t).getRank());
  std::vector<int64_t> results(resultWords);

  void *resultPtr = results.data();
  // A tensor is passed as a pointer to its descriptor, a scalar by value.
  std::vector<void *> argPtrs;
  for (size_t i = 0; i < args.size(); ++i)
    argPtrs.push_back(args[i].isScalar ? (void *)&args[i].scalar
                                       : (void *)descriptors[i].data());
  // The C interface takes the results' struct first, then each argument's
  // descriptor; invokePacked takes the address of each of those pointers.
  std::vector<void *> packed;
  if (type.getNumResults() > 0)
    packed.push_back(&resultPtr);
  for (size_t i = 0; i < args.size(); ++i)
    packed.push_back(args[i].isScalar ? argPtrs[i] : (void *)&argPtrs[i]);
  if (auto err = engine.invokePacked(("_mlir_ciface_" + name).str(), packed))
    return std::move(err);

  std::vector<HostTensor> out;
  size_t at = 0;
  for (mlir::Type t : type.getResults()) {
    HostTensor h = HostTensor::zeros(t);
    size_t rank = h.shape.size();
    auto *base = reinterpret_cast<void *>(results[at]);
    size_t bytes = h.elementBytes();
    auto *data =
        reinterpret_cast<char *>(results[at + 1]) + results[at + 2] * bytes;
    // Copy element by element with the descriptor's strides.
    std::vector<int64_t> idx(rank, 0);
    for (int64_t e = 0; e < h.count(); ++e) {
      int64_t off = 0, rem = e;
      for (size_t i = rank; i-- > 0;) {
        idx[i] = rem % h.shape[i];
        rem /= h.shape[i];
        off += idx[i] * results[at + 3 + rank + i];
      }
      std::memcpy(static_cast<char *>(h.data()) + e * bytes, data + off * bytes,
                  bytes);
    }
    std::free(base);
    out.push_back(std::move(h));
    at += words(rank);
  }
  return out;
}

} // namespace qtrain::testing

#endif // QTRAIN_UNITTESTS_MODELS_STEPCALL_H
