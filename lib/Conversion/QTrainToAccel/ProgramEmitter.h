//===- ProgramEmitter.h - Building an accel.program -------------*- C++ -*-===//
//
// The state of one program being emitted: the machine description, the DRAM
// buffers and their manifest, the configuration registers' contents (so a
// cfg.* word is written only when a register must change, to the least
// recently used entry), the seed registers, and the token planner that
// orders the queued instructions.
//
//===----------------------------------------------------------------------===//

#ifndef QTRAIN_LIB_CONVERSION_QTRAINTOACCEL_PROGRAMEMITTER_H
#define QTRAIN_LIB_CONVERSION_QTRAINTOACCEL_PROGRAMEMITTER_H

#include "TokenPlanner.h"

#include "qtrain/Accel/Configuration.h"
#include "qtrain/Accel/Machine.h"
#include "qtrain/Dialect/Accel/IR/AccelOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Value.h"

#include "llvm/ADT/DenseMap.h"

#include <string>
#include <vector>

namespace qtrain::accel {

/// A DRAM region of the program's manifest.
struct Buffer {
  std::string name;
  std::string role; ///< "input", "output" or "intermediate".
  uint64_t address = 0, bytes = 0;
  llvm::SmallVector<int64_t> shape;
  mlir::Type elementType;
};

/// The strides of a transfer descriptor (both words) and its pads (LOAD
/// only).
struct TransferStrides {
  int64_t dramZ = 0, dramY = 0, dramX = 0;
  uint64_t chipZ = 0, chipY = 0, chipX = 0;
  uint64_t padYLo = 0, padYHi = 0, padXLo = 0, padXHi = 0;
};

/// Bits per element of a tensor of `element` in DRAM: f32 and i32 values,
/// i1 as 32-bit words (1 or 0), codes right-aligned in the smallest of 4,
/// 8, 16, 32 bits that holds them (cw(F) for an element format's codes;
/// at least 8 for block scale codes, `scaleCodes`).
unsigned dramElementBits(mlir::Type element, bool scaleCodes = false);

class ProgramEmitter {
public:
  ProgramEmitter(ir::ProgramOp program, const MachineDescription &machine);

  const MachineDescription &getMachine() const { return machine; }

  /// Instructions are located at `loc` until the next call.
  void setLocation(mlir::Location l) { loc = l; }
  mlir::Location getLocation() const { return loc; }

  /// A new 64-byte aligned DRAM region shaped like `value` (a ranked tensor
  /// or an i64 seed), which then lives there unless `bind` is false (a copy
  /// of it); fails at `loc` when DRAM is too small.
  mlir::FailureOr<unsigned> allocate(mlir::Value value, llvm::StringRef name,
                                     llvm::StringRef role, bool bind = true);
  /// A new 64-byte aligned DRAM region of `bytes` bytes that no value lives
  /// in (a second form of a tensor); fails at the current location when
  /// DRAM is too small.
  mlir::FailureOr<unsigned> allocateBytes(llvm::StringRef name,
                                          llvm::StringRef role,
                                          llvm::ArrayRef<int64_t> shape,
                                          mlir::Type elementType,
                                          uint64_t bytes);
  /// The buffer holding `value`, if any.
  std::optional<unsigned> lookupBuffer(mlir::Value value) const;
  /// A quantized tensor's encoded form (hasEncodedForm: codes, or codes
  /// paired with their block scale codes), written for the tap gathers and
  /// views that read it straight into a scratchpad.
  void bindEncoded(mlir::Value value, unsigned id) { encodedOf[value] = id; }
  std::optional<unsigned> lookupEncoded(mlir::Value value) const {
    auto it = encodedOf.find(value);
    if (it == encodedOf.end())
      return std::nullopt;
    return it->second;
  }
  /// The buffer holding an encoded form's whole-tensor scale, if it has one.
  void bindEncodedScale(mlir::Value value, unsigned id) {
    encodedScaleOf[value] = id;
  }
  std::optional<unsigned> lookupEncodedScale(mlir::Value value) const {
    auto it = encodedScaleOf.find(value);
    if (it == encodedScaleOf.end())
      return std::nullopt;
    return it->second;
  }
  const Buffer &getBuffer(unsigned id) const { return buffers[id]; }
  /// Records `value` as living in buffer `id` (a view of another value's).
  void alias(mlir::Value value, unsigned id) { bufferOf[value] = id; }

