//===- SrStudy.cpp - The stochastic-rounding study of qtrain-numerics -----===//

#include "SrStudy.h"

#include "qtrain/Numerics/Minifloat.h"
#include "qtrain/Numerics/RandomStream.h"

#include "llvm/ADT/Twine.h"
#include "llvm/Support/Format.h"

#include <string>
#include <vector>

using namespace llvm;
using namespace qtrain::numerics;

namespace qtrain::tools {
namespace {

RandomSource source(RandomSourceKind kind, unsigned width) {
  RandomSource s;
  s.kind = kind;
  s.lfsrWidth = width;
  s.lfsrLanes = 1;
  return s;
}

std::string describe(const Rounding &r) {
  const RandomSource &s = r.source;
  std::string name = stringifyRandomSourceKind(s.kind).str();
  if (s.kind == RandomSourceKind::Lfsr ||
      s.kind == RandomSourceKind::LfsrPlateau)
    name += " w=" + std::to_string(s.lfsrWidth);
  return name;
}

/// How often each k-bit value occurs in `n` consecutive outputs.
void distribution(raw_ostream &os, const Rounding &r, size_t n) {
  RandomStream stream(r);
  std::vector<uint32_t> out(n);
  stream.fill(0, out);
  std::vector<unsigned> count(1u << r.randomBits, 0);
  for (uint32_t v : out)
    ++count[v];
  os << format("  %-18s %6zu outputs:", describe(r).c_str(), n);
  for (unsigned c : count)
    os << format(" %6.3f", static_cast<double>(c) / n);
  os << "\n";
}

} // namespace

int runSrStudy(raw_ostream &os) {
  using K = RandomSourceKind;
  os << "Distribution of 3-bit random numbers (fraction of outputs per value "
        "0..7; uniform is 0.125):\n";
  distribution(os, Rounding::stochastic(3, source(K::Counter, 0)), 4096);
  distribution(os, Rounding::stochastic(3, source(K::Lfsr, 3)), 14);
  distribution(os, Rounding::stochastic(3, source(K::LfsrPlateau, 3)), 14);
  distribution(os, Rounding::stochastic(3, source(K::Lfsr, 8)), 255);
  distribution(os, Rounding::stochastic(3, source(K::LfsrPlateau, 8)), 510);

  os << "\nStochastic rounding of e4m3fn values with fractions spread over "
        "one ulp (896 draws each):\nmean bias and mean standard deviation "
        "in ulps (ideal: bias 0, deviation 0.393)\n";
  os << format("  %-18s %3s %3s  %-12s %9s %9s\n", "source", "k", "kd",
               "variant", "bias", "deviation");
  struct Row {
    RandomSource src;
    unsigned k, kd;
  };
  const Row rows[] = {
      {source(K::Counter, 0), 24, 24},   {source(K::Counter, 0), 8, 8},
      {source(K::Counter, 0), 3, 3},     {source(K::Counter, 0), 3, 8},
      {source(K::Lfsr, 3), 3, 3},        {source(K::Lfsr, 3), 3, 8},
      {source(K::LfsrPlateau, 3), 3, 3}, {source(K::LfsrPlateau, 3), 3, 8},
      {source(K::Lfsr, 8), 3, 3},        {source(K::Lfsr, 8), 8, 8},
      {source(K::LfsrPlateau, 8), 8, 8},
  };
  for (const Row &row : rows)
    for (StochasticVariant v :
         {StochasticVariant::Compare, StochasticVariant::AddTruncate}) {
      Rounding r = Rounding::stochastic(row.k, row.src, v);
      r.discardedBits = row.kd;
      RoundingErrorStats s = stochasticRoundingError(r);
      os << format("  %-18s %3u %3u  %-12s %+9.4f %9.4f\n", describe(r).c_str(),
                   row.k, row.kd, stringifyStochasticVariant(v).data(), s.bias,
                   s.stddev);
    }
  return 0;
}

} // namespace qtrain::tools
