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
    {"fp12_dga", mf(5, 6, 15, SV::IEEE, OP::Inf),
     "DGA accumulator: 1-5-6"},
    {"fp16_dga", mf(6, 9, 31, SV::IEEE, OP::Inf),
     "DGA comparison accumulator: 1-6-9"},
    {"mls_e2m4", mf(2, 4, 1, SV::None, OP::Saturate),
     "MLS element: 1-2-4"},
    {"mls_e2m1", mf(2, 1, 1, SV::None, OP::Saturate),
     "MLS element: 1-2-1"},
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

} // namespace qtrain::numerics
