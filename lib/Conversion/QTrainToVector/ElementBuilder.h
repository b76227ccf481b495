//===- ElementBuilder.h - arith ops on scalars or vectors of one shape ----===//
//
// The element code of the CPU lowering is written once and emitted for a
// vector of `lanes` elements (or a scalar when lanes == 0). ElementBuilder
// creates constants splatted to that shape and the arith/math ops the element
// code needs, so the encoders read like the numerics library they mirror.
//
//===----------------------------------------------------------------------===//

#ifndef QTRAIN_LIB_CONVERSION_QTRAINTOVECTOR_ELEMENTBUILDER_H
#define QTRAIN_LIB_CONVERSION_QTRAINTOVECTOR_ELEMENTBUILDER_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"

namespace qtrain::lowering {

class ElementBuilder {
public:
  ElementBuilder(mlir::OpBuilder &b, mlir::Location loc, int64_t lanes)
      : b(b), loc(loc), lanes(lanes) {}

  mlir::OpBuilder &builder() const { return b; }
  mlir::Location location() const { return loc; }
  int64_t laneCount() const { return lanes; }

  /// `elem`, or a vector of `lanes` of it.
  mlir::Type type(mlir::Type elem) const {
    return lanes ? mlir::Type(mlir::VectorType::get({lanes}, elem)) : elem;
  }
  mlir::Type i1() const { return type(b.getI1Type()); }
  mlir::Type i32() const { return type(b.getI32Type()); }
  mlir::Type i64() const { return type(b.getI64Type()); }
  mlir::Type f32() const { return type(b.getF32Type()); }
  mlir::Type f64() const { return type(b.getF64Type()); }

  mlir::Value constant(mlir::Type elem, mlir::TypedAttr value) const {
    if (!lanes)
      return mlir::arith::ConstantOp::create(b, loc, value);
    auto vt = mlir::VectorType::get({lanes}, elem);
    return mlir::arith::ConstantOp::create(
        b, loc, mlir::DenseElementsAttr::get(vt, mlir::Attribute(value)));
  }
  mlir::Value u32(uint64_t v) const {
    return constant(b.getI32Type(),
                    b.getIntegerAttr(b.getI32Type(), static_cast<uint32_t>(v)));
  }
  mlir::Value s32(int64_t v) const {
    return constant(b.getI32Type(),
                    b.getIntegerAttr(b.getI32Type(), static_cast<int32_t>(v)));
  }
  mlir::Value u64(uint64_t v) const {
    return constant(b.getI64Type(), b.getIntegerAttr(b.getI64Type(), v));
  }
  mlir::Value bit(bool v) const {
    return constant(b.getI1Type(), b.getBoolAttr(v));
  }
  mlir::Value f32c(float v) const {
    return constant(b.getF32Type(), b.getF32FloatAttr(v));
  }
  mlir::Value f64c(double v) const {
    return constant(b.getF64Type(), b.getF64FloatAttr(v));
  }
  /// A scalar value splatted to the shape (identity when lanes == 0).
  mlir::Value splat(mlir::Value scalar) const;

