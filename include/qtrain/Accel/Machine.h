//===- Machine.h - The accelerator's machine description --------*- C++ -*-===//
//
// The sizes, rates and per-operation energies of one accelerator instance
// (docs/Accelerator.md, "The machine description"): read from a JSON file by
// `qtrain-sim --machine=FILE` and by the compiler's conversion pass. Plain
// data on LLVM Support; no simulator state.
//
// The JSON file nests the dotted keys of the docs' table: `dram.bytes` is
// member `bytes` of object `dram`, `gemm.k.m4` member `m4` of `gemm.k`. Every
// key is optional (a missing key keeps its default); an unknown key, a value
// of the wrong type or a value outside the key's limits is an error naming
// the key. The bundled default is lib/Accel/Machine/DefaultMachine.json,
// compiled into the library at build time: that file is the one place the
// defaults are written.
//
//===----------------------------------------------------------------------===//

#ifndef QTRAIN_ACCEL_MACHINE_H
#define QTRAIN_ACCEL_MACHINE_H

#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"

#include <cstdint>
#include <string>

namespace qtrain::accel {

/// One scratchpad (SP_IN or SP_WGT).
struct ScratchpadDesc {
  uint64_t rows = 0;
  uint64_t rowBytes = 0; ///< Code bytes per row (plus the 16-byte sidecar).
  uint64_t readBytesPerCycle = 0;

  static constexpr uint64_t kSidecarBytes = 16;
  /// Bytes of codes and sidecars: the SRAM size of the energy model.
  uint64_t totalBytes() const { return rows * (rowBytes + kSidecarBytes); }
};

/// Per-operation energies in pJ (docs/Accelerator.md, "Energy model"; the
/// defaults are Horowitz, ISSCC 2014, 45 nm).
struct EnergyDesc {
  double intAdd8 = 0, intAdd32 = 0, fpAdd16 = 0, fpAdd32 = 0;
  double intMul8 = 0, intMul32 = 0, fpMul16 = 0, fpMul32 = 0;
  double sram8KB = 0, sram32KB = 0, sram1MB = 0; ///< Per 64-bit access.
  double dram64b = 0;                            ///< Per 64 bits.
  double slowOp = 0;                             ///< divf, sqrt, exp, log.
};

/// The most positions one LOAD, STORE or VECTOR may walk: the functional
/// model refuses larger instructions (docs/Accelerator.md, "Errors"), so
/// the compiler splits transfers below it.
inline constexpr uint64_t kMaxInstructionPositions = uint64_t(1) << 22;

/// Every key of the machine description table. Default-constructed values
/// are zeros; getDefaultMachine() is the bundled default.
struct MachineDescription {
  std::string name;
  double clockGhz = 0;
  struct {
    uint64_t bytes = 0, bytesPerCycle = 0, latencyCycles = 0, burstBytes = 0;
    uint64_t outstandingTransfers = 0;
  } dram;
  ScratchpadDesc inputSp, weightSp;
  struct {
    uint64_t entries = 0, entryBytes = 0;
  } acc;
  struct {
    uint64_t m = 0, n = 0;
    uint64_t kM4 = 0, kM8 = 0, kM16 = 0; ///< MACs per PE per cycle.
    uint64_t f32Passes = 0, latencyCycles = 0;
  } gemm;
  struct {
    uint64_t lanes = 0, latencyCycles = 0, slowOpCycles = 0;
  } vector;
  struct {
    uint64_t elementsPerCycle = 0;
  } convert;
  struct {
    uint64_t instructionDepth = 0, tokenDepth = 0;
  } queues;
  EnergyDesc energy;

  bool operator==(const MachineDescription &o) const;
  bool operator!=(const MachineDescription &o) const { return !(*this == o); }
};

/// What a key holds and which values are legal.
enum class MachineKeyKind : uint8_t {
  String,
  Integer, ///< [min, max]; a power of two too when `powerOfTwo`.
  Number,  ///< > min (exclusive), for clock_ghz and energies.
  RowBytes ///< 32, 64 or 128.
};

struct MachineKeyInfo {
  llvm::StringRef key; ///< Dotted, as in the docs: "gemm.k.m4".
  MachineKeyKind kind;
  uint64_t min = 0, max = 0; ///< Integer: inclusive bounds.
  bool powerOfTwo = false;
};

/// Calls `fn` on every key of `m` in the docs' order with its storage: one
/// of `name`, a uint64_t or a double, by kind.
void forEachMachineKey(
    MachineDescription &m,
    llvm::function_ref<void(const MachineKeyInfo &, std::string *, uint64_t *,
                            double *)>
        fn);

/// The bundled default (lib/Accel/Machine/DefaultMachine.json).
const MachineDescription &getDefaultMachine();
/// The text of DefaultMachine.json as compiled in.
llvm::StringRef getDefaultMachineJSON();

/// Parses a machine description over `base` (every key optional). Errors:
/// `SOURCE: ...` with llvm::json's syntax error, or `SOURCE: key 'dram.bytes'
/// ...` for an unknown key, a wrong type or a value outside the limits.
llvm::Expected<MachineDescription>
parseMachineDescription(llvm::StringRef text, llvm::StringRef source,
                        const MachineDescription &base = getDefaultMachine());
/// Reads and parses a file.
llvm::Expected<MachineDescription> loadMachineDescription(llvm::StringRef path);

/// Every key of `m` as nested JSON objects (what parseMachineDescription
/// reads back to `m`).
llvm::json::Value toJSON(const MachineDescription &m);

/// The same as indented JSON text with the keys in the docs' order and each
/// number in its shortest form that reads back exactly (`0.4`, not
/// `0.40000000000000002`).
void printMachineDescription(llvm::raw_ostream &os,
                             const MachineDescription &m);

} // namespace qtrain::accel

#endif // QTRAIN_ACCEL_MACHINE_H
