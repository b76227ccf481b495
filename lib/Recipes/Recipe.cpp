//===- Recipe.cpp - Rule lookup, bundled recipes, loading
//------------------===//

#include "qtrain/Recipes/Recipe.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"

#include <algorithm>

using namespace llvm;

namespace qtrain::recipes {

//===----------------------------------------------------------------------===//
// Names
//===----------------------------------------------------------------------===//

StringRef roleName(Role role) {
  switch (role) {
  case Role::Weight:
    return "W";
  case Role::Activation:
    return "A";
  case Role::Error:
    return "E";
  case Role::Gradient:
    return "G";
  }
  return "?";
}

std::optional<Role> parseRole(StringRef name) {
  for (Role r : kAllRoles)
    if (roleName(r) == name)
      return r;
  return std::nullopt;
}

bool isGemmOperand(ConvKind gemm, Role role) {
  switch (gemm) {
  case ConvKind::Forward:
    return role == Role::Activation || role == Role::Weight;
  case ConvKind::BackwardData:
    return role == Role::Error || role == Role::Weight;
  case ConvKind::BackwardWeight:
    return role == Role::Activation || role == Role::Error;
  }
  return false;
}

StringRef scalingKindName(ScalingKind kind) {
  switch (kind) {
  case ScalingKind::None:
    return "none";
  case ScalingKind::CurrentAmax:
    return "current_amax";
  case ScalingKind::DelayedAmax:
    return "delayed_amax";
  case ScalingKind::AdaptiveBias:
    return "adaptive_bias";
  }
  return "?";
}

std::optional<ScalingKind> parseScalingKind(StringRef name) {
  for (ScalingKind k : {ScalingKind::None, ScalingKind::CurrentAmax,
                        ScalingKind::DelayedAmax, ScalingKind::AdaptiveBias})
    if (scalingKindName(k) == name)
      return k;
  return std::nullopt;
}

//===----------------------------------------------------------------------===//
// Rules
//===----------------------------------------------------------------------===//

numerics::Rounding RoleRule::getRounding() const {
  if (rounding)
    return rounding.getRounding();
  if (format)
    return format.getDefaultRounding();
  return numerics::Rounding();
}

bool DynamicPrecision::controls(Role role) const {
  return is_contained(roles, role);
}

std::optional<unsigned> DynamicPrecision::rung(FormatAttrInterface f) const {
  if (!f)
    return std::nullopt;
  for (auto [i, r] : enumerate(ladder))
    if (r == f)
      return static_cast<unsigned>(i);
  return std::nullopt;
}

namespace {
const RoleRule &unquantized() {
  static const RoleRule rule;
  return rule;
}
const AccumulationRule &f32Accumulation() {
  static const AccumulationRule rule;
  return rule;
}
unsigned idx(Role r) { return static_cast<unsigned>(r); }
unsigned idx(ConvKind g) { return static_cast<unsigned>(g); }
} // namespace

const LayerRules *Recipe::matchLayer(StringRef layer) const {
  for (const LayerRules &l : layers)
    if (l.matches(layer))
      return &l;
  return nullptr;
}

const RoleRule &Recipe::rule(StringRef layer, Role role) const {
  if (const LayerRules *l = matchLayer(layer))
    if (const std::optional<RoleRule> &r = l->rules.roles[idx(role)])
      return *r;
  if (const std::optional<RoleRule> &r = defaults.roles[idx(role)])
    return *r;
  return unquantized();
}

const RoleRule &Recipe::rule(StringRef layer, Role role, ConvKind gemm) const {
  if (const LayerRules *l = matchLayer(layer)) {
    if (const std::optional<RoleRule> &r =
            l->rules.gemms[idx(gemm)].roles[idx(role)])
      return *r;
    if (const std::optional<RoleRule> &r = l->rules.roles[idx(role)])
      return *r;
  }
  if (const std::optional<RoleRule> &r =
          defaults.gemms[idx(gemm)].roles[idx(role)])
    return *r;
  if (const std::optional<RoleRule> &r = defaults.roles[idx(role)])
    return *r;
  return unquantized();
}

const AccumulationRule &Recipe::accumulation(StringRef layer) const {
  if (const LayerRules *l = matchLayer(layer))
    if (l->rules.accumulation)
      return *l->rules.accumulation;
  if (defaults.accumulation)
    return *defaults.accumulation;
  return f32Accumulation();
}

const AccumulationRule &Recipe::accumulation(StringRef layer,
                                             ConvKind gemm) const {
  if (const LayerRules *l = matchLayer(layer)) {
    if (const std::optional<AccumulationRule> &a =
            l->rules.gemms[idx(gemm)].accumulation)
      return *a;
    if (l->rules.accumulation)
      return *l->rules.accumulation;
  }
  if (const std::optional<AccumulationRule> &a =
          defaults.gemms[idx(gemm)].accumulation)
    return *a;
  if (defaults.accumulation)
    return *defaults.accumulation;
  return f32Accumulation();
}

bool Recipe::isDynamic(StringRef layer, Role role) const {
  return dynamicPrecision && dynamicPrecision->controls(role) &&
         dynamicPrecision->rung(rule(layer, role).format).has_value();
}

//===----------------------------------------------------------------------===//
// Bundled recipes
//===----------------------------------------------------------------------===//

namespace {
struct BundledRecipe {
  const char *name;
  const unsigned char *bytes;
  size_t size;
};

// Generated from recipes/*.json by EmbedRecipes.cmake: one byte array per
// file (kRecipe0, ...) and the table kBundledRecipes, sorted by name.
#include "BundledRecipes.inc"

StringRef textOf(const BundledRecipe &r) {
  return StringRef(reinterpret_cast<const char *>(r.bytes), r.size);
}
} // namespace

std::vector<StringRef> bundledRecipeNames() {
  std::vector<StringRef> names;
  for (const BundledRecipe &r : kBundledRecipes)
    names.push_back(r.name);
  llvm::sort(names);
  return names;
}

std::optional<StringRef> bundledRecipeText(StringRef name) {
  for (const BundledRecipe &r : kBundledRecipes)
    if (name == r.name)
      return textOf(r);
  return std::nullopt;
}

//===----------------------------------------------------------------------===//
// Loading
//===----------------------------------------------------------------------===//

Expected<Recipe> loadRecipe(StringRef nameOrPath, mlir::MLIRContext &ctx) {
  if (std::optional<StringRef> text = bundledRecipeText(nameOrPath))
    return parseRecipe(*text, ("recipes/" + nameOrPath + ".json").str(), ctx);

  bool isPath = nameOrPath.contains('/') || nameOrPath.ends_with(".json") ||
                sys::fs::exists(nameOrPath);
  if (!isPath) {
    std::vector<StringRef> names = bundledRecipeNames();
    return createStringError(
        inconvertibleErrorCode(),
        "unknown recipe '%s'; the bundled recipes are %s (or give the path "
        "of a .json file)",
        nameOrPath.str().c_str(),
        join(names.begin(), names.end(), ", ").c_str());
  }
  if (sys::fs::is_directory(nameOrPath))
    return createStringError(inconvertibleErrorCode(),
                             "cannot read recipe file '%s': it is a directory",
                             nameOrPath.str().c_str());
  ErrorOr<std::unique_ptr<MemoryBuffer>> buffer =
      MemoryBuffer::getFile(nameOrPath, /*IsText=*/true);
  if (!buffer)
    return createStringError(
        inconvertibleErrorCode(), "cannot read recipe file '%s': %s",
        nameOrPath.str().c_str(), buffer.getError().message().c_str());
  return parseRecipe((*buffer)->getBuffer(), nameOrPath, ctx);
}

} // namespace qtrain::recipes
