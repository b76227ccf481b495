//===- Machine.cpp - The accelerator's machine description ----------------===//
//
// The key table (forEachMachineKey) is the one list of keys and limits; the
// parser, the printer and the tests walk it. The default values live only in
// DefaultMachine.json, compiled in as DefaultMachineJSON.inc.
//
//===----------------------------------------------------------------------===//

#include "qtrain/Accel/Machine.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <cstdlib>
#include <limits>

using namespace llvm;

namespace qtrain::accel {

namespace {
constexpr uint64_t kNoMax = std::numeric_limits<int64_t>::max();

const char kDefaultMachineJSON[] =
#include "DefaultMachineJSON.inc"
    ;
} // namespace

void forEachMachineKey(MachineDescription &m,
                       function_ref<void(const MachineKeyInfo &, std::string *,
                                         uint64_t *, double *)>
                           fn) {
  auto str = [&](StringRef key, std::string &v) {
    fn({key, MachineKeyKind::String}, &v, nullptr, nullptr);
  };
  auto num = [&](StringRef key, double &v) {
    fn({key, MachineKeyKind::Number}, nullptr, nullptr, &v);
  };
  auto integer = [&](StringRef key, uint64_t &v, uint64_t min,
                     uint64_t max = kNoMax, bool pow2 = false) {
    fn({key, MachineKeyKind::Integer, min, max, pow2}, nullptr, &v, nullptr);
  };
  auto rowBytes = [&](StringRef key, uint64_t &v) {
    fn({key, MachineKeyKind::RowBytes, 32, 128}, nullptr, &v, nullptr);
  };
  // The docs' table, in its order; the limits come from the encoding (row
  // fields are 14 bits, entry fields 16 bits, DRAM addresses 32 bits).
  str("name", m.name);
  num("clock_ghz", m.clockGhz);
  integer("dram.bytes", m.dram.bytes, 1, uint64_t(1) << 32);
  integer("dram.bytes_per_cycle", m.dram.bytesPerCycle, 1);
  integer("dram.latency_cycles", m.dram.latencyCycles, 0);
  integer("dram.burst_bytes", m.dram.burstBytes, 4, 4096, /*pow2=*/true);
  integer("dram.outstanding_transfers", m.dram.outstandingTransfers, 1, 64);
  integer("input_sp.rows", m.inputSp.rows, 1, 16384);
  rowBytes("input_sp.row_bytes", m.inputSp.rowBytes);
  integer("input_sp.read_bytes_per_cycle", m.inputSp.readBytesPerCycle, 1);
  integer("weight_sp.rows", m.weightSp.rows, 1, 16384);
  rowBytes("weight_sp.row_bytes", m.weightSp.rowBytes);
  integer("weight_sp.read_bytes_per_cycle", m.weightSp.readBytesPerCycle, 1);
  integer("acc.entries", m.acc.entries, 1, 65536);
  integer("acc.entry_bytes", m.acc.entryBytes, 4, 64);
  integer("gemm.m", m.gemm.m, 1, 256);
  integer("gemm.n", m.gemm.n, 1, 256);
  integer("gemm.k.m4", m.gemm.kM4, 1);
  integer("gemm.k.m8", m.gemm.kM8, 1);
  integer("gemm.k.m16", m.gemm.kM16, 1);
  integer("gemm.f32_passes", m.gemm.f32Passes, 1);
  integer("gemm.latency_cycles", m.gemm.latencyCycles, 0);
  integer("vector.lanes", m.vector.lanes, 1);
  integer("vector.latency_cycles", m.vector.latencyCycles, 0);
  integer("vector.slow_op_cycles", m.vector.slowOpCycles, 1);
  integer("convert.elements_per_cycle", m.convert.elementsPerCycle, 1);
  integer("queues.instruction_depth", m.queues.instructionDepth, 1);
  integer("queues.token_depth", m.queues.tokenDepth, 1);
  EnergyDesc &e = m.energy;
  num("energy.int_add_8_pj", e.intAdd8);
  num("energy.int_add_32_pj", e.intAdd32);
  num("energy.fp_add_16_pj", e.fpAdd16);
  num("energy.fp_add_32_pj", e.fpAdd32);
  num("energy.int_mul_8_pj", e.intMul8);
  num("energy.int_mul_32_pj", e.intMul32);
  num("energy.fp_mul_16_pj", e.fpMul16);
  num("energy.fp_mul_32_pj", e.fpMul32);
  num("energy.sram_8kb_64b_pj", e.sram8KB);
  num("energy.sram_32kb_64b_pj", e.sram32KB);
  num("energy.sram_1mb_64b_pj", e.sram1MB);
  num("energy.dram_64b_pj", e.dram64b);
  num("energy.slow_op_pj", e.slowOp);
}

bool MachineDescription::operator==(const MachineDescription &o) const {
  // Every key, through the one key table.
  MachineDescription a = *this, b = o;
  SmallVector<std::string> sa, sb;
  SmallVector<uint64_t> ia, ib;
  SmallVector<double> da, db;
  forEachMachineKey(
      a, [&](const MachineKeyInfo &, std::string *s, uint64_t *i, double *d) {
        if (s)
          sa.push_back(*s);
        if (i)
          ia.push_back(*i);
        if (d)
          da.push_back(*d);
      });
  forEachMachineKey(
      b, [&](const MachineKeyInfo &, std::string *s, uint64_t *i, double *d) {
        if (s)
          sb.push_back(*s);
        if (i)
          ib.push_back(*i);
        if (d)
          db.push_back(*d);
      });
  return sa == sb && ia == ib && da == db;
}

namespace {

/// A short description of a JSON value for "got ..." in messages.
std::string describe(const json::Value &v) {
  switch (v.kind()) {
  case json::Value::Null:
    return "null";
  case json::Value::Boolean:
    return *v.getAsBoolean() ? "true" : "false";
  case json::Value::Number: {
    if (std::optional<int64_t> i = v.getAsInteger())
      return std::to_string(*i);
    std::string s;
    raw_string_ostream(s) << format("%.17g", *v.getAsNumber());
    return s;
  }
  case json::Value::String: {
    StringRef s = *v.getAsString();
    return "\"" + (s.size() > 40 ? (s.take_front(40) + "...").str() : s.str()) +
           "\"";
  }
  case json::Value::Array:
    return "an array";
  case json::Value::Object:
    return "an object";
  }
  return "a value";
}

/// An integral `d` as an integer; otherwise the shortest "%.Ng" spelling
/// that reads back as `d`.
std::string shortestDouble(double d) {
  std::string s;
  if (d == std::floor(d) && std::fabs(d) < 1e15) {
    raw_string_ostream(s) << format("%.0f", d);
    return s;
  }
  for (int digits = 1; digits <= 17; ++digits) {
    s.clear();
    raw_string_ostream(s) << format("%.*g", digits, d);
    if (std::strtod(s.c_str(), nullptr) == d)
      break;
  }
  return s;
}

struct Slot {
  MachineKeyInfo info;
  std::string *str;
  uint64_t *integer;
  double *number;
};

class Parser {
public:
  Parser(MachineDescription &m, StringRef source) : source(source) {
    forEachMachineKey(m, [&](const MachineKeyInfo &info, std::string *s,
                             uint64_t *i, double *d) {
      slots[info.key] = {info, s, i, d};
      // Every proper prefix of a key is a section.
      for (size_t dot = info.key.find('.'); dot != StringRef::npos;
           dot = info.key.find('.', dot + 1))
        sections.insert(info.key.take_front(dot));
    });
  }

