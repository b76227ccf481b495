//===- RecipeTest.cpp - Recipes: bundled files, lookup, errors ------------===//

#include "qtrain/Recipes/Recipe.h"

#include "qtrain/Dialect/QTrain/IR/QTrainDialect.h"

#include "mlir/IR/MLIRContext.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include "gtest/gtest.h"

#include <random>
#include <string>

using namespace qtrain;
using namespace qtrain::recipes;
using llvm::StringRef;
using llvm::Twine;

namespace {

class RecipeTest : public ::testing::Test {
protected:
  /// The error parseRecipe gives for `json` (read as "t.json").
  std::string errorOf(StringRef json) {
    llvm::Expected<Recipe> r = parseRecipe(json, "t.json", ctx);
    if (r)
      return "<parsed without error>";
    return llvm::toString(r.takeError());
  }

  Recipe parse(StringRef json) {
    llvm::Expected<Recipe> r = parseRecipe(json, "t.json", ctx);
    if (!r) {
      ADD_FAILURE() << llvm::toString(r.takeError());
      return Recipe();
    }
    return std::move(*r);
  }

  FormatAttrInterface format(StringRef spelling) {
    Recipe r = parse((R"({"recipe": "f", "comment": "c", "roles": {"W": )"
                      R"({"format": ")" +
                      spelling + R"("}}})")
                         .str());
    return r.defaults.role(Role::Weight)->format;
  }

  mlir::MLIRContext ctx;
};

//===----------------------------------------------------------------------===//
// Names
//===----------------------------------------------------------------------===//

TEST(RecipeNames, RolesRoundTrip) {
  for (Role r : kAllRoles)
    EXPECT_EQ(parseRole(roleName(r)), r);
  EXPECT_EQ(roleName(Role::Weight), "W");
  EXPECT_EQ(roleName(Role::Activation), "A");
  EXPECT_EQ(roleName(Role::Error), "E");
  EXPECT_EQ(roleName(Role::Gradient), "G");
  EXPECT_FALSE(parseRole("w"));
  EXPECT_FALSE(parseRole(""));
}

TEST(RecipeNames, GemmOperands) {
  EXPECT_TRUE(isGemmOperand(ConvKind::Forward, Role::Activation));
  EXPECT_TRUE(isGemmOperand(ConvKind::Forward, Role::Weight));
  EXPECT_FALSE(isGemmOperand(ConvKind::Forward, Role::Error));
  EXPECT_TRUE(isGemmOperand(ConvKind::BackwardData, Role::Error));
  EXPECT_TRUE(isGemmOperand(ConvKind::BackwardData, Role::Weight));
  EXPECT_FALSE(isGemmOperand(ConvKind::BackwardData, Role::Activation));
  EXPECT_TRUE(isGemmOperand(ConvKind::BackwardWeight, Role::Activation));
  EXPECT_TRUE(isGemmOperand(ConvKind::BackwardWeight, Role::Error));
  EXPECT_FALSE(isGemmOperand(ConvKind::BackwardWeight, Role::Weight));
  for (ConvKind g : kAllGemms)
    EXPECT_FALSE(isGemmOperand(g, Role::Gradient));
}

//===----------------------------------------------------------------------===//
// Bundled recipes
//===----------------------------------------------------------------------===//

TEST_F(RecipeTest, BundledNamesAreTheIssuesList) {
  std::vector<StringRef> expected = {
      "abfp8",      "flexblock", "flexblock-dynamic", "fp12-edga", "fp32",
      "fp8-hybrid", "mls-121",   "mls-124",           "mxfp4",     "mxfp8",
      "sr3"};
  EXPECT_EQ(bundledRecipeNames(), expected);
}

TEST_F(RecipeTest, EveryBundledRecipeLoadsByName) {
  for (StringRef name : bundledRecipeNames()) {
    SCOPED_TRACE(name.str());
    llvm::Expected<Recipe> r = loadRecipe(name, ctx);
    ASSERT_TRUE(static_cast<bool>(r)) << llvm::toString(r.takeError());
    EXPECT_EQ(r->name, name) << "\"recipe\" must equal the file's name";
    EXPECT_EQ(r->fileName, ("recipes/" + name + ".json").str());
    EXPECT_FALSE(StringRef(r->comment).trim().empty());
  }
}

TEST_F(RecipeTest, BundledRecipesLoadFromAnyDirectory) {
  llvm::SmallString<256> cwd;
  ASSERT_FALSE(llvm::sys::fs::current_path(cwd));
  llvm::SmallString<256> tmp;
  ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("qtrain-recipes", tmp));
  ASSERT_FALSE(llvm::sys::fs::set_current_path(tmp));
  llvm::Expected<Recipe> r = loadRecipe("fp8-hybrid", ctx);
  EXPECT_FALSE(llvm::sys::fs::set_current_path(cwd));
  llvm::sys::fs::remove(tmp);
  ASSERT_TRUE(static_cast<bool>(r)) << llvm::toString(r.takeError());
  EXPECT_EQ(r->name, "fp8-hybrid");
}

TEST_F(RecipeTest, Fp32QuantizesNothing) {
  llvm::Expected<Recipe> r = loadRecipe("fp32", ctx);
  ASSERT_TRUE(static_cast<bool>(r)) << llvm::toString(r.takeError());
  for (Role role : kAllRoles) {
    EXPECT_FALSE(r->rule("fc1", role).isQuantized());
    for (ConvKind g : kAllGemms)
      EXPECT_FALSE(r->rule("fc1", role, g).isQuantized());
  }
  EXPECT_FALSE(r->accumulation("fc1").automatic);
  EXPECT_FALSE(r->accumulation("fc1").attr);
}

