//===- Transfer.cpp - LOAD and STORE --------------------------------------===//
//
// docs/Accelerator.md, "Transfer descriptors, views, stream and scale
// array", "Conversion", "Statistics", "LOAD" and "STORE". A transfer walks
// positions (z, y, x) in lexicographic order; pads (LOAD only) have no DRAM
// element; elements have DRAM offsets, blocks and stream indices in their
// logical coordinates (z, y - pad_y_lo, x - pad_x_lo). Every address is
// checked before the instruction starts; then it reads, converts (through
// Conversion.cpp, i.e. the numerics library) and writes, each access
// race-checked.
//
//===----------------------------------------------------------------------===//

#include "Conversion.h"
#include "Executor.h"

#include "qtrain/Numerics/ScaledFormat.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/bit.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/SwapByteOrder.h"

#include <algorithm>

using namespace llvm;
using namespace qtrain::numerics;

namespace qtrain::accel::sim {

namespace {

constexpr uint32_t kPad = ~uint32_t(0);

std::string hex(uint64_t v) {
  std::string s;
  raw_string_ostream(s) << "0x" << format_hex_no_prefix(v, 1);
  return s;
}

StringRef enumText(StringRef enumName, uint64_t value) {
  const EnumCaseInfo *c = lookupEnumCase(enumName, value);
  return c ? c->text : StringRef("?");
}

/// A transfer's geometry, from its instruction and descriptor.
struct Geometry {
  std::array<uint64_t, 3> size{}; ///< z, y, x, pads included.
  TransferConfig td;
  uint64_t ny = 0, nx = 0; ///< Element extents along y and x.

