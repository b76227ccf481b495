//===- RecipeParser.cpp - JSON recipes to Recipe
//---------------------------===//
//
// Reads a recipe in two passes over the text: llvm::json::parse for the
// syntax (its errors carry a line and column), then a walk over the
// llvm::json::Value that checks every key and value and builds the Recipe.
// Semantic errors name the key path at fault; SourceIndex finds the path's
// line and column in the text (see SourceIndex.h).
//
// llvm::json::Path / ObjectMapper are not used for the walk: Path::report
// takes only string literals (our messages quote the offending value) and
// Path::Root does not expose the path it records, which SourceIndex needs.
// The walk keeps the path as a string built by fieldPath / indexPath, the
// same functions SourceIndex uses, so the two always agree.
//
//===----------------------------------------------------------------------===//

#include "qtrain/Recipes/Recipe.h"

#include "SourceIndex.h"

#include "qtrain/Dialect/QTrain/IR/QTrainDialect.h"

#include "mlir/AsmParser/AsmParser.h"
#include "mlir/IR/Diagnostics.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <cstdlib>

using namespace llvm;
using namespace mlir;

namespace qtrain::recipes {

using detail::fieldPath;
using detail::indexPath;

namespace {

/// Nesting deeper than this is rejected before llvm::json::parse (which
/// recurses once per level) sees the text. Recipes nest six levels deep.
constexpr unsigned kMaxNesting = 64;
/// Brace expansion in a layer glob ("{a,b}{c,d}...") multiplies patterns.
constexpr size_t kMaxGlobSubPatterns = 1024;
/// Longer strings are shortened in messages.
constexpr size_t kMaxQuoted = 80;

std::string shorten(StringRef s) {
  if (s.size() <= kMaxQuoted)
    return s.str();
  return (s.take_front(kMaxQuoted) + "...").str();
}

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
    // The shortest spelling that reads back as the same double (0.1, not
    // json::Value's 0.10000000000000001).
    double d = *v.getAsNumber();
    std::string s;
    for (int digits = 1; digits <= 17; ++digits) {
      s.clear();
      raw_string_ostream(s) << format("%.*g", digits, d);
      if (std::strtod(s.c_str(), nullptr) == d)
        break;
    }
    return s;
  }
  case json::Value::String:
    return "\"" + shorten(*v.getAsString()) + "\"";
  case json::Value::Array:
    return "an array";
  case json::Value::Object:
    return "an object";
  }
  return "a value";
}

std::string joinKeys(ArrayRef<StringRef> keys) {
  return join(keys.begin(), keys.end(), ", ");
}

const char *const kGemmList = "forward, backward_data or backward_weight";

std::string operandList(ConvKind gemm) {
  SmallVector<StringRef> names;
  for (Role r : kAllRoles)
    if (isGemmOperand(gemm, r))
      names.push_back(roleName(r));
  return join(names, " and ");
}

} // namespace

/// The walk over a parsed recipe. A friend of LayerRules (it sets the glob).
class RecipeParser {
public:
  RecipeParser(StringRef text, StringRef fileName, MLIRContext &ctx,
               const detail::SourceIndex &index)
      : text(text), fileName(fileName), ctx(ctx), index(index) {}

  Expected<Recipe> parse(const json::Value &root);

private:
  using RoleRules = std::array<std::optional<RoleRule>, kNumRoles>;

  Error error(StringRef path, const Twine &message) const;

  // Typed access; each names what it expected and what it got.
  Expected<const json::Object *> getObject(const json::Value &v,
                                           StringRef path) const;
  Expected<const json::Array *> getArray(const json::Value &v,
                                         StringRef path) const;
  Expected<StringRef> getString(const json::Value &v, StringRef path) const;
  Expected<int64_t> getInteger(const json::Value &v, StringRef path) const;
  Expected<double> getNumber(const json::Value &v, StringRef path) const;
  Expected<bool> getBoolean(const json::Value &v, StringRef path) const;

  /// The members of `o` in the order they appear in the text (so the first
  /// error in the file is the one reported).
  SmallVector<const json::Object::value_type *>
  inSourceOrder(const json::Object &o, StringRef path) const;
  /// Rejects the first key of `o` not in `allowed`.
  Error checkKeys(const json::Object &o, StringRef path,
                  ArrayRef<StringRef> allowed, StringRef what) const;
  /// The member `key` of `o`, or an error if it is missing.
  Expected<const json::Value *> require(const json::Object &o, StringRef path,
                                        StringRef key) const;

