//===- QTrainAttrs.cpp - qtrain attributes --------------------------------===//
//
// Parsing, printing and verification of the format, rounding and
// accumulation attributes. Names and checks come from the numerics library;
// nothing here decides a number format rule.
//
//===----------------------------------------------------------------------===//

#include "qtrain/Dialect/QTrain/IR/QTrainAttrs.h"

#include "qtrain/Dialect/QTrain/IR/QTrainDialect.h"
#include "qtrain/Numerics/Presets.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/ADT/bit.h"

#include <limits>
#include <type_traits>

using namespace mlir;
using namespace qtrain;
namespace nx = qtrain::numerics;

//===----------------------------------------------------------------------===//
// Hashing of the numerics descriptors
//===----------------------------------------------------------------------===//

namespace qtrain::numerics {
llvm::hash_code hash_value(const MinifloatFormat &f) {
  return llvm::hash_combine(f.exponentBits, f.mantissaBits, f.bias, f.specials,
                            f.subnormals, f.overflow);
}
llvm::hash_code hash_value(const IntegerFormat &f) {
  return llvm::hash_combine(f.bits, f.encoding, f.fractionBits, f.overflow);
}
llvm::hash_code hash_value(const ScaleFormat &f) {
  if (f.kind == ScaleKind::F32)
    return llvm::hash_value(f.kind);
  return llvm::hash_combine(f.kind, f.bits, f.bias, f.hasNaN);
}
llvm::hash_code hash_value(const Rounding &r) {
  if (!r.isStochastic())
    return llvm::hash_value(r.mode);
  // Only the fields RandomSource::operator== compares.
  const RandomSource &s = r.source;
  llvm::hash_code head = llvm::hash_combine(
      r.mode, r.randomBits, r.roundingBits(), r.variant, s.kind);
  switch (s.kind) {
  case RandomSourceKind::Counter:
    return llvm::hash_combine(head, s.seed);
  case RandomSourceKind::Lfsr:
  case RandomSourceKind::LfsrPlateau:
    return llvm::hash_combine(head, s.seed, s.lfsrWidth, s.lfsrTaps,
                              s.lfsrLanes);
  case RandomSourceKind::Data:
    return llvm::hash_combine(head, s.dataBitOffset);
  }
  llvm_unreachable("unknown random source");
}
llvm::hash_code hash_value(const AccumulationSpec &s) {
  return llvm::hash_combine(
      s.product ? hash_value(*s.product) : llvm::hash_code(0),
      hash_value(s.accumulator),
      s.outer ? hash_value(*s.outer) : llvm::hash_code(0), s.grouping,
      s.groupSize, llvm::bit_cast<uint64_t>(s.initialThreshold), s.dgaCount,
      s.shiftC, s.sharedThreshold, s.rounding,
      s.fixedPoint ? hash_value(*s.fixedPoint) : llvm::hash_code(0));
}
} // namespace qtrain::numerics

#include "qtrain/Dialect/QTrain/IR/QTrainAttrInterfaces.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "qtrain/Dialect/QTrain/IR/QTrainAttrDefs.cpp.inc"

void QTrainDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "qtrain/Dialect/QTrain/IR/QTrainAttrDefs.cpp.inc"
      >();
}

//===----------------------------------------------------------------------===//
// Parsing helpers
//===----------------------------------------------------------------------===//