TEST_F(RecipeTest, Fp8HybridIsE4M3ForwardE5M2BackwardDelayed) {
  llvm::Expected<Recipe> r = loadRecipe("fp8-hybrid", ctx);
  ASSERT_TRUE(static_cast<bool>(r)) << llvm::toString(r.takeError());
  FormatAttrInterface e4m3 = format("#qtrain.fp<e4m3fn, overflow = saturate>");
  FormatAttrInterface e5m2 = format("#qtrain.fp<e5m2, overflow = saturate>");
  EXPECT_EQ(r->rule("fc1", Role::Weight).format, e4m3);
  EXPECT_EQ(r->rule("fc1", Role::Activation).format, e4m3);
  EXPECT_EQ(r->rule("fc1", Role::Error).format, e5m2);
  EXPECT_EQ(r->rule("fc1", Role::Gradient).format, e5m2);
  for (Role role : kAllRoles) {
    const Scaling &s = r->rule("x", role).scaling;
    EXPECT_EQ(s.kind, ScalingKind::DelayedAmax);
    EXPECT_EQ(s.history, 16);
    EXPECT_EQ(s.margin, 0);
  }
}

TEST_F(RecipeTest, Abfp8AdaptsEveryRole) {
  llvm::Expected<Recipe> r = loadRecipe("abfp8", ctx);
  ASSERT_TRUE(static_cast<bool>(r)) << llvm::toString(r.takeError());
  for (Role role : kAllRoles) {
    const RoleRule &rule = r->rule("conv1", role);
    ASSERT_TRUE(rule.isQuantized());
    EXPECT_TRUE(llvm::isa<FloatFormatAttr>(rule.format));
    EXPECT_EQ(rule.scaling.kind, ScalingKind::AdaptiveBias);
    EXPECT_GE(rule.scaling.warmupSteps, 1);
    EXPECT_EQ(rule.scaling.freezeAfter, std::optional<int64_t>(0));
  }
}

TEST_F(RecipeTest, FlexBlockIsFB12LG16) {
  llvm::Expected<Recipe> r = loadRecipe("flexblock", ctx);
  ASSERT_TRUE(static_cast<bool>(r)) << llvm::toString(r.takeError());
  FormatAttrInterface fb12 = format("#qtrain.scaled<fb12>");
  FormatAttrInterface fb16 = format("#qtrain.scaled<fb16>");
  // Forward and weight update in FB12, the local-gradient GEMM in FB16.
  EXPECT_EQ(r->rule("c", Role::Weight, ConvKind::Forward).format, fb12);
  EXPECT_EQ(r->rule("c", Role::Activation, ConvKind::Forward).format, fb12);
  EXPECT_EQ(r->rule("c", Role::Weight, ConvKind::BackwardData).format, fb16);
  EXPECT_EQ(r->rule("c", Role::Error, ConvKind::BackwardData).format, fb16);
  EXPECT_EQ(r->rule("c", Role::Activation, ConvKind::BackwardWeight).format,
            fb12);
  EXPECT_EQ(r->rule("c", Role::Error, ConvKind::BackwardWeight).format, fb12);
  // The presets truncate, and the rule leaves the rounding to the format.
  const RoleRule &w = r->rule("c", Role::Weight, ConvKind::Forward);
  EXPECT_FALSE(w.rounding);
  EXPECT_EQ(w.getRounding().mode, numerics::RoundingMode::TowardZero);
  EXPECT_FALSE(r->dynamicPrecision);
}

TEST_F(RecipeTest, FlexBlockDynamicLadder) {
  llvm::Expected<Recipe> r = loadRecipe("flexblock-dynamic", ctx);
  ASSERT_TRUE(static_cast<bool>(r)) << llvm::toString(r.takeError());
  ASSERT_TRUE(r->dynamicPrecision);
  const DynamicPrecision &d = *r->dynamicPrecision;
  ASSERT_EQ(d.ladder.size(), 3u);
  EXPECT_EQ(d.ladder[0], format("#qtrain.scaled<fb24>"));
  EXPECT_EQ(d.ladder[2], format("#qtrain.scaled<fb12>"));
  EXPECT_EQ(d.rung(r->rule("conv2", Role::Error).format),
            std::optional<unsigned>(1));
  EXPECT_LT(d.low, d.high);
  EXPECT_GE(d.period, 1);
  EXPECT_TRUE(r->isDynamic("conv2", Role::Weight));
  EXPECT_TRUE(r->isDynamic("conv2", Role::Activation));
  EXPECT_TRUE(r->isDynamic("conv2", Role::Error));
  EXPECT_FALSE(r->isDynamic("conv2", Role::Gradient));
}

TEST_F(RecipeTest, Fp12EdgaAccumulates) {
  llvm::Expected<Recipe> r = loadRecipe("fp12-edga", ctx);
  ASSERT_TRUE(static_cast<bool>(r)) << llvm::toString(r.takeError());
  for (ConvKind g : kAllGemms) {
    const AccumulationRule &a = r->accumulation("fc2", g);
    EXPECT_FALSE(a.automatic);
    ASSERT_TRUE(a.attr);
    EXPECT_EQ(a.attr.getSpec().grouping, numerics::Grouping::EfficientDGA);
  }
}

TEST_F(RecipeTest, Sr3RoundsBackwardWithThreePlateauBits) {
  llvm::Expected<Recipe> r = loadRecipe("sr3", ctx);
  ASSERT_TRUE(static_cast<bool>(r)) << llvm::toString(r.takeError());
  for (Role role : {Role::Error, Role::Gradient}) {
    numerics::Rounding rd = r->rule("fc1", role).getRounding();
    EXPECT_EQ(rd.mode, numerics::RoundingMode::Stochastic);
    EXPECT_EQ(rd.randomBits, 3u);
    EXPECT_EQ(rd.source.kind, numerics::RandomSourceKind::LfsrPlateau);
  }
  EXPECT_EQ(r->rule("fc1", Role::Weight).getRounding().mode,
            numerics::RoundingMode::NearestEven);
}