  /// An attribute in the dialect's syntax (MLIR's parser diagnostics become
  /// the error's text).
  Expected<Attribute> parseAttr(StringRef spelling, StringRef path) const;
  /// A format attribute; "f32" gives null when `allowF32`.
  Expected<FormatAttrInterface>
  parseFormat(const json::Value &v, StringRef path, bool allowF32) const;

  Error parseScope(const json::Object &o, StringRef path, RuleSet &out) const;
  Error parseRoles(const json::Value &v, StringRef path,
                   std::optional<ConvKind> gemm, RoleRules &out) const;
  Expected<RoleRule> parseRoleRule(const json::Value &v, StringRef path) const;
  Expected<Scaling> parseScaling(const json::Value &v, StringRef path) const;
  Expected<AccumulationRule> parseAccumulation(const json::Value &v,
                                               StringRef path) const;
  Error parseGemms(const json::Value &v, StringRef path,
                   std::array<GemmRules, kNumGemms> &out) const;
  Error parseLayers(const json::Value &v, StringRef path,
                    std::vector<LayerRules> &out) const;
  Expected<DynamicPrecision> parseDynamic(const json::Value &v,
                                          StringRef path) const;
  Error checkDynamic(const Recipe &r) const;

  StringRef text, fileName;
  MLIRContext &ctx;
  const detail::SourceIndex &index;
};

//===----------------------------------------------------------------------===//
// Errors and typed access
//===----------------------------------------------------------------------===//

Error RecipeParser::error(StringRef path, const Twine &message) const {
  auto [line, column] = detail::lineColumn(text, index.offsetOf(path));
  std::string s;
  raw_string_ostream os(s);
  os << fileName << ":" << line << ":" << column << ": ";
  if (!path.empty())
    os << path << ": ";
  os << message;
  return createStringError(inconvertibleErrorCode(), s);
}

Expected<const json::Object *> RecipeParser::getObject(const json::Value &v,
                                                       StringRef path) const {
  if (const json::Object *o = v.getAsObject())
    return o;
  return error(path, "expected an object, got " + describe(v));
}

Expected<const json::Array *> RecipeParser::getArray(const json::Value &v,
                                                     StringRef path) const {
  if (const json::Array *a = v.getAsArray())
    return a;
  return error(path, "expected an array, got " + describe(v));
}

Expected<StringRef> RecipeParser::getString(const json::Value &v,
                                            StringRef path) const {
  if (std::optional<StringRef> s = v.getAsString())
    return *s;
  return error(path, "expected a string, got " + describe(v));
}

Expected<int64_t> RecipeParser::getInteger(const json::Value &v,
                                           StringRef path) const {
  if (std::optional<int64_t> i = v.getAsInteger())
    return *i;
  return error(path, "expected an integer, got " + describe(v));
}

Expected<double> RecipeParser::getNumber(const json::Value &v,
                                         StringRef path) const {
  std::optional<double> d = v.getAsNumber();
  if (d && std::isfinite(*d))
    return *d;
  return error(path, "expected a number, got " + describe(v));
}

Expected<bool> RecipeParser::getBoolean(const json::Value &v,
                                        StringRef path) const {
  if (std::optional<bool> b = v.getAsBoolean())
    return *b;
  return error(path, "expected true or false, got " + describe(v));
}

SmallVector<const json::Object::value_type *>
RecipeParser::inSourceOrder(const json::Object &o, StringRef path) const {
  SmallVector<std::pair<size_t, const json::Object::value_type *>> members;
  for (const json::Object::value_type &kv : o)
    members.push_back({index.offsetOf(fieldPath(path, kv.first)), &kv});
  llvm::sort(members, [](const auto &a, const auto &b) {
    return a.first != b.first
               ? a.first < b.first
               : StringRef(a.second->first) < StringRef(b.second->first);
  });
  SmallVector<const json::Object::value_type *> out;
  for (const auto &m : members)
    out.push_back(m.second);
  return out;
}

Error RecipeParser::checkKeys(const json::Object &o, StringRef path,
                              ArrayRef<StringRef> allowed,
                              StringRef what) const {
  for (const json::Object::value_type *kv : inSourceOrder(o, path)) {
    StringRef key = kv->first;
    if (!is_contained(allowed, key))
      return error(fieldPath(path, key),
                   "unknown key; " + what + " takes: " + joinKeys(allowed));
  }
  return Error::success();
}