namespace {

/// Parses `(, key [= value])* >`, handing each key to `onKey`, which parses
/// the rest. Unknown or repeated keys are errors.
ParseResult
parseKeys(AsmParser &p,
          llvm::function_ref<ParseResult(StringRef key, SMLoc loc)> onKey) {
  llvm::SmallVector<StringRef> seen;
  while (succeeded(p.parseOptionalComma())) {
    SMLoc loc = p.getCurrentLocation();
    StringRef key;
    if (p.parseKeyword(&key))
      return failure();
    if (llvm::is_contained(seen, key))
      return p.emitError(loc) << "'" << key << "' is given twice";
    seen.push_back(key);
    if (onKey(key, loc))
      return failure();
  }
  return p.parseGreater();
}

ParseResult unknownKey(AsmParser &p, SMLoc loc, StringRef key, StringRef attr) {
  return p.emitError(loc) << "unknown key '" << key << "' in " << attr;
}

template <typename T>
ParseResult parseName(AsmParser &p, T &out,
                      std::optional<T> (*parse)(StringRef), StringRef what) {
  SMLoc loc = p.getCurrentLocation();
  StringRef word;
  if (p.parseKeyword(&word))
    return failure();
  std::optional<T> v = parse(word);
  if (!v)
    return p.emitError(loc) << "unknown " << what << " '" << word << "'";
  out = *v;
  return success();
}

/// `= name`
template <typename T>
ParseResult parseNameValue(AsmParser &p, T &out,
                           std::optional<T> (*parse)(StringRef),
                           StringRef what) {
  return failure(p.parseEqual() || parseName(p, out, parse, what));
}

/// Parses `= <integer>` into `out`, rejecting values `T` cannot hold (so
/// that `frac = 4294967299` is an error, not frac = 3).
template <typename T> ParseResult parseIntValue(AsmParser &p, T &out) {
  if (p.parseEqual())
    return failure();
  SMLoc loc = p.getCurrentLocation();
  int64_t v;
  if (p.parseInteger(v))
    return failure();
  using Limits = std::numeric_limits<T>;
  bool fits = std::is_signed_v<T>
                  ? v >= static_cast<int64_t>(Limits::min()) &&
                        v <= static_cast<int64_t>(Limits::max())
                  : v >= 0 && static_cast<uint64_t>(v) <=
                                  static_cast<uint64_t>(Limits::max());
  if (!fits)
    return p.emitError(loc) << "integer " << v << " is out of range ["
                            << +Limits::min() << ", " << +Limits::max() << "]";
  out = static_cast<T>(v);
  return success();
}

ParseResult parseBoolValue(AsmParser &p, bool &out) {
  SMLoc loc = p.getCurrentLocation();
  StringRef word;
  if (p.parseEqual() || p.parseKeyword(&word))
    return failure();
  if (word != "true" && word != "false")
    return p.emitError(loc) << "expected 'true' or 'false'";
  out = word == "true";
  return success();
}

template <typename AttrT, typename... Args>
AttrT checkedAttr(AsmParser &p, SMLoc loc, Args &&...args) {
  return AttrT::getChecked([&] { return p.emitError(loc); }, p.getContext(),
                           std::forward<Args>(args)...);
}

LogicalResult fromError(llvm::function_ref<InFlightDiagnostic()> emitError,
                        llvm::Error e) {
  if (!e)
    return success();
  return emitError() << llvm::toString(std::move(e));
}

/// `eXmY` -> (X, Y).
std::optional<std::pair<unsigned, unsigned>> parseEXMY(StringRef word) {
  unsigned e, m;
  if (!word.consume_front("e"))
    return std::nullopt;
  size_t mpos = word.find('m');
  if (mpos == StringRef::npos || word.substr(0, mpos).getAsInteger(10, e) ||
      word.substr(mpos + 1).getAsInteger(10, m))
    return std::nullopt;
  return std::make_pair(e, m);
}

} // namespace

//===----------------------------------------------------------------------===//
// #qtrain.fp
//===----------------------------------------------------------------------===//

