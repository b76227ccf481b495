//===- MachineTest.cpp - The machine description and lane layouts ---------===//
//
// The bundled default (DefaultMachine.json, compiled in) against the docs'
// tables, the parser's errors (unknown key, wrong type, value outside the
// limits, each naming the key) and the lane rules of "Scratchpads".
//
//===----------------------------------------------------------------------===//

#include "qtrain/Accel/Machine.h"
#include "qtrain/Accel/ISA.h"
#include "qtrain/Accel/Layout.h"

#include "qtrain/Numerics/Presets.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/MemoryBuffer.h"

#include "gtest/gtest.h"

using namespace llvm;
using namespace qtrain::accel;
using namespace qtrain::numerics;

namespace {

std::string errorOf(StringRef json) {
  Expected<MachineDescription> m = parseMachineDescription(json, "m.json");
  if (m)
    return "(no error)";
  return toString(m.takeError());
}

TEST(AccelMachine, DefaultValues) {
  const MachineDescription &m = getDefaultMachine();
  EXPECT_EQ(m.name, "qtrain-accel-default");
  EXPECT_EQ(m.clockGhz, 1.0);
  EXPECT_EQ(m.dram.bytes, uint64_t(1) << 30);
  EXPECT_EQ(m.inputSp.rows, 4096u);
  EXPECT_EQ(m.inputSp.totalBytes(), 320u * 1024);
  EXPECT_EQ(m.gemm.kM4, 16u);
  EXPECT_EQ(m.gemm.kM8, 4u);
  EXPECT_EQ(m.gemm.kM16, 1u);
  EXPECT_EQ(m.queues.tokenDepth, 256u);
  EXPECT_EQ(m.energy.dram64b, 1950.0);
  EXPECT_EQ(m.energy.slowOp, 14.8);
}

// The compiled-in text is DefaultMachine.json byte for byte.
TEST(AccelMachine, CompiledInTextIsTheFile) {
  ErrorOr<std::unique_ptr<MemoryBuffer>> file =
      MemoryBuffer::getFile(QTRAIN_DEFAULT_MACHINE_JSON, /*IsText=*/true);
  ASSERT_TRUE(bool(file)) << QTRAIN_DEFAULT_MACHINE_JSON;
  EXPECT_EQ((*file)->getBuffer(), getDefaultMachineJSON());
}

// The default file gives every key: parsed over all-zero values it is the
// default, and no key is left at zero.
TEST(AccelMachine, DefaultFileHasEveryKey) {
  Expected<MachineDescription> m = parseMachineDescription(
      getDefaultMachineJSON(), "default", MachineDescription());
  ASSERT_TRUE(bool(m)) << toString(m.takeError());
  EXPECT_EQ(*m, getDefaultMachine());
  Expected<json::Value> root = json::parse(getDefaultMachineJSON());
  ASSERT_TRUE(bool(root));
  MachineDescription copy = *m;
  forEachMachineKey(copy, [&](const MachineKeyInfo &info, std::string *,
                              uint64_t *, double *) {
    SmallVector<StringRef> parts;
    info.key.split(parts, '.');
    const json::Value *v = &*root;
    for (StringRef p : parts) {
      const json::Object *o = v->getAsObject();
      v = o ? o->get(p) : nullptr;
      if (!v)
        break;
    }
    EXPECT_NE(v, nullptr) << "DefaultMachine.json lacks " << info.key.str();
  });
}

TEST(AccelMachine, JSONRoundTrip) {
  MachineDescription m = getDefaultMachine();
  m.name = "other";
  m.gemm.m = 32;
  m.energy.fpAdd32 = 1.25;
  std::string text;
  raw_string_ostream(text) << toJSON(m);
  Expected<MachineDescription> back =
      parseMachineDescription(text, "x", MachineDescription());
  ASSERT_TRUE(bool(back)) << toString(back.takeError());
  EXPECT_EQ(*back, m);
  EXPECT_NE(*back, getDefaultMachine());
}

TEST(AccelMachine, PrintedInTheDocsOrder) {
  MachineDescription m = getDefaultMachine();
  m.energy.fpAdd16 = 0.1 + 0.2; // 0.30000000000000004: 17 digits needed
  std::string text;
  raw_string_ostream os(text);
  printMachineDescription(os, m);
  Expected<MachineDescription> back =
      parseMachineDescription(text, "printed", MachineDescription());
  ASSERT_TRUE(bool(back)) << toString(back.takeError()) << text;
  EXPECT_EQ(*back, m);
  EXPECT_NE(text.find("\"fp_add_16_pj\": 0.30000000000000004"),
            std::string::npos);
  EXPECT_NE(text.find("\"fp_add_32_pj\": 0.9,"), std::string::npos);
  // Sections in the docs' order, gemm.k inside gemm.
  size_t name = text.find("\"name\""), dram = text.find("\"dram\""),
         gemm = text.find("\"gemm\""), k = text.find("\"k\""),
         passes = text.find("\"f32_passes\""), energy = text.find("\"energy\"");
  EXPECT_LT(name, dram);
  EXPECT_LT(dram, gemm);
  EXPECT_LT(gemm, k);
  EXPECT_LT(k, passes);
  EXPECT_LT(passes, energy);
}

TEST(AccelMachine, MissingKeysKeepTheDefault) {
  Expected<MachineDescription> m = parseMachineDescription(
      R"({"gemm": {"m": 32, "k": {"m8": 8}}, "clock_ghz": 2})", "m.json");
  ASSERT_TRUE(bool(m)) << toString(m.takeError());
  MachineDescription want = getDefaultMachine();
  want.gemm.m = 32;
  want.gemm.kM8 = 8;
  want.clockGhz = 2;
  EXPECT_EQ(*m, want);
  // An integral number written with a fraction is an integer.
  m = parseMachineDescription(R"({"acc": {"entries": 64.0}})", "m.json");
  ASSERT_TRUE(bool(m)) << toString(m.takeError());
  EXPECT_EQ(m->acc.entries, 64u);
  // The limits' ends are legal.
  m = parseMachineDescription(
      R"({"dram": {"bytes": 4294967296, "burst_bytes": 4096, "latency_cycles": 0},
          "input_sp": {"rows": 16384, "row_bytes": 128},
          "acc": {"entries": 65536}, "gemm": {"n": 256}})",
      "m.json");
  ASSERT_TRUE(bool(m)) << toString(m.takeError());
  EXPECT_EQ(m->dram.bytes, uint64_t(1) << 32);
}