Expected<const json::Value *> RecipeParser::require(const json::Object &o,
                                                    StringRef path,
                                                    StringRef key) const {
  if (const json::Value *v = o.get(key))
    return v;
  return error(fieldPath(path, key), "required key missing");
}

//===----------------------------------------------------------------------===//
// Attributes
//===----------------------------------------------------------------------===//

Expected<Attribute> RecipeParser::parseAttr(StringRef spelling,
                                            StringRef path) const {
  if (spelling.contains('\0'))
    return error(path, "the attribute contains a NUL character");
  std::string diagnostic;
  ScopedDiagnosticHandler handler(&ctx, [&](Diagnostic &d) {
    if (diagnostic.empty() && d.getSeverity() == DiagnosticSeverity::Error)
      diagnostic = d.str();
    return success();
  });
  Attribute a = parseAttribute(spelling, &ctx);
  if (!a)
    return error(path,
                 "cannot parse '" + shorten(spelling) + "': " + diagnostic);
  return a;
}

Expected<FormatAttrInterface> RecipeParser::parseFormat(const json::Value &v,
                                                        StringRef path,
                                                        bool allowF32) const {
  const char *expected =
      allowF32 ? "expected a qtrain format attribute (#qtrain.fp, #qtrain.int "
                 "or #qtrain.scaled) or \"f32\""
               : "expected a qtrain format attribute (#qtrain.fp, #qtrain.int "
                 "or #qtrain.scaled)";
  std::optional<StringRef> s = v.getAsString();
  if (!s)
    return error(path, Twine(expected) + ", got " + describe(v));
  if (*s == "f32") {
    if (allowF32)
      return FormatAttrInterface();
    return error(path, Twine(expected) + ", got \"f32\"");
  }
  Expected<Attribute> a = parseAttr(*s, path);
  if (!a)
    return a.takeError();
  if (auto f = dyn_cast<FormatAttrInterface>(*a))
    return f;
  return error(path, Twine(expected) + ", got '" + shorten(*s) + "'");
}

//===----------------------------------------------------------------------===//
// Rules
//===----------------------------------------------------------------------===//

Error RecipeParser::parseScope(const json::Object &o, StringRef path,
                               RuleSet &out) const {
  if (const json::Value *v = o.get("roles"))
    if (Error e =
            parseRoles(*v, fieldPath(path, "roles"), std::nullopt, out.roles))
      return e;
  if (const json::Value *v = o.get("gemms"))
    if (Error e = parseGemms(*v, fieldPath(path, "gemms"), out.gemms))
      return e;
  if (const json::Value *v = o.get("accumulation")) {
    Expected<AccumulationRule> a =
        parseAccumulation(*v, fieldPath(path, "accumulation"));
    if (!a)
      return a.takeError();
    out.accumulation = *a;
  }
  return Error::success();
}

Error RecipeParser::parseRoles(const json::Value &v, StringRef path,
                               std::optional<ConvKind> gemm,
                               RoleRules &out) const {
  Expected<const json::Object *> o = getObject(v, path);
  if (!o)
    return o.takeError();
  for (const json::Object::value_type *kv : inSourceOrder(**o, path)) {
    StringRef key = kv->first;
    std::string keyPath = fieldPath(path, key);
    std::optional<Role> role = parseRole(key);
    if (!role)
      return error(keyPath, "unknown role; roles are W (weights), A "
                            "(activations), E (errors) and G (weight "
                            "gradients)");
    if (gemm && !isGemmOperand(*gemm, *role))
      return error(keyPath, Twine(key) + " is not an operand of the " +
                                stringifyConvKind(*gemm) +
                                " GEMM (its operands are " +
                                operandList(*gemm) + ")");
    Expected<RoleRule> rule = parseRoleRule(kv->second, keyPath);
    if (!rule)
      return rule.takeError();
    out[static_cast<unsigned>(*role)] = *rule;
  }
  return Error::success();
}

