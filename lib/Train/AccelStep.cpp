//===- AccelStep.cpp - A training step on the accelerator -----------------===//

#include "qtrain/Train/AccelStep.h"

#include "qtrain/Accel/Sim/Simulator.h"
#include "qtrain/Conversion/Passes.h"
#include "qtrain/Dialect/Accel/IR/AccelOps.h"
#include "qtrain/Dialect/QTrain/Transforms/Passes.h"
#include "qtrain/Target/Accel/AccelTranslation.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/Pass/PassManager.h"

#include <cstring>

using namespace mlir;
using llvm::Error;
using llvm::Expected;

namespace qtrain::train {

Expected<std::unique_ptr<AccelStep>>
AccelStep::create(ModuleOp module, llvm::StringRef function,
                  llvm::StringRef machinePath) {
  std::unique_ptr<AccelStep> step(new AccelStep());
  if (machinePath.empty()) {
    step->machine_ = accel::getDefaultMachine();
  } else {
    auto loaded = accel::loadMachineDescription(machinePath);
    if (!loaded)
      return loaded.takeError();
    step->machine_ = *loaded;
  }

  OwningOpRef<ModuleOp> copy = module.clone();
  PassManager pm(module.getContext());
  pm.addPass(createQTrainDecomposePass());
  ConvertQTrainToAccelOptions options;
  options.function = function.str();
  options.machine = machinePath.str();
  pm.addPass(createConvertQTrainToAccel(options));
  if (failed(pm.run(*copy)))
    return llvm::createStringError(
        "the step does not map to the accelerator (diagnostics above)");
  FailureOr<accel::ir::ProgramOp> program = accel::findProgram(*copy);
  if (failed(program))
    return llvm::createStringError("convert-qtrain-to-accel made no program");
  FailureOr<std::vector<accel::Instruction>> insts =
      accel::exportProgram(*program);
  if (failed(insts))
    return llvm::createStringError("the program does not encode");
  // Through the binary, as qtrain-sim reads a program.
  auto decoded = accel::decodeStream(accel::encodeStream(*insts));
  if (!decoded)
    return decoded.takeError();
  step->program_ = std::move(*decoded);

  // The manifest names buffers argN and resultN.
  auto buffers = (*program)->getAttrOfType<ArrayAttr>("accel.buffers");
  if (!buffers)
    return llvm::createStringError("the program has no manifest");
  for (Attribute attr : buffers) {
    auto dict = cast<DictionaryAttr>(attr);
    llvm::StringRef name = dict.getAs<StringAttr>("name").getValue();
    Region region{
        static_cast<uint64_t>(dict.getAs<IntegerAttr>("address").getInt()),
        static_cast<uint64_t>(dict.getAs<IntegerAttr>("bytes").getInt())};
    step->dramEnd_ = std::max(step->dramEnd_, region.address + region.bytes);
    unsigned index;
    std::vector<Region> *list = nullptr;
    if (name.consume_front("arg"))
      list = &step->inputs_;
    else if (name.consume_front("result"))
      list = &step->outputs_;
    if (!list || name.getAsInteger(10, index))
      continue; // an intermediate
    if (list->size() <= index)
      list->resize(index + 1);
    (*list)[index] = region;
  }
  return step;
}

Expected<std::vector<HostTensor>>
AccelStep::run(llvm::ArrayRef<HostTensor> args,
               llvm::ArrayRef<Type> resultTypes) {
  if (args.size() != inputs_.size() || resultTypes.size() != outputs_.size())
    return llvm::createStringError("the step has %zu arguments and %zu "
                                   "results, the program %zu and %zu",
                                   args.size(), resultTypes.size(),
                                   inputs_.size(), outputs_.size());
  auto sim = accel::sim::Simulator::create(machine_);
  if (!sim)
    return sim.takeError();
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i].bytes() != inputs_[i].bytes)
      return llvm::createStringError("argument %zu has %zu bytes, its DRAM "
                                     "buffer %llu",
                                     i, args[i].bytes(),
                                     (unsigned long long)inputs_[i].bytes);
    const auto *bytes = static_cast<const uint8_t *>(args[i].data());
    if (Error e =
            (*sim)->writeDram(inputs_[i].address,
                              llvm::ArrayRef<uint8_t>(bytes, inputs_[i].bytes)))
      return std::move(e);
  }
  if (Error e = (*sim)->run(program_))
    return std::move(e);
  std::vector<HostTensor> results;
  for (size_t j = 0; j < resultTypes.size(); ++j) {
    HostTensor t = HostTensor::zeros(resultTypes[j]);
    if (t.bytes() != outputs_[j].bytes)
      return llvm::createStringError("result %zu has %zu bytes, its DRAM "
                                     "buffer %llu",
                                     j, t.bytes(),
                                     (unsigned long long)outputs_[j].bytes);
    auto *bytes = static_cast<uint8_t *>(t.data());
    if (Error e = (*sim)->readDram(
            outputs_[j].address,
            llvm::MutableArrayRef<uint8_t>(bytes, outputs_[j].bytes)))
      return std::move(e);
    results.push_back(std::move(t));
  }
  const accel::sim::Counters &c = (*sim)->getCounters();
  ++steps_;
  cycles_ += c.cycles;
  for (uint64_t m : c.macs)
    macs_ += m;
  energyPj_ += c.totalEnergyPj();
  return results;
}

} // namespace qtrain::train
