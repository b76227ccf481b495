//===- Presets.cpp - Named number formats ---------------------------------===//

#include "qtrain/Numerics/Presets.h"

using namespace llvm;

namespace qtrain::numerics {

namespace {
constexpr MinifloatFormat mf(unsigned e, unsigned m, int bias, SpecialValues s,
                             OverflowPolicy o, bool subnormals = true) {
  return MinifloatFormat{e, m, bias, s, subnormals, o};
}
using SV = SpecialValues;
using OP = OverflowPolicy;

// The APFloat-backed formats keep APFloat's overflow behaviour as their
// default (IEEE: inf, FN/FNUZ: NaN, finite-only: saturate).
const MinifloatPreset kMinifloats[] = {
    {"f32", mf(8, 23, 127, SV::IEEE, OP::Inf), "IEEE binary32"},
    {"bf16", mf(8, 7, 127, SV::IEEE, OP::Inf), "bfloat16"},
    {"f16", mf(5, 10, 15, SV::IEEE, OP::Inf), "IEEE binary16"},
    {"tf32", mf(8, 10, 127, SV::IEEE, OP::Inf), "NVIDIA TensorFloat-32"},
    {"e5m2", mf(5, 2, 15, SV::IEEE, OP::Inf), "OCP FP8 E5M2"},
    {"e4m3", mf(4, 3, 7, SV::IEEE, OP::Inf), "IEEE-like E4M3 (APFloat)"},
    {"e4m3fn", mf(4, 3, 7, SV::FN, OP::NaN), "OCP FP8 E4M3"},
    {"e4m3fnuz", mf(4, 3, 8, SV::FNUZ, OP::NaN), "E4M3, NaN at 0x80"},
    {"e5m2fnuz", mf(5, 2, 16, SV::FNUZ, OP::NaN), "E5M2, NaN at 0x80"},
    {"e4m3b11fnuz", mf(4, 3, 11, SV::FNUZ, OP::NaN), "E4M3, bias 11"},
    {"e3m4", mf(3, 4, 3, SV::IEEE, OP::Inf), "IEEE-like E3M4"},
    {"e3m2fn", mf(3, 2, 3, SV::None, OP::Saturate), "OCP FP6 E3M2"},
    {"e2m3fn", mf(2, 3, 1, SV::None, OP::Saturate), "OCP FP6 E2M3"},
    {"e2m1fn", mf(2, 1, 1, SV::None, OP::Saturate), "OCP FP4 E2M1"},
    {"fp12_dga", mf(5, 6, 15, SV::IEEE, OP::Inf), "DGA accumulator: 1-5-6"},
    {"fp16_dga", mf(6, 9, 31, SV::IEEE, OP::Inf),
     "DGA comparison accumulator: 1-6-9"},
    {"mls_e2m4", mf(2, 4, 1, SV::None, OP::Saturate), "MLS element: 1-2-4"},
    {"mls_e2m1", mf(2, 1, 1, SV::None, OP::Saturate), "MLS element: 1-2-1"},
};
} // namespace

ArrayRef<MinifloatPreset> minifloatPresets() { return kMinifloats; }

std::optional<MinifloatFormat> lookupMinifloat(StringRef name) {
  for (const MinifloatPreset &p : kMinifloats)
    if (p.name == name)
      return p.format;
  return std::nullopt;
}

StringRef minifloatPresetName(const MinifloatFormat &f) {
  for (const MinifloatPreset &p : kMinifloats)
    if (p.format == f)
      return p.name;
  return "";
}

MinifloatFormat adaptiveBiasE5M2(int bias) {
  return mf(5, 2, bias, SV::None, OP::Saturate, /*subnormals=*/false);
}

namespace {
MinifloatFormat saturating(StringRef preset) {
  MinifloatFormat f = *lookupMinifloat(preset);
  f.overflow = OP::Saturate;
  return f;
}

ScaleLevel level(SmallVector<int64_t, 4> block, ScaleFormat format,
                 ScaleRule rule, int margin = 0, int medianExponent = 0,
                 bool excludeZeros = false) {
  return ScaleLevel{std::move(block), format,         rule,
                    margin,           medianExponent, excludeZeros};
}

/// FlexBlock's blocks: [c, 3, 3] of a conv filter (c * 9 elements, 864
/// mantissa bits in every mode), and on a rank-2 operand the same c * 9
/// elements along the reduction axis.
ScaleLevel flexBlockLevel(int64_t channels) {
  ScaleLevel l =
      level({channels, 3, 3}, ScaleFormat::e8m0(), ScaleRule::SharedExponent);
  l.axisBlock = channels * 9;
  return l;
}

/// OCP MX v1.0: 32 consecutive elements of the innermost dimension share an
/// E8M0 scale 2^(floor(log2 amax) - emax); elements saturate.
ScaledPreset mx(StringRef name, ElementFormat element, StringRef description) {
  return {name,
          ScaledFormat{
              element,
              {level({32}, ScaleFormat::e8m0(), ScaleRule::SharedExponent)}},
          Rounding(), description};
}

/// FlexBlock: blocks of [c, 3, 3] over the trailing dimensions share the
/// block's largest f32 exponent; elements are sign and `bits` magnitude bits
/// (bits - 1 fraction bits below the leading one), truncated.
ScaledPreset flexBlock(StringRef name, unsigned bits, int64_t channels,
                       StringRef description) {
  IntegerFormat element{bits + 1, IntegerEncoding::SignMagnitude,
                        static_cast<int>(bits) - 1, IntegerOverflow::Saturate};
  return {name, ScaledFormat{element, {flexBlockLevel(channels)}},
          Rounding::deterministic(RoundingMode::TowardZero), description};
}

/// MLS (qtrain's choice, docs/Numerics.md): an f32 tensor scale mapping the
/// tensor amax to the element max, then a 3-bit power-of-two group scale in
/// [2^-7, 1] per 16 consecutive elements of the innermost dimension.
ScaledPreset mls(StringRef name, StringRef element, StringRef description) {
  // Groups of 16 along the reduction axis: 16 channels at one pixel or tap
  // of an NCHW / FCHW tensor ([1, 16, 1, 1] over the trailing four
  // dimensions), 16 elements along K of a matmul operand (axisBlock). The
  // group scale is rounded up (amax_to_max), which saturates no element;
  // docs/Numerics.md ("MLS") has the measurement behind both choices.
  ScaleLevel group = level({1, 16, 1, 1}, ScaleFormat::powerOfTwo(3, 7, false),
                           ScaleRule::AmaxToMax);
  group.axisBlock = 16;
  return {name,
          ScaledFormat{
              *lookupMinifloat(element),
              {level({}, ScaleFormat::f32(), ScaleRule::AmaxToMax), group}},
          Rounding(), description};
}

ScaledPreset perTensor(StringRef name, StringRef element,
                       StringRef description) {
  return {name,
          ScaledFormat{saturating(element),
                       {level({}, ScaleFormat::f32(), ScaleRule::AmaxToMax)}},
          Rounding(), description};
}

std::vector<ScaledPreset> buildScaledPresets() {
  IntegerFormat int8{8, IntegerEncoding::TwosComplement, 6,
                     IntegerOverflow::Saturate};
  return {
      mx("mxfp8_e4m3", saturating("e4m3fn"), "OCP MXFP8 (E4M3)"),
      mx("mxfp8_e5m2", saturating("e5m2"), "OCP MXFP8 (E5M2)"),
      mx("mxfp6_e3m2", saturating("e3m2fn"), "OCP MXFP6 (E3M2)"),
      mx("mxfp6_e2m3", saturating("e2m3fn"), "OCP MXFP6 (E2M3)"),
      mx("mxfp4_e2m1", saturating("e2m1fn"), "OCP MXFP4 (E2M1)"),
      mx("mxint8", int8, "OCP MXINT8"),
      flexBlock("fb12", 4, 24, "FlexBlock FB12: 4-bit mantissas, [1,24,3,3]"),
      flexBlock("fb16", 8, 12, "FlexBlock FB16: 8-bit mantissas, [1,12,3,3]"),
      flexBlock("fb24", 16, 6, "FlexBlock FB24: 16-bit mantissas, [1,6,3,3]"),
      mls("mls_e2m4", "mls_e2m4", "Multi-level scaling, 1-2-4 elements"),
      mls("mls_e2m1", "mls_e2m1", "Multi-level scaling, 1-2-1 elements"),
      perTensor("fp8_e4m3_tensor", "e4m3fn", "Per-tensor scaled E4M3"),
      perTensor("fp8_e5m2_tensor", "e5m2", "Per-tensor scaled E5M2"),
      {"abfp8_e5m2",
       ScaledFormat{adaptiveBiasE5M2(15),
                    {level({}, ScaleFormat::e8m0(), ScaleRule::MedianLookup, 0,
                           /*medianExponent=*/1, /*excludeZeros=*/true)}},
       Rounding(),
       "Adaptive-bias FP8: E5M2 whose bias follows the median of |x|"},
  };
}
} // namespace

ArrayRef<ScaledPreset> scaledPresets() {
  static const std::vector<ScaledPreset> presets = buildScaledPresets();
  return presets;
}

const ScaledPreset *lookupScaled(StringRef name) {
  for (const ScaledPreset &p : scaledPresets())
    if (p.name == name)
      return &p;
  return nullptr;
}

StringRef scaledPresetName(const ScaledFormat &f) {
  for (const ScaledPreset &p : scaledPresets())
    if (p.format == f)
      return p.name;
  return "";
}

} // namespace qtrain::numerics