Expected<RoleRule> RecipeParser::parseRoleRule(const json::Value &v,
                                               StringRef path) const {
  Expected<const json::Object *> o = getObject(v, path);
  if (!o)
    return o.takeError();
  if (Error e = checkKeys(**o, path, {"format", "rounding", "scaling"},
                          "a role rule"))
    return std::move(e);
  RoleRule rule;
  Expected<const json::Value *> format = require(**o, path, "format");
  if (!format)
    return format.takeError();
  std::string formatPath = fieldPath(path, "format");
  Expected<FormatAttrInterface> f =
      parseFormat(**format, formatPath, /*allowF32=*/true);
  if (!f)
    return f.takeError();
  rule.format = *f;

  if (const json::Value *r = (*o)->get("rounding")) {
    std::string roundingPath = fieldPath(path, "rounding");
    if (!rule.format)
      return error(roundingPath,
                   "an unquantized role (format \"f32\") takes no rounding");
    Expected<StringRef> s = getString(*r, roundingPath);
    if (!s)
      return s.takeError();
    Expected<Attribute> a = parseAttr(*s, roundingPath);
    if (!a)
      return a.takeError();
    rule.rounding = dyn_cast<RoundingAttr>(*a);
    if (!rule.rounding)
      return error(roundingPath, "expected a qtrain rounding attribute "
                                 "(#qtrain.rounding<...>), got '" +
                                     shorten(*s) + "'");
  }

  if (const json::Value *s = (*o)->get("scaling")) {
    std::string scalingPath = fieldPath(path, "scaling");
    Expected<Scaling> scaling = parseScaling(*s, scalingPath);
    if (!scaling)
      return scaling.takeError();
    rule.scaling = *scaling;
    StringRef kind = scalingKindName(scaling->kind);
    if (scaling->kind != ScalingKind::None) {
      if (!rule.format)
        return error(scalingPath, "an unquantized role (format \"f32\") "
                                  "takes no scaling");
      if (isa<ScaledFormatAttr>(rule.format))
        return error(scalingPath,
                     kind + " scaling needs an element format (#qtrain.fp "
                            "or #qtrain.int); the scaled format of this "
                            "role sets its scales by its own levels");
      if (scaling->kind == ScalingKind::AdaptiveBias &&
          !isa<FloatFormatAttr>(rule.format))
        return error(scalingPath,
                     "adaptive_bias scaling needs a minifloat format "
                     "(#qtrain.fp): it moves the exponent bias");
    }
  }
  return rule;
}

Expected<Scaling> RecipeParser::parseScaling(const json::Value &v,
                                             StringRef path) const {
  Expected<const json::Object *> o = getObject(v, path);
  if (!o)
    return o.takeError();
  Expected<const json::Value *> kindValue = require(**o, path, "kind");
  if (!kindValue)
    return kindValue.takeError();
  std::string kindPath = fieldPath(path, "kind");
  Expected<StringRef> kindName = getString(**kindValue, kindPath);
  if (!kindName)
    return kindName.takeError();
  std::optional<ScalingKind> kind = parseScalingKind(*kindName);
  if (!kind)
    return error(kindPath, "unknown scaling kind '" + shorten(*kindName) +
                               "'; kinds are none, current_amax, "
                               "delayed_amax and adaptive_bias");

  // The keys of each kind.
  auto keysOf = [](ScalingKind k) -> SmallVector<StringRef> {
    switch (k) {
    case ScalingKind::None:
      return {"kind"};
    case ScalingKind::CurrentAmax:
      return {"kind", "margin"};
    case ScalingKind::DelayedAmax:
      return {"kind", "history", "margin"};
    case ScalingKind::AdaptiveBias:
      return {"kind", "warmup_steps", "freeze_after"};
    }
    return {};
  };
  SmallVector<StringRef> allowed = keysOf(*kind);
  for (const json::Object::value_type *kv : inSourceOrder(**o, path)) {
    StringRef key = kv->first;
    if (is_contained(allowed, key))
      continue;
    std::string keyPath = fieldPath(path, key);
    for (ScalingKind other :
         {ScalingKind::CurrentAmax, ScalingKind::DelayedAmax,
          ScalingKind::AdaptiveBias})
      if (is_contained(keysOf(other), key))
        return error(keyPath, "a parameter of " + scalingKindName(other) +
                                  " scaling, not of " + *kindName +
                                  " (which takes: " + joinKeys(allowed) + ")");
    return error(keyPath, "unknown key; " + *kindName +
                              " scaling takes: " + joinKeys(allowed));
  }

  Scaling s;
  s.kind = *kind;
  if (const json::Value *m = (*o)->get("margin")) {
    std::string marginPath = fieldPath(path, "margin");
    Expected<int64_t> margin = getInteger(*m, marginPath);
    if (!margin)
      return margin.takeError();
    if (*margin < -64 || *margin > 64)
      return error(marginPath, "must be in [-64, 64], got " + Twine(*margin));
    s.margin = static_cast<int>(*margin);
  }
  if (s.kind == ScalingKind::DelayedAmax) {
    Expected<const json::Value *> h = require(**o, path, "history");
    if (!h)
      return h.takeError();
    std::string historyPath = fieldPath(path, "history");
    Expected<int64_t> history = getInteger(**h, historyPath);
    if (!history)
      return history.takeError();
    if (*history < 1)
      return error(historyPath, "the amax history needs at least 1 entry, "
                                "got " +
                                    Twine(*history));
    s.history = *history;
  }
  if (s.kind == ScalingKind::AdaptiveBias) {
    Expected<const json::Value *> w = require(**o, path, "warmup_steps");
    if (!w)
      return w.takeError();
    std::string warmupPath = fieldPath(path, "warmup_steps");
    Expected<int64_t> warmup = getInteger(**w, warmupPath);
    if (!warmup)
      return warmup.takeError();
    if (*warmup < 1)
      return error(warmupPath, "the warm-up needs at least 1 step to gather "
                               "statistics, got " +
                                   Twine(*warmup));
    s.warmupSteps = *warmup;
    if (const json::Value *f = (*o)->get("freeze_after")) {
      std::string freezePath = fieldPath(path, "freeze_after");
      std::optional<int64_t> steps = f->getAsInteger();
      if (f->getAsString() == std::optional<StringRef>("never"))
        s.freezeAfter = std::nullopt;
      else if (steps && *steps >= 0)
        s.freezeAfter = *steps;
      else
        return error(freezePath, "expected a non-negative integer or "
                                 "\"never\", got " +
                                     describe(*f));
    }
  }
  return s;
}

