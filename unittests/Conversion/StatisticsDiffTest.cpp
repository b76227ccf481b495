//===- StatisticsDiffTest.cpp - amax, histogram, select_scale vs library --===//
//
// The CPU lowering of the statistics ops against numerics::amax,
// exponentHistogram, scaleFromAmax and scaleFromMedian, bit for bit, on
// inputs with NaN, infinities, zeros and subnormals.
//
//===----------------------------------------------------------------------===//

#include "DiffTestUtil.h"

#include "qtrain/Dialect/QTrain/IR/QTrainAttrs.h"
#include "qtrain/ExecutionEngine/Jit.h"
#include "qtrain/Numerics/Presets.h"
#include "qtrain/Numerics/ScaledFormat.h"
#include "qtrain/Numerics/Statistics.h"

#include "mlir/AsmParser/AsmParser.h"

#include "gtest/gtest.h"

#include <random>

using namespace qtrain;
using namespace qtrain::difftest;
namespace nx = qtrain::numerics;

namespace {

using StatFn = void(Memref1D *in, Memref1D *amax, Memref1D *histogram,
                    Memref1D *median);
using ScaleFn = void(Memref1D *stat, Memref1D *scale);

const char *kStatistics = R"(
func.func @stats(%in: memref<?xf32>, %amax: memref<?xf32>, %hist: memref<?xi64>,
                  %median: memref<?xf32>)
    attributes {llvm.emit_c_interface} {
  %x = bufferization.to_tensor %in restrict : memref<?xf32> to tensor<?xf32>
  %a = qtrain.amax %x : tensor<?xf32> -> tensor<f32>
  %h = qtrain.exponent_histogram %x : tensor<?xf32> -> tensor<280xi64>
  %a1 = tensor.expand_shape %a [] output_shape [1] : tensor<f32> into tensor<1xf32>
  %a2 = tensor.cast %a1 : tensor<1xf32> to tensor<?xf32>
  bufferization.materialize_in_destination %a2 in restrict writable %amax
      : (tensor<?xf32>, memref<?xf32>) -> ()
  %m = qtrain.median %x : tensor<?xf32> -> tensor<f32>
  %m1 = tensor.expand_shape %m [] output_shape [1] : tensor<f32> into tensor<1xf32>
  %m2 = tensor.cast %m1 : tensor<1xf32> to tensor<?xf32>
  bufferization.materialize_in_destination %m2 in restrict writable %median
      : (tensor<?xf32>, memref<?xf32>) -> ()
  %h2 = tensor.cast %h : tensor<280xi64> to tensor<?xi64>
  bufferization.materialize_in_destination %h2 in restrict writable %hist
      : (tensor<?xi64>, memref<?xi64>) -> ()
  return
}
)";

std::vector<float> inputs(size_t n, std::mt19937_64 &rng, bool nan, bool inf) {
  std::vector<float> v(n);
  for (float &x : v) {
    uint64_t r = rng() % 8;
    x = r == 0
            ? llvm::bit_cast<float>(static_cast<uint32_t>(rng()) & 0x807fffffu)
            : std::ldexp(std::normal_distribution<float>()(rng),
                         static_cast<int>(rng() % 60) - 30);
    if (r == 1)
      x = 0.0f;
  }
  if (!v.empty() && inf)
    v[rng() % n] = -std::numeric_limits<float>::infinity();
  if (!v.empty() && nan)
    v[rng() % n] = llvm::bit_cast<float>(0xffc00123u); // a negative payload
  // Any non-NaN bit pattern from the random draw is a finite value.
  for (float &x : v)
    if (std::isnan(x) && !nan)
      x = 1.0f;
  return v;
}

