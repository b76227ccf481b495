//===- QTrainOps.cpp - qtrain operations ----------------------------------===//
//
// Verifiers and folders. Folding calls the numerics library, so a folded
// constant is bit-identical to what every lowering must compute.
//
//===----------------------------------------------------------------------===//

#include "qtrain/Dialect/QTrain/IR/QTrainOps.h"

#include "qtrain/Numerics/Presets.h"
#include "qtrain/Numerics/Statistics.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/TypeUtilities.h"

#include "llvm/ADT/APFloat.h"

using namespace mlir;
using namespace qtrain;
namespace nx = qtrain::numerics;

#include "qtrain/Dialect/QTrain/IR/QTrainEnums.cpp.inc"

#define GET_OP_CLASSES
#include "qtrain/Dialect/QTrain/IR/QTrainOps.cpp.inc"

//===----------------------------------------------------------------------===//
// Shared helpers
//===----------------------------------------------------------------------===//

namespace {

/// An explicit rounding, else the format's default (the rounding a scaled
/// preset was written with, else nearest-even).
nx::Rounding roundingRule(std::optional<RoundingAttr> attr,
                          FormatAttrInterface format) {
  if (attr)
    return attr->getRounding();
  return format.getDefaultRounding();
}

/// `format` resolved for a tensor of `type` and the op's reduction axis (the
/// verifier reports an axis out of range; unresolved then).
nx::ScaledFormat resolvedFormat(FormatAttrInterface format, Type type,
                                std::optional<uint64_t> axis) {
  nx::ScaledFormat f = format.getScaledFormat();
  auto shaped = llvm::cast<ShapedType>(type);
  std::optional<unsigned> a;
  if (axis)
    a = static_cast<unsigned>(*axis);
  llvm::Expected<nx::ScaledFormat> r =
      nx::resolveBlocks(f, shaped.getRank(), a);
  if (!r) {
    llvm::consumeError(r.takeError());
    return f;
  }
  return *r;
}

/// The reduction axis must name a dimension of the tensor.
LogicalResult verifyReductionAxis(Operation *op, std::optional<uint64_t> axis,
                                  Type type) {
  int64_t rank = llvm::cast<ShapedType>(type).getRank();
  if (axis && static_cast<int64_t>(*axis) >= std::max<int64_t>(rank, 1))
    return op->emitOpError()
           << "reduction_axis " << *axis << " is out of range for a rank-"
           << rank << " tensor";
  return success();
}

/// The seed and random-data operands must match the rounding rule.
LogicalResult verifyRandomOperands(Operation *op, const nx::Rounding &r,
                                   Value seed, Value randomData) {
  if (r.isStochastic() && !seed)
    return op->emitOpError("stochastic rounding needs a seed operand");
  if (!r.isStochastic() && seed)
    return op->emitOpError("a seed is only used by stochastic rounding");
  bool dataSource =
      r.isStochastic() && r.source.kind == nx::RandomSourceKind::Data;
  if (dataSource && !randomData)
    return op->emitOpError(
        "the 'data' random source needs a random_data operand");
  if (!dataSource && randomData)
    return op->emitOpError(
        "random_data is only used by the 'data' random source");
  // A dynamically sized empty tensor is caught when the code runs.
  if (auto type = randomData
                      ? llvm::dyn_cast<RankedTensorType>(randomData.getType())
                      : RankedTensorType();
      type && type.hasStaticShape() && type.getNumElements() == 0)
    return op->emitOpError(
        "the random data of a data source is empty: it has no bits to give");
  return success();
}

/// The block grid of `level` over `shape`, with ShapedType::kDynamic where
/// a dimension is dynamic.
SmallVector<int64_t> gridShape(const nx::ScaleLevel &level,
                               ArrayRef<int64_t> shape) {
  SmallVector<int64_t> grid;
  for (size_t d = 0; d < shape.size(); ++d) {
    int64_t b = nx::blockSize(level, shape.size(), d);
    if (b == -1)
      grid.push_back(shape[d] == 0 ? 0 : 1);
    else if (ShapedType::isDynamic(shape[d]))
      grid.push_back(ShapedType::kDynamic);
    else
      grid.push_back((shape[d] + b - 1) / b);
  }
  return grid;
}

/// Checks a scale tensor type against its level over a tensor of `shape`.
LogicalResult verifyScaleType(Operation *op, const nx::ScaleLevel &level,
                              ArrayRef<int64_t> shape, Type type, bool codes,
                              unsigned index) {
  auto t = llvm::cast<RankedTensorType>(type);
  SmallVector<int64_t> grid = gridShape(level, shape);
  if (t.getRank() != static_cast<int64_t>(grid.size()))
    return op->emitOpError() << "scale tensor #" << index << " must have rank "
                             << grid.size() << ", got " << t.getRank();
  for (auto [want, got] : llvm::zip(grid, t.getShape()))
    if (!ShapedType::isDynamic(want) && !ShapedType::isDynamic(got) &&
        want != got)
      return op->emitOpError()
             << "scale tensor #" << index << " must have the block-grid shape ["
             << llvm::make_range(grid.begin(), grid.end()) << "], got " << type;
  Type elem = t.getElementType();
  if (!codes || level.format.kind == nx::ScaleKind::F32) {
    if (!elem.isF32())
      return op->emitOpError()
             << "scale tensor #" << index << " must hold f32, got " << elem;
    return success();
  }
  bool isE8M0 = level.format == nx::ScaleFormat::e8m0() &&
                llvm::isa<Float8E8M0FNUType>(elem);
  if (!isE8M0 && !elem.isSignlessInteger(level.format.bits))
    return op->emitOpError()
           << "scale codes #" << index << " must be i" << level.format.bits
           << (level.format == nx::ScaleFormat::e8m0() ? " or f8E8M0FNU" : "")
           << ", got " << elem;
  return success();
}

/// The preset of a builtin small float type, if it has one.
std::optional<nx::MinifloatFormat> formatOfBuiltin(Type t) {
  auto ft = llvm::dyn_cast<FloatType>(t);
  if (!ft)
    return std::nullopt;
  const llvm::fltSemantics &sem = ft.getFloatSemantics();
  struct Entry {
    const llvm::fltSemantics &(*semantics)();
    const char *preset;
  };
  static const Entry kTable[] = {
      {llvm::APFloat::Float8E5M2, "e5m2"},
      {llvm::APFloat::Float8E4M3, "e4m3"},
      {llvm::APFloat::Float8E4M3FN, "e4m3fn"},
      {llvm::APFloat::Float8E4M3FNUZ, "e4m3fnuz"},
      {llvm::APFloat::Float8E5M2FNUZ, "e5m2fnuz"},
      {llvm::APFloat::Float8E4M3B11FNUZ, "e4m3b11fnuz"},
      {llvm::APFloat::Float8E3M4, "e3m4"},
      {llvm::APFloat::Float6E3M2FN, "e3m2fn"},
      {llvm::APFloat::Float6E2M3FN, "e2m3fn"},
      {llvm::APFloat::Float4E2M1FN, "e2m1fn"},
      {llvm::APFloat::IEEEhalf, "f16"},
      {llvm::APFloat::BFloat, "bf16"},
  };
  for (const Entry &e : kTable)
    if (&e.semantics() == &sem)
      return nx::lookupMinifloat(e.preset);
  return std::nullopt;
}

/// Element codes are iN (N = element width) or the equal builtin float.
LogicalResult verifyCodeType(Operation *op, const nx::ElementFormat &e,
                             Type elem) {
  if (elem.isSignlessInteger(e.bitWidth()))
    return success();
  if (const nx::MinifloatFormat *m = e.minifloat())
    if (std::optional<nx::MinifloatFormat> b = formatOfBuiltin(elem))
      if (m->sameEncoding(*b))
        return success();
  return op->emitOpError() << "element codes must be i" << e.bitWidth()
                           << " or a builtin float type with the same "
                              "encoding, got "
                           << elem;
}

/// The f32 values of a constant, or nothing.
std::optional<std::vector<float>> f32Values(Attribute a) {
  auto dense = llvm::dyn_cast_if_present<DenseElementsAttr>(a);
  if (!dense || !dense.getElementType().isF32())
    return std::nullopt;
  auto range = dense.getValues<float>();
  return std::vector<float>(range.begin(), range.end());
}

DenseElementsAttr f32Attr(ShapedType type, ArrayRef<float> values) {
  return DenseElementsAttr::get(type, values);
}

/// Codes as a dense attribute of integer or (builtin float) code type.
DenseElementsAttr codesAttr(ShapedType type, ArrayRef<uint32_t> codes) {
  Type elem = type.getElementType();
  SmallVector<APInt> bits;
  unsigned width = elem.getIntOrFloatBitWidth();
  for (uint32_t c : codes)
    bits.push_back(APInt(width, c));
  if (auto ft = llvm::dyn_cast<FloatType>(elem)) {
    SmallVector<APFloat> floats;
    for (const APInt &b : bits)
      floats.emplace_back(ft.getFloatSemantics(), b);
    return DenseElementsAttr::get(type, floats);
  }
  return DenseElementsAttr::get(type, bits);
}

std::optional<std::vector<uint32_t>> codeValues(Attribute a) {
  auto dense = llvm::dyn_cast_if_present<DenseElementsAttr>(a);
  if (!dense)
    return std::nullopt;
  std::vector<uint32_t> out;
  if (dense.getElementType().isIntOrIndex()) {
    for (const APInt &v : dense.getValues<APInt>())
      out.push_back(static_cast<uint32_t>(v.getZExtValue()));
    return out;
  }
  for (const APFloat &v : dense.getValues<APFloat>())
    out.push_back(static_cast<uint32_t>(v.bitcastToAPInt().getZExtValue()));
  return out;
}

/// The seed of a stochastic op when constant (0 when not stochastic).
std::optional<uint64_t> constantSeed(const nx::Rounding &r, Attribute seed) {
  if (!r.isStochastic())
    return 0;
  auto i = llvm::dyn_cast_if_present<IntegerAttr>(seed);
  if (!i)
    return std::nullopt;
  return i.getValue().getZExtValue();
}

} // namespace

