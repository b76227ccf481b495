//===- Jit.cpp - Compile qtrain modules for this machine ------------------===//

#include "qtrain/ExecutionEngine/Jit.h"

#include "qtrain/Conversion/Passes.h"
#include "qtrain/Dialect/QTrain/IR/QTrainDialect.h"

#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"

#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/Support/DynamicLibrary.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/TargetParser/Host.h"

#include <mutex>
#include <vector>

namespace qtrain {

std::unique_ptr<mlir::MLIRContext> createJitContext() {
  static std::once_flag once;
  std::call_once(once, [] {
    mlir::registerAllPasses();
    registerQTrainConversionPasses();
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    // Parallel tiles run on MLIR's async runtime. It is loaded once for the
    // process rather than per engine: an engine unloading it (its destroy
    // hook) would tear down the thread pool under later engines.
    std::string error;
    if (llvm::sys::DynamicLibrary::LoadLibraryPermanently(
            QTRAIN_MLIR_ASYNC_RUNTIME, &error))
      llvm::report_fatal_error(llvm::Twine("qtrain: cannot load ") +
                               QTRAIN_MLIR_ASYNC_RUNTIME + ": " + error);
  });
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

llvm::Expected<std::shared_ptr<mlir::ExecutionEngine>>
compileForHost(mlir::MLIRContext &context, llvm::StringRef source,
               const JitOptions &options) {
  std::string diagnostics;
  llvm::raw_string_ostream os(diagnostics);
  mlir::ScopedDiagnosticHandler handler(&context, [&](mlir::Diagnostic &d) {
    os << d.getLocation() << ": " << d << "\n";
    return mlir::success();
  });
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceString<mlir::ModuleOp>(source, &context);
  if (!module)
    return llvm::createStringError("cannot parse the module:\n" + diagnostics);

  mlir::PassManager pm(&context);
  QTrainToLLVMOptions pipeline;
  pipeline.vectorWidth = options.vectorWidth;
  pipeline.tileElements = options.tileElements;
  buildQTrainToLLVMPipeline(pm, pipeline);
  if (mlir::failed(pm.run(*module)))
    return llvm::createStringError("qtrain-to-llvm failed:\n" + diagnostics);

  // The host's CPU and features (e.g. AVX-512), not a generic x86-64.
  auto builder = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!builder)
    return builder.takeError();
  builder->setCPU(llvm::sys::getHostCPUName().str());
  builder->setCodeGenOptLevel(llvm::CodeGenOptLevel::Aggressive);
  auto machine = builder->createTargetMachine();
  if (!machine)
    return machine.takeError();

  mlir::ExecutionEngineOptions engineOptions;
  auto transformer =
      mlir::makeOptimizingTransformer(options.optLevel, 0, machine->get());
  engineOptions.transformer = transformer;
  engineOptions.jitCodeGenOptLevel = llvm::CodeGenOptLevel::Aggressive;
  engineOptions.enableGDBNotificationListener = false;
  engineOptions.enablePerfNotificationListener = false;
  auto engine = mlir::ExecutionEngine::create(*module, engineOptions,
                                              std::move(*machine));
  if (!engine)
    return engine.takeError();
  std::shared_ptr<mlir::ExecutionEngine> shared = std::move(*engine);
  // Deliberately leaked (see Jit.h): never destroyed, not even at exit.
  static std::mutex *mutex = new std::mutex;
  static auto *alive = new std::vector<std::shared_ptr<mlir::ExecutionEngine>>;
  std::lock_guard<std::mutex> lock(*mutex);
  alive->push_back(shared);
  return shared;
}

} // namespace qtrain
