//===- ScaledFormat.cpp - Block- and tensor-scaled formats ----------------===//
//
// See docs/Numerics.md, "Scaled formats".
//
//===----------------------------------------------------------------------===//

#include "qtrain/Numerics/ScaledFormat.h"

#include "qtrain/Numerics/Statistics.h"

#include "Detail.h"

#include <cmath>
#include <limits>
#include <memory>

using namespace llvm;

namespace qtrain::numerics {

Error ScaleLevel::verify() const {
  for (int64_t b : blockShape)
    if (b != -1 && b < 1)
      return createStringError(
          "block sizes must be positive or -1 (whole dimension), got %lld",
          static_cast<long long>(b));
  if (Error e = format.verify())
    return e;
  if (rule == ScaleRule::MedianLookup &&
      (medianExponent < -160 || medianExponent > 160))
    return createStringError("median exponent must be in [-160, 160], got %d",
                             medianExponent);
  if (axisBlock < 0)
    return createStringError("the axis block must be non-negative (0: none), "
                             "got %lld",
                             static_cast<long long>(axisBlock));
  // The axis block stands in for a block shape on tensors of lower rank; on
  // a whole-tensor level it would make a level that blocks nothing but is
  // not whole-tensor either.
  if (axisBlock > 0 && blockShape.empty())
    return createStringError("an axis block (%lld) needs a block shape: it "
                             "replaces the shape on tensors of lower rank",
                             static_cast<long long>(axisBlock));
  if (excludeZeros && rule != ScaleRule::MedianLookup)
    return createStringError(
        "'nonzero' (a median of the non-zero elements) applies only to the "
        "median_lookup rule");
  if (rule == ScaleRule::Given && format.kind == ScaleKind::PowerOfTwo &&
      !format.hasNaN)
    return createStringError(
        "a 'given' scale level needs a scale format with a NaN code (f32, or "
        "a power of two with 'nan'): it marks given scales that are zero, "
        "negative, infinite or NaN");
  if (rule == ScaleRule::AmaxToMax && (margin < -64 || margin > 64))
    return createStringError("margin must be in [-64, 64], got %d", margin);
  return Error::success();
}

Error ScaledFormat::verify() const {
  if (Error e = element.verify())
    return e;
  for (const ScaleLevel &l : levels)
    if (Error e = l.verify())
      return e;
  return Error::success();
}

Expected<ScaledFormat> resolveBlocks(const ScaledFormat &format, size_t rank,
                                     std::optional<unsigned> axis) {
  if (axis && *axis >= std::max<size_t>(rank, 1))
    return createStringError("reduction axis %u is out of range for a "
                             "rank-%zu tensor",
                             *axis, rank);
  ScaledFormat out = format;
  for (ScaleLevel &l : out.levels) {
    if (l.axisBlock == 0 || l.blockShape.size() <= rank)
      continue;
    l.blockShape.assign(rank, 1);
    if (rank > 0)
      l.blockShape[axis ? *axis : rank - 1] = l.axisBlock;
  }
  return out;
}

int64_t blockSize(const ScaleLevel &level, size_t rank, size_t d) {
  if (level.blockShape.empty())
    return -1;
  size_t lead = rank - level.blockShape.size();
  return d < lead ? 1 : level.blockShape[d - lead];
}

namespace {
/// Block sizes of `level` over `shape` (whole dimensions resolved).
SmallVector<int64_t, 4> blockSizes(const ScaleLevel &level,
                                   ArrayRef<int64_t> shape) {
  SmallVector<int64_t, 4> sizes;
  for (size_t d = 0; d < shape.size(); ++d) {
    int64_t b = blockSize(level, shape.size(), d);
    sizes.push_back(b == -1 ? std::max<int64_t>(shape[d], 1) : b);
  }
  return sizes;
}
} // namespace

Expected<SmallVector<int64_t, 4>> blockGrid(const ScaleLevel &level,
                                            ArrayRef<int64_t> shape) {
  if (level.blockShape.size() > shape.size())
    return createStringError("block shape has %zu dimensions but the tensor "
                             "only %zu",
                             level.blockShape.size(), shape.size());
  SmallVector<int64_t, 4> grid;
  for (auto [extent, size] : llvm::zip(shape, blockSizes(level, shape)))
    grid.push_back((extent + size - 1) / size);
  return grid;
}

namespace {

float exponentScale(const ScaleFormat &f, int e) {
  if (f.kind == ScaleKind::PowerOfTwo)
    return decodeScale(f, scaleCodeForExponent(f, e));
  return std::ldexp(1.0f, std::clamp(e, -149, 127));
}

float unitScale(const ScaleFormat &f) { return exponentScale(f, 0); }

/// For each element (row-major), the row-major index of its block.
std::vector<uint32_t> blockIndexOfElements(const ScaleLevel &level,
                                           ArrayRef<int64_t> shape,
                                           ArrayRef<int64_t> grid,
                                           size_t numElements) {
  SmallVector<int64_t, 4> sizes = blockSizes(level, shape);
  std::vector<uint32_t> index(numElements);
  SmallVector<int64_t, 4> idx(shape.size(), 0);
  for (size_t i = 0; i < numElements; ++i) {
    int64_t b = 0;
    for (size_t d = 0; d < shape.size(); ++d)
      b = b * grid[d] + idx[d] / sizes[d];
    index[i] = static_cast<uint32_t>(b);
    for (size_t d = shape.size(); d-- > 0;) {
      if (++idx[d] < shape[d])
        break;
      idx[d] = 0;
    }
  }
  return index;
}

} // namespace

float toScaleFormat(const ScaleFormat &f, float scale) {
  // A scale is positive and finite; anything else is invalid and becomes NaN
  // (ScaleLevel::verify keeps formats without a NaN code away from here).
  if (!(scale > 0) || std::isinf(scale))
    return f.canHoldNaN() ? std::numeric_limits<float>::quiet_NaN()
                          : decodeScale(f, 0);
  if (f.kind == ScaleKind::F32)
    return scale;
  return decodeScale(f, encodeScale(f, scale, RoundingMode::Up));
}

float scaleFromAmax(const ScaleLevel &level, const ElementFormat &element,
                    float a) {
  const ScaleFormat &f = level.format;
  if (std::isnan(a) || std::isinf(a))
    return f.canHoldNaN() ? std::numeric_limits<float>::quiet_NaN()
                          : unitScale(f);
  switch (level.rule) {
  case ScaleRule::SharedExponent:
    if (a == 0)
      return f.kind == ScaleKind::PowerOfTwo ? decodeScale(f, 0) : 1.0f;
    return exponentScale(f, floorLog2(a) - element.maxExponent());
  case ScaleRule::AmaxToMax: {
    if (a == 0)
      return unitScale(f);
    double emax = element.maxValue();
    double target = std::ldexp(static_cast<double>(a), level.margin);
    if (f.kind == ScaleKind::F32) {
      float s = std::ldexp(a / static_cast<float>(emax), level.margin);
      s = std::clamp(s, std::numeric_limits<float>::denorm_min(),
                     std::numeric_limits<float>::max());
      // The rounded division may leave the amax element's residual a / s one
      // rounding above its target max * 2^-margin; the next f32 scale up
      // brings it back (docs/Numerics.md, "Scale rules").
      if (a / s > std::ldexp(static_cast<float>(emax), -level.margin) &&
          s < std::numeric_limits<float>::max())
        s = std::nextafter(s, std::numeric_limits<float>::infinity());
      return s;
    }
    // Smallest k with emax * 2^k >= target (exact comparisons in double).
    int k = static_cast<int>(std::ceil(std::log2(target / emax)));
    while (std::ldexp(emax, k - 1) >= target)
      --k;
    while (std::ldexp(emax, k) < target)
      ++k;
    return exponentScale(f, k);
  }
  case ScaleRule::MedianLookup:
  case ScaleRule::Given:
    break;
  }
  llvm_unreachable("rule does not read amax");
}

float delayedScale(const ScaleLevel &level, const ElementFormat &element,
                   ArrayRef<float> history, float a,
                   MutableArrayRef<float> newHistory) {
  assert(!history.empty() && history.size() == newHistory.size() &&
         "history sizes");
  std::copy(history.begin() + 1, history.end(), newHistory.begin());
  newHistory.back() = a;
  return scaleFromAmax(level, element, amax(newHistory));
}

float blockScale(const ScaleLevel &level, const ElementFormat &element,
                 ArrayRef<float> residuals) {
  switch (level.rule) {
  case ScaleRule::SharedExponent:
  case ScaleRule::AmaxToMax: {
    AmaxStatistic s;
    s.add(residuals);
    return scaleFromAmax(level, element, s.blockStatistic(level.format));
  }
  case ScaleRule::MedianLookup:
    return scaleFromMedian(level, medianAbs(residuals, level.excludeZeros));
  case ScaleRule::Given:
    break;
  }
  llvm_unreachable("a given scale is not computed from the residuals");
}

float scaleFromMedian(const ScaleLevel &level, float median) {
  assert(level.rule == ScaleRule::MedianLookup && "not a median rule");
  if (median == 0 || !std::isfinite(median))
    return unitScale(level.format);
  // Nearest power of two in linear distance; 1.5 * 2^j goes up.
  int p = floorLog2(median) + (inUpperHalfOctave(median) ? 1 : 0);
  return exponentScale(level.format, p - level.medianExponent);
}

Expected<ScaledTensor> encodeScaled(const ScaledFormat &unresolved,
                                    ArrayRef<int64_t> shape, ArrayRef<float> in,
                                    const Rounding &elementRounding,
                                    ArrayRef<std::vector<float>> given,
                                    uint64_t firstIndex,
                                    ArrayRef<float> randomData) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0)
      return createStringError("dynamic or negative dimension %lld",
                               static_cast<long long>(d));
    n *= d;
  }
  if (static_cast<size_t>(n) != in.size())
    return createStringError("shape holds %lld elements but %zu were given",
                             static_cast<long long>(n), in.size());

  if (elementRounding.isStochastic() &&
      elementRounding.source.kind == RandomSourceKind::Data &&
      randomData.empty())
    return createStringError("the random data of a data source is empty");
  Expected<ScaledFormat> resolved = resolveBlocks(unresolved, shape.size());
  if (!resolved)
    return resolved.takeError();
  const ScaledFormat &format = *resolved;

  ScaledTensor out;
  // total[i]: product of the scales of element i over the levels so far.
  std::vector<float> total(in.size(), 1.0f);
  size_t givenUsed = 0;
  for (const ScaleLevel &level : format.levels) {
    Expected<SmallVector<int64_t, 4>> grid = blockGrid(level, shape);
    if (!grid)
      return grid.takeError();
    size_t numBlocks = 1;
    for (int64_t g : *grid)
      numBlocks *= g;
    std::vector<uint32_t> blockOf =
        blockIndexOfElements(level, shape, *grid, in.size());
    LevelScales scales;
    scales.grid = *grid;
    scales.values.assign(numBlocks, 1.0f);

    if (level.rule == ScaleRule::Given) {
      if (givenUsed >= given.size())
        return createStringError("no scales given for a level whose rule is "
                                 "'given'");
      const std::vector<float> &g = given[givenUsed++];
      if (g.size() != numBlocks)
        return createStringError("%zu scales given for %zu blocks", g.size(),
                                 numBlocks);
      for (size_t b = 0; b < numBlocks; ++b)
        scales.values[b] = toScaleFormat(level.format, g[b]);
    } else {
      // Each block's residuals, gathered block after block, then one
      // blockScale per block. Blocks that are row-major runs in order (e.g.
      // blocks along the innermost dimension) are in place already; others
      // are gathered by a counting sort.
      std::vector<size_t> begin(numBlocks + 1, in.size());
      std::unique_ptr<float[]> residuals(new float[in.size()]);
      bool inPlace = true;
      for (size_t i = 0; i < in.size(); ++i) {
        residuals[i] = in[i] / total[i];
        if (i == 0 ? blockOf[0] == 0 : blockOf[i] == blockOf[i - 1] + 1)
          begin[blockOf[i]] = i;
        else if (i == 0 || blockOf[i] != blockOf[i - 1])
          inPlace = false;
      }
      if (!inPlace) {
        std::fill(begin.begin(), begin.end(), 0);
        for (uint32_t b : blockOf)
          ++begin[b + 1];
        for (size_t b = 0; b < numBlocks; ++b)
          begin[b + 1] += begin[b];
        std::unique_ptr<float[]> sorted(new float[in.size()]);
        std::vector<size_t> next(begin.begin(), begin.end() - 1);
        for (size_t i = 0; i < in.size(); ++i)
          sorted[next[blockOf[i]]++] = residuals[i];
        residuals = std::move(sorted);
      }
      ArrayRef<float> all(residuals.get(), in.size());
      for (size_t b = 0; b < numBlocks; ++b)
        scales.values[b] =
            blockScale(level, format.element,
                       all.slice(begin[b], begin[b + 1] - begin[b]));
    }

    scales.codes.resize(numBlocks);
    for (size_t b = 0; b < numBlocks; ++b)
      scales.codes[b] = level.format.kind == ScaleKind::F32
                            ? bit_cast<uint32_t>(scales.values[b])
                            : encodeScale(level.format, scales.values[b],
                                          RoundingMode::NearestEven);
    for (size_t i = 0; i < in.size(); ++i)
      total[i] *= scales.values[blockOf[i]];
    out.scales.push_back(std::move(scales));
  }

  out.codes.resize(in.size());
  detail::forEachChunk(in.size(), elementRounding, firstIndex, randomData,
                       [&](size_t begin, size_t end, const uint32_t *randoms) {
                         for (size_t i = begin; i < end; ++i)
                           out.codes[i] = format.element.encode(
                               in[i] / total[i], elementRounding,
                               randoms ? randoms[i - begin] : 0);
                       });
  return out;
}