  /// Configuration: the entry or register holding the given contents,
  /// writing its cfg.* words first when none does.
  /// A data source's companion tensor is buffer `dataBuffer` (a
  /// `cfg.rounding_data` word follows the `cfg.rounding` one).
  mlir::FailureOr<unsigned>
  useRounding(const numerics::Rounding &rounding, unsigned seedReg,
              std::optional<unsigned> dataBuffer = std::nullopt);
  mlir::FailureOr<unsigned> useFormat(const numerics::ScaledFormat &format,
                                      const FormatPlacement &placement);
  mlir::FailureOr<unsigned>
  useAccumulation(const numerics::AccumulationSpec &spec);
  unsigned useTransfer(const TransferStrides &strides);
  /// A view register with these sizes and strides (z, y, x).
  unsigned useView(const std::array<int64_t, 3> &sizes,
                   const std::array<int64_t, 3> &strides);
  /// Sets the stream register (stochastic rounding's element indices).
  void useStream(uint64_t base, uint64_t strideY, uint64_t strideX,
                 uint64_t strideZ = 0);
  /// Sets the scale-array register (where a codes transfer's block scales
  /// live: byte address of block (0, 0, 0), strides in scales).
  void useScaleArray(uint64_t address, uint64_t strideY, uint64_t strideX);

  /// The seed register holding `seed` (an i64 function argument with a DRAM
  /// buffer, or a constant), loading it first when none does.
  mlir::FailureOr<unsigned> useSeed(mlir::Value seed);

  /// The scratchpad half of the next GEMM step and the ACC half of the next
  /// output tile: each alternates, so consecutive steps double-buffer.
  unsigned nextSpHalf() { return spSteps++ % 2; }
  unsigned nextAccHalf() { return accTiles++ % 2; }

  /// The ACC is two halves for tiles, then kScalarEntries entries for
  /// values that outlive a tile (whole-tensor scales).
  static constexpr unsigned kScalarEntries = 16;
  int64_t accHalfEntries() const {
    return (static_cast<int64_t>(machine.acc.entries) - kScalarEntries) / 2;
  }
  /// A reserved ACC entry for a scalar, and the resource that orders its
  /// accesses (round robin: an entry is reused 16 scalars later).
  std::pair<uint64_t, Resource> nextScalarEntry() {
    unsigned i = scalars++ % kScalarEntries;
    return {machine.acc.entries - kScalarEntries + i,
            Resource{Resource::Acc, 2 + i}};
  }
  /// A statistics register (round robin) and its resource.
  std::pair<unsigned, Resource> nextStatsRegister() {
    unsigned r = statsRegs++ % kStatsRegisters;
    return {r, Resource{Resource::Stats, r}};
  }

  /// Emits a queued instruction, ordered after every conflicting access.
  mlir::Operation *emitQueued(const Instruction &inst,
                              llvm::ArrayRef<Access> accesses);
  /// Emits the final `finish` and the manifest.
  void finish();

private:
  mlir::Operation *create(const Instruction &inst);
  /// An entry of a table of `size` entries holding `words` (their own entry
  /// field cleared in the key), least recently used first.
  unsigned useEntry(std::vector<std::string> &table,
                    std::vector<uint64_t> &lastUse, const std::string &key,
                    bool &fresh);

  ir::ProgramOp program;
  const MachineDescription &machine;
  mlir::OpBuilder builder;
  mlir::Location loc;
  TokenPlanner planner;

  std::vector<Buffer> buffers;
  llvm::DenseMap<mlir::Value, unsigned> bufferOf, encodedOf, encodedScaleOf;
  uint64_t dramEnd = 0;

  uint64_t useClock = 0;
  std::vector<std::string> formatKeys, roundingKeys, accumKeys, transferKeys,
      viewKeys;
  std::vector<uint64_t> formatUse, roundingUse, accumUse, transferUse, viewUse;
  std::optional<std::array<uint64_t, 4>> stream;
  std::optional<std::array<uint64_t, 3>> scaleArray;
  uint64_t streamBase = 0;
  llvm::DenseMap<mlir::Value, unsigned> seedRegOf;
  unsigned nextSeedReg = 0;
  unsigned spSteps = 0, accTiles = 0, scalars = 0, statsRegs = 0;
};

} // namespace qtrain::accel

#endif // QTRAIN_LIB_CONVERSION_QTRAINTOACCEL_PROGRAMEMITTER_H