Attribute FloatFormatAttr::parse(AsmParser &p, Type) {
  SMLoc loc = p.getCurrentLocation();
  StringRef name;
  if (p.parseLess() || p.parseKeyword(&name))
    return {};
  // A preset or `eXmY` gives the starting point; keys override it.
  nx::MinifloatFormat f;
  if (std::optional<nx::MinifloatFormat> preset = nx::lookupMinifloat(name)) {
    f = *preset;
  } else if (std::optional<std::pair<unsigned, unsigned>> em =
                 parseEXMY(name)) {
    f = nx::MinifloatFormat::standard(em->first, em->second);
  } else {
    p.emitError(loc) << "expected a format preset or 'eXmY', got '" << name
                     << "'";
    return {};
  }
  bool specialsGiven = false;
  bool overflowGiven = false;
  if (parseKeys(p, [&](StringRef key, SMLoc keyLoc) -> ParseResult {
        if (key == "bias")
          return parseIntValue(p, f.bias);
        if (key == "specials") {
          specialsGiven = true;
          return parseNameValue(p, f.specials, nx::parseSpecialValues,
                                "special values");
        }
        if (key == "subnormals")
          return parseBoolValue(p, f.subnormals);
        if (key == "overflow") {
          overflowGiven = true;
          return parseNameValue(p, f.overflow, nx::parseOverflowPolicy,
                                "overflow policy");
        }
        return unknownKey(p, keyLoc, key, "#qtrain.fp");
      }))
    return {};
  if (specialsGiven && !overflowGiven)
    f.overflow = nx::defaultOverflowPolicy(f.specials);
  return checkedAttr<FloatFormatAttr>(p, loc, f);
}

void FloatFormatAttr::print(AsmPrinter &p) const {
  const nx::MinifloatFormat &f = getFormat();
  StringRef preset = nx::minifloatPresetName(f);
  if (!preset.empty()) {
    p << '<' << preset << '>';
    return;
  }
  p << "<e" << f.exponentBits << 'm' << f.mantissaBits;
  if (f.bias != nx::MinifloatFormat::standardBias(f.exponentBits))
    p << ", bias = " << f.bias;
  if (f.specials != nx::SpecialValues::IEEE)
    p << ", specials = " << nx::stringifySpecialValues(f.specials);
  if (!f.subnormals)
    p << ", subnormals = false";
  if (f.overflow != nx::defaultOverflowPolicy(f.specials))
    p << ", overflow = " << nx::stringifyOverflowPolicy(f.overflow);
  p << '>';
}

LogicalResult
FloatFormatAttr::verify(llvm::function_ref<InFlightDiagnostic()> emitError,
                        nx::MinifloatFormat format) {
  return fromError(emitError, format.verify());
}

nx::ScaledFormat FloatFormatAttr::getScaledFormat() const {
  return nx::ScaledFormat{nx::ElementFormat(getFormat()), {}};
}

//===----------------------------------------------------------------------===//
// #qtrain.int
//===----------------------------------------------------------------------===//

Attribute IntFormatAttr::parse(AsmParser &p, Type) {
  SMLoc loc = p.getCurrentLocation();
  StringRef name;
  if (p.parseLess() || p.parseKeyword(&name))
    return {};
  nx::IntegerFormat f;
  StringRef digits = name;
  if (digits.consume_front("sm"))
    f.encoding = nx::IntegerEncoding::SignMagnitude;
  else if (digits.consume_front("s"))
    f.encoding = nx::IntegerEncoding::TwosComplement;
  else if (digits.consume_front("u"))
    f.encoding = nx::IntegerEncoding::Unsigned;
  else
    digits = "";
  if (digits.empty() || digits.getAsInteger(10, f.bits)) {
    p.emitError(loc) << "expected sN, uN or smN, got '" << name << "'";
    return {};
  }
  if (parseKeys(p, [&](StringRef key, SMLoc keyLoc) -> ParseResult {
        if (key == "frac")
          return parseIntValue(p, f.fractionBits);
        if (key == "overflow")
          return parseNameValue(p, f.overflow, nx::parseIntegerOverflow,
                                "integer overflow");
        return unknownKey(p, keyLoc, key, "#qtrain.int");
      }))
    return {};
  return checkedAttr<IntFormatAttr>(p, loc, f);
}

void IntFormatAttr::print(AsmPrinter &p) const {
  const nx::IntegerFormat &f = getFormat();
  StringRef prefix = f.encoding == nx::IntegerEncoding::SignMagnitude ? "sm"
                     : f.encoding == nx::IntegerEncoding::Unsigned    ? "u"
                                                                      : "s";
  p << '<' << prefix << f.bits;
  if (f.fractionBits != 0)
    p << ", frac = " << f.fractionBits;
  if (f.overflow != nx::IntegerOverflow::Saturate)
    p << ", overflow = " << nx::stringifyIntegerOverflow(f.overflow);
  p << '>';
}

