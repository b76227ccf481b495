//===- SimGemmTest.cpp - GEMM against numerics::gemm ----------------------===//
//
// A matmul loaded into the scratchpads and run as K-tiled GEMMs (init on
// the first tile, finish on the last) gives numerics::gemm's bits for every
// accumulation: f32, static groups, a product format, fixed-point groups,
// ideal DGA with each count rule, efficient DGA per output and with a shared
// threshold (carried between the K-tiles in a threshold register); with f32
// operands and with MXFP8 operands in plain and paired lanes. Inputs
// include NaN, infinities, zeros and subnormals.
//
//===----------------------------------------------------------------------===//

#include "SimTestUtils.h"

#include "qtrain/Accel/Layout.h"
#include "qtrain/Numerics/Presets.h"
#include "qtrain/Numerics/ScaledFormat.h"

using namespace llvm;
using namespace qtrain::numerics;
using namespace qtrain::accel::sim;
using namespace qtrain::accel::sim::test;
using qtrain::accel::FormatPlacement;

namespace {

constexpr uint64_t kA = 0x1000, kW = 0x10000, kC = 0x20000;

struct Operand {
  ScaledFormat format{MinifloatFormat(), {}}; ///< Reference blocks 2-D.
  bool paired = false;
  int64_t by = 1, bx = 1; ///< Blocks in transfer coordinates (y, x).
};

struct Matmul {
  int64_t m = 5, n = 7, k = 150;
  int64_t kTile = 64;
  Operand a, b;
  uint64_t mode = qtrain::accel::GemmMode::F32;
};

AccumulationSpec fp12(Grouping g) {
  AccumulationSpec s;
  s.accumulator = MinifloatFormat::standard(5, 6);
  s.outer = MinifloatFormat();
  s.grouping = g;
  return s;
}

std::vector<std::pair<std::string, AccumulationSpec>> specs() {
  std::vector<std::pair<std::string, AccumulationSpec>> v;
  v.push_back({"f32", AccumulationSpec()});
  AccumulationSpec s = fp12(Grouping::Static);
  s.accumulator = MinifloatFormat::standard(5, 10);
  s.groupSize = 8;
  v.push_back({"static8_f16", s});
  AccumulationSpec p;
  p.product = MinifloatFormat::standard(8, 7);
  p.rounding = RoundingMode::TowardZero;
  v.push_back({"bf16_products_toward_zero", p});
  AccumulationSpec fixed;
  fixed.grouping = Grouping::Static;
  fixed.groupSize = 16;
  fixed.fixedPoint = IntegerFormat{24, IntegerEncoding::TwosComplement, 12,
                                   IntegerOverflow::Saturate};
  v.push_back({"fixed_point_groups", fixed});
  AccumulationSpec wrap = fixed;
  wrap.fixedPoint->bits = 12;
  wrap.fixedPoint->overflow = IntegerOverflow::Wrap;
  v.push_back({"fixed_point_wrap", wrap});
  for (DgaCount c :
       {DgaCount::AfterReset, DgaCount::ClosedGroup, DgaCount::Running}) {
    AccumulationSpec d = fp12(Grouping::IdealDGA);
    d.dgaCount = c;
    d.initialThreshold = 0.75;
    v.push_back({"ideal_dga_" + stringifyDgaCount(c).str(), d});
  }
  AccumulationSpec e = fp12(Grouping::EfficientDGA);
  e.shiftC = 4;
  e.initialThreshold = 1.0;
  v.push_back({"efficient_dga", e});
  e.sharedThreshold = true;
  e.shiftC = 2;
  v.push_back({"efficient_dga_shared", e});
  return v;
}

/// Runs the matmul A[m, k] W[k, n] on the model; C as f32.
std::string runMatmul(const Matmul &mm, const AccumulationSpec &spec,
                      ArrayRef<float> a, ArrayRef<float> w,
                      std::vector<float> &c) {
  std::unique_ptr<Simulator> sim = makeSim();
  writeFloats(*sim, kA, a);
  writeFloats(*sim, kW, w);
  std::string text;
  raw_string_ostream os(text);
  os << roundingWords(0, Rounding::nearestEven()) << accumWords(0, spec);
  unsigned lanes[2], rows[2];
  std::string tensorScales;
  for (unsigned i = 0; i < 2; ++i) {
    const Operand &o = i ? mm.b : mm.a;
    FormatPlacement p;
    p.layout = o.paired ? qtrain::accel::SpLayout::Paired
                        : qtrain::accel::SpLayout::Plain;
    p.blockY = o.by;
    p.blockX = o.bx;
    p.scaleEntry = 4000 + i;
    os << formatWords(i, o.format, p);
    if (!o.format.levels.empty() && o.format.levels[0].blockShape.empty()) {
      // The tensor scale select_scale would compute, in ACC 4000 + i.
      float t = blockScale(o.format.levels[0], o.format.element, i ? w : a);
      writeFloats(*sim, 0x30000 + 4 * i, {t});
      tensorScales += "load dst=acc td=3 layout=raw32 dram_addr=" +
                      std::to_string(0x30000 + 4 * i) +
                      " chip_row=" + std::to_string(4000 + i) +
                      " size_z=1 size_y=1 "
                      "size_x=1\n";
    }
    const ScaleFormat *bf =
        o.format.levels.empty() ? nullptr : &o.format.levels.back().format;
    lanes[i] = qtrain::accel::laneLayout(o.format.element, bf, o.paired, 64)
                   .lanesPerRow;
    rows[i] = (mm.k + lanes[i] - 1) / lanes[i];
  }
  // td 0: rows of A (y = i, x = kk); td 1: columns of W (y = j, x = kk);
  // td 2: C.
  os << "cfg.td_dram td=0 dram_stride_y=" << mm.k << " dram_stride_x=1\n"
     << "cfg.td_chip td=0 chip_stride_y=" << rows[0] * lanes[0]
     << " chip_stride_x=1\n"
     << "cfg.td_dram td=1 dram_stride_y=1 dram_stride_x=" << mm.n << "\n"
     << "cfg.td_chip td=1 chip_stride_y=" << rows[1] * lanes[1]
     << " chip_stride_x=1\n"
     << "cfg.td_dram td=2 dram_stride_y=" << mm.n << " dram_stride_x=1\n"
     << "cfg.td_chip td=2 chip_stride_y=" << mm.n << " chip_stride_x=1\n"
     << "cfg.td_dram td=3 dram_stride_x=1\ncfg.td_chip td=3 chip_stride_x=1\n"
     << tensorScales;
  os << "load dst=sp_input format=0 td=0 layout=f32 dram_addr=" << kA
     << " chip_row=0 size_z=1 size_y=" << mm.m << " size_x=" << mm.k << "\n"
     << "load push_next dst=sp_weight format=1 td=1 layout=f32 dram_addr=" << kW
     << " chip_row=0 size_z=1 size_y=" << mm.n << " size_x=" << mm.k << "\n";
  int64_t tiles = (mm.k + mm.kTile - 1) / mm.kTile;
  for (int64_t t = 0; t < tiles; ++t) {
    os << "gemm" << (t == 0 ? " pop_prev" : "")
       << (t == tiles - 1 ? " push_next finish" : "") << (t == 0 ? " init" : "")
       << " format_a=0 format_b=1 accum=0 mode="
       << qtrain::accel::getEnumCases("GemmMode")[mm.mode].text
       << " threshold_reg=2"
       << " a_row=" << t * mm.kTile / lanes[0]
       << " a_rows_per_vector=" << rows[0]
       << " b_row=" << t * mm.kTile / lanes[1]
       << " b_rows_per_vector=" << rows[1] << " acc_entry=100 m=" << mm.m
       << " n=" << mm.n << " k=" << std::min(mm.kTile, mm.k - t * mm.kTile)
       << "\n";
  }
  os << "store pop_prev format=0 td=2 layout=raw32 dram_addr=" << kC
     << " acc_entry=100 size_z=1 size_y=" << mm.m << " size_x=" << mm.n << "\n";
  std::string err = runProgram(*sim, text);
  if (!err.empty())
    return err + "\n" + text;
  c = readFloats(*sim, kC, mm.m * mm.n);
  return "";
}

/// The reference: operands quantized by the library (A as [m, k], W as
/// [k, n] or, for B blocks along kk, as W^T [n, k]), then numerics::gemm.
std::vector<float> reference(const Matmul &mm, const AccumulationSpec &spec,
                             ArrayRef<float> a, ArrayRef<float> w) {
  std::vector<float> aq(a.size()), wq(w.size());
  cantFail(quantizeScaled(mm.a.format, {mm.m, mm.k}, a, aq, Rounding()));
  if (mm.b.by > 1) { // blocks along j: W's rows
    cantFail(quantizeScaled(mm.b.format, {mm.k, mm.n}, w, wq, Rounding()));
  } else { // blocks along kk: W^T's rows
    std::vector<float> wt(w.size()), wtq(w.size());
    for (int64_t kk = 0; kk < mm.k; ++kk)
      for (int64_t j = 0; j < mm.n; ++j)
        wt[j * mm.k + kk] = w[kk * mm.n + j];
    cantFail(quantizeScaled(mm.b.format, {mm.n, mm.k}, wt, wtq, Rounding()));
    for (int64_t kk = 0; kk < mm.k; ++kk)
      for (int64_t j = 0; j < mm.n; ++j)
        wq[kk * mm.n + j] = wtq[j * mm.k + kk];
  }
  std::vector<float> c(mm.m * mm.n);
  cantFail(gemm(aq, wq, c, mm.m, mm.n, mm.k, spec));
  return c;
}

void checkMatmul(const Matmul &mm, const std::string &what) {
  for (auto &[name, spec] : specs())
    for (bool specials : {false, true}) {
      std::vector<float> a = randomValues(mm.m * mm.k, 21, specials);
      std::vector<float> w = randomValues(mm.k * mm.n, 22, specials);
      std::vector<float> c;
      ASSERT_EQ(runMatmul(mm, spec, a, w, c), "") << what << " " << name;
      expectSameBits(c, reference(mm, spec, a, w),
                     what + " " + name + (specials ? " with specials" : ""));
    }
}

TEST(AccelSimGemm, F32OperandsEveryAccumulation) {
  Matmul mm; // f32 operands: the accumulation alone
  checkMatmul(mm, "f32 operands");
  mm.kTile = 16; // one lane row per K-tile
  checkMatmul(mm, "f32 operands, K-tiles of 16");
}

TEST(AccelSimGemm, MXOperandsPlainAndPaired) {
  Matmul mm;
  ScaledFormat mx = lookupScaled("mxfp8_e4m3")->format;
  mx.levels[0].blockShape = {1, 32};
  mm.a.format = mx;
  mm.a.bx = 32;
  mm.mode = qtrain::accel::GemmMode::M4;
  // B's blocks along kk: plain lanes with row scale groups.
  mm.b.format = mx;
  mm.b.bx = 32;
  checkMatmul(mm, "MXFP8 plain x plain");
  // B's blocks along j (W's rows, the docs' example): paired lanes.
  mm.b.paired = true;
  mm.b.bx = 1;
  mm.b.by = 32;
  checkMatmul(mm, "MXFP8 plain x paired");
}

TEST(AccelSimGemm, TensorScaledIntegerAndHalfOperands) {
  // FB16's sign-magnitude integers in blocks of 16 along K (16-bit lanes)
  // times MXINT8 (8-bit lanes), both in the m8 mode.
  Matmul mm;
  mm.k = 96;
  mm.kTile = 64; // a K-tile starts a row of both operands' lanes
  const ScaledPreset *fb16 = lookupScaled("fb16");
  ScaleLevel l;
  l.blockShape = {1, 16};
  l.format = ScaleFormat::e8m0();
  mm.a.format = ScaledFormat{fb16->format.element, {l}};
  mm.a.bx = 16;
  ScaledFormat mxint8 = lookupScaled("mxint8")->format;
  mxint8.levels[0].blockShape = {1, 32};
  mm.b.format = mxint8;
  mm.b.bx = 32;
  mm.mode = qtrain::accel::GemmMode::M8;
  std::vector<float> a = randomValues(mm.m * mm.k, 31);
  std::vector<float> w = randomValues(mm.k * mm.n, 32);
  std::vector<float> c;
  ASSERT_EQ(runMatmul(mm, AccumulationSpec(), a, w, c), "");
  expectSameBits(c, reference(mm, AccumulationSpec(), a, w), "fb16 x mxint8");
  // MLS 1-2-4 (an f32 tensor scale in the row sidecars, then 3-bit group
  // scales) times per-tensor scaled E4M3.
  Matmul mls = mm;
  ScaleLevel tensor;
  tensor.format = ScaleFormat::f32();
  tensor.rule = ScaleRule::AmaxToMax;
  ScaleLevel group;
  group.blockShape = {1, 16};
  group.format = ScaleFormat::powerOfTwo(3, 7, false);
  group.rule = ScaleRule::AmaxToMax;
  mls.a.format = ScaledFormat{*lookupMinifloat("mls_e2m4"), {tensor, group}};
  mls.a.bx = 16;
  mls.b.format = lookupScaled("fp8_e4m3_tensor")->format;
  mls.b.bx = 1;
  for (bool specials : {false, true}) {
    a = randomValues(mm.m * mm.k, 33, specials);
    w = randomValues(mm.k * mm.n, 34, specials);
    ASSERT_EQ(runMatmul(mls, AccumulationSpec(), a, w, c), "");
    expectSameBits(c, reference(mls, AccumulationSpec(), a, w),
                   "mls_e2m4 x fp8_e4m3_tensor");
  }
  // f16 (m16) times bf16 (m8) in the m16 mode.
  Matmul halves;
  halves.a.format = ScaledFormat{MinifloatFormat::standard(5, 10), {}};
  halves.b.format = ScaledFormat{MinifloatFormat::standard(8, 7), {}};
  halves.mode = qtrain::accel::GemmMode::M16;
  a = randomValues(halves.m * halves.k, 35);
  w = randomValues(halves.k * halves.n, 36);
  ASSERT_EQ(runMatmul(halves, AccumulationSpec(), a, w, c), "");
  expectSameBits(c, reference(halves, AccumulationSpec(), a, w), "f16 x bf16");
  // A larger mode than needed is legal; a smaller one is not.
  mm.mode = qtrain::accel::GemmMode::F32;
  ASSERT_EQ(runMatmul(mm, AccumulationSpec(), a, w, c), "");
  mm.mode = qtrain::accel::GemmMode::M4;
  EXPECT_NE(runMatmul(mm, AccumulationSpec(), a, w, c)
                .find("mode m4 is narrower than A's format entry 0 (a 8-bit "
                      "significand needs m8)"),
            std::string::npos);
}

} // namespace