//===----------------------------------------------------------------------===//
// QuantizeOp
//===----------------------------------------------------------------------===//

nx::Rounding QuantizeOp::getRoundingRule() {
  return roundingRule(getRounding(), getFormat());
}

namespace {
/// One `scales` operand per level whose rule is 'given', shaped like its
/// block grid (or 0-d for a whole-tensor level).
LogicalResult verifyGivenScales(Operation *op, const nx::ScaledFormat &f,
                                ArrayRef<int64_t> shape, ValueRange scales) {
  unsigned given = 0;
  for (const nx::ScaleLevel &l : f.levels) {
    if (l.blockShape.size() > shape.size())
      return op->emitOpError()
             << "a scale level's block shape has " << l.blockShape.size()
             << " dimensions but the input only " << shape.size();
    if (l.rule != nx::ScaleRule::Given)
      continue;
    if (given >= scales.size())
      return op->emitOpError("needs one scales operand per scale level whose "
                             "rule is 'given'");
    auto type = llvm::cast<RankedTensorType>(scales[given].getType());
    bool scalarForWholeTensor = l.blockShape.empty() && type.getRank() == 0;
    if (!scalarForWholeTensor &&
        failed(verifyScaleType(op, l, shape, type, /*codes=*/false, given)))
      return failure();
    ++given;
  }
  if (given != scales.size())
    return op->emitOpError()
           << "has " << scales.size() << " scales operands but the format has "
           << given << " level(s) whose rule is 'given'";
  return success();
}

/// The constant given scales, in level order, or nothing.
std::optional<std::vector<std::vector<float>>>
constantGivenScales(ArrayRef<Attribute> attrs) {
  std::vector<std::vector<float>> out;
  for (Attribute a : attrs) {
    std::optional<std::vector<float>> v = f32Values(a);
    if (!v)
      return std::nullopt;
    out.push_back(std::move(*v));
  }
  return out;
}
} // namespace