TEST(AccelMachine, Errors) {
  EXPECT_EQ(errorOf(R"({"dram": {"bytez": 1}})"),
            "m.json: unknown key 'dram.bytez'");
  EXPECT_EQ(errorOf(R"({"foo": 1})"), "m.json: unknown key 'foo'");
  EXPECT_EQ(errorOf(R"({"gemm": {"k": {"m2": 1}}})"),
            "m.json: unknown key 'gemm.k.m2'");
  EXPECT_EQ(errorOf(R"({"dram": 5})"),
            "m.json: key 'dram' must be an object, got 5");
  EXPECT_EQ(errorOf(R"({"dram": {"bytes": "big"}})"),
            "m.json: key 'dram.bytes' must be an integer, got \"big\"");
  EXPECT_EQ(errorOf(R"({"dram": {"bytes": 1.5}})"),
            "m.json: key 'dram.bytes' must be an integer, got 1.5");
  EXPECT_EQ(errorOf(R"({"name": 3})"),
            "m.json: key 'name' must be a string, got 3");
  EXPECT_EQ(errorOf(R"({"clock_ghz": "fast"})"),
            "m.json: key 'clock_ghz' must be a number, got \"fast\"");
  EXPECT_EQ(errorOf(R"({"dram": {"bytes": 0}})"),
            "m.json: key 'dram.bytes' is 0, legal 1..4294967296");
  EXPECT_EQ(errorOf(R"({"dram": {"bytes": 4294967297}})"),
            "m.json: key 'dram.bytes' is 4294967297, legal 1..4294967296");
  EXPECT_EQ(errorOf(R"({"dram": {"latency_cycles": -1}})"),
            "m.json: key 'dram.latency_cycles' is -1, legal >= 0");
  EXPECT_EQ(errorOf(R"({"dram": {"burst_bytes": 48}})"),
            "m.json: key 'dram.burst_bytes' is 48, legal a power of two in "
            "4..4096");
  EXPECT_EQ(errorOf(R"({"dram": {"burst_bytes": 2}})"),
            "m.json: key 'dram.burst_bytes' is 2, legal a power of two in "
            "4..4096");
  EXPECT_EQ(errorOf(R"({"weight_sp": {"row_bytes": 48}})"),
            "m.json: key 'weight_sp.row_bytes' is 48, legal 32, 64 or 128");
  EXPECT_EQ(errorOf(R"({"weight_sp": {"rows": 16385}})"),
            "m.json: key 'weight_sp.rows' is 16385, legal 1..16384");
  EXPECT_EQ(errorOf(R"({"acc": {"entries": 65537}})"),
            "m.json: key 'acc.entries' is 65537, legal 1..65536");
  EXPECT_EQ(errorOf(R"({"acc": {"entry_bytes": 3}})"),
            "m.json: key 'acc.entry_bytes' is 3, legal 4..64");
  EXPECT_EQ(errorOf(R"({"gemm": {"m": 257}})"),
            "m.json: key 'gemm.m' is 257, legal 1..256");
  EXPECT_EQ(errorOf(R"({"gemm": {"k": {"m4": 0}}})"),
            "m.json: key 'gemm.k.m4' is 0, legal >= 1");
  EXPECT_EQ(errorOf(R"({"queues": {"token_depth": 0}})"),
            "m.json: key 'queues.token_depth' is 0, legal >= 1");
  EXPECT_EQ(errorOf(R"({"clock_ghz": 0})"),
            "m.json: key 'clock_ghz' is 0, legal > 0");
  EXPECT_EQ(errorOf(R"({"energy": {"dram_64b_pj": -3}})"),
            "m.json: key 'energy.dram_64b_pj' is -3, legal > 0");
  EXPECT_EQ(errorOf("[1]"),
            "m.json: a machine description is a JSON object, got an array");
  EXPECT_TRUE(StringRef(errorOf("{\"dram\": ")).starts_with("m.json: "));
  Expected<MachineDescription> missing =
      loadMachineDescription("/nonexistent/machine.json");
  ASSERT_FALSE(bool(missing));
  EXPECT_TRUE(StringRef(toString(missing.takeError()))
                  .starts_with("/nonexistent/machine.json: "));
}