//===----------------------------------------------------------------------===//
// A shared E-DGA contraction in parts (docs/Accelerator.md, GEMM)
//===----------------------------------------------------------------------===//

namespace {

/// The shared E-DGA accumulation of these tests: groups close often.
AccumulationSpec sharedEdga() {
  AccumulationSpec e = fp12(Grouping::EfficientDGA);
  e.sharedThreshold = true;
  e.shiftC = 2;
  e.initialThreshold = 1.0;
  return e;
}

/// The cfg words of f32 operands (format entries 0 and 1) and `spec`
/// (accumulation entry 0), and transfer descriptors 0 (A's rows: y = i,
/// x = kk), 1 (W's columns: y = j, x = kk), both `vectorSlots` slots per
/// K-vector, and 2 (C and state images: n per output row).
std::string partsPreamble(const AccumulationSpec &spec, int64_t k, int64_t n,
                          int64_t vectorSlots = 16) {
  std::string text;
  raw_string_ostream os(text);
  ScaledFormat f32{MinifloatFormat(), {}};
  os << roundingWords(0, Rounding::nearestEven()) << accumWords(0, spec)
     << formatWords(0, f32, FormatPlacement())
     << formatWords(1, f32, FormatPlacement())
     << "cfg.td_dram td=0 dram_stride_y=" << k << " dram_stride_x=1\n"
     << "cfg.td_chip td=0 chip_stride_y=" << vectorSlots << " chip_stride_x=1\n"
     << "cfg.td_dram td=1 dram_stride_y=1 dram_stride_x=" << n << "\n"
     << "cfg.td_chip td=1 chip_stride_y=" << vectorSlots << " chip_stride_x=1\n"
     << "cfg.td_dram td=2 dram_stride_y=" << n << " dram_stride_x=1\n"
     << "cfg.td_chip td=2 chip_stride_y=" << n << " chip_stride_x=1\n";
  return text;
}

constexpr uint64_t kStates = 0x40000;

/// A[m, k] W[k, n] as partial GEMMs: for each kk, parts of `rows` output
/// rows in row order, each in an ACC region of its own (no spills), the
/// first of the step with `begin` (with `skipBegin`, only the first of the
/// first step: the threshold then stays T0).
std::string runInParts(int64_t m, int64_t n, int64_t k, int64_t rows,
                       const AccumulationSpec &spec, ArrayRef<float> a,
                       ArrayRef<float> w, std::vector<float> &c,
                       bool skipBegin = false) {
  std::unique_ptr<Simulator> sim = makeSim();
  writeFloats(*sim, kA, a);
  writeFloats(*sim, kW, w);
  std::string text = partsPreamble(spec, k, n);
  raw_string_ostream os(text);
  bool first = true;
  for (int64_t kk = 0; kk < k; ++kk)
    for (int64_t i0 = 0; i0 < m; i0 += rows) {
      int64_t pm = std::min(rows, m - i0);
      os << "load" << (first ? "" : " pop_next")
         << " dst=sp_input format=0 td=0 layout=f32 dram_addr="
         << kA + 4 * (i0 * k + kk) << " chip_row=0 size_z=1 size_y=" << pm
         << " size_x=1\n"
         << "load push_next dst=sp_weight format=1 td=1 layout=f32 dram_addr="
         << kW + 4 * kk * n << " chip_row=0 size_z=1 size_y=" << n
         << " size_x=1\n";
      bool last = kk + 1 == k && i0 + rows >= m;
      os << "gemm pop_prev" << (last ? " push_next" : " push_prev")
         << (kk == 0 ? " init" : "") << (kk + 1 == k ? " finish" : "")
         << " partial" << (i0 == 0 && (kk == 0 || !skipBegin) ? " begin" : "")
         << " format_a=0 format_b=1 accum=0 mode=f32 threshold_reg=1"
         << " a_row=0 a_rows_per_vector=1 b_row=0 b_rows_per_vector=1"
         << " acc_entry=" << 100 + i0 * n << " m=" << pm << " n=" << n
         << " k=1\n";
      first = false;
    }
  os << "store pop_prev format=0 td=2 layout=raw32 dram_addr=" << kC
     << " acc_entry=100 size_z=1 size_y=" << m << " size_x=" << n << "\n";
  std::string err = runProgram(*sim, text);
  if (!err.empty())
    return err;
  c = readFloats(*sim, kC, m * n);
  return "";
}

} // namespace