LogicalResult
IntFormatAttr::verify(llvm::function_ref<InFlightDiagnostic()> emitError,
                      nx::IntegerFormat format) {
  return fromError(emitError, format.verify());
}

nx::ScaledFormat IntFormatAttr::getScaledFormat() const {
  return nx::ScaledFormat{nx::ElementFormat(getFormat()), {}};
}

std::optional<nx::ElementFormat> qtrain::getElementFormat(Attribute a) {
  if (auto f = llvm::dyn_cast_if_present<FloatFormatAttr>(a))
    return nx::ElementFormat(f.getFormat());
  if (auto f = llvm::dyn_cast_if_present<IntFormatAttr>(a))
    return nx::ElementFormat(f.getFormat());
  return std::nullopt;
}

//===----------------------------------------------------------------------===//
// #qtrain.scale_level
//===----------------------------------------------------------------------===//

namespace {
ParseResult parseScaleFormat(AsmParser &p, nx::ScaleFormat &f) {
  SMLoc loc = p.getCurrentLocation();
  StringRef word;
  if (p.parseKeyword(&word))
    return failure();
  if (word == "f32") {
    f = nx::ScaleFormat::f32();
    return success();
  }
  if (word == "e8m0") {
    f = nx::ScaleFormat::e8m0();
    return success();
  }
  if (word != "pow2")
    return p.emitError(loc) << "expected a scale format (f32, e8m0 or "
                               "pow2<bits, bias[, nan]>), got '"
                            << word << "'";
  int64_t bits, bias;
  if (p.parseLess() || p.parseInteger(bits) || p.parseComma() ||
      p.parseInteger(bias))
    return failure();
  bool nan = succeeded(p.parseOptionalComma());
  if (nan && p.parseKeyword("nan"))
    return failure();
  if (p.parseGreater())
    return failure();
  f = nx::ScaleFormat::powerOfTwo(static_cast<unsigned>(bits),
                                  static_cast<int>(bias), nan);
  return success();
}

void printScaleFormat(AsmPrinter &p, const nx::ScaleFormat &f) {
  if (f.kind == nx::ScaleKind::F32)
    p << "f32";
  else if (f == nx::ScaleFormat::e8m0())
    p << "e8m0";
  else
    p << "pow2<" << f.bits << ", " << f.bias << (f.hasNaN ? ", nan" : "")
      << '>';
}
} // namespace

Attribute ScaleLevelAttr::parse(AsmParser &p, Type) {
  SMLoc loc = p.getCurrentLocation();
  llvm::SmallVector<int64_t> block;
  if (p.parseLess())
    return {};
  if (failed(p.parseOptionalKeyword("tensor"))) {
    if (p.parseCommaSeparatedList(AsmParser::Delimiter::Square, [&] {
          return p.parseInteger(block.emplace_back());
        }))
      return {};
  }
  nx::ScaleFormat format;
  nx::ScaleRule rule = nx::ScaleRule::SharedExponent;
  if (p.parseComma() || parseScaleFormat(p, format) || p.parseComma() ||
      parseName(p, rule, nx::parseScaleRule, "scale rule"))
    return {};
  int margin = 0, medianExponent = 0;
  bool excludeZeros = false;
  int64_t axisBlock = 0;
  if (parseKeys(p, [&](StringRef key, SMLoc keyLoc) -> ParseResult {
        if (key == "axis_block")
          return parseIntValue(p, axisBlock);
        if (key == "margin")
          return parseIntValue(p, margin);
        if (key == "median_exponent")
          return parseIntValue(p, medianExponent);
        if (key == "nonzero") {
          excludeZeros = true;
          return success();
        }
        return unknownKey(p, keyLoc, key, "#qtrain.scale_level");
      }))
    return {};
  return checkedAttr<ScaleLevelAttr>(p, loc, block, format, rule, margin,
                                     medianExponent, excludeZeros, axisBlock);
}