//===----------------------------------------------------------------------===//
// Lookup
//===----------------------------------------------------------------------===//

const char *kLayered = R"({
  "recipe": "layered",
  "comment": "test",
  "roles": {
    "W": {"format": "#qtrain.fp<e4m3fn>",
          "rounding": "#qtrain.rounding<toward_zero>",
          "scaling": {"kind": "current_amax", "margin": 1}},
    "A": {"format": "#qtrain.fp<e4m3fn>"},
    "E": {"format": "#qtrain.fp<e5m2>"}
  },
  "gemms": {
    "backward_data": {"roles": {"W": {"format": "#qtrain.fp<e5m2>"}},
                      "accumulation": "#qtrain.accum<#qtrain.fp<fp16_dga>, static, group = 16>"}
  },
  "accumulation": {"auto": "#qtrain.accum<#qtrain.fp<fp12_dga>>"},
  "layers": [
    {"match": "fc1", "comment": "first layer in f32",
     "roles": {"W": {"format": "f32"}, "A": {"format": "f32"}},
     "accumulation": "f32"},
    {"match": "fc*", "roles": {"W": {"format": "#qtrain.fp<e5m2>"}}},
    {"match": "fc1", "roles": {"E": {"format": "#qtrain.fp<e3m4>"}}},
    {"match": "conv{1,2}",
     "gemms": {"forward": {"roles": {"A": {"format": "#qtrain.scaled<mxfp8_e4m3>"}},
                           "accumulation": "auto"}}}
  ]
})";

TEST_F(RecipeTest, FirstMatchingLayerWins) {
  Recipe r = parse(kLayered);
  ASSERT_EQ(r.layers.size(), 4u);
  EXPECT_EQ(r.matchLayer("fc1"), &r.layers[0]);
  EXPECT_EQ(r.matchLayer("fc2"), &r.layers[1]);
  EXPECT_EQ(r.matchLayer("conv2"), &r.layers[3]);
  EXPECT_EQ(r.matchLayer("conv3"), nullptr);
  EXPECT_EQ(r.matchLayer(""), nullptr);
  EXPECT_EQ(r.layers[0].getMatch(), "fc1");
  EXPECT_EQ(r.layers[0].comment, "first layer in f32");

  // fc1: the first entry; the third one (also "fc1") is never consulted, so
  // E falls back to the defaults.
  EXPECT_FALSE(r.rule("fc1", Role::Weight).isQuantized());
  EXPECT_FALSE(r.rule("fc1", Role::Activation).isQuantized());
  EXPECT_EQ(r.rule("fc1", Role::Error).format, format("#qtrain.fp<e5m2>"));
  // fc2: the second entry.
  EXPECT_EQ(r.rule("fc2", Role::Weight).format, format("#qtrain.fp<e5m2>"));
  // Unmatched: the defaults; G has no rule anywhere.
  EXPECT_EQ(r.rule("head", Role::Weight).format, format("#qtrain.fp<e4m3fn>"));
  EXPECT_FALSE(r.rule("head", Role::Gradient).isQuantized());
}

TEST_F(RecipeTest, LayerRuleReplacesTheDefaultRuleEntirely) {
  Recipe r = parse(kLayered);
  const RoleRule &def = r.rule("head", Role::Weight);
  EXPECT_EQ(def.getRounding().mode, numerics::RoundingMode::TowardZero);
  EXPECT_EQ(def.scaling.kind, ScalingKind::CurrentAmax);
  EXPECT_EQ(def.scaling.margin, 1);
  // fc2's W rule names only a format: no rounding or scaling is inherited.
  const RoleRule &fc2 = r.rule("fc2", Role::Weight);
  EXPECT_FALSE(fc2.rounding);
  EXPECT_EQ(fc2.getRounding().mode, numerics::RoundingMode::NearestEven);
  EXPECT_EQ(fc2.scaling.kind, ScalingKind::None);
}

TEST_F(RecipeTest, GemmOverridesFallBackInOrder) {
  Recipe r = parse(kLayered);
  // Default GEMM override.
  EXPECT_EQ(r.rule("head", Role::Weight, ConvKind::BackwardData).format,
            format("#qtrain.fp<e5m2>"));
  EXPECT_EQ(r.rule("head", Role::Weight, ConvKind::Forward).format,
            format("#qtrain.fp<e4m3fn>"));
  // A layer's role rule beats the default GEMM override.
  EXPECT_FALSE(
      r.rule("fc1", Role::Weight, ConvKind::BackwardData).isQuantized());
  // A layer's GEMM override beats everything, for that GEMM only.
  EXPECT_EQ(r.rule("conv1", Role::Activation, ConvKind::Forward).format,
            format("#qtrain.scaled<mxfp8_e4m3>"));
  EXPECT_EQ(r.rule("conv1", Role::Activation, ConvKind::BackwardWeight).format,
            format("#qtrain.fp<e4m3fn>"));
  // A layer without a rule for the role: the default GEMM override.
  EXPECT_EQ(r.rule("conv1", Role::Weight, ConvKind::BackwardData).format,
            format("#qtrain.fp<e5m2>"));
}

