//===- DgaStudy.cpp - The DGA accuracy study of qtrain-numerics -----------===//

#include "DgaStudy.h"

#include "qtrain/Numerics/Accumulation.h"
#include "qtrain/Numerics/Presets.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/Format.h"

#include <cmath>
#include <random>
#include <string>
#include <vector>

using namespace llvm;
using namespace qtrain::numerics;

namespace qtrain::tools {
namespace {

struct Variant {
  std::string name;
  AccumulationSpec spec;
};

AccumulationSpec grouped(const MinifloatFormat &acc, Grouping g) {
  AccumulationSpec s;
  s.accumulator = acc;
  s.grouping = g;
  return s;
}

/// SGA(16) and the grouped variants the study compares, on accumulator
/// `acc` (products exact, nearest-even, T0 = 1).
std::vector<Variant> variants(const MinifloatFormat &acc, bool allC) {
  std::vector<Variant> out;
  for (unsigned g : {16u, 24u, 64u}) {
    AccumulationSpec s = grouped(acc, Grouping::Static);
    s.groupSize = g;
    out.push_back({("static groups of " + Twine(g)).str(), s});
  }
  for (DgaCount c :
       {DgaCount::AfterReset, DgaCount::ClosedGroup, DgaCount::Running}) {
    AccumulationSpec s = grouped(acc, Grouping::IdealDGA);
    s.dgaCount = c;
    out.push_back({("ideal DGA, count = " + stringifyDgaCount(c)).str(), s});
  }
  for (int c = allC ? -1 : 4; c <= (allC ? 6 : 4); ++c) {
    AccumulationSpec s = grouped(acc, Grouping::EfficientDGA);
    s.shiftC = c;
    out.push_back({("E-DGA c = " + Twine(c)).str(), s});
  }
  return out;
}

/// Operands as in meanRelativeDotError: a from [0, 1), b from [-0.2, 0.8),
/// both rounded to e4m3fn; one (a, b) pair of length k per output.
void drawOperands(std::mt19937_64 &rng, const MinifloatFormat &fp8, int k,
                  std::vector<float> &a, std::vector<float> &b) {
  std::uniform_real_distribution<float> d(0.0f, 1.0f);
  a.resize(k);
  b.resize(k);
  for (int i = 0; i < k; ++i) {
    a[i] = quantize(fp8, d(rng), Rounding());
    b[i] = quantize(fp8, d(rng) - 0.2f, Rounding());
  }
}

/// The angle between the computed and the exact vector of `outputs` dot
/// products of length k (a weight gradient's outputs), the same data for
/// every spec. The angle ignores an error common to all outputs (it
/// measures direction), so each output's b operand gets its own scale
/// 2^u (u uniform in [-3, 3]) and sign, as the outputs of a real weight
/// gradient differ; without that, equally swamped outputs would look exact.
double gradientAngle(const AccumulationSpec &spec, const MinifloatFormat &fp8,
                     int outputs, int k) {
  std::mt19937_64 rng(2022);
  std::uniform_real_distribution<float> exponent(-3.0f, 3.0f);
  std::vector<float> a, b;
  std::vector<double> computed(outputs), exact(outputs);
  for (int o = 0; o < outputs; ++o) {
    drawOperands(rng, fp8, k, a, b);
    float scale = std::exp2(exponent(rng)) * (rng() % 2 ? 1.0f : -1.0f);
    for (float &v : b)
      v = quantize(fp8, v * scale, Rounding());
    computed[o] = cantFail(dot(a, b, spec));
    exact[o] = exactDot(a, b);
  }
  return vectorAngle(computed, exact);
}

/// The 1-8-m accumulator (f32's exponent range, m mantissa bits), so that
/// only the mantissa width varies.
MinifloatFormat accumulatorWithMantissa(unsigned m) {
  MinifloatFormat f;
  f.exponentBits = 8;
  f.mantissaBits = m;
  f.bias = 127;
  return f;
}

void errorTable(const DgaStudyOptions &opt, const MinifloatFormat &fp8,
                raw_ostream &os) {
  MinifloatFormat fp12 = *lookupMinifloat("fp12_dga");
  os << format("FP8 (e4m3fn) dot products, FP12 (1-5-6) accumulation, mean "
               "relative error over %d trials:\n",
               opt.trials);
  os << format("  %-34s", "K");
  for (int k : opt.lengths)
    os << format(" %10d", k);
  os << "\n";
  std::vector<Variant> rows = {{"f32, no grouping", AccumulationSpec()},
                               {"no grouping", grouped(fp12, Grouping::None)}};
  llvm::append_range(rows, variants(fp12, /*allC=*/true));
  for (const Variant &v : rows) {
    os << format("  %-34s", v.name.c_str());
    for (int k : opt.lengths)
      os << format(" %10.3e", cantFail(meanRelativeDotError(v.spec, fp8, k,
                                                            opt.trials, 2022)));
    os << "\n";
  }
}

void angleTable(const DgaStudyOptions &opt, int length,
                const MinifloatFormat &fp8, raw_ostream &os) {
  const unsigned minM = 2, maxM = 16;
  os << format("\nAngle (radians) between computed and exact vectors of %d "
               "dot products of length %d,\naccumulator 1-8-m:\n",
               opt.outputs, length);
  os << format("  %-34s", "m");
  for (unsigned m = minM; m <= maxM; ++m)
    os << format(" %8u", m);
  os << "\n";
  std::vector<Variant> rows = variants(accumulatorWithMantissa(minM), false);
  std::vector<std::vector<double>> angle(rows.size());
  for (size_t r = 0; r < rows.size(); ++r) {
    os << format("  %-34s", rows[r].name.c_str());
    for (unsigned m = minM; m <= maxM; ++m) {
      AccumulationSpec s = rows[r].spec;
      s.accumulator = accumulatorWithMantissa(m);
      angle[r].push_back(gradientAngle(s, fp8, opt.outputs, length));
      os << format(" %8.1e", angle[r].back());
    }
    os << "\n";
  }
  // Bits needed: the smallest m whose angle is at most the target (and stays
  // so for every wider m of the sweep).
  os << "\nMantissa bits needed for an angle at most the target (and "
        "saved against static groups of 16):\n";
  os << format("  %-34s", "target angle");
  for (double t : opt.angles)
    os << format(" %14.0e", t);
  os << "\n";
  auto needed = [&](size_t r, double target) -> int {
    int m = -1;
    for (unsigned i = angle[r].size(); i-- > 0;) {
      if (!(angle[r][i] <= target))
        break;
      m = static_cast<int>(minM + i);
    }
    return m;
  };
  for (size_t r = 0; r < rows.size(); ++r) {
    os << format("  %-34s", rows[r].name.c_str());
    for (double t : opt.angles) {
      int m = needed(r, t), base = needed(0, t);
      if (m < 0)
        os << format(" %14s", "> 16");
      else if (base < 0)
        os << format(" %6d (> %2d)", m, 16 - m);
      else
        os << format(" %6d (%+3d)", m, base - m);
    }
    os << "\n";
  }
}

} // namespace

int runDgaStudy(const DgaStudyOptions &opt, raw_ostream &os) {
  MinifloatFormat fp8 = *lookupMinifloat("e4m3fn");
  errorTable(opt, fp8, os);
  for (int k : opt.angleLengths)
    angleTable(opt, k, fp8, os);
  return 0;
}

} // namespace qtrain::tools
