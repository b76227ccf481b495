//===- Checkpoint.cpp - A run's whole state on disk -----------------------===//

#include "qtrain/Train/Checkpoint.h"

#include "Gzip.h"

#include "llvm/ADT/Twine.h"

#include <cstring>

using llvm::Twine;
namespace json = llvm::json;

namespace qtrain::train {
namespace {

constexpr char kMagic[8] = {'Q', 'T', 'R', 'A', 'I', 'N', 'C', 'K'};
constexpr int64_t kVersion = 1;

llvm::Error bad(llvm::StringRef path, const Twine &msg) {
  return llvm::createStringError(
      llvm::inconvertibleErrorCode(),
      (path + ": not a valid checkpoint: " + msg).str());
}

const char *typeName(const HostTensor &t) {
  return t.isScalar ? "i64-scalar" : t.isI64 ? "i64" : t.isInt ? "i32" : "f32";
}

json::Array toJson(const std::vector<int64_t> &v) {
  json::Array a;
  for (int64_t x : v)
    a.push_back(x);
  return a;
}

bool fromJson(const json::Value *v, std::vector<int64_t> &out) {
  const json::Array *a = v ? v->getAsArray() : nullptr;
  if (!a)
    return false;
  out.clear();
  for (const json::Value &x : *a) {
    auto i = x.getAsInteger();
    if (!i)
      return false;
    out.push_back(*i);
  }
  return true;
}

} // namespace

llvm::Error writeCheckpoint(llvm::StringRef path, const Checkpoint &c) {
  json::Array history;
  for (const EpochRecord &r : c.history)
    history.push_back(json::Object{{"epoch", r.epoch},
                                   {"steps", r.steps},
                                   {"learning_rate", r.learningRate},
                                   {"train_loss", r.trainLoss},
                                   {"test_loss", r.testLoss},
                                   {"test_accuracy", r.testAccuracy},
                                   {"epoch_seconds", r.epochSeconds},
                                   {"steps_per_second", r.stepsPerSecond},
                                   {"modes", toJson(r.modes)},
                                   {"angles", json::Array(r.angles)}});
  json::Array tensors;
  for (const CheckpointTensor &t : c.tensors)
    tensors.push_back(json::Object{{"argument", int64_t(t.argument)},
                                   {"role", t.role},
                                   {"layer", t.layer},
                                   {"type", typeName(t.value)},
                                   {"shape", toJson(t.value.shape)},
                                   {"bytes", int64_t(t.value.bytes())}});
  const RunPosition &p = c.position;
  json::Object root{
      {"format", "qtrain-checkpoint"},
      {"version", kVersion},
      {"config", json::Object(c.config)},
      {"position", json::Object{{"epoch", p.epoch},
                                {"step_in_epoch", p.stepInEpoch},
                                {"global_step", p.globalStep},
                                {"epoch_loss_sum", p.epochLossSum},
                                {"epoch_seconds", p.epochSeconds}}},
      {"history", std::move(history)},
      {"tensors", std::move(tensors)}};
  std::string text;
  llvm::raw_string_ostream(text) << json::Value(std::move(root));
  uint8_t length[8];
  for (int i = 0; i < 8; ++i)
    length[i] = uint8_t(uint64_t(text.size()) >> (8 * i));
  std::vector<llvm::ArrayRef<uint8_t>> parts = {
      {reinterpret_cast<const uint8_t *>(kMagic), 8},
      {length, 8},
      {reinterpret_cast<const uint8_t *>(text.data()), text.size()}};
  for (const CheckpointTensor &t : c.tensors)
    parts.push_back(
        {static_cast<const uint8_t *>(t.value.data()), t.value.bytes()});
  return writeGzipFile(path, parts);
}

llvm::Expected<Checkpoint> readCheckpoint(llvm::StringRef path) {
  auto bytes = readGzipFile(path);
  if (!bytes)
    return bytes.takeError();
  const std::vector<uint8_t> &b = *bytes;
  if (b.size() < 16 || std::memcmp(b.data(), kMagic, 8) != 0)
    return bad(path, "no QTRAINCK header");
  uint64_t length = 0;
  for (int i = 0; i < 8; ++i)
    length |= uint64_t(b[8 + i]) << (8 * i);
  if (length > b.size() - 16)
    return bad(path, "the JSON part is cut short");
  llvm::StringRef text(reinterpret_cast<const char *>(b.data() + 16), length);
  auto parsed = json::parse(text);
  if (!parsed)
    return bad(path, "JSON: " + llvm::toString(parsed.takeError()));
  const json::Object *root = parsed->getAsObject();
  if (!root || root->getString("format") != "qtrain-checkpoint")
    return bad(path, "not a qtrain checkpoint");
  if (root->getInteger("version") != kVersion)
    return bad(path,
               "version " + Twine(root->getInteger("version").value_or(-1)) +
                   " (this qtrain reads version " + Twine(kVersion) + ")");
  Checkpoint c;
  const json::Object *config = root->getObject("config");
  const json::Object *position = root->getObject("position");
  const json::Array *history = root->getArray("history");
  const json::Array *tensors = root->getArray("tensors");
  if (!config || !position || !history || !tensors)
    return bad(path, "config, position, history or tensors missing");
  c.config = *config;
  auto integer = [](const json::Object &o, llvm::StringRef k, int64_t &out) {
    auto v = o.getInteger(k);
    if (v)
      out = *v;
    return v.has_value();
  };
  auto number = [](const json::Object &o, llvm::StringRef k, double &out) {
    auto v = o.getNumber(k);
    if (v)
      out = *v;
    return v.has_value();
  };
  RunPosition &p = c.position;
  if (!integer(*position, "epoch", p.epoch) ||
      !integer(*position, "step_in_epoch", p.stepInEpoch) ||
      !integer(*position, "global_step", p.globalStep) ||
      !number(*position, "epoch_loss_sum", p.epochLossSum) ||
      !number(*position, "epoch_seconds", p.epochSeconds))
    return bad(path, "incomplete position");
  for (const json::Value &v : *history) {
    const json::Object *o = v.getAsObject();
    EpochRecord r;
    if (!o || !integer(*o, "epoch", r.epoch) ||
        !integer(*o, "steps", r.steps) ||
        !number(*o, "learning_rate", r.learningRate) ||
        !number(*o, "train_loss", r.trainLoss) ||
        !number(*o, "test_loss", r.testLoss) ||
        !number(*o, "test_accuracy", r.testAccuracy) ||
        !number(*o, "epoch_seconds", r.epochSeconds) ||
        !number(*o, "steps_per_second", r.stepsPerSecond) ||
        !fromJson(o->get("modes"), r.modes))
      return bad(path, "incomplete history entry");
    const json::Array *angles = o->getArray("angles");
    if (!angles)
      return bad(path, "incomplete history entry");
    for (const json::Value &a : *angles) {
      auto d = a.getAsNumber();
      if (!d)
        return bad(path, "a gradient angle that is not a number");
      r.angles.push_back(*d);
    }
    c.history.push_back(std::move(r));
  }
  size_t at = 16 + length;
  for (const json::Value &v : *tensors) {
    const json::Object *o = v.getAsObject();
    CheckpointTensor t;
    int64_t argument = -1, size = -1;
    auto type = o ? o->getString("type") : std::nullopt;
    if (!o || !integer(*o, "argument", argument) || argument < 0 ||
        !integer(*o, "bytes", size) || !type ||
        !fromJson(o->get("shape"), t.value.shape))
      return bad(path, "incomplete tensor entry");
    t.argument = unsigned(argument);
    t.role = o->getString("role").value_or("").str();
    t.layer = o->getString("layer").value_or("").str();
    HostTensor &h = t.value;
    h.isScalar = *type == "i64-scalar";
    h.isI64 = *type == "i64";
    h.isInt = *type == "i32";
    if (!h.isScalar && !h.isI64 && !h.isInt && *type != "f32")
      return bad(path, "tensor type '" + *type + "'");
    for (int64_t d : h.shape)
      if (d < 0 || d > (int64_t(1) << 32))
        return bad(path, "tensor shape out of range");
    if (h.isScalar)
      h.shape.clear();
    if (size != int64_t(h.bytes()))
      return bad(path, "tensor of argument " + Twine(argument) + " has " +
                           Twine(size) + " bytes, its shape " +
                           Twine(h.bytes()));
    if (uint64_t(size) > b.size() - at)
      return bad(path, "tensor data cut short");
    if (h.isI64)
      h.i64.resize(h.count());
    else if (h.isInt)
      h.i32.resize(h.count());
    else if (!h.isScalar)
      h.f32.resize(h.count());
    std::memcpy(h.data(), b.data() + at, size);
    at += size;
    c.tensors.push_back(std::move(t));
  }
  if (at != b.size())
    return bad(path, Twine(b.size() - at) + " bytes after the last tensor");
  return c;
}

} // namespace qtrain::train