/// The `| key(s) | ... default ... |` rows of the docs' tables: each key in
/// backticks in the first cell, the default in cell `column`, several
/// defaults separated by ", " (one default for several keys applies to all).
void collectDocDefaults(StringRef section, unsigned column,
                        StringMap<std::string> &defaults) {
  SmallVector<StringRef> lines;
  section.split(lines, '\n');
  for (StringRef line : lines) {
    if (!line.starts_with("| `"))
      continue;
    SmallVector<StringRef> cells;
    line.trim().trim('|').split(cells, " | ");
    if (cells.size() <= column)
      continue;
    SmallVector<StringRef> keys;
    for (StringRef rest = cells[0]; !rest.empty();) {
      auto [before, after] = rest.split('`');
      auto [key, tail] = after.split('`');
      if (!key.empty())
        keys.push_back(key);
      rest = tail;
      (void)before;
    }
    if (keys.empty() || keys[0].contains('*'))
      continue;
    SmallVector<StringRef> values;
    cells[column].trim().split(values, ", ");
    for (StringRef &v : values)
      v = v.trim().split(' ').first.trim('`').trim('"');
    ASSERT_TRUE(values.size() == keys.size() || values.size() == 1)
        << line.str();
    for (size_t i = 0; i < keys.size(); ++i)
      defaults[keys[i]] = values[values.size() == 1 ? 0 : i].str();
  }
}

// docs/Accelerator.md's "Default" columns (the machine description table and
// the energy model's table) are the bundled file's values, and every key is
// documented.
TEST(AccelMachine, DocsTablesAreTheDefaults) {
  ErrorOr<std::unique_ptr<MemoryBuffer>> page =
      MemoryBuffer::getFile(QTRAIN_ACCELERATOR_DOC, /*IsText=*/true);
  ASSERT_TRUE(bool(page)) << QTRAIN_ACCELERATOR_DOC;
  StringRef text = (*page)->getBuffer();
  auto section = [&](StringRef heading) {
    size_t begin = text.find("\n" + heading.str() + "\n");
    EXPECT_NE(begin, StringRef::npos) << heading.str();
    size_t end = text.find("\n## ", begin + 1);
    return text.slice(begin, end);
  };
  StringMap<std::string> docs;
  collectDocDefaults(section("## The machine description"), 2, docs);
  collectDocDefaults(section("## Energy model"), 1, docs);
  MachineDescription m = getDefaultMachine();
  unsigned checked = 0;
  forEachMachineKey(m, [&](const MachineKeyInfo &info, std::string *s,
                           uint64_t *i, double *d) {
    auto it = docs.find(info.key);
    if (it == docs.end()) {
      ADD_FAILURE() << "docs/Accelerator.md has no default for "
                    << info.key.str();
      return;
    }
    ++checked;
    StringRef doc = it->second;
    if (s) {
      EXPECT_EQ(doc, *s) << info.key.str();
    } else if (i) {
      uint64_t v = 0;
      EXPECT_FALSE(doc.getAsInteger(10, v))
          << info.key.str() << ": " << doc.str();
      EXPECT_EQ(v, *i) << info.key.str();
    } else {
      double v = 0;
      EXPECT_FALSE(doc.getAsDouble(v)) << info.key.str() << ": " << doc.str();
      EXPECT_EQ(v, *d) << info.key.str();
    }
  });
  EXPECT_EQ(checked, 41u);
}