TEST(AccelSimGemm, SharedEdgaInPartsEqualsOneGemm) {
  const int64_t m = 7, n = 5, k = 90;
  AccumulationSpec spec = sharedEdga();
  for (bool specials : {false, true}) {
    std::vector<float> a = randomValues(m * k, 31, specials);
    std::vector<float> w = randomValues(k * n, 32, specials);
    std::vector<float> want(m * n);
    cantFail(gemm(a, w, want, m, n, k, spec));
    for (int64_t rows : {1, 3, 7}) {
      std::vector<float> c;
      ASSERT_EQ(runInParts(m, n, k, rows, spec, a, w, c), "");
      expectSameBits(c, want,
                     "parts of " + std::to_string(rows) + " rows" +
                         (specials ? " with specials" : ""));
    }
  }
  // Without begin after the first step the threshold stays T0: other bits
  // (so the comparison above can fail).
  std::vector<float> a = randomValues(m * k, 31, false);
  std::vector<float> w = randomValues(k * n, 32, false);
  std::vector<float> want(m * n), c;
  cantFail(gemm(a, w, want, m, n, k, spec));
  ASSERT_EQ(runInParts(m, n, k, 3, spec, a, w, c, /*skipBegin=*/true), "");
  bool differs = false;
  for (int64_t i = 0; i < m * n; ++i)
    differs |= bit_cast<uint32_t>(c[i]) != bit_cast<uint32_t>(want[i]);
  EXPECT_TRUE(differs);
}

