//===- Conversion.cpp - The converter and the statistics ------------------===//
//
// docs/Accelerator.md, "Conversion" and "Statistics". Each step is the
// numerics library's: the residuals and element inputs are RN(x / total) in
// f32 and the totals RN(total * scale) in level order, exactly as
// encodeScaled forms them; blockScale, encodeScale, ElementFormat::encode
// and decode, RandomStream, AmaxStatistic, exponentHistogram,
// addToMedianHistogram and ZeroSettingCounts do the rest.
//
//===----------------------------------------------------------------------===//

#include "Conversion.h"

#include "Executor.h"

#include "qtrain/Numerics/RandomStream.h"
#include "qtrain/Numerics/Statistics.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/bit.h"

using namespace llvm;
using namespace qtrain::numerics;

namespace qtrain::accel::sim {

float blockScaleValue(const ScaleFormat &f, uint64_t code) {
  if (f.kind == numerics::ScaleKind::F32)
    return bit_cast<float>(static_cast<uint32_t>(code));
  return decodeScale(f, static_cast<uint32_t>(code & ((1u << f.bits) - 1)));
}

float totalScale(const FormatConfig &f, float tensorScale, float blockScale) {
  float total = 1.0f;
  if (f.hasTensorLevel)
    total = total * tensorScale;
  if (f.hasBlockLevel)
    total = total * blockScale;
  return total;
}

float decodeElement(const ElementFormat &element, uint64_t code, float total) {
  unsigned bits = element.bitWidth();
  uint64_t mask = bits >= 64 ? ~uint64_t(0) : (uint64_t(1) << bits) - 1;
  return element.decode(static_cast<uint32_t>(code & mask)) * total;
}

void convert(const ConversionSetup &setup, ArrayRef<float> x,
             ArrayRef<uint32_t> blockOf, size_t numBlocks,
             ArrayRef<uint64_t> streamIndex, bool wantValues,
             ConvertedElements &out) {
  const FormatConfig &f = *setup.format;
  const ElementFormat &element = f.element();
  const size_t n = x.size();
  // The product of the scales of the levels before the block level.
  const float outerTotal = totalScale(f, setup.tensorScale, 1.0f);

  // Block scales: blockScale of each block's residuals RN(x / outerTotal),
  // gathered block after block (a counting sort over blockOf).
  std::vector<float> total;
  if (const ScaleLevel *level = f.blockLevel()) {
    std::vector<size_t> begin(numBlocks + 1, 0);
    for (uint32_t b : blockOf)
      ++begin[b + 1];
    for (size_t b = 0; b < numBlocks; ++b)
      begin[b + 1] += begin[b];
    std::vector<float> residuals(n);
    std::vector<size_t> next(begin.begin(), begin.end() - 1);
    for (size_t e = 0; e < n; ++e)
      residuals[next[blockOf[e]]++] = x[e] / outerTotal;
    out.blockScales.resize(numBlocks);
    out.blockScaleCodes.resize(numBlocks);
    ArrayRef<float> all(residuals);
    for (size_t b = 0; b < numBlocks; ++b) {
      float s = blockScale(*level, element,
                           all.slice(begin[b], begin[b + 1] - begin[b]));
      out.blockScales[b] = s;
      out.blockScaleCodes[b] =
          level->format.kind == numerics::ScaleKind::PowerOfTwo
              ? encodeScale(level->format, s,
                            numerics::RoundingMode::NearestEven)
              : bit_cast<uint32_t>(s);
    }
    total.resize(n);
    for (size_t e = 0; e < n; ++e)
      total[e] = outerTotal * out.blockScales[blockOf[e]];
  }
  auto totalOf = [&](size_t e) {
    return total.empty() ? outerTotal : total[e];
  };

  // Random numbers: the stream at each element's index, filled over runs of
  // consecutive indices (the LFSR lanes then advance once per run).
  std::vector<uint32_t> randoms;
  if (setup.rounding.isStochastic()) {
    randoms.resize(n);
    RandomStream stream(setup.rounding, setup.randomData);
    for (size_t e = 0; e < n;) {
      size_t end = e + 1;
      while (end < n && streamIndex[end] == streamIndex[end - 1] + 1)
        ++end;
      stream.fill(streamIndex[e],
                  MutableArrayRef<uint32_t>(randoms.data() + e, end - e));
      e = end;
    }
  }

  out.codes.resize(n);
  for (size_t e = 0; e < n; ++e)
    out.codes[e] = element.encode(x[e] / totalOf(e), setup.rounding,
                                  randoms.empty() ? 0 : randoms[e]);
  if (!wantValues)
    return;
  out.values.resize(n);
  for (size_t e = 0; e < n; ++e)
    out.values[e] = element.decode(out.codes[e]) * totalOf(e);
}

Expected<float> readTensorScale(Executor &ex, const FormatConfig &f) {
  uint64_t e = f.scaleEntry;
  if (e >= ex.state->acc.size())
    return ex.fail("format entry " + Twine(f.entry) + "'s scale_entry " +
                   Twine(e) + " is outside the ACC");
  if (Error err = ex.access(LocationKind::AccEntry, e, /*write=*/false))
    return std::move(err);
  if (ex.state->acc.state[e] != AccState::Value)
    return ex.fail("format entry " + Twine(f.entry) +
                   "'s tensor-level scale_entry, ACC entry " + Twine(e) +
                   ", does not hold a value");
  ex.counters.accReadBits += 32;
  ex.counters.addEnergy(EnergyClass::Acc, 32.0 / 64 * ex.energy.acc64);
  return toScaleFormat(f.tensorLevel()->format, ex.state->acc.getFloat(e));
}

Error checkDataSource(Executor &ex, const RoundingConfig &r) {
  if (!r.isDataSource())
    return Error::success();
  const uint64_t bytes = ex.machine.dram.bytes;
  uint64_t end = r.dataAddr + 4 * r.dataCount;
  if (r.dataAddr % 4 == 0 && end <= bytes)
    return Error::success();
  std::string where =
      r.dataAddr % 4
          ? std::string(" are not aligned to 4 bytes")
          : " are outside DRAM (0x" + utohexstr(bytes, true) + " bytes)";
  return ex.fail("the data source's " + Twine(r.dataCount) +
                 " f32 elements at 0x" + utohexstr(r.dataAddr, true) + where);
}

Error prepareRounding(Executor &ex, const RoundingConfig &r,
                      unsigned formatEntry, ArrayRef<uint64_t> streamIndex,
                      ConversionSetup &setup) {
  setup.rounding = r.rounding;
  if (!r.rounding.isStochastic())
    return Error::success();
  if (r.isDataSource()) {
    const Dram &dram = ex.state->dram;
    static_assert(llvm::sys::IsLittleEndianHost,
                  "the data source reads DRAM as host f32s");
    setup.randomData = ArrayRef<float>(
        reinterpret_cast<const float *>(dram.data() + r.dataAddr), r.dataCount);
    for (uint64_t i : streamIndex)
      if (Error e = ex.access(LocationKind::DramWord,
                              r.dataAddr / 4 + i % r.dataCount, false))
        return e;
    return Error::success();
  }
  const SeedRegister &seed = ex.state->seeds[r.seedReg];
  if (Error e = ex.access(LocationKind::Seed, r.seedReg, /*write=*/false))
    return e;
  if (!seed.written)
    return ex.fail("reads SEED[" + Twine(r.seedReg) +
                   "] (rounding entry of format entry " + Twine(formatEntry) +
                   "), which was never written");
  setup.rounding.source.seed = seed.value;
  return Error::success();
}

/// Per converted element: two 32-bit adds, a multiply or an 8-bit add per
/// scale level, and a stochastic rounding's add and generator.
double conversionEnergy(const EnergyModel &em, const FormatConfig &f,
                        const Rounding &r) {
  double pj = 2 * em.intAdd(32);
  for (const ScaleLevel &l : f.format.levels)
    pj += l.format.kind == numerics::ScaleKind::PowerOfTwo
              ? em.constants().intAdd8
              : em.constants().fpMul32;
  if (r.isStochastic()) {
    pj += em.intAdd(r.randomBits);
    switch (r.source.kind) {
    case RandomSourceKind::Counter:
      pj += 4 * em.constants().intMul32;
      break;
    case RandomSourceKind::Lfsr:
    case RandomSourceKind::LfsrPlateau:
      pj += em.intAdd(r.source.lfsrWidth);
      break;
    case RandomSourceKind::Data:
      break;
    }
  }
  return pj;
}

Error Executor::gatherStatistics(unsigned reg, uint64_t mask, bool reset,
                                 ArrayRef<float> x, ArrayRef<float> values,
                                 uint64_t medianPass) {
  if (!mask && !medianPass)  // stats_reset clears the register only when
    return Error::success(); // gathering
  if (Error e = access(LocationKind::Stats, reg, /*write=*/true))
    return e;
  StatsRegister &r = state->stats[reg];
  if (reset)
    r.reset();
  const double n = static_cast<double>(x.size());
  double pj = 0;
  if (mask & StatsMask::Amax) {
    r.amax.add(x);
    pj += n * energy.intAdd(32);
  }
  if (mask & StatsMask::ExponentHistogram) {
    ExponentHistogram h = exponentHistogram(x);
    for (size_t i = 0; i < h.counts.size(); ++i)
      r.exponentHistogram[i] += h.counts[i];
    r.exponentHistogram[h.counts.size()] += h.zeros;
    r.exponentHistogram[h.counts.size() + 1] += h.infinities;
    r.exponentHistogram[h.counts.size() + 2] += h.nans;
    pj += n * 2 * energy.histogram64;
  }
  if (mask & StatsMask::MedianHistogram) {
    addToMedianHistogram(r.medianHistogram, x);
    pj += n * 2 * energy.histogram64;
  }
  if (mask & StatsMask::ZeroSetting) {
    for (size_t e = 0; e < x.size(); ++e)
      r.zeroSetting.add(x[e], values[e]);
    pj += n * 2 * energy.intAdd(32);
  }
  if (medianPass) {
    if (r.medianPass && r.medianPass != medianPass)
      return fail(
          "median_pass " + lookupEnumCase("MedianPass", medianPass)->text +
          " into statistics register " + Twine(reg) + ", whose selection is " +
          lookupEnumCase("MedianPass", r.medianPass)->text +
          " (reset it first)");
    r.medianPass = medianPass;
    if (medianPass == MedianPass::Radix)
      r.radix.add(x);
    else
      r.approxMedian.add(x);
    // A compare with the chosen digits or bins and a count.
    pj += n * (energy.intAdd(32) + energy.histogram64);
  }
  counters.addEnergy(EnergyClass::Statistics, pj);
  return Error::success();
}

} // namespace qtrain::accel::sim