TEST_F(RecipeTest, AccumulationFallsBackInOrder) {
  Recipe r = parse(kLayered);
  // Defaults: automatic with an FP12 accumulator; static groups of 16 in
  // the backward-data GEMM.
  const AccumulationRule &def = r.accumulation("head");
  EXPECT_TRUE(def.automatic);
  ASSERT_TRUE(def.attr);
  EXPECT_EQ(def.attr.getSpec().grouping, numerics::Grouping::None);
  EXPECT_EQ(def.attr.getSpec().accumulator.mantissaBits, 6u);
  const AccumulationRule &bd = r.accumulation("head", ConvKind::BackwardData);
  EXPECT_FALSE(bd.automatic);
  ASSERT_TRUE(bd.attr);
  EXPECT_EQ(bd.attr.getSpec().grouping, numerics::Grouping::Static);
  // fc1 says f32, which beats the default GEMM override.
  for (ConvKind g : kAllGemms) {
    EXPECT_FALSE(r.accumulation("fc1", g).automatic);
    EXPECT_FALSE(r.accumulation("fc1", g).attr);
  }
  // conv1's forward GEMM: "auto" with no accumulator (f32).
  const AccumulationRule &cf = r.accumulation("conv1", ConvKind::Forward);
  EXPECT_TRUE(cf.automatic);
  EXPECT_FALSE(cf.attr);
  EXPECT_EQ(&r.accumulation("conv1", ConvKind::BackwardData), &bd);
}

// The first example of docs/Recipes.md.
TEST_F(RecipeTest, DocsExampleParses) {
  Recipe r = parse(R"json({
  "recipe": "fp8-hybrid",
  "comment": "Per-tensor scaled FP8 ... (the technique and the paper)",
  "roles": {
    "W": {"format": "#qtrain.fp<e4m3fn, overflow = saturate>",
          "scaling": {"kind": "delayed_amax", "history": 16, "margin": 0}},
    "A": {"format": "#qtrain.fp<e4m3fn, overflow = saturate>",
          "scaling": {"kind": "delayed_amax", "history": 16}},
    "E": {"format": "#qtrain.fp<e5m2, overflow = saturate>",
          "rounding": "#qtrain.rounding<stochastic, bits = 3>"}
  },
  "accumulation": "#qtrain.accum<#qtrain.fp<fp16_dga>, static, group = 16>",
  "layers": [
    {"match": "fc1", "comment": "first layer in f32",
     "roles": {"W": {"format": "f32"}, "A": {"format": "f32"}},
     "accumulation": "f32"}
  ]
})json");
  EXPECT_FALSE(r.rule("fc1", Role::Weight, ConvKind::Forward).isQuantized());
  EXPECT_TRUE(r.rule("fc2", Role::Weight, ConvKind::Forward).isQuantized());
  EXPECT_TRUE(r.rule("fc1", Role::Error, ConvKind::BackwardData)
                  .rounding.isStochastic());
  EXPECT_FALSE(r.accumulation("fc1", ConvKind::Forward).attr);
  EXPECT_TRUE(r.accumulation("fc2", ConvKind::Forward).attr);
}

TEST_F(RecipeTest, RecipesAreCopyable) {
  Recipe copy;
  {
    Recipe r = parse(kLayered);
    copy = r;
  }
  std::vector<Recipe> many(3, copy);
  many.push_back(copy);
  EXPECT_EQ(many.back().matchLayer("conv2"), &many.back().layers[3]);
  EXPECT_EQ(many[0].matchLayer("fc7"), &many[0].layers[1]);
}

TEST_F(RecipeTest, DynamicPrecisionExcludesALayerOffTheLadder) {
  Recipe r = parse(R"({
    "recipe": "d", "comment": "c",
    "roles": {"W": {"format": "#qtrain.scaled<fb16>"},
              "E": {"format": "#qtrain.scaled<fb12>"}},
    "layers": [{"match": "conv1", "roles": {"W": {"format": "f32"}}}],
    "dynamic_precision": {"period": 10, "low": 0, "high": 0.5,
      "ladder": ["#qtrain.scaled<fb16>", "#qtrain.scaled<fb12>"],
      "roles": ["W", "E"], "hysteresis": 3, "all_elements": true}
  })");
  ASSERT_TRUE(r.dynamicPrecision);
  EXPECT_TRUE(r.isDynamic("conv2", Role::Weight));
  EXPECT_FALSE(r.isDynamic("conv1", Role::Weight));
  EXPECT_TRUE(r.isDynamic("conv1", Role::Error));
  EXPECT_FALSE(r.isDynamic("conv1", Role::Activation));
  EXPECT_EQ(r.dynamicPrecision->hysteresis, 3);
  EXPECT_TRUE(r.dynamicPrecision->allElements);
}

TEST_F(RecipeTest, ScalingParameters) {
  Recipe r = parse(R"({
    "recipe": "s", "comment": "c",
    "roles": {
      "W": {"format": "#qtrain.int<s8>", "scaling": {"kind": "current_amax"}},
      "A": {"format": "#qtrain.fp<e4m3fn>",
            "scaling": {"kind": "delayed_amax", "history": 1024, "margin": -2}},
      "E": {"format": "#qtrain.fp<e5m2>",
            "scaling": {"kind": "adaptive_bias", "warmup_steps": 7,
                        "freeze_after": "never"}},
      "G": {"format": "#qtrain.fp<e5m2>", "scaling": {"kind": "none"}}
    }
  })");
  EXPECT_EQ(r.rule("l", Role::Weight).scaling.kind, ScalingKind::CurrentAmax);
  EXPECT_EQ(r.rule("l", Role::Weight).scaling.margin, 0);
  EXPECT_EQ(r.rule("l", Role::Activation).scaling.history, 1024);
  EXPECT_EQ(r.rule("l", Role::Activation).scaling.margin, -2);
  EXPECT_EQ(r.rule("l", Role::Error).scaling.warmupSteps, 7);
  EXPECT_EQ(r.rule("l", Role::Error).scaling.freezeAfter, std::nullopt);
  EXPECT_EQ(r.rule("l", Role::Gradient).scaling, Scaling());
}

//===----------------------------------------------------------------------===//
// Errors
//===----------------------------------------------------------------------===//

TEST_F(RecipeTest, SyntaxErrorHasLineAndColumn) {
  EXPECT_EQ(errorOf("{\n  \"recipe\": \"x\",\n  \"comment\": \"c\"\n"
                    "  \"roles\": {}\n}"),
            "t.json:4:3: invalid JSON: Expected , or } after object property");
  EXPECT_EQ(errorOf(""), "t.json:1:0: invalid JSON: Unexpected EOF");
}