TEST(AccelSimGemm, StatesGoToDramAndBack) {
  // K-tiles of one output tile, its states stored after the first and
  // loaded into another ACC region for the second: numerics::gemm's bits
  // for every accumulation whose states a state image holds (a fixed-point
  // sum that is not 0 is an error, checked below).
  const int64_t m = 5, n = 7, k = 150, k1 = 64;
  for (auto &[name, spec] : specs()) {
    bool fixedPoint = spec.fixedPoint.has_value();
    std::vector<float> a = randomValues(m * k, 41, true);
    std::vector<float> w = randomValues(k * n, 42, true);
    std::unique_ptr<Simulator> sim = makeSim();
    writeFloats(*sim, kA, a);
    writeFloats(*sim, kW, w);
    // A's and W's K-vectors of 150 in 10 rows of 16 lanes.
    std::string text = partsPreamble(spec, k, n, /*vectorSlots=*/160);
    raw_string_ostream os(text);
    os << "load dst=sp_input format=0 td=0 layout=f32 dram_addr=" << kA
       << " chip_row=0 size_z=1 size_y=" << m << " size_x=" << k << "\n"
       << "load push_next dst=sp_weight format=1 td=1 layout=f32 dram_addr="
       << kW << " chip_row=0 size_z=1 size_y=" << n << " size_x=" << k << "\n"
       << "gemm pop_prev push_next init format_a=0 format_b=1 accum=0 "
          "mode=f32 threshold_reg=0 a_row=0 a_rows_per_vector=10 b_row=0 "
          "b_rows_per_vector=10 acc_entry=100 m="
       << m << " n=" << n << " k=" << k1 << "\n"
       << "store pop_prev push_prev states td=2 layout=raw32 dram_addr="
       << kStates << " acc_entry=100 size_z=1 size_y=" << m << " size_x=" << n
       << "\n"
       << "vector pop_next push_prev op=nop\n"
       << "load pop_next push_next states dst=acc td=2 layout=raw32 "
          "dram_addr="
       << kStates << " chip_row=300 size_z=1 size_y=" << m << " size_x=" << n
       << "\n"
       << "gemm pop_prev push_next finish format_a=0 format_b=1 accum=0 "
          "mode=f32 threshold_reg=0 a_row=4 a_rows_per_vector=10 b_row=4 "
          "b_rows_per_vector=10 acc_entry=300 m="
       << m << " n=" << n << " k=" << k - k1 << "\n"
       << "store pop_prev td=2 layout=raw32 dram_addr=" << kC
       << " acc_entry=300 size_z=1 size_y=" << m << " size_x=" << n << "\n";
    std::string err = runProgram(*sim, text);
    if (fixedPoint) {
      // 64 products close four groups of 16 exactly; the state then holds
      // N = 0 and moves. An odd K-tile leaves a partial group: an error.
      EXPECT_EQ(err, "") << name;
    } else {
      ASSERT_EQ(err, "") << name;
    }
    if (!err.empty())
      continue;
    std::vector<float> want(m * n);
    cantFail(gemm(a, w, want, m, n, k, spec));
    expectSameBits(readFloats(*sim, kC, m * n), want,
                   "states via DRAM " + name);
  }
}

