//===- StepState.cpp - What the recipe passes share -----------------------===//

#include "qtrain/Dialect/QTrain/Transforms/StepState.h"
#include "qtrain/Dialect/QTrain/IR/StepAttributes.h"

using namespace mlir;

namespace qtrain {

FailureOr<recipes::Recipe> loadRecipeFor(ModuleOp module, StringRef pass,
                                         StringRef nameOrPath) {
  auto loaded = recipes::loadRecipe(nameOrPath, *module.getContext());
  if (!loaded) {
    module.emitError() << pass << ": " << llvm::toString(loaded.takeError());
    return failure();
  }
  return std::move(*loaded);
}

FailureOr<unsigned> appendStateArguments(func::FuncOp fn, TypeRange types,
                                         ArrayRef<DictionaryAttr> attrs) {
  unsigned first = fn.getNumArguments();
  SmallVector<unsigned> indices(types.size(), first);
  SmallVector<Location> locs(types.size(), fn.getLoc());
  if (failed(fn.insertArguments(indices, types, attrs, locs)))
    return failure();
  return first;
}

LogicalResult appendStateResults(func::FuncOp fn, unsigned firstArg,
                                 ValueRange values) {
  Builder b(fn.getContext());
  SmallVector<Type> types;
  SmallVector<DictionaryAttr> attrs;
  for (auto [i, v] : llvm::enumerate(values)) {
    types.push_back(v.getType());
    NamedAttrList list(fn.getArgAttrDict(firstArg + i));
    list.set(kUpdatesAttr, b.getI64IntegerAttr(firstArg + i));
    attrs.push_back(list.getDictionary(fn.getContext()));
  }
  unsigned first = fn.getNumResults();
  SmallVector<unsigned> indices(values.size(), first);
  if (failed(fn.insertResults(indices, types, attrs)))
    return failure();
  auto ret = llvm::cast<func::ReturnOp>(fn.getBody().front().getTerminator());
  ret->insertOperands(first, values);
  return success();
}

} // namespace qtrain