TEST(StatisticsDiff, AmaxMedianAndHistogram) {
  uint64_t seed = masterSeed();
  SCOPED_TRACE("replay with QTRAIN_DIFF_SEED=" + std::to_string(seed));
  auto ctx = createJitContext();
  auto engine = jitCompile(*ctx, kStatistics);
  ASSERT_TRUE(!!engine) << llvm::toString(engine.takeError());
  auto fn = lookupCInterface<StatFn>(**engine, "stats");
  ASSERT_TRUE(!!fn) << llvm::toString(fn.takeError());
  std::mt19937_64 rng(seed);
  for (size_t n : {size_t(0), size_t(1), size_t(2), size_t(15), size_t(1000),
                   size_t(70001)})
    for (bool nan : {false, true})
      for (bool inf : {false, true}) {
        std::vector<float> in = inputs(n, rng, nan, inf);
        std::vector<float> amax(1), median(1);
        std::vector<int64_t> hist(280);
        Memref1D i = view(in, n), a = view(amax, 1), h = view(hist, 280),
                 md = view(median, 1);
        (*fn)(&i, &a, &h, &md);
        float wantMedian = nx::medianAbs(in);
        EXPECT_EQ(llvm::bit_cast<uint32_t>(median[0]),
                  llvm::bit_cast<uint32_t>(wantMedian))
            << "median, n " << n << ": " << median[0] << " want " << wantMedian;
        float want = nx::amax(in);
        EXPECT_EQ(llvm::bit_cast<uint32_t>(amax[0]),
                  llvm::bit_cast<uint32_t>(want))
            << "n " << n << " nan " << nan << " inf " << inf << ": " << amax[0]
            << " want " << want;
        nx::ExponentHistogram wantH = nx::exponentHistogram(in);
        for (int e = nx::ExponentHistogram::kMinExponent;
             e <= nx::ExponentHistogram::kMaxExponent; ++e)
          ASSERT_EQ(uint64_t(hist[e - nx::ExponentHistogram::kMinExponent]),
                    wantH.at(e))
              << "exponent " << e << " n " << n;
        EXPECT_EQ(uint64_t(hist[277]), wantH.zeros);
        EXPECT_EQ(uint64_t(hist[278]), wantH.infinities);
        EXPECT_EQ(uint64_t(hist[279]), wantH.nans);
      }
}

const char *kMedians = R"(
func.func @nz(%in: memref<?xf32>, %exact: memref<?xf32>, %approx: memref<?xf32>)
    attributes {llvm.emit_c_interface} {
  %x = bufferization.to_tensor %in restrict : memref<?xf32> to tensor<?xf32>
  %m = qtrain.median %x {nonzero} : tensor<?xf32> -> tensor<f32>
  %a = qtrain.median %x {approx, bins = 20 : i32, nonzero} : tensor<?xf32> -> tensor<f32>
  %m1 = tensor.expand_shape %m [] output_shape [1] : tensor<f32> into tensor<1xf32>
  %m2 = tensor.cast %m1 : tensor<1xf32> to tensor<?xf32>
  bufferization.materialize_in_destination %m2 in restrict writable %exact
      : (tensor<?xf32>, memref<?xf32>) -> ()
  %a1 = tensor.expand_shape %a [] output_shape [1] : tensor<f32> into tensor<1xf32>
  %a2 = tensor.cast %a1 : tensor<1xf32> to tensor<?xf32>
  bufferization.materialize_in_destination %a2 in restrict writable %approx
      : (tensor<?xf32>, memref<?xf32>) -> ()
  return
}
func.func @hist(%in: memref<?xf32>, %h0: memref<?xi64>, %hout: memref<?xi64>,
                %all: memref<?xf32>, %nonzero: memref<?xf32>)
    attributes {llvm.emit_c_interface} {
  %x = bufferization.to_tensor %in restrict : memref<?xf32> to tensor<?xf32>
  %t0 = bufferization.to_tensor %h0 restrict : memref<?xi64> to tensor<?xi64>
  %c0 = tensor.cast %t0 : tensor<?xi64> to tensor<557xi64>
  %h = qtrain.median_histogram %x, %c0 : tensor<?xf32>, tensor<557xi64>
  %m = qtrain.histogram_median %h : tensor<557xi64> -> tensor<f32>
  %n = qtrain.histogram_median %h {nonzero} : tensor<557xi64> -> tensor<f32>
  %m1 = tensor.expand_shape %m [] output_shape [1] : tensor<f32> into tensor<1xf32>
  %m2 = tensor.cast %m1 : tensor<1xf32> to tensor<?xf32>
  bufferization.materialize_in_destination %m2 in restrict writable %all
      : (tensor<?xf32>, memref<?xf32>) -> ()
  %n1 = tensor.expand_shape %n [] output_shape [1] : tensor<f32> into tensor<1xf32>
  %n2 = tensor.cast %n1 : tensor<1xf32> to tensor<?xf32>
  bufferization.materialize_in_destination %n2 in restrict writable %nonzero
      : (tensor<?xf32>, memref<?xf32>) -> ()
  %h2 = tensor.cast %h : tensor<557xi64> to tensor<?xi64>
  bufferization.materialize_in_destination %h2 in restrict writable %hout
      : (tensor<?xi64>, memref<?xi64>) -> ()
  return
}
)";

