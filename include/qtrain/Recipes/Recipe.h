//===- Recipe.h - Quantization recipes --------------------------*- C++ -*-===//
//
// A recipe says, per tensor role and optionally per layer and per GEMM of a
// training step, which number format, rounding, scaling and accumulation to
// use. Recipes are JSON files (docs/Recipes.md is the schema); the bundled
// ones (recipes/*.json) are compiled into this library, so a name works from
// any working directory, from the installed library and from a plugin.
//
// This header is data only: the passes that quantize a step
// (qtrain-assign-precision, -assign-accumulation, -insert-scaling,
// -dynamic-precision) read these structs.
//
//   mlir::MLIRContext ctx;
//   llvm::Expected<Recipe> r = loadRecipe("fp8-hybrid", ctx);
//   if (!r) return r.takeError();            // file:line:col: key.path: why
//   const RoleRule &w = r->rule("fc1", Role::Weight, ConvKind::Forward);
//   if (w.isQuantized()) ... w.format, w.getRounding(), w.scaling ...
//
//===----------------------------------------------------------------------===//

#ifndef QTRAIN_RECIPES_RECIPE_H
#define QTRAIN_RECIPES_RECIPE_H

#include "qtrain/Dialect/QTrain/IR/QTrainAttrs.h"

#include "mlir/IR/MLIRContext.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/GlobPattern.h"

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace qtrain::recipes {

//===----------------------------------------------------------------------===//
// Roles and GEMMs
//===----------------------------------------------------------------------===//

/// The tensor roles of a training step.
enum class Role : uint8_t {
  Weight,     ///< "W": the parameters.
  Activation, ///< "A": a layer's forward input (an operand of a contraction).
  Error,      ///< "E": the gradient of an activation (dL/dA).
  Gradient,   ///< "G": a weight gradient (dL/dW).
};
inline constexpr unsigned kNumRoles = 4;
inline constexpr Role kAllRoles[kNumRoles] = {Role::Weight, Role::Activation,
                                              Role::Error, Role::Gradient};

/// "W", "A", "E" or "G".
llvm::StringRef roleName(Role role);
/// The role named "W", "A", "E" or "G"; nullopt for anything else.
std::optional<Role> parseRole(llvm::StringRef name);

/// The three GEMMs of a training step are the dialect's ConvKind, named as
/// in the dialect: "forward" (A x W), "backward_data" (E x W^T, the
/// "local gradient" GEMM) and "backward_weight" (A^T x E -> G).
inline constexpr unsigned kNumGemms = 3;
inline constexpr ConvKind kAllGemms[kNumGemms] = {
    ConvKind::Forward, ConvKind::BackwardData, ConvKind::BackwardWeight};

/// Whether `role` is an operand of `gemm`: forward A and W, backward_data E
/// and W, backward_weight A and E. G is the result of backward_weight and
/// no GEMM's operand.
bool isGemmOperand(ConvKind gemm, Role role);

//===----------------------------------------------------------------------===//
// Rules
//===----------------------------------------------------------------------===//

/// Per-tensor scaling that qtrain-insert-scaling adds around a role's
/// element format. Block scales (MX, FlexBlock, MLS, BFP) are part of a
/// scaled format attribute, never of a Scaling.
enum class ScalingKind : uint8_t {
  None,         ///< "none": the format as it is.
  CurrentAmax,  ///< "current_amax": a scale from this step's amax.
  DelayedAmax,  ///< "delayed_amax": from the max over an amax history.
  AdaptiveBias, ///< "adaptive_bias": a per-role exponent bias from medians.
};
/// "none", "current_amax", "delayed_amax" or "adaptive_bias".
llvm::StringRef scalingKindName(ScalingKind kind);
std::optional<ScalingKind> parseScalingKind(llvm::StringRef name);

struct Scaling {
  ScalingKind kind = ScalingKind::None;
  /// CurrentAmax, DelayedAmax: the scale maps amax to the element maximum
  /// times 2^-margin (the amax_to_max rule of a scale level), in [-64, 64].
  int margin = 0;
  /// DelayedAmax: the amax history length (>= 1).
  int64_t history = 0;
  /// AdaptiveBias: steps of f32 while the role's median statistics are
  /// gathered, before the first bias is chosen (>= 1).
  int64_t warmupSteps = 0;
  /// AdaptiveBias: further steps after the warm-up during which the bias
  /// keeps following the statistics before it freezes; 0 freezes it at the
  /// end of the warm-up (the paper's schedule); nullopt never freezes it.
  std::optional<int64_t> freezeAfter = 0;

  bool operator==(const Scaling &o) const {
    return kind == o.kind && margin == o.margin && history == o.history &&
           warmupSteps == o.warmupSteps && freezeAfter == o.freezeAfter;
  }
  bool operator!=(const Scaling &o) const { return !(*this == o); }
};

/// How one role is quantized.
struct RoleRule {
  /// The number format; null leaves the role unquantized (f32).
  FormatAttrInterface format;
  /// The element rounding; null means the format's default
  /// (FormatAttrInterface::getDefaultRounding: FlexBlock presets truncate,
  /// everything else rounds to nearest even). Always null when `format` is.
  RoundingAttr rounding;
  /// Always ScalingKind::None when `format` is null or scaled.
  Scaling scaling;

  bool isQuantized() const { return static_cast<bool>(format); }
  /// The rounding an op quantizing this role uses: `rounding`, else the
  /// format's default, else nearest-even.
  numerics::Rounding getRounding() const;
};

/// How a contraction accumulates.
struct AccumulationRule {
  /// "auto": qtrain-assign-accumulation chooses the grouping from the
  /// reduction length and the accumulator's mantissa width.
  bool automatic = false;
  /// Fixed: the accumulation; null means f32 with no grouping. Automatic:
  /// the accumulator (product, outer and rounding too) whose grouping the
  /// pass chooses, always with grouping `none`; null means f32.
  AccumulationAttr attr;
};

/// Overrides for the operands and the accumulation of one GEMM kind.
struct GemmRules {
  /// Indexed by Role; only the GEMM's operands can be set.
  std::array<std::optional<RoleRule>, kNumRoles> roles;
  std::optional<AccumulationRule> accumulation;
};

/// The rules of one scope: the recipe's defaults or one "layers" entry.
/// Unset members fall back as Recipe::rule and Recipe::accumulation say.
struct RuleSet {
  /// Indexed by Role.
  std::array<std::optional<RoleRule>, kNumRoles> roles;
  std::optional<AccumulationRule> accumulation;
  /// Indexed by ConvKind.
  std::array<GemmRules, kNumGemms> gemms;

  const std::optional<RoleRule> &role(Role r) const {
    return roles[static_cast<unsigned>(r)];
  }
  const GemmRules &gemm(ConvKind g) const {
    return gemms[static_cast<unsigned>(g)];
  }
};

/// One entry of "layers".
class LayerRules {
public:
  /// The glob over layer names (llvm::GlobPattern syntax), as written.
  llvm::StringRef getMatch() const { return match ? *match : ""; }
  /// Whether the glob matches `layer` (never for an entry not made by the
  /// parser).
  bool matches(llvm::StringRef layer) const {
    return match && glob.match(layer);
  }

  /// The entry's optional "comment".
  std::string comment;
  RuleSet rules;

private:
  friend class RecipeParser;
  // GlobPattern refers to its pattern text: the text lives on the heap,
  // shared by copies, so copying or moving an entry keeps the glob valid.
  std::shared_ptr<const std::string> match;
  llvm::GlobPattern glob;
};

/// FlexBlock's dynamic precision control (Noh et al.): per (layer, role),
/// the zero-setting error (ZSE) of the role's tensors is averaged over
/// `period` steps; below `low` the role steps one rung down the ladder
/// (less precision), above `high` one rung up. qtrain-dynamic-precision
/// implements it; the current rungs are state threaded between steps.
struct DynamicPrecision {
  /// Steps per averaging period (>= 1).
  int64_t period = 0;
  /// Thresholds on the period's mean ZSE: 0 <= low < high <= 1.
  double low = 0, high = 0;
  /// The modes, highest precision first (FlexBlock: fb24, fb16, fb12, i.e.
  /// 16 -> 8 -> 4 mantissa bits); at least two, all distinct.
  llvm::SmallVector<FormatAttrInterface, 4> ladder;
  /// The roles it controls (non-empty, no repeats).
  llvm::SmallVector<Role, 4> roles;
  /// Consecutive periods the mean ZSE must stay below `low` (or above
  /// `high`) before the rung changes (>= 1; 1 changes at the first).
  int64_t hysteresis = 1;
  /// ZSE over all elements instead of the non-zero ones (the
  /// `all_elements` flag of qtrain.zero_setting_error).
  bool allElements = false;

  bool controls(Role role) const;
  /// The index of `format` in the ladder, or nullopt (also for null).
  std::optional<unsigned> rung(FormatAttrInterface format) const;
};

//===----------------------------------------------------------------------===//
// Recipe
//===----------------------------------------------------------------------===//

struct Recipe {
  /// "recipe": the name (for a bundled recipe, its file's stem).
  std::string name;
  /// "comment": the technique and the paper it follows.
  std::string comment;
  /// The file it was parsed from ("recipes/<name>.json" when bundled).
  std::string fileName;

  /// The top-level "roles", "accumulation" and "gemms".
  RuleSet defaults;
  /// "layers", in order.
  std::vector<LayerRules> layers;
  std::optional<DynamicPrecision> dynamicPrecision;

  /// The first "layers" entry whose glob matches `layer` (the name of an
  /// op's location, e.g. "fc1"), or null. Only that entry is consulted.
  const LayerRules *matchLayer(llvm::StringRef layer) const;

  /// The rule of `role` in `layer` outside any GEMM (e.g. G, or a tensor
  /// stored to memory): the matching layer entry's rule for the role, else
  /// the default rule, else unquantized. A layer entry's rule replaces the
  /// default rule entirely (format, rounding and scaling).
  const RoleRule &rule(llvm::StringRef layer, Role role) const;

  /// The rule of `role` as an operand of `gemm` in `layer`, the first that
  /// is set of: the layer entry's gemms.<gemm>.roles.<role>, the layer
  /// entry's roles.<role>, the default gemms.<gemm>.roles.<role>, the
  /// default roles.<role>; else unquantized. (A role that is not an operand
  /// of `gemm` has no GEMM rules, so this is rule(layer, role).)
  const RoleRule &rule(llvm::StringRef layer, Role role, ConvKind gemm) const;

  /// The accumulation of contractions in `layer`: the layer entry's, else
  /// the default, else f32.
  const AccumulationRule &accumulation(llvm::StringRef layer) const;
  /// The accumulation of `gemm` in `layer`, the first that is set of: the
  /// layer entry's gemms.<gemm>.accumulation, the layer entry's
  /// accumulation, the default gemms.<gemm>.accumulation, the default
  /// accumulation; else f32.
  const AccumulationRule &accumulation(llvm::StringRef layer,
                                       ConvKind gemm) const;

  /// Whether dynamic precision controls (layer, role): the role is listed
  /// and its rule's format (the starting rung) is on the ladder. A layer
  /// entry can exclude a layer by giving the role a format off the ladder.
  bool isDynamic(llvm::StringRef layer, Role role) const;
};

//===----------------------------------------------------------------------===//
// Parsing and loading
//===----------------------------------------------------------------------===//

/// Parses and checks a recipe. `fileName` only names the source in error
/// messages. Loads the qtrain dialect into `ctx` (call this before running
/// passes multithreaded, e.g. from a pass's initialize()); the attributes of
/// the result live in `ctx`. Every error reads
///   <fileName>:<line>:<column>: <key.path>: <what is wrong>
/// e.g. "recipes/x.json:7:9: roles.W.format: expected a qtrain format
/// attribute (#qtrain.fp, #qtrain.int or #qtrain.scaled) or \"f32\", got
/// '#qtrain.rounding<nearest_even>'". Never asserts or crashes on any input.
llvm::Expected<Recipe> parseRecipe(llvm::StringRef json,
                                   llvm::StringRef fileName,
                                   mlir::MLIRContext &ctx);

/// A bundled recipe's name (see bundledRecipeNames()) or a path to a JSON
/// file. A string that names a bundled recipe is that recipe; anything else
/// is read as a file when it exists, contains a '/' or ends in ".json", and
/// is otherwise an error listing the bundled names.
llvm::Expected<Recipe> loadRecipe(llvm::StringRef nameOrPath,
                                  mlir::MLIRContext &ctx);

/// The bundled recipes' names, sorted.
std::vector<llvm::StringRef> bundledRecipeNames();
/// The JSON text of a bundled recipe, or nullopt.
std::optional<llvm::StringRef> bundledRecipeText(llvm::StringRef name);

} // namespace qtrain::recipes

#endif // QTRAIN_RECIPES_RECIPE_H