nx::ScaledFormat QuantizeOp::getResolvedFormat() {
  return resolvedFormat(getFormat(), getInput().getType(), getReductionAxis());
}

LogicalResult QuantizeOp::verify() {
  nx::Rounding r = getRoundingRule();
  if (failed(verifyRandomOperands(*this, r, getSeed(), getRandomData())) ||
      failed(
          verifyReductionAxis(*this, getReductionAxis(), getInput().getType())))
    return failure();
  return verifyGivenScales(*this, getResolvedFormat(),
                           getInput().getType().getShape(), getScales());
}

OpFoldResult QuantizeOp::fold(FoldAdaptor adaptor) {
  nx::Rounding r = getRoundingRule();
  nx::ScaledFormat f = getResolvedFormat();
  // Quantizing twice to one element format with deterministic rounding is
  // quantizing once: grid values are fixed points of every such mode.
  if (auto inner = getInput().getDefiningOp<QuantizeOp>())
    if (f.levels.empty() && !r.isStochastic() &&
        inner.getFormat() == getFormat() &&
        !inner.getRoundingRule().isStochastic())
      return inner.getResult();

  std::optional<std::vector<float>> in = f32Values(adaptor.getInput());
  std::optional<uint64_t> seed = constantSeed(r, adaptor.getSeed());
  std::optional<std::vector<std::vector<float>>> given =
      constantGivenScales(adaptor.getScales());
  if (!in || !seed || !given || getRandomData())
    return {};
  r.source.seed = *seed;
  auto type = llvm::cast<RankedTensorType>(getType());
  std::vector<float> out(in->size());
  if (llvm::Error e =
          nx::quantizeScaled(f, type.getShape(), *in, out, r, *given)) {
    llvm::consumeError(std::move(e));
    return {};
  }
  return f32Attr(type, out);
}