  Error parseObject(const json::Object &object, StringRef prefix) {
    // Sorted keys: the same error whatever the hash order.
    SmallVector<StringRef> keys;
    for (const auto &member : object)
      keys.push_back(member.first);
    llvm::sort(keys);
    for (StringRef key : keys) {
      std::string path =
          prefix.empty() ? key.str() : (prefix + "." + key).str();
      const json::Value &value = *object.get(key);
      if (sections.contains(path)) {
        const json::Object *inner = value.getAsObject();
        if (!inner)
          return error("key '" + path + "' must be an object, got " +
                       describe(value));
        if (Error e = parseObject(*inner, path))
          return e;
        continue;
      }
      auto it = slots.find(path);
      if (it == slots.end())
        return error("unknown key '" + path + "'");
      if (Error e = parseValue(it->second, path, value))
        return e;
    }
    return Error::success();
  }

  Error error(const Twine &message) const {
    return createStringError(inconvertibleErrorCode(), source + ": " + message);
  }

private:
  Error parseValue(const Slot &slot, StringRef path, const json::Value &value) {
    const MachineKeyInfo &info = slot.info;
    std::string key = ("key '" + path + "'").str();
    switch (info.kind) {
    case MachineKeyKind::String:
      if (std::optional<StringRef> s = value.getAsString()) {
        *slot.str = s->str();
        return Error::success();
      }
      return error(key + " must be a string, got " + describe(value));
    case MachineKeyKind::Number: {
      std::optional<double> d = value.getAsNumber();
      if (!d)
        return error(key + " must be a number, got " + describe(value));
      if (!(*d > 0) || !std::isfinite(*d))
        return error(key + " is " + describe(value) + ", legal > 0");
      *slot.number = *d;
      return Error::success();
    }
    case MachineKeyKind::Integer:
    case MachineKeyKind::RowBytes: {
      std::optional<int64_t> i = value.getAsInteger();
      if (!i)
        return error(key + " must be an integer, got " + describe(value));
      if (info.kind == MachineKeyKind::RowBytes) {
        if (*i != 32 && *i != 64 && *i != 128)
          return error(key + " is " + Twine(*i) + ", legal 32, 64 or 128");
      } else if (*i < 0 || static_cast<uint64_t>(*i) < info.min ||
                 static_cast<uint64_t>(*i) > info.max ||
                 (info.powerOfTwo && !isPowerOf2_64(*i))) {
        std::string legal =
            info.max == kNoMax
                ? ">= " + std::to_string(info.min)
                : std::to_string(info.min) + ".." + std::to_string(info.max);
        if (info.powerOfTwo)
          legal = "a power of two in " + legal;
        return error(key + " is " + Twine(*i) + ", legal " + legal);
      }
      *slot.integer = static_cast<uint64_t>(*i);
      return Error::success();
    }
    }
    llvm_unreachable("unknown key kind");
  }

