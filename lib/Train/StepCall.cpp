//===- StepCall.cpp - Call a JIT-compiled function on host tensors --------===//

#include "qtrain/Train/StepCall.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

using namespace mlir;

namespace qtrain::train {

bool isHostType(Type type) {
  if (type.isInteger(64))
    return true;
  auto t = llvm::dyn_cast<RankedTensorType>(type);
  if (!t || !t.hasStaticShape())
    return false;
  Type e = t.getElementType();
  return e.isF32() || e.isInteger(32) || e.isInteger(64);
}

HostTensor HostTensor::zeros(Type type) {
  HostTensor h;
  if (type.isInteger(64)) {
    h.isScalar = true;
    return h;
  }
  auto t = llvm::cast<RankedTensorType>(type);
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

FunctionType prepareCall(ModuleOp module, llvm::StringRef name) {
  auto fn = module.lookupSymbol<func::FuncOp>(name);
  fn->setAttr("llvm.emit_c_interface", UnitAttr::get(fn.getContext()));
  return fn.getFunctionType();
}

llvm::Expected<std::vector<HostTensor>>
callTensors(ExecutionEngine &engine, llvm::StringRef name, FunctionType type,
            std::vector<HostTensor> &args, llvm::ArrayRef<HostTensor *> into) {
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
  for (Type t : type.getResults())
    resultWords += words(llvm::cast<RankedTensorType>(t).getRank());
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

  // Results may alias each other or an argument's buffer (a result that is
  // an argument returned unchanged): copy them all out first, then free each
  // distinct allocation once, never an argument's.
  std::vector<HostTensor> out;
  std::vector<void *> toFree;
  auto aliasesArgument = [&](void *base) {
    for (const HostTensor &a : args)
      if (!a.isScalar && a.data() == base)
        return true;
    return false;
  };
  // Results go straight into their destinations unless one of them is an
  // argument's buffer (which such a copy could overwrite first). A result
  // whose buffer no argument and no other result shares is adopted.
  bool inPlace = true;
  std::vector<void *> bases;
  for (size_t j = 0, at = 0; j < type.getNumResults(); ++j) {
    bases.push_back(reinterpret_cast<void *>(results[at]));
    inPlace &= !aliasesArgument(bases.back());
    at += words(llvm::cast<RankedTensorType>(type.getResult(j)).getRank());
  }
  auto shared = [&](void *base) {
    return std::count(bases.begin(), bases.end(), base) > 1;
  };
  size_t at = 0;
  for (Type t : type.getResults()) {
    auto *base = reinterpret_cast<void *>(results[at]);
    bool isArgument = aliasesArgument(base);
    size_t index = out.size();
    HostTensor *target = inPlace && index < into.size() ? into[index] : nullptr;
    if (target && !shared(base)) {
      // Adopt the buffer: the elements start at the descriptor's data
      // pointer plus its offset; the allocation is freed from its base.
      auto rt = llvm::cast<RankedTensorType>(t);
      size_t rank = rt.getRank();
      HostTensor h = HostTensor::zeros(t); // shape and element type only
      h.f32.clear();
      h.i32.clear();
      h.i64.clear();
      const int64_t *strides = &results[at + 3 + rank];
      bool contiguous = true;
      for (int64_t i = rank, expect = 1; i-- > 0; expect *= h.shape[i])
        contiguous &= h.shape[i] == 1 || strides[i] == expect;
      if (contiguous) {
        char *data = reinterpret_cast<char *>(results[at + 1]) +
                     results[at + 2] * h.elementBytes();
        h.external =
            std::shared_ptr<void>(data, [base](void *) { std::free(base); });
        *target = std::move(h);
        out.emplace_back();
        at += words(rank);
        continue;
      }
    }
    HostTensor h =
        target && !target->external ? std::move(*target) : HostTensor::zeros(t);
    size_t rank = h.shape.size();
    size_t bytes = h.elementBytes();
    auto *data =
        reinterpret_cast<char *>(results[at + 1]) + results[at + 2] * bytes;
    const int64_t *strides = &results[at + 3 + rank];
    bool contiguous = true;
    for (int64_t i = rank, expect = 1; i-- > 0; expect *= h.shape[i])
      contiguous &= h.shape[i] == 1 || strides[i] == expect;
    if (contiguous) {
      std::memmove(h.data(), data, h.count() * bytes);
    } else {
      std::vector<int64_t> idx(rank, 0);
      for (int64_t e = 0; e < h.count(); ++e) {
        int64_t off = 0, rem = e;
        for (size_t i = rank; i-- > 0;) {
          idx[i] = rem % h.shape[i];
          rem /= h.shape[i];
          off += idx[i] * strides[i];
        }
        std::memcpy(static_cast<char *>(h.data()) + e * bytes,
                    data + off * bytes, bytes);
      }
    }
    if (!isArgument &&
        std::find(toFree.begin(), toFree.end(), base) == toFree.end())
      toFree.push_back(base);
    if (target) {
      *target = std::move(h);
      out.emplace_back(); // moved into its destination
    } else {
      out.push_back(std::move(h));
    }
    at += words(rank);
  }
  for (void *p : toFree)
    std::free(p);
  if (!inPlace)
    for (size_t j = 0; j < into.size() && j < out.size(); ++j)
      if (into[j]) {
        *into[j] = std::move(out[j]);
        out[j] = HostTensor();
      }
  return out;
}

} // namespace qtrain::train