TEST(AccelLayout, LanesOfThePresets) {
  ScaleFormat e8m0 = ScaleFormat::e8m0(), f32 = ScaleFormat::f32();
  MinifloatFormat e4m3 = *lookupMinifloat("e4m3fn");
  // MXFP8 plain: 8-bit lanes, 64 per row, one E8M0 code per 8 lanes.
  LaneLayout l = laneLayout(e4m3, &e8m0, /*paired=*/false, 64);
  EXPECT_EQ(l.codeBits, 8u);
  EXPECT_EQ(l.laneBits, 8u);
  EXPECT_EQ(l.lanesPerRow, 64u);
  EXPECT_EQ(l.groupLanes, 8u);
  // MXFP8 paired: 16-bit lanes, 32 per row (the docs' example).
  l = laneLayout(e4m3, &e8m0, /*paired=*/true, 64);
  EXPECT_EQ(l.laneBits, 16u);
  EXPECT_EQ(l.lanesPerRow, 32u);
  EXPECT_EQ(l.groupLanes, 0u);
  // 4-bit codes: 128 lanes, groups of 16; f32 block scales: 2 groups.
  MinifloatFormat e2m1 = *lookupMinifloat("e2m1fn");
  l = laneLayout(e2m1, &e8m0, false, 64);
  EXPECT_EQ(l.codeBits, 4u);
  EXPECT_EQ(l.lanesPerRow, 128u);
  EXPECT_EQ(l.groupLanes, 16u);
  l = laneLayout(e2m1, &f32, false, 64);
  EXPECT_EQ(l.groupLanes, 64u);
  // FB12's 5-bit sign-magnitude element: 8-bit code; FB24's 17-bit: 32.
  IntegerFormat fb12{5, IntegerEncoding::SignMagnitude, 0,
                     IntegerOverflow::Saturate};
  IntegerFormat fb24{17, IntegerEncoding::SignMagnitude, 0,
                     IntegerOverflow::Saturate};
  EXPECT_EQ(codeWidth(fb12), 8u);
  EXPECT_EQ(codeWidth(fb24), 32u);
  // FB24 paired: 32 + 8 bits in a 64-bit lane, 8 per 64-byte row.
  l = laneLayout(fb24, &e8m0, true, 64);
  EXPECT_EQ(l.laneBits, 64u);
  EXPECT_EQ(l.lanesPerRow, 8u);
  // No block level.
  l = laneLayout(MinifloatFormat(), nullptr, false, 128);
  EXPECT_EQ(l.codeBits, 32u);
  EXPECT_EQ(l.lanesPerRow, 32u);
  EXPECT_EQ(l.groupLanes, 0u);
}

TEST(AccelLayout, NeededModes) {
  // The docs' examples.
  EXPECT_EQ(neededGemmMode(*lookupMinifloat("e4m3fn")), GemmMode::M4);
  EXPECT_EQ(neededGemmMode(*lookupMinifloat("e5m2")), GemmMode::M4);
  EXPECT_EQ(neededGemmMode(*lookupMinifloat("e2m1fn")), GemmMode::M4);
  EXPECT_EQ(neededGemmMode(IntegerFormat{5, IntegerEncoding::SignMagnitude, 0,
                                         IntegerOverflow::Saturate}),
            GemmMode::M4);
  EXPECT_EQ(neededGemmMode(MinifloatFormat::standard(8, 7)), GemmMode::M8);
  EXPECT_EQ(neededGemmMode(IntegerFormat{8, IntegerEncoding::TwosComplement, 0,
                                         IntegerOverflow::Saturate}),
            GemmMode::M8);
  EXPECT_EQ(neededGemmMode(MinifloatFormat::standard(5, 10)), GemmMode::M16);
  EXPECT_EQ(neededGemmMode(IntegerFormat{17, IntegerEncoding::SignMagnitude, 0,
                                         IntegerOverflow::Saturate}),
            GemmMode::M16);
  EXPECT_EQ(neededGemmMode(MinifloatFormat()), GemmMode::F32);
  EXPECT_EQ(neededGemmMode(IntegerFormat{8, IntegerEncoding::Unsigned, 0,
                                         IntegerOverflow::Saturate}),
            GemmMode::M8);
  EXPECT_EQ(neededGemmMode(IntegerFormat{32, IntegerEncoding::TwosComplement, 0,
                                         IntegerOverflow::Saturate}),
            kNoGemmMode);
}

} // namespace
