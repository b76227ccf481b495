//===- MatmulDiffTest.cpp - qtrain.matmul: JIT-compiled vs the library ----===//
//
// Every accumulation the lowering covers (f32 FMA chains, minifloat
// accumulators, product formats, static groups, ideal DGA with both counts,
// efficient DGA, outer formats, every deterministic rounding) on shapes with
// column and row tails, transposed and batched operands, with and without
// NaN, infinities and subnormals, against numerics::gemm bit for bit. The
// operands take each path of emulated accumulation: the f32 fast path
// alone, the fast path with blocks recomputed exactly (inexact f32 sums,
// sums beyond the accumulator's range), the exact path.
// QTRAIN_DIFF_SEED replays a run.
//
//===----------------------------------------------------------------------===//

#include "DiffTestUtil.h"

#include "qtrain/Dialect/QTrain/IR/QTrainAttrs.h"
#include "qtrain/ExecutionEngine/Jit.h"
#include "qtrain/Numerics/Accumulation.h"
#include "qtrain/Numerics/Presets.h"

#include "gtest/gtest.h"

#include <cmath>
#include <random>

using namespace qtrain;
using namespace qtrain::difftest;
namespace nx = qtrain::numerics;

namespace {

using MatmulFn = void(Memref1D *a, Memref1D *b, Memref1D *c);

struct AccumCase {
  std::string name;
  nx::AccumulationSpec spec;
};

/// Test names in gtest and ctest output.
void PrintTo(const AccumCase &c, std::ostream *os) { *os << c.name; }

std::vector<AccumCase> accumCases() {
  nx::MinifloatFormat fp12 = *nx::lookupMinifloat("fp12_dga");
  nx::MinifloatFormat fp16 = *nx::lookupMinifloat("fp16_dga");
  auto spec = [&](nx::Grouping g) {
    nx::AccumulationSpec s;
    s.accumulator = fp12;
    s.grouping = g;
    return s;
  };
  std::vector<AccumCase> out;
  out.push_back({"f32_default", nx::AccumulationSpec()});
  nx::AccumulationSpec f32static;
  f32static.grouping = nx::Grouping::Static;
  f32static.groupSize = 8;
  out.push_back({"f32_static8", f32static});
  nx::AccumulationSpec f32up;
  f32up.rounding = nx::RoundingMode::Up;
  out.push_back({"f32_round_up", f32up});
  out.push_back({"fp12_none", spec(nx::Grouping::None)});
  nx::AccumulationSpec sga = spec(nx::Grouping::Static);
  sga.outer = fp16;
  out.push_back({"fp12_static16_outer_fp16", sga});
  // MLS: fixed-point group sums (products rounded to 2^-F), saturating or
  // wrapping, into an f32 or FP16 outer accumulator.
  nx::AccumulationSpec fixedSat = spec(nx::Grouping::Static);
  fixedSat.fixedPoint =
      nx::IntegerFormat{16, nx::IntegerEncoding::TwosComplement, 10,
                        nx::IntegerOverflow::Saturate};
  fixedSat.accumulator = nx::MinifloatFormat(); // unused: P_G is fixed
  out.push_back({"fixed16_f10_sat_static16", fixedSat});
  nx::AccumulationSpec fixedWrap = fixedSat;
  fixedWrap.fixedPoint = nx::IntegerFormat{
      12, nx::IntegerEncoding::TwosComplement, 6, nx::IntegerOverflow::Wrap};
  fixedWrap.outer = fp16;
  fixedWrap.groupSize = 5;
  fixedWrap.rounding = nx::RoundingMode::Down;
  out.push_back({"fixed12_f6_wrap_static5_down", fixedWrap});
  out.push_back({"fp12_ideal_running", spec(nx::Grouping::IdealDGA)});
  nx::AccumulationSpec running0 = spec(nx::Grouping::IdealDGA);
  running0.initialThreshold = 0.0625; // T0 small: P_O = 0 cases after closes
  running0.outer = fp16;
  out.push_back({"fp12_ideal_running_t0_outer_fp16", running0});
  nx::AccumulationSpec closed = spec(nx::Grouping::IdealDGA);
  closed.dgaCount = nx::DgaCount::ClosedGroup;
  out.push_back({"fp12_ideal_closed_group", closed});
  nx::AccumulationSpec after = spec(nx::Grouping::IdealDGA);
  after.dgaCount = nx::DgaCount::AfterReset;
  out.push_back({"fp12_ideal_after_reset", after});
  out.push_back({"fp12_edga_c4", spec(nx::Grouping::EfficientDGA)});
  nx::AccumulationSpec edga0 = spec(nx::Grouping::EfficientDGA);
  edga0.initialThreshold = 0;
  edga0.shiftC = -2;
  out.push_back({"fp12_edga_t0_zero", edga0});
  nx::AccumulationSpec shared = spec(nx::Grouping::EfficientDGA);
  shared.sharedThreshold = true;
  out.push_back({"fp12_edga_shared", shared});
  nx::AccumulationSpec sharedC2 = shared;
  sharedC2.shiftC = 2;
  sharedC2.outer = fp16;
  sharedC2.rounding = nx::RoundingMode::Up;
  out.push_back({"fp12_edga_shared_c2_outer_fp16_up", sharedC2});
  nx::AccumulationSpec prod = spec(nx::Grouping::EfficientDGA);
  prod.product = fp16;
  prod.rounding = nx::RoundingMode::TowardZero;
  out.push_back({"fp16_products_toward_zero", prod});
  for (nx::RoundingMode m :
       {nx::RoundingMode::NearestAway, nx::RoundingMode::Down}) {
    nx::AccumulationSpec s = spec(nx::Grouping::Static);
    s.groupSize = 5;
    s.rounding = m;
    out.push_back({std::string("fp12_static5_") +
                       (m == nx::RoundingMode::Down ? "down" : "away"),
                   s});
  }
  return out;
}

struct Shape {
  int64_t batch, m, k, n;
  bool ta, tb;
};

const Shape kShapes[] = {
    {0, 7, 37, 19, false, false},
    {0, 9, 64, 33, true, false},
    {0, 6, 20, 17, false, true},
    {2, 5, 33, 18, false, false},
    // Wide column blocks; row blocks (12 rows with AVX-512, 6 with AVX2),
    // tail blocks (4, 3) and single rows; row blocks across batches.
    {0, 29, 29, 100, false, false},
    {3, 10, 13, 50, false, true},
};

std::string matmulFunction(mlir::MLIRContext &ctx, const std::string &name,
                           const nx::AccumulationSpec &spec, const Shape &s) {
  auto dims = [&](int64_t r, int64_t c) {
    std::vector<int64_t> d;
    if (s.batch)
      d.push_back(s.batch);
    d.push_back(r);
    d.push_back(c);
    return d;
  };
  std::vector<int64_t> a = s.ta ? dims(s.k, s.m) : dims(s.m, s.k);
  std::vector<int64_t> b = s.tb ? dims(s.n, s.k) : dims(s.k, s.n);
  std::vector<int64_t> c = dims(s.m, s.n);
  std::string attrs =
      "accumulation = " + print(AccumulationAttr::get(&ctx, spec));
  if (s.ta)
    attrs += ", transpose_a";
  if (s.tb)
    attrs += ", transpose_b";
  std::string text =
      llvm::formatv("func.func @{0}(%a: memref<?xf32>, %b: memref<?xf32>, %c: "
                    "memref<?xf32>) attributes {{llvm.emit_c_interface} {{\n",
                    name);
  text += shaped("x", "a", a, "f32");
  text += shaped("y", "b", b, "f32");
  text += llvm::formatv("  %z = qtrain.matmul %x, %y {{{0}} : tensor<{1}f32>, "
                        "tensor<{2}f32> -> tensor<{3}f32>\n",
                        attrs, shapeText(a), shapeText(b), shapeText(c));
  text += store("z", "c", c, "f32");
  text += "  return\n}\n";
  return text;
}

/// The operands a case runs on.
enum class Operands {
  /// e4m3fn values in [0.25, 4] and zeros: every f32 product and every f32
  /// sum of them (FP12 or FP16 values below 2^11 plus products whose last
  /// bit is at least 2^-11) is exact, so the f32 fast path of emulated
  /// accumulation computes every block without falling back.
  Moderate,
  /// e4m3fn values with a positive mean (sums grow, groups close), zeros,
  /// and values of 2^-20 x an e4m3fn value, whose products with large ones
  /// make some f32 sums inexact: the fast path falls back per block.
  Fp8,
  /// Fp8 plus 2^-100 (the fast path's operand check fails: the exact path
  /// runs), NaN and infinities.
  Specials,
  /// e4m3fn values of every binade (2^-9 to 448) and sign, and zeros:
  /// products beyond FP12's range (the fast path's magnitude check falls
  /// back), sums in its subnormal range, far-apart exponents.
  Wide,
  /// Moderate x 2^-12: sums in FP12's subnormal range, exact in f32, which
  /// the fast path rounds to FP12's quantum without falling back.
  Small,
  /// Fp8 divided by an f32 scale (values of up to 24 bits, as a tensor
  /// quantized with a current-amax scale): the operand check fails, the
  /// exact path runs, or, for accumulations it applies to, the
  /// midpoint-checked fast path.
  Scaled,
  /// +-2^e and +-2^e (1 + 2^-23), e in [-8, 1]: 24-bit operands whose sums
  /// land a hair beside FP12 midpoints (1 + 2^-7 (1 + 2^-23) rounds to
  /// the midpoint 1 + 2^-7 in f32), so the midpoint-checked path rounds
  /// many of them again, on both sides and with exact products and not.
  Midpoints,
};

const char *operandsName(Operands o) {
  switch (o) {
  case Operands::Moderate:
    return "moderate";
  case Operands::Fp8:
    return "fp8";
  case Operands::Specials:
    return "specials";
  case Operands::Wide:
    return "wide";
  case Operands::Small:
    return "small";
  case Operands::Scaled:
    return "scaled";
  case Operands::Midpoints:
    return "midpoints";
  }
  return "?";
}

std::vector<float> operand(int64_t n, std::mt19937_64 &rng, Operands kind) {
  nx::MinifloatFormat e4m3 = *nx::lookupMinifloat("e4m3fn");
  std::vector<float> v(n);
  if (kind == Operands::Moderate || kind == Operands::Small) {
    std::uniform_real_distribution<float> u(0.25f, 4.0f);
    int scale = kind == Operands::Small ? -12 : 0;
    for (float &x : v) {
      x = std::ldexp(nx::quantize(e4m3, u(rng), nx::Rounding()), scale);
      uint64_t r = rng() % 17;
      if (r == 0)
        x = 0.0f;
      else if (r == 1)
        x = -x;
    }
    return v;
  }
  if (kind == Operands::Wide) {
    std::uniform_real_distribution<float> exponent(-9.0f, 8.8f);
    for (float &x : v) {
      x = nx::quantize(e4m3, std::exp2(exponent(rng)), nx::Rounding());
      uint64_t r = rng() % 11;
      if (r == 0)
        x = 0.0f;
      else if (r < 6)
        x = -x;
    }
    return v;
  }
  if (kind == Operands::Midpoints) {
    for (float &x : v) {
      x = std::ldexp(rng() % 2 ? 1.0f : 1.0f + 0x1p-23f,
                     static_cast<int>(rng() % 10) - 8);
      if (rng() % 3 == 0)
        x = -x;
    }
    return v;
  }
  std::uniform_real_distribution<float> u(-0.3f, 1.0f);
  if (kind == Operands::Scaled) {
    for (float &x : v) {
      x = nx::quantize(e4m3, u(rng) * 4, nx::Rounding()) / 0.37f;
      if (rng() % 53 == 0)
        x = -0.0f;
    }
    return v;
  }
  bool specials = kind == Operands::Specials;
  for (float &x : v) {
    x = nx::quantize(e4m3, u(rng) * 4, nx::Rounding());
    uint64_t r = rng() % 53;
    if (r == 0)
      x = 0.0f;
    else if (r == 1)
      x = -0.0f;
    else if (r == 2)
      x = specials ? std::ldexp(1.0f, -100) : std::ldexp(x, -20);
    else if (specials && r == 3)
      x = std::numeric_limits<float>::infinity();
    else if (specials && r == 4)
      x = std::numeric_limits<float>::quiet_NaN();
  }
  return v;
}

/// numerics::gemm per batch on the operands as the op sees them.
std::vector<float> reference(const std::vector<float> &a,
                             const std::vector<float> &b, const Shape &s,
                             const nx::AccumulationSpec &spec) {
  int64_t batches = std::max<int64_t>(s.batch, 1);
  std::vector<float> c(batches * s.m * s.n);
  for (int64_t t = 0; t < batches; ++t) {
    std::vector<float> am(s.m * s.k), bm(s.k * s.n), cm(s.m * s.n);
    for (int64_t i = 0; i < s.m; ++i)
      for (int64_t kk = 0; kk < s.k; ++kk)
        am[i * s.k + kk] = s.ta ? a[t * s.m * s.k + kk * s.m + i]
                                : a[t * s.m * s.k + i * s.k + kk];
    for (int64_t kk = 0; kk < s.k; ++kk)
      for (int64_t j = 0; j < s.n; ++j)
        bm[kk * s.n + j] = s.tb ? b[t * s.k * s.n + j * s.k + kk]
                                : b[t * s.k * s.n + kk * s.n + j];
    if (llvm::Error e = nx::gemm(am, bm, cm, s.m, s.n, s.k, spec)) {
      ADD_FAILURE() << "the library rejects the spec: "
                    << llvm::toString(std::move(e));
      return {};
    }
    std::copy(cm.begin(), cm.end(), c.begin() + t * s.m * s.n);
  }
  return c;
}

class MatmulDiff : public ::testing::TestWithParam<AccumCase> {};

TEST_P(MatmulDiff, MatchesLibraryBitForBit) {
  const AccumCase &ac = GetParam();
  uint64_t seed = masterSeed();
  SCOPED_TRACE(
      llvm::formatv("{0}, replay with QTRAIN_DIFF_SEED={1}", ac.name, seed)
          .str());
  auto ctx = createJitContext();
  std::string text;
  for (size_t i = 0; i < std::size(kShapes); ++i)
    text += matmulFunction(*ctx, "mm" + std::to_string(i), ac.spec, kShapes[i]);
  // One thread and parallel tiles on the host; tiles on the other target.
  for (auto [tile, target] : diffRuns(0, 65536)) {
    SCOPED_TRACE("target " + target + ", tile-elements " +
                 std::to_string(tile));
    JitOptions options;
    options.lowering.tileElements = tile;
    options.lowering.targetCpu = target;
    auto engine = jitCompile(*ctx, text, options);
    ASSERT_TRUE(!!engine) << llvm::toString(engine.takeError()) << "\n" << text;
    std::mt19937_64 rng(seed);
    for (size_t i = 0; i < std::size(kShapes); ++i) {
      const Shape &s = kShapes[i];
      for (Operands kind : {Operands::Moderate, Operands::Fp8,
                            Operands::Specials, Operands::Wide, Operands::Small,
                            Operands::Scaled, Operands::Midpoints}) {
        int64_t batches = std::max<int64_t>(s.batch, 1);
        std::vector<float> a = operand(batches * s.m * s.k, rng, kind);
        std::vector<float> b = operand(batches * s.k * s.n, rng, kind);
        std::vector<float> want = reference(a, b, s, ac.spec);
        std::vector<float> got(want.size());
        auto fn =
            lookupCInterface<MatmulFn>(**engine, "mm" + std::to_string(i));
        ASSERT_TRUE(!!fn) << llvm::toString(fn.takeError());
        Memref1D ad = view(a, a.size()), bd = view(b, b.size()),
                 cd = view(got, got.size());
        (*fn)(&ad, &bd, &cd);
        int bad = 0;
        for (size_t j = 0; j < want.size(); ++j)
          if (llvm::bit_cast<uint32_t>(got[j]) !=
                  llvm::bit_cast<uint32_t>(want[j]) &&
              ++bad <= 5)
            ADD_FAILURE() << "shape " << i << " " << operandsName(kind)
                          << " operands, tiles " << tile << ": output " << j
                          << " = " << got[j] << " want " << want[j];
        EXPECT_EQ(bad, 0) << "shape " << i << " " << operandsName(kind);
      }
    }
  }
}

// E-DGA's fast path checks the range of the values P_G and P_O hold, not
// of the sums that made them: a group that overflowed FP12 (the library's
// P_G is then infinite) and closes into a P_O of the other sign gives an
// f32 sum back in range, which only the check of P_G itself catches.
TEST(MatmulDiffEdga, OverflowedGroupThatCancelsFallsBack) {
  nx::AccumulationSpec spec;
  spec.accumulator = *nx::lookupMinifloat("fp12_dga");
  spec.grouping = nx::Grouping::EfficientDGA;
  const Shape s{0, 4, 3, 16, false, false};
  auto ctx = createJitContext();
  std::string text = matmulFunction(*ctx, "mm", spec, s);
  // Every row -448, 448, 1; every column 128, 192, 1 (e4m3fn values): P_G
  // = -57344, which closes into P_O; P_G = 86016, beyond FP12's largest,
  // which closes into P_O = 28672.
  std::vector<float> a, b;
  for (int64_t i = 0; i < s.m; ++i)
    a.insert(a.end(), {-448.0f, 448.0f, 1.0f});
  for (float v : {128.0f, 192.0f, 1.0f})
    b.insert(b.end(), s.n, v);
  std::vector<float> want = reference(a, b, s, spec);
  ASSERT_FALSE(std::isfinite(want[0])) << "the library's P_G overflows";
  for (auto [tile, target] : diffRuns(0, 65536)) {
    SCOPED_TRACE("target " + target);
    JitOptions options;
    options.lowering.tileElements = tile;
    options.lowering.targetCpu = target;
    auto engine = jitCompile(*ctx, text, options);
    ASSERT_TRUE(!!engine) << llvm::toString(engine.takeError());
    auto fn = lookupCInterface<MatmulFn>(**engine, "mm");
    ASSERT_TRUE(!!fn) << llvm::toString(fn.takeError());
    std::vector<float> got(want.size());
    Memref1D ad = view(a, a.size()), bd = view(b, b.size()),
             cd = view(got, got.size());
    (*fn)(&ad, &bd, &cd);
    for (size_t j = 0; j < want.size(); ++j)
      ASSERT_EQ(llvm::bit_cast<uint32_t>(got[j]),
                llvm::bit_cast<uint32_t>(want[j]))
          << "output " << j << " = " << got[j] << " want " << want[j];
  }
}

INSTANTIATE_TEST_SUITE_P(Accumulations, MatmulDiff,
                         ::testing::ValuesIn(accumCases()),
                         [](const ::testing::TestParamInfo<AccumCase> &info) {
                           return info.param.name;
                         });

} // namespace
