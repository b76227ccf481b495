//===- CpuTarget.cpp - The CPU the lowering generates code for ------------===//

#include "qtrain/Conversion/QTrainToVector/CpuTarget.h"
#include "qtrain/Conversion/QTrainToVector/QTrainToVector.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"

#include <memory>
#include <mutex>

namespace qtrain {

std::string CpuTarget::describe() const {
  return llvm::formatv("{0}, {1}-bit vectors x {2}{3}", cpu, vectorBits,
                       vectorRegisters, fma ? ", fma" : "")
      .str();
}

/// The host's features as "+a,-b,..." (sorted, so the string is stable).
static std::string hostFeatures() {
  llvm::SmallVector<std::string> list;
  for (const auto &f : llvm::sys::getHostCPUFeatures())
    list.push_back((f.second ? "+" : "-") + f.first().str());
  llvm::sort(list);
  return llvm::join(list, ",");
}

llvm::Expected<CpuTarget> resolveCpuTarget(llvm::StringRef cpu,
                                           llvm::StringRef features) {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
  });
  CpuTarget t;
  t.triple = llvm::sys::getProcessTriple();
  llvm::Triple triple(t.triple);
  std::string error;
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return llvm::createStringError("no LLVM target for " + t.triple + ": " +
                                   error);

  // Names are checked against a generic subtarget first: LLVM only warns
  // (on stderr) about unknown names and carries on without them.
  std::unique_ptr<llvm::MCSubtargetInfo> generic(
      target->createMCSubtargetInfo(triple, "", ""));
  if (!generic)
    return llvm::createStringError("no subtarget information for " + t.triple);
  bool host = cpu.empty() || cpu == "host";
  if (!host && !generic->isCPUStringValid(cpu))
    return llvm::createStringError(
        llvm::formatv("unknown target CPU '{0}' for {1} (LLVM CPU names, "
                      "e.g. x86-64-v3, x86-64-v4, znver3, skylake-avx512)",
                      cpu, t.triple)
            .str());
  llvm::SmallVector<llvm::StringRef> changes;
  features.split(changes, ',', -1, /*KeepEmpty=*/false);
  llvm::SmallVector<std::string> trimmed;
  for (llvm::StringRef change : changes) {
    change = change.trim();
    trimmed.push_back(change.str());
    llvm::StringRef name = change.drop_front();
    bool known = llvm::any_of(
        generic->getAllProcessorFeatures(),
        [&](const llvm::SubtargetFeatureKV &kv) { return name == kv.Key; });
    if ((!change.starts_with("+") && !change.starts_with("-")) || !known)
      return llvm::createStringError(
          llvm::formatv("bad target feature '{0}': expected +name or -name "
                        "with an LLVM feature name of {1} (e.g. +avx2, "
                        "-avx512f)",
                        change, t.triple)
              .str());
  }

  t.cpu = host ? llvm::sys::getHostCPUName().str() : cpu.str();
  std::string all = host ? hostFeatures() : std::string();
  std::string asked = llvm::join(trimmed, ",");
  if (!asked.empty())
    all = all.empty() ? asked : all + "," + asked;
  t.features = all;
  std::unique_ptr<llvm::MCSubtargetInfo> info(
      target->createMCSubtargetInfo(triple, t.cpu, t.features));
  if (!info)
    return llvm::createStringError("no subtarget information for " + t.cpu);
  auto has = [&](llvm::StringRef f) {
    return info->checkFeatures("+" + f.str());
  };
  bool aarch64 = triple.isAArch64();
  if (triple.isX86()) {
    t.vectorBits = has("avx512f") ? 512
                   : has("avx")   ? 256
                   : has("sse2")  ? 128
                                  : 32;
    t.vectorRegisters = has("avx512f") ? 32 : 16;
    t.fma = has("fma") || has("avx512f");
  } else if (aarch64) {
    t.vectorBits = has("neon") ? 128 : 32;
    t.vectorRegisters = 32;
    t.fma = true;
  } else {
    t.vectorBits = 128;
    t.vectorRegisters = 16;
    t.fma = false;
  }
  return t;
}

