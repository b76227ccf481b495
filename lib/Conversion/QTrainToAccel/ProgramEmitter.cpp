//===- ProgramEmitter.cpp - Building an accel.program ---------------------===//

#include "ProgramEmitter.h"

#include "qtrain/Dialect/QTrain/IR/QTrainOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"

#include "llvm/Support/MathExtras.h"

using namespace mlir;

namespace qtrain::accel {

namespace {

constexpr uint64_t kBufferAlignment = 64;

/// The key of a configuration word: its text with the entry field cleared.
std::string keyOf(Instruction inst, llvm::StringRef entryField) {
  inst.set(entryField, 0);
  return printInstruction(inst);
}

std::string keyOf(llvm::ArrayRef<Instruction> insts,
                  llvm::StringRef entryField) {
  std::string key;
  for (const Instruction &inst : insts)
    key += keyOf(inst, entryField) + "\n";
  return key;
}

} // namespace

ProgramEmitter::ProgramEmitter(ir::ProgramOp program,
                               const MachineDescription &machine)
    : program(program), machine(machine), builder(program.getContext()),
      loc(program.getLoc()), formatKeys(kFormatEntries),
      roundingKeys(kRoundingEntries), accumKeys(kAccumEntries),
      transferKeys(kTransferDescriptors), viewKeys(kViewRegisters),
      formatUse(kFormatEntries), roundingUse(kRoundingEntries),
      accumUse(kAccumEntries), transferUse(kTransferDescriptors),
      viewUse(kViewRegisters) {
  builder.setInsertionPointToEnd(&program.getBody().front());
}

Operation *ProgramEmitter::create(const Instruction &inst) {
  return ir::createInstructionOp(builder, loc, inst);
}

unsigned dramElementBits(Type element, bool scaleCodes) {
  // i1 tensors (a generic's compares kept for a later select) hold one
  // 32-bit word per element, 1 or 0, as the vector unit's compares write.
  if (element.isInteger(1))
    return 32;
  // Codes are right-aligned in cw bits: 4-bit codes two per byte; block
  // scale codes one per byte (the scale array's layout).
  unsigned bits = element.getIntOrFloatBitWidth();
  for (unsigned w : {scaleCodes ? 8u : 4u, 8u, 16u, 32u, 64u})
    if (bits <= w)
      return w;
  return bits;
}

FailureOr<unsigned> ProgramEmitter::allocate(Value value, StringRef name,
                                             StringRef role, bool bind) {
  SmallVector<int64_t> shape;
  Type elementType;
  uint64_t bytes;
  if (auto tensor = dyn_cast<RankedTensorType>(value.getType())) {
    shape.assign(tensor.getShape().begin(), tensor.getShape().end());
    elementType = tensor.getElementType();
    // An encode's results after the codes are its scales.
    auto result = dyn_cast<OpResult>(value);
    bool scaleCodes = result && isa<EncodeOp>(result.getOwner()) &&
                      result.getResultNumber() > 0;
    bytes = llvm::divideCeil(
        tensor.getNumElements() *
            dramElementBits(tensor.getElementType(), scaleCodes),
        8);
  } else {
    // A scalar: an i64 seed, or the value of scalar code (ScalarMapping).
    elementType = value.getType();
    bytes = dramElementBits(value.getType(), /*scaleCodes=*/false) / 8;
  }
  Location at = loc;
  loc = value.getLoc();
  FailureOr<unsigned> id = allocateBytes(name, role, shape, elementType, bytes);
  loc = at;
  if (succeeded(id) && bind)
    bufferOf[value] = *id;
  return id;
}

FailureOr<unsigned> ProgramEmitter::allocateBytes(StringRef name,
                                                  StringRef role,
                                                  ArrayRef<int64_t> shape,
                                                  Type elementType,
                                                  uint64_t bytes) {
  Buffer buffer;
  buffer.name = name.str();
  buffer.role = role.str();
  buffer.shape.assign(shape.begin(), shape.end());
  buffer.elementType = elementType;
  buffer.address = dramEnd;
  buffer.bytes = bytes;
  uint64_t end =
      llvm::alignTo(dramEnd + std::max<uint64_t>(bytes, 1), kBufferAlignment);
  if (end > machine.dram.bytes)
    return emitError(loc)
           << "cannot map to the accelerator: the program's buffers need "
           << end << " bytes of DRAM, the machine has " << machine.dram.bytes;
  dramEnd = end;
  buffers.push_back(buffer);
  return buffers.size() - 1;
}

std::optional<unsigned> ProgramEmitter::lookupBuffer(Value value) const {
  auto it = bufferOf.find(value);
  if (it == bufferOf.end())
    return std::nullopt;
  return it->second;
}

unsigned ProgramEmitter::useEntry(std::vector<std::string> &table,
                                  std::vector<uint64_t> &lastUse,
                                  const std::string &key, bool &fresh) {
  ++useClock;
  for (unsigned i = 0; i < table.size(); ++i) {
    if (table[i] == key) {
      lastUse[i] = useClock;
      fresh = false;
      return i;
    }
  }
  unsigned victim = 0;
  for (unsigned i = 1; i < table.size(); ++i)
    if (lastUse[i] < lastUse[victim])
      victim = i;
  table[victim] = key;
  lastUse[victim] = useClock;
  fresh = true;
  return victim;
}

FailureOr<unsigned>
ProgramEmitter::useRounding(const numerics::Rounding &rounding,
                            unsigned seedReg,
                            std::optional<unsigned> dataBuffer) {
  llvm::Expected<Instruction> word = configureRounding(0, rounding, seedReg);
  if (!word)
    return emitError(loc) << "cannot map to the accelerator: "
                          << llvm::toString(word.takeError());
  SmallVector<Instruction, 2> words = {*word};
  if (dataBuffer) {
    const Buffer &data = buffers[*dataBuffer];
    Instruction companion(InstructionKind::ConfigRoundingData);
    companion.set("data_addr", data.address);
    companion.set("data_count", data.bytes / 4);
    words.push_back(companion);
  }
  bool fresh;
  unsigned entry =
      useEntry(roundingKeys, roundingUse, keyOf(words, "entry"), fresh);
  if (fresh)
    for (Instruction &w : words) {
      w.set("entry", entry);
      create(w);
    }
  return entry;
}

FailureOr<unsigned>
ProgramEmitter::useFormat(const numerics::ScaledFormat &format,
                          const FormatPlacement &placement) {
  auto words = configureFormat(0, format, placement);
  if (!words)
    return emitError(loc) << "cannot map to the accelerator: "
                          << llvm::toString(words.takeError());
  bool fresh;
  unsigned entry =
      useEntry(formatKeys, formatUse, keyOf(*words, "entry"), fresh);
  if (fresh)
    for (Instruction &word : *words) {
      word.set("entry", entry);
      create(word);
    }
  return entry;
}

FailureOr<unsigned>
ProgramEmitter::useAccumulation(const numerics::AccumulationSpec &spec) {
  auto words = configureAccumulation(0, spec);
  if (!words)
    return emitError(loc) << "cannot map to the accelerator: "
                          << llvm::toString(words.takeError());
  bool fresh;
  unsigned entry = useEntry(accumKeys, accumUse, keyOf(*words, "entry"), fresh);
  if (fresh)
    for (Instruction &word : *words) {
      word.set("entry", entry);
      create(word);
    }
  return entry;
}

unsigned ProgramEmitter::useTransfer(const TransferStrides &s) {
  Instruction dram(InstructionKind::ConfigTransferDram);
  dram.set("dram_stride_z", static_cast<uint64_t>(s.dramZ));
  dram.set("dram_stride_y", static_cast<uint64_t>(s.dramY));
  dram.set("dram_stride_x", static_cast<uint64_t>(s.dramX));
  Instruction chip(InstructionKind::ConfigTransferChip);
  chip.set("chip_stride_z", s.chipZ);
  chip.set("chip_stride_y", s.chipY);
  chip.set("chip_stride_x", s.chipX);
  chip.set("pad_y_lo", s.padYLo);
  chip.set("pad_y_hi", s.padYHi);
  chip.set("pad_x_lo", s.padXLo);
  chip.set("pad_x_hi", s.padXHi);
  std::array<Instruction, 2> words = {dram, chip};
  bool fresh;
  unsigned td = useEntry(transferKeys, transferUse, keyOf(words, "td"), fresh);
  if (fresh)
    for (Instruction &word : words) {
      word.set("td", td);
      create(word);
    }
  return td;
}

unsigned ProgramEmitter::useView(const std::array<int64_t, 3> &sizes,
                                 const std::array<int64_t, 3> &strides) {
  Instruction word(InstructionKind::ConfigView);
  word.set("size_z", sizes[0]);
  word.set("stride_z", strides[0]);
  word.set("size_y", sizes[1]);
  word.set("stride_y", strides[1]);
  word.set("size_x", sizes[2]);
  word.set("stride_x", strides[2]);
  bool fresh;
  unsigned view = useEntry(viewKeys, viewUse, keyOf(word, "view"), fresh);
  if (fresh) {
    word.set("view", view);
    create(word);
  }
  return view;
}

void ProgramEmitter::useStream(uint64_t base, uint64_t strideY,
                               uint64_t strideX, uint64_t strideZ) {
  std::array<uint64_t, 4> key = {base, strideZ, strideY, strideX};
  if (stream == key)
    return;
  stream = key;
  Instruction word(InstructionKind::ConfigStream);
  word.set("index_base", base);
  word.set("index_stride_z", strideZ);
  word.set("index_stride_y", strideY);
  word.set("index_stride_x", strideX);
  create(word);
}

void ProgramEmitter::useScaleArray(uint64_t address, uint64_t strideY,
                                   uint64_t strideX) {
  std::array<uint64_t, 3> key = {address, strideY, strideX};
  if (scaleArray == key)
    return;
  scaleArray = key;
  Instruction word(InstructionKind::ConfigScales);
  word.set("scale_addr", address);
  word.set("scale_stride_y", strideY);
  word.set("scale_stride_x", strideX);
  create(word);
}

FailureOr<unsigned> ProgramEmitter::useSeed(Value seed) {
  auto it = seedRegOf.find(seed);
  if (it != seedRegOf.end())
    return it->second;

  // seed = a DRAM value, a constant, or a DRAM value plus a constant (the
  // per-site offsets of qtrain-assign-precision).
  Value dramValue;
  uint64_t imm = 0;
  auto constantOf = [](Value v) -> std::optional<uint64_t> {
    llvm::APInt c;
    if (auto op = v.getDefiningOp<arith::ConstantIntOp>())
      return static_cast<uint64_t>(op.value());
    return std::nullopt;
  };
  if (std::optional<uint64_t> c = constantOf(seed)) {
    imm = *c;
  } else if (lookupBuffer(seed)) {
    dramValue = seed;
  } else if (auto add = seed.getDefiningOp<arith::AddIOp>()) {
    for (auto [base, offset] : {std::pair(add.getLhs(), add.getRhs()),
                                std::pair(add.getRhs(), add.getLhs())}) {
      std::optional<uint64_t> c = constantOf(offset);
      if (c && lookupBuffer(base)) {
        dramValue = base;
        imm = *c;
        break;
      }
    }
    if (!dramValue)
      return emitError(seed.getLoc())
             << "cannot map to the accelerator: a seed must be an argument, "
                "a constant, or an argument plus a constant";
  } else {
    return emitError(seed.getLoc())
           << "cannot map to the accelerator: a seed must be an argument, a "
              "constant, or an argument plus a constant";
  }

  unsigned reg = nextSeedReg;
  nextSeedReg = (nextSeedReg + 1) % kSeedRegisters;
  for (auto &entry : seedRegOf)
    if (entry.second == reg) {
      seedRegOf.erase(entry.first);
      break;
    }
  Instruction load(InstructionKind::RegLoad);
  load.set("regfile", RegFile::Seed);
  load.set("reg", reg);
  load.set("part", StatsPart::None);
  load.set("imm", imm);
  SmallVector<Access> accesses = {{{Resource::Seed, reg}, /*write=*/true}};
  if (dramValue) {
    unsigned id = *lookupBuffer(dramValue);
    load.set("from_dram", 1);
    load.set("dram_addr", buffers[id].address);
    accesses.push_back({{Resource::Dram, id}, /*write=*/false});
  }
  emitQueued(load, accesses);
  seedRegOf[seed] = reg;
  return reg;
}

Operation *ProgramEmitter::emitQueued(const Instruction &inst,
                                      ArrayRef<Access> accesses) {
  return planner.emit(inst, accesses,
                      [&](const Instruction &i) { return create(i); });
}

void ProgramEmitter::finish() {
  create(Instruction(InstructionKind::Finish));
  MLIRContext *ctx = program.getContext();
  Builder b(ctx);
  SmallVector<Attribute> manifest;
  for (const Buffer &buffer : buffers) {
    NamedAttrList fields;
    fields.append("name", b.getStringAttr(buffer.name));
    fields.append("role", b.getStringAttr(buffer.role));
    fields.append("address", b.getI64IntegerAttr(buffer.address));
    fields.append("bytes", b.getI64IntegerAttr(buffer.bytes));
    fields.append("shape", b.getDenseI64ArrayAttr(buffer.shape));
    fields.append("type", TypeAttr::get(buffer.elementType));
    manifest.push_back(fields.getDictionary(ctx));
  }
  program->setAttr("accel.buffers", b.getArrayAttr(manifest));
}

} // namespace qtrain::accel
