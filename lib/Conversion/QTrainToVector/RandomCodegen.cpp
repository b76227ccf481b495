//===- RandomCodegen.cpp - Random streams as arith code -------------------===//

#include "RandomCodegen.h"

#include "qtrain/Numerics/RandomStream.h"

#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
namespace nx = qtrain::numerics;

namespace qtrain::lowering {

namespace {

/// mix32 of the library, on i32 lanes.
Value mix32(const ElementBuilder &eb, Value x) {
  x = eb.bxor(x, eb.lshr(x, eb.u32(16)));
  x = eb.mul(x, eb.u32(0x7feb352d));
  x = eb.bxor(x, eb.lshr(x, eb.u32(15)));
  x = eb.mul(x, eb.u32(0x846ca68b));
  return eb.bxor(x, eb.lshr(x, eb.u32(16)));
}

Value low32(const ElementBuilder &eb, Value x64) {
  return eb.trunc(eb.builder().getI32Type(), x64);
}
Value high32(const ElementBuilder &eb, Value x64) {
  return low32(eb, eb.lshr(x64, eb.u64(32)));
}

/// counterHash(seed, index) given the keys of the seed and the index's
/// halves.
Value counterHash(const ElementBuilder &eb, Value key0, Value key1, Value lo,
                  Value hi) {
  Value x = mix32(eb, eb.bxor(lo, key0));
  return mix32(eb, eb.bxor(eb.bxor(x, key1), hi));
}
Value counterHash(const ElementBuilder &eb, Value key0, Value key1,
                  Value index64) {
  return counterHash(eb, key0, key1, low32(eb, index64), high32(eb, index64));
}

/// The lane offsets 0, 1, ..., W - 1 as i32 lanes.
Value laneOffsets(const ElementBuilder &eb) {
  SmallVector<int32_t> iota(eb.laneCount());
  for (int64_t j = 0; j < eb.laneCount(); ++j)
    iota[j] = static_cast<int32_t>(j);
  auto vt = VectorType::get({eb.laneCount()}, eb.builder().getI32Type());
  return arith::ConstantOp::create(
      eb.builder(), eb.location(),
      DenseElementsAttr::get(vt, ArrayRef<int32_t>(iota)));
}

/// The halves of the stream indices first + j in i32 lanes, without i64
/// vectors (which AVX2 splits over two registers and narrows by shuffles):
/// the high half takes the carry out of the low half's add. With
/// `highIsZero` (every index below 2^32) the high half is the constant 0.
std::pair<Value, Value> streamIndexHalves(const ElementBuilder &eb, Value first,
                                          bool highIsZero) {
  OpBuilder &b = eb.builder();
  Value first64 =
      arith::IndexCastUIOp::create(b, eb.location(), b.getI64Type(), first);
  ElementBuilder scalar(b, eb.location(), 0);
  Value lo0 = eb.splat(low32(scalar, first64));
  Value lo = eb.add(lo0, laneOffsets(eb));
  if (highIsZero)
    return {lo, eb.u32(0)};
  Value hi0 = eb.splat(high32(scalar, first64));
  Value carry = eb.zext(b.getI32Type(), eb.ult(lo, lo0));
  return {lo, eb.add(hi0, carry)};
}

/// Stream indices first + j as i64 lanes.
Value streamIndices(const ElementBuilder &eb, Value first) {
  OpBuilder &b = eb.builder();
  Value first64 =
      arith::IndexCastUIOp::create(b, eb.location(), b.getI64Type(), first);
  if (!eb.laneCount())
    return first64;
  SmallVector<int64_t> iota(eb.laneCount());
  for (int64_t j = 0; j < eb.laneCount(); ++j)
    iota[j] = j;
  auto vt = VectorType::get({eb.laneCount()}, b.getI64Type());
  Value offsets = arith::ConstantOp::create(
      b, eb.location(), DenseElementsAttr::get(vt, ArrayRef<int64_t>(iota)));
  return eb.add(eb.splat(first64), offsets);
}

} // namespace

RandomCodegen::RandomCodegen(OpBuilder &b, Location loc, const nx::Rounding &r,
                             Value seed, Value data, Value count)
    : source(r.source), k(r.randomBits), seed(seed), data(data) {
  // A masked last chunk reads indices up to a vector past `count`; 1024
  // lanes is more than any target's vector.
  std::optional<int64_t> n = getConstantIntValue(count);
  indicesFit32 = n && *n >= 0 && *n <= (int64_t(1) << 32) - 1024;
  ElementBuilder scalar(b, loc, 0);
  // The counter hash's keys of the seed (the counter source and the LFSR
  // lane seeds use them).
  auto keys = [&] {
    key0 =
        mix32(scalar, scalar.bxor(low32(scalar, seed), scalar.u32(0x9e3779b9)));
    key1 = mix32(scalar,
                 scalar.bxor(high32(scalar, seed), scalar.u32(0x85ebca6b)));
  };
  switch (source.kind) {
  case nx::RandomSourceKind::Counter:
    keys();
    break;
  case nx::RandomSourceKind::Lfsr:
  case nx::RandomSourceKind::LfsrPlateau: {
    // lane l starts at (counterHash(seed, l) mod (2^w - 1)) + 1.
    keys();
    int64_t count = source.lfsrLanes;
    lanes = memref::AllocaOp::create(b, loc,
                                     MemRefType::get({count}, b.getI32Type()));
    Value c0 = arith::ConstantIndexOp::create(b, loc, 0);
    Value c1 = arith::ConstantIndexOp::create(b, loc, 1);
    Value cn = arith::ConstantIndexOp::create(b, loc, count);
    uint64_t period = (uint64_t(1) << source.lfsrWidth) - 1;
    scf::ForOp::create(
        b, loc, c0, cn, c1, {},
        [&](OpBuilder &nb, Location nloc, Value l, ValueRange) {
          ElementBuilder s(nb, nloc, 0);
          Value l64 =
              arith::IndexCastUIOp::create(nb, nloc, nb.getI64Type(), l);
          Value h = s.zext(nb.getI64Type(), counterHash(s, key0, key1, l64));
          Value start = s.add(s.urem(h, s.u64(period)), s.u64(1));
          memref::StoreOp::create(nb, nloc, low32(s, start), lanes, l);
          scf::YieldOp::create(nb, nloc);
        });
    break;
  }
  case nx::RandomSourceKind::Data: {
    Value c0 = arith::ConstantIndexOp::create(b, loc, 0);
    Value n = memref::DimOp::create(b, loc, data, c0);
    dataSize = arith::IndexCastUIOp::create(b, loc, b.getI64Type(), n);
    Value nonEmpty = scalar.ne(dataSize, scalar.u64(0));
    cf::AssertOp::create(b, loc, nonEmpty,
                         "qtrain: the random data of a data source is empty");
    break;
  }
  }
}

int64_t RandomCodegen::rowLength() const {
  bool lfsr = source.kind == nx::RandomSourceKind::Lfsr ||
              source.kind == nx::RandomSourceKind::LfsrPlateau;
  return lfsr ? source.lfsrLanes : 0;
}

Value RandomCodegen::emit(const ElementBuilder &eb, Value first, Value row,
                          Value mask) {
  OpBuilder &b = eb.builder();
  Location loc = eb.location();
  const uint32_t kMask = k == 32 ? 0xffffffffu : (1u << k) - 1;
  switch (source.kind) {
  case nx::RandomSourceKind::Counter: {
    Value h;
    if (eb.laneCount()) {
      auto [lo, hi] = streamIndexHalves(eb, first, indicesFit32);
      h = counterHash(eb, eb.splat(key0), eb.splat(key1), lo, hi);
    } else {
      h = counterHash(eb, key0, key1, streamIndices(eb, first));
    }
    return eb.lshr(h, eb.u32(32 - k));
  }
  case nx::RandomSourceKind::Data: {
    Value idx = eb.urem(streamIndices(eb, first), eb.splat(dataSize));
    Value c0 = arith::ConstantIndexOp::create(b, loc, 0);
    Value values;
    if (!eb.laneCount()) {
      Value i = arith::IndexCastUIOp::create(b, loc, b.getIndexType(), idx);
      values = memref::LoadOp::create(b, loc, data, i);
    } else {
      auto vt = VectorType::get({eb.laneCount()}, b.getF32Type());
      Value all = mask ? mask : eb.bit(true);
      values = vector::GatherOp::create(b, loc, vt, data, ValueRange{c0}, idx,
                                        all, eb.f32c(0.0f));
    }
    Value bits = eb.bitcast(b.getI32Type(), values);
    return eb.band(eb.lshr(bits, eb.u32(source.dataBitOffset)), eb.u32(kMask));
  }
  case nx::RandomSourceKind::Lfsr:
  case nx::RandomSourceKind::LfsrPlateau: {
    // The chunk's lanes are consecutive: lane = first - row * L.
    Value rowStart = arith::MulIOp::create(
        b, loc, row, arith::ConstantIndexOp::create(b, loc, source.lfsrLanes));
    Value lane = arith::SubIOp::create(b, loc, first, rowStart);
    Value state;
    if (!eb.laneCount()) {
      state = memref::LoadOp::create(b, loc, lanes, lane);
    } else {
      auto vt = VectorType::get({eb.laneCount()}, b.getI32Type());
      state = mask ? Value(vector::MaskedLoadOp::create(
                         b, loc, vt, lanes, ValueRange{lane}, mask, eb.u32(0)))
                   : Value(vector::LoadOp::create(b, loc, vt, lanes,
                                                  ValueRange{lane}));
    }
    Value out = state;
    if (source.kind == nx::RandomSourceKind::LfsrPlateau) {
      // Odd steps give the inverted state.
      Value odd = arith::TruncIOp::create(
          b, loc, b.getI1Type(),
          arith::IndexCastUIOp::create(b, loc, b.getI64Type(), row));
      Value flip = eb.select(eb.splat(odd), eb.u32(0xffffffffu), eb.u32(0));
      out = eb.bxor(out, flip);
    }
    uint32_t taps = source.lfsrTaps ? source.lfsrTaps
                                    : nx::defaultLfsrTaps(source.lfsrWidth);
    Value lsb = eb.ne(eb.band(state, eb.u32(1)), eb.u32(0));
    Value shifted = eb.lshr(state, eb.u32(1));
    Value next = eb.select(lsb, eb.bxor(shifted, eb.u32(taps)), shifted);
    if (!eb.laneCount())
      memref::StoreOp::create(b, loc, next, lanes, lane);
    else if (mask)
      vector::MaskedStoreOp::create(b, loc, lanes, ValueRange{lane}, mask,
                                    next);
    else
      vector::StoreOp::create(b, loc, next, lanes, ValueRange{lane});
    return eb.band(out, eb.u32(kMask));
  }
  }
  llvm_unreachable("unknown random source");
}

} // namespace qtrain::lowering