TEST_F(RecipeTest, UnknownKeyNamesPathAndLine) {
  EXPECT_EQ(errorOf(R"({
  "recipe": "x",
  "comment": "c",
  "roles": {
    "W": {"format": "f32"},
    "A": {"fromat": "#qtrain.fp<e4m3fn>"}
  }
})"),
            "t.json:6:11: roles.A.fromat: unknown key; a role rule takes: "
            "format, rounding, scaling");
  EXPECT_EQ(errorOf(R"({"recipe": "x", "comment": "c", "role": {}})"),
            "t.json:1:33: role: unknown key; a recipe takes: recipe, "
            "comment, roles, gemms, accumulation, layers, dynamic_precision");
  EXPECT_EQ(errorOf(R"({"recipe": "x", "comment": "c",
  "roles": {"X": {"format": "f32"}}})"),
            "t.json:2:13: roles.X: unknown role; roles are W (weights), A "
            "(activations), E (errors) and G (weight gradients)");
  // The first unknown key in the text is reported.
  EXPECT_EQ(errorOf(R"({"recipe": "x", "comment": "c",
  "zz": 1,
  "aa": 2})"),
            "t.json:2:3: zz: unknown key; a recipe takes: recipe, comment, "
            "roles, gemms, accumulation, layers, dynamic_precision");
}

TEST_F(RecipeTest, WrongTypes) {
  EXPECT_EQ(errorOf("[]"), "t.json:1:1: expected an object, got an array");
  EXPECT_EQ(errorOf(R"({"recipe": 3, "comment": "c"})"),
            "t.json:1:2: recipe: expected a string, got 3");
  EXPECT_EQ(errorOf(R"({"recipe": "x", "comment": "c", "roles": []})"),
            "t.json:1:33: roles: expected an object, got an array");
  EXPECT_EQ(errorOf(R"({"recipe": "x", "comment": "c", "roles": {"W":
    {"format": "#qtrain.fp<e4m3fn>",
     "scaling": {"kind": "delayed_amax", "history": "16"}}}})"),
            "t.json:3:42: roles.W.scaling.history: expected an integer, got "
            "\"16\"");
  EXPECT_EQ(errorOf(R"({"recipe": "x", "comment": "c",
    "roles": {"W": {"format": 8}}})"),
            "t.json:2:21: roles.W.format: expected a qtrain format attribute "
            "(#qtrain.fp, #qtrain.int or #qtrain.scaled) or \"f32\", got 8");
  EXPECT_EQ(errorOf(R"({"recipe": "x", "comment": "c", "layers": {}})"),
            "t.json:1:33: layers: expected an array, got an object");
  EXPECT_EQ(errorOf(R"({"recipe": "x", "comment": "c", "accumulation": 32})"),
            "t.json:1:33: accumulation: expected \"f32\", \"auto\", a qtrain "
            "accumulation attribute (#qtrain.accum<...>) or {\"auto\": "
            "\"#qtrain.accum<...>\"}, got 32");
}

TEST_F(RecipeTest, BadAttributeString) {
  std::string e = errorOf(R"({"recipe": "x", "comment": "c",
    "roles": {"W": {"format": "#qtrain.fp<e4m3fnx>"}}})");
  // MLIR's diagnostic follows.
  EXPECT_EQ(e, "t.json:2:21: roles.W.format: cannot parse "
               "'#qtrain.fp<e4m3fnx>': expected a format preset or 'eXmY', "
               "got 'e4m3fnx'");
  EXPECT_NE(errorOf(R"({"recipe": "x", "comment": "c",
    "roles": {"W": {"format": "#qtrain.fp<e4m3fn>",
                    "rounding": "#qtrain.rounding<stochastic, bits = 99>"}}}})"),
            "<parsed without error>");
  std::string acc = errorOf(R"({"recipe": "x", "comment": "c",
    "accumulation": "#qtrain.accum<#qtrain.fp<f32>, static, group = -1>"})");
  EXPECT_NE(acc.find("t.json:2:5: accumulation: cannot parse"),
            std::string::npos)
      << acc;
}

TEST_F(RecipeTest, WrongAttributeKind) {
  EXPECT_EQ(errorOf(R"({
  "recipe": "x",
  "comment": "c",
  "roles": {
    "W": {"format": "#qtrain.rounding<nearest_even>"}
  }
})"),
            "t.json:5:11: roles.W.format: expected a qtrain format attribute "
            "(#qtrain.fp, #qtrain.int or #qtrain.scaled) or \"f32\", got "
            "'#qtrain.rounding<nearest_even>'");
  EXPECT_EQ(errorOf(R"({"recipe": "x", "comment": "c",
    "roles": {"W": {"format": "#qtrain.fp<e4m3fn>",
                    "rounding": "#qtrain.fp<e4m3fn>"}}})"),
            "t.json:3:21: roles.W.rounding: expected a qtrain rounding "
            "attribute (#qtrain.rounding<...>), got '#qtrain.fp<e4m3fn>'");
  EXPECT_EQ(errorOf(R"({"recipe": "x", "comment": "c",
    "accumulation": "#qtrain.fp<f32>"})"),
            "t.json:2:5: accumulation: expected \"f32\", \"auto\", a qtrain "
            "accumulation attribute (#qtrain.accum<...>) or {\"auto\": "
            "\"#qtrain.accum<...>\"}, got '#qtrain.fp<f32>'");
  EXPECT_EQ(errorOf(R"({"recipe": "x", "comment": "c",
    "roles": {"W": {"format": "42 : i32"}}})"),
            "t.json:2:21: roles.W.format: expected a qtrain format attribute "
            "(#qtrain.fp, #qtrain.int or #qtrain.scaled) or \"f32\", got "
            "'42 : i32'");
}