using NonzeroFn = void(Memref1D *in, Memref1D *exact, Memref1D *approx);
using HistFn = void(Memref1D *in, Memref1D *h0, Memref1D *hout, Memref1D *all,
                    Memref1D *nonzero);

TEST(StatisticsDiff, NonzeroMediansAndMedianHistogram) {
  namespace mh = nx::median_histogram;
  uint64_t seed = masterSeed();
  SCOPED_TRACE("replay with QTRAIN_DIFF_SEED=" + std::to_string(seed));
  auto ctx = createJitContext();
  auto engine = jitCompile(*ctx, kMedians);
  ASSERT_TRUE(!!engine) << llvm::toString(engine.takeError());
  auto nz = lookupCInterface<NonzeroFn>(**engine, "nz");
  auto hist = lookupCInterface<HistFn>(**engine, "hist");
  ASSERT_TRUE(nz && hist);
  std::mt19937_64 rng(seed);
  auto bits = [](float v) { return llvm::bit_cast<uint32_t>(v); };
  for (size_t n : {size_t(0), size_t(1), size_t(2), size_t(15), size_t(1000),
                   size_t(30001)})
    for (int shape = 0; shape < 3; ++shape) {
      std::vector<float> in = inputs(n, rng, shape == 1, shape == 1);
      if (shape == 2) // ReLU-shaped: at least half zeros
        for (float &v : in)
          if (rng() % 3 != 0)
            v = rng() % 2 ? 0.0f : -0.0f;
      std::vector<float> exact(1), approx(1);
      Memref1D i = view(in, n), e = view(exact, 1), a = view(approx, 1);
      (*nz)(&i, &e, &a);
      EXPECT_EQ(bits(exact[0]), bits(nx::medianAbs(in, true))) << "n " << n;
      EXPECT_EQ(bits(approx[0]), bits(nx::medianAbsApprox(in, 20, true)))
          << "n " << n;

      // A histogram that already holds another tensor's counts.
      std::vector<uint64_t> start(mh::kBins, 0);
      nx::addToMedianHistogram(start, inputs(rng() % 500, rng, true, true));
      std::vector<uint64_t> want = start;
      nx::addToMedianHistogram(want, in);
      std::vector<int64_t> h0(start.begin(), start.end()), hout(mh::kBins);
      std::vector<float> all(1), nonzero(1);
      Memref1D hi = view(h0, mh::kBins), ho = view(hout, mh::kBins),
               ma = view(all, 1), mn = view(nonzero, 1);
      (*hist)(&i, &hi, &ho, &ma, &mn);
      for (size_t b = 0; b < mh::kBins; ++b)
        ASSERT_EQ(uint64_t(hout[b]), want[b]) << "bin " << b << " n " << n;
      EXPECT_EQ(bits(all[0]), bits(nx::medianLookupValue(want, false)));
      EXPECT_EQ(bits(nonzero[0]), bits(nx::medianLookupValue(want, true)));
    }
}

