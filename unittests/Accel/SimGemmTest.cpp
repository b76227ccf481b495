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