TEST_F(RecipeTest, NameAndCommentAreRequired) {
  EXPECT_EQ(errorOf(R"({"recipe": "x"})"),
            "t.json:1:1: comment: required key missing");
  EXPECT_EQ(errorOf(R"({"recipe": "x", "comment": "  "})"),
            "t.json:1:17: comment: is empty; say which technique and paper "
            "the recipe follows");
  EXPECT_EQ(errorOf(R"({"comment": "c"})"),
            "t.json:1:1: recipe: required key missing");
  EXPECT_EQ(errorOf(R"({"recipe": "", "comment": "c"})"),
            "t.json:1:2: recipe: the name is empty");
  EXPECT_EQ(errorOf(R"({"recipe": "x", "comment": "c",
    "roles": {"W": {"rounding": "#qtrain.rounding<up>"}}})"),
            "t.json:2:15: roles.W.format: required key missing");
}

TEST_F(RecipeTest, BadScalingParameters) {
  auto withScaling = [&](StringRef format, StringRef scaling) {
    return errorOf((R"({"recipe": "x", "comment": "c", "roles": {"W": )"
                    R"({"format": ")" +
                    format + R"(", "scaling": )" + scaling + "}}}")
                       .str());
  };
  const char *fp8 = "#qtrain.fp<e4m3fn>";
  EXPECT_EQ(withScaling(fp8, R"({"kind": "delayed_amax", "history": 0})"),
            "t.json:1:117: roles.W.scaling.history: the amax history needs "
            "at least 1 entry, got 0");
  EXPECT_EQ(withScaling(fp8, R"({"kind": "delayed_amax"})"),
            "t.json:1:81: roles.W.scaling.history: required key missing");
  EXPECT_EQ(withScaling(fp8, R"({"kind": "current_amax", "margin": 65})"),
            "t.json:1:117: roles.W.scaling.margin: must be in [-64, 64], got "
            "65");
  EXPECT_EQ(withScaling(fp8, R"({"kind": "current_amax", "history": 4})"),
            "t.json:1:117: roles.W.scaling.history: a parameter of "
            "delayed_amax scaling, not of current_amax (which takes: kind, "
            "margin)");
  EXPECT_EQ(withScaling(fp8, R"({"kind": "none", "margin": 1})"),
            "t.json:1:109: roles.W.scaling.margin: a parameter of "
            "current_amax scaling, not of none (which takes: kind)");
  EXPECT_EQ(withScaling(fp8, R"({"kind": "delayed_amax", "histroy": 4})"),
            "t.json:1:117: roles.W.scaling.histroy: unknown key; "
            "delayed_amax scaling takes: kind, history, margin");
  EXPECT_EQ(withScaling(fp8, R"({"kind": "max"})"),
            "t.json:1:93: roles.W.scaling.kind: unknown scaling kind 'max'; "
            "kinds are none, current_amax, delayed_amax and adaptive_bias");
  EXPECT_EQ(withScaling(fp8, R"({"margin": 1})"),
            "t.json:1:81: roles.W.scaling.kind: required key missing");
  EXPECT_EQ(withScaling(fp8, R"({"kind": "adaptive_bias", "warmup_steps": 0})"),
            "t.json:1:118: roles.W.scaling.warmup_steps: the warm-up needs at "
            "least 1 step to gather statistics, got 0");
  EXPECT_EQ(withScaling(fp8, R"({"kind": "adaptive_bias", "warmup_steps": 2,
                                 "freeze_after": -1})"),
            "t.json:2:34: roles.W.scaling.freeze_after: expected a "
            "non-negative integer or \"never\", got -1");
  EXPECT_EQ(withScaling("#qtrain.int<s8>",
                        R"({"kind": "adaptive_bias", "warmup_steps": 2})"),
            "t.json:1:78: roles.W.scaling: adaptive_bias scaling needs a "
            "minifloat format (#qtrain.fp): it moves the exponent bias");
  EXPECT_EQ(
      withScaling("#qtrain.scaled<mxfp8_e4m3>", R"({"kind": "current_amax"})"),
      "t.json:1:89: roles.W.scaling: current_amax scaling needs an "
      "element format (#qtrain.fp or #qtrain.int); the scaled format of "
      "this role sets its scales by its own levels");
  EXPECT_EQ(withScaling("f32", R"({"kind": "current_amax"})"),
            "t.json:1:66: roles.W.scaling: an unquantized role (format "
            "\"f32\") takes no scaling");
  EXPECT_EQ(withScaling(fp8, R"("current_amax")"),
            "t.json:1:81: roles.W.scaling: expected an object, got "
            "\"current_amax\"");
}

TEST_F(RecipeTest, UnquantizedRoleTakesNoRounding) {
  EXPECT_EQ(errorOf(R"({"recipe": "x", "comment": "c",
    "roles": {"A": {"format": "f32", "rounding": "#qtrain.rounding<up>"}}})"),
            "t.json:2:38: roles.A.rounding: an unquantized role (format "
            "\"f32\") takes no rounding");
}

TEST_F(RecipeTest, GemmErrors) {
  EXPECT_EQ(errorOf(R"({"recipe": "x", "comment": "c",
    "gemms": {"forward": {"roles": {"E": {"format": "f32"}}}}})"),
            "t.json:2:37: gemms.forward.roles.E: E is not an operand of the "
            "forward GEMM (its operands are W and A)");
  EXPECT_EQ(errorOf(R"({"recipe": "x", "comment": "c",
    "gemms": {"update": {"roles": {}}}})"),
            "t.json:2:15: gemms.update: unknown GEMM; GEMMs are forward, "
            "backward_data or backward_weight");
  EXPECT_EQ(errorOf(R"({"recipe": "x", "comment": "c",
    "gemms": {"forward": {}}})"),
            "t.json:2:15: gemms.forward: overrides nothing; give roles or "
            "accumulation");
}

