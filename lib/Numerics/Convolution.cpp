//===- Convolution.cpp - 2-D convolutions with declared accumulation ------===//

#include "qtrain/Numerics/Convolution.h"

#include <vector>

using namespace llvm;

namespace qtrain::numerics {

namespace {
int64_t outputExtent(int64_t in, int64_t padA, int64_t padB, int64_t k,
                     int64_t dilation, int64_t stride) {
  return (in + padA + padB - dilation * (k - 1) - 1) / stride + 1;
}
} // namespace

Expected<std::array<int64_t, 9>> convSizes(ConvKind kind, const ConvGeometry &g,
                                           ArrayRef<int64_t> lhs,
                                           ArrayRef<int64_t> rhs,
                                           ArrayRef<int64_t> result) {
  if (lhs.size() != 4 || rhs.size() != 4 || result.size() != 4)
    return createStringError("conv2d operands and result must be rank 4");
  ArrayRef<int64_t> in, filter, out;
  switch (kind) {
  case ConvKind::Forward:
    in = lhs, filter = rhs, out = result;
    break;
  case ConvKind::BackwardData:
    out = lhs, filter = rhs, in = result;
    break;
  case ConvKind::BackwardWeight:
    in = lhs, out = rhs, filter = result;
    break;
  }
  std::array<int64_t, 9> s = {in[0],     in[1],     in[2],  in[3], filter[0],
                              filter[2], filter[3], out[2], out[3]};
  if (out[0] != in[0] || out[1] != filter[0] || filter[1] != in[1])
    return createStringError("conv2d batch or channel sizes disagree");
  if (g.strides[0] < 1 || g.strides[1] < 1 || g.dilations[0] < 1 ||
      g.dilations[1] < 1)
    return createStringError("conv2d strides and dilations must be positive");
  if (outputExtent(in[2], g.padding[0], g.padding[1], filter[2], g.dilations[0],
                   g.strides[0]) != out[2] ||
      outputExtent(in[3], g.padding[2], g.padding[3], filter[3], g.dilations[1],
                   g.strides[1]) != out[3])
    return createStringError("conv2d output size disagrees with the input, "
                             "filter, strides, padding and dilations");
  return s;
}

Error conv2d(ConvKind kind, const ConvGeometry &g, ArrayRef<float> lhs,
             ArrayRef<int64_t> lhsShape, ArrayRef<float> rhs,
             ArrayRef<int64_t> rhsShape, MutableArrayRef<float> out,
             ArrayRef<int64_t> outShape, const AccumulationSpec &spec) {
  auto sizes = convSizes(kind, g, lhsShape, rhsShape, outShape);
  if (!sizes)
    return sizes.takeError();
  auto [N, C, H, W, F, KH, KW, OH, OW] = *sizes;
  auto [sh, sw] = g.strides;
  auto [dh, dw] = g.dilations;
  int64_t pt = g.padding[0], pl = g.padding[2];
  // x[n, c, oh * sh - pt + kh * dh, ...], +0 outside the input.
  auto tap = [&](ArrayRef<float> x, int64_t n, int64_t c, int64_t oh,
                 int64_t ow, int64_t kh, int64_t kw) {
    int64_t h = oh * sh - pt + kh * dh, w = ow * sw - pl + kw * dw;
    if (h < 0 || h >= H || w < 0 || w >= W)
      return 0.0f;
    return x[((n * C + c) * H + h) * W + w];
  };
  std::vector<float> a, b, c;
  int64_t m = 0, k = 0, cols = 0;
  switch (kind) {
  case ConvKind::Forward: { // W[F, CKK] x col(x)[CKK, N*OH*OW]
    m = F, k = C * KH * KW, cols = N * OH * OW;
    a.assign(rhs.begin(), rhs.end());
    b.resize(k * cols);
    for (int64_t ci = 0; ci < C; ++ci)
      for (int64_t kh = 0; kh < KH; ++kh)
        for (int64_t kw = 0; kw < KW; ++kw)
          for (int64_t n = 0; n < N; ++n)
            for (int64_t oh = 0; oh < OH; ++oh)
              for (int64_t ow = 0; ow < OW; ++ow)
                b[((ci * KH + kh) * KW + kw) * cols + (n * OH + oh) * OW + ow] =
                    tap(lhs, n, ci, oh, ow, kh, kw);
    break;
  }
  case ConvKind::BackwardData: { // W^T[C, FKK] x col(dy)[FKK, N*H*W]
    m = C, k = F * KH * KW, cols = N * H * W;
    a.resize(m * k);
    for (int64_t ci = 0; ci < C; ++ci)
      for (int64_t f = 0; f < F; ++f)
        for (int64_t kk = 0; kk < KH * KW; ++kk)
          a[ci * k + f * KH * KW + kk] = rhs[(f * C + ci) * KH * KW + kk];
    b.assign(k * cols, 0.0f);
    for (int64_t f = 0; f < F; ++f)
      for (int64_t kh = 0; kh < KH; ++kh)
        for (int64_t kw = 0; kw < KW; ++kw)
          for (int64_t n = 0; n < N; ++n)
            for (int64_t h = 0; h < H; ++h)
              for (int64_t w = 0; w < W; ++w) {
                int64_t th = h + pt - kh * dh, tw = w + pl - kw * dw;
                if (th < 0 || tw < 0 || th % sh || tw % sw || th / sh >= OH ||
                    tw / sw >= OW)
                  continue;
                b[((f * KH + kh) * KW + kw) * cols + (n * H + h) * W + w] =
                    lhs[((n * F + f) * OH + th / sh) * OW + tw / sw];
              }
    break;
  }
  case ConvKind::BackwardWeight: { // dy[F, N*OH*OW] x col(x)[N*OH*OW, CKK]
    m = F, k = N * OH * OW, cols = C * KH * KW;
    a.resize(m * k);
    for (int64_t f = 0; f < F; ++f)
      for (int64_t n = 0; n < N; ++n)
        for (int64_t p = 0; p < OH * OW; ++p)
          a[f * k + n * OH * OW + p] = rhs[(n * F + f) * OH * OW + p];
    b.resize(k * cols);
    for (int64_t n = 0; n < N; ++n)
      for (int64_t oh = 0; oh < OH; ++oh)
        for (int64_t ow = 0; ow < OW; ++ow)
          for (int64_t ci = 0; ci < C; ++ci)
            for (int64_t kh = 0; kh < KH; ++kh)
              for (int64_t kw = 0; kw < KW; ++kw)
                b[((n * OH + oh) * OW + ow) * cols + (ci * KH + kh) * KW + kw] =
                    tap(lhs, n, ci, oh, ow, kh, kw);
    break;
  }
  }
  c.resize(m * cols);
  if (Error e = gemm(a, b, c, m, cols, k, spec))
    return e;
  if (kind == ConvKind::BackwardWeight) {
    std::copy(c.begin(), c.end(), out.begin());
    return Error::success();
  }
  // [M, N * P] -> [N, M, P].
  int64_t p = cols / std::max<int64_t>(N, 1);
  for (int64_t mi = 0; mi < m; ++mi)
    for (int64_t n = 0; n < N; ++n)
      for (int64_t q = 0; q < p; ++q)
        out[(n * m + mi) * p + q] = c[mi * cols + n * p + q];
  return Error::success();
}

} // namespace qtrain::numerics
