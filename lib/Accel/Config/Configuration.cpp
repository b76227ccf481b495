//===- Configuration.cpp - Numerics objects as configuration words --------===//

#include "qtrain/Accel/Configuration.h"

#include "llvm/ADT/bit.h"
#include "llvm/Support/FormatVariadic.h"

using namespace llvm;
using namespace qtrain::numerics;

namespace qtrain::accel {

namespace {

uint64_t specialsCase(SpecialValues s) {
  switch (s) {
  case SpecialValues::IEEE:
    return Specials::IEEE;
  case SpecialValues::FN:
    return Specials::FN;
  case SpecialValues::FNUZ:
    return Specials::FNUZ;
  case SpecialValues::None:
    return Specials::None;
  }
  llvm_unreachable("unknown special values");
}

uint64_t overflowCase(OverflowPolicy p) {
  switch (p) {
  case OverflowPolicy::Saturate:
    return Overflow::Saturate;
  case OverflowPolicy::Inf:
    return Overflow::Inf;
  case OverflowPolicy::NaN:
    return Overflow::NaN;
  }
  llvm_unreachable("unknown overflow policy");
}

uint64_t intOverflowCase(IntegerOverflow o) {
  return o == IntegerOverflow::Wrap ? IntOverflow::Wrap : IntOverflow::Saturate;
}

uint64_t roundingModeCase(numerics::RoundingMode m) {
  switch (m) {
  case numerics::RoundingMode::NearestEven:
    return RoundingMode::NearestEven;
  case numerics::RoundingMode::TowardZero:
    return RoundingMode::TowardZero;
  case numerics::RoundingMode::NearestAway:
    return RoundingMode::NearestAway;
  case numerics::RoundingMode::Up:
    return RoundingMode::Up;
  case numerics::RoundingMode::Down:
    return RoundingMode::Down;
  case numerics::RoundingMode::Stochastic:
    return RoundingMode::Stochastic;
  }
  llvm_unreachable("unknown rounding mode");
}

/// Two's complement of a signed value as a field value.
uint64_t sint(int64_t v) { return static_cast<uint64_t>(v); }

/// Writes a minifloat format into the fields `PREFIX_exponent_bits`, ...
/// (the accumulation entry's acc_, product_ and outer_ groups share names).
void setMinifloat(Instruction &inst, StringRef prefix,
                  const MinifloatFormat &f) {
  inst.set((prefix + "exponent_bits").str(), f.exponentBits);
  inst.set((prefix + "mantissa_bits").str(), f.mantissaBits);
  inst.set((prefix + "bias").str(), sint(f.bias));
  inst.set((prefix + "specials").str(), specialsCase(f.specials));
  inst.set((prefix + "subnormals").str(), f.subnormals ? 1 : 0);
  inst.set((prefix + "overflow").str(), overflowCase(f.overflow));
}

/// Fails with `what` when a value set above does not fit its field.
Error checkFields(const Instruction &inst, const Twine &what) {
  if (Error err = verifyFields(inst))
    return createStringError(inconvertibleErrorCode(),
                             "cannot configure " + what + ": " +
                                 toString(std::move(err)) + " in '" +
                                 inst.mnemonic() + "'");
  return Error::success();
}

void setScaleFormat(Instruction &inst, const ScaleFormat &f) {
  if (f.kind == numerics::ScaleKind::F32) {
    inst.set("scale_kind", ScaleKind::F32);
    return;
  }
  inst.set("scale_kind", ScaleKind::PowerOfTwo);
  inst.set("scale_bits", f.bits);
  inst.set("scale_bias", sint(f.bias));
  inst.set("scale_nan", f.hasNaN ? 1 : 0);
}

uint64_t scaleRuleCase(numerics::ScaleRule r) {
  switch (r) {
  case numerics::ScaleRule::SharedExponent:
    return ScaleRule::SharedExponent;
  case numerics::ScaleRule::AmaxToMax:
    return ScaleRule::AmaxToMax;
  case numerics::ScaleRule::MedianLookup:
    return ScaleRule::MedianLookup;
  case numerics::ScaleRule::Given:
    return ScaleRule::Given;
  }
  llvm_unreachable("unknown scale rule");
}

} // namespace

Expected<std::array<Instruction, 3>>
configureFormat(unsigned entry, const ScaledFormat &format,
                const FormatPlacement &placement) {
  const ScaleLevel *tensorLevel = nullptr, *blockLevel = nullptr;
  for (const ScaleLevel &level : format.levels) {
    if (level.isWholeTensor() && !tensorLevel && !blockLevel) {
      tensorLevel = &level;
      continue;
    }
    if (!level.isWholeTensor() && !blockLevel) {
      blockLevel = &level;
      continue;
    }
    return createStringError(
        inconvertibleErrorCode(),
        "a format entry holds at most one whole-tensor level followed by "
        "at most one block level; this format has %zu levels",
        format.levels.size());
  }
  if (blockLevel && blockLevel->rule != numerics::ScaleRule::SharedExponent &&
      blockLevel->rule != numerics::ScaleRule::AmaxToMax)
    return createStringError(
        inconvertibleErrorCode(),
        "the converter computes block scales by the shared_exponent and "
        "amax_to_max rules only, not '%s'",
        stringifyScaleRule(blockLevel->rule).str().c_str());
  if (placement.layout == SpLayout::Paired && !blockLevel)
    return createStringError(inconvertibleErrorCode(),
                             "the paired layout needs a block level");

  Instruction element(InstructionKind::ConfigElement);
  element.set("entry", entry);
  element.set("rounding", placement.roundingEntry);
  element.set("layout", placement.layout);
  if (const MinifloatFormat *mf = format.element.minifloat()) {
    element.set("kind", ElementKind::Minifloat);
    setMinifloat(element, "mf_", *mf);
  } else {
    const IntegerFormat *i = format.element.integer();
    element.set("kind", ElementKind::Integer);
    element.set("int_bits", i->bits);
    element.set("int_encoding", i->encoding == IntegerEncoding::TwosComplement
                                    ? IntEncoding::TwosComplement
                                : i->encoding == IntegerEncoding::SignMagnitude
                                    ? IntEncoding::SignMagnitude
                                    : IntEncoding::Unsigned);
    element.set("int_fraction_bits", sint(i->fractionBits));
    element.set("int_overflow", intOverflowCase(i->overflow));
  }

  Instruction tensor(InstructionKind::ConfigTensorLevel);
  tensor.set("entry", entry);
  if (tensorLevel) {
    tensor.set("present", 1);
    setScaleFormat(tensor, tensorLevel->format);
    tensor.set("rule", scaleRuleCase(tensorLevel->rule));
    tensor.set("margin", sint(tensorLevel->margin));
    tensor.set("median_exponent", sint(tensorLevel->medianExponent));
    tensor.set("exclude_zeros", tensorLevel->excludeZeros ? 1 : 0);
    tensor.set("scale_entry", placement.scaleEntry);
  }

  Instruction block(InstructionKind::ConfigBlockLevel);
  block.set("entry", entry);
  if (blockLevel) {
    block.set("present", 1);
    setScaleFormat(block, blockLevel->format);
    block.set("rule", scaleRuleCase(blockLevel->rule));
    block.set("margin", sint(blockLevel->margin));
    if (placement.blockZ < 1 || placement.blockY < 1 || placement.blockX < 1)
      return createStringError(inconvertibleErrorCode(),
                               "block extents must be at least 1");
    block.set("block_z", placement.blockZ);
    block.set("block_y", placement.blockY);
    block.set("block_x", placement.blockX);
  }

  std::string what = ("format entry " + Twine(entry)).str();
  for (const Instruction *inst : {&element, &tensor, &block})
    if (Error err = checkFields(*inst, what))
      return std::move(err);
  return std::array<Instruction, 3>{element, tensor, block};
}

Expected<Instruction> configureRounding(unsigned entry, const Rounding &r,
                                        unsigned seedReg) {
  Instruction inst(InstructionKind::ConfigRounding);
  inst.set("entry", entry);
  inst.set("mode", roundingModeCase(r.mode));
  if (r.mode == numerics::RoundingMode::Stochastic) {
    inst.set("random_bits", r.randomBits);
    inst.set("discarded_bits", r.discardedBits);
    inst.set("variant", r.variant == numerics::StochasticVariant::AddTruncate
                            ? StochasticVariant::AddTruncate
                            : StochasticVariant::Compare);
    inst.set("seed_reg", seedReg);
    const numerics::RandomSource &s = r.source;
    switch (s.kind) {
    case RandomSourceKind::Counter:
      inst.set("source", RandomSource::Counter);
      break;
    case RandomSourceKind::Lfsr:
    case RandomSourceKind::LfsrPlateau:
      inst.set("source", s.kind == RandomSourceKind::Lfsr
                             ? RandomSource::Lfsr
                             : RandomSource::LfsrPlateau);
      inst.set("lfsr_width", s.lfsrWidth);
      inst.set("lfsr_taps", s.lfsrTaps);
      inst.set("lfsr_lanes", s.lfsrLanes);
      break;
    case RandomSourceKind::Data:
      inst.set("source", RandomSource::Data);
      inst.set("data_bit_offset", s.dataBitOffset);
      break;
    }
  }
  if (Error err = checkFields(inst, "rounding entry " + Twine(entry)))
    return std::move(err);
  return inst;
}

Expected<std::array<Instruction, 2>>
configureAccumulation(unsigned entry, const AccumulationSpec &spec) {
  Instruction accum(InstructionKind::ConfigAccum);
  accum.set("entry", entry);
  Instruction grouping(InstructionKind::ConfigAccumGrouping);
  grouping.set("entry", entry);

  switch (spec.grouping) {
  case numerics::Grouping::None:
    accum.set("grouping", Grouping::None);
    break;
  case numerics::Grouping::Static:
    accum.set("grouping", Grouping::Static);
    grouping.set("group_size", spec.groupSize);
    break;
  case numerics::Grouping::IdealDGA:
    accum.set("grouping", Grouping::IdealDGA);
    grouping.set("dga_count", spec.dgaCount == numerics::DgaCount::AfterReset
                                  ? DgaCount::AfterReset
                              : spec.dgaCount == numerics::DgaCount::ClosedGroup
                                  ? DgaCount::ClosedGroup
                                  : DgaCount::Running);
    grouping.set("t0", llvm::bit_cast<uint64_t>(spec.initialThreshold));
    break;
  case numerics::Grouping::EfficientDGA:
    accum.set("grouping", Grouping::EfficientDGA);
    grouping.set("shift_c", sint(spec.shiftC));
    grouping.set("shared", spec.sharedThreshold ? 1 : 0);
    grouping.set("t0", llvm::bit_cast<uint64_t>(spec.initialThreshold));
    break;
  }
  accum.set("rounding", roundingModeCase(spec.rounding));
  setMinifloat(accum, "acc_", spec.accumulator);
  if (spec.product) {
    accum.set("product_present", 1);
    setMinifloat(accum, "product_", *spec.product);
  }
  if (spec.outer) {
    accum.set("outer_present", 1);
    setMinifloat(accum, "outer_", *spec.outer);
  }
  if (spec.fixedPoint) {
    if (spec.fixedPoint->encoding != IntegerEncoding::TwosComplement)
      return createStringError(inconvertibleErrorCode(),
                               "a fixed-point group accumulator is two's "
                               "complement on the accelerator");
    grouping.set("fixed_present", 1);
    grouping.set("fixed_bits", spec.fixedPoint->bits);
    grouping.set("fixed_fraction_bits", sint(spec.fixedPoint->fractionBits));
    grouping.set("fixed_overflow", intOverflowCase(spec.fixedPoint->overflow));
  }
  std::string what = ("accumulation entry " + Twine(entry)).str();
  for (const Instruction *inst : {&accum, &grouping})
    if (Error err = checkFields(*inst, what))
      return std::move(err);
  return std::array<Instruction, 2>{accum, grouping};
}

} // namespace qtrain::accel