  uint64_t positions() const { return size[0] * size[1] * size[2]; }
  uint64_t elements() const { return size[0] * ny * nx; }
  std::array<uint64_t, 3> elementExtents() const { return {size[0], ny, nx}; }
};

/// What the walk computes and what it needs.
struct WalkSetup {
  uint64_t dramAddr = 0;
  unsigned elementBits = 32;
  bool onChip = false;
  uint64_t chipBase = 0;
  const std::array<uint64_t, 3> *block = nullptr; ///< With a block level.
  const StreamConfig *stream = nullptr;           ///< Stochastic only.
  const ScaleArrayConfig *scales = nullptr;       ///< codes with blocks.
  unsigned scaleBytes = 0;
  uint64_t burstBytes = 64;
};

struct Walk {
  // Per element, in lexicographic order.
  std::vector<uint64_t> dramBit;
  std::vector<uint32_t> blockOf;
  std::vector<uint64_t> streamIndex;
  // Per position (with an on-chip side): its slot or entry, its element.
  std::vector<uint64_t> chip;
  std::vector<uint32_t> elementOf;
  // Blocks.
  std::array<uint64_t, 3> grid{1, 1, 1};
  size_t numBlocks = 0;
  std::vector<uint64_t> blockScaleAddr; ///< codes with blocks: per block.
  uint64_t trafficBytes = 0;
};

/// Distinct DRAM bursts of one row (z, y), collected unsorted.
struct RowBursts {
  SmallVector<uint64_t, 64> bursts;
  void add(uint64_t firstByte, uint64_t lastByte, uint64_t burst) {
    for (uint64_t b = firstByte / burst; b <= lastByte / burst; ++b)
      if (bursts.empty() || bursts.back() != b)
        bursts.push_back(b);
  }
  uint64_t takeCount() {
    llvm::sort(bursts);
    uint64_t n = std::unique(bursts.begin(), bursts.end()) - bursts.begin();
    bursts.clear();
    return n;
  }
};

Walk walkTransfer(const Geometry &g, const WalkSetup &s) {
  Walk w;
  const TransferConfig &td = g.td;
  const uint64_t n = g.elements();
  w.dramBit.reserve(n);
  if (s.block) {
    std::array<uint64_t, 3> ext = g.elementExtents();
    for (unsigned d = 0; d < 3; ++d)
      w.grid[d] = ceilDiv(ext[d], (*s.block)[d]);
    w.numBlocks = n ? w.grid[0] * w.grid[1] * w.grid[2] : 0;
    w.blockOf.reserve(n);
    if (s.scales)
      w.blockScaleAddr.assign(w.numBlocks, 0);
  }
  if (s.stream)
    w.streamIndex.reserve(n);
  if (s.onChip) {
    w.chip.reserve(g.positions());
    w.elementOf.reserve(g.positions());
  }
  RowBursts row;
  const uint64_t eb = s.elementBits;
  for (uint64_t z = 0; z < g.size[0]; ++z)
    for (uint64_t y = 0; y < g.size[1]; ++y) {
      bool padRow = y < td.padYLo || y >= g.size[1] - td.padYHi;
      for (uint64_t x = 0; x < g.size[2]; ++x) {
        if (s.onChip)
          w.chip.push_back(s.chipBase + z * td.chipStride[0] +
                           y * td.chipStride[1] + x * td.chipStride[2]);
        if (padRow || x < td.padXLo || x >= g.size[2] - td.padXHi) {
          if (s.onChip)
            w.elementOf.push_back(kPad);
          continue;
        }
        uint64_t yy = y - td.padYLo, xx = x - td.padXLo;
        if (s.onChip)
          w.elementOf.push_back(static_cast<uint32_t>(w.dramBit.size()));
        int64_t o = static_cast<int64_t>(z) * td.dramStride[0] +
                    static_cast<int64_t>(yy) * td.dramStride[1] +
                    static_cast<int64_t>(xx) * td.dramStride[2];
        uint64_t bit = 8 * s.dramAddr + static_cast<uint64_t>(o) * eb;
        w.dramBit.push_back(bit);
        row.add(bit / 8, (bit + eb - 1) / 8, s.burstBytes);
        if (s.block) {
          uint64_t bz = z / (*s.block)[0], by = yy / (*s.block)[1],
                   bx = xx / (*s.block)[2];
          uint64_t b = (bz * w.grid[1] + by) * w.grid[2] + bx;
          w.blockOf.push_back(static_cast<uint32_t>(b));
          if (s.scales) {
            uint64_t addr = s.scales->addr + (bz * s.scales->stride[0] +
                                              by * s.scales->stride[1] +
                                              bx * s.scales->stride[2]) *
                                                 s.scaleBytes;
            w.blockScaleAddr[b] = addr;
            row.add(addr, addr + s.scaleBytes - 1, s.burstBytes);
          }
        }
        if (s.stream)
          w.streamIndex.push_back(
              s.stream->indexBase + z * s.stream->indexStride[0] +
              yy * s.stream->indexStride[1] + xx * s.stream->indexStride[2]);
      }
      w.trafficBytes += row.takeCount() * s.burstBytes;
    }
  return w;
}

/// Signed range [lo, hi] of sum over d of c_d s_d for 0 <= c_d < n_d.
std::pair<int64_t, int64_t> offsetRange(const std::array<uint64_t, 3> &n,
                                        const std::array<int64_t, 3> &s) {
  int64_t lo = 0, hi = 0;
  for (unsigned d = 0; d < 3; ++d) {
    int64_t span = static_cast<int64_t>(n[d] - 1) * s[d];
    (span < 0 ? lo : hi) += span;
  }
  return {lo, hi};
}

/// The element bits of a DRAM layout.
unsigned elementBitsOf(uint64_t layout, const FormatConfig *f) {
  if (layout == DramLayout::F32 || layout == DramLayout::Raw32)
    return 32;
  LaneLayout lanes = f->lanes(64);
  return layout == DramLayout::Codes ? lanes.codeBits : lanes.laneBits;
}

/// A state image (docs/Accelerator.md, "ACC"): an ACC entry's whole
/// accumulation state, little-endian.
constexpr unsigned kStateImageBytes = 32;
struct StateImageField {
  enum : unsigned {
    Outer = 0,      ///< P_O, f32 bits
    Group = 4,      ///< P_G, f32 bits
    Count = 8,      ///< n, u32
    Version = 12,   ///< configuration version of the accumulation entry
    Threshold = 16, ///< T, f64 bits
    Entry = 24,     ///< accumulation entry, one byte; bytes 25..31 zero
  };
};

/// The scale code of a pad or of a group that holds only pads: 2^0.
uint64_t unitScaleCode(const ScaleFormat &f) {
  return f.kind == numerics::ScaleKind::PowerOfTwo ? scaleCodeForExponent(f, 0)
                                                   : bit_cast<uint32_t>(1.0f);
}

} // namespace

/// The checks and the setup shared by LOAD and STORE: everything known at
/// dispatch.
struct TransferPlan {
  Geometry geometry;
  std::optional<FormatConfig> format;
  std::optional<RoundingConfig> rounding;
  std::optional<StreamConfig> stream;
  std::optional<ScaleArrayConfig> scales;
  LaneLayout lanes;
  unsigned elementBits = 32;
  bool conversion = false;
  bool stochastic = false;
  bool needTensorScale = false;
  Walk walk;
};

namespace {

/// The parts of LOAD and STORE that do not depend on the direction.
Error planTransfer(Executor &ex, const Instruction &inst, bool isLoad,
                   uint64_t dst, TransferPlan &plan) {
  const MachineDescription &m = ex.machine;
  const uint64_t layout = inst.get("layout");
  const uint64_t statsMask = inst.get("stats_mask");
  const uint64_t dramAddr = inst.get("dram_addr");
  Geometry &g = plan.geometry;
  g.size = {inst.get("size_z"), inst.get("size_y"), inst.get("size_x")};

  const bool states = inst.get("states");
  if (states && layout != DramLayout::Raw32)
    return ex.fail("states moves 32-byte state images, which need layout "
                   "raw32, not " +
                   enumText("DramLayout", layout));
  if (isLoad && layout == DramLayout::Raw32 && dst != LoadDst::Acc)
    return ex.fail("layout raw32 loads into the ACC only, not dst=" +
                   enumText("LoadDst", dst));
  if (layout == DramLayout::Raw32 && statsMask)
    return ex.fail("statistics need a format, which layout raw32 does not "
                   "read (stats_mask=" +
                   Twine(statsMask) + ")");
  if (isLoad && layout == DramLayout::Raw32 && inst.get("median_pass"))
    return ex.fail("a median pass needs a format, which layout raw32 does "
                   "not read");
  Expected<TransferConfig> td = resolveTransfer(ex.config, inst.get("td"));
  if (!td)
    return ex.prefixed(td.takeError());
  g.td = *td;
  if (!isLoad && (td->padYLo || td->padYHi || td->padXLo || td->padXHi))
    return ex.fail("a store's transfer descriptor " + Twine(inst.get("td")) +
                   " has padding, which only a load has");
  if (states && (td->padYLo || td->padYHi || td->padXLo || td->padXHi))
    return ex.fail("transfer descriptor " + Twine(inst.get("td")) +
                   " has padding, which a move of states does not take");
  if (td->padYLo + td->padYHi > g.size[1])
    return ex.fail("pads of " + Twine(td->padYLo) + " + " + Twine(td->padYHi) +
                   " rows exceed size_y = " + Twine(g.size[1]));
  if (td->padXLo + td->padXHi > g.size[2])
    return ex.fail("pads of " + Twine(td->padXLo) + " + " + Twine(td->padXHi) +
                   " columns exceed size_x = " + Twine(g.size[2]));
  g.ny = g.size[1] - td->padYLo - td->padYHi;
  g.nx = g.size[2] - td->padXLo - td->padXHi;
  if (g.positions() > kMaxPositions)
    return ex.fail(Twine(g.positions()) +
                   " positions exceed the functional model's limit of " +
                   Twine(kMaxPositions) + " per instruction");

  // The format entry and the layouts.
  if (layout != DramLayout::Raw32) {
    Expected<FormatConfig> f = resolveFormat(ex.config, inst.get("format"));
    if (!f)
      return ex.prefixed(f.takeError());
    plan.format = std::move(*f);
    if (layout == DramLayout::Codes && plan.format->paired)
      return ex.fail("layout codes needs a format entry with the plain "
                     "layout; format entry " +
                     Twine(plan.format->entry) + " is paired");
    if (layout == DramLayout::Paired && !plan.format->paired)
      return ex.fail("layout paired needs a format entry with the paired "
                     "layout; format entry " +
                     Twine(plan.format->entry) + " is plain");
  }
  const bool zeroSetting = statsMask & StatsMask::ZeroSetting;
  plan.conversion = isLoad ? layout == DramLayout::F32 &&
                                 (dst != LoadDst::None || zeroSetting)
                           : layout != DramLayout::Raw32;
  if (zeroSetting && !plan.conversion)
    return ex.fail("zero_setting statistics need a conversion (a load from "
                   "f32 or a store to f32, codes or paired)");
  if (plan.conversion) {
    Expected<RoundingConfig> r =
        resolveRounding(ex.config, plan.format->roundingEntry);
    if (!r)
      return ex.fail("format entry " + Twine(plan.format->entry) + " " +
                     toString(r.takeError()));
    plan.rounding = *r;
    plan.stochastic = r->rounding.isStochastic();
    if (zeroSetting && plan.stochastic)
      return ex.fail("zero_setting statistics need a deterministic element "
                     "rounding; rounding entry " +
                     Twine(plan.format->roundingEntry) + " is stochastic");
    if (plan.stochastic) {
      Expected<StreamConfig> s = resolveStream(ex.config);
      if (!s)
        return ex.prefixed(s.takeError());
      plan.stream = *s;
    }
    if (Error e = checkDataSource(ex, *r))
      return e;
  }
  const FormatConfig *f = plan.format ? &*plan.format : nullptr;
  plan.needTensorScale =
      f && f->hasTensorLevel &&
      (plan.conversion ||
       (isLoad && (dst != LoadDst::None || statsMask) &&
        (layout == DramLayout::Codes || layout == DramLayout::Paired)));

  // DRAM elements.
  plan.elementBits = states ? 8 * kStateImageBytes : elementBitsOf(layout, f);
  const unsigned eb = plan.elementBits;
  if (eb >= 8 && dramAddr % (eb / 8))
    return ex.fail("dram_addr " + hex(dramAddr) + " is not aligned to the " +
                   Twine(eb / 8) + "-byte elements of layout " +
                   enumText("DramLayout", layout));
  if (g.elements()) {
    auto [lo, hi] = offsetRange(g.elementExtents(), g.td.dramStride);
    int64_t bitLo = 8 * static_cast<int64_t>(dramAddr) + lo * eb;
    int64_t bitHi = 8 * static_cast<int64_t>(dramAddr) + (hi + 1) * eb;
    if (bitLo < 0 || static_cast<uint64_t>(bitHi) > 8 * m.dram.bytes)
      return ex.fail("DRAM elements from element offset " + Twine(lo) + " to " +
                     Twine(hi) + " at " + hex(dramAddr) +
                     " are outside DRAM (" + hex(m.dram.bytes) + " bytes)");
  }
  // The scale array.
  unsigned scaleBytes = 0;
  if (layout == DramLayout::Codes && f->hasBlockLevel) {
    Expected<ScaleArrayConfig> sc = resolveScaleArray(ex.config);
    if (!sc)
      return ex.prefixed(sc.takeError());
    plan.scales = *sc;
    scaleBytes =
        f->blockLevel()->format.kind == numerics::ScaleKind::PowerOfTwo ? 1 : 4;
    if (sc->addr % scaleBytes)
      return ex.fail("the scale array at " + hex(sc->addr) +
                     " is not aligned to its 4-byte f32 scales");
    if (g.elements()) {
      std::array<uint64_t, 3> ext = g.elementExtents();
      uint64_t last = 0;
      for (unsigned d = 0; d < 3; ++d)
        last += (ceilDiv(ext[d], f->block[d]) - 1) * sc->stride[d];
      uint64_t end = sc->addr + (last + 1) * scaleBytes;
      if (end > m.dram.bytes)
        return ex.fail("the scale array's last scale at " +
                       hex(end - scaleBytes) + " is outside DRAM (" +
                       hex(m.dram.bytes) + " bytes)");
    }
  }

  WalkSetup ws;
  ws.dramAddr = dramAddr;
  ws.elementBits = eb;
  ws.block = f && f->hasBlockLevel ? &f->block : nullptr;
  ws.stream = plan.stream ? &*plan.stream : nullptr;
  ws.scales = plan.scales ? &*plan.scales : nullptr;
  ws.scaleBytes = scaleBytes;
  ws.burstBytes = m.dram.burstBytes;

  // The on-chip side.
  if (isLoad && (dst == LoadDst::SpInput || dst == LoadDst::SpWeight)) {
    const ScratchpadDesc &sp = dst == LoadDst::SpInput ? m.inputSp : m.weightSp;
    plan.lanes = f->lanes(sp.rowBytes);
    uint64_t lane = inst.get("chip_lane");
    if (lane >= plan.lanes.lanesPerRow)
      return ex.fail("chip_lane " + Twine(lane) + " is not below the " +
                     Twine(plan.lanes.lanesPerRow) +
                     " lanes per row of format "
                     "entry " +
                     Twine(f->entry));
    ws.onChip = true;
    ws.chipBase = inst.get("chip_row") * plan.lanes.lanesPerRow + lane;
    uint64_t slots = sp.rows * plan.lanes.lanesPerRow;
    uint64_t last = ws.chipBase;
    for (unsigned d = 0; d < 3; ++d)
      last += (g.size[d] - 1) * g.td.chipStride[d];
    if (last >= slots)
      return ex.fail("on-chip position " + Twine(last) + " is outside " +
                     (dst == LoadDst::SpInput ? "SP_IN" : "SP_WGT") + " (" +
                     Twine(slots) + " slots of format entry " +
                     Twine(f->entry) + ")");
  } else if (!isLoad || dst == LoadDst::Acc) {
    uint64_t lane = isLoad ? inst.get("chip_lane") : 0;
    if (lane)
      return ex.fail("chip_lane " + Twine(lane) + " must be 0 for the ACC");
    ws.onChip = true;
    ws.chipBase = isLoad ? inst.get("chip_row") : inst.get("acc_entry");
    uint64_t last = ws.chipBase;
    for (unsigned d = 0; d < 3; ++d)
      last += (g.size[d] - 1) * g.td.chipStride[d];
    if (last >= m.acc.entries)
      return ex.fail("ACC entry " + Twine(last) + " is outside the ACC (" +
                     Twine(m.acc.entries) + " entries)");
  }
  plan.walk = walkTransfer(g, ws);
  return Error::success();
}

} // namespace

namespace {

/// The counters, energy and latency of a move of states.
void chargeStates(Executor &ex, const Walk &w, bool isLoad) {
  const size_t n = w.dramBit.size();
  (isLoad ? ex.counters.accWriteBits : ex.counters.accReadBits) +=
      8 * kStateImageBytes * n;
  ex.counters.addEnergy(EnergyClass::Acc,
                        kStateImageBytes / 8.0 * ex.energy.acc64 * n);
  (isLoad ? ex.counters.dramReadBits : ex.counters.dramWriteBits) +=
      8 * w.trafficBytes;
  ex.counters.addEnergy(EnergyClass::Dram,
                        ex.energy.dram(8.0 * w.trafficBytes));
  ex.cur.latency = transferLatency(ex.machine, w.trafficBytes, n);
}

/// STORE states: each position's ACC entry, accumulating, as a state image.
Error storeStates(Executor &ex, const Walk &w) {
  const size_t n = w.dramBit.size(); // no pads
  AccMemory &acc = ex.state->acc;
  Dram &dram = ex.state->dram;
  for (size_t p = 0; p < n; ++p) {
    uint64_t e = w.chip[p];
    if (Error err = ex.access(LocationKind::AccEntry, e, /*write=*/false))
      return err;
    if (acc.state[e] != AccState::Accumulating)
      return ex.fail(
          "moves the state of ACC entry " + Twine(e) + ", which " +
          (acc.state[e] == AccState::Empty ? "is empty" : "holds a value") +
          ", not an accumulation");
    const AccumulatorState &s = acc.accum[e];
    if (s.fixed != 0)
      return ex.fail("moves the state of ACC entry " + Twine(e) +
                     ", whose fixed-point group sum is not 0: a state image "
                     "does not carry one");
  }
  for (uint64_t bit : w.dramBit)
    if (Error e = ex.accessDramBits(bit, 8 * kStateImageBytes, /*write=*/true))
      return e;
  for (size_t p = 0; p < n; ++p) {
    uint64_t e = w.chip[p];
    const AccumulatorState &s = acc.accum[e];
    uint64_t at = w.dramBit[p] / 8;
    using F = StateImageField;
    dram.write32(at + F::Outer, bit_cast<uint32_t>(s.outer));
    dram.write32(at + F::Group, bit_cast<uint32_t>(s.group));
    dram.write32(at + F::Count, s.count);
    dram.write32(at + F::Version, acc.accumVersion[e]);
    dram.write64(at + F::Threshold, bit_cast<uint64_t>(s.threshold));
    dram.write64(at + F::Entry, acc.accumEntry[e]);
  }
  chargeStates(ex, w, /*isLoad=*/false);
  return Error::success();
}

/// LOAD states: each position's ACC entry becomes the accumulation its
/// state image holds (the GEMM that continues it checks the tag).
Error loadStates(Executor &ex, const Walk &w) {
  const size_t n = w.dramBit.size(); // no pads
  const Dram &dram = ex.state->dram;
  for (uint64_t bit : w.dramBit)
    if (Error e = ex.accessDramBits(bit, 8 * kStateImageBytes, /*write=*/false))
      return e;
  using F = StateImageField;
  for (size_t p = 0; p < n; ++p) {
    uint64_t at = w.dramBit[p] / 8;
    uint64_t tail = dram.read64(at + F::Entry);
    if (tail >> 8 || (tail & 0xff) >= kAccumEntries)
      return ex.fail("the state image at " + hex(at) +
                     " is not one: its last 8 bytes are " + hex(tail) +
                     " (an accumulation entry below " + Twine(kAccumEntries) +
                     ", then zeros)");
  }
  AccMemory &acc = ex.state->acc;
  for (size_t p = 0; p < n; ++p) {
    uint64_t e = w.chip[p];
    if (Error err = ex.access(LocationKind::AccEntry, e, /*write=*/true))
      return err;
    uint64_t at = w.dramBit[p] / 8;
    AccumulatorState s;
    s.outer = bit_cast<float>(dram.read32(at + F::Outer));
    s.group = bit_cast<float>(dram.read32(at + F::Group));
    s.count = dram.read32(at + F::Count);
    s.threshold = bit_cast<double>(dram.read64(at + F::Threshold));
    acc.state[e] = AccState::Accumulating;
    acc.accum[e] = s;
    acc.accumEntry[e] = static_cast<uint8_t>(dram.read64(at + F::Entry));
    acc.accumVersion[e] = dram.read32(at + F::Version);
  }
  chargeStates(ex, w, /*isLoad=*/true);
  return Error::success();
}

/// The tensor-level scale a transfer's conversion uses: 1.0f unless it
/// needs one (readTensorScale).
Expected<float> tensorScaleOf(Executor &ex, const TransferPlan &plan) {
  if (!plan.needTensorScale)
    return 1.0f;
  return readTensorScale(ex, *plan.format);
}

} // namespace

//===----------------------------------------------------------------------===//
// LOAD
//===----------------------------------------------------------------------===//

Error Executor::executeLoad(const Instruction &inst) {
  const uint64_t dst = inst.get("dst"), layout = inst.get("layout");
  const uint64_t statsMask = inst.get("stats_mask");
  TransferPlan plan;
  if (Error e = planTransfer(*this, inst, /*isLoad=*/true, dst, plan))
    return e;
  const Walk &w = plan.walk;
  const FormatConfig *f = plan.format ? &*plan.format : nullptr;
  const size_t n = w.dramBit.size();
  const bool toSp = dst == LoadDst::SpInput || dst == LoadDst::SpWeight;
  const bool planeGroups = toSp && !f->paired && f->hasBlockLevel;
  Scratchpad *sp = dst == LoadDst::SpInput    ? &state->inputSp
                   : dst == LoadDst::SpWeight ? &state->weightSp
                                              : nullptr;
  const char *spName = dst == LoadDst::SpInput ? "SP_IN" : "SP_WGT";

  // A plain row's scale group holds the scale of one block.
  if (planeGroups) {
    DenseMap<uint64_t, uint32_t> groupBlock;
    const uint64_t lanesPerRow = plan.lanes.lanesPerRow;
    for (size_t p = 0; p < w.chip.size(); ++p) {
      uint32_t e = w.elementOf[p];
      if (e == kPad)
        continue;
      uint64_t row = w.chip[p] / lanesPerRow,
               group = w.chip[p] % lanesPerRow / plan.lanes.groupLanes;
      auto [it, inserted] =
          groupBlock.try_emplace(row * 8 + group, w.blockOf[e]);
      if (!inserted && it->second != w.blockOf[e]) {
        auto coords = [&](uint32_t b) {
          return "(" + std::to_string(b / (w.grid[1] * w.grid[2])) + ", " +
                 std::to_string(b / w.grid[2] % w.grid[1]) + ", " +
                 std::to_string(b % w.grid[2]) + ")";
        };
        return fail("scale group " + Twine(group) + " of " + spName + " row " +
                    Twine(row) + " receives elements of blocks " +
                    coords(it->second) + " and " + coords(w.blockOf[e]));
      }
    }
  }

  if (Error e = start())
    return e;
  if (inst.get("states"))
    return loadStates(*this, plan.walk);

  Expected<float> scale = tensorScaleOf(*this, plan);
  if (!scale)
    return scale.takeError();
  const float tensorScale = *scale;

  // Read the elements.
  const Dram &dram = state->dram;
  const unsigned eb = plan.elementBits;
  for (uint64_t bit : w.dramBit)
    if (Error e = accessDramBits(bit, eb, /*write=*/false))
      return e;
  std::vector<float> x;             // f32: the inputs
  std::vector<uint32_t> raw;        // raw32
  std::vector<uint64_t> codes;      // codes, paired: element codes
  std::vector<uint64_t> scaleCodes; // paired: per element; codes: per block
  if (layout == DramLayout::F32) {
    x.resize(n);
    for (size_t e = 0; e < n; ++e)
      x[e] = bit_cast<float>(dram.read32(w.dramBit[e] / 8));
  } else if (layout == DramLayout::Raw32) {
    raw.resize(n);
    for (size_t e = 0; e < n; ++e)
      raw[e] = dram.read32(w.dramBit[e] / 8);
  } else {
    LaneLayout l = f->lanes(64);
    codes.resize(n);
    uint64_t codeMask = (uint64_t(1) << l.codeBits) - 1;
    if (layout == DramLayout::Paired) {
      scaleCodes.resize(n);
      uint64_t scaleMask =
          l.scaleBits == 64 ? ~uint64_t(0) : (uint64_t(1) << l.scaleBits) - 1;
      for (size_t e = 0; e < n; ++e) {
        uint64_t pair = dram.readBits(w.dramBit[e], eb);
        codes[e] = pair & codeMask;
        scaleCodes[e] = (pair >> l.codeBits) & scaleMask;
      }
    } else {
      for (size_t e = 0; e < n; ++e)
        codes[e] = dram.readBits(w.dramBit[e], eb);
      if (f->hasBlockLevel) {
        unsigned sbytes =
            f->blockLevel()->format.kind == numerics::ScaleKind::PowerOfTwo ? 1
                                                                            : 4;
        scaleCodes.resize(w.numBlocks);
        // Blocks without elements do not exist: every block of the grid
        // holds one, and its address was recorded by the walk.
        for (size_t b = 0; b < w.numBlocks; ++b) {
          uint64_t addr = w.blockScaleAddr[b];
          if (Error e = accessDramBits(8 * addr, 8 * sbytes, false))
            return e;
          scaleCodes[b] = sbytes == 1 ? dram.data()[addr] : dram.read32(addr);
        }
      }
    }
  }
  counters.dramReadBits += 8 * w.trafficBytes;
  counters.addEnergy(EnergyClass::Dram, energy.dram(8.0 * w.trafficBytes));

  // Convert (f32) or decode (codes, paired).
  ConvertedElements conv;
  std::vector<float> decoded;
  const bool zeroSetting = statsMask & StatsMask::ZeroSetting;
  if (plan.conversion) {
    ConversionSetup setup;
    setup.format = f;
    setup.tensorScale = tensorScale;
    if (Error e = prepareRounding(*this, *plan.rounding, plan.format->entry,
                                  plan.walk.streamIndex, setup))
      return e;
    convert(setup, x, w.blockOf, w.numBlocks, w.streamIndex,
            /*wantValues=*/dst == LoadDst::Acc || zeroSetting, conv);
    counters.addEnergy(EnergyClass::Conversion,
                       n * conversionEnergy(energy, *f, setup.rounding));
  } else if (!codes.empty() && (dst == LoadDst::Acc || statsMask)) {
    decoded.resize(n);
    const ScaleLevel *block = f->blockLevel();
    for (size_t e = 0; e < n; ++e) {
      float s = 1.0f;
      if (block)
        s = blockScaleValue(block->format, layout == DramLayout::Paired
                                               ? scaleCodes[e]
                                               : scaleCodes[w.blockOf[e]]);
      decoded[e] =
          decodeElement(f->element(), codes[e], totalScale(*f, tensorScale, s));
    }
  }
  // The scale code of element e (codes with blocks, paired, converted).
  auto scaleCodeOf = [&](size_t e) -> uint64_t {
    if (plan.conversion)
      return conv.blockScaleCodes[w.blockOf[e]];
    return layout == DramLayout::Paired ? scaleCodes[e]
                                        : scaleCodes[w.blockOf[e]];
  };

  // Statistics of the inputs (decoded values for codes and paired).
  if (statsMask || inst.get("median_pass"))
    if (Error e = gatherStatistics(
            inst.get("stats_reg"), statsMask, inst.get("stats_reset"),
            layout == DramLayout::F32 ? ArrayRef(x) : ArrayRef(decoded),
            conv.values, inst.get("median_pass")))
      return e;

  // Write the destination.
  const size_t positions = w.chip.size();
  if (dst == LoadDst::Acc) {
    AccMemory &acc = state->acc;
    for (size_t p = 0; p < positions; ++p) {
      uint64_t c = w.chip[p];
      if (Error e = access(LocationKind::AccEntry, c, /*write=*/true))
        return e;
      uint32_t e = w.elementOf[p];
      uint32_t bits = 0; // a pad: +0.0f
      if (e != kPad)
        bits = layout == DramLayout::Raw32 ? raw[e]
               : plan.conversion           ? bit_cast<uint32_t>(conv.values[e])
                                           : bit_cast<uint32_t>(decoded[e]);
      acc.setValue(c, bits);
    }
    counters.accWriteBits += 32 * positions;
    counters.addEnergy(EnergyClass::Acc, 32.0 / 64 * energy.acc64 * positions);
  } else if (toSp) {
    const LaneLayout &l = plan.lanes;
    const uint64_t lanesPerRow = l.lanesPerRow;
    const ScaleLevel *block = f->blockLevel();
    const LocationKind where = dst == LoadDst::SpInput
                                   ? LocationKind::InputSpRow
                                   : LocationKind::WeightSpRow;
    const uint64_t padCode = f->element().encode(0.0f, Rounding::nearestEven());
    const uint64_t unitScale = block ? unitScaleCode(block->format) : 0;
    // Rows touched, in first-touch order, with the lanes written (plain
    // rows with groups) and each group's scale code.
    struct RowInfo {
      std::array<uint64_t, 4> written{};
      std::array<std::optional<uint64_t>, 8> groupScale;
      std::array<bool, 8> groupTouched{};
    };
    DenseMap<uint64_t, unsigned> rowIndex;
    std::vector<std::pair<uint64_t, RowInfo>> rows;
    for (size_t p = 0; p < positions; ++p) {
      uint64_t row = w.chip[p] / lanesPerRow, lane = w.chip[p] % lanesPerRow;
      auto [it, inserted] = rowIndex.try_emplace(row, rows.size());
      if (inserted) {
        if (Error e = access(where, row, /*write=*/true))
          return e;
        rows.emplace_back(row, RowInfo());
      }
      RowInfo &info = rows[it->second].second;
      uint32_t e = w.elementOf[p];
      uint64_t bits = e == kPad       ? padCode
                      : codes.empty() ? conv.codes[e]
                                      : codes[e];
      if (l.paired)
        bits |= (e == kPad ? unitScale : scaleCodeOf(e)) << l.codeBits;
      sp->writeLane(row, lane, l.laneBits, bits);
      sp->setLaneState(row, lane, l.laneBits,
                       e == kPad ? SlotState::Pad : SlotState::Data);
      if (planeGroups) {
        info.written[lane / 64] |= uint64_t(1) << (lane % 64);
        unsigned group = static_cast<unsigned>(lane / l.groupLanes);
        info.groupTouched[group] = true;
        if (e != kPad)
          info.groupScale[group] = scaleCodeOf(e);
      }
    }
    // Sidecars: T and the tag in every row touched; the group scales of
    // plain rows (a group that received only pads gets 2^0), whose other
    // lanes become invalid.
    const float t = f->hasTensorLevel ? tensorScale : 1.0f;
    const uint32_t tBits = bit_cast<uint32_t>(t);
    const uint16_t tag = f->tag();
    for (auto &[row, info] : rows) {
      uint8_t *side = sp->sidecar(row);
      if (!planeGroups)
        std::fill(side, side + 8, 0);
      for (unsigned i = 0; i < 4; ++i)
        side[8 + i] = static_cast<uint8_t>(tBits >> (8 * i));
      side[12] = static_cast<uint8_t>(tag);
      side[13] = static_cast<uint8_t>(tag >> 8);
      side[14] = side[15] = 0;
      if (!planeGroups)
        continue;
      bool pow2 = block->format.kind == numerics::ScaleKind::PowerOfTwo;
      for (unsigned g = 0; g < 8; ++g) {
        if (!info.groupTouched[g])
          continue;
        uint64_t code = info.groupScale[g].value_or(unitScale);
        if (pow2)
          side[g] = static_cast<uint8_t>(code);
        else
          for (unsigned i = 0; i < 4; ++i)
            side[4 * g + i] = static_cast<uint8_t>(code >> (8 * i));
        for (uint64_t lane = g * l.groupLanes; lane < (g + 1) * l.groupLanes;
             ++lane)
          if (!((info.written[lane / 64] >> (lane % 64)) & 1))
            sp->setLaneState(row, lane, l.laneBits, SlotState::Invalid);
      }
    }
    uint64_t bits = positions * l.laneBits + rows.size() * 8 * 16;
    unsigned which = dst == LoadDst::SpInput ? 0 : 1;
    counters.spWriteBits[which] += bits;
    counters.addEnergy(EnergyClass::ScratchpadWrite,
                       bits / 64.0 *
                           (which ? energy.weightSp64 : energy.inputSp64));
  }
  cur.latency =
      transferLatency(machine, w.trafficBytes, plan.geometry.positions());
  return Error::success();
}

//===----------------------------------------------------------------------===//
// STORE
//===----------------------------------------------------------------------===//

Error Executor::executeStore(const Instruction &inst) {
  const uint64_t layout = inst.get("layout");
  const uint64_t statsMask = inst.get("stats_mask");
  TransferPlan plan;
  if (Error e = planTransfer(*this, inst, /*isLoad=*/false, 0, plan))
    return e;
  const Walk &w = plan.walk;
  const FormatConfig *f = plan.format ? &*plan.format : nullptr;
  const size_t n = w.dramBit.size(); // no pads: one element per position

  if (Error e = start())
    return e;
  if (inst.get("states"))
    return storeStates(*this, plan.walk);

  Expected<float> scale = tensorScaleOf(*this, plan);
  if (!scale)
    return scale.takeError();
  const float tensorScale = *scale;

  // Read the ACC.
  std::vector<uint32_t> bits(n);
  for (size_t e = 0; e < n; ++e) {
    Expected<uint32_t> v = readAccValue(w.chip[e]);
    if (!v)
      return v.takeError();
    bits[e] = *v;
  }
  counters.accReadBits += 32 * n;
  counters.addEnergy(EnergyClass::Acc, 32.0 / 64 * energy.acc64 * n);

  Dram &dram = state->dram;
  const unsigned eb = plan.elementBits;
  for (uint64_t bit : w.dramBit)
    if (Error e = accessDramBits(bit, eb, /*write=*/true))
      return e;
  if (layout == DramLayout::Raw32) {
    for (size_t e = 0; e < n; ++e)
      dram.write32(w.dramBit[e] / 8, bits[e]);
  } else {
    std::vector<float> x(n);
    for (size_t e = 0; e < n; ++e)
      x[e] = bit_cast<float>(bits[e]);
    ConversionSetup setup;
    setup.format = f;
    setup.tensorScale = tensorScale;
    if (Error e = prepareRounding(*this, *plan.rounding, plan.format->entry,
                                  plan.walk.streamIndex, setup))
      return e;
    ConvertedElements conv;
    bool zeroSetting = statsMask & StatsMask::ZeroSetting;
    convert(setup, x, w.blockOf, w.numBlocks, w.streamIndex,
            /*wantValues=*/layout == DramLayout::F32 || zeroSetting, conv);
    counters.addEnergy(EnergyClass::Conversion,
                       n * conversionEnergy(energy, *f, setup.rounding));
    if (layout == DramLayout::F32) {
      for (size_t e = 0; e < n; ++e)
        dram.write32(w.dramBit[e] / 8, bit_cast<uint32_t>(conv.values[e]));
    } else if (layout == DramLayout::Codes) {
      for (size_t e = 0; e < n; ++e)
        dram.writeBits(w.dramBit[e], eb, conv.codes[e]);
      if (f->hasBlockLevel) {
        unsigned sbytes =
            f->blockLevel()->format.kind == numerics::ScaleKind::PowerOfTwo ? 1
                                                                            : 4;
        for (size_t b = 0; b < w.numBlocks; ++b) {
          uint64_t addr = w.blockScaleAddr[b];
          if (Error e = accessDramBits(8 * addr, 8 * sbytes, /*write=*/true))
            return e;
          dram.writeBits(8 * addr, 8 * sbytes, conv.blockScaleCodes[b]);
        }
      }
    } else { // paired
      unsigned cw = f->lanes(64).codeBits;
      for (size_t e = 0; e < n; ++e)
        dram.writeBits(w.dramBit[e], eb,
                       uint64_t(conv.codes[e]) |
                           uint64_t(conv.blockScaleCodes[w.blockOf[e]]) << cw);
    }
    if (statsMask)
      if (Error e = gatherStatistics(inst.get("stats_reg"), statsMask,
                                     inst.get("stats_reset"), x, conv.values))
        return e;
  }
  counters.dramWriteBits += 8 * w.trafficBytes;
  counters.addEnergy(EnergyClass::Dram, energy.dram(8.0 * w.trafficBytes));
  cur.latency =
      transferLatency(machine, w.trafficBytes, plan.geometry.positions());
  return Error::success();
}

} // namespace qtrain::accel::sim
