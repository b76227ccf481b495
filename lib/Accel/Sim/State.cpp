//===- State.cpp - The accelerator's architectural state ------------------===//

#include "qtrain/Accel/Sim/State.h"

#include "llvm/ADT/bit.h"

#include <cstdlib>
#include <cstring>

using namespace llvm;

namespace qtrain::accel::sim {

//===----------------------------------------------------------------------===//
// DRAM
//===----------------------------------------------------------------------===//

void Dram::Free::operator()(uint8_t *p) const { std::free(p); }

Expected<Dram> Dram::create(uint64_t bytes) {
  Dram d;
  d.bytes = bytes;
  // calloc: zero pages on first touch, not a gigabyte of memset.
  d.memory.reset(static_cast<uint8_t *>(std::calloc(bytes ? bytes : 1, 1)));
  if (!d.memory)
    return createStringError("cannot allocate %llu bytes of DRAM",
                             static_cast<unsigned long long>(bytes));
  return d;
}

uint64_t Dram::readBits(uint64_t bit, unsigned width) const {
  if (width == 32 && bit % 32 == 0)
    return read32(bit / 8);
  if (width == 8 && bit % 8 == 0)
    return memory.get()[bit / 8];
  uint64_t first = bit / 8, last = (bit + width + 7) / 8; // bytes [first, last)
  unsigned __int128 v = 0;
  for (uint64_t b = last; b-- > first;)
    v = (v << 8) | memory.get()[b];
  v >>= bit % 8;
  return width == 64 ? static_cast<uint64_t>(v)
                     : static_cast<uint64_t>(v) & ((uint64_t(1) << width) - 1);
}

void Dram::writeBits(uint64_t bit, unsigned width, uint64_t value) {
  if (width == 32 && bit % 32 == 0)
    return write32(bit / 8, static_cast<uint32_t>(value));
  if (width == 8 && bit % 8 == 0) {
    memory.get()[bit / 8] = static_cast<uint8_t>(value);
    return;
  }
  uint64_t first = bit / 8, last = (bit + width + 7) / 8;
  unsigned shift = bit % 8;
  unsigned __int128 mask = (width == 64 ? ~(unsigned __int128)0 >> 64
                                        : (((unsigned __int128)1 << width) - 1))
                           << shift;
  unsigned __int128 bits = ((unsigned __int128)value << shift) & mask;
  for (uint64_t b = first; b < last; ++b) {
    unsigned k = 8 * (b - first);
    uint8_t m = static_cast<uint8_t>(mask >> k);
    uint8_t v = static_cast<uint8_t>(bits >> k);
    memory.get()[b] = (memory.get()[b] & ~m) | v;
  }
}

uint32_t Dram::read32(uint64_t byte) const {
  uint8_t b[4];
  std::memcpy(b, memory.get() + byte, 4);
  return uint32_t(b[0]) | uint32_t(b[1]) << 8 | uint32_t(b[2]) << 16 |
         uint32_t(b[3]) << 24;
}

void Dram::write32(uint64_t byte, uint32_t value) {
  uint8_t b[4] = {static_cast<uint8_t>(value), static_cast<uint8_t>(value >> 8),
                  static_cast<uint8_t>(value >> 16),
                  static_cast<uint8_t>(value >> 24)};
  std::memcpy(memory.get() + byte, b, 4);
}

uint64_t Dram::read64(uint64_t byte) const {
  return uint64_t(read32(byte)) | uint64_t(read32(byte + 4)) << 32;
}

void Dram::write64(uint64_t byte, uint64_t value) {
  write32(byte, static_cast<uint32_t>(value));
  write32(byte + 4, static_cast<uint32_t>(value >> 32));
}

//===----------------------------------------------------------------------===//
// Scratchpads
//===----------------------------------------------------------------------===//

Scratchpad::Scratchpad(uint64_t rows, uint64_t rowBytes)
    : rows(rows), rowBytes(rowBytes), codes(rows * rowBytes, 0),
      sidecars(rows * kSidecarBytes, 0),
      units(rows * rowBytes * 8 / kUnitBits, SlotState::Invalid) {}

uint64_t Scratchpad::readLane(uint64_t row, uint64_t lane,
                              unsigned width) const {
  const uint8_t *r = &codes[row * rowBytes];
  if (width == 4) {
    uint8_t b = r[lane / 2];
    return lane % 2 ? b >> 4 : b & 0xf;
  }
  const uint8_t *p = r + lane * (width / 8);
  uint64_t v = 0;
  for (unsigned i = width / 8; i-- > 0;)
    v = (v << 8) | p[i];
  return v;
}

void Scratchpad::writeLane(uint64_t row, uint64_t lane, unsigned width,
                           uint64_t bits) {
  uint8_t *r = &codes[row * rowBytes];
  if (width == 4) {
    uint8_t &b = r[lane / 2];
    b = lane % 2 ? (b & 0x0f) | static_cast<uint8_t>((bits & 0xf) << 4)
                 : (b & 0xf0) | static_cast<uint8_t>(bits & 0xf);
    return;
  }
  uint8_t *p = r + lane * (width / 8);
  for (unsigned i = 0; i < width / 8; ++i)
    p[i] = static_cast<uint8_t>(bits >> (8 * i));
}

SlotState Scratchpad::laneState(uint64_t row, uint64_t lane,
                                unsigned width) const {
  unsigned perLane = width / kUnitBits;
  const SlotState *u = &units[(row * rowBytes * 8 + lane * width) / kUnitBits];
  for (unsigned i = 1; i < perLane; ++i)
    if (u[i] != u[0])
      return SlotState::Invalid;
  return u[0];
}

void Scratchpad::setLaneState(uint64_t row, uint64_t lane, unsigned width,
                              SlotState s) {
  unsigned perLane = width / kUnitBits;
  SlotState *u = &units[(row * rowBytes * 8 + lane * width) / kUnitBits];
  for (unsigned i = 0; i < perLane; ++i)
    u[i] = s;
}

float Scratchpad::tensorScale(uint64_t row) const {
  const uint8_t *s = sidecar(row) + 8;
  return bit_cast<float>(uint32_t(s[0]) | uint32_t(s[1]) << 8 |
                         uint32_t(s[2]) << 16 | uint32_t(s[3]) << 24);
}

uint16_t Scratchpad::formatTag(uint64_t row) const {
  const uint8_t *s = sidecar(row) + 12;
  return static_cast<uint16_t>(s[0] | s[1] << 8);
}

//===----------------------------------------------------------------------===//
// Accumulator memory and the whole state
//===----------------------------------------------------------------------===//

AccMemory::AccMemory(uint64_t entries)
    : state(entries, AccState::Empty), value(entries, 0), accum(entries),
      accumEntry(entries, 0), accumVersion(entries, 0) {}

float AccMemory::getFloat(uint64_t e) const {
  return bit_cast<float>(value[e]);
}

ArchState::ArchState(Dram dram, const MachineDescription &machine)
    : dram(std::move(dram)),
      inputSp(machine.inputSp.rows, machine.inputSp.rowBytes),
      weightSp(machine.weightSp.rows, machine.weightSp.rowBytes),
      acc(machine.acc.entries) {}

Expected<std::unique_ptr<ArchState>>
ArchState::create(const MachineDescription &machine) {
  Expected<Dram> dram = Dram::create(machine.dram.bytes);
  if (!dram)
    return dram.takeError();
  return std::unique_ptr<ArchState>(new ArchState(std::move(*dram), machine));
}

} // namespace qtrain::accel::sim