void ScaleLevelAttr::print(AsmPrinter &p) const {
  p << '<';
  if (getBlock().empty())
    p << "tensor";
  else
    p << '[' << getBlock() << ']';
  p << ", ";
  printScaleFormat(p, getScaleFormat());
  p << ", " << nx::stringifyScaleRule(getRule());
  if (getMargin() != 0)
    p << ", margin = " << getMargin();
  if (getMedianExponent() != 0)
    p << ", median_exponent = " << getMedianExponent();
  if (getExcludeZeros())
    p << ", nonzero";
  if (getAxisBlock() != 0)
    p << ", axis_block = " << getAxisBlock();
  p << '>';
}

LogicalResult
ScaleLevelAttr::verify(llvm::function_ref<InFlightDiagnostic()> emitError,
                       ArrayRef<int64_t> block, nx::ScaleFormat format,
                       nx::ScaleRule rule, int margin, int medianExponent,
                       bool excludeZeros, int64_t axisBlock) {
  nx::ScaleLevel level{llvm::SmallVector<int64_t, 4>(block),
                       format,
                       rule,
                       margin,
                       medianExponent,
                       excludeZeros,
                       axisBlock};
  if (margin != 0 && rule != nx::ScaleRule::AmaxToMax)
    return emitError() << "'margin' applies only to the amax_to_max rule";
  if (medianExponent != 0 && rule != nx::ScaleRule::MedianLookup)
    return emitError()
           << "'median_exponent' applies only to the median_lookup rule";
  return fromError(emitError, level.verify());
}

nx::ScaleLevel ScaleLevelAttr::getLevel() const {
  return nx::ScaleLevel{llvm::SmallVector<int64_t, 4>(getBlock()),
                        getScaleFormat(),
                        getRule(),
                        getMargin(),
                        getMedianExponent(),
                        getExcludeZeros(),
                        getAxisBlock()};
}

//===----------------------------------------------------------------------===//
// #qtrain.scaled
//===----------------------------------------------------------------------===//

Attribute ScaledFormatAttr::parse(AsmParser &p, Type) {
  SMLoc loc = p.getCurrentLocation();
  if (p.parseLess())
    return {};
  StringRef name;
  if (succeeded(p.parseOptionalKeyword(&name))) {
    const nx::ScaledPreset *preset = nx::lookupScaled(name);
    if (!preset) {
      p.emitError(loc) << "unknown scaled format preset '" << name << "'";
      return {};
    }
    if (p.parseGreater())
      return {};
    return fromNumerics(p.getContext(), preset->format, preset->rounding);
  }
  Attribute element;
  llvm::SmallVector<ScaleLevelAttr> levels;
  RoundingAttr rounding;
  if (p.parseAttribute(element) || p.parseComma() ||
      p.parseCommaSeparatedList(AsmParser::Delimiter::Square, [&] {
        return p.parseAttribute(levels.emplace_back());
      }))
    return {};
  if (succeeded(p.parseOptionalComma())) {
    SMLoc keyLoc = p.getCurrentLocation();
    StringRef key;
    if (p.parseKeyword(&key))
      return {};
    if (key != "rounding") {
      p.emitError(keyLoc) << "unknown key '" << key
                          << "' in #qtrain.scaled (expected 'rounding')";
      return {};
    }
    if (p.parseEqual() || p.parseAttribute(rounding))
      return {};
  }
  if (p.parseGreater())
    return {};
  // Nearest-even is the default: one attribute whether it is written or not.
  if (rounding && rounding.getRounding() == nx::Rounding())
    rounding = {};
  return checkedAttr<ScaledFormatAttr>(p, loc, element, levels, rounding);
}