TEST(StatisticsDiff, SelectScale) {
  auto ctx = createJitContext();
  using R = nx::ScaleRule;
  struct Case {
    std::string level, element;
  };
  const Case cases[] = {
      {"#qtrain.scale_level<tensor, f32, amax_to_max>", "#qtrain.fp<e4m3fn>"},
      {"#qtrain.scale_level<tensor, f32, amax_to_max, margin = 3>",
       "#qtrain.fp<e5m2>"},
      {"#qtrain.scale_level<tensor, e8m0, amax_to_max, margin = -2>",
       "#qtrain.fp<e4m3fn>"},
      {"#qtrain.scale_level<[32], e8m0, shared_exponent>",
       "#qtrain.fp<e2m1fn>"},
      {"#qtrain.scale_level<[16], pow2<3, 7>, shared_exponent>",
       "#qtrain.int<s8, frac = 6>"},
      {"#qtrain.scale_level<tensor, f32, shared_exponent>",
       "#qtrain.fp<e4m3fn>"},
      {"#qtrain.scale_level<tensor, e8m0, median_lookup, median_exponent = 1>",
       "#qtrain.fp<e5m2>"},
      {"#qtrain.scale_level<tensor, pow2<4, 9>, median_lookup, median_exponent "
       "= -3>",
       "#qtrain.fp<e5m2>"},
  };
  std::string text;
  for (size_t i = 0; i < std::size(cases); ++i)
    text += llvm::formatv(R"(
func.func @s{0}(%in: memref<?xf32>, %out: memref<?xf32>) attributes {{llvm.emit_c_interface} {{
  %t = bufferization.to_tensor %in restrict : memref<?xf32> to tensor<?xf32>
  %c = tensor.cast %t : tensor<?xf32> to tensor<1xf32>
  %x = tensor.collapse_shape %c [] : tensor<1xf32> into tensor<f32>
  %s = qtrain.select_scale %x {{level = {1}, element = {2}} : tensor<f32>
  %s1 = tensor.expand_shape %s [] output_shape [1] : tensor<f32> into tensor<1xf32>
  %s2 = tensor.cast %s1 : tensor<1xf32> to tensor<?xf32>
  bufferization.materialize_in_destination %s2 in restrict writable %out
      : (tensor<?xf32>, memref<?xf32>) -> ()
  return
}
)",
                          i, cases[i].level, cases[i].element)
                .str();
  auto engine = jitCompile(*ctx, text);
  ASSERT_TRUE(!!engine) << llvm::toString(engine.takeError()) << text;
  std::mt19937_64 rng(masterSeed());
  std::vector<float> stats = {0.0f,
                              -0.0f,
                              1.0f,
                              1.5f,
                              1.4999999f,
                              448.0f,
                              std::numeric_limits<float>::quiet_NaN(),
                              std::numeric_limits<float>::infinity(),
                              std::numeric_limits<float>::denorm_min(),
                              std::numeric_limits<float>::max(),
                              3e-39f};
  for (int i = 0; i < 300; ++i)
    stats.push_back(std::ldexp(std::uniform_real_distribution<float>(1, 2)(rng),
                               static_cast<int>(rng() % 300) - 150));
  for (size_t c = 0; c < std::size(cases); ++c) {
    mlir::Attribute levelAttr = mlir::parseAttribute(cases[c].level, ctx.get());
    mlir::Attribute elementAttr =
        mlir::parseAttribute(cases[c].element, ctx.get());
    ASSERT_TRUE(levelAttr && elementAttr);
    nx::ScaleLevel level = llvm::cast<ScaleLevelAttr>(levelAttr).getLevel();
    nx::ElementFormat element =
        llvm::cast<FormatAttrInterface>(elementAttr).getScaledFormat().element;
    auto fn = lookupCInterface<ScaleFn>(**engine, "s" + std::to_string(c));
    ASSERT_TRUE(!!fn) << llvm::toString(fn.takeError());
    for (float st : stats) {
      std::vector<float> in = {st}, out(1);
      Memref1D i = view(in, 1), o = view(out, 1);
      (*fn)(&i, &o);
      float want = level.rule == R::MedianLookup
                       ? nx::scaleFromMedian(level, st)
                       : nx::scaleFromAmax(level, element, st);
      EXPECT_EQ(llvm::bit_cast<uint32_t>(out[0]),
                llvm::bit_cast<uint32_t>(want))
          << cases[c].level << " statistic " << st << ": " << out[0] << " want "
          << want;
    }
  }
}

} // namespace

namespace {

using ZseFn = void(Memref1D *in, Memref1D *out);
using DelayedFn = void(Memref1D *amax, Memref1D *history, Memref1D *scale,
                       Memref1D *newHistory);

TEST(StatisticsDiff, ZeroSettingError) {
  struct Case {
    const char *format;
    std::vector<int64_t> shape;
    bool allElements = false;
    std::optional<unsigned> axis = std::nullopt;
  };
  const Case cases[] = {
      {"#qtrain.fp<e4m3fn>", {1000}},
      {"#qtrain.fp<e4m3fn>", {1000}, true},
      {"#qtrain.fp<e2m1fn>, rounding = #qtrain.rounding<toward_zero>", {7, 33}},
      {"#qtrain.int<s8, frac = 2>", {300}},
      {"#qtrain.scaled<fb12>", {2, 30, 3, 3}},
      {"#qtrain.scaled<fb12>", {2, 30, 3, 3}, true},
      {"#qtrain.scaled<fb16>", {250, 6}, false, 0u},
      {"#qtrain.scaled<mxfp4_e2m1>", {5, 70}},
  };
  auto ctx = createJitContext();
  std::string text;
  for (size_t c = 0; c < std::size(cases); ++c) {
    text += llvm::formatv("func.func @z{0}(%in: memref<?xf32>, %out: "
                          "memref<?xf32>) attributes {{llvm.emit_c_interface} "
                          "{{\n",
                          c)
                .str();
    text += shaped("x", "in", cases[c].shape, "f32");
    std::string extra = cases[c].allElements ? ", all_elements" : "";
    if (cases[c].axis)
      extra += ", reduction_axis = " + std::to_string(*cases[c].axis);
    text +=
        llvm::formatv("  %z = qtrain.zero_setting_error %x {{format = {0}{2}} "
                      ": tensor<{1}f32> -> tensor<f32>\n",
                      cases[c].format, shapeText(cases[c].shape), extra)
            .str();
    text += "  %z1 = tensor.expand_shape %z [] output_shape [1] : tensor<f32> "
            "into tensor<1xf32>\n";
    text += store("z1", "out", {1}, "f32");
    text += "  return\n}\n";
  }
  auto engine = jitCompile(*ctx, text);
  ASSERT_TRUE(!!engine) << llvm::toString(engine.takeError()) << text;
  std::mt19937_64 rng(masterSeed());
  for (size_t c = 0; c < std::size(cases); ++c) {
    // The library's answer: parse the format (and rounding) attributes.
    std::string fmt = cases[c].format;
    std::string formatText = fmt.substr(0, fmt.find(", rounding"));
    nx::ScaledFormat f = llvm::cast<FormatAttrInterface>(
                             mlir::parseAttribute(formatText, ctx.get()))
                             .getScaledFormat();
    nx::Rounding r;
    if (fmt.find("toward_zero") != std::string::npos)
      r = nx::Rounding::deterministic(nx::RoundingMode::TowardZero);
    else if (llvm::StringRef(formatText).consume_front("#qtrain.scaled<"))
      r = nx::lookupScaled(
              llvm::StringRef(formatText).drop_front(15).drop_back())
              ->rounding;
    std::vector<float> in = inputs(product(cases[c].shape), rng, true, true);
    for (float &v : in) // many values near the flush threshold
      if (rng() % 3 == 0)
        v = std::ldexp(v, -10);
    f = llvm::cantFail(
        nx::resolveBlocks(f, cases[c].shape.size(), cases[c].axis));
    auto want = nx::zeroSettingError(f, cases[c].shape, in, r,
                                     cases[c].allElements
                                         ? nx::ZseDenominator::All
                                         : nx::ZseDenominator::NonZero);
    ASSERT_TRUE(!!want) << llvm::toString(want.takeError());
    std::vector<float> out(1);
    Memref1D i = view(in, in.size()), o = view(out, 1);
    auto fn = lookupCInterface<ZseFn>(**engine, "z" + std::to_string(c));
    ASSERT_TRUE(!!fn) << llvm::toString(fn.takeError());
    (*fn)(&i, &o);
    EXPECT_EQ(out[0], static_cast<float>(*want)) << cases[c].format;
    EXPECT_GT(*want, 0.0) << "the inputs should flush some elements";
  }
}

TEST(StatisticsDiff, DelayedScale) {
  auto ctx = createJitContext();
  const char *levels[] = {
      "#qtrain.scale_level<tensor, f32, amax_to_max, margin = 1>",
      "#qtrain.scale_level<tensor, e8m0, shared_exponent>"};
  std::string text;
  for (size_t c = 0; c < std::size(levels); ++c) {
    text += llvm::formatv(R"(
func.func @d{0}(%a: memref<?xf32>, %h: memref<?xf32>, %s: memref<?xf32>, %nh: memref<?xf32>)
    attributes {{llvm.emit_c_interface} {{
  %at = bufferization.to_tensor %a restrict : memref<?xf32> to tensor<?xf32>
  %a1 = tensor.cast %at : tensor<?xf32> to tensor<1xf32>
  %amax = tensor.collapse_shape %a1 [] : tensor<1xf32> into tensor<f32>
  %hist = bufferization.to_tensor %h restrict : memref<?xf32> to tensor<?xf32>
  %scale, %next = qtrain.delayed_scale %amax, %hist {{level = {1}, element = #qtrain.fp<e4m3fn>} : tensor<f32>, tensor<?xf32>
  %s1 = tensor.expand_shape %scale [] output_shape [1] : tensor<f32> into tensor<1xf32>
  %s2 = tensor.cast %s1 : tensor<1xf32> to tensor<?xf32>
  bufferization.materialize_in_destination %s2 in restrict writable %s : (tensor<?xf32>, memref<?xf32>) -> ()
  bufferization.materialize_in_destination %next in restrict writable %nh : (tensor<?xf32>, memref<?xf32>) -> ()
  return
}
)",
                          c, levels[c])
                .str();
  }
  auto engine = jitCompile(*ctx, text);
  ASSERT_TRUE(!!engine) << llvm::toString(engine.takeError()) << text;
  std::mt19937_64 rng(masterSeed());
  for (size_t c = 0; c < std::size(levels); ++c) {
    nx::ScaleLevel level =
        llvm::cast<ScaleLevelAttr>(mlir::parseAttribute(levels[c], ctx.get()))
            .getLevel();
    nx::ElementFormat e4m3(*nx::lookupMinifloat("e4m3fn"));
    auto fn = lookupCInterface<DelayedFn>(**engine, "d" + std::to_string(c));
    ASSERT_TRUE(!!fn) << llvm::toString(fn.takeError());
    for (size_t len : {size_t(1), size_t(5), size_t(16)})
      for (int trial = 0; trial < 20; ++trial) {
        std::vector<float> hist(len), next(len), wantNext(len), amax(1),
            scale(1);
        for (float &h : hist)
          h = std::ldexp(1.0f + (rng() % 1000) / 1000.0f,
                         static_cast<int>(rng() % 40) - 20);
        amax[0] = trial == 3 ? std::numeric_limits<float>::quiet_NaN()
                  : trial == 4
                      ? std::numeric_limits<float>::infinity()
                      : std::ldexp(1.0f, static_cast<int>(rng() % 40) - 20);
        float want = nx::delayedScale(level, e4m3, hist, amax[0], wantNext);
        Memref1D a = view(amax, 1), h = view(hist, len), s = view(scale, 1),
                 n = view(next, len);
        (*fn)(&a, &h, &s, &n);
        EXPECT_EQ(llvm::bit_cast<uint32_t>(scale[0]),
                  llvm::bit_cast<uint32_t>(want))
            << levels[c] << " length " << len << " trial " << trial;
        for (size_t i = 0; i < len; ++i)
          EXPECT_EQ(llvm::bit_cast<uint32_t>(next[i]),
                    llvm::bit_cast<uint32_t>(wantNext[i]));
      }
  }
}

} // namespace

namespace {

TEST(StatisticsDiff, ApproximateMedian) {
  auto ctx = createJitContext();
  const int bins[] = {1, 7, 20};
  std::string text;
  for (int b : bins)
    text += llvm::formatv(R"(
func.func @m{0}(%in: memref<?xf32>, %out: memref<?xf32>) attributes {{llvm.emit_c_interface} {{
  %x = bufferization.to_tensor %in restrict : memref<?xf32> to tensor<?xf32>
  %m = qtrain.median %x {{approx, bins = {0} : i32} : tensor<?xf32> -> tensor<f32>
  %m1 = tensor.expand_shape %m [] output_shape [1] : tensor<f32> into tensor<1xf32>
  %m2 = tensor.cast %m1 : tensor<1xf32> to tensor<?xf32>
  bufferization.materialize_in_destination %m2 in restrict writable %out
      : (tensor<?xf32>, memref<?xf32>) -> ()
  return
}
)",
                          b)
                .str();
  auto engine = jitCompile(*ctx, text);
  ASSERT_TRUE(!!engine) << llvm::toString(engine.takeError()) << text;
  std::mt19937_64 rng(masterSeed());
  for (int b : bins) {
    auto fn = lookupCInterface<ZseFn>(**engine, "m" + std::to_string(b));
    ASSERT_TRUE(!!fn) << llvm::toString(fn.takeError());
    for (size_t n : {size_t(0), size_t(1), size_t(2), size_t(9), size_t(1000),
                     size_t(40001)})
      for (bool specials : {false, true}) {
        std::vector<float> in = inputs(n, rng, specials, specials);
        if (n == 9) // all equal: the first pass has width 0
          in.assign(9, -3.0f);
        std::vector<float> out(1);
        Memref1D i = view(in, n), o = view(out, 1);
        (*fn)(&i, &o);
        float want = nx::medianAbsApprox(in, b);
        EXPECT_EQ(llvm::bit_cast<uint32_t>(out[0]),
                  llvm::bit_cast<uint32_t>(want))
            << "bins " << b << " n " << n << ": " << out[0] << " want " << want;
      }
    // Values on the pass-2 bin edges lo + j * width, where a recomputed edge
    // and floor((v - lo) / width) may disagree.
    for (int trial = 0; trial < 200; ++trial) {
      double lo = std::uniform_real_distribution<double>(1e-3, 10)(rng);
      double width = std::uniform_real_distribution<double>(1e-3, 100)(rng) / b;
      std::vector<float> in = {float(lo), float(lo + b * width)};
      for (int i = 0; i < 1 + int(rng() % 40); ++i)
        in.push_back(float(lo + double(rng() % (b + 1)) * width));
      std::vector<float> out(1);
      Memref1D i = view(in, in.size()), o = view(out, 1);
      (*fn)(&i, &o);
      float want = nx::medianAbsApprox(in, b);
      EXPECT_EQ(llvm::bit_cast<uint32_t>(out[0]),
                llvm::bit_cast<uint32_t>(want))
          << "bins " << b << " edge trial " << trial << ": " << out[0]
          << " want " << want;
    }
  }
}

} // namespace