Expected<AccumulationRule>
RecipeParser::parseAccumulation(const json::Value &v, StringRef path) const {
  const char *expected = "expected \"f32\", \"auto\", a qtrain accumulation "
                         "attribute (#qtrain.accum<...>) or {\"auto\": "
                         "\"#qtrain.accum<...>\"}";
  AccumulationRule rule;
  if (std::optional<StringRef> s = v.getAsString()) {
    if (*s == "f32")
      return rule;
    if (*s == "auto") {
      rule.automatic = true;
      return rule;
    }
    Expected<Attribute> a = parseAttr(*s, path);
    if (!a)
      return a.takeError();
    rule.attr = dyn_cast<AccumulationAttr>(*a);
    if (!rule.attr)
      return error(path, Twine(expected) + ", got '" + shorten(*s) + "'");
    return rule;
  }
  const json::Object *o = v.getAsObject();
  if (!o)
    return error(path, Twine(expected) + ", got " + describe(v));
  if (Error e = checkKeys(*o, path, {"auto"}, "an automatic accumulation"))
    return std::move(e);
  Expected<const json::Value *> base = require(*o, path, "auto");
  if (!base)
    return base.takeError();
  std::string basePath = fieldPath(path, "auto");
  Expected<StringRef> s = getString(**base, basePath);
  if (!s)
    return s.takeError();
  rule.automatic = true;
  if (*s == "f32")
    return rule;
  Expected<Attribute> a = parseAttr(*s, basePath);
  if (!a)
    return a.takeError();
  rule.attr = dyn_cast<AccumulationAttr>(*a);
  if (!rule.attr)
    return error(basePath, "expected a qtrain accumulation attribute "
                           "(#qtrain.accum<...>) or \"f32\", got '" +
                               shorten(*s) + "'");
  if (rule.attr.getSpec().grouping != numerics::Grouping::None)
    return error(basePath,
                 "\"auto\" chooses the grouping; give the accumulator "
                 "without one (e.g. #qtrain.accum<#qtrain.fp<fp12_dga>>), "
                 "got '" +
                     shorten(*s) + "'");
  return rule;
}