QTrainToVectorOptions withTargetDefaults(QTrainToVectorOptions options,
                                         const CpuTarget &target) {
  // One register of f32 lanes: wider vectors are split into several
  // registers by LLVM and the element code's live values then spill
  // (measured on AVX2: 16 lanes ran slower than 8).
  if (options.vectorWidth == 0)
    options.vectorWidth = std::max<unsigned>(target.vectorBits / 32, 1);
  // GEMM register blocking: rows x vectors accumulators, plus one register
  // per column vector of B and one broadcast of A must fit in the register
  // file. 32 registers: 12 x 2 (24 + 2 + 1 = 27, 2 loads of B per 24 FMAs);
  // 16 registers: 6 x 2 (12 + 2 + 1 = 15, 2 per 12). Few loads of B per
  // FMA matter most: its packed strip streams from L2 for every row block
  // (Emerald Rapids: 4 x 3, 3 loads per 12 FMAs, ran at 2.3x sgemm's time,
  // 12 x 2 at 1.3x; docs/Performance.md).
  if (options.gemmRows == 0)
    options.gemmRows = target.vectorRegisters >= 32 ? 12 : 6;
  if (options.gemmVectors == 0)
    options.gemmVectors = 2;
  // The fast path of emulated accumulation keeps two vectors of state per
  // output (three for E-DGA into two formats); each step is a chain of
  // dependent operations some 15-20 cycles long, so the block needs enough
  // independent outputs to hide it more than it needs to avoid spills,
  // which go to the load and store ports. 4 x 2 on both ISAs (2026-12-05,
  // Zen 5, AVX2 code, ms per 1024^3 GEMM: FP12 static groups 64 against 85
  // for 4 x 1; E-DGA 124-128 against 143-145 for 4 x 1, 135-137 for 6 x 1,
  // 148-151 for 3 x 2; AVX-512 code: 4 x 2 at least as fast as 6 x 2, 4 x 3
  // and 8 x 2; docs/Performance.md).
  if (options.emulatedRows == 0)
    options.emulatedRows = 4;
  if (options.emulatedVectors == 0)
    options.emulatedVectors = 2;
  return options;
}

llvm::Expected<QTrainToVectorOptions>
resolveLoweringOptions(const QTrainToVectorOptions &options) {
  auto check = [](int64_t value, llvm::StringRef name,
                  int64_t min) -> llvm::Error {
    if (value >= min)
      return llvm::Error::success();
    return llvm::createStringError(
        llvm::formatv("{0} must be at least {1}{2}, got {3}", name, min,
                      min == 0 ? " (0: from the target)" : "", value)
            .str());
  };
  if (auto e = check(options.vectorWidth, "vector-width", 0))
    return std::move(e);
  if (auto e = check(options.gemmRows, "gemm-rows", 0))
    return std::move(e);
  if (auto e = check(options.gemmVectors, "gemm-vectors", 0))
    return std::move(e);
  if (auto e = check(options.emulatedRows, "emulated-rows", 0))
    return std::move(e);
  if (auto e = check(options.emulatedVectors, "emulated-vectors", 0))
    return std::move(e);
  if (options.gemmTileBytes < 0)
    return llvm::createStringError(
        llvm::formatv("gemm-tile-bytes must not be negative, got {0}",
                      options.gemmTileBytes)
            .str());
  if (options.tileElements < 0)
    return llvm::createStringError(
        llvm::formatv("tile-elements must not be negative, got {0}",
                      options.tileElements)
            .str());
  auto target = resolveCpuTarget(options.targetCpu, options.targetFeatures);
  if (!target)
    return target.takeError();
  return withTargetDefaults(options, *target);
}

} // namespace qtrain