void ScaledFormatAttr::print(AsmPrinter &p) const {
  StringRef preset = nx::scaledPresetName(getScaledFormat());
  if (!preset.empty() &&
      nx::lookupScaled(preset)->rounding == getDefaultRounding()) {
    p << '<' << preset << '>';
    return;
  }
  p << '<' << getElement() << ", [";
  llvm::interleaveComma(getLevels(), p,
                        [&](ScaleLevelAttr l) { p.printAttribute(l); });
  p << ']';
  if (getRounding())
    p << ", rounding = " << getRounding();
  p << '>';
}

nx::Rounding ScaledFormatAttr::getDefaultRounding() const {
  return getRounding() ? getRounding().getRounding() : nx::Rounding();
}

LogicalResult
ScaledFormatAttr::verify(llvm::function_ref<InFlightDiagnostic()> emitError,
                         Attribute element, ArrayRef<ScaleLevelAttr> levels,
                         RoundingAttr rounding) {
  if (!getElementFormat(element))
    return emitError() << "the element format must be #qtrain.fp or "
                          "#qtrain.int, got "
                       << element;
  return success();
}

nx::ScaledFormat ScaledFormatAttr::getScaledFormat() const {
  nx::ScaledFormat f{*getElementFormat(getElement()), {}};
  for (ScaleLevelAttr l : getLevels())
    f.levels.push_back(l.getLevel());
  return f;
}

ScaledFormatAttr ScaledFormatAttr::fromNumerics(MLIRContext *ctx,
                                                const nx::ScaledFormat &f,
                                                const nx::Rounding &rounding) {
  Attribute element;
  if (const nx::MinifloatFormat *m = f.element.minifloat())
    element = FloatFormatAttr::get(ctx, *m);
  else
    element = IntFormatAttr::get(ctx, *f.element.integer());
  llvm::SmallVector<ScaleLevelAttr> levels;
  for (const nx::ScaleLevel &l : f.levels)
    levels.push_back(ScaleLevelAttr::get(ctx, l.blockShape, l.format, l.rule,
                                         l.margin, l.medianExponent,
                                         l.excludeZeros, l.axisBlock));
  RoundingAttr r;
  if (rounding != nx::Rounding())
    r = RoundingAttr::get(ctx, rounding);
  return ScaledFormatAttr::get(ctx, element, levels, r);
}

//===----------------------------------------------------------------------===//
// #qtrain.rounding
//===----------------------------------------------------------------------===//

Attribute RoundingAttr::parse(AsmParser &p, Type) {
  SMLoc loc = p.getCurrentLocation();
  nx::Rounding r;
  if (p.parseLess() ||
      parseName(p, r.mode, nx::parseRoundingMode, "rounding mode"))
    return {};
  bool stochastic = r.isStochastic();
  // The first key that only an LFSR source reads, and the data source's key:
  // checked against the source once all keys are read (in any order).
  std::optional<std::pair<StringRef, SMLoc>> lfsrKey, dataKey;
  if (parseKeys(p, [&](StringRef key, SMLoc keyLoc) -> ParseResult {
        if (!stochastic)
          return p.emitError(keyLoc)
                 << "'" << key << "' applies only to stochastic rounding";
        if (!lfsrKey && (key == "width" || key == "taps" || key == "lanes"))
          lfsrKey = {key, keyLoc};
        if (key == "offset")
          dataKey = {key, keyLoc};
        if (key == "bits")
          return parseIntValue(p, r.randomBits);
        if (key == "discarded")
          return parseIntValue(p, r.discardedBits);
        if (key == "source")
          return parseNameValue(p, r.source.kind, nx::parseRandomSourceKind,
                                "random source");
        if (key == "variant")
          return parseNameValue(p, r.variant, nx::parseStochasticVariant,
                                "stochastic variant");
        if (key == "width")
          return parseIntValue(p, r.source.lfsrWidth);
        if (key == "taps")
          return parseIntValue(p, r.source.lfsrTaps);
        if (key == "lanes")
          return parseIntValue(p, r.source.lfsrLanes);
        if (key == "offset")
          return parseIntValue(p, r.source.dataBitOffset);
        return unknownKey(p, keyLoc, key, "#qtrain.rounding");
      }))
    return {};
  bool lfsr = r.source.kind == nx::RandomSourceKind::Lfsr ||
              r.source.kind == nx::RandomSourceKind::LfsrPlateau;
  if (lfsrKey && !lfsr) {
    p.emitError(lfsrKey->second)
        << "'" << lfsrKey->first
        << "' applies only to the lfsr and lfsr_plateau sources";
    return {};
  }
  if (dataKey && r.source.kind != nx::RandomSourceKind::Data) {
    p.emitError(dataKey->second) << "'offset' applies only to the data source";
    return {};
  }
  return checkedAttr<RoundingAttr>(p, loc, r);
}