  StringRef source;
  StringMap<Slot> slots;
  StringSet<> sections;
};

} // namespace

StringRef getDefaultMachineJSON() {
  return StringRef(kDefaultMachineJSON, sizeof(kDefaultMachineJSON) - 1);
}

const MachineDescription &getDefaultMachine() {
  static const MachineDescription machine = [] {
    Expected<MachineDescription> m = parseMachineDescription(
        getDefaultMachineJSON(), "DefaultMachine.json", MachineDescription());
    if (!m)
      report_fatal_error(Twine("the bundled machine description is invalid: ") +
                         toString(m.takeError()));
    return *m;
  }();
  return machine;
}

Expected<MachineDescription>
parseMachineDescription(StringRef text, StringRef source,
                        const MachineDescription &base) {
  MachineDescription m = base;
  Parser parser(m, source);
  Expected<json::Value> root = json::parse(text);
  if (!root)
    return parser.error(toString(root.takeError()));
  const json::Object *object = root->getAsObject();
  if (!object)
    return parser.error("a machine description is a JSON object, got " +
                        describe(*root));
  if (Error e = parser.parseObject(*object, ""))
    return std::move(e);
  return m;
}

Expected<MachineDescription> loadMachineDescription(StringRef path) {
  ErrorOr<std::unique_ptr<MemoryBuffer>> buffer =
      MemoryBuffer::getFile(path, /*IsText=*/true);
  if (std::error_code ec = buffer.getError())
    return createStringError(ec, "%s: %s", path.str().c_str(),
                             ec.message().c_str());
  return parseMachineDescription((*buffer)->getBuffer(), path);
}

json::Value toJSON(const MachineDescription &machine) {
  MachineDescription m = machine;
  json::Object root;
  forEachMachineKey(m, [&](const MachineKeyInfo &info, std::string *s,
                           uint64_t *i, double *d) {
    SmallVector<StringRef> parts;
    info.key.split(parts, '.');
    json::Object *object = &root;
    for (StringRef section : ArrayRef<StringRef>(parts).drop_back()) {
      json::Value *inner = object->get(section);
      if (!inner) {
        (*object)[section] = json::Object();
        inner = object->get(section);
      }
      object = inner->getAsObject();
    }
    if (s)
      (*object)[parts.back()] = *s;
    else if (i)
      (*object)[parts.back()] = static_cast<int64_t>(*i);
    else
      (*object)[parts.back()] = *d;
  });
  return json::Value(std::move(root));
}

void printMachineDescription(raw_ostream &os,
                             const MachineDescription &machine) {
  MachineDescription m = machine;
  json::OStream j(os, /*IndentSize=*/2);
  j.objectBegin();
  // The sections open along the key list, which keeps each section's keys
  // together.
  SmallVector<StringRef> open;
  forEachMachineKey(m, [&](const MachineKeyInfo &info, std::string *s,
                           uint64_t *i, double *d) {
    SmallVector<StringRef> parts;
    info.key.split(parts, '.');
    ArrayRef<StringRef> sections = ArrayRef<StringRef>(parts).drop_back();
    size_t common = 0;
    while (common < open.size() && common < sections.size() &&
           open[common] == sections[common])
      ++common;
    while (open.size() > common) {
      j.objectEnd();
      j.attributeEnd();
      open.pop_back();
    }
    for (StringRef section : sections.drop_front(common)) {
      j.attributeBegin(section);
      j.objectBegin();
      open.push_back(section);
    }
    j.attributeBegin(parts.back());
    if (s)
      j.value(*s);
    else if (i)
      j.value(static_cast<int64_t>(*i));
    else
      j.rawValue(shortestDouble(*d));
    j.attributeEnd();
  });
  while (!open.empty()) {
    j.objectEnd();
    j.attributeEnd();
    open.pop_back();
  }
  j.objectEnd();
}

} // namespace qtrain::accel
