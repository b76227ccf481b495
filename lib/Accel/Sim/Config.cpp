//===- Config.cpp - Configuration registers and what they mean ------------===//
//
// docs/Accelerator.md, "Registers" and "Configuration". The field meanings
// mirror lib/Accel/Config (which writes the words from numerics objects);
// SimConfigTest checks that reading them back gives the same objects.
//
//===----------------------------------------------------------------------===//

#include "qtrain/Accel/Sim/Config.h"

#include "qtrain/Accel/Sim/State.h"

#include "llvm/ADT/Twine.h"
#include "llvm/ADT/bit.h"

using namespace llvm;
using namespace qtrain::numerics;

namespace qtrain::accel::sim {

// The encoding's enum cases are the numerics library's, in the same order.
static_assert(uint64_t(SpecialValues::FNUZ) == Specials::FNUZ &&
              uint64_t(SpecialValues::None) == Specials::None);
static_assert(uint64_t(OverflowPolicy::NaN) == Overflow::NaN);
static_assert(uint64_t(IntegerEncoding::Unsigned) == IntEncoding::Unsigned);
static_assert(uint64_t(IntegerOverflow::Wrap) == IntOverflow::Wrap);
static_assert(uint64_t(numerics::ScaleKind::PowerOfTwo) ==
              accel::ScaleKind::PowerOfTwo);
static_assert(uint64_t(numerics::ScaleRule::Given) == accel::ScaleRule::Given);
static_assert(uint64_t(numerics::RoundingMode::Stochastic) ==
              accel::RoundingMode::Stochastic);
static_assert(uint64_t(numerics::StochasticVariant::AddTruncate) ==
              accel::StochasticVariant::AddTruncate);
static_assert(uint64_t(RandomSourceKind::Data) == accel::RandomSource::Data);
static_assert(uint64_t(numerics::Grouping::EfficientDGA) ==
              accel::Grouping::EfficientDGA);
static_assert(uint64_t(numerics::DgaCount::Running) ==
              accel::DgaCount::Running);

void ConfigRegisters::write(const Instruction &inst) {
  auto store = [&](auto &entry, unsigned part) {
    entry.parts[part] = inst;
    ++entry.version;
  };
  switch (inst.kind) {
  case InstructionKind::ConfigElement:
    return store(formats[inst.get("entry")], 0);
  case InstructionKind::ConfigTensorLevel:
    return store(formats[inst.get("entry")], 1);
  case InstructionKind::ConfigBlockLevel:
    return store(formats[inst.get("entry")], 2);
  case InstructionKind::ConfigRounding:
    return store(roundings[inst.get("entry")], 0);
  case InstructionKind::ConfigRoundingData:
    return store(roundings[inst.get("entry")], 1);
  case InstructionKind::ConfigAccum:
    return store(accums[inst.get("entry")], 0);
  case InstructionKind::ConfigAccumGrouping:
    return store(accums[inst.get("entry")], 1);
  case InstructionKind::ConfigTransferDram:
    return store(transfers[inst.get("td")], 0);
  case InstructionKind::ConfigTransferChip:
    return store(transfers[inst.get("td")], 1);
  case InstructionKind::ConfigView:
    return store(views[inst.get("view")], 0);
  case InstructionKind::ConfigStream:
    return store(stream, 0);
  case InstructionKind::ConfigScales:
    return store(scales, 0);
  default:
    llvm_unreachable("not a configuration instruction");
  }
}

uint16_t FormatConfig::tag() const { return formatTag(entry, version); }

LaneLayout FormatConfig::lanes(uint64_t rowBytes) const {
  const ScaleLevel *b = blockLevel();
  return laneLayout(element(), b ? &b->format : nullptr, paired, rowBytes);
}

namespace {

Error fail(const Twine &message) {
  return createStringError(inconvertibleErrorCode(), message);
}

/// The first of `fields` of `part` that is not zero, as an error: "uses
/// WHAT, whose MNEMONIC sets 'FIELD' (VALUE), which REASON does not read".
Error requireZero(const Instruction &part, ArrayRef<StringRef> fields,
                  const Twine &what, const Twine &reason) {
  for (StringRef f : fields) {
    uint64_t v = part.get(f);
    if (v == 0)
      continue;
    unsigned index = *lookupField(part.kind, f);
    std::string shown = part.info().fields[index].kind == FieldKind::SInt
                            ? std::to_string(static_cast<int64_t>(v))
                            : std::to_string(v);
    return fail("uses " + what + ", whose " + part.mnemonic() + " sets '" + f +
                "' (" + shown + "), which " + reason + " does not read");
  }
  return Error::success();
}

template <unsigned N>
Error requireParts(const ConfigEntry<N> &entry, ArrayRef<StringRef> names,
                   const Twine &what) {
  for (unsigned i = 0; i < N; ++i)
    if (!entry.parts[i])
      return fail("uses " + what + ", whose " + names[i] +
                  " part was never written");
  return Error::success();
}

MinifloatFormat minifloatOf(const Instruction &inst, StringRef prefix) {
  MinifloatFormat f;
  f.exponentBits = inst.get((prefix + "exponent_bits").str());
  f.mantissaBits = inst.get((prefix + "mantissa_bits").str());
  f.bias = static_cast<int>(inst.getSigned((prefix + "bias").str()));
  f.specials =
      static_cast<SpecialValues>(inst.get((prefix + "specials").str()));
  f.subnormals = inst.get((prefix + "subnormals").str()) != 0;
  f.overflow =
      static_cast<OverflowPolicy>(inst.get((prefix + "overflow").str()));
  return f;
}

SmallVector<StringRef, 6> minifloatFields(StringRef prefix,
                                          SmallVectorImpl<std::string> &store) {
  for (StringRef f : {"exponent_bits", "mantissa_bits", "bias", "specials",
                      "subnormals", "overflow"})
    store.push_back((prefix + f).str());
  return SmallVector<StringRef, 6>(store.begin(), store.end());
}

/// A level part (cfg.tensor_level or cfg.block_level) into a ScaleLevel.
Expected<std::optional<ScaleLevel>> levelOf(const Instruction &part,
                                            const Twine &what, bool isBlock) {
  static const StringRef kTensorFields[] = {
      "scale_kind", "scale_bits",      "scale_bias",    "scale_nan",  "rule",
      "margin",     "median_exponent", "exclude_zeros", "scale_entry"};
  static const StringRef kBlockFields[] = {
      "scale_kind", "scale_bits", "scale_bias", "scale_nan", "rule",
      "margin",     "block_z",    "block_y",    "block_x"};
  ArrayRef<StringRef> fields = isBlock ? ArrayRef<StringRef>(kBlockFields)
                                       : ArrayRef<StringRef>(kTensorFields);
  if (!part.get("present")) {
    if (Error e = requireZero(part, fields, what, "a level without 'present'"))
      return std::move(e);
    return std::nullopt;
  }
  ScaleLevel level;
  if (part.get("scale_kind") == accel::ScaleKind::F32) {
    if (Error e = requireZero(part, {"scale_bits", "scale_bias", "scale_nan"},
                              what, "an f32 scale"))
      return std::move(e);
    level.format = ScaleFormat::f32();
  } else {
    level.format = ScaleFormat::powerOfTwo(
        part.get("scale_bits"), static_cast<int>(part.getSigned("scale_bias")),
        part.get("scale_nan") != 0);
  }
  level.rule = static_cast<numerics::ScaleRule>(part.get("rule"));
  level.margin = static_cast<int>(part.getSigned("margin"));
  if (!isBlock) {
    level.medianExponent = static_cast<int>(part.getSigned("median_exponent"));
    level.excludeZeros = part.get("exclude_zeros") != 0;
    return level;
  }
  for (StringRef f : {"block_z", "block_y", "block_x"})
    if (part.get(f) == 0)
      return fail("uses " + what + ", whose block extent '" + f +
                  "' is 0 (at least 1 when present)");
  level.blockShape = {static_cast<int64_t>(part.get("block_z")),
                      static_cast<int64_t>(part.get("block_y")),
                      static_cast<int64_t>(part.get("block_x"))};
  return level;
}

} // namespace

Expected<FormatConfig> resolveFormat(const ConfigRegisters &c, unsigned entry) {
  const ConfigEntry<3> &e = c.formats[entry];
  std::string what = ("format entry " + Twine(entry)).str();
  if (Error err = requireParts(
          e, {"cfg.element", "cfg.tensor_level", "cfg.block_level"}, what))
    return std::move(err);
  const Instruction &el = *e.parts[0];

  static const StringRef kIntFields[] = {"int_bits", "int_encoding",
                                         "int_fraction_bits", "int_overflow"};
  SmallVector<std::string, 6> store;
  SmallVector<StringRef, 6> mfFields = minifloatFields("mf_", store);
  std::optional<ElementFormat> element;
  if (el.get("kind") == ElementKind::Minifloat) {
    if (Error err = requireZero(el, kIntFields, what, "a minifloat element"))
      return std::move(err);
    element = ElementFormat(minifloatOf(el, "mf_"));
  } else {
    if (Error err = requireZero(el, mfFields, what, "an integer element"))
      return std::move(err);
    IntegerFormat f;
    f.bits = el.get("int_bits");
    f.encoding = static_cast<IntegerEncoding>(el.get("int_encoding"));
    f.fractionBits = static_cast<int>(el.getSigned("int_fraction_bits"));
    f.overflow = static_cast<IntegerOverflow>(el.get("int_overflow"));
    element = ElementFormat(f);
  }

  FormatConfig fc(*element);
  fc.entry = entry;
  fc.version = e.version;
  fc.roundingEntry = el.get("rounding");
  fc.paired = el.get("layout") == SpLayout::Paired;

  Expected<std::optional<ScaleLevel>> tensor =
      levelOf(*e.parts[1], what, /*isBlock=*/false);
  if (!tensor)
    return tensor.takeError();
  Expected<std::optional<ScaleLevel>> block =
      levelOf(*e.parts[2], what, /*isBlock=*/true);
  if (!block)
    return block.takeError();
  if (*tensor) {
    fc.format.levels.push_back(**tensor);
    fc.hasTensorLevel = true;
    fc.scaleEntry = e.parts[1]->get("scale_entry");
  }
  if (*block) {
    fc.format.levels.push_back(**block);
    fc.hasBlockLevel = true;
    for (unsigned d = 0; d < 3; ++d)
      fc.block[d] = static_cast<uint64_t>((*block)->blockShape[d]);
  }
  if (Error err = fc.format.verify())
    return fail("uses " + what +
                ", which does not verify: " + toString(std::move(err)));
  if (fc.paired && !fc.hasBlockLevel)
    return fail("uses " + what + ", whose paired layout needs a block level");
  return fc;
}

Expected<RoundingConfig> resolveRounding(const ConfigRegisters &c,
                                         unsigned entry) {
  const ConfigEntry<2> &e = c.roundings[entry];
  std::string what = ("rounding entry " + Twine(entry)).str();
  if (!e.parts[0])
    return fail("uses " + what + ", whose cfg.rounding part was never written");
  const Instruction &r = *e.parts[0];
  RoundingConfig rc;
  rc.rounding.mode = static_cast<numerics::RoundingMode>(r.get("mode"));
  static const StringRef kStochasticFields[] = {
      "random_bits", "discarded_bits",  "variant",
      "source",      "seed_reg",        "lfsr_width",
      "lfsr_lanes",  "data_bit_offset", "lfsr_taps"};
  static const StringRef kLfsrFields[] = {"lfsr_width", "lfsr_lanes",
                                          "lfsr_taps"};
  if (!rc.rounding.isStochastic()) {
    if (Error err =
            requireZero(r, kStochasticFields, what, "a deterministic mode"))
      return std::move(err);
  } else {
    rc.rounding.randomBits = r.get("random_bits");
    rc.rounding.discardedBits = r.get("discarded_bits");
    rc.rounding.variant =
        static_cast<numerics::StochasticVariant>(r.get("variant"));
    numerics::RandomSource &s = rc.rounding.source;
    s.kind = static_cast<RandomSourceKind>(r.get("source"));
    rc.seedReg = r.get("seed_reg");
    switch (s.kind) {
    case RandomSourceKind::Counter:
      if (Error err = requireZero(r, kLfsrFields, what, "a counter source"))
        return std::move(err);
      if (Error err =
              requireZero(r, {"data_bit_offset"}, what, "a counter source"))
        return std::move(err);
      break;
    case RandomSourceKind::Lfsr:
    case RandomSourceKind::LfsrPlateau:
      if (Error err =
              requireZero(r, {"data_bit_offset"}, what, "an LFSR source"))
        return std::move(err);
      s.lfsrWidth = r.get("lfsr_width");
      s.lfsrLanes = r.get("lfsr_lanes");
      s.lfsrTaps = static_cast<uint32_t>(r.get("lfsr_taps"));
      break;
    case RandomSourceKind::Data:
      if (Error err = requireZero(r, kLfsrFields, what, "a data source"))
        return std::move(err);
      if (Error err = requireZero(r, {"seed_reg"}, what, "a data source"))
        return std::move(err);
      s.dataBitOffset = r.get("data_bit_offset");
      break;
    }
  }
  if (Error err = rc.rounding.verify())
    return fail("uses " + what +
                ", which does not verify: " + toString(std::move(err)));
  if (rc.isDataSource()) {
    if (!e.parts[1])
      return fail("uses " + what +
                  ", a data source whose cfg.rounding_data part was never "
                  "written");
    rc.dataAddr = e.parts[1]->get("data_addr");
    rc.dataCount = e.parts[1]->get("data_count");
    if (rc.dataCount == 0)
      return fail("uses " + what +
                  ", which does not verify: the random data of a data source "
                  "is empty (data_count = 0)");
  } else if (e.parts[1]) {
    if (Error err = requireZero(*e.parts[1], {"data_addr", "data_count"}, what,
                                "a rounding without a data source"))
      return std::move(err);
  }
  return rc;
}

Expected<AccumulationSpec> resolveAccumulation(const ConfigRegisters &c,
                                               unsigned entry) {
  const ConfigEntry<2> &e = c.accums[entry];
  std::string what = ("accumulation entry " + Twine(entry)).str();
  if (Error err = requireParts(e, {"cfg.accum", "cfg.accum_grouping"}, what))
    return std::move(err);
  const Instruction &a = *e.parts[0], &g = *e.parts[1];
  AccumulationSpec spec;
  spec.grouping = static_cast<numerics::Grouping>(a.get("grouping"));
  spec.rounding = static_cast<numerics::RoundingMode>(a.get("rounding"));
  spec.accumulator = minifloatOf(a, "acc_");
  SmallVector<std::string, 6> productStore, outerStore;
  if (a.get("product_present"))
    spec.product = minifloatOf(a, "product_");
  else if (Error err = requireZero(a, minifloatFields("product_", productStore),
                                   what, "an entry without 'product_present'"))
    return std::move(err);
  if (a.get("outer_present"))
    spec.outer = minifloatOf(a, "outer_");
  else if (Error err = requireZero(a, minifloatFields("outer_", outerStore),
                                   what, "an entry without 'outer_present'"))
    return std::move(err);

  if (g.get("fixed_present")) {
    IntegerFormat f;
    f.bits = g.get("fixed_bits");
    f.encoding = IntegerEncoding::TwosComplement;
    f.fractionBits = static_cast<int>(g.getSigned("fixed_fraction_bits"));
    f.overflow = static_cast<IntegerOverflow>(g.get("fixed_overflow"));
    spec.fixedPoint = f;
  } else if (Error err = requireZero(
                 g, {"fixed_bits", "fixed_fraction_bits", "fixed_overflow"},
                 what, "an entry without 'fixed_present'")) {
    return std::move(err);
  }
  // Each grouping reads its own parameters; the others must be zero.
  StringRef groupingName = getEnumCases("Grouping")[a.get("grouping")].text;
  std::string reason = ("grouping '" + groupingName + "'").str();
  auto unread = [&](ArrayRef<StringRef> fields) {
    return requireZero(g, fields, what, reason);
  };
  Error err = Error::success();
  switch (spec.grouping) {
  case numerics::Grouping::None:
    err = unread({"group_size", "dga_count", "shift_c", "shared", "t0"});
    break;
  case numerics::Grouping::Static:
    err = unread({"dga_count", "shift_c", "shared", "t0"});
    spec.groupSize = g.get("group_size");
    break;
  case numerics::Grouping::IdealDGA:
    err = unread({"group_size", "shift_c", "shared"});
    spec.dgaCount = static_cast<numerics::DgaCount>(g.get("dga_count"));
    spec.initialThreshold = bit_cast<double>(g.get("t0"));
    break;
  case numerics::Grouping::EfficientDGA:
    err = unread({"group_size", "dga_count"});
    spec.shiftC = static_cast<int>(g.getSigned("shift_c"));
    spec.sharedThreshold = g.get("shared") != 0;
    spec.initialThreshold = bit_cast<double>(g.get("t0"));
    break;
  }
  if (err)
    return std::move(err);
  if (Error verr = spec.verify())
    return fail("uses " + what +
                ", which does not verify: " + toString(std::move(verr)));
  return spec;
}

Expected<TransferConfig> resolveTransfer(const ConfigRegisters &c,
                                         unsigned td) {
  const ConfigEntry<2> &e = c.transfers[td];
  std::string what = ("transfer descriptor " + Twine(td)).str();
  if (Error err = requireParts(e, {"cfg.td_dram", "cfg.td_chip"}, what))
    return std::move(err);
  const Instruction &d = *e.parts[0], &ch = *e.parts[1];
  TransferConfig t;
  t.dramStride = {d.getSigned("dram_stride_z"), d.getSigned("dram_stride_y"),
                  d.getSigned("dram_stride_x")};
  t.chipStride = {ch.get("chip_stride_z"), ch.get("chip_stride_y"),
                  ch.get("chip_stride_x")};
  t.padYLo = ch.get("pad_y_lo");
  t.padYHi = ch.get("pad_y_hi");
  t.padXLo = ch.get("pad_x_lo");
  t.padXHi = ch.get("pad_x_hi");
  return t;
}

Expected<ViewConfig> resolveView(const ConfigRegisters &c, unsigned view) {
  const ConfigEntry<1> &e = c.views[view];
  if (!e.parts[0])
    return fail("uses view register " + Twine(view) +
                ", which was never written (cfg.view)");
  const Instruction &v = *e.parts[0];
  ViewConfig vc;
  vc.size = {v.get("size_z"), v.get("size_y"), v.get("size_x")};
  vc.stride = {v.get("stride_z"), v.get("stride_y"), v.get("stride_x")};
  return vc;
}

Expected<StreamConfig> resolveStream(const ConfigRegisters &c) {
  if (!c.stream.parts[0])
    return fail("uses the stream register, which was never written "
                "(cfg.stream)");
  const Instruction &s = *c.stream.parts[0];
  StreamConfig sc;
  sc.indexBase = s.get("index_base");
  sc.indexStride = {s.get("index_stride_z"), s.get("index_stride_y"),
                    s.get("index_stride_x")};
  return sc;
}

Expected<ScaleArrayConfig> resolveScaleArray(const ConfigRegisters &c) {
  if (!c.scales.parts[0])
    return fail("uses the scale-array register, which was never written "
                "(cfg.scales)");
  const Instruction &s = *c.scales.parts[0];
  ScaleArrayConfig sc;
  sc.addr = s.get("scale_addr");
  sc.stride = {s.get("scale_stride_z"), s.get("scale_stride_y"),
               s.get("scale_stride_x")};
  return sc;
}

} // namespace qtrain::accel::sim
