//===- ScaledDiffTest.cpp - Scaled formats: JIT-compiled vs the library ---===//
//
// Scaled presets and custom scaled formats (power-of-two and f32 scales,
// every covered rule, given scales, NaN-less scale formats, 2-D blocks)
// on shapes whose blocks do not divide the tensor, with element rounding
// deterministic and stochastic: encode (element and scale codes), quantize
// and decode of the CPU lowering against encodeScaled / quantizeScaled /
// decodeScaled, bit for bit. QTRAIN_DIFF_SEED replays a run.
//
//===----------------------------------------------------------------------===//

#include "DiffTestUtil.h"

#include "qtrain/Dialect/QTrain/IR/QTrainAttrs.h"
#include "qtrain/ExecutionEngine/Jit.h"
#include "qtrain/Numerics/Presets.h"
#include "qtrain/Numerics/ScaledFormat.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"

#include "gtest/gtest.h"

#include <random>

using namespace qtrain;
using namespace qtrain::difftest;
namespace nx = qtrain::numerics;

namespace {

using EncodeFn = void(Memref1D *in, Memref1D *data, int64_t seed,
                      Memref1D *given0, Memref1D *given1, Memref1D *codes,
                      Memref1D *scales0, Memref1D *scales1, Memref1D *values);
using DecodeFn = void(Memref1D *codes, Memref1D *scales0, Memref1D *scales1,
                      Memref1D *values);

struct ScaledCase {
  std::string name;
  nx::ScaledFormat format;
  std::vector<int64_t> shape;
};

/// Test names in gtest and ctest output.
void PrintTo(const ScaledCase &c, std::ostream *os) { *os << c.name; }

nx::ScaleLevel level(std::vector<int64_t> block, nx::ScaleFormat f,
                     nx::ScaleRule rule, int margin = 0) {
  nx::ScaleLevel l;
  l.blockShape.assign(block.begin(), block.end());
  l.format = f;
  l.rule = rule;
  l.margin = margin;
  return l;
}

std::vector<ScaledCase> scaledCases() {
  using R = nx::ScaleRule;
  auto preset = [](const char *name) { return nx::lookupScaled(name)->format; };
  std::vector<ScaledCase> out = {
      {"mxfp8_e4m3", preset("mxfp8_e4m3"), {5, 70}},
      {"mxfp8_e5m2", preset("mxfp8_e5m2"), {3, 33}},
      {"mxfp6_e3m2", preset("mxfp6_e3m2"), {4, 40}},
      {"mxfp6_e2m3", preset("mxfp6_e2m3"), {2, 64}},
      {"mxfp4_e2m1", preset("mxfp4_e2m1"), {3, 50}},
      {"mxint8", preset("mxint8"), {6, 37}},
      {"fb12", preset("fb12"), {2, 30, 3, 3}},
      {"fb16", preset("fb16"), {3, 13, 3, 3}},
      {"fb24", preset("fb24"), {2, 7, 3, 3}},
      // Rank 2: c * 9 elements along the reduction axis (innermost by
      // default; axis 0 resolved as a qtrain op's reduction_axis = 0 does).
      {"fb12_rank2", preset("fb12"), {5, 500}},
      {"fb16_rank2_axis0",
       llvm::cantFail(nx::resolveBlocks(preset("fb16"), 2, 0u)),
       {250, 6}},
      {"mls_e2m4", preset("mls_e2m4"), {7, 45}},
      {"mls_e2m1", preset("mls_e2m1"), {5, 33}},
      {"mls_e2m1_nchw", preset("mls_e2m1"), {2, 20, 3, 5}},
      {"fp8_e4m3_tensor", preset("fp8_e4m3_tensor"), {9, 31}},
      {"fp8_e5m2_tensor", preset("fp8_e5m2_tensor"), {301}},
      {"abfp8_e5m2", preset("abfp8_e5m2"), {13, 29}},
  };
  nx::ElementFormat e4m3fn = *nx::lookupMinifloat("e4m3fn");
  nx::ElementFormat e4m3sat = [] {
    nx::MinifloatFormat f = *nx::lookupMinifloat("e4m3fn");
    f.overflow = nx::OverflowPolicy::Saturate;
    return nx::ElementFormat(f);
  }();
  // Power-of-two per-tensor scale rounded up, with a margin; a narrow scale
  // format without NaN (non-finite blocks ignored); f32 block scales;
  // 2-D blocks; a whole-dimension block; given scales at both levels.
  out.push_back(
      {"tensor_pow2_margin",
       {e4m3fn, {level({}, nx::ScaleFormat::e8m0(), R::AmaxToMax, 2)}},
       {4, 50}});
  out.push_back({"pow2_4bit_nonan_blocks",
                 {e4m3sat,
                  {level({8}, nx::ScaleFormat::powerOfTwo(4, 10, false),
                         R::SharedExponent)}},
                 {6, 21}});
  out.push_back(
      {"f32_shared_exponent_blocks",
       {e4m3sat, {level({16}, nx::ScaleFormat::f32(), R::SharedExponent)}},
       {3, 40}});
  out.push_back(
      {"f32_amax_blocks_2d",
       {e4m3sat, {level({4, 8}, nx::ScaleFormat::f32(), R::AmaxToMax, -1)}},
       {10, 19}});
  out.push_back({"whole_rows",
                 {nx::IntegerFormat{8, nx::IntegerEncoding::TwosComplement, 6,
                                    nx::IntegerOverflow::Saturate},
                  {level({-1}, nx::ScaleFormat::e8m0(), R::SharedExponent)}},
                 {3, 5, 17}});
  out.push_back(
      {"given_two_levels",
       {e4m3sat,
        {level({}, nx::ScaleFormat::f32(), R::Given),
         level({16}, nx::ScaleFormat::powerOfTwo(4, 10, true), R::Given)}},
       {4, 40}});
  // Two levels of f32 scales that are not powers of two (decode multiplies
  // by the encode's divisor; the amax element stays within max under `up`
  // rounding in a format that overflows to NaN).
  out.push_back({"f32_amax_tensor_then_blocks",
                 {e4m3fn,
                  {level({}, nx::ScaleFormat::f32(), R::AmaxToMax),
                   level({4}, nx::ScaleFormat::f32(), R::AmaxToMax)}},
                 {9, 64}});
  nx::ScaleLevel median =
      level({}, nx::ScaleFormat::powerOfTwo(5, 20, true), R::MedianLookup);
  median.medianExponent = -2;
  out.push_back(
      {"median_then_blocks",
       {e4m3sat,
        {median, level({24}, nx::ScaleFormat::e8m0(), R::SharedExponent)}},
       {6, 50}});
  out.push_back({"tensor_then_blocks_pow2",
                 {e4m3sat,
                  {level({}, nx::ScaleFormat::e8m0(), R::AmaxToMax),
                   level({2, 16}, nx::ScaleFormat::e8m0(), R::SharedExponent)}},
                 {5, 40}});
  return out;
}

/// The storage element type of a level's scales in this test.
std::string scaleStorageType(const nx::ScaleFormat &f) {
  return f.kind == nx::ScaleKind::F32 ? "f32" : "i" + std::to_string(f.bits);
}

/// A scale tensor (storage type) widened to i32.
std::string scaleToI32(llvm::StringRef name, llvm::StringRef value,
                       llvm::ArrayRef<int64_t> grid, const nx::ScaleFormat &f) {
  std::string t = "tensor<" + shapeText(grid);
  if (f.kind == nx::ScaleKind::F32)
    return llvm::formatv("  %{0} = arith.bitcast %{1} : {2}f32> to {2}i32>\n",
                         name, value, t);
  return llvm::formatv("  %{0} = arith.extui %{1} : {2}i{3}> to {2}i32>\n",
                       name, value, t, f.bits);
}

std::string moduleText(mlir::MLIRContext &ctx, const ScaledCase &c,
                       llvm::ArrayRef<nx::Rounding> rs,
                       llvm::ArrayRef<std::vector<int64_t>> grids) {
  const nx::ScaledFormat &f = c.format;
  std::string format = print(ScaledFormatAttr::fromNumerics(&ctx, f));
  unsigned bits = f.element.bitWidth();
  std::string codeType = "i" + std::to_string(bits);
  std::string tensorType = "tensor<" + shapeText(c.shape) + "f32>";
  std::string codesType = "tensor<" + shapeText(c.shape) + codeType + ">";
  std::string s;
  llvm::raw_string_ostream os(s);
  // Given scales in level order.
  std::string givenOperands, givenTypes;
  int givenIndex = 0;
  for (size_t l = 0; l < f.levels.size(); ++l)
    if (f.levels[l].rule == nx::ScaleRule::Given) {
      givenOperands += (givenOperands.empty() ? "" : ", ") +
                       ("%g" + std::to_string(givenIndex++));
      givenTypes += (givenTypes.empty() ? "" : ", ") +
                    ("tensor<" + shapeText(grids[l]) + "f32>");
    }
  std::string scalesClause =
      givenOperands.empty()
          ? ""
          : " scales(" + givenOperands + " : " + givenTypes + ")";
  std::string scaleTypes;
  for (size_t l = 0; l < f.levels.size(); ++l)
    scaleTypes += ", tensor<" + shapeText(grids[l]) +
                  scaleStorageType(f.levels[l].format) + ">";

  for (size_t i = 0; i < rs.size(); ++i) {
    bool stochastic = rs[i].isStochastic();
    std::string seed = stochastic ? " seed(%seed)" : "";
    if (stochastic && rs[i].source.kind == nx::RandomSourceKind::Data)
      seed += " random_data(%d : tensor<?xf32>)";
    os << llvm::formatv(
        "func.func @encode{0}(%in: memref<?xf32>, %data: memref<?xf32>, "
        "%seed: i64, %given0: memref<?xf32>, %given1: memref<?xf32>, "
        "%codes: memref<?x{1}>, %scales0: memref<?xi32>, %scales1: "
        "memref<?xi32>, %values: memref<?xf32>) attributes "
        "{{llvm.emit_c_interface} {{\n",
        i, codeType);
    os << shaped("x", "in", c.shape, "f32");
    os << "  %d = bufferization.to_tensor %data restrict : memref<?xf32> to "
          "tensor<?xf32>\n";
    givenIndex = 0;
    for (size_t l = 0; l < f.levels.size(); ++l)
      if (f.levels[l].rule == nx::ScaleRule::Given) {
        os << shaped("g" + std::to_string(givenIndex),
                     "given" + std::to_string(givenIndex), grids[l], "f32");
        ++givenIndex;
      }
    std::string rounding = print(RoundingAttr::get(&ctx, rs[i]));
    std::string results = "%c";
    for (size_t l = 0; l < f.levels.size(); ++l)
      results += ", %s" + std::to_string(l);
    os << llvm::formatv("  {0} = qtrain.encode %x{1}{2} {{format = {3}, "
                        "rounding = {4}} : {5} -> {6}{7}\n",
                        results, seed, scalesClause, format, rounding,
                        tensorType, codesType, scaleTypes);
    os << llvm::formatv("  %q = qtrain.quantize %x{0}{1} {{format = {2}, "
                        "rounding = {3}} : {4}\n",
                        seed, scalesClause, format, rounding, tensorType);
    os << store("c", "codes", c.shape, codeType);
    for (size_t l = 0; l < f.levels.size(); ++l) {
      std::string w = "w" + std::to_string(l);
      os << scaleToI32(w, "s" + std::to_string(l), grids[l],
                       f.levels[l].format);
      os << store(w, "scales" + std::to_string(l), grids[l], "i32");
    }
    os << store("q", "values", c.shape, "f32");
    os << "  return\n}\n";
  }

  // decode(codes, scale codes) with the library's codes as input.
  os << llvm::formatv(
      "func.func @decode(%codes: memref<?x{0}>, %scales0: memref<?xi32>, "
      "%scales1: memref<?xi32>, %values: memref<?xf32>) attributes "
      "{{llvm.emit_c_interface} {{\n",
      codeType);
  os << shaped("c", "codes", c.shape, codeType);
  std::string operands = "%c", types = codesType;
  for (size_t l = 0; l < f.levels.size(); ++l) {
    std::string si = "si" + std::to_string(l), sv = "sv" + std::to_string(l);
    os << shaped(si, "scales" + std::to_string(l), grids[l], "i32");
    std::string t = "tensor<" + shapeText(grids[l]);
    if (f.levels[l].format.kind == nx::ScaleKind::F32)
      os << llvm::formatv("  %{0} = arith.bitcast %{1} : {2}i32> to {2}f32>\n",
                          sv, si, t);
    else
      os << llvm::formatv("  %{0} = arith.trunci %{1} : {2}i32> to {2}i{3}>\n",
                          sv, si, t, f.levels[l].format.bits);
    operands += ", %" + sv;
    types += ", " + t + scaleStorageType(f.levels[l].format) + ">";
  }
  os << llvm::formatv("  %v = qtrain.decode {0} {{format = {1}} : {2} -> {3}\n",
                      operands, format, types, tensorType);
  os << store("v", "values", c.shape, "f32");
  os << "  return\n}\n";
  return s;
}

std::vector<nx::Rounding> elementRoundings(const ScaledCase &c) {
  std::vector<nx::Rounding> out;
  const nx::ScaledPreset *p = nx::lookupScaled(c.name);
  out.push_back(p ? p->rounding : nx::Rounding());
  out.push_back(nx::Rounding::deterministic(nx::RoundingMode::TowardZero));
  out.push_back(nx::Rounding::deterministic(nx::RoundingMode::Up));
  out.push_back(nx::Rounding::stochastic(3));
  nx::RandomSource data;
  data.kind = nx::RandomSourceKind::Data;
  data.dataBitOffset = 4;
  out.push_back(nx::Rounding::stochastic(8, data));
  // LFSR sources need blocks that are runs of the row-major order.
  if (c.name != "f32_amax_blocks_2d" && c.name != "tensor_then_blocks_pow2" &&
      c.name != "fb16_rank2_axis0" && c.name != "mls_e2m1_nchw") {
    nx::RandomSource lfsr;
    lfsr.kind = nx::RandomSourceKind::Lfsr;
    lfsr.lfsrWidth = 5;
    lfsr.lfsrLanes = 7;
    out.push_back(nx::Rounding::stochastic(3, lfsr));
    nx::RandomSource plateau;
    plateau.kind = nx::RandomSourceKind::LfsrPlateau;
    plateau.lfsrWidth = 8;
    plateau.lfsrLanes = 16;
    out.push_back(nx::Rounding::stochastic(8, plateau));
  }
  return out;
}

/// Inputs whose blocks span many magnitudes: a per-row scale, occasional
/// zeros, subnormals, NaN and infinities, and a zero block.
std::vector<float> scaledInputs(const ScaledCase &c, std::mt19937_64 &rng,
                                bool specials) {
  int64_t n = product(c.shape);
  std::vector<float> in(n);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::uniform_int_distribution<int> exponent(-20, 20);
  int64_t row = c.shape.back();
  float scale = 1.0f;
  for (int64_t i = 0; i < n; ++i) {
    if (i % row == 0)
      scale = std::ldexp(1.0f, exponent(rng));
    in[i] = normal(rng) * scale;
    uint64_t r = rng() % 31;
    if (r == 0)
      in[i] = 0.0f;
    else if (r == 1)
      in[i] = std::ldexp(1.0f, -140) * normal(rng);
    else if (r == 4) // the element maximum, exactly, at some binade
      in[i] = c.format.element.maxValue() * std::ldexp(1.0f, exponent(rng));
    else if (r == 5) // a power of two
      in[i] = std::ldexp(1.0f, exponent(rng));
    else if (specials && r == 2)
      in[i] = std::numeric_limits<float>::quiet_NaN();
    else if (specials && r == 3)
      in[i] = -std::numeric_limits<float>::infinity();
  }
  for (int64_t i = 0; i < std::min<int64_t>(row, n); ++i)
    in[i] = 0.0f; // an all-zero first row
  return in;
}

class ScaledDiff : public ::testing::TestWithParam<ScaledCase> {};

TEST_P(ScaledDiff, MatchesLibraryBitForBit) {
  const ScaledCase &c = GetParam();
  uint64_t seed = masterSeed();
  SCOPED_TRACE(llvm::formatv("{0} on {1}, replay with QTRAIN_DIFF_SEED={2}",
                             c.name, shapeText(c.shape), seed)
                   .str());
  // The module names c.format (the op resolves rank-2 FlexBlock blocks
  // itself); the grids come from the resolved levels.
  const nx::ScaledFormat f =
      llvm::cantFail(nx::resolveBlocks(c.format, c.shape.size()));
  ASSERT_FALSE(llvm::errorToBool(f.verify()));
  std::vector<std::vector<int64_t>> grids;
  for (const nx::ScaleLevel &l : f.levels) {
    auto g = nx::blockGrid(l, c.shape);
    ASSERT_TRUE(!!g) << llvm::toString(g.takeError());
    grids.emplace_back(g->begin(), g->end());
  }
  auto ctx = createJitContext();
  std::vector<nx::Rounding> rs = elementRoundings(c);
  std::string text = moduleText(*ctx, c, rs, grids);
  // One tile, and tiles of a few blocks each (parallel block ranges).
  for (auto [tile, target] : diffRuns(65536, 40)) {
    SCOPED_TRACE("target " + target + ", tile-elements " +
                 std::to_string(tile));
    JitOptions options;
    options.lowering.tileElements = tile;
    options.lowering.targetCpu = target;
    auto engine = jitCompile(*ctx, text, options);
    ASSERT_TRUE(!!engine) << llvm::toString(engine.takeError()) << "\n" << text;

    std::mt19937_64 rng(seed);
    int64_t n = product(c.shape);
    unsigned bits = f.element.bitWidth();
    std::vector<float> data(129);
    for (float &d : data)
      d = llvm::bit_cast<float>(static_cast<uint32_t>(rng()));
    // Given scales: powers of two and other values, one vector per level,
    // and now and then an invalid one (zero, negative, infinite, NaN).
    const float invalid[] = {0.0f, -0.0f, -1.5f, INFINITY, NAN};
    std::vector<std::vector<float>> given;
    for (size_t l = 0; l < f.levels.size(); ++l)
      if (f.levels[l].rule == nx::ScaleRule::Given) {
        std::vector<float> g(product(grids[l]));
        for (float &v : g)
          v = rng() % 8 == 0 ? invalid[rng() % 5]
                             : std::ldexp(std::uniform_real_distribution<float>(
                                              0.5f, 3.0f)(rng),
                                          static_cast<int>(rng() % 9) - 6);
        given.push_back(g);
      }
    std::vector<float> dummy(1);
    auto given0 = given.size() > 0 ? given[0] : dummy;
    auto given1 = given.size() > 1 ? given[1] : dummy;

    for (bool specials : {false, true}) {
      std::vector<float> in = scaledInputs(c, rng, specials);
      for (size_t i = 0; i < rs.size(); ++i) {
        nx::Rounding r = rs[i];
        int64_t opSeed = static_cast<int64_t>(rng());
        r.source.seed = static_cast<uint64_t>(opSeed);
        bool usesData =
            r.isStochastic() && r.source.kind == nx::RandomSourceKind::Data;
        llvm::ArrayRef<float> randomData =
            usesData ? llvm::ArrayRef<float>(data) : llvm::ArrayRef<float>();
        auto want = nx::encodeScaled(f, c.shape, in, r, given, 0, randomData);
        ASSERT_TRUE(!!want) << llvm::toString(want.takeError());
        std::vector<float> wantValues(n);
        ASSERT_FALSE(llvm::errorToBool(nx::quantizeScaled(
            f, c.shape, in, wantValues, r, given, 0, randomData)));

        std::vector<uint8_t> raw(n * codeBytes(bits));
        std::vector<std::vector<uint32_t>> scales(2, std::vector<uint32_t>(1));
        for (size_t l = 0; l < f.levels.size(); ++l)
          scales[l].assign(product(grids[l]), 0);
        std::vector<float> values(n);
        Memref1D inD = view(in, n), dataD = view(data, data.size()),
                 g0 = view(given0, given0.size()),
                 g1 = view(given1, given1.size()), codesD = view(raw, n),
                 s0 = view(scales[0], scales[0].size()),
                 s1 = view(scales[1], scales[1].size()),
                 valuesD = view(values, n);
        auto fn =
            lookupCInterface<EncodeFn>(**engine, "encode" + std::to_string(i));
        ASSERT_TRUE(!!fn) << llvm::toString(fn.takeError());
        (*fn)(&inD, &dataD, opSeed, &g0, &g1, &codesD, &s0, &s1, &valuesD);

        std::string what = print(RoundingAttr::get(ctx.get(), rs[i])) +
                           (specials ? " with NaN/Inf" : "");
        int bad = 0;
        for (int64_t j = 0; j < n; ++j) {
          uint32_t got = readCode(raw, j, bits);
          uint32_t gotV = llvm::bit_cast<uint32_t>(values[j]);
          uint32_t wantV = llvm::bit_cast<uint32_t>(wantValues[j]);
          if (got == want->codes[j] && gotV == wantV)
            continue;
          if (++bad <= 5)
            ADD_FAILURE() << what << ": element " << j << " input " << in[j]
                          << ": code 0x" << llvm::utohexstr(got) << " want 0x"
                          << llvm::utohexstr(want->codes[j]) << ", value "
                          << values[j] << " want " << wantValues[j];
        }
        for (size_t l = 0; l < f.levels.size(); ++l)
          for (size_t b = 0; b < scales[l].size(); ++b)
            if (scales[l][b] != want->scales[l].codes[b] && ++bad <= 10)
              ADD_FAILURE()
                  << what << ": level " << l << " block " << b
                  << " scale code 0x" << llvm::utohexstr(scales[l][b])
                  << " want 0x" << llvm::utohexstr(want->scales[l].codes[b]);
        EXPECT_EQ(bad, 0) << what;

        // decode of the library's codes.
        std::vector<uint8_t> codesIn(n * codeBytes(bits));
        for (int64_t j = 0; j < n; ++j)
          writeCode(codesIn, j, bits, want->codes[j]);
        std::vector<std::vector<uint32_t>> scaleIn(2, std::vector<uint32_t>(1));
        for (size_t l = 0; l < f.levels.size(); ++l)
          scaleIn[l] = want->scales[l].codes;
        std::vector<float> decoded(n), wantDecoded(n);
        ASSERT_FALSE(llvm::errorToBool(
            nx::decodeScaled(f, c.shape, *want, wantDecoded)));
        Memref1D ci = view(codesIn, n),
                 si0 = view(scaleIn[0], scaleIn[0].size()),
                 si1 = view(scaleIn[1], scaleIn[1].size()),
                 out = view(decoded, n);
        auto dec = lookupCInterface<DecodeFn>(**engine, "decode");
        ASSERT_TRUE(!!dec) << llvm::toString(dec.takeError());
        (*dec)(&ci, &si0, &si1, &out);
        int badDecode = 0;
        for (int64_t j = 0; j < n; ++j)
          if (llvm::bit_cast<uint32_t>(decoded[j]) !=
                  llvm::bit_cast<uint32_t>(wantDecoded[j]) &&
              ++badDecode <= 5)
            ADD_FAILURE() << what << ": decode element " << j << ": "
                          << decoded[j] << " want " << wantDecoded[j];
        EXPECT_EQ(badDecode, 0) << what << " decode";
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Formats, ScaledDiff,
                         ::testing::ValuesIn(scaledCases()),
                         [](const ::testing::TestParamInfo<ScaledCase> &info) {
                           return info.param.name;
                         });

} // namespace
