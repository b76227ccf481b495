//===- QTrainToVectorDiffTest.cpp - JIT-compiled lowering vs the library --===//
//
// The randomised differential test of the CPU lowering: every element format
// (presets and parametric corners), every rounding mode and random source,
// inputs with NaN, infinities, zeros, subnormals and overflow, compiled by
// qtrain-to-llvm for this machine and compared bit for bit with the numerics
// library. Set QTRAIN_DIFF_SEED to replay a failure (the seed is printed).
//
//===----------------------------------------------------------------------===//

#include "DiffTestUtil.h"

#include "../Numerics/Sweep.h"

#include "qtrain/Dialect/QTrain/IR/QTrainAttrs.h"
#include "qtrain/ExecutionEngine/Jit.h"
#include "qtrain/Numerics/ElementFormat.h"
#include "qtrain/Numerics/Presets.h"

#include "llvm/Support/FormatVariadic.h"

#include "gtest/gtest.h"

#include <cstdlib>
#include <cstring>
#include <random>

using namespace qtrain;
namespace nx = qtrain::numerics;
using nx::test::hex;
using namespace qtrain::difftest;

namespace {

using CaseFn = void(Memref1D *in, Memref1D *data, int64_t seed, Memref1D *codes,
                    Memref1D *values);
using DecodeFn = void(Memref1D *codes, Memref1D *values);

/// The rounding rules under test: the five IEEE modes, and stochastic
/// rounding with every source and variant, k in {1, 3, 8, 24}, LFSR lane
/// counts that do and do not divide the vector width.
std::vector<nx::Rounding> roundings() {
  std::vector<nx::Rounding> out;
  for (nx::RoundingMode m : nx::test::kDeterministicModes) {
    nx::Rounding r;
    r.mode = m;
    out.push_back(r);
  }
  auto sr = [](unsigned k, nx::RandomSourceKind kind,
               nx::StochasticVariant v = nx::StochasticVariant::Compare) {
    nx::Rounding r;
    r.mode = nx::RoundingMode::Stochastic;
    r.randomBits = k;
    r.variant = v;
    r.source.kind = kind;
    return r;
  };
  using K = nx::RandomSourceKind;
  for (unsigned k : {1u, 3u, 8u, 24u}) {
    out.push_back(sr(k, K::Counter));
    nx::Rounding l = sr(k, K::Lfsr);
    l.source.lfsrWidth = std::max(k, 2u);
    out.push_back(l);
  }
  out.push_back(sr(3, K::Counter, nx::StochasticVariant::AddTruncate));
  nx::Rounding l5 = sr(3, K::Lfsr, nx::StochasticVariant::AddTruncate);
  l5.source.lfsrWidth = 5;
  l5.source.lfsrLanes = 5;
  out.push_back(l5);
  nx::Rounding p3 = sr(3, K::LfsrPlateau);
  p3.source.lfsrWidth = 3;
  out.push_back(p3);
  nx::Rounding p8 = sr(8, K::LfsrPlateau, nx::StochasticVariant::AddTruncate);
  p8.source.lfsrWidth = 8;
  p8.source.lfsrLanes = 33;
  p8.source.lfsrTaps = 0x8E; // not the default: custom taps reach the code
  out.push_back(p8);
  out.push_back(sr(3, K::Data));
  nx::Rounding d8 = sr(8, K::Data);
  d8.source.dataBitOffset = 20;
  out.push_back(d8);
  // ESRU: a 3-bit random number placed in 8 (or 24) discarded bits.
  nx::Rounding esru = p3;
  esru.discardedBits = 8;
  out.push_back(esru);
  nx::Rounding esruAdd = sr(3, K::Counter, nx::StochasticVariant::AddTruncate);
  esruAdd.discardedBits = 24;
  out.push_back(esruAdd);
  return out;
}

struct FormatCase {
  std::string name;
  nx::ElementFormat format;
};

/// Test names in gtest and ctest output.
void PrintTo(const FormatCase &c, std::ostream *os) { *os << c.name; }

std::vector<FormatCase> formatCases() {
  std::vector<FormatCase> out;
  for (const nx::MinifloatPreset &p : nx::minifloatPresets())
    out.push_back({p.name.str(), p.format});
  for (const nx::test::NamedMinifloat &c : nx::test::customMinifloatFormats())
    if (!nx::lookupMinifloat(c.name)) // some corners are presets
      out.push_back({c.name, c.format});
  for (const nx::IntegerFormat &f : nx::test::integerCorners())
    out.push_back({llvm::formatv("int{0}_enc{1}_frac{2}_ovf{3}", f.bits,
                                 static_cast<int>(f.encoding), f.fractionBits,
                                 static_cast<int>(f.overflow))
                       .str(),
                   f});
  // 32-bit codes and the FlexBlock element.
  out.push_back({"int32_frac-3",
                 nx::IntegerFormat{32, nx::IntegerEncoding::TwosComplement, -3,
                                   nx::IntegerOverflow::Saturate}});
  out.push_back(
      {"uint32_wrap", nx::IntegerFormat{32, nx::IntegerEncoding::Unsigned, 4,
                                        nx::IntegerOverflow::Wrap}});
  out.push_back(
      {"sm9_frac7", nx::IntegerFormat{9, nx::IntegerEncoding::SignMagnitude, 7,
                                      nx::IntegerOverflow::Saturate}});
  return out;
}

/// Inputs that reach every rounding decision of an integer format: grid
/// points, midpoints and quarter points over twice the range, and beyond.
std::vector<float> integerSweep(const nx::IntegerFormat &f,
                                std::mt19937_64 &rng) {
  std::vector<float> in;
  double step = std::ldexp(1.0, -f.fractionBits);
  double lo = static_cast<double>(f.minInteger()) * 2 - 4;
  double hi = static_cast<double>(f.maxInteger()) * 2 + 4;
  bool dense = hi - lo < 8192;
  for (int i = 0; i < (dense ? static_cast<int>(hi - lo) * 4 : 1 << 15); ++i) {
    double v =
        dense ? lo + i * 0.25
              : std::ldexp(std::uniform_real_distribution<double>(-1, 1)(rng),
                           std::uniform_int_distribution<int>(-4, 34)(rng));
    nx::test::addNeighbours(in, static_cast<float>(v * step), 1);
  }
  for (double v :
       {static_cast<double>(f.maxInteger()),
        static_cast<double>(f.minInteger()), 0x1p62, 0x1p64, 0x1p100})
    nx::test::addNeighbours(in, static_cast<float>(v * step), 2);
  return in;
}

std::vector<float> inputsFor(const nx::ElementFormat &f, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<float> in;
  if (const nx::MinifloatFormat *m = f.minifloat()) {
    in = nx::test::denseSweep(*m);
    std::vector<float> r = nx::test::randomInputs(*m, 8192, seed);
    in.insert(in.end(), r.begin(), r.end());
  } else {
    in = integerSweep(*f.integer(), rng);
    for (int i = 0; i < 8192; ++i)
      in.push_back(llvm::bit_cast<float>(static_cast<uint32_t>(rng())));
  }
  float inf = std::numeric_limits<float>::infinity();
  for (uint32_t bits : {0x7fc00000u, 0xffc00000u, 0x7f800001u, 0xffffffffu,
                        0x00000001u, 0x807fffffu, 0x00400000u})
    in.push_back(llvm::bit_cast<float>(bits));
  in.push_back(inf);
  in.push_back(-inf);
  std::shuffle(in.begin(), in.end(), rng);
  // An element count that leaves a tail for every vector width tried.
  while (in.size() % 16 != 13)
    in.push_back(-0.0f);
  return in;
}

mlir::Attribute formatAttr(mlir::MLIRContext &ctx, const nx::ElementFormat &f) {
  if (const nx::MinifloatFormat *m = f.minifloat())
    return FloatFormatAttr::get(&ctx, *m);
  return IntFormatAttr::get(&ctx, *f.integer());
}

/// One function per rounding (encode and quantize of the same input) and
/// a decode function.
std::string moduleText(mlir::MLIRContext &ctx, const nx::ElementFormat &f,
                       llvm::ArrayRef<nx::Rounding> rs) {
  std::string format = print(formatAttr(ctx, f));
  unsigned bits = f.bitWidth();
  std::string s;
  llvm::raw_string_ostream os(s);
  for (size_t i = 0; i < rs.size(); ++i) {
    bool stochastic = rs[i].isStochastic();
    bool data = stochastic && rs[i].source.kind == nx::RandomSourceKind::Data;
    std::string seed = stochastic ? " seed(%seed)" : "";
    if (data)
      seed += " random_data(%d : tensor<?xf32>)";
    os << llvm::formatv(R"(
func.func @case{0}(%in: memref<?xf32>, %data: memref<?xf32>, %seed: i64,
                   %codes: memref<?xi{1}>, %values: memref<?xf32>)
    attributes {{llvm.emit_c_interface} {
  %t = bufferization.to_tensor %in restrict : memref<?xf32> to tensor<?xf32>
  %d = bufferization.to_tensor %data restrict : memref<?xf32> to tensor<?xf32>
  %c = qtrain.encode %t{2} {{format = {3}, rounding = {4}}
      : tensor<?xf32> -> tensor<?xi{1}>
  %q = qtrain.quantize %t{2} {{format = {3}, rounding = {4}} : tensor<?xf32>
  bufferization.materialize_in_destination %c in restrict writable %codes
      : (tensor<?xi{1}>, memref<?xi{1}>) -> ()
  bufferization.materialize_in_destination %q in restrict writable %values
      : (tensor<?xf32>, memref<?xf32>) -> ()
  return
}
)",
                        i, bits, seed, format,
                        print(RoundingAttr::get(&ctx, rs[i])));
  }
  os << llvm::formatv(R"(
func.func @decode(%codes: memref<?xi{0}>, %values: memref<?xf32>)
    attributes {{llvm.emit_c_interface} {
  %c = bufferization.to_tensor %codes restrict : memref<?xi{0}> to tensor<?xi{0}>
  %v = qtrain.decode %c {{format = {1}} : tensor<?xi{0}> -> tensor<?xf32>
  bufferization.materialize_in_destination %v in restrict writable %values
      : (tensor<?xf32>, memref<?xf32>) -> ()
  return
}
)",
                      bits, format);
  return s;
}

std::string describe(mlir::MLIRContext &ctx, const nx::Rounding &r) {
  return print(RoundingAttr::get(&ctx, r));
}

/// Compiles the format's module for `target` with `width` lanes (0: the
/// target's) and compares every function with the library on the format's
/// inputs.
void checkFormat(const FormatCase &fc, int64_t width,
                 int64_t tileElements = 65536,
                 const std::string &target = "host") {
  uint64_t seed = masterSeed();
  SCOPED_TRACE(llvm::formatv("format {0}, target {1}, vector width {2}, "
                             "tiles of {3}, replay with QTRAIN_DIFF_SEED={4}",
                             fc.name, target, width, tileElements, seed)
                   .str());
  auto ctx = createJitContext();
  std::vector<nx::Rounding> rs = roundings();
  std::string text = moduleText(*ctx, fc.format, rs);
  JitOptions options;
  options.lowering.vectorWidth = width;
  options.lowering.tileElements = tileElements;
  options.lowering.targetCpu = target;
  auto engine = jitCompile(*ctx, text, options);
  ASSERT_TRUE(!!engine) << llvm::toString(engine.takeError()) << "\n" << text;

  const nx::ElementFormat &f = fc.format;
  unsigned bits = f.bitWidth();
  std::vector<float> in = inputsFor(f, seed);
  int64_t n = static_cast<int64_t>(in.size());
  std::mt19937_64 rng(seed ^ 0x5eed);
  std::vector<float> data(777);
  for (float &d : data)
    d = llvm::bit_cast<float>(static_cast<uint32_t>(rng()));

  for (size_t i = 0; i < rs.size(); ++i) {
    const nx::Rounding &r = rs[i];
    int64_t opSeed = static_cast<int64_t>(rng());
    nx::Rounding lib = r;
    lib.source.seed = static_cast<uint64_t>(opSeed);
    ASSERT_FALSE(llvm::errorToBool(lib.verify()));

    std::vector<uint8_t> raw(n * codeBytes(bits));
    std::vector<float> values(n);
    auto fn = lookupCInterface<CaseFn>(**engine, "case" + std::to_string(i));
    ASSERT_TRUE(!!fn) << llvm::toString(fn.takeError());
    Memref1D inD = view(in, n), dataD = view(data, 777), codesD = view(raw, n),
             valuesD = view(values, n);
    (*fn)(&inD, &dataD, opSeed, &codesD, &valuesD);

    std::vector<uint32_t> wantCodes(n);
    std::vector<float> wantValues(n);
    llvm::ArrayRef<float> randomData =
        r.isStochastic() && r.source.kind == nx::RandomSourceKind::Data
            ? llvm::ArrayRef<float>(data)
            : llvm::ArrayRef<float>();
    if (const nx::MinifloatFormat *m = f.minifloat()) {
      nx::encode(*m, in, wantCodes, lib, 0, randomData);
      nx::quantize(*m, in, wantValues, lib, 0, randomData);
    } else {
      nx::encode(*f.integer(), in, wantCodes, lib, 0, randomData);
      nx::quantize(*f.integer(), in, wantValues, lib, 0, randomData);
    }
    int mismatches = 0;
    for (int64_t j = 0; j < n; ++j) {
      uint32_t got = readCode(raw, j, bits);
      uint32_t gotValue = llvm::bit_cast<uint32_t>(values[j]);
      uint32_t wantValue = llvm::bit_cast<uint32_t>(wantValues[j]);
      if (got == wantCodes[j] && gotValue == wantValue)
        continue;
      if (++mismatches <= 5)
        ADD_FAILURE() << describe(*ctx, r) << " seed " << opSeed << ": element "
                      << j << " input " << nx::test::hexBits(in[j]) << " ("
                      << in[j] << "): code " << hex(got) << " want "
                      << hex(wantCodes[j]) << ", value " << hex(gotValue)
                      << " want " << hex(wantValue);
    }
    EXPECT_EQ(mismatches, 0) << describe(*ctx, r);
  }

  // Decode: every code of formats up to 16 bits, random codes beyond.
  int64_t count = bits <= 16 ? int64_t(1) << bits : 65536 + 3;
  std::vector<uint8_t> raw(count * codeBytes(bits));
  std::vector<uint32_t> codes(count);
  for (int64_t c = 0; c < count; ++c) {
    codes[c] = bits <= 16 ? static_cast<uint32_t>(c)
                          : static_cast<uint32_t>(rng()) &
                                (bits == 32 ? ~0u : (1u << bits) - 1);
    writeCode(raw, c, bits, codes[c]);
  }
  std::vector<float> values(count);
  auto decode = lookupCInterface<DecodeFn>(**engine, "decode");
  ASSERT_TRUE(!!decode) << llvm::toString(decode.takeError());
  Memref1D codesD = view(raw, count), valuesD = view(values, count);
  (*decode)(&codesD, &valuesD);
  int mismatches = 0;
  for (int64_t c = 0; c < count; ++c) {
    uint32_t want = llvm::bit_cast<uint32_t>(f.decode(codes[c]));
    uint32_t got = llvm::bit_cast<uint32_t>(values[c]);
    if (got != want && ++mismatches <= 5)
      ADD_FAILURE() << "decode " << hex(codes[c]) << ": " << hex(got)
                    << " want " << hex(want);
  }
  EXPECT_EQ(mismatches, 0) << "decode";
}

class ElementDiff : public ::testing::TestWithParam<FormatCase> {};

/// Each target's own code (its vector width and instruction selection).
TEST_P(ElementDiff, MatchesLibraryBitForBit) {
  for (const std::string &target : diffTargets())
    checkFormat(GetParam(), 0, 65536, target);
}

INSTANTIATE_TEST_SUITE_P(Formats, ElementDiff,
                         ::testing::ValuesIn(formatCases()),
                         [](const ::testing::TestParamInfo<FormatCase> &info) {
                           std::string s = info.param.name;
                           for (char &c : s)
                             if (!isalnum(static_cast<unsigned char>(c)))
                               c = '_';
                           return s;
                         });

/// Small parallel tiles (many tiles, a partial last one) and a single thread
/// give the same bits.
TEST(ElementDiffTiles, SmallTilesAndOneThread) {
  for (int64_t tile : {0, 1000, 4096}) {
    checkFormat({"e4m3fn", *nx::lookupMinifloat("e4m3fn")}, 16, tile);
    checkFormat({"e2m1fn", *nx::lookupMinifloat("e2m1fn")}, 16, tile);
  }
}

/// Other vector widths: odd lane counts, a single lane, a width that does
/// not divide the LFSR lane counts.
TEST(ElementDiffWidths, OddAndScalarWidths) {
  for (int64_t width : {1, 3, 8, 16}) {
    checkFormat({"e4m3fn", *nx::lookupMinifloat("e4m3fn")}, width);
    checkFormat(
        {"int8_frac6", nx::IntegerFormat{8, nx::IntegerEncoding::TwosComplement,
                                         6, nx::IntegerOverflow::Saturate}},
        width);
  }
}

} // namespace

namespace {

/// A masked tail of byte codes writes only its lanes: a static tail of one
/// element (a constant single-lane mask, which LLVM 22's x86 back end stored
/// as four bytes) must leave the bytes after the tensor untouched, on both
/// ISAs.
TEST(ElementDiffTails, ByteCodesStayInBounds) {
  const char *text = R"(
func.func @encode(%in: memref<17xf32>, %out: memref<17xi8>)
    attributes {llvm.emit_c_interface} {
  %x = bufferization.to_tensor %in restrict : memref<17xf32> to tensor<17xf32>
  %c = qtrain.encode %x {format = #qtrain.fp<e4m3fn>} : tensor<17xf32> -> tensor<17xi8>
  bufferization.materialize_in_destination %c in restrict writable %out
      : (tensor<17xi8>, memref<17xi8>) -> ()
  return
}
)";
  using EncodeFn = void(Memref1D *, Memref1D *);
  for (const std::string &target : diffTargets()) {
    SCOPED_TRACE("target " + target);
    auto ctx = createJitContext();
    JitOptions options;
    options.lowering.targetCpu = target;
    options.lowering.tileElements = 0;
    auto engine = jitCompile(*ctx, text, options);
    ASSERT_TRUE(!!engine) << llvm::toString(engine.takeError());
    auto fn = lookupCInterface<EncodeFn>(**engine, "encode");
    ASSERT_TRUE(!!fn) << llvm::toString(fn.takeError());
    std::vector<float> in(17, 1.5f);
    std::vector<uint8_t> out(32, 0xAA);
    Memref1D inD = memref1D(in.data(), 17), outD = memref1D(out.data(), 17);
    (*fn)(&inD, &outD);
    uint32_t want =
        nx::encode(*nx::lookupMinifloat("e4m3fn"), 1.5f, nx::Rounding());
    for (int i = 0; i < 17; ++i)
      EXPECT_EQ(out[i], want) << "code " << i;
    for (int i = 17; i < 32; ++i)
      EXPECT_EQ(out[i], 0xAA) << "byte " << i << " past the tensor";
  }
}

} // namespace