void RoundingAttr::print(AsmPrinter &p) const {
  const nx::Rounding &r = getRounding();
  p << '<' << nx::stringifyRoundingMode(r.mode);
  if (r.isStochastic()) {
    const nx::RandomSource &s = r.source;
    nx::RandomSource defaults;
    p << ", bits = " << r.randomBits;
    if (r.roundingBits() != r.randomBits)
      p << ", discarded = " << r.roundingBits();
    if (s.kind != nx::RandomSourceKind::Counter)
      p << ", source = " << nx::stringifyRandomSourceKind(s.kind);
    if (r.variant != nx::StochasticVariant::Compare)
      p << ", variant = " << nx::stringifyStochasticVariant(r.variant);
    bool lfsr = s.kind == nx::RandomSourceKind::Lfsr ||
                s.kind == nx::RandomSourceKind::LfsrPlateau;
    if (lfsr) {
      p << ", width = " << s.lfsrWidth;
      if (s.lfsrTaps)
        p << ", taps = " << s.lfsrTaps;
      if (s.lfsrLanes != defaults.lfsrLanes)
        p << ", lanes = " << s.lfsrLanes;
    }
    if (s.kind == nx::RandomSourceKind::Data && s.dataBitOffset)
      p << ", offset = " << s.dataBitOffset;
  }
  p << '>';
}

LogicalResult
RoundingAttr::verify(llvm::function_ref<InFlightDiagnostic()> emitError,
                     nx::Rounding rounding) {
  if (rounding.source.seed != 0)
    return emitError() << "the seed of stochastic rounding is an operand, "
                          "not part of the rounding attribute";
  return fromError(emitError, rounding.verify());
}

//===----------------------------------------------------------------------===//
// #qtrain.accum
//===----------------------------------------------------------------------===//

namespace {
ParseResult parseFloatFormat(AsmParser &p, nx::MinifloatFormat &out) {
  SMLoc loc = p.getCurrentLocation();
  Attribute a;
  if (p.parseAttribute(a))
    return failure();
  auto f = llvm::dyn_cast<FloatFormatAttr>(a);
  if (!f)
    return p.emitError(loc) << "expected a #qtrain.fp format, got " << a;
  out = f.getFormat();
  return success();
}
} // namespace