Error RecipeParser::parseGemms(const json::Value &v, StringRef path,
                               std::array<GemmRules, kNumGemms> &out) const {
  Expected<const json::Object *> o = getObject(v, path);
  if (!o)
    return o.takeError();
  for (const json::Object::value_type *kv : inSourceOrder(**o, path)) {
    StringRef key = kv->first;
    std::string gemmPath = fieldPath(path, key);
    std::optional<ConvKind> gemm = symbolizeConvKind(key);
    if (!gemm)
      return error(gemmPath, Twine("unknown GEMM; GEMMs are ") + kGemmList);
    Expected<const json::Object *> g = getObject(kv->second, gemmPath);
    if (!g)
      return g.takeError();
    if (Error e =
            checkKeys(**g, gemmPath, {"roles", "accumulation"}, "a GEMM entry"))
      return e;
    if ((*g)->empty())
      return error(gemmPath, "overrides nothing; give roles or accumulation");
    GemmRules &rules = out[static_cast<unsigned>(*gemm)];
    if (const json::Value *r = (*g)->get("roles"))
      if (Error e =
              parseRoles(*r, fieldPath(gemmPath, "roles"), gemm, rules.roles))
        return e;
    if (const json::Value *a = (*g)->get("accumulation")) {
      Expected<AccumulationRule> acc =
          parseAccumulation(*a, fieldPath(gemmPath, "accumulation"));
      if (!acc)
        return acc.takeError();
      rules.accumulation = *acc;
    }
  }
  return Error::success();
}

Error RecipeParser::parseLayers(const json::Value &v, StringRef path,
                                std::vector<LayerRules> &out) const {
  Expected<const json::Array *> a = getArray(v, path);
  if (!a)
    return a.takeError();
  for (auto [i, entry] : enumerate(**a)) {
    std::string entryPath = indexPath(path, i);
    Expected<const json::Object *> o = getObject(entry, entryPath);
    if (!o)
      return o.takeError();
    if (Error e =
            checkKeys(**o, entryPath,
                      {"match", "comment", "roles", "gemms", "accumulation"},
                      "a layer entry"))
      return e;
    LayerRules layer;
    Expected<const json::Value *> m = require(**o, entryPath, "match");
    if (!m)
      return m.takeError();
    std::string matchPath = fieldPath(entryPath, "match");
    Expected<StringRef> match = getString(**m, matchPath);
    if (!match)
      return match.takeError();
    if (match->empty())
      return error(matchPath, "the glob is empty (\"*\" matches every layer)");
    layer.match = std::make_shared<const std::string>(match->str());
    Expected<GlobPattern> glob =
        GlobPattern::create(*layer.match, kMaxGlobSubPatterns);
    if (!glob)
      return error(matchPath, "invalid glob '" + shorten(*match) +
                                  "': " + toString(glob.takeError()));
    layer.glob = std::move(*glob);
    if (const json::Value *c = (*o)->get("comment")) {
      Expected<StringRef> comment =
          getString(*c, fieldPath(entryPath, "comment"));
      if (!comment)
        return comment.takeError();
      layer.comment = comment->str();
    }
    if (!(*o)->get("roles") && !(*o)->get("gemms") &&
        !(*o)->get("accumulation"))
      return error(entryPath,
                   "overrides nothing; give roles, gemms or accumulation");
    if (Error e = parseScope(**o, entryPath, layer.rules))
      return e;
    out.push_back(std::move(layer));
  }
  return Error::success();
}

//===----------------------------------------------------------------------===//
// Dynamic precision
//===----------------------------------------------------------------------===//

