//===- RandomStream.h - Reproducible random bits for rounding ---*- C++ -*-===//
//
// The random numbers used by stochastic rounding. The number used for element
// i of a tensor is a pure function of the source parameters, the seed and i
// (for LFSRs: of the lane layout), so that the CPU lowering and the
// accelerator model can reproduce it exactly. docs/Numerics.md ("Random
// streams") is the normative definition.
//
//===----------------------------------------------------------------------===//

#ifndef QTRAIN_NUMERICS_RANDOMSTREAM_H
#define QTRAIN_NUMERICS_RANDOMSTREAM_H

#include "qtrain/Numerics/Rounding.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"

namespace qtrain::numerics {

/// The counter-based generator: a 32-bit value for (seed, index), uniform and
/// a bijection of the low 32 index bits for a fixed seed.
uint32_t counterHash(uint64_t seed, uint64_t index);

/// The 32-bit finalizer used by counterHash (a bijection on uint32_t).
uint32_t mix32(uint32_t x);

/// Default Galois tap mask of a maximal-length LFSR of `width` bits (2..32).
uint32_t defaultLfsrTaps(unsigned width);

/// True when the Galois LFSR of `width` bits (2..32) with `taps` visits all
/// 2^w - 1 non-zero states (its step has order 2^w - 1 over GF(2)).
bool isMaximalLengthLfsr(unsigned width, uint32_t taps);

/// One step of a right-shifting Galois LFSR.
inline uint32_t lfsrStep(uint32_t state, uint32_t taps) {
  uint32_t lsb = state & 1u;
  state >>= 1;
  return lsb ? state ^ taps : state;
}

/// Initial (never zero) state of LFSR lane `lane` for `seed`.
uint32_t lfsrLaneSeed(uint64_t seed, unsigned lane, unsigned width);

/// Produces the k-bit random numbers of one rounding rule for consecutive
/// element indices. Sequential fills are O(n). Each LFSR lane keeps its own
/// state and step; a lane moved far from its step (forward, or backward
/// from its seed) jumps by powers of the step's GF(2) matrix, so any index
/// costs O(w log(index)) (an index of 2^40 must not take 2^40 steps).
class RandomStream {
public:
  /// `data` is the companion tensor of a Data source (ignored otherwise).
  RandomStream(const Rounding &rounding, llvm::ArrayRef<float> data = {});

  /// Writes the numbers of elements [start, start + out.size()) to `out`.
  void fill(uint64_t start, llvm::MutableArrayRef<uint32_t> out);

  /// The number for a single element (slow for LFSRs; for tests).
  uint32_t at(uint64_t index);

private:
  /// Moves LFSR lane `lane` to `step`.
  void seekLane(unsigned lane, uint64_t step);

  Rounding rounding;
  llvm::ArrayRef<float> data;
  uint32_t mask;
  uint32_t taps = 0;
  llvm::SmallVector<uint32_t> laneState;
  llvm::SmallVector<uint64_t> laneStep; // The step of each lane's state.
  /// jumps[i]: the columns of A^(2^i), A the LFSR step over GF(2)^w; made
  /// on the first far seek.
  llvm::SmallVector<llvm::SmallVector<uint32_t, 32>, 0> jumps;
};

} // namespace qtrain::numerics

#endif // QTRAIN_NUMERICS_RANDOMSTREAM_H
