//===- ConvolutionTest.cpp - conv2d against a direct convolution ----------===//
//
// With f32 accumulation, exact products and nearest-even rounding, every
// add is fmaf; a direct convolution that walks the taps in the documented
// order with fmaf must give the same bits for all three kinds.
//
//===----------------------------------------------------------------------===//

#include "qtrain/Numerics/Convolution.h"

#include "gtest/gtest.h"

#include <cmath>
#include <random>

using namespace qtrain::numerics;

namespace {

struct Geometry {
  int64_t n, c, h, w, f, kh, kw;
  ConvGeometry g;
  int64_t oh() const {
    return (h + g.padding[0] + g.padding[1] - g.dilations[0] * (kh - 1) - 1) /
               g.strides[0] +
           1;
  }
  int64_t ow() const {
    return (w + g.padding[2] + g.padding[3] - g.dilations[1] * (kw - 1) - 1) /
               g.strides[1] +
           1;
  }
};

std::vector<float> random(size_t n, std::mt19937 &rng) {
  std::vector<float> v(n);
  std::normal_distribution<float> d;
  for (float &x : v)
    x = d(rng);
  return v;
}

TEST(Convolution, MatchesDirectFmaInDocumentedOrder) {
  std::mt19937 rng(5);
  ConvGeometry strided;
  strided.strides = {2, 3};
  strided.padding = {1, 0, 2, 1};
  strided.dilations = {2, 1};
  const Geometry cases[] = {{2, 3, 7, 6, 4, 3, 3, ConvGeometry()},
                            {1, 2, 9, 11, 3, 3, 2, strided}};
  for (const Geometry &s : cases) {
    int64_t OH = s.oh(), OW = s.ow();
    auto [sh, sw] = s.g.strides;
    auto [dh, dw] = s.g.dilations;
    int64_t pt = s.g.padding[0], pl = s.g.padding[2];
    std::vector<float> x = random(s.n * s.c * s.h * s.w, rng);
    std::vector<float> w = random(s.f * s.c * s.kh * s.kw, rng);
    std::vector<float> dy = random(s.n * s.f * OH * OW, rng);
    auto X = [&](int64_t n, int64_t c, int64_t h, int64_t ww) {
      return h < 0 || h >= s.h || ww < 0 || ww >= s.w
                 ? 0.0f
                 : x[((n * s.c + c) * s.h + h) * s.w + ww];
    };
    auto Wt = [&](int64_t f, int64_t c, int64_t kh, int64_t kw) {
      return w[((f * s.c + c) * s.kh + kh) * s.kw + kw];
    };
    // Forward.
    std::vector<float> y(s.n * s.f * OH * OW);
    ASSERT_FALSE(llvm::errorToBool(conv2d(
        ConvKind::Forward, s.g, x, {s.n, s.c, s.h, s.w}, w,
        {s.f, s.c, s.kh, s.kw}, y, {s.n, s.f, OH, OW}, AccumulationSpec())));
    for (int64_t n = 0; n < s.n; ++n)
      for (int64_t f = 0; f < s.f; ++f)
        for (int64_t oh = 0; oh < OH; ++oh)
          for (int64_t ow = 0; ow < OW; ++ow) {
            float acc = 0;
            for (int64_t c = 0; c < s.c; ++c)
              for (int64_t kh = 0; kh < s.kh; ++kh)
                for (int64_t kw = 0; kw < s.kw; ++kw)
                  acc = std::fmaf(
                      X(n, c, oh * sh - pt + kh * dh, ow * sw - pl + kw * dw),
                      Wt(f, c, kh, kw), acc);
            ASSERT_EQ(acc, y[((n * s.f + f) * OH + oh) * OW + ow]);
          }
    // Backward data.
    std::vector<float> dx(x.size());
    ASSERT_FALSE(llvm::errorToBool(conv2d(
        ConvKind::BackwardData, s.g, dy, {s.n, s.f, OH, OW}, w,
        {s.f, s.c, s.kh, s.kw}, dx, {s.n, s.c, s.h, s.w}, AccumulationSpec())));
    for (int64_t n = 0; n < s.n; ++n)
      for (int64_t c = 0; c < s.c; ++c)
        for (int64_t h = 0; h < s.h; ++h)
          for (int64_t ww = 0; ww < s.w; ++ww) {
            float acc = 0;
            for (int64_t f = 0; f < s.f; ++f)
              for (int64_t kh = 0; kh < s.kh; ++kh)
                for (int64_t kw = 0; kw < s.kw; ++kw) {
                  int64_t th = h + pt - kh * dh, tw = ww + pl - kw * dw;
                  bool hit = th >= 0 && tw >= 0 && th % sh == 0 &&
                             tw % sw == 0 && th / sh < OH && tw / sw < OW;
                  float g =
                      hit ? dy[((n * s.f + f) * OH + th / sh) * OW + tw / sw]
                          : 0.0f;
                  acc = std::fmaf(g, Wt(f, c, kh, kw), acc);
                }
            ASSERT_EQ(acc, dx[((n * s.c + c) * s.h + h) * s.w + ww]);
          }
    // Backward weight.
    std::vector<float> dwt(w.size());
    ASSERT_FALSE(llvm::errorToBool(conv2d(
        ConvKind::BackwardWeight, s.g, x, {s.n, s.c, s.h, s.w}, dy,
        {s.n, s.f, OH, OW}, dwt, {s.f, s.c, s.kh, s.kw}, AccumulationSpec())));
    for (int64_t f = 0; f < s.f; ++f)
      for (int64_t c = 0; c < s.c; ++c)
        for (int64_t kh = 0; kh < s.kh; ++kh)
          for (int64_t kw = 0; kw < s.kw; ++kw) {
            float acc = 0;
            for (int64_t n = 0; n < s.n; ++n)
              for (int64_t oh = 0; oh < OH; ++oh)
                for (int64_t ow = 0; ow < OW; ++ow)
                  acc = std::fmaf(
                      dy[((n * s.f + f) * OH + oh) * OW + ow],
                      X(n, c, oh * sh - pt + kh * dh, ow * sw - pl + kw * dw),
                      acc);
            ASSERT_EQ(acc, dwt[((f * s.c + c) * s.kh + kh) * s.kw + kw]);
          }
  }
}

TEST(Convolution, RejectsInconsistentShapes) {
  std::vector<float> x(2 * 3 * 5 * 5), w(4 * 3 * 3 * 3), y(2 * 4 * 3 * 3);
  auto message = [&](std::vector<int64_t> outShape) {
    return llvm::toString(conv2d(ConvKind::Forward, ConvGeometry(), x,
                                 {2, 3, 5, 5}, w, {4, 3, 3, 3}, y, outShape,
                                 AccumulationSpec()));
  };
  EXPECT_EQ(message({2, 4, 4, 3}),
            "conv2d output size disagrees with the input, filter, strides, "
            "padding and dilations");
  EXPECT_EQ(message({2, 5, 3, 3}), "conv2d batch or channel sizes disagree");
  EXPECT_EQ(message({2, 4, 3}), "conv2d operands and result must be rank 4");
}

} // namespace