Expected<DynamicPrecision> RecipeParser::parseDynamic(const json::Value &v,
                                                      StringRef path) const {
  Expected<const json::Object *> o = getObject(v, path);
  if (!o)
    return o.takeError();
  if (Error e = checkKeys(**o, path,
                          {"period", "low", "high", "ladder", "roles",
                           "hysteresis", "all_elements"},
                          "dynamic_precision"))
    return std::move(e);
  DynamicPrecision d;

  auto positiveInteger = [&](StringRef key, int64_t &out) -> Error {
    std::string keyPath = fieldPath(path, key);
    Expected<int64_t> i = getInteger(*(*o)->get(key), keyPath);
    if (!i)
      return i.takeError();
    if (*i < 1)
      return error(keyPath, "must be at least 1, got " + Twine(*i));
    out = *i;
    return Error::success();
  };
  auto fraction = [&](StringRef key, double &out) -> Error {
    std::string keyPath = fieldPath(path, key);
    Expected<double> x = getNumber(*(*o)->get(key), keyPath);
    if (!x)
      return x.takeError();
    if (*x < 0 || *x > 1)
      return error(keyPath, "a zero-setting error threshold must be in "
                            "[0, 1], got " +
                                describe(*(*o)->get(key)));
    out = *x;
    return Error::success();
  };

  for (StringRef key : {"period", "low", "high", "ladder", "roles"})
    if (Expected<const json::Value *> r = require(**o, path, key); !r)
      return r.takeError();
  if (Error e = positiveInteger("period", d.period))
    return std::move(e);
  if (Error e = fraction("low", d.low))
    return std::move(e);
  if (Error e = fraction("high", d.high))
    return std::move(e);
  if (!(d.low < d.high))
    return error(fieldPath(path, "high"),
                 "must be greater than low (" + describe(*(*o)->get("low")) +
                     "), got " + describe(*(*o)->get("high")));

  std::string ladderPath = fieldPath(path, "ladder");
  Expected<const json::Array *> ladder =
      getArray(*(*o)->get("ladder"), ladderPath);
  if (!ladder)
    return ladder.takeError();
  if ((*ladder)->size() < 2)
    return error(ladderPath, "needs at least two formats, highest precision "
                             "first");
  for (auto [i, rung] : enumerate(**ladder)) {
    std::string rungPath = indexPath(ladderPath, i);
    Expected<FormatAttrInterface> f =
        parseFormat(rung, rungPath, /*allowF32=*/false);
    if (!f)
      return f.takeError();
    if (std::optional<unsigned> j = d.rung(*f))
      return error(rungPath, "repeats " + indexPath(ladderPath, *j));
    d.ladder.push_back(*f);
  }

  std::string rolesPath = fieldPath(path, "roles");
  Expected<const json::Array *> roles =
      getArray(*(*o)->get("roles"), rolesPath);
  if (!roles)
    return roles.takeError();
  if ((*roles)->empty())
    return error(rolesPath, "lists no role");
  for (auto [i, name] : enumerate(**roles)) {
    std::string rolePath = indexPath(rolesPath, i);
    Expected<StringRef> s = getString(name, rolePath);
    if (!s)
      return s.takeError();
    std::optional<Role> role = parseRole(*s);
    if (!role)
      return error(rolePath, "unknown role \"" + shorten(*s) +
                                 "\"; roles are W, A, E and G");
    if (d.controls(*role))
      return error(rolePath, "repeats role " + *s);
    d.roles.push_back(*role);
  }

  if ((*o)->get("hysteresis"))
    if (Error e = positiveInteger("hysteresis", d.hysteresis))
      return std::move(e);
  if (const json::Value *a = (*o)->get("all_elements")) {
    Expected<bool> b = getBoolean(*a, fieldPath(path, "all_elements"));
    if (!b)
      return b.takeError();
    d.allElements = *b;
  }
  return d;
}

// Dynamic precision sets one format per (layer, role): a controlled role's
// default format is its starting rung, and no GEMM may override it.
Error RecipeParser::checkDynamic(const Recipe &r) const {
  const DynamicPrecision &d = *r.dynamicPrecision;
  for (auto [i, role] : enumerate(d.roles)) {
    StringRef name = roleName(role);
    const std::optional<RoleRule> &rule = r.defaults.role(role);
    if (!rule)
      return error(indexPath("dynamic_precision.roles", i),
                   name + " has no rule in \"roles\"; its format there is "
                          "the starting rung and must be on the ladder");
    if (!d.rung(rule->format))
      return error(fieldPath(fieldPath("roles", name), "format"),
                   name + " is under dynamic_precision: its format is the "
                          "starting rung and must be on the ladder");
    auto checkGemms = [&](const RuleSet &rules, StringRef scope) -> Error {
      for (ConvKind g : kAllGemms)
        if (rules.gemm(g).roles[static_cast<unsigned>(role)])
          return error(fieldPath(fieldPath(fieldPath(fieldPath(scope, "gemms"),
                                                     stringifyConvKind(g)),
                                           "roles"),
                                 name),
                       name +
                           " is under dynamic_precision, which sets one format "
                           "per layer and role: it takes no GEMM overrides");
      return Error::success();
    };
    if (Error e = checkGemms(r.defaults, ""))
      return e;
    for (auto [j, layer] : enumerate(r.layers))
      if (Error e = checkGemms(layer.rules, indexPath("layers", j)))
        return e;
  }
  return Error::success();
}

