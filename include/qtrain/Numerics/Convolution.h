//===- Convolution.h - 2-D convolutions with declared accumulation -*- C++
//-*-===//
//
// conv2d in NCHW / FCHW layout for the three GEMMs of a training step,
// defined as one gemm on im2col matrices (docs/Numerics.md, Convolutions:
// the reduction order): every output accumulates a fixed number of products
// in a fixed order, padding taps being +0 products.
//
//===----------------------------------------------------------------------===//

#ifndef QTRAIN_NUMERICS_CONVOLUTION_H
#define QTRAIN_NUMERICS_CONVOLUTION_H

#include "qtrain/Numerics/Accumulation.h"

#include "llvm/Support/Error.h"

#include <array>

namespace qtrain::numerics {

enum class ConvKind : uint8_t {
  Forward,      ///< lhs input [N,C,H,W], rhs filter [F,C,KH,KW] -> [N,F,OH,OW]
  BackwardData, ///< lhs dy [N,F,OH,OW], rhs filter -> dx [N,C,H,W]
  BackwardWeight, ///< lhs input, rhs dy -> dw [F,C,KH,KW]
};

struct ConvGeometry {
  std::array<int64_t, 2> strides = {1, 1};
  std::array<int64_t, 4> padding = {0, 0, 0, 0}; ///< top, bottom, left, right
  std::array<int64_t, 2> dilations = {1, 1};
};

/// The sizes of the forward convolution a conv2d of `kind` implies:
/// {N, C, H, W, F, KH, KW, OH, OW}, checked for consistency (the message
/// names what disagrees).
llvm::Expected<std::array<int64_t, 9>>
convSizes(ConvKind kind, const ConvGeometry &g, llvm::ArrayRef<int64_t> lhs,
          llvm::ArrayRef<int64_t> rhs, llvm::ArrayRef<int64_t> result);

/// out = conv2d(lhs, rhs) as one gemm: forward `W[F, CKK] x col(x)[CKK,
/// N*OH*OW]`, backward data `W^T[C, FKK] x col(dy)[FKK, N*H*W]`, backward
/// weight `dy[F, N*OH*OW] x col(x)[N*OH*OW, CKK]` (see docs/Numerics.md).
llvm::Error conv2d(ConvKind kind, const ConvGeometry &g,
                   llvm::ArrayRef<float> lhs, llvm::ArrayRef<int64_t> lhsShape,
                   llvm::ArrayRef<float> rhs, llvm::ArrayRef<int64_t> rhsShape,
                   llvm::MutableArrayRef<float> out,
                   llvm::ArrayRef<int64_t> outShape,
                   const AccumulationSpec &spec);

} // namespace qtrain::numerics

#endif // QTRAIN_NUMERICS_CONVOLUTION_H
