//===- SimTestUtils.h - Helpers for the functional model's tests -*- C++
//-*-===//

#ifndef QTRAIN_UNITTESTS_ACCEL_SIMTESTUTILS_H
#define QTRAIN_UNITTESTS_ACCEL_SIMTESTUTILS_H

#include "qtrain/Accel/Configuration.h"
#include "qtrain/Accel/ISA.h"
#include "qtrain/Accel/Machine.h"
#include "qtrain/Accel/Sim/Simulator.h"

#include "llvm/ADT/bit.h"
#include "llvm/Support/raw_ostream.h"

#include "gtest/gtest.h"

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace qtrain::accel::sim::test {

/// The default machine with 16 MiB of DRAM.
inline MachineDescription smallMachine() {
  MachineDescription m = getDefaultMachine();
  m.dram.bytes = 16 << 20;
  return m;
}

inline std::unique_ptr<Simulator>
makeSim(const MachineDescription &m = smallMachine()) {
  return llvm::cantFail(Simulator::create(m));
}

/// Runs assembly `text` with a `finish` appended; "" on success, else the
/// error message.
inline std::string runProgram(Simulator &sim, llvm::StringRef text) {
  llvm::Expected<std::vector<Instruction>> program =
      parseAssembly((text + "\nfinish\n").str(), "test.s");
  if (!program)
    return "parse error: " + llvm::toString(program.takeError());
  if (llvm::Error e = sim.run(*program))
    return llvm::toString(std::move(e));
  return "";
}

inline std::string words(llvm::ArrayRef<Instruction> insts) {
  std::string s;
  llvm::raw_string_ostream os(s);
  for (const Instruction &i : insts) {
    printInstruction(os, i);
    os << "\n";
  }
  return s;
}

/// The cfg words of a format entry, a rounding entry and an accumulation
/// entry, from the compiler's Configuration library.
inline std::string formatWords(unsigned entry,
                               const numerics::ScaledFormat &format,
                               const FormatPlacement &placement) {
  auto w = llvm::cantFail(configureFormat(entry, format, placement));
  return words(w);
}
inline std::string roundingWords(unsigned entry, const numerics::Rounding &r,
                                 unsigned seedReg = 0) {
  return words(llvm::cantFail(configureRounding(entry, r, seedReg)));
}
inline std::string accumWords(unsigned entry,
                              const numerics::AccumulationSpec &spec) {
  auto w = llvm::cantFail(configureAccumulation(entry, spec));
  return words(w);
}

inline void writeFloats(Simulator &sim, uint64_t addr,
                        llvm::ArrayRef<float> v) {
  std::vector<uint8_t> bytes(4 * v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    uint32_t b = llvm::bit_cast<uint32_t>(v[i]);
    for (unsigned k = 0; k < 4; ++k)
      bytes[4 * i + k] = static_cast<uint8_t>(b >> (8 * k));
  }
  llvm::cantFail(sim.writeDram(addr, bytes));
}

inline std::vector<uint8_t> readBytes(const Simulator &sim, uint64_t addr,
                                      size_t n) {
  std::vector<uint8_t> bytes(n);
  llvm::cantFail(sim.readDram(addr, bytes));
  return bytes;
}

inline std::vector<float> readFloats(const Simulator &sim, uint64_t addr,
                                     size_t n) {
  std::vector<uint8_t> bytes = readBytes(sim, addr, 4 * n);
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i)
    v[i] = llvm::bit_cast<float>(
        uint32_t(bytes[4 * i]) | uint32_t(bytes[4 * i + 1]) << 8 |
        uint32_t(bytes[4 * i + 2]) << 16 | uint32_t(bytes[4 * i + 3]) << 24);
  return v;
}

/// ACC entries [first, first + n) as f32 (each must hold a value).
inline std::vector<float> accFloats(const Simulator &sim, uint64_t first,
                                    size_t n) {
  const AccMemory &acc = sim.getState().acc;
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) {
    EXPECT_EQ(acc.state[first + i], AccState::Value)
        << "ACC entry " << first + i;
    v[i] = acc.getFloat(first + i);
  }
  return v;
}

/// Bit-for-bit equality, naming the first differing element.
inline void expectSameBits(llvm::ArrayRef<float> got,
                           llvm::ArrayRef<float> want,
                           const std::string &what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t i = 0; i < got.size(); ++i)
    if (llvm::bit_cast<uint32_t>(got[i]) != llvm::bit_cast<uint32_t>(want[i])) {
      ADD_FAILURE() << what << ": element " << i << " is " << got[i] << " (0x"
                    << std::hex << llvm::bit_cast<uint32_t>(got[i])
                    << "), want " << want[i] << " (0x"
                    << llvm::bit_cast<uint32_t>(want[i]) << std::dec << ")";
      return;
    }
}

/// Random values with specials: every 61st a special (NaN, +-inf, +-0, a
/// subnormal, a huge value; -0 instead of NaN and infinities without
/// `nonFinite`); others uniform in [-1, 1] times 2^-6 .. 2^6.
inline std::vector<float> randomValues(size_t n, uint64_t seed,
                                       bool specials = true,
                                       bool nonFinite = true) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::uniform_int_distribution<int> e(-6, 6);
  std::vector<float> v(n);
  const float kSpecials[] = {std::numeric_limits<float>::quiet_NaN(),
                             std::numeric_limits<float>::infinity(),
                             -std::numeric_limits<float>::infinity(),
                             0.0f,
                             -0.0f,
                             1e-40f,
                             -3e-39f,
                             3e30f,
                             -1e-30f};
  for (size_t i = 0; i < n; ++i) {
    if (specials && i % 61 == 7) {
      v[i] = kSpecials[(i / 61) % (sizeof(kSpecials) / sizeof(float))];
      if (!nonFinite && !std::isfinite(v[i]))
        v[i] = -0.0f;
    } else
      v[i] = std::ldexp(u(rng), e(rng));
  }
  return v;
}

} // namespace qtrain::accel::sim::test

#endif // QTRAIN_UNITTESTS_ACCEL_SIMTESTUTILS_H