//===----------------------------------------------------------------------===//
// EncodeOp / DecodeOp
//===----------------------------------------------------------------------===//

nx::Rounding EncodeOp::getRoundingRule() {
  return roundingRule(getRounding(), getFormat());
}

namespace {
/// Checks codes and scale types shared by encode and decode.
LogicalResult verifyStorageTypes(Operation *op, const nx::ScaledFormat &f,
                                 RankedTensorType valueType,
                                 RankedTensorType codeType,
                                 TypeRange scaleTypes) {
  if (failed(verifyCompatibleShape(valueType.getShape(), codeType.getShape())))
    return op->emitOpError() << "codes must have the shape of the values, got "
                             << codeType << " for " << valueType;
  if (failed(verifyCodeType(op, f.element, codeType.getElementType())))
    return failure();
  if (scaleTypes.size() != f.levels.size())
    return op->emitOpError()
           << "the format has " << f.levels.size() << " scale level(s) but "
           << scaleTypes.size() << " scale tensors are given";
  for (auto [i, level, type] : llvm::enumerate(f.levels, scaleTypes))
    if (failed(verifyScaleType(op, level, valueType.getShape(), type,
                               /*codes=*/true, i)))
      return failure();
  return success();
}
} // namespace

nx::ScaledFormat EncodeOp::getResolvedFormat() {
  return resolvedFormat(getFormat(), getInput().getType(), getReductionAxis());
}

LogicalResult EncodeOp::verify() {
  if (failed(
          verifyReductionAxis(*this, getReductionAxis(), getInput().getType())))
    return failure();
  nx::ScaledFormat f = getResolvedFormat();
  if (failed(verifyRandomOperands(*this, getRoundingRule(), getSeed(),
                                  getRandomData())) ||
      failed(verifyGivenScales(*this, f, getInput().getType().getShape(),
                               getGivenScales())))
    return failure();
  return verifyStorageTypes(*this, f, getInput().getType(),
                            getCodes().getType(), getScales().getTypes());
}