//===----------------------------------------------------------------------===//
// The recipe
//===----------------------------------------------------------------------===//

Expected<Recipe> RecipeParser::parse(const json::Value &root) {
  Expected<const json::Object *> o = getObject(root, "");
  if (!o)
    return o.takeError();
  if (Error e = checkKeys(**o, "",
                          {"recipe", "comment", "roles", "gemms",
                           "accumulation", "layers", "dynamic_precision"},
                          "a recipe"))
    return std::move(e);
  Recipe r;
  r.fileName = fileName.str();

  Expected<const json::Value *> name = require(**o, "", "recipe");
  if (!name)
    return name.takeError();
  Expected<StringRef> nameString = getString(**name, "recipe");
  if (!nameString)
    return nameString.takeError();
  if (nameString->trim().empty())
    return error("recipe", "the name is empty");
  r.name = nameString->str();

  Expected<const json::Value *> comment = require(**o, "", "comment");
  if (!comment)
    return comment.takeError();
  Expected<StringRef> commentString = getString(**comment, "comment");
  if (!commentString)
    return commentString.takeError();
  if (commentString->trim().empty())
    return error("comment", "is empty; say which technique and paper the "
                            "recipe follows");
  r.comment = commentString->str();

  if (Error e = parseScope(**o, "", r.defaults))
    return std::move(e);
  if (const json::Value *layers = (*o)->get("layers"))
    if (Error e = parseLayers(*layers, "layers", r.layers))
      return std::move(e);
  if (const json::Value *dynamic = (*o)->get("dynamic_precision")) {
    Expected<DynamicPrecision> d = parseDynamic(*dynamic, "dynamic_precision");
    if (!d)
      return d.takeError();
    r.dynamicPrecision = std::move(*d);
    if (Error e = checkDynamic(r))
      return std::move(e);
  }
  return r;
}

//===----------------------------------------------------------------------===//
// Entry point
//===----------------------------------------------------------------------===//

namespace {
/// "file:line:col: invalid JSON: message" from llvm::json's ParseError,
/// whose text is "[line:col, byte=offset]: message".
Error syntaxError(Error e, StringRef fileName) {
  std::string logged = toString(std::move(e));
  StringRef rest = logged;
  unsigned line = 0, column = 0;
  StringRef lineText, columnText;
  if (rest.consume_front("[")) {
    std::tie(lineText, rest) = rest.split(':');
    std::tie(columnText, rest) = rest.split(',');
    size_t colon = rest.find("]: ");
    if (!lineText.getAsInteger(10, line) &&
        !columnText.getAsInteger(10, column) && colon != StringRef::npos)
      return createStringError(inconvertibleErrorCode(),
                               "%s:%u:%u: invalid JSON: %s",
                               fileName.str().c_str(), line, column,
                               rest.drop_front(colon + 3).str().c_str());
  }
  return createStringError(inconvertibleErrorCode(), "%s: invalid JSON: %s",
                           fileName.str().c_str(), logged.c_str());
}
} // namespace

Expected<Recipe> parseRecipe(StringRef json, StringRef fileName,
                             MLIRContext &ctx) {
  if (std::optional<size_t> at =
          detail::findExcessiveNesting(json, kMaxNesting)) {
    auto [line, column] = detail::lineColumn(json, *at);
    return createStringError(inconvertibleErrorCode(),
                             "%s:%u:%u: invalid JSON: nested deeper than %u "
                             "levels",
                             fileName.str().c_str(), line, column, kMaxNesting);
  }
  Expected<json::Value> root = json::parse(json);
  if (!root)
    return syntaxError(root.takeError(), fileName);

  detail::SourceIndex index(json);
  if (const auto &dup = index.duplicate()) {
    auto [line, column] = detail::lineColumn(json, dup->offset);
    unsigned firstLine = detail::lineColumn(json, dup->firstOffset).first;
    return createStringError(inconvertibleErrorCode(),
                             "%s:%u:%u: %s: repeated key (first at line %u)",
                             fileName.str().c_str(), line, column,
                             dup->path.c_str(), firstLine);
  }

  ctx.getOrLoadDialect<QTrainDialect>();
  RecipeParser parser(json, fileName, ctx, index);
  return parser.parse(*root);
}

} // namespace qtrain::recipes
