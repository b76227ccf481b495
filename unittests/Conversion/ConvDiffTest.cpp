//===- ConvDiffTest.cpp - qtrain.conv2d: JIT-compiled vs the library ------===//
//
// The three convolutions of a training step, with strides, asymmetric
// padding and dilation, under f32, static-group and E-DGA accumulation,
// against numerics::conv2d bit for bit. QTRAIN_DIFF_SEED replays a run.
//
//===----------------------------------------------------------------------===//

#include "DiffTestUtil.h"

#include "qtrain/Dialect/QTrain/IR/QTrainAttrs.h"
#include "qtrain/ExecutionEngine/Jit.h"
#include "qtrain/Numerics/Convolution.h"
#include "qtrain/Numerics/Presets.h"

#include "gtest/gtest.h"

#include <random>

using namespace qtrain;
using namespace qtrain::difftest;
namespace nx = qtrain::numerics;

namespace {

using ConvFn = void(Memref1D *lhs, Memref1D *rhs, Memref1D *out);

struct ConvCase {
  const char *name;
  nx::ConvKind kind;
  std::vector<int64_t> lhs, rhs, out;
  nx::ConvGeometry g;
};

nx::ConvGeometry geometry(std::array<int64_t, 2> s, std::array<int64_t, 4> p,
                          std::array<int64_t, 2> d) {
  nx::ConvGeometry g;
  g.strides = s;
  g.padding = p;
  g.dilations = d;
  return g;
}

std::vector<ConvCase> convCases() {
  // Input [2, 3, 9, 8], filter [4, 3, 3, 2], stride (2, 1), padding
  // (1, 0, 2, 1), dilation (1, 2): OH = (9 + 1 - 2 - 1) / 2 + 1 = 4,
  // OW = (8 + 3 - 2 - 1) / 1 + 1 = 9.
  nx::ConvGeometry g = geometry({2, 1}, {1, 0, 2, 1}, {1, 2});
  nx::ConvGeometry same = geometry({1, 1}, {1, 1, 1, 1}, {1, 1});
  return {
      {"forward",
       nx::ConvKind::Forward,
       {2, 3, 9, 8},
       {4, 3, 3, 2},
       {2, 4, 4, 9},
       g},
      {"backward_data",
       nx::ConvKind::BackwardData,
       {2, 4, 4, 9},
       {4, 3, 3, 2},
       {2, 3, 9, 8},
       g},
      {"backward_weight",
       nx::ConvKind::BackwardWeight,
       {2, 3, 9, 8},
       {2, 4, 4, 9},
       {4, 3, 3, 2},
       g},
      {"forward_same",
       nx::ConvKind::Forward,
       {1, 5, 6, 6},
       {7, 5, 3, 3},
       {1, 7, 6, 6},
       same},
  };
}

const char *kindName(nx::ConvKind k) {
  switch (k) {
  case nx::ConvKind::Forward:
    return "forward";
  case nx::ConvKind::BackwardData:
    return "backward_data";
  case nx::ConvKind::BackwardWeight:
    return "backward_weight";
  }
  return "";
}

std::string array(llvm::ArrayRef<int64_t> v) {
  std::string s = "array<i64: ";
  for (size_t i = 0; i < v.size(); ++i)
    s += (i ? ", " : "") + std::to_string(v[i]);
  return s + ">";
}

TEST(ConvDiff, MatchesLibraryBitForBit) {
  uint64_t seed = masterSeed();
  SCOPED_TRACE("replay with QTRAIN_DIFF_SEED=" + std::to_string(seed));
  auto ctx = createJitContext();
  std::vector<std::pair<std::string, nx::AccumulationSpec>> specs;
  specs.push_back({"f32", nx::AccumulationSpec()});
  nx::AccumulationSpec sga;
  sga.accumulator = *nx::lookupMinifloat("fp12_dga");
  sga.grouping = nx::Grouping::Static;
  sga.groupSize = 7;
  specs.push_back({"fp12_static7", sga});
  nx::AccumulationSpec edga = sga;
  edga.grouping = nx::Grouping::EfficientDGA;
  specs.push_back({"fp12_edga", edga});

  std::vector<ConvCase> cases = convCases();
  std::string text;
  for (size_t s = 0; s < specs.size(); ++s)
    for (size_t c = 0; c < cases.size(); ++c) {
      const ConvCase &cc = cases[c];
      std::array<int64_t, 2> st = cc.g.strides, di = cc.g.dilations;
      std::array<int64_t, 4> pa = cc.g.padding;
      std::string name = "conv" + std::to_string(s) + "_" + std::to_string(c);
      text += llvm::formatv("func.func @{0}(%l: memref<?xf32>, %r: "
                            "memref<?xf32>, %o: memref<?xf32>) attributes "
                            "{{llvm.emit_c_interface} {{\n",
                            name)
                  .str();
      text += shaped("x", "l", cc.lhs, "f32");
      text += shaped("y", "r", cc.rhs, "f32");
      text +=
          llvm::formatv(
              "  %z = qtrain.conv2d %x, %y {{kind = #qtrain.conv_kind<{0}>, "
              "strides = {1}, padding = {2}, dilations = {3}, accumulation "
              "= {4}} : tensor<{5}f32>, tensor<{6}f32> -> tensor<{7}f32>\n",
              kindName(cc.kind), array(st), array(pa), array(di),
              print(AccumulationAttr::get(ctx.get(), specs[s].second)),
              shapeText(cc.lhs), shapeText(cc.rhs), shapeText(cc.out))
              .str();
      text += store("z", "o", cc.out, "f32");
      text += "  return\n}\n";
    }
  auto engine = jitCompile(*ctx, text);
  ASSERT_TRUE(!!engine) << llvm::toString(engine.takeError()) << "\n" << text;
  std::mt19937_64 rng(seed);
  nx::MinifloatFormat e4m3 = *nx::lookupMinifloat("e4m3fn");
  for (size_t s = 0; s < specs.size(); ++s)
    for (size_t c = 0; c < cases.size(); ++c) {
      const ConvCase &cc = cases[c];
      auto fill = [&](llvm::ArrayRef<int64_t> shape) {
        std::vector<float> v(product(shape));
        std::uniform_real_distribution<float> u(-0.5f, 2.0f);
        for (float &x : v)
          x = nx::quantize(e4m3, u(rng), nx::Rounding());
        return v;
      };
      std::vector<float> l = fill(cc.lhs), r = fill(cc.rhs);
      std::vector<float> want(product(cc.out)), got(want.size());
      ASSERT_FALSE(llvm::errorToBool(nx::conv2d(
          cc.kind, cc.g, l, cc.lhs, r, cc.rhs, want, cc.out, specs[s].second)));
      auto fn = lookupCInterface<ConvFn>(**engine, "conv" + std::to_string(s) +
                                                       "_" + std::to_string(c));
      ASSERT_TRUE(!!fn) << llvm::toString(fn.takeError());
      Memref1D ld = view(l, l.size()), rd = view(r, r.size()),
               od = view(got, got.size());
      (*fn)(&ld, &rd, &od);
      int bad = 0;
      for (size_t i = 0; i < want.size(); ++i)
        if (llvm::bit_cast<uint32_t>(got[i]) !=
                llvm::bit_cast<uint32_t>(want[i]) &&
            ++bad <= 5)
          ADD_FAILURE() << cc.name << " " << specs[s].first << ": output " << i
                        << " = " << got[i] << " want " << want[i];
      EXPECT_EQ(bad, 0) << cc.name << " " << specs[s].first;
    }
}

} // namespace