Error decodeScaled(const ScaledFormat &unresolved, ArrayRef<int64_t> shape,
                   const ScaledTensor &tensor, MutableArrayRef<float> out) {
  Expected<ScaledFormat> resolved = resolveBlocks(unresolved, shape.size());
  if (!resolved)
    return resolved.takeError();
  const ScaledFormat &format = *resolved;
  if (tensor.codes.size() != out.size())
    return createStringError("%zu codes for %zu outputs", tensor.codes.size(),
                             out.size());
  if (tensor.scales.size() != format.levels.size())
    return createStringError("%zu scale levels for a format with %zu",
                             tensor.scales.size(), format.levels.size());
  // The f32 product of each element's scales in level order: the very
  // divisor encodeScaled used, so that decode inverts encode.
  std::vector<float> total(out.size(), 1.0f);
  for (size_t l = 0; l < format.levels.size(); ++l) {
    const LevelScales &s = tensor.scales[l];
    std::vector<uint32_t> blockOf =
        blockIndexOfElements(format.levels[l], shape, s.grid, out.size());
    for (size_t i = 0; i < out.size(); ++i)
      if (blockOf[i] >= s.values.size())
        return createStringError("scale grid too small for the tensor");
    for (size_t i = 0; i < out.size(); ++i)
      total[i] *= s.values[blockOf[i]];
  }
  for (size_t i = 0; i < out.size(); ++i)
    out[i] = format.element.decode(tensor.codes[i]) * total[i];
  return Error::success();
}

Error quantizeScaled(const ScaledFormat &format, ArrayRef<int64_t> shape,
                     ArrayRef<float> in, MutableArrayRef<float> out,
                     const Rounding &elementRounding,
                     ArrayRef<std::vector<float>> given, uint64_t firstIndex,
                     ArrayRef<float> randomData) {
  Expected<ScaledTensor> t = encodeScaled(format, shape, in, elementRounding,
                                          given, firstIndex, randomData);
  if (!t)
    return t.takeError();
  return decodeScaled(format, shape, *t, out);
}

namespace {
using detail::EnumName;
const EnumName<ScaleRule> kScaleRuleNames[] = {
    {ScaleRule::SharedExponent, "shared_exponent"},
    {ScaleRule::AmaxToMax, "amax_to_max"},
    {ScaleRule::MedianLookup, "median_lookup"},
    {ScaleRule::Given, "given"},
};
} // namespace

StringRef stringifyScaleRule(ScaleRule r) {
  return detail::nameOf(kScaleRuleNames, r);
}

std::optional<ScaleRule> parseScaleRule(StringRef s) {
  return detail::valueOf(kScaleRuleNames, s);
}

} // namespace qtrain::numerics