LogicalResult EncodeOp::fold(FoldAdaptor adaptor,
                             SmallVectorImpl<OpFoldResult> &results) {
  nx::Rounding r = getRoundingRule();
  std::optional<std::vector<float>> in = f32Values(adaptor.getInput());
  std::optional<uint64_t> seed = constantSeed(r, adaptor.getSeed());
  std::optional<std::vector<std::vector<float>>> given =
      constantGivenScales(adaptor.getGivenScales());
  if (!in || !seed || !given || getRandomData())
    return failure();
  r.source.seed = *seed;
  nx::ScaledFormat f = getResolvedFormat();
  llvm::Expected<nx::ScaledTensor> t =
      nx::encodeScaled(f, getInput().getType().getShape(), *in, r, *given);
  if (!t) {
    llvm::consumeError(t.takeError());
    return failure();
  }
  results.push_back(codesAttr(getCodes().getType(), t->codes));
  for (auto [scales, result] : llvm::zip(t->scales, getScales())) {
    auto type = llvm::cast<RankedTensorType>(result.getType());
    if (type.getElementType().isF32())
      results.push_back(f32Attr(type, scales.values));
    else
      results.push_back(codesAttr(type, scales.codes));
  }
  return success();
}

nx::ScaledFormat DecodeOp::getResolvedFormat() {
  return resolvedFormat(getFormat(), getResult().getType(), getReductionAxis());
}

LogicalResult DecodeOp::verify() {
  if (failed(verifyReductionAxis(*this, getReductionAxis(),
                                 getResult().getType())))
    return failure();
  nx::ScaledFormat f = getResolvedFormat();
  return verifyStorageTypes(*this, f, getResult().getType(),
                            getCodes().getType(), getScales().getTypes());
}

OpFoldResult DecodeOp::fold(FoldAdaptor adaptor) {
  nx::ScaledFormat f = getResolvedFormat();
  auto type = llvm::cast<RankedTensorType>(getType());
  if (!type.getElementType().isF32())
    return {};
  std::optional<std::vector<uint32_t>> codes = codeValues(adaptor.getCodes());
  if (!codes)
    return {};
  nx::ScaledTensor t;
  t.codes = std::move(*codes);
  for (auto [level, attr, value] :
       llvm::zip(f.levels, adaptor.getScales(), getScales())) {
    nx::LevelScales s;
    s.grid.assign(llvm::cast<ShapedType>(value.getType()).getShape().begin(),
                  llvm::cast<ShapedType>(value.getType()).getShape().end());
    if (level.format.kind == nx::ScaleKind::F32) {
      std::optional<std::vector<float>> v = f32Values(attr);
      if (!v)
        return {};
      s.values = std::move(*v);
    } else {
      std::optional<std::vector<uint32_t>> c = codeValues(attr);
      if (!c)
        return {};
      for (uint32_t code : *c)
        s.values.push_back(nx::decodeScale(level.format, code));
    }
    t.scales.push_back(std::move(s));
  }
  std::vector<float> out(t.codes.size());
  if (llvm::Error e = nx::decodeScaled(f, type.getShape(), t, out)) {
    llvm::consumeError(std::move(e));
    return {};
  }
  return f32Attr(type, out);
}

//===----------------------------------------------------------------------===//
// MatmulOp / Conv2DOp
//===----------------------------------------------------------------------===//

namespace {
bool compatible(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
}
} // namespace

LogicalResult MatmulOp::verify() {
  auto a = getLhs().getType(), b = getRhs().getType(), c = getType();
  int64_t rank = a.getRank();
  if ((rank != 2 && rank != 3) || b.getRank() != rank || c.getRank() != rank)
    return emitOpError("operands and result must all be rank 2, or all rank "
                       "3 (batched)");
  auto sa = a.getShape(), sb = b.getShape(), sc = c.getShape();
  int64_t r0 = rank - 2, r1 = rank - 1;
  int64_t m = getTransposeA() ? sa[r1] : sa[r0];
  int64_t ka = getTransposeA() ? sa[r0] : sa[r1];
  int64_t kb = getTransposeB() ? sb[r1] : sb[r0];
  int64_t n = getTransposeB() ? sb[r0] : sb[r1];
  if (rank == 3 && (!compatible(sa[0], sb[0]) || !compatible(sa[0], sc[0])))
    return emitOpError("batch dimensions differ");
  if (!compatible(ka, kb))
    return emitOpError() << "contraction sizes differ: " << ka << " vs " << kb;
  if (!compatible(m, sc[r0]) || !compatible(n, sc[r1]))
    return emitOpError() << "result must be " << m << "x" << n << ", got " << c;
  return success();
}