TEST(AccelSimGemm, PartsAndStatesErrors) {
  const int64_t n = 4, k = 8;
  std::vector<float> a = randomValues(2 * k, 51, false);
  std::vector<float> w = randomValues(k * n, 52, false);
  auto run = [&](const AccumulationSpec &spec, const std::string &body,
                 uint8_t dramFill = 0) {
    std::unique_ptr<Simulator> sim = makeSim();
    if (dramFill)
      writeFloats(*sim, kStates,
                  std::vector<float>(
                      64, bit_cast<float>(uint32_t(dramFill) * 0x01010101u)));
    writeFloats(*sim, kA, a);
    writeFloats(*sim, kW, w);
    std::string text = partsPreamble(spec, k, n);
    text += "load dst=sp_input format=0 td=0 layout=f32 dram_addr=" +
            std::to_string(kA) + " chip_row=0 size_z=1 size_y=2 size_x=1\n";
    text += "load push_next dst=sp_weight format=1 td=1 layout=f32 "
            "dram_addr=" +
            std::to_string(kW) + " chip_row=0 size_z=1 size_y=4 size_x=1\n";
    return runProgram(*sim, text + body);
  };
  const std::string gemm = "format_a=0 format_b=1 accum=0 mode=f32 "
                           "threshold_reg=0 a_row=0 a_rows_per_vector=1 "
                           "b_row=0 b_rows_per_vector=1 acc_entry=0 m=2 n=4";
  AccumulationSpec shared = sharedEdga();
  EXPECT_NE(run(shared, "gemm pop_prev init partial begin " + gemm + " k=2\n")
                .find("a partial GEMM adds one product per output (k = 1), "
                      "not k = 2"),
            std::string::npos);
  EXPECT_NE(run(shared, "gemm pop_prev init begin " + gemm + " k=1\n")
                .find("this GEMM is not partial"),
            std::string::npos);
  AccumulationSpec own = shared;
  own.sharedThreshold = false;
  EXPECT_NE(run(own, "gemm pop_prev init partial " + gemm + " k=1\n")
                .find("accumulation entry 0 has none"),
            std::string::npos);
  // The first partial GEMM of the contraction must begin it (STH untagged).
  EXPECT_NE(run(shared, "gemm pop_prev init partial " + gemm + " k=1\n")
                .find("was never set by a GEMM"),
            std::string::npos);
  // A STORE of states reads accumulating entries only.
  EXPECT_NE(run(shared, "gemm pop_prev push_next init finish partial begin " +
                            gemm +
                            " k=1\nstore pop_prev states td=2 layout=raw32 "
                            "dram_addr=" +
                            std::to_string(kStates) +
                            " acc_entry=0 size_z=1 size_y=2 size_x=4\n")
                .find("moves the state of ACC entry 0, which holds a value"),
            std::string::npos);
  EXPECT_NE(run(shared, "gemm pop_prev push_next init partial begin " + gemm +
                            " k=1\nstore pop_prev states td=2 layout=f32 "
                            "dram_addr=" +
                            std::to_string(kStates) +
                            " acc_entry=0 size_z=1 size_y=2 size_x=4\n")
                .find("which need layout raw32, not f32"),
            std::string::npos);
  // A fixed-point group sum that is not 0 has no place in an image.
  AccumulationSpec fixed;
  fixed.grouping = Grouping::Static;
  fixed.groupSize = 16;
  fixed.fixedPoint = IntegerFormat{24, IntegerEncoding::TwosComplement, 12,
                                   IntegerOverflow::Saturate};
  std::string fixedRun =
      run(fixed, "gemm pop_prev push_next init " + gemm +
                     " k=1\nstore pop_prev states td=2 layout=raw32 "
                     "dram_addr=" +
                     std::to_string(kStates) +
                     " acc_entry=0 size_z=1 size_y=2 size_x=4\n");
  EXPECT_NE(fixedRun.find("whose fixed-point group sum is not 0"),
            std::string::npos)
      << fixedRun;
  // Bytes that are not a state image.
  EXPECT_NE(run(shared,
                "load states dst=acc td=2 layout=raw32 dram_addr=" +
                    std::to_string(kStates) +
                    " chip_row=0 size_z=1 size_y=2 size_x=4\n",
                0xff)
                .find("is not one: its last 8 bytes are 0xffffffffffffffff"),
            std::string::npos);
}
