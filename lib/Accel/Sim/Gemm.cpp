//===- Gemm.cpp - GEMM ----------------------------------------------------===//
//
// docs/Accelerator.md, "GEMM". The operands are decoded from the
// scratchpads exactly as decodeScaled does (RN(decode(code) * total), the
// total the product of the row's tensor scale and the element's block scale
// in level order; a pad slot is +0), then every product and add is the
// numerics library's AccumulationUnit, k outermost as numerics::gemm runs,
// with the shared E-DGA threshold carried in STH[threshold_reg].
//
//===----------------------------------------------------------------------===//

#include "Conversion.h"
#include "Executor.h"

#include "qtrain/Accel/Layout.h"

#include "llvm/ADT/bit.h"

using namespace llvm;
using namespace qtrain::numerics;

namespace qtrain::accel::sim {

namespace {

StringRef modeName(uint64_t mode) {
  const EnumCaseInfo *c = lookupEnumCase("GemmMode", mode);
  return c ? c->text : StringRef("?");
}

/// One operand tile: K-vector v (0 <= v < count) starts at row
/// `firstRow + v rowsPerVector`, element kk at lane kk of that run of rows.
struct OperandTile {
  const char *name;   ///< "A" or "B"
  const char *memory; ///< "SP_IN" or "SP_WGT"
  LocationKind location;
  const Scratchpad *sp;
  const FormatConfig *format;
  LaneLayout lanes;
  uint64_t firstRow, rowsPerVector, count;
};

} // namespace

/// Decodes a tile into `out[kk * count + v]` (k-major, so the MAC loop reads
/// one contiguous run per k), checking slot states and row tags and
/// race-checking every row read.
static Error decodeTile(Executor &ex, const OperandTile &t, uint64_t k,
                        std::vector<float> &out) {
  const LaneLayout &l = t.lanes;
  const uint64_t rowsPerK = ceilDiv(k, l.lanesPerRow);
  const FormatConfig &f = *t.format;
  const ScaleLevel *block = f.blockLevel();
  const uint64_t codeMask = (uint64_t(1) << l.codeBits) - 1;
  const uint64_t scaleMask =
      l.scaleBits >= 64 ? ~uint64_t(0) : (uint64_t(1) << l.scaleBits) - 1;
  const uint16_t tag = f.tag();
  out.assign(k * t.count, 0.0f);
  for (uint64_t v = 0; v < t.count; ++v) {
    uint64_t row0 = t.firstRow + v * t.rowsPerVector;
    for (uint64_t r = 0; r < rowsPerK; ++r) {
      uint64_t row = row0 + r;
      if (Error e = ex.access(t.location, row, /*write=*/false))
        return e;
      if (t.sp->formatTag(row) != tag)
        return ex.fail(Twine("reads ") + t.memory + " row " + Twine(row) +
                       " (" + t.name + "), whose format tag " +
                       Twine(t.sp->formatTag(row)) + " is not format entry " +
                       Twine(f.entry) + " at version " + Twine(f.version) +
                       " (tag " + Twine(tag) + ")");
      const float rowScale = f.hasTensorLevel ? t.sp->tensorScale(row) : 1.0f;
      const uint8_t *side = t.sp->sidecar(row);
      uint64_t kkEnd = std::min(k, (r + 1) * l.lanesPerRow);
      for (uint64_t kk = r * l.lanesPerRow; kk < kkEnd; ++kk) {
        uint64_t lane = kk - r * l.lanesPerRow;
        SlotState s = t.sp->laneState(row, lane, l.laneBits);
        if (s == SlotState::Invalid)
          return ex.fail(Twine("reads ") + t.memory + " row " + Twine(row) +
                         " lane " + Twine(lane) + " (" + t.name +
                         "), which is invalid");
        if (s == SlotState::Pad)
          continue; // +0.0f
        uint64_t bits = t.sp->readLane(row, lane, l.laneBits);
        float scale = 1.0f;
        if (block) {
          uint64_t code;
          if (l.paired) {
            code = (bits >> l.codeBits) & scaleMask;
          } else {
            uint64_t g = lane / l.groupLanes;
            code = block->format.kind == numerics::ScaleKind::PowerOfTwo
                       ? side[g]
                       : uint64_t(side[4 * g]) |
                             uint64_t(side[4 * g + 1]) << 8 |
                             uint64_t(side[4 * g + 2]) << 16 |
                             uint64_t(side[4 * g + 3]) << 24;
          }
          scale = blockScaleValue(block->format, code);
        }
        out[kk * t.count + v] = decodeElement(f.element(), bits & codeMask,
                                              totalScale(f, rowScale, scale));
      }
    }
  }
  return Error::success();
}

Error Executor::executeGemm(const Instruction &inst) {
  const uint64_t mode = inst.get("mode");
  const bool init = inst.get("init"), finish = inst.get("finish");
  const unsigned accumIndex = inst.get("accum");
  const unsigned thresholdReg = inst.get("threshold_reg");
  const uint64_t m = inst.get("m"), n = inst.get("n"), k = inst.get("k");
  const uint64_t accEntry = inst.get("acc_entry");

  Expected<FormatConfig> fa = resolveFormat(config, inst.get("format_a"));
  if (!fa)
    return prefixed(fa.takeError());
  Expected<FormatConfig> fb = resolveFormat(config, inst.get("format_b"));
  if (!fb)
    return prefixed(fb.takeError());
  Expected<AccumulationSpec> spec = resolveAccumulation(config, accumIndex);
  if (!spec)
    return prefixed(spec.takeError());
  const uint32_t accumVersion = config.accums[accumIndex].version;
  // Partial GEMMs: one shared E-DGA contraction over several GEMMs, one k
  // step at a time (docs/Accelerator.md, "GEMM").
  const bool partial = inst.get("partial"), begin = inst.get("begin");
  if (partial && !(spec->grouping == numerics::Grouping::EfficientDGA &&
                   spec->sharedThreshold))
    return fail("partial needs an E-DGA accumulation with a shared threshold; "
                "accumulation entry " +
                Twine(accumIndex) + " has none");
  if (begin && !partial)
    return fail("begin marks the first partial GEMM of a k step; this GEMM "
                "is not partial");
  if (partial && k != 1)
    return fail("a partial GEMM adds one product per output (k = 1), not k "
                "= " +
                Twine(k));

  OperandTile a{"A",
                "SP_IN",
                LocationKind::InputSpRow,
                &state->inputSp,
                &*fa,
                fa->lanes(machine.inputSp.rowBytes),
                inst.get("a_row"),
                inst.get("a_rows_per_vector"),
                m};
  OperandTile b{"B",
                "SP_WGT",
                LocationKind::WeightSpRow,
                &state->weightSp,
                &*fb,
                fb->lanes(machine.weightSp.rowBytes),
                inst.get("b_row"),
                inst.get("b_rows_per_vector"),
                n};
  for (const OperandTile *t : {&a, &b}) {
    uint64_t slots = t->rowsPerVector * t->lanes.lanesPerRow;
    if (k > slots)
      return fail("k = " + Twine(k) + " exceeds the " + Twine(slots) +
                  " slots of " + t->name + "'s K-vectors (" +
                  Twine(t->rowsPerVector) + " rows of " +
                  Twine(t->lanes.lanesPerRow) + " lanes of format entry " +
                  Twine(t->format->entry) + ")");
    uint64_t need = neededGemmMode(t->format->element());
    unsigned sig = significandBits(t->format->element());
    if (need == kNoGemmMode)
      return fail(Twine(t->name) + "'s format entry " +
                  Twine(t->format->entry) + " has a " + Twine(sig) +
                  "-bit significand, wider than every multiplier mode");
    if (need > mode)
      return fail("mode " + modeName(mode) + " is narrower than " + t->name +
                  "'s format entry " + Twine(t->format->entry) + " (a " +
                  Twine(sig) + "-bit significand needs " + modeName(need) +
                  ")");
    uint64_t lastRow = t->firstRow + (t->count - 1) * t->rowsPerVector +
                       ceilDiv(k, t->lanes.lanesPerRow) - 1;
    if (lastRow >= t->sp->getRows())
      return fail(Twine(t->name) + "'s K-vectors reach " + t->memory + " row " +
                  Twine(lastRow) + ", outside the scratchpad (" +
                  Twine(t->sp->getRows()) + " rows)");
  }
  const uint64_t outputs = m * n;
  if (accEntry + outputs > machine.acc.entries)
    return fail("outputs reach ACC entry " + Twine(accEntry + outputs - 1) +
                ", outside the ACC (" + Twine(machine.acc.entries) +
                " entries)");

  if (Error e = start())
    return e;

  // Operands, k-major.
  std::vector<float> at, bt;
  if (Error e = decodeTile(*this, a, k, at))
    return e;
  if (Error e = decodeTile(*this, b, k, bt))
    return e;

  // Output states.
  const AccumulationUnit unit(*spec);
  AccMemory &acc = state->acc;
  for (uint64_t o = 0; o < outputs; ++o) {
    uint64_t e = accEntry + o;
    if (!init) {
      if (Error err = access(LocationKind::AccEntry, e, /*write=*/false))
        return err;
      if (acc.state[e] != AccState::Accumulating ||
          acc.accumEntry[e] != accumIndex ||
          acc.accumVersion[e] != accumVersion) {
        std::string what = acc.state[e] == AccState::Empty ? "is empty"
                           : acc.state[e] == AccState::Value
                               ? "holds a value"
                               : "accumulates under accumulation "
                                 "entry " +
                                     std::to_string(acc.accumEntry[e]) +
                                     " at version " +
                                     std::to_string(acc.accumVersion[e]);
        return fail("ACC entry " + Twine(e) + " " + what +
                    ", not an accumulation under entry " + Twine(accumIndex) +
                    " at version " + Twine(accumVersion) + " (no init)");
      }
    }
    if (Error err = access(LocationKind::AccEntry, e, /*write=*/true))
      return err;
    if (init) {
      acc.state[e] = AccState::Accumulating;
      acc.accum[e] = unit.start();
      acc.accumEntry[e] = static_cast<uint8_t>(accumIndex);
      acc.accumVersion[e] = accumVersion;
    }
  }
  const bool shared = unit.usesSharedThreshold();
  double sharedT = 0;
  // Of partial GEMMs, only the first of the first k step starts STH at T0.
  const bool startsThreshold = init && (!partial || begin);
  if (shared) {
    ThresholdRegister &sth = state->thresholds[thresholdReg];
    if (!startsThreshold) {
      if (Error err = access(LocationKind::Threshold, thresholdReg, false))
        return err;
      if (!sth.tagged || sth.accumEntry != accumIndex ||
          sth.accumVersion != accumVersion) {
        std::string what =
            sth.tagged ? "holds the threshold of accumulation entry " +
                             std::to_string(sth.accumEntry) + " at version " +
                             std::to_string(sth.accumVersion)
                       : "was never set by a GEMM";
        return fail("STH[" + Twine(thresholdReg) + "] " + what +
                    ", not of entry " + Twine(accumIndex) + " at version " +
                    Twine(accumVersion));
      }
    }
    if (Error err = access(LocationKind::Threshold, thresholdReg, true))
      return err;
    if (startsThreshold) {
      sth = ThresholdRegister{unit.initialSharedThreshold(), true, accumIndex,
                              accumVersion};
    } else if (begin) {
      // The previous k step's threshold, from all its outputs' |P_O|.
      if (sth.pendingClosed)
        sth.value =
            unit.sharedThresholdFromSum(sth.pendingSum, sth.pendingCount);
      sth.pendingSum = 0;
      sth.pendingCount = 0;
      sth.pendingClosed = false;
    }
    sharedT = sth.value;
  }

  // The products, k outermost as numerics::gemm.
  AccumulatorState *states = &acc.accum[accEntry];
  uint64_t closes = 0;
  for (uint64_t kk = 0; kk < k; ++kk) {
    const float *ak = &at[kk * m];
    const float *bk = &bt[kk * n];
    bool closed = false;
    for (uint64_t i = 0; i < m; ++i) {
      AccumulatorState *row = states + i * n;
      for (uint64_t j = 0; j < n; ++j) {
        bool c = unit.add(row[j], unit.product(ak[i], bk[j]), sharedT);
        closed |= c;
        closes += c;
      }
    }
    if (closed && shared && !partial)
      sharedT =
          unit.sharedThreshold(ArrayRef<AccumulatorState>(states, outputs));
  }
  if (partial) {
    // This GEMM's part of the k step's sum, in row-major order, after the
    // parts of the GEMMs before it in the step.
    ThresholdRegister &sth = state->thresholds[thresholdReg];
    for (uint64_t o = 0; o < outputs; ++o)
      sth.pendingSum += std::fabs(states[o].outer);
    sth.pendingCount += outputs;
    sth.pendingClosed |= closes != 0;
  } else if (shared) {
    state->thresholds[thresholdReg].value = sharedT;
  }
  const bool grouped = spec->grouping != numerics::Grouping::None;
  if (finish) {
    for (uint64_t o = 0; o < outputs; ++o)
      acc.setValue(accEntry + o, bit_cast<uint32_t>(unit.finish(states[o])));
    if (grouped)
      closes += outputs;
  }

  // Counters and energy.
  const uint64_t macs = outputs * k;
  counters.macs[mode] += macs;
  counters.products[static_cast<unsigned>(spec->grouping)] += macs;
  counters.groupCloses += closes;
  counters.addEnergy(EnergyClass::Multiply,
                     macs * energy.multiply(fa->element(), fa->hasBlockLevel,
                                            fb->element(), fb->hasBlockLevel));
  const MinifloatFormat &accFormat = spec->accumulator;
  double perProduct = spec->fixedPoint
                          ? energy.intAdd(spec->fixedPoint->bits)
                          : energy.fpAdd(accFormat.mantissaBits + 1);
  if (spec->grouping == numerics::Grouping::IdealDGA ||
      spec->grouping == numerics::Grouping::EfficientDGA)
    perProduct += energy.intAdd(accFormat.bitWidth());
  if (spec->grouping == numerics::Grouping::IdealDGA &&
      spec->dgaCount == numerics::DgaCount::Running)
    perProduct += 2 * energy.fpMul(accFormat.mantissaBits + 1,
                                   accFormat.mantissaBits + 1);
  if (spec->product)
    perProduct += energy.fpAdd(spec->product->mantissaBits + 1);
  counters.addEnergy(
      EnergyClass::Accumulate,
      macs * perProduct +
          closes * energy.fpAdd(spec->outerFormat().mantissaBits + 1));
  const uint64_t stateBits = accumulationStateBits(*spec);
  const uint64_t accBits = outputs * stateBits;
  counters.accWriteBits += accBits;
  if (!init)
    counters.accReadBits += accBits;
  counters.addEnergy(EnergyClass::Acc,
                     (init ? 1 : 2) * accBits / 64.0 * energy.acc64);
  // Operand bytes: the array holds M A-vectors and N B-vectors and streams
  // k, so A is read ceil(n / N) times and B ceil(m / M) times, plus the
  // sidecar of every row read.
  auto operandBytes = [&](const OperandTile &t, uint64_t reads) {
    uint64_t lanesBits = reads * t.count * k * t.lanes.laneBits;
    uint64_t rows = reads * t.count * ceilDiv(k, t.lanes.lanesPerRow);
    return ceilDiv(lanesBits, 8) + 16 * rows;
  };
  uint64_t bytesA = operandBytes(a, ceilDiv(n, machine.gemm.n));
  uint64_t bytesB = operandBytes(b, ceilDiv(m, machine.gemm.m));
  counters.spReadBits[0] += 8 * bytesA;
  counters.spReadBits[1] += 8 * bytesB;
  counters.addEnergy(EnergyClass::ScratchpadRead,
                     8.0 * bytesA / 64 * energy.inputSp64 +
                         8.0 * bytesB / 64 * energy.weightSp64);
  cur.latency = gemmLatency(machine, m, n, k, mode, bytesA, bytesB);
  return Error::success();
}

} // namespace qtrain::accel::sim