TEST_F(RecipeTest, AccumulationErrors) {
  EXPECT_EQ(
      errorOf(R"({"recipe": "x", "comment": "c",
    "accumulation": {"auto": "#qtrain.accum<#qtrain.fp<fp12_dga>, static, group = 16>"}})"),
      "t.json:2:22: accumulation.auto: \"auto\" chooses the grouping; give the "
      "accumulator without one (e.g. #qtrain.accum<#qtrain.fp<fp12_dga>>), "
      "got '#qtrain.accum<#qtrain.fp<fp12_dga>, static, group = 16>'");
  EXPECT_EQ(errorOf(R"({"recipe": "x", "comment": "c",
    "accumulation": {"automatic": true}})"),
            "t.json:2:22: accumulation.automatic: unknown key; an automatic "
            "accumulation takes: auto");
}

TEST_F(RecipeTest, LayerErrors) {
  EXPECT_EQ(errorOf(R"({"recipe": "x", "comment": "c", "layers": [
    {"match": "fc1", "roles": {}},
    {"match": "[a-", "roles": {}}]})"),
            "t.json:3:6: layers[1].match: invalid glob '[a-': invalid glob "
            "pattern, unmatched '['");
  EXPECT_EQ(errorOf(R"({"recipe": "x", "comment": "c", "layers": [
    {"match": "fc1"}]})"),
            "t.json:2:5: layers[0]: overrides nothing; give roles, gemms or "
            "accumulation");
  EXPECT_EQ(errorOf(R"({"recipe": "x", "comment": "c", "layers": [
    {"roles": {}}]})"),
            "t.json:2:5: layers[0].match: required key missing");
  EXPECT_EQ(errorOf(R"({"recipe": "x", "comment": "c", "layers": [
    {"match": "*", "dynamic_precision": {}}]})"),
            "t.json:2:20: layers[0].dynamic_precision: unknown key; a layer "
            "entry takes: match, comment, roles, gemms, accumulation");
  EXPECT_EQ(errorOf(R"({"recipe": "x", "comment": "c", "layers": [
    {"match": "*", "roles": {"W": {"format": "#qtrain.fp<e4m3fn>",
      "scaling": {"kind": "delayed_amax", "history": -3}}}}]})"),
            "t.json:3:43: layers[0].roles.W.scaling.history: the amax history "
            "needs at least 1 entry, got -3");
}

TEST_F(RecipeTest, DynamicPrecisionErrors) {
  auto withDynamic = [&](StringRef roles, StringRef dynamic) {
    return errorOf((R"({"recipe": "x", "comment": "c", "roles": )" + roles +
                    ",\n\"dynamic_precision\": " + dynamic + "}")
                       .str());
  };
  const char *roles = R"({"W": {"format": "#qtrain.scaled<fb16>"}})";
  const char *ladder =
      R"("ladder": ["#qtrain.scaled<fb16>", "#qtrain.scaled<fb12>"])";
  EXPECT_EQ(withDynamic(roles, (R"({"period": 1, "low": 0.2, "high": 0.1, )" +
                                Twine(ladder) + R"(, "roles": ["W"]})")
                                   .str()),
            "t.json:2:48: dynamic_precision.high: must be greater than low "
            "(0.2), got 0.1");
  EXPECT_EQ(withDynamic(roles, (R"({"period": 0, "low": 0, "high": 0.1, )" +
                                Twine(ladder) + R"(, "roles": ["W"]})")
                                   .str()),
            "t.json:2:23: dynamic_precision.period: must be at least 1, got 0");
  EXPECT_EQ(withDynamic(roles, R"({"period": 1, "low": 0, "high": 1.5,
      "ladder": [], "roles": ["W"]})"),
            "t.json:2:46: dynamic_precision.high: a zero-setting error "
            "threshold must be in [0, 1], got 1.5");
  EXPECT_EQ(withDynamic(roles, R"({"period": 1, "low": 0, "high": 0.5,
      "ladder": ["#qtrain.scaled<fb16>"], "roles": ["W"]})"),
            "t.json:3:7: dynamic_precision.ladder: needs at least two "
            "formats, highest precision first");
  EXPECT_EQ(withDynamic(roles, R"({"period": 1, "low": 0, "high": 0.5,
      "ladder": ["#qtrain.scaled<fb16>", "#qtrain.scaled<fb16>"],
      "roles": ["W"]})"),
            "t.json:3:42: dynamic_precision.ladder[1]: repeats "
            "dynamic_precision.ladder[0]");
  EXPECT_EQ(withDynamic(roles, R"({"period": 1, "low": 0, "high": 0.5,
      "ladder": ["#qtrain.scaled<fb16>", "f32"], "roles": ["W"]})"),
            "t.json:3:42: dynamic_precision.ladder[1]: expected a qtrain "
            "format attribute (#qtrain.fp, #qtrain.int or #qtrain.scaled), "
            "got \"f32\"");
  EXPECT_EQ(withDynamic(roles, (R"({"period": 1, "low": 0, "high": 0.5, )" +
                                Twine(ladder) + R"(, "roles": ["W", "W"]})")
                                   .str()),
            "t.json:2:134: dynamic_precision.roles[1]: repeats role W");
  EXPECT_EQ(withDynamic(roles, (R"({"period": 1, "low": 0, "high": 0.5, )" +
                                Twine(ladder) + R"(, "roles": ["A"]})")
                                   .str()),
            "t.json:2:129: dynamic_precision.roles[0]: A has no rule in "
            "\"roles\"; its format there is the starting rung and must be on "
            "the ladder");
  EXPECT_EQ(withDynamic(R"({"W": {"format": "#qtrain.scaled<fb24>"}})",
                        (R"({"period": 1, "low": 0, "high": 0.5, )" +
                         Twine(ladder) + R"(, "roles": ["W"]})")
                            .str()),
            "t.json:1:49: roles.W.format: W is under dynamic_precision: its "
            "format is the starting rung and must be on the ladder");
  EXPECT_EQ(errorOf((R"({"recipe": "x", "comment": "c", "roles": )" +
                     Twine(roles) + R"(,
  "layers": [{"match": "*", "gemms": {"forward": {"roles": {"W": {"format": "f32"}}}}}],
  "dynamic_precision": {"period": 1, "low": 0, "high": 0.5, )" +
                     ladder + R"(, "roles": ["W"]}})")
                        .str()),
            "t.json:2:61: layers[0].gemms.forward.roles.W: W is under "
            "dynamic_precision, which sets one format per layer and role: it "
            "takes no GEMM overrides");
  EXPECT_EQ(withDynamic(roles, R"({"period": 1, "low": 0, "high": 0.5,
      "ladder": [], "roles": ["W"], "hysterisis": 2})"),
            "t.json:3:37: dynamic_precision.hysterisis: unknown key; "
            "dynamic_precision takes: period, low, high, ladder, roles, "
            "hysteresis, all_elements");
}