  // Integer arithmetic (wrapping, as in C on unsigned).
  mlir::Value add(mlir::Value x, mlir::Value y) const {
    return mlir::arith::AddIOp::create(b, loc, x, y);
  }
  mlir::Value sub(mlir::Value x, mlir::Value y) const {
    return mlir::arith::SubIOp::create(b, loc, x, y);
  }
  mlir::Value mul(mlir::Value x, mlir::Value y) const {
    return mlir::arith::MulIOp::create(b, loc, x, y);
  }
  mlir::Value band(mlir::Value x, mlir::Value y) const {
    return mlir::arith::AndIOp::create(b, loc, x, y);
  }
  mlir::Value bor(mlir::Value x, mlir::Value y) const {
    return mlir::arith::OrIOp::create(b, loc, x, y);
  }
  mlir::Value bxor(mlir::Value x, mlir::Value y) const {
    return mlir::arith::XOrIOp::create(b, loc, x, y);
  }
  /// Shifts: the amount must be below the bit width (callers clamp).
  mlir::Value shl(mlir::Value x, mlir::Value n) const {
    return mlir::arith::ShLIOp::create(b, loc, x, n);
  }
  mlir::Value lshr(mlir::Value x, mlir::Value n) const {
    return mlir::arith::ShRUIOp::create(b, loc, x, n);
  }
  mlir::Value smax(mlir::Value x, mlir::Value y) const {
    return mlir::arith::MaxSIOp::create(b, loc, x, y);
  }
  mlir::Value smin(mlir::Value x, mlir::Value y) const {
    return mlir::arith::MinSIOp::create(b, loc, x, y);
  }
  mlir::Value umin(mlir::Value x, mlir::Value y) const {
    return mlir::arith::MinUIOp::create(b, loc, x, y);
  }
  mlir::Value urem(mlir::Value x, mlir::Value y) const {
    return mlir::arith::RemUIOp::create(b, loc, x, y);
  }
  mlir::Value cmp(mlir::arith::CmpIPredicate p, mlir::Value x,
                  mlir::Value y) const {
    return mlir::arith::CmpIOp::create(b, loc, p, x, y);
  }
  mlir::Value eq(mlir::Value x, mlir::Value y) const {
    return cmp(mlir::arith::CmpIPredicate::eq, x, y);
  }
  mlir::Value ne(mlir::Value x, mlir::Value y) const {
    return cmp(mlir::arith::CmpIPredicate::ne, x, y);
  }
  mlir::Value ult(mlir::Value x, mlir::Value y) const {
    return cmp(mlir::arith::CmpIPredicate::ult, x, y);
  }
  mlir::Value ugt(mlir::Value x, mlir::Value y) const {
    return cmp(mlir::arith::CmpIPredicate::ugt, x, y);
  }
  mlir::Value ule(mlir::Value x, mlir::Value y) const {
    return cmp(mlir::arith::CmpIPredicate::ule, x, y);
  }
  mlir::Value uge(mlir::Value x, mlir::Value y) const {
    return cmp(mlir::arith::CmpIPredicate::uge, x, y);
  }
  mlir::Value slt(mlir::Value x, mlir::Value y) const {
    return cmp(mlir::arith::CmpIPredicate::slt, x, y);
  }
  mlir::Value sle(mlir::Value x, mlir::Value y) const {
    return cmp(mlir::arith::CmpIPredicate::sle, x, y);
  }
  mlir::Value sgt(mlir::Value x, mlir::Value y) const {
    return cmp(mlir::arith::CmpIPredicate::sgt, x, y);
  }
  mlir::Value sge(mlir::Value x, mlir::Value y) const {
    return cmp(mlir::arith::CmpIPredicate::sge, x, y);
  }
  mlir::Value select(mlir::Value c, mlir::Value t, mlir::Value f) const {
    return mlir::arith::SelectOp::create(b, loc, c, t, f);
  }
  mlir::Value ctlz(mlir::Value x) const {
    return mlir::math::CountLeadingZerosOp::create(b, loc, x);
  }
  mlir::Value zext(mlir::Type elem, mlir::Value x) const {
    return mlir::arith::ExtUIOp::create(b, loc, type(elem), x);
  }
  mlir::Value sext(mlir::Type elem, mlir::Value x) const {
    return mlir::arith::ExtSIOp::create(b, loc, type(elem), x);
  }
  mlir::Value trunc(mlir::Type elem, mlir::Value x) const {
    return mlir::arith::TruncIOp::create(b, loc, type(elem), x);
  }
  mlir::Value bitcast(mlir::Type elem, mlir::Value x) const {
    return mlir::arith::BitcastOp::create(b, loc, type(elem), x);
  }
  mlir::Value land(mlir::Value x, mlir::Value y) const { return band(x, y); }
  mlir::Value lor(mlir::Value x, mlir::Value y) const { return bor(x, y); }
  mlir::Value lnot(mlir::Value x) const { return bxor(x, bit(true)); }

private:
  mlir::OpBuilder &b;
  mlir::Location loc;
  int64_t lanes;
};

} // namespace qtrain::lowering

#endif // QTRAIN_LIB_CONVERSION_QTRAINTOVECTOR_ELEMENTBUILDER_H
