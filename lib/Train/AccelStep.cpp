//===- AccelStep.cpp - A training step on the accelerator -----------------===//

#include "qtrain/Train/AccelStep.h"

#include "qtrain/Accel/Sim/Simulator.h"
#include "qtrain/Conversion/Passes.h"
#include "qtrain/Conversion/QTrainToAccel/ControlSpecialization.h"
#include "qtrain/Dialect/Accel/IR/AccelOps.h"
#include "qtrain/Pipelines/Pipelines.h"
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
  step->machinePath_ = machinePath.str();
  step->function_ = function.str();
  step->module_ = module.clone();
  auto func = step->module_->lookupSymbol<func::FuncOp>(function);
  if (!func)
    return llvm::createStringError("the module has no function '%s'",
                                   function.str().c_str());
  // Any values of the state decide the same conditions: zeros tell which.
  accel::StateValues zeros;
  for (auto [i, type] : llvm::enumerate(func.getArgumentTypes()))
    if (auto t = dyn_cast<RankedTensorType>(type);
        t && t.getRank() == 0 && t.getElementType().isInteger()) {
      step->stateArgs_.push_back(i);
      zeros[i] = 0;
    }
  // A step without state-decided control compiles now, so that what does
  // not map is reported before training starts.
  if (llvm::none_of(accel::evaluateControl(func, zeros),
                    [](Attribute a) { return !!a; })) {
    Expected<Program> program = step->compile({});
    if (!program)
      return program.takeError();
    step->programs_[""] = std::move(*program);
  }
  return step;
}

Expected<AccelStep::Program>
AccelStep::compile(const std::map<unsigned, int64_t> &state) {
  OwningOpRef<ModuleOp> copy = module_->clone();
  if (!state.empty() &&
      failed(accel::specializeControl(
          copy->lookupSymbol<func::FuncOp>(function_), state)))
    return llvm::createStringError("the step's control flow does not fold");
  // The qtrain-to-accel pipeline, as qtrain-opt and the differential tests
  // run it.
  PassManager pm(copy->getContext());
  ConvertQTrainToAccelOptions options;
  options.function = function_;
  options.machine = machinePath_;
  buildQTrainToAccelPipeline(pm, options);
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
  Program result;
  result.instructions = std::move(*decoded);

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
    result.dramEnd = std::max(result.dramEnd, region.address + region.bytes);
    unsigned index;
    std::vector<Region> *list = nullptr;
    if (name.consume_front("arg"))
      list = &result.inputs;
    else if (name.consume_front("result"))
      list = &result.outputs;
    if (!list || name.getAsInteger(10, index))
      continue; // an intermediate
    if (list->size() <= index)
      list->resize(index + 1);
    (*list)[index] = region;
  }
  return result;
}

std::string AccelStep::keyOf(llvm::ArrayRef<HostTensor> args,
                             std::map<unsigned, int64_t> &state) {
  if (programs_.count(""))
    return ""; // no state-decided control
  for (unsigned i : stateArgs_)
    if (i < args.size() && args[i].count() == 1)
      state[i] = args[i].isI64   ? args[i].values<int64_t>()[0]
                 : args[i].isInt ? args[i].values<int32_t>()[0]
                                 : 0;
  std::string key;
  llvm::raw_string_ostream os(key);
  for (Attribute a : accel::evaluateControl(
           module_->lookupSymbol<func::FuncOp>(function_), state)) {
    if (a)
      os << a;
    os << ";";
  }
  return key;
}

size_t AccelStep::instructions() const {
  auto it = programs_.find(firstKey_);
  return it == programs_.end() ? 0 : it->second.instructions.size();
}

uint64_t AccelStep::dramBytes() const {
  auto it = programs_.find(firstKey_);
  return it == programs_.end() ? 0 : it->second.dramEnd;
}

Expected<std::vector<HostTensor>>
AccelStep::run(llvm::ArrayRef<HostTensor> args,
               llvm::ArrayRef<Type> resultTypes) {
  std::map<unsigned, int64_t> state;
  std::string key = keyOf(args, state);
  auto it = programs_.find(key);
  if (it == programs_.end()) {
    Expected<Program> program = compile(state);
    if (!program)
      return program.takeError();
    it = programs_.emplace(key, std::move(*program)).first;
    if (programs_.size() == 1)
      firstKey_ = key;
  }
  const Program &program = it->second;
  if (args.size() != program.inputs.size() ||
      resultTypes.size() != program.outputs.size())
    return llvm::createStringError("the step has %zu arguments and %zu "
                                   "results, the program %zu and %zu",
                                   args.size(), resultTypes.size(),
                                   program.inputs.size(),
                                   program.outputs.size());
  auto sim = accel::sim::Simulator::create(machine_);
  if (!sim)
    return sim.takeError();
  for (size_t i = 0; i < args.size(); ++i) {
    const Region &in = program.inputs[i];
    if (args[i].bytes() != in.bytes)
      return llvm::createStringError("argument %zu has %zu bytes, its DRAM "
                                     "buffer %llu",
                                     i, args[i].bytes(),
                                     (unsigned long long)in.bytes);
    const auto *bytes = static_cast<const uint8_t *>(args[i].data());
    if (Error e = (*sim)->writeDram(in.address,
                                    llvm::ArrayRef<uint8_t>(bytes, in.bytes)))
      return std::move(e);
  }
  if (Error e = (*sim)->run(program.instructions))
    return std::move(e);
  std::vector<HostTensor> results;
  for (size_t j = 0; j < resultTypes.size(); ++j) {
    const Region &out = program.outputs[j];
    HostTensor t = HostTensor::zeros(resultTypes[j]);
    if (t.bytes() != out.bytes)
      return llvm::createStringError("result %zu has %zu bytes, its DRAM "
                                     "buffer %llu",
                                     j, t.bytes(),
                                     (unsigned long long)out.bytes);
    auto *bytes = static_cast<uint8_t *>(t.data());
    if (Error e = (*sim)->readDram(
            out.address, llvm::MutableArrayRef<uint8_t>(bytes, out.bytes)))
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
