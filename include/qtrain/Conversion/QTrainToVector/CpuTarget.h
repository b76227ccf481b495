//===- CpuTarget.h - The CPU the lowering generates code for ----*- C++ -*-===//
//
// The one place where the CPU lowering's ISA-dependent defaults are decided:
// a target (an LLVM CPU name plus feature changes, or this machine) is
// resolved to the features the generated code may use, and every option the
// user leaves at 0 (vector width, GEMM register blocking) is filled in from
// it. The pass, the pipeline, the JIT and the benchmarks all resolve through
// here, so AVX2 code can be generated, run and measured on an AVX-512
// machine (`target-cpu=x86-64-v3`) and an AVX2 machine gets AVX2 code by
// default.
//
//===----------------------------------------------------------------------===//

#ifndef QTRAIN_CONVERSION_QTRAINTOVECTOR_CPUTARGET_H
#define QTRAIN_CONVERSION_QTRAINTOVECTOR_CPUTARGET_H

#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>

namespace qtrain {

struct QTrainToVectorOptions;

/// A resolved CPU target.
struct CpuTarget {
  /// The process triple (code is generated for this machine's OS and arch).
  std::string triple;
  /// An LLVM CPU name: the host's (e.g. "skylake-avx512") or the one asked
  /// for (e.g. "x86-64-v3", "znver3").
  std::string cpu;
  /// Feature changes on top of the CPU's own, as LLVM spells them
  /// ("+avx512f,-avx512vl"); for the host, every feature it reports.
  std::string features;
  /// Width of the widest f32 vector register the code may use: 512 with
  /// AVX-512F, 256 with AVX, 128 with SSE2 or NEON, else 32 (scalar).
  unsigned vectorBits = 128;
  /// Vector registers of that width (32 with AVX-512 or on AArch64, else 16).
  unsigned vectorRegisters = 16;
  /// Fused multiply-add in hardware.
  bool fma = false;

  /// "x86-64-v3, 256-bit vectors x 16, fma" (for benchmark headers).
  std::string describe() const;
};

/// Resolves `cpu` ("" or "host": this machine, with all the features it
/// reports) and `features` (comma-separated "+name" / "-name" changes).
/// Unknown CPU or feature names are errors, not warnings.
llvm::Expected<CpuTarget> resolveCpuTarget(llvm::StringRef cpu,
                                           llvm::StringRef features);

/// `options` with every ISA-dependent option left at 0 filled in for
/// `target`. The values (and why) are in docs/CPULowering.md.
QTrainToVectorOptions withTargetDefaults(QTrainToVectorOptions options,
                                         const CpuTarget &target);

/// resolveCpuTarget on `options`' target, then withTargetDefaults; errors
/// for options out of range (vector width < 0, negative tile size, ...).
llvm::Expected<QTrainToVectorOptions>
resolveLoweringOptions(const QTrainToVectorOptions &options);

} // namespace qtrain

#endif // QTRAIN_CONVERSION_QTRAINTOVECTOR_CPUTARGET_H
