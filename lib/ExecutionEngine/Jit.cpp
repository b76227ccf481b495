//===- Jit.cpp - Compile qtrain modules for a CPU -------------------------===//

#include "qtrain/ExecutionEngine/Jit.h"

#include "qtrain/Conversion/QTrainToVector/CpuTarget.h"
#include "qtrain/Dialect/QTrain/IR/QTrainDialect.h"
#include "qtrain/Pipelines/Pipelines.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/Support/DynamicLibrary.h"
#include "llvm/TargetParser/Triple.h"

#include <functional>
#include <mutex>

namespace qtrain {

/// Loads the runtime libraries that lowered code calls into the process
/// once: the OpenMP runtime (parallel tiles call libomp's __kmpc_* entry
/// points) and MLIR's C runner utilities (memrefCopy, for copies of strided
/// memrefs such as tensor.pad and extract_slice results). Never unloaded,
/// so libomp's worker threads outlive every engine.
static llvm::Error loadRuntimeLibraries() {
  static std::once_flag once;
  static std::string error;
  std::call_once(once, [] {
    for (const char *lib : {QTRAIN_OPENMP_RUNTIME, QTRAIN_C_RUNNER_UTILS}) {
      std::string why;
      if (llvm::sys::DynamicLibrary::LoadLibraryPermanently(lib, &why)) {
        error =
            std::string("cannot load the runtime library ") + lib + ": " + why;
        return;
      }
    }
  });
  if (error.empty())
    return llvm::Error::success();
  return llvm::createStringError(error);
}

std::unique_ptr<mlir::MLIRContext> createJitContext() {
  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  mlir::registerAllToLLVMIRTranslations(registry);
  registry.insert<QTrainDialect>();
  auto context = std::make_unique<mlir::MLIRContext>(registry);
  // Loaded now so that callers can build qtrain attributes before parsing.
  context->loadDialect<QTrainDialect>();
  return context;
}

/// Collects a context's diagnostics while alive.
class DiagnosticCollector {
public:
  explicit DiagnosticCollector(mlir::MLIRContext *context)
      : os(text), handler(context, [this](mlir::Diagnostic &d) {
          os << d.getLocation() << ": " << d << "\n";
          return mlir::success();
        }) {}
  const std::string &str() const { return text; }

private:
  std::string text;
  llvm::raw_string_ostream os;
  mlir::ScopedDiagnosticHandler handler;
};

llvm::Expected<std::unique_ptr<mlir::ExecutionEngine>>
jitCompile(mlir::ModuleOp module, const JitOptions &options) {
  if (auto e = loadRuntimeLibraries())
    return std::move(e);
  auto lowering = resolveLoweringOptions(options.lowering);
  if (!lowering)
    return lowering.takeError();
  auto target = resolveCpuTarget(lowering->targetCpu, lowering->targetFeatures);
  if (!target)
    return target.takeError();

  DiagnosticCollector diagnostics(module.getContext());
  mlir::PassManager pm(module.getContext());
  buildQTrainToLLVMPipeline(pm, *lowering);
  if (mlir::failed(pm.run(module)))
    return llvm::createStringError("qtrain-to-llvm failed:\n" +
                                   diagnostics.str());

  // The lowering's target, not a generic x86-64.
  llvm::orc::JITTargetMachineBuilder builder{llvm::Triple(target->triple)};
  builder.setCPU(target->cpu);
  llvm::SmallVector<llvm::StringRef> features;
  llvm::StringRef(target->features)
      .split(features, ',', -1, /*KeepEmpty=*/false);
  builder.addFeatures(
      std::vector<std::string>(features.begin(), features.end()));
  builder.setCodeGenOptLevel(llvm::CodeGenOptLevel::Aggressive);
  auto machine = builder.createTargetMachine();
  if (!machine)
    return machine.takeError();

  // The options hold a function_ref: the transformer must outlive create().
  std::function<llvm::Error(llvm::Module *)> transformer =
      mlir::makeOptimizingTransformer(options.optLevel, 0, machine->get());
  mlir::ExecutionEngineOptions engineOptions;
  engineOptions.transformer = transformer;
  engineOptions.jitCodeGenOptLevel = llvm::CodeGenOptLevel::Aggressive;
  engineOptions.enableGDBNotificationListener = false;
  engineOptions.enablePerfNotificationListener = false;
  // Profiling aid (docs/CPULowering.md): QTRAIN_JIT_OBJECT=FILE writes the
  // machine code as an object file and prints where its first function
  // was loaded, to map perf's [JIT] addresses to the disassembly.
  const char *objectPath = getenv("QTRAIN_JIT_OBJECT");
  engineOptions.enableObjectDump = objectPath != nullptr;
  auto engine =
      mlir::ExecutionEngine::create(module, engineOptions, std::move(*machine));
  if (!engine)
    return llvm::createStringError(llvm::toString(engine.takeError()) + "\n" +
                                   diagnostics.str());
  // Generate the machine code now: the JIT would otherwise compile the
  // module at the first call, inside whatever that call's caller times.
  // One lookup materializes the whole module.
  for (auto fn : module.getOps<mlir::LLVM::LLVMFuncOp>()) {
    if (fn.isExternal())
      continue;
    auto address = (*engine)->lookup(fn.getName());
    if (!address)
      return address.takeError();
    if (objectPath) {
      (*engine)->dumpToObjectFile(objectPath);
      llvm::errs() << "qtrain: JIT object in " << objectPath << "; @"
                   << fn.getName() << " at " << *address << "\n";
    }
    break;
  }
  return std::move(*engine);
}

llvm::Expected<std::unique_ptr<mlir::ExecutionEngine>>
jitCompile(mlir::MLIRContext &context, llvm::StringRef source,
           const JitOptions &options) {
  DiagnosticCollector diagnostics(&context);
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceString<mlir::ModuleOp>(source, &context);
  if (!module)
    return llvm::createStringError("cannot parse the module:\n" +
                                   diagnostics.str());
  return jitCompile(*module, options);
}

} // namespace qtrain
