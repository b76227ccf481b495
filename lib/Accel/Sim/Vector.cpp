//===- Vector.cpp - VECTOR ------------------------------------------------===//
//
// docs/Accelerator.md, "VECTOR": one operation over up to three views of
// the ACC of a common shape, position by position in lexicographic order
// (each position's operands read, the result computed and written before
// the next position), so in-place and overlapping views are well defined
// and an accumulating dst sees the values in the scalar loop's order.
//
// f32 arithmetic is the host's IEEE binary32 in round-to-nearest-even, as
// the CPU lowering's; `exp` and `log` are the host C library's (the
// contract's open question 3). `select_scale` and `stats_value` write one
// entry from a statistics register or an ACC value through the numerics
// library's rules. `quantize` and `stats` run the converter and the
// statistics of LOAD and STORE (Conversion.cpp) on view positions.
//
//===----------------------------------------------------------------------===//

#include "Conversion.h"
#include "Executor.h"

#include "qtrain/Numerics/Elementary.h"

#include "llvm/ADT/BitVector.h"
#include "llvm/ADT/bit.h"

#include <cmath>

using namespace llvm;

namespace qtrain::accel::sim {

namespace {

bool isSlow(uint64_t op) {
  return op == VectorOp::DivF || op == VectorOp::Sqrt || op == VectorOp::Exp ||
         op == VectorOp::Log;
}

bool isBinary(uint64_t op) {
  switch (op) {
  case VectorOp::AddF:
  case VectorOp::SubF:
  case VectorOp::MulF:
  case VectorOp::DivF:
  case VectorOp::MaximumF:
  case VectorOp::MinimumF:
  case VectorOp::CmpF:
  case VectorOp::CmpI:
  case VectorOp::Select:
  case VectorOp::AddI:
  case VectorOp::SubI:
  case VectorOp::MulI:
  case VectorOp::RemUI:
  case VectorOp::AndI:
  case VectorOp::OrI:
  case VectorOp::XOrI:
    return true;
  default:
    return false;
  }
}

bool isUnary(uint64_t op) {
  switch (op) {
  case VectorOp::Copy:
  case VectorOp::NegF:
  case VectorOp::AbsF:
  case VectorOp::Sqrt:
  case VectorOp::Exp:
  case VectorOp::Log:
  case VectorOp::SIToFP:
    return true;
  default:
    return false;
  }
}

/// IEEE 754-2019 maximum / minimum (arith.maximumf / minimumf): a NaN
/// operand gives NaN (the first NaN operand, quieted), -0 < +0.
float maximumf(float a, float b, bool isMax) {
  if (std::isnan(a))
    return a + a;
  if (std::isnan(b))
    return b + b;
  if (a == b) // +0 and -0 compare equal: the sign decides
    return isMax ? (std::signbit(a) ? b : a) : (std::signbit(a) ? a : b);
  return isMax ? (a > b ? a : b) : (a < b ? a : b);
}

/// arith.cmpf with predicate `p` (the values of arith::CmpFPredicate).
bool compareF(uint64_t p, float a, float b) {
  bool unordered = std::isnan(a) || std::isnan(b);
  switch (p) {
  case CmpFPredicate::False:
    return false;
  case CmpFPredicate::OEQ:
    return !unordered && a == b;
  case CmpFPredicate::OGT:
    return !unordered && a > b;
  case CmpFPredicate::OGE:
    return !unordered && a >= b;
  case CmpFPredicate::OLT:
    return !unordered && a < b;
  case CmpFPredicate::OLE:
    return !unordered && a <= b;
  case CmpFPredicate::ONE:
    return !unordered && a != b;
  case CmpFPredicate::ORD:
    return !unordered;
  case CmpFPredicate::UEQ:
    return unordered || a == b;
  case CmpFPredicate::UGT:
    return unordered || a > b;
  case CmpFPredicate::UGE:
    return unordered || a >= b;
  case CmpFPredicate::ULT:
    return unordered || a < b;
  case CmpFPredicate::ULE:
    return unordered || a <= b;
  case CmpFPredicate::UNE:
    return unordered || a != b;
  case CmpFPredicate::UNO:
    return unordered;
  default: // True
    return true;
  }
}

/// arith.cmpi with predicate `p` (the values of arith::CmpIPredicate).
bool compareI(uint64_t p, uint32_t a, uint32_t b) {
  int32_t sa = static_cast<int32_t>(a), sb = static_cast<int32_t>(b);
  switch (p) {
  case CmpIPredicate::EQ:
    return a == b;
  case CmpIPredicate::NE:
    return a != b;
  case CmpIPredicate::SLT:
    return sa < sb;
  case CmpIPredicate::SLE:
    return sa <= sb;
  case CmpIPredicate::SGT:
    return sa > sb;
  case CmpIPredicate::SGE:
    return sa >= sb;
  case CmpIPredicate::ULT:
    return a < b;
  case CmpIPredicate::ULE:
    return a <= b;
  case CmpIPredicate::UGT:
    return a > b;
  default: // UGE
    return a >= b;
  }
}

/// The largest legal `aux` of an operation (0 where it is not read).
uint64_t maxAux(uint64_t op) {
  switch (op) {
  case VectorOp::CmpF:
    return CmpFPredicate::True;
  case VectorOp::CmpI:
    return CmpIPredicate::UGE;
  case VectorOp::Index:
    return Axis::X;
  case VectorOp::SelectScale:
    return SelectScaleAux::BlockLevel | SelectScaleAux::FromStats;
  case VectorOp::StatsValue:
    return StatsValue::SelectStepNonZero;
  default:
    return 0;
  }
}

/// The result of a binary operation on 32-bit operands; `ok` false for a
/// zero remui divisor.
uint32_t binary(uint64_t op, uint64_t aux, uint32_t a, uint32_t b, bool &ok) {
  float fa = bit_cast<float>(a), fb = bit_cast<float>(b);
  ok = true;
  switch (op) {
  case VectorOp::AddF:
    return bit_cast<uint32_t>(fa + fb);
  case VectorOp::SubF:
    return bit_cast<uint32_t>(fa - fb);
  case VectorOp::MulF:
    return bit_cast<uint32_t>(fa * fb);
  case VectorOp::DivF:
    return bit_cast<uint32_t>(fa / fb);
  case VectorOp::MaximumF:
    return bit_cast<uint32_t>(maximumf(fa, fb, /*isMax=*/true));
  case VectorOp::MinimumF:
    return bit_cast<uint32_t>(maximumf(fa, fb, /*isMax=*/false));
  case VectorOp::CmpF:
    return compareF(aux, fa, fb);
  case VectorOp::CmpI:
    return compareI(aux, a, b);
  case VectorOp::AddI:
    return a + b;
  case VectorOp::SubI:
    return a - b;
  case VectorOp::MulI:
    return a * b;
  case VectorOp::RemUI:
    if (b == 0) {
      ok = false;
      return 0;
    }
    return a % b;
  case VectorOp::AndI:
    return a & b;
  case VectorOp::OrI:
    return a | b;
  default: // XOrI
    return a ^ b;
  }
}

uint32_t unary(uint64_t op, uint32_t a) {
  float fa = bit_cast<float>(a);
  switch (op) {
  case VectorOp::NegF:
    return a ^ 0x80000000u;
  case VectorOp::AbsF:
    return a & 0x7fffffffu;
  case VectorOp::Sqrt:
    return bit_cast<uint32_t>(std::sqrt(fa));
  case VectorOp::Exp:
    return bit_cast<uint32_t>(numerics::expF32(fa));
  case VectorOp::Log:
    return bit_cast<uint32_t>(numerics::logF32(fa));
  case VectorOp::SIToFP:
    return bit_cast<uint32_t>(static_cast<float>(static_cast<int32_t>(a)));
  default: // Copy
    return a;
  }
}

/// The energy of one element of `op` beyond its ACC accesses.
double elementEnergy(const EnergyDesc &e, uint64_t op) {
  switch (op) {
  case VectorOp::MulF:
    return e.fpMul32;
  case VectorOp::DivF:
  case VectorOp::Sqrt:
  case VectorOp::Exp:
  case VectorOp::Log:
    return e.slowOp;
  case VectorOp::AddI:
  case VectorOp::SubI:
  case VectorOp::AndI:
  case VectorOp::OrI:
  case VectorOp::XOrI:
  case VectorOp::CmpI:
  case VectorOp::Index:
  case VectorOp::SIToFP:
    return e.intAdd32;
  case VectorOp::MulI:
  case VectorOp::RemUI:
    return e.intMul32;
  case VectorOp::Copy:
  case VectorOp::Fill:
    return 0;
  default: // f32 adds, comparisons, max/min, select, absf, negf
    return e.fpAdd32;
  }
}

} // namespace

/// stats_value select_step[_nonzero]: the next step of SR[reg]'s median
/// selection; the median once the selection is done, else 0. `imm` is the
/// approximation's bins, read by its first step.
Expected<float> Executor::medianSelectStep(StatsRegister &sr, unsigned reg,
                                           bool excludeZeros, uint32_t imm) {
  auto inconsistent = [&]() -> Error {
    return fail("select_step on statistics register " + Twine(reg) +
                ": the pass's counts do not hold the median's rank (the "
                "passes read different data, or the steps disagree about "
                "zeros)");
  };
  if (sr.medianPass == MedianPass::Radix) {
    if (!sr.radix.step(excludeZeros))
      return inconsistent();
    return sr.radix.done() ? sr.radix.value() : 0.0f;
  }
  if (sr.medianPass != MedianPass::Approx)
    return fail("select_step on statistics register " + Twine(reg) +
                ", which gathered no median pass");
  numerics::ApproxMedianSelect &a = sr.approxMedian;
  if (imm == 0)
    return fail("select_step of an approximate median with 0 bins (imm)");
  if (a.steps() == 0)
    a.setBins(imm);
  else if (imm != a.binCount())
    return fail("select_step with " + Twine(imm) + " bins (imm) after " +
                Twine(a.binCount()) + " in the selection's first step");
  if (!a.step(excludeZeros))
    return inconsistent();
  return a.done() ? a.value() : 0.0f;
}

/// select_scale and stats_value: one f32 entry from a statistics register or
/// one ACC value (docs/Accelerator.md, VECTOR).
Error Executor::executeScalar(const Instruction &inst) {
  const uint64_t op = inst.get("op");
  const uint64_t aux = inst.get("aux");
  const unsigned reg = inst.get("stats_reg");
  const StringRef name = lookupEnumCase("VectorOp", op)->text;
  if (aux > maxAux(op))
    return fail("aux " + Twine(aux) + " is not meaningful for VECTOR " + name);
  const bool fromStats =
      op == VectorOp::StatsValue || (aux & SelectScaleAux::FromStats);
  auto single = [&](StringRef viewField, StringRef entryField,
                    StringRef what) -> Expected<uint64_t> {
    Expected<ViewConfig> v = resolveView(config, inst.get(viewField));
    if (!v)
      return prefixed(v.takeError());
    if (v->size != std::array<uint64_t, 3>{1, 1, 1})
      return fail(name + " " + what + " one entry: its view is " +
                  Twine(v->size[0]) + "x" + Twine(v->size[1]) + "x" +
                  Twine(v->size[2]));
    uint64_t e = inst.get(entryField);
    if (e >= state->acc.size())
      return fail("view position (0, 0, 0) is ACC entry " + Twine(e) +
                  ", outside the ACC's " + Twine(state->acc.size()) +
                  " entries");
    return e;
  };
  Expected<uint64_t> dst = single("dst_view", "dst_entry", "writes");
  if (!dst)
    return dst.takeError();
  std::optional<uint64_t> src;
  if (!fromStats) {
    Expected<uint64_t> s = single("src1_view", "src1_entry", "reads");
    if (!s)
      return s.takeError();
    src = *s;
  }
  std::optional<FormatConfig> format;
  const numerics::ScaleLevel *level = nullptr;
  if (op == VectorOp::SelectScale) {
    Expected<FormatConfig> f = resolveFormat(config, inst.get("format"));
    if (!f)
      return prefixed(f.takeError());
    format = std::move(*f);
    bool block = aux & SelectScaleAux::BlockLevel;
    level = block ? format->blockLevel() : format->tensorLevel();
    if (!level)
      return fail("select_scale of the " + Twine(block ? "block" : "tensor") +
                  " level of format entry " + Twine(inst.get("format")) +
                  ", which has none");
    if (fromStats && level->rule == numerics::ScaleRule::Given)
      return fail("select_scale of a given rule from statistics");
  }

  if (Error e = start())
    return e;
  float result;
  if (fromStats) {
    // A median selection step moves the register's selection on.
    const bool selectStep =
        op == VectorOp::StatsValue &&
        (aux == StatsValue::SelectStep || aux == StatsValue::SelectStepNonZero);
    if (Error e = access(LocationKind::Stats, reg, /*write=*/selectStep))
      return e;
    StatsRegister &sr = state->stats[reg];
    if (selectStep) {
      Expected<float> v = medianSelectStep(
          sr, reg, aux == StatsValue::SelectStepNonZero, inst.get("imm"));
      if (!v)
        return v.takeError();
      result = *v;
    } else if (op == VectorOp::StatsValue) {
      switch (aux) {
      case StatsValue::Amax:
        result = sr.amax.amax();
        break;
      case StatsValue::ZseNonZero:
        result = static_cast<float>(
            sr.zeroSetting.ratio(numerics::ZseDenominator::NonZero));
        break;
      case StatsValue::ZseAll:
        result = static_cast<float>(
            sr.zeroSetting.ratio(numerics::ZseDenominator::All));
        break;
      default: // Median, MedianNonZero
        result = numerics::medianLookupValue(sr.medianHistogram,
                                             aux == StatsValue::MedianNonZero);
        break;
      }
    } else if (level->rule == numerics::ScaleRule::MedianLookup) {
      result = numerics::scaleFromMedian(
          *level,
          numerics::medianLookupValue(sr.medianHistogram, level->excludeZeros));
    } else {
      result = numerics::scaleFromAmax(*level, format->element(),
                                       sr.amax.blockStatistic(level->format));
    }
  } else {
    Expected<uint32_t> bits = readAccValue(*src);
    if (!bits)
      return bits.takeError();
    float s = llvm::bit_cast<float>(*bits);
    switch (level->rule) {
    case numerics::ScaleRule::Given:
      result = numerics::toScaleFormat(level->format, s);
      break;
    case numerics::ScaleRule::MedianLookup:
      result = numerics::scaleFromMedian(*level, s);
      break;
    default:
      result = numerics::scaleFromAmax(*level, format->element(), s);
      break;
    }
    counters.accReadBits += 32;
  }
  if (Error e = access(LocationKind::AccEntry, *dst, /*write=*/true))
    return e;
  state->acc.setValue(*dst, bit_cast<uint32_t>(result));
  counters.accWriteBits += 32;
  counters.addEnergy(EnergyClass::Acc,
                     32.0 / 64 * energy.acc64 * (src ? 2 : 1));
  cur.latency = machine.vector.latencyCycles;
  return Error::success();
}

/// quantize and stats (docs/Accelerator.md, "Conversion"): src1's view
/// positions are the elements, in lexicographic order, with blocks and
/// stream indices on view positions. Every src1 position is read before
/// quantize writes dst (a block's scale needs the whole block).
Error Executor::executeConversion(const Instruction &inst) {
  const uint64_t op = inst.get("op");
  const bool quantize = op == VectorOp::Quantize;
  const StringRef name = lookupEnumCase("VectorOp", op)->text;
  const uint64_t mask = inst.get("aux");
  const unsigned reg = static_cast<unsigned>(inst.get("stats_reg"));
  if (inst.get("accumulate") || inst.get("swap") || inst.get("src2_imm"))
    return fail("accumulate, swap and src2_imm are not meaningful for "
                "VECTOR " +
                name);
  if (!quantize && !mask)
    return fail("VECTOR stats gathers nothing: its statistics mask (aux) is "
                "0");
  const bool zeroSetting = mask & StatsMask::ZeroSetting;
  const bool conversion = quantize || zeroSetting;

  Expected<ViewConfig> src = resolveView(config, inst.get("src1_view"));
  if (!src)
    return prefixed(src.takeError());
  std::optional<ViewConfig> dst;
  if (quantize) {
    Expected<ViewConfig> d = resolveView(config, inst.get("dst_view"));
    if (!d)
      return prefixed(d.takeError());
    if (d->size != src->size)
      return fail("views of different sizes: dst is " + Twine(d->size[0]) +
                  "x" + Twine(d->size[1]) + "x" + Twine(d->size[2]) +
                  ", src1 " + Twine(src->size[0]) + "x" + Twine(src->size[1]) +
                  "x" + Twine(src->size[2]));
    dst = *d;
  }
  const std::array<uint64_t, 3> &size = src->size;
  const uint64_t positions = size[0] * size[1] * size[2];
  if (positions > kMaxPositions)
    return fail("a view of " + Twine(positions) + " positions (the model " +
                "simulates at most " + Twine(kMaxPositions) + ")");

  // The format, rounding and stream of a conversion.
  std::optional<FormatConfig> format;
  std::optional<RoundingConfig> rounding;
  std::optional<StreamConfig> stream;
  if (conversion) {
    Expected<FormatConfig> f = resolveFormat(config, inst.get("format"));
    if (!f)
      return prefixed(f.takeError());
    format = std::move(*f);
    Expected<RoundingConfig> r = resolveRounding(config, format->roundingEntry);
    if (!r)
      return fail("format entry " + Twine(format->entry) + " " +
                  toString(r.takeError()));
    rounding = *r;
    if (zeroSetting && r->rounding.isStochastic())
      return fail("zero_setting statistics need a deterministic element "
                  "rounding; rounding entry " +
                  Twine(format->roundingEntry) + " is stochastic");
    if (r->rounding.isStochastic()) {
      Expected<StreamConfig> sc = resolveStream(config);
      if (!sc)
        return prefixed(sc.takeError());
      stream = *sc;
    }
    if (Error e = checkDataSource(*this, *rounding))
      return e;
  }

  // Every position's entries, checked before anything executes.
  const uint64_t entries = state->acc.size();
  auto entryOf = [](const ViewConfig &v, uint64_t base, uint64_t z, uint64_t y,
                    uint64_t x) {
    return base + z * v.stride[0] + y * v.stride[1] + x * v.stride[2];
  };
  const uint64_t srcBase = inst.get("src1_entry"),
                 dstBase = inst.get("dst_entry");
  std::vector<uint64_t> srcEntries, dstEntries;
  srcEntries.reserve(positions);
  BitVector written(quantize ? entries : 0);
  for (uint64_t z = 0; z < size[0]; ++z)
    for (uint64_t y = 0; y < size[1]; ++y)
      for (uint64_t x = 0; x < size[2]; ++x) {
        uint64_t e = entryOf(*src, srcBase, z, y, x);
        if (e >= entries)
          return fail("src1 view position (" + Twine(z) + ", " + Twine(y) +
                      ", " + Twine(x) + ") is ACC entry " + Twine(e) +
                      ", outside the ACC's " + Twine(entries) + " entries");
        srcEntries.push_back(e);
        if (!quantize)
          continue;
        uint64_t d = entryOf(*dst, dstBase, z, y, x);
        if (d >= entries)
          return fail("dst view position (" + Twine(z) + ", " + Twine(y) +
                      ", " + Twine(x) + ") is ACC entry " + Twine(d) +
                      ", outside the ACC's " + Twine(entries) + " entries");
        if (written.test(d))
          return fail("dst writes ACC entry " + Twine(d) + " twice");
        written.set(d);
        dstEntries.push_back(d);
      }

  if (Error e = start())
    return e;

  AccMemory &acc = state->acc;
  std::vector<float> x(positions);
  for (uint64_t i = 0; i < positions; ++i) {
    Expected<uint32_t> v = readAccValue(srcEntries[i]);
    if (!v)
      return v.takeError();
    x[i] = llvm::bit_cast<float>(*v);
  }
  std::vector<float> values;
  if (conversion) {
    ConversionSetup setup;
    setup.format = &*format;
    if (format->hasTensorLevel) {
      Expected<float> t = readTensorScale(*this, *format);
      if (!t)
        return t.takeError();
      setup.tensorScale = *t;
    }
    // Blocks and stream indices of the view positions.
    std::vector<uint32_t> blockOf;
    std::vector<uint64_t> streamIndex;
    size_t numBlocks = 0;
    std::array<uint64_t, 3> grid{1, 1, 1};
    if (format->hasBlockLevel) {
      for (unsigned d = 0; d < 3; ++d)
        grid[d] = (size[d] + format->block[d] - 1) / format->block[d];
      numBlocks = positions ? grid[0] * grid[1] * grid[2] : 0;
      blockOf.reserve(positions);
    }
    for (uint64_t z = 0; z < size[0]; ++z)
      for (uint64_t y = 0; y < size[1]; ++y)
        for (uint64_t xx = 0; xx < size[2]; ++xx) {
          if (format->hasBlockLevel)
            blockOf.push_back(static_cast<uint32_t>(
                ((z / format->block[0]) * grid[1] + y / format->block[1]) *
                    grid[2] +
                xx / format->block[2]));
          if (stream)
            streamIndex.push_back(
                stream->indexBase + z * stream->indexStride[0] +
                y * stream->indexStride[1] + xx * stream->indexStride[2]);
        }
    if (Error e = prepareRounding(*this, *rounding, format->entry, streamIndex,
                                  setup))
      return e;
    ConvertedElements out;
    convert(setup, x, blockOf, numBlocks, streamIndex, /*wantValues=*/true,
            out);
    values = std::move(out.values);
    counters.addEnergy(EnergyClass::Conversion,
                       positions *
                           conversionEnergy(energy, *format, setup.rounding));
  }
  if (quantize)
    for (uint64_t i = 0; i < positions; ++i) {
      if (Error err =
              access(LocationKind::AccEntry, dstEntries[i], /*write=*/true))
        return err;
      acc.setValue(dstEntries[i], llvm::bit_cast<uint32_t>(values[i]));
    }
  if (Error e = gatherStatistics(reg, mask, inst.get("stats_reset"), x, values))
    return e;

  counters.accReadBits += 32 * positions;
  counters.accWriteBits += quantize ? 32 * positions : 0;
  counters.addEnergy(EnergyClass::Acc,
                     32.0 / 64 * energy.acc64 * positions * (quantize ? 2 : 1));
  uint64_t lanes = machine.vector.lanes;
  cur.latency = machine.vector.latencyCycles + (positions + lanes - 1) / lanes;
  return Error::success();
}

Error Executor::executeVector(const Instruction &inst) {
  const uint64_t op = inst.get("op");
  if (op == VectorOp::Nop) {
    if (Error e = start())
      return e;
    cur.latency = machine.vector.latencyCycles;
    return Error::success();
  }
  if (op == VectorOp::SelectScale || op == VectorOp::StatsValue)
    return executeScalar(inst);
  if (op == VectorOp::Quantize || op == VectorOp::Stats)
    return executeConversion(inst);
  const uint64_t aux = inst.get("aux");
  const bool accumulate = inst.get("accumulate");
  const bool swap = inst.get("swap");
  const bool src2Imm = inst.get("src2_imm");
  const uint32_t imm = static_cast<uint32_t>(inst.get("imm"));
  if (aux > maxAux(op))
    return fail("aux " + Twine(aux) + " is not meaningful for VECTOR " +
                lookupEnumCase("VectorOp", op)->text);
  if (accumulate && (!isBinary(op) || op == VectorOp::Select))
    return fail("accumulate needs a binary operation");

  // The views this operation uses: dst always; src1 unless fill or index;
  // src2 for a binary operation without imm (accumulate reads dst instead).
  bool readsSrc1 = op != VectorOp::Fill && op != VectorOp::Index;
  bool readsSrc2 = isBinary(op) && !src2Imm && !accumulate;
  struct Operand {
    ViewConfig view;
    uint64_t base;
  };
  auto resolve = [&](StringRef viewField,
                     StringRef entryField) -> Expected<Operand> {
    Expected<ViewConfig> v = resolveView(config, inst.get(viewField));
    if (!v)
      return prefixed(v.takeError());
    return Operand{*v, inst.get(entryField)};
  };
  Expected<Operand> dst = resolve("dst_view", "dst_entry");
  if (!dst)
    return dst.takeError();
  std::optional<Operand> src1, src2;
  for (auto [reads, slot, viewField, entryField] :
       {std::tuple(readsSrc1, &src1, "src1_view", "src1_entry"),
        std::tuple(readsSrc2, &src2, "src2_view", "src2_entry")}) {
    if (!reads)
      continue;
    Expected<Operand> s = resolve(viewField, entryField);
    if (!s)
      return s.takeError();
    if (s->view.size != dst->view.size)
      return fail(Twine("views of different sizes: dst is ") +
                  Twine(dst->view.size[0]) + "x" + Twine(dst->view.size[1]) +
                  "x" + Twine(dst->view.size[2]) + ", " +
                  StringRef(viewField).drop_back(5) + " " +
                  Twine(s->view.size[0]) + "x" + Twine(s->view.size[1]) + "x" +
                  Twine(s->view.size[2]));
    *slot = *s;
  }

  // Every position's entries, checked before anything executes.
  const std::array<uint64_t, 3> &size = dst->view.size;
  uint64_t positions = size[0] * size[1] * size[2];
  if (positions > kMaxPositions)
    return fail("a view of " + Twine(positions) + " positions (the model " +
                "simulates at most " + Twine(kMaxPositions) + ")");
  const uint64_t entries = state->acc.size();
  auto entryOf = [](const Operand &o, uint64_t z, uint64_t y, uint64_t x) {
    return o.base + z * o.view.stride[0] + y * o.view.stride[1] +
           x * o.view.stride[2];
  };
  BitVector written(accumulate ? 0 : entries);
  for (uint64_t z = 0; z < size[0]; ++z)
    for (uint64_t y = 0; y < size[1]; ++y)
      for (uint64_t x = 0; x < size[2]; ++x) {
        for (const Operand *o :
             {&*dst, src1 ? &*src1 : nullptr, src2 ? &*src2 : nullptr}) {
          if (!o)
            continue;
          uint64_t e = entryOf(*o, z, y, x);
          if (e >= entries)
            return fail("view position (" + Twine(z) + ", " + Twine(y) + ", " +
                        Twine(x) + ") is ACC entry " + Twine(e) +
                        ", outside the ACC's " + Twine(entries) + " entries");
        }
        if (!accumulate) {
          uint64_t e = entryOf(*dst, z, y, x);
          if (written.test(e))
            return fail("dst writes ACC entry " + Twine(e) + " twice (" +
                        "only an accumulating dst may)");
          written.set(e);
        }
      }

  if (Error e = start())
    return e;

  AccMemory &acc = state->acc;
  uint64_t reads = 0;
  auto read = [&](uint64_t e) -> Expected<uint32_t> {
    ++reads;
    return readAccValue(e);
  };
  for (uint64_t z = 0; z < size[0]; ++z)
    for (uint64_t y = 0; y < size[1]; ++y)
      for (uint64_t x = 0; x < size[2]; ++x) {
        uint64_t d = entryOf(*dst, z, y, x);
        uint32_t result;
        if (op == VectorOp::Fill) {
          result = imm;
        } else if (op == VectorOp::Index) {
          uint64_t coordinate = aux == Axis::Z ? z : aux == Axis::Y ? y : x;
          result = static_cast<uint32_t>(coordinate) + imm;
        } else if (isUnary(op)) {
          Expected<uint32_t> a = read(entryOf(*src1, z, y, x));
          if (!a)
            return a.takeError();
          result = unary(op, *a);
        } else if (op == VectorOp::Select) {
          Expected<uint32_t> c = read(entryOf(*src1, z, y, x));
          if (!c)
            return c.takeError();
          Expected<uint32_t> v = *c != 0
                                     ? (src2Imm ? Expected<uint32_t>(imm)
                                                : read(entryOf(*src2, z, y, x)))
                                     : read(d);
          if (!v)
            return v.takeError();
          result = *v;
        } else {
          Expected<uint32_t> a = read(accumulate ? d : entryOf(*src1, z, y, x));
          if (!a)
            return a.takeError();
          Expected<uint32_t> b = accumulate ? read(entryOf(*src1, z, y, x))
                                 : src2Imm  ? Expected<uint32_t>(imm)
                                            : read(entryOf(*src2, z, y, x));
          if (!b)
            return b.takeError();
          bool ok;
          result =
              swap ? binary(op, aux, *b, *a, ok) : binary(op, aux, *a, *b, ok);
          if (!ok)
            return fail("remui by zero at ACC entry " + Twine(d));
        }
        if (Error err = access(LocationKind::AccEntry, d, /*write=*/true))
          return err;
        acc.setValue(d, result);
      }

  counters.accReadBits += 32 * reads;
  counters.accWriteBits += 32 * positions;
  counters.addEnergy(EnergyClass::Acc,
                     32.0 / 64 * energy.acc64 * (reads + positions));
  counters.addEnergy(EnergyClass::Vector,
                     positions * elementEnergy(energy.constants(), op));
  uint64_t lanes = machine.vector.lanes;
  uint64_t groups = (positions + lanes - 1) / lanes;
  cur.latency = machine.vector.latencyCycles +
                groups * (isSlow(op) ? machine.vector.slowOpCycles : 1);
  return Error::success();
}

} // namespace qtrain::accel::sim