Attribute AccumulationAttr::parse(AsmParser &p, Type) {
  SMLoc loc = p.getCurrentLocation();
  nx::AccumulationSpec s;
  if (p.parseLess())
    return {};
  // The accumulator: a #qtrain.fp, or a #qtrain.int fixed-point group
  // accumulator (the outer format then defaults to f32).
  SMLoc formatLoc = p.getCurrentLocation();
  Attribute accumulator;
  if (p.parseAttribute(accumulator))
    return {};
  if (auto f = llvm::dyn_cast<FloatFormatAttr>(accumulator)) {
    s.accumulator = f.getFormat();
  } else if (auto i = llvm::dyn_cast<IntFormatAttr>(accumulator)) {
    s.fixedPoint = i.getFormat();
  } else {
    p.emitError(formatLoc) << "expected a #qtrain.fp or #qtrain.int "
                              "accumulator, got "
                           << accumulator;
    return {};
  }
  // The grouping keyword, when present, comes right after the format.
  unsigned position = 0;
  auto needs = [&](SMLoc keyLoc, StringRef key,
                   nx::Grouping g) -> LogicalResult {
    if (s.grouping == g)
      return success();
    return p.emitError(keyLoc) << "'" << key << "' applies only to "
                               << nx::stringifyGrouping(g) << " grouping";
  };
  if (parseKeys(p, [&](StringRef key, SMLoc keyLoc) -> ParseResult {
        if (std::optional<nx::Grouping> g = nx::parseGrouping(key)) {
          if (position++ != 0)
            return p.emitError(keyLoc)
                   << "the grouping comes right after the accumulator format";
          s.grouping = *g;
          return success();
        }
        ++position;
        if (key == "group")
          return failure(failed(needs(keyLoc, key, nx::Grouping::Static)) ||
                         parseIntValue(p, s.groupSize));
        if (key == "c")
          return failure(
              failed(needs(keyLoc, key, nx::Grouping::EfficientDGA)) ||
              parseIntValue(p, s.shiftC));
        if (key == "shared") {
          s.sharedThreshold = true;
          return needs(keyLoc, key, nx::Grouping::EfficientDGA);
        }
        if (key == "count")
          return failure(
              failed(needs(keyLoc, key, nx::Grouping::IdealDGA)) ||
              parseNameValue(p, s.dgaCount, nx::parseDgaCount, "DGA count"));
        if (key == "t0") {
          if (s.grouping != nx::Grouping::IdealDGA &&
              s.grouping != nx::Grouping::EfficientDGA)
            return p.emitError(keyLoc) << "'t0' applies only to DGA grouping";
          return failure(p.parseEqual() || p.parseFloat(s.initialThreshold));
        }
        if (key == "product") {
          nx::MinifloatFormat f;
          if (p.parseEqual() || parseFloatFormat(p, f))
            return failure();
          s.product = f;
          return success();
        }
        if (key == "outer") {
          nx::MinifloatFormat f;
          if (p.parseEqual() || parseFloatFormat(p, f))
            return failure();
          s.outer = f;
          return success();
        }
        if (key == "rounding")
          return parseNameValue(p, s.rounding, nx::parseRoundingMode,
                                "rounding mode");
        return unknownKey(p, keyLoc, key, "#qtrain.accum");
      }))
    return {};
  return checkedAttr<AccumulationAttr>(p, loc, s);
}

void AccumulationAttr::print(AsmPrinter &p) const {
  const nx::AccumulationSpec &s = getSpec();
  MLIRContext *ctx = getContext();
  nx::AccumulationSpec defaults;
  if (s.fixedPoint)
    p << '<' << IntFormatAttr::get(ctx, *s.fixedPoint);
  else
    p << '<' << FloatFormatAttr::get(ctx, s.accumulator);
  if (s.grouping != nx::Grouping::None)
    p << ", " << nx::stringifyGrouping(s.grouping);
  if (s.grouping == nx::Grouping::Static)
    p << ", group = " << s.groupSize;
  if ((s.grouping == nx::Grouping::IdealDGA ||
       s.grouping == nx::Grouping::EfficientDGA) &&
      s.initialThreshold != defaults.initialThreshold) {
    p << ", t0 = ";
    p.printFloat(llvm::APFloat(s.initialThreshold));
  }
  if (s.grouping == nx::Grouping::IdealDGA && s.dgaCount != defaults.dgaCount)
    p << ", count = " << nx::stringifyDgaCount(s.dgaCount);
  if (s.grouping == nx::Grouping::EfficientDGA) {
    if (s.shiftC != defaults.shiftC)
      p << ", c = " << s.shiftC;
    if (s.sharedThreshold)
      p << ", shared";
  }
  if (s.product)
    p << ", product = " << FloatFormatAttr::get(ctx, *s.product);
  if (s.outer)
    p << ", outer = " << FloatFormatAttr::get(ctx, *s.outer);
  if (s.rounding != defaults.rounding)
    p << ", rounding = " << nx::stringifyRoundingMode(s.rounding);
  p << '>';
}

LogicalResult
AccumulationAttr::verify(llvm::function_ref<InFlightDiagnostic()> emitError,
                         nx::AccumulationSpec spec) {
  return fromError(emitError, spec.verify());
}
