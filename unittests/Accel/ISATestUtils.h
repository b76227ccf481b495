//===- ISATestUtils.h - Legal instructions for the ISA tests ----*- C++ -*-===//

#ifndef QTRAIN_UNITTESTS_ACCEL_ISATESTUTILS_H
#define QTRAIN_UNITTESTS_ACCEL_ISATESTUTILS_H

#include "qtrain/Accel/ISA.h"

#include <random>

namespace qtrain::accel::test {

/// The stored value of `f`'s lower or upper bound (every bit set for Bits).
inline uint64_t boundValue(const FieldInfo &f, bool upper) {
  if (f.kind == FieldKind::Bits)
    return !upper          ? 0
           : f.width >= 64 ? ~uint64_t(0)
                           : (uint64_t(1) << f.width) - 1;
  return static_cast<uint64_t>(upper ? f.max : f.min);
}

/// A uniformly random legal value of `f`.
inline uint64_t randomValue(const FieldInfo &f, std::mt19937_64 &rng) {
  switch (f.kind) {
  case FieldKind::Bits:
    return f.width >= 64 ? rng() : rng() & ((uint64_t(1) << f.width) - 1);
  case FieldKind::SInt:
    return static_cast<uint64_t>(
        std::uniform_int_distribution<int64_t>(f.min, f.max)(rng));
  case FieldKind::Reserved:
    return 0;
  default:
    return std::uniform_int_distribution<uint64_t>(f.min, f.max)(rng);
  }
}

/// An instruction of `kind` with every field at its lower bound.
inline Instruction minimalInstruction(InstructionKind kind) {
  Instruction inst = Instruction::make(kind);
  for (unsigned i = 0; i < inst.getNumFields(); ++i)
    inst.set(i, boundValue(inst.info().fields[i], /*upper=*/false));
  return inst;
}

inline Instruction randomInstruction(InstructionKind kind,
                                     std::mt19937_64 &rng) {
  Instruction inst = Instruction::make(kind);
  for (unsigned i = 0; i < inst.getNumFields(); ++i)
    inst.set(i, randomValue(inst.info().fields[i], rng));
  return inst;
}

} // namespace qtrain::accel::test

#endif // QTRAIN_UNITTESTS_ACCEL_ISATESTUTILS_H