TEST_F(RecipeTest, RepeatedKeysAreErrors) {
  EXPECT_EQ(errorOf(R"({"recipe": "x", "comment": "c",
  "roles": {"W": {"format": "f32"},
            "W": {"format": "#qtrain.fp<e4m3fn>"}}})"),
            "t.json:3:13: roles.W: repeated key (first at line 2)");
}

TEST_F(RecipeTest, DeepNestingIsAnErrorNotACrash) {
  std::string deep = std::string(100000, '[') + std::string(100000, ']');
  EXPECT_EQ(errorOf(deep),
            "t.json:1:65: invalid JSON: nested deeper than 64 levels");
}

TEST_F(RecipeTest, UnknownRecipeNameListsTheBundledOnes) {
  llvm::Expected<Recipe> r = loadRecipe("fp9", ctx);
  ASSERT_FALSE(static_cast<bool>(r));
  EXPECT_EQ(llvm::toString(r.takeError()),
            "unknown recipe 'fp9'; the bundled recipes are abfp8, flexblock, "
            "flexblock-dynamic, fp12-edga, fp32, fp8-hybrid, mls-121, "
            "mls-124, mxfp4, mxfp8, sr3 (or give the path of a .json file)");
}

TEST_F(RecipeTest, FilesLoadByPathAndNameTheFileInErrors) {
  llvm::SmallString<256> path;
  int fd;
  ASSERT_FALSE(llvm::sys::fs::createTemporaryFile("recipe", "json", fd, path));
  {
    llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
    os << "{\"recipe\": \"mine\",\n \"comment\": \"c\",\n"
          " \"roles\": {\"G\": {\"format\": \"#qtrain.fp<bf16>\"}}}\n";
  }
  llvm::Expected<Recipe> r = loadRecipe(path, ctx);
  ASSERT_TRUE(static_cast<bool>(r)) << llvm::toString(r.takeError());
  EXPECT_EQ(r->name, "mine");
  EXPECT_EQ(r->fileName, path.str());
  EXPECT_TRUE(r->rule("any", Role::Gradient).isQuantized());
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(path, ec);
    ASSERT_FALSE(ec);
    os << "{\"recipe\": \"mine\",\n \"comment\": \"c\",\n"
          " \"roles\": {\"G\": {\"format\": \"bf16\"}}}\n";
  }
  llvm::Expected<Recipe> bad = loadRecipe(path, ctx);
  ASSERT_FALSE(static_cast<bool>(bad));
  std::string e = llvm::toString(bad.takeError());
  // "bf16" parses as a builtin type attribute, not a format.
  EXPECT_EQ(e, (path + ":3:18: roles.G.format: expected a qtrain format "
                       "attribute (#qtrain.fp, #qtrain.int or "
                       "#qtrain.scaled) or \"f32\", got 'bf16'")
                   .str());
  llvm::sys::fs::remove(path);

  llvm::Expected<Recipe> missing = loadRecipe("/nonexistent/r.json", ctx);
  ASSERT_FALSE(static_cast<bool>(missing));
  EXPECT_EQ(llvm::toString(missing.takeError()),
            "cannot read recipe file '/nonexistent/r.json': No such file or "
            "directory");
}

// Every prefix and many single-byte mutations of every bundled recipe give
// a recipe or an error, never a crash.
TEST_F(RecipeTest, BrokenRecipesNeverCrash) {
  std::mt19937 rng(20261124);
  const char alphabet[] = "{}[]\",:#<>=0123456789-.eE \n\\tfnu\x80\xff";
  unsigned errors = 0, parsed = 0;
  for (StringRef name : bundledRecipeNames()) {
    std::string text = bundledRecipeText(name)->str();
    for (size_t n = 0; n < text.size(); n += 7) {
      llvm::Expected<Recipe> r = parseRecipe(text.substr(0, n), "t.json", ctx);
      if (r) {
        ++parsed;
      } else {
        ++errors;
        EXPECT_TRUE(
            StringRef(llvm::toString(r.takeError())).starts_with("t.json:"));
      }
    }
    for (int i = 0; i < 300; ++i) {
      std::string m = text;
      for (int k = 0; k < 2; ++k)
        m[rng() % m.size()] = alphabet[rng() % (sizeof(alphabet) - 1)];
      llvm::Expected<Recipe> r = parseRecipe(m, "t.json", ctx);
      if (r) {
        ++parsed;
      } else {
        ++errors;
        EXPECT_TRUE(
            StringRef(llvm::toString(r.takeError())).starts_with("t.json:"));
      }
    }
  }
  EXPECT_GT(errors, 1000u);
  (void)parsed;
}

} // namespace