LogicalResult Conv2DOp::verify() {
  auto l = getLhs().getType(), r = getRhs().getType(), o = getType();
  if (l.getRank() != 4 || r.getRank() != 4 || o.getRank() != 4)
    return emitOpError("operands and result must be rank 4 (NCHW / FCHW)");
  ArrayRef<int64_t> st = getStrides(), pad = getPadding(), dil = getDilations();
  if (st.size() != 2 || dil.size() != 2 || pad.size() != 4)
    return emitOpError("needs 2 strides, 2 dilations and 4 paddings (top, "
                       "bottom, left, right)");
  if (llvm::any_of(st, [](int64_t v) { return v < 1; }) ||
      llvm::any_of(dil, [](int64_t v) { return v < 1; }))
    return emitOpError("strides and dilations must be positive");
  if (llvm::any_of(pad, [](int64_t v) { return v < 0; }))
    return emitOpError("padding must be non-negative");
  // Name the tensors of the forward convolution whatever the kind.
  ArrayRef<int64_t> in, filter, out;
  switch (getKind()) {
  case ConvKind::Forward:
    in = l.getShape(), filter = r.getShape(), out = o.getShape();
    break;
  case ConvKind::BackwardData:
    out = l.getShape(), filter = r.getShape(), in = o.getShape();
    break;
  case ConvKind::BackwardWeight:
    in = l.getShape(), out = r.getShape(), filter = o.getShape();
    break;
  }
  if (!compatible(in[0], out[0]))
    return emitOpError("batch sizes of input and output differ");
  if (!compatible(in[1], filter[1]))
    return emitOpError("input channels of input and filter differ");
  if (!compatible(out[1], filter[0]))
    return emitOpError("output channels of output and filter differ");
  for (int d = 0; d < 2; ++d) {
    int64_t h = in[2 + d], k = filter[2 + d], oh = out[2 + d];
    if (ShapedType::isDynamic(h) || ShapedType::isDynamic(k) ||
        ShapedType::isDynamic(oh))
      continue;
    int64_t span = h + pad[2 * d] + pad[2 * d + 1] - dil[d] * (k - 1) - 1;
    int64_t want = span < 0 ? 0 : span / st[d] + 1;
    if (span < 0 || want != oh)
      return emitOpError() << "output " << (d ? "width" : "height")
                           << " must be " << want << " for input " << h
                           << ", filter " << k << ", got " << oh;
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Statistics and scale selection
//===----------------------------------------------------------------------===//

namespace {
OpFoldResult scalarF32(Type type, float v) {
  return DenseElementsAttr::get(llvm::cast<ShapedType>(type), v);
}

/// A format attribute that must be an element format (no scale levels).
LogicalResult verifyElementOnly(Operation *op, FormatAttrInterface f,
                                StringRef what) {
  if (!f.getScaledFormat().levels.empty())
    return op->emitOpError() << what
                             << " must be an element format "
                                "(#qtrain.fp or #qtrain.int)";
  return success();
}
} // namespace

OpFoldResult AmaxOp::fold(FoldAdaptor adaptor) {
  std::optional<std::vector<float>> in = f32Values(adaptor.getInput());
  if (!in)
    return {};
  return scalarF32(getType(), nx::amax(*in));
}

OpFoldResult MedianOp::fold(FoldAdaptor adaptor) {
  std::optional<std::vector<float>> in = f32Values(adaptor.getInput());
  if (!in)
    return {};
  return scalarF32(
      getType(), getApprox() ? nx::medianAbsApprox(*in, getBins(), getNonzero())
                             : nx::medianAbs(*in, getNonzero()));
}

nx::ScaledFormat ZeroSettingErrorOp::getResolvedFormat() {
  return resolvedFormat(getFormat(), getInput().getType(), getReductionAxis());
}

nx::Rounding ZeroSettingErrorOp::getRoundingRule() {
  return roundingRule(getRounding(), getFormat());
}

LogicalResult ZeroSettingErrorOp::verify() {
  if (failed(
          verifyReductionAxis(*this, getReductionAxis(), getInput().getType())))
    return failure();
  if (roundingRule(getRounding(), getFormat()).isStochastic())
    return emitOpError("the zero-setting error uses a deterministic rounding");
  for (const nx::ScaleLevel &l : getFormat().getScaledFormat().levels)
    if (l.rule == nx::ScaleRule::Given)
      return emitOpError("the zero-setting error computes its scales; a "
                         "level whose rule is 'given' is not allowed");
  return verifyGivenScales(*this, getResolvedFormat(),
                           getInput().getType().getShape(), {});
}

OpFoldResult ZeroSettingErrorOp::fold(FoldAdaptor adaptor) {
  std::optional<std::vector<float>> in = f32Values(adaptor.getInput());
  if (!in)
    return {};
  llvm::Expected<double> zse = nx::zeroSettingError(
      getResolvedFormat(), getInput().getType().getShape(), *in,
      roundingRule(getRounding(), getFormat()),
      getAllElements() ? nx::ZseDenominator::All : nx::ZseDenominator::NonZero);
  if (!zse) {
    llvm::consumeError(zse.takeError());
    return {};
  }
  return scalarF32(getType(), static_cast<float>(*zse));
}

LogicalResult ExponentHistogramOp::verify() {
  int64_t want = nx::ExponentHistogram::kMaxExponent -
                 nx::ExponentHistogram::kMinExponent + 1 + 3;
  if (getType().getShape()[0] != want)
    return emitOpError() << "result must have " << want << " counts, got "
                         << getType();
  return success();
}

namespace {
LogicalResult verifyMedianHistogramType(Operation *op, ShapedType type) {
  if (type.getShape()[0] != int64_t(nx::median_histogram::kBins))
    return op->emitOpError()
           << "a median histogram has " << nx::median_histogram::kBins
           << " counts, got " << type;
  return success();
}
} // namespace

LogicalResult MedianHistogramOp::verify() {
  return verifyMedianHistogramType(*this, getHistogram().getType());
}

LogicalResult HistogramMedianOp::verify() {
  return verifyMedianHistogramType(*this, getHistogram().getType());
}

OpFoldResult HistogramMedianOp::fold(FoldAdaptor adaptor) {
  auto counts =
      llvm::dyn_cast_if_present<DenseIntElementsAttr>(adaptor.getHistogram());
  if (!counts)
    return {};
  std::vector<uint64_t> h;
  for (const APInt &c : counts.getValues<APInt>())
    h.push_back(c.getZExtValue());
  return scalarF32(getType(), nx::medianLookupValue(h, getNonzero()));
}

namespace {
LogicalResult verifyScaleSelection(Operation *op, ScaleLevelAttr level,
                                   FormatAttrInterface element) {
  if (level.getRule() == nx::ScaleRule::Given)
    return op->emitOpError("a level whose rule is 'given' selects no scale");
  return verifyElementOnly(op, element, "element");
}

float selectScale(ScaleLevelAttr level, FormatAttrInterface element,
                  float statistic) {
  nx::ScaleLevel l = level.getLevel();
  if (l.rule == nx::ScaleRule::MedianLookup)
    return nx::scaleFromMedian(l, statistic);
  return nx::scaleFromAmax(l, element.getScaledFormat().element, statistic);
}
} // namespace

LogicalResult SelectScaleOp::verify() {
  return verifyScaleSelection(*this, getLevel(), getElement());
}

OpFoldResult SelectScaleOp::fold(FoldAdaptor adaptor) {
  std::optional<std::vector<float>> s = f32Values(adaptor.getStatistic());
  if (!s)
    return {};
  return scalarF32(getType(), selectScale(getLevel(), getElement(), (*s)[0]));
}

LogicalResult DelayedScaleOp::verify() {
  if (getLevel().getRule() == nx::ScaleRule::MedianLookup)
    return emitOpError("delayed scaling keeps an amax history; the "
                       "median_lookup rule does not read amax");
  if (getHistory().getType().getShape()[0] == 0)
    return emitOpError("the amax history needs at least one entry");
  return verifyScaleSelection(*this, getLevel(), getElement());
}
