//===- AccelDiffTest.cpp - accelerator vs CPU lowering, bit for bit -------===//
//
// The proof of issue 10: the same qtrain function runs through the CPU
// lowering (JIT) and through convert-qtrain-to-accel + the encoder and
// decoder + the functional model, on the same inputs, and every output bit
// agrees. Each case runs with the machine's own tile sizes and with small
// tiles (several output tiles, several K-tiles, edge tiles), since results
// must not depend on tiling. Inputs include NaN, infinities, zeros and
// subnormals.
//
//===----------------------------------------------------------------------===//

#include "DiffTestUtil.h"

#include "qtrain/Accel/Sim/Simulator.h"
#include "qtrain/Conversion/Passes.h"
#include "qtrain/Conversion/QTrainToAccel/ControlSpecialization.h"
#include "qtrain/Dialect/Accel/IR/AccelOps.h"
#include "qtrain/Dialect/QTrain/Transforms/Passes.h"
#include "qtrain/Models/Models.h"
#include "qtrain/Pipelines/Pipelines.h"
#include "qtrain/Target/Accel/AccelTranslation.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/bit.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"

#include "gtest/gtest.h"

#include <cmath>
#include <iostream>
#include <random>

using namespace qtrain;
using namespace qtrain::difftest;

namespace {

/// A function to run both ways (`@step` unless `function` says otherwise):
/// f32 and i32 tensor arguments (i32 ones are labels below `labels`) and at
/// most one i64 seed; f32 tensor results.
struct AccelCase {
  std::string name;
  std::string module;
  std::string function = "step";
  int labels = 10;
  /// When set, `module` is qtrain-model's `model` step under this recipe,
  /// built when the test runs.
  std::string mlpRecipe = "";
  /// When set, `module` is this file of examples/.
  std::string example = "";
  /// The model of `mlpRecipe`: "mlp", "lenet" or "resnet".
  std::string model = "mlp";
  /// The function computes with upstream f32 arithmetic only (no qtrain
  /// op), whose NaN results LLVM leaves unspecified in sign and payload
  /// (LangRef, "Behavior of Floating-Point NaN values"): the CPU's NaN bits
  /// depend on which operand of a commuted add the code generator puts
  /// first. A NaN then matches any NaN; every other value bit for bit.
  bool upstreamNaNs = false;
  /// Values of 0-d i64 state arguments (by index; kStepArg: the one whose
  /// qtrain.role is "step"), drawn as given: the accelerator's program is
  /// specialized for them (qtrain-specialize-control), as qtrain-train does
  /// before each step.
  accel::StateValues state = {};
  /// 0-d i64 state arguments drawn by qtrain.role, uniformly in [lo, hi],
  /// added to `state` (the program is specialized for the values drawn).
  std::map<std::string, std::pair<int64_t, int64_t>> stateDraws = {};
  /// 0-d f32 arguments drawn by qtrain.role, log-uniformly in [lo, hi]
  /// (flexblock-dynamic's zero-setting-error sums, whose averages the
  /// thresholds split), instead of the general inputs.
  std::map<std::string, std::pair<float, float>> scalarDraws = {};
  /// A machine description (JSON) for the first two runs instead of the
  /// bundled one (a program the bundled machine cannot hold).
  std::string machine = "";
};

constexpr unsigned kStepArg = ~0u;

struct Signature {
  std::vector<std::vector<int64_t>> args, results;
  std::vector<bool> integer;             ///< Per argument: an i32 tensor.
  std::vector<bool> wideArg, wideResult; ///< An i64 tensor (two words).
  int seedArg = -1; ///< The i64 argument's position, if any.
  /// Per result: the element type's text ("f32", or codes: "f8E4M3FN",
  /// "i8", ...) and its width.
  std::vector<std::string> resultElements;
  std::vector<unsigned> resultWidths;
};

Signature signatureOf(mlir::func::FuncOp step) {
  Signature sig;
  for (auto [i, type] : llvm::enumerate(step.getArgumentTypes())) {
    sig.integer.push_back(false);
    sig.wideArg.push_back(false);
    if (type.isInteger(64)) {
      sig.seedArg = i;
      sig.args.push_back({});
      continue;
    }
    auto t = llvm::cast<mlir::RankedTensorType>(type);
    sig.integer.back() = t.getElementType().isInteger(32);
    sig.wideArg.back() = t.getElementType().isInteger(64);
    sig.args.push_back(std::vector<int64_t>(t.getShape()));
  }
  for (mlir::Type type : step.getResultTypes()) {
    auto t = llvm::cast<mlir::RankedTensorType>(type);
    sig.results.push_back(std::vector<int64_t>(t.getShape()));
    sig.wideResult.push_back(t.getElementType().isInteger(64));
    std::string elem;
    llvm::raw_string_ostream(elem) << t.getElementType();
    sig.resultElements.push_back(elem);
    unsigned bits = t.getElementType().getIntOrFloatBitWidth();
    sig.resultWidths.push_back(bits);
  }
  return sig;
}

/// The f32 words of argument `i` and of result `j` in the harness's
/// concatenations (an i64 element takes two, low word first).
int64_t argWords(const Signature &sig, size_t i) {
  return static_cast<int>(i) == sig.seedArg
             ? 0
             : product(sig.args[i]) * (sig.wideArg[i] ? 2 : 1);
}
int64_t resultWords(const Signature &sig, size_t j) {
  return product(sig.results[j]) * (sig.wideResult[j] ? 2 : 1);
}
int64_t totalResultWords(const Signature &sig) {
  int64_t total = 0;
  for (size_t j = 0; j < sig.results.size(); ++j)
    total += resultWords(sig, j);
  return total;
}

std::string tensorType(llvm::ArrayRef<int64_t> shape,
                       llvm::StringRef elem = "f32") {
  return ("tensor<" + shapeText(shape) + elem + ">").str();
}

/// `@cpu(%in: memref<?xf32>, %seed: i64, %out: memref<?xf32>)`: the
/// tensor arguments concatenated in `%in`, the results in `%out`.
std::string cpuWrapper(const Signature &sig, llvm::StringRef function) {
  int64_t totalIn = 0, totalOut = totalResultWords(sig);
  for (size_t i = 0; i < sig.args.size(); ++i)
    totalIn += argWords(sig, i);
  std::string s = "func.func @cpu(%in: memref<?xf32>, %seed: i64, %out: "
                  "memref<?xf32>) attributes {llvm.emit_c_interface} {\n";
  s += shaped("all", "in", {totalIn}, "f32");
  std::string callArgs, argTypes;
  int64_t offset = 0;
  for (auto [i, shape] : llvm::enumerate(sig.args)) {
    std::string arg;
    if (static_cast<int>(i) == sig.seedArg) {
      arg = "%seed";
      argTypes += std::string(i ? ", " : "") + "i64";
    } else {
      int64_t n = product(shape);
      llvm::StringRef elem = sig.integer[i]   ? "i32"
                             : sig.wideArg[i] ? "i64"
                                              : "f32";
      s += llvm::formatv("  %s{0} = tensor.extract_slice %all[{1}] [{2}] [1] "
                         ": tensor<{3}xf32> to tensor<{2}xf32>\n",
                         i, offset, argWords(sig, i), totalIn);
      if (sig.wideArg[i])
        // Low and high words, interleaved.
        s += llvm::formatv(
            "  %ab{0} = arith.bitcast %s{0} : tensor<{2}xf32> to "
            "tensor<{2}xi32>\n"
            "  %alo{0} = tensor.extract_slice %ab{0}[0] [{1}] [2] : "
            "tensor<{2}xi32> to tensor<{1}xi32>\n"
            "  %ahi{0} = tensor.extract_slice %ab{0}[1] [{1}] [2] : "
            "tensor<{2}xi32> to tensor<{1}xi32>\n"
            "  %al{0} = arith.extui %alo{0} : tensor<{1}xi32> to "
            "tensor<{1}xi64>\n"
            "  %ah{0} = arith.extui %ahi{0} : tensor<{1}xi32> to "
            "tensor<{1}xi64>\n"
            "  %ak{0} = arith.constant dense<32> : tensor<{1}xi64>\n"
            "  %au{0} = arith.shli %ah{0}, %ak{0} : tensor<{1}xi64>\n"
            "  %t{0} = arith.ori %al{0}, %au{0} : tensor<{1}xi64>\n",
            i, n, 2 * n);
      if (sig.integer[i])
        s += llvm::formatv("  %t{0} = arith.bitcast %s{0} : tensor<{1}xf32> "
                           "to tensor<{1}xi32>\n",
                           i, n);
      std::string src =
          (sig.integer[i] || sig.wideArg[i] ? "%t" : "%s") + std::to_string(i);
      if (shape.size() == 1) {
        s += llvm::formatv("  %a{0} = tensor.cast {1} : tensor<{2}x{3}> to "
                           "tensor<{2}x{3}>\n",
                           i, src, n, elem);
      } else if (shape.empty()) {
        s += llvm::formatv("  %a{0} = tensor.collapse_shape {1} [] : "
                           "tensor<1x{2}> into tensor<{2}>\n",
                           i, src, elem);
      } else {
        std::string assoc, dims;
        for (size_t d = 0; d < shape.size(); ++d) {
          assoc += (d ? ", " : "") + std::to_string(d);
          dims += (d ? ", " : "") + std::to_string(shape[d]);
        }
        s += llvm::formatv("  %a{0} = tensor.expand_shape {1} [[{2}]] "
                           "output_shape [{3}] : tensor<{4}x{5}> into {6}\n",
                           i, src, assoc, dims, n, elem,
                           tensorType(shape, elem));
      }
      offset += argWords(sig, i);
      arg = "%a" + std::to_string(i);
      argTypes += std::string(i ? ", " : "") + tensorType(shape, elem);
    }
    callArgs += std::string(i ? ", " : "") + arg;
  }
  std::string resultTypes;
  for (auto [j, shape] : llvm::enumerate(sig.results))
    resultTypes +=
        std::string(j ? ", " : "") + tensorType(shape, sig.resultElements[j]);
  s += llvm::formatv("  %r:{0} = func.call @{4}({1}) : ({2}) -> ({3})\n",
                     sig.results.size(), callArgs, argTypes, resultTypes,
                     function);
  s += llvm::formatv("  %o0 = tensor.empty() : tensor<{0}xf32>\n", totalOut);
  offset = 0;
  for (auto [j, shape] : llvm::enumerate(sig.results)) {
    int64_t n = product(shape);
    // Codes: their bits zero-extended into an f32 lane.
    std::string value = "%r#" + std::to_string(j);
    llvm::StringRef elem = sig.resultElements[j];
    std::string assoc;
    for (size_t d = 0; d < shape.size(); ++d)
      assoc += (d ? ", " : "") + std::to_string(d);
    if (sig.wideResult[j]) {
      // i64: the low and the high word of each element, interleaved.
      if (shape.empty())
        s += llvm::formatv("  %rc{0} = tensor.expand_shape {1} [] "
                           "output_shape [1] : tensor<i64> into "
                           "tensor<1xi64>\n",
                           j, value);
      else
        s += llvm::formatv("  %rc{0} = tensor.collapse_shape {1} [[{2}]] : "
                           "{3} into tensor<{4}xi64>\n",
                           j, value, assoc, tensorType(shape, "i64"), n);
      s += llvm::formatv(
          "  %rk{0} = arith.constant dense<32> : tensor<{1}xi64>\n"
          "  %rw{0} = arith.shrui %rc{0}, %rk{0} : tensor<{1}xi64>\n"
          "  %rlo{0} = arith.trunci %rc{0} : tensor<{1}xi64> to "
          "tensor<{1}xi32>\n"
          "  %rhi{0} = arith.trunci %rw{0} : tensor<{1}xi64> to "
          "tensor<{1}xi32>\n"
          "  %rlf{0} = arith.bitcast %rlo{0} : tensor<{1}xi32> to "
          "tensor<{1}xf32>\n"
          "  %rhf{0} = arith.bitcast %rhi{0} : tensor<{1}xi32> to "
          "tensor<{1}xf32>\n"
          "  %rp{0} = tensor.insert_slice %rlf{0} into %o{0}[{2}] [{1}] [2] : "
          "tensor<{1}xf32> into tensor<{4}xf32>\n"
          "  %o{5} = tensor.insert_slice %rhf{0} into %rp{0}[{3}] [{1}] [2] : "
          "tensor<{1}xf32> into tensor<{4}xf32>\n",
          j, n, offset, offset + 1, totalOut, j + 1);
      offset += 2 * n;
      continue;
    }
    if (elem != "f32") {
      unsigned w = sig.resultWidths[j];
      std::string iw = "i" + std::to_string(w);
      if (elem != iw) {
        s += llvm::formatv("  %b{0} = arith.bitcast {1} : {2} to {3}\n", j,
                           value, tensorType(shape, elem),
                           tensorType(shape, iw));
        value = "%b" + std::to_string(j);
      }
      if (w < 32) {
        s += llvm::formatv("  %x{0} = arith.extui {1} : {2} to {3}\n", j, value,
                           tensorType(shape, iw), tensorType(shape, "i32"));
        value = "%x" + std::to_string(j);
      }
      s += llvm::formatv("  %g{0} = arith.bitcast {1} : {2} to {3}\n", j, value,
                         tensorType(shape, "i32"), tensorType(shape));
      value = "%g" + std::to_string(j);
    }
    if (shape.empty())
      s += llvm::formatv("  %f{0} = tensor.expand_shape {1} [] "
                         "output_shape [1] : tensor<f32> into tensor<1xf32>\n",
                         j, value);
    else
      s += llvm::formatv("  %f{0} = tensor.collapse_shape {4} [[{1}]] : "
                         "{2} into tensor<{3}xf32>\n",
                         j, assoc, tensorType(shape), n, value);
    s += llvm::formatv("  %o{0} = tensor.insert_slice %f{1} into %o{1}[{2}] "
                       "[{3}] [1] : tensor<{3}xf32> into tensor<{4}xf32>\n",
                       j + 1, j, offset, n, totalOut);
    offset += n;
  }
  s +=
      store("o" + std::to_string(sig.results.size()), "out", {totalOut}, "f32");
  s += "  return\n}\n";
  return s;
}

/// Operand values: moderate normals, with every special in the mix (NaN and
/// infinities only with `specials`: one of them makes every whole-tensor
/// scale, and every output of a contraction over it, NaN).
std::vector<float> inputs(int64_t n, std::mt19937_64 &rng, bool specials) {
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::uniform_int_distribution<int> pick(0, 99);
  std::vector<float> v(n);
  for (float &x : v) {
    int p = pick(rng);
    if (!specials && p < 2)
      p = 8;
    if (p == 0)
      x = NAN;
    else if (p == 1)
      x = p % 2 ? INFINITY : -INFINITY;
    else if (p == 2)
      x = -0.0f;
    else if (p == 3)
      x = 1e-40f; // subnormal
    else if (p == 4)
      x = 0.0f;
    else if (p < 8)
      x = normal(rng) * 1e4f; // beyond FP8's range
    else
      x = normal(rng);
  }
  return v;
}

using CpuFn = void(Memref1D *, int64_t, Memref1D *);

/// Runs `step` through the CPU lowering, compiled once, on each input set.
std::vector<std::vector<float>>
runCpu(const AccelCase &c, const Signature &sig,
       llvm::ArrayRef<std::vector<float>> inputSets, uint64_t seed,
       int64_t totalOut) {
  auto ctx = createJitContext();
  auto engine = jitCompile(*ctx, c.module + cpuWrapper(sig, c.function));
  EXPECT_TRUE(!!engine) << llvm::toString(engine.takeError());
  if (!engine)
    return {};
  auto fn = lookupCInterface<CpuFn>(**engine, "cpu");
  EXPECT_TRUE(!!fn) << llvm::toString(fn.takeError());
  if (!fn)
    return {};
  std::vector<std::vector<float>> outs;
  for (const std::vector<float> &in : inputSets) {
    std::vector<float> input = in, out(totalOut);
    Memref1D inRef = view(input, input.size()), outRef = view(out, out.size());
    (*fn)(&inRef, static_cast<int64_t>(seed), &outRef);
    outs.push_back(std::move(out));
  }
  return outs;
}

/// Runs `step` through the qtrain-to-accel pipeline, the binary and
/// qtrain-sim.
std::vector<float> runAccel(const AccelCase &c, const Signature &sig,
                            const std::vector<float> &in, uint64_t seed,
                            int64_t totalOut,
                            ConvertQTrainToAccelOptions options,
                            const accel::MachineDescription &machine,
                            std::string *capacityError = nullptr) {
  options.function = c.function;
  auto ctx = createJitContext();
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceString<mlir::ModuleOp>(c.module, ctx.get());
  EXPECT_TRUE(!!module);
  if (!module)
    return {};
  if (!c.state.empty()) {
    auto func = module->lookupSymbol<mlir::func::FuncOp>(c.function);
    EXPECT_TRUE(mlir::succeeded(accel::specializeControl(func, c.state)));
  }
  mlir::PassManager pm(ctx.get());
  buildQTrainToAccelPipeline(pm, options);
  std::string diagnostics;
  {
    llvm::raw_string_ostream os(diagnostics);
    mlir::ScopedDiagnosticHandler handler(ctx.get(), [&](mlir::Diagnostic &d) {
      os << d << "\n";
      return mlir::success();
    });
    if (mlir::failed(pm.run(*module))) {
      // A program too large for a deliberately small machine is not a
      // mapping bug; the caller decides.
      if (capacityError &&
          (llvm::StringRef(diagnostics).contains("not fit") ||
           llvm::StringRef(diagnostics).contains("must fit"))) {
        *capacityError = diagnostics;
        return {};
      }
      ADD_FAILURE() << "convert-qtrain-to-accel failed:\n" << diagnostics;
      return {};
    }
  }
  auto program = accel::findProgram(*module);
  EXPECT_TRUE(mlir::succeeded(program));
  if (mlir::failed(program))
    return {};
  auto insts = accel::exportProgram(*program);
  EXPECT_TRUE(mlir::succeeded(insts));
  if (mlir::failed(insts))
    return {};
  // Through the binary, as qtrain-sim reads it.
  std::vector<uint8_t> bytes = accel::encodeStream(*insts);
  auto decoded = accel::decodeStream(bytes);
  EXPECT_TRUE(!!decoded) << llvm::toString(decoded.takeError());
  if (!decoded)
    return {};

  auto sim = accel::sim::Simulator::create(machine);
  EXPECT_TRUE(!!sim) << llvm::toString(sim.takeError());
  if (!sim)
    return {};
  auto buffers = (*program)->getAttrOfType<mlir::ArrayAttr>("accel.buffers");
  // Inputs in argument order; outputs named resultN (a copy's buffer comes
  // after the intermediates).
  std::vector<std::pair<uint64_t, uint64_t>> outputs(sig.results.size());
  size_t argIndex = 0;
  int64_t offset = 0;
  for (mlir::Attribute attr : buffers) {
    auto dict = llvm::cast<mlir::DictionaryAttr>(attr);
    uint64_t address = dict.getAs<mlir::IntegerAttr>("address").getInt();
    uint64_t size = dict.getAs<mlir::IntegerAttr>("bytes").getInt();
    llvm::StringRef role = dict.getAs<mlir::StringAttr>("role").getValue();
    if (role == "output") {
      llvm::StringRef name = dict.getAs<mlir::StringAttr>("name").getValue();
      unsigned j = 0;
      EXPECT_TRUE(name.consume_front("result") && !name.getAsInteger(10, j) &&
                  j < outputs.size())
          << name.str();
      if (j < outputs.size())
        outputs[j] = {address, size};
      continue;
    }
    if (role != "input")
      continue;
    std::vector<uint8_t> image(size);
    if (static_cast<int>(argIndex) == sig.seedArg) {
      std::memcpy(image.data(), &seed, 8);
    } else {
      std::memcpy(image.data(), in.data() + offset, size);
      offset += size / 4;
    }
    ++argIndex;
    if (llvm::Error err = (*sim)->writeDram(address, image)) {
      ADD_FAILURE() << llvm::toString(std::move(err));
      return {};
    }
  }
  if (llvm::Error err = (*sim)->run(*decoded)) {
    ADD_FAILURE() << "qtrain-sim: " << llvm::toString(std::move(err));
    return {};
  }
  std::vector<float> out;
  EXPECT_EQ(outputs.size(), sig.results.size());
  for (auto [j, region] : llvm::enumerate(outputs)) {
    auto [address, size] = region;
    std::vector<uint8_t> bytesOut(size);
    if (llvm::Error err = (*sim)->readDram(address, bytesOut)) {
      ADD_FAILURE() << llvm::toString(std::move(err));
      return {};
    }
    // Codes (cw bits each, 4-bit ones two per byte, the even element in the
    // low nibble; block scale codes a byte each; i1 a word each: the
    // manifest's bytes say which) zero-extended into an f32 lane, as the
    // CPU wrapper does.
    int64_t n = product(sig.results[j]);
    if (sig.wideResult[j]) { // i64: two words each
      for (int64_t e = 0; e < 2 * n; ++e) {
        uint32_t v;
        std::memcpy(&v, bytesOut.data() + 4 * e, 4);
        out.push_back(llvm::bit_cast<float>(v));
      }
      continue;
    }
    unsigned bits = 32;
    for (unsigned w : {32u, 16u, 8u, 4u})
      if (static_cast<uint64_t>(size) == llvm::divideCeil(uint64_t(n) * w, 8)) {
        bits = w;
        break;
      }
    for (int64_t e = 0; e < n; ++e) {
      uint32_t v = 0;
      if (bits == 4)
        v = (bytesOut[e / 2] >> (4 * (e % 2))) & 0xf;
      else
        std::memcpy(&v, bytesOut.data() + e * bits / 8, bits / 8);
      out.push_back(llvm::bit_cast<float>(v));
    }
  }
  EXPECT_EQ(static_cast<int64_t>(out.size()), totalOut);
  return out;
}

std::string matmulStep(llvm::StringRef qa, llvm::StringRef qb,
                       llvm::StringRef attrs, int64_t m, int64_t k, int64_t n,
                       bool ta = false, bool tb = false) {
  std::string aType = ta ? tensorType({k, m}) : tensorType({m, k});
  std::string bType = tb ? tensorType({n, k}) : tensorType({k, n});
  std::string cType = tensorType({m, n});
  std::string s = "func.func @step(%a: " + aType + ", %b: " + bType +
                  ", %seed: i64) -> " + cType + " {\n";
  s += "  %c = arith.constant 1099511627776 : i64\n"
       "  %s1 = arith.addi %seed, %c : i64\n";
  auto quantize = [&](llvm::StringRef name, llvm::StringRef v,
                      llvm::StringRef spec, llvm::StringRef type,
                      llvm::StringRef seedName) -> std::string {
    if (spec.empty())
      return "";
    std::string seedText =
        spec.contains("stochastic") ? " seed(" + seedName.str() + ")" : "";
    return ("  %" + name + " = qtrain.quantize %" + v + seedText + " {" + spec +
            "} : " + type + "\n")
        .str();
  };
  s += quantize("qa", "a", qa, aType, "%seed");
  s += quantize("qb", "b", qb, bType, "%s1");
  std::string attrList = attrs.str();
  for (const char *flag : {ta ? "transpose_a" : "", tb ? "transpose_b" : ""})
    if (*flag)
      attrList += (attrList.empty() ? "" : ", ") + std::string(flag);
  s += "  %y = qtrain.matmul " + std::string(qa.empty() ? "%a" : "%qa") + ", " +
       (qb.empty() ? "%b" : "%qb") + " {" + attrList + "} : " + aType + ", " +
       bType + " -> " + cType + "\n";
  s += "  return %y : " + cType + "\n}\n";
  return s;
}

const char *kE4M3 = "format = #qtrain.fp<e4m3fn, overflow = saturate>";
const char *kFp12 = "#qtrain.fp<fp12_dga>";

/// qtrain-model's training step quantized by a bundled recipe, as
/// qtrain-train holds it (each pipeline decomposes it: the accelerator's
/// keeps the zero-setting errors whole): the MLP (batch 8, 32-16-10),
/// LeNet or the residual CNN on 12 x 12 images (batch 4: convolutions,
/// pools, their gradients, the skip connection's crop).
std::string modelStep(llvm::StringRef model, llvm::StringRef recipe) {
  auto ctx = createJitContext();
  llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>> module = nullptr;
  if (model == "lenet" || model == "resnet") {
    models::ConvNetOptions options;
    options.step.batch = 4;
    options.height = options.width = 12;
    module = model == "lenet" ? models::buildLeNet(*ctx, options)
                              : models::buildResNet(*ctx, options);
  } else {
    models::MlpOptions options;
    options.step.batch = 8;
    options.inputs = 32;
    options.hidden = {16};
    module = models::buildMlp(*ctx, options);
  }
  if (!module) {
    ADD_FAILURE() << llvm::toString(module.takeError());
    return "";
  }
  mlir::PassManager pm(ctx.get());
  buildQTrainQuantizePipeline(pm, recipe);
  if (mlir::failed(pm.run(**module))) {
    ADD_FAILURE() << "qtrain-quantize{recipe=" << recipe.str() << "} failed";
    return "";
  }
  // The functions alone (not their module), so the CPU wrapper can follow.
  std::string text;
  llvm::raw_string_ostream os(text);
  for (mlir::Operation &op : (*module)->getBody()->getOperations()) {
    op.print(os);
    os << "\n";
  }
  return text;
}

/// Elementwise ops, a broadcast, reductions by accumulation (along the
/// second loop and along the first) and one by slices (a select on the
/// label), as the cross-entropy loss has them; 64 x 40 so that the small
/// machine tiles them.
/// linalg.matmul (on the vector unit: products rounded before each add), a
/// splat tensor constant and an i1 tensor between a compare and a select.
const char *kLinalgMatmul = R"mlir(
func.func @step(%a: tensor<8x16xf32>, %w: tensor<16x8xf32>) -> tensor<8x8xf32> {
  %zero = arith.constant 0.0 : f32
  %init = tensor.empty() : tensor<8x8xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%init : tensor<8x8xf32>) -> tensor<8x8xf32>
  %y = linalg.matmul ins(%a, %w : tensor<8x16xf32>, tensor<16x8xf32>)
                     outs(%acc : tensor<8x8xf32>) -> tensor<8x8xf32>
  %half = arith.constant dense<0.5> : tensor<8x8xf32>
  %pos = arith.cmpf ogt, %y, %half : tensor<8x8xf32>
  %r = arith.select %pos, %y, %half : tensor<8x8xi1>, tensor<8x8xf32>
  return %r : tensor<8x8xf32>
}
)mlir";

/// Codes and scales as results: 4-bit codes (two per byte in DRAM) with
/// row and column blocks, stochastic rounding, integer codes.
const char *kEncodeOutputs = R"mlir(
func.func @step(%x: tensor<64x48xf32>, %seed: i64)
    -> (tensor<64x48xf4E2M1FN>, tensor<64x2xf8E8M0FNU>,
        tensor<64x48xf4E2M1FN>, tensor<2x48xf8E8M0FNU>,
        tensor<64x48xi8>, tensor<64x2xf8E8M0FNU>) {
  %c1, %s1 = qtrain.encode %x {format = #qtrain.scaled<mxfp4_e2m1>}
      : tensor<64x48xf32> -> tensor<64x48xf4E2M1FN>, tensor<64x2xf8E8M0FNU>
  %c2, %s2 = qtrain.encode %x seed(%seed) {format = #qtrain.scaled<#qtrain.fp<e2m1fn>, [#qtrain.scale_level<[32, 1], e8m0, shared_exponent>]>, rounding = #qtrain.rounding<stochastic, bits = 3>}
      : tensor<64x48xf32> -> tensor<64x48xf4E2M1FN>, tensor<2x48xf8E8M0FNU>
  %c3, %s3 = qtrain.encode %x {format = #qtrain.scaled<mxint8>}
      : tensor<64x48xf32> -> tensor<64x48xi8>, tensor<64x2xf8E8M0FNU>
  return %c1, %s1, %c2, %s2, %c3, %s3
      : tensor<64x48xf4E2M1FN>, tensor<64x2xf8E8M0FNU>,
        tensor<64x48xf4E2M1FN>, tensor<2x48xf8E8M0FNU>,
        tensor<64x48xi8>, tensor<64x2xf8E8M0FNU>
}
)mlir";

/// Histograms in DRAM as i64 counts: adaptive-bias FP8's running median
/// histogram (added to twice without reset, its median read back and turned
/// into a scale), an exponent histogram, and a histogram argument returned
/// unchanged (copied word by word).
const char *kHistograms = R"mlir(
func.func @step(%x: tensor<16x40xf32>, %y: tensor<8x8xf32>, %h: tensor<557xi64>, %k: tensor<557xi64>)
    -> (tensor<557xi64>, tensor<f32>, tensor<f32>, tensor<280xi64>, tensor<557xi64>, tensor<f32>) {
  %h1 = qtrain.median_histogram %x, %h : tensor<16x40xf32>, tensor<557xi64>
  %h2 = qtrain.median_histogram %y, %h1 : tensor<8x8xf32>, tensor<557xi64>
  %m = qtrain.histogram_median %h2 {nonzero} : tensor<557xi64> -> tensor<f32>
  %m0 = qtrain.histogram_median %h2 : tensor<557xi64> -> tensor<f32>
  %e = qtrain.exponent_histogram %x : tensor<16x40xf32> -> tensor<280xi64>
  %s = qtrain.select_scale %m {element = #qtrain.fp<e5m2, specials = none, subnormals = false>, level = #qtrain.scale_level<tensor, e8m0, median_lookup, median_exponent = 1, nonzero>} : tensor<f32>
  return %h2, %m, %m0, %e, %k, %s : tensor<557xi64>, tensor<f32>, tensor<f32>, tensor<280xi64>, tensor<557xi64>, tensor<f32>
}
)mlir";

/// Step counters: a 0-d i64 tensor plus constants whose low words carry
/// into the high word (2^32 - 1, -1), and a constant.
const char *kCounters = R"mlir(
func.func @step(%n: tensor<i64>) -> (tensor<i64>, tensor<i64>, tensor<i64>, tensor<i64>) {
  %c1 = arith.constant 1 : i64
  %big = arith.constant 4294967295 : i64
  %m1 = arith.constant -1 : i64
  %c7 = arith.constant 7 : i64
  %v = tensor.extract %n[] : tensor<i64>
  %a = arith.addi %v, %c1 : i64
  %b = arith.addi %big, %v : i64
  %c = arith.addi %v, %m1 : i64
  %ta = tensor.from_elements %a : tensor<i64>
  %tb = tensor.from_elements %b : tensor<i64>
  %tc = tensor.from_elements %c : tensor<i64>
  %td = tensor.from_elements %c7 : tensor<i64>
  return %ta, %tb, %tc, %td : tensor<i64>, tensor<i64>, tensor<i64>, tensor<i64>
}
)mlir";

/// Scalar code between 0-d tensors (ScalarMapping.cpp): i64 words with
/// carries and borrows, every compare predicate (on values whose high words
/// differ, whose high words are equal, and equal values), min/max,
/// selects, extensions and truncations, f32 scalars, i1 logic. The i64
/// arguments are drawn signed with 2^32 boundaries, INT64_MIN and INT64_MAX.
const char *kScalars = R"mlir(
func.func @step(%ta: tensor<i64>, %tb: tensor<i64>, %tx: tensor<f32>, %ty: tensor<f32>)
    -> (tensor<i64>, tensor<i64>, tensor<i64>, tensor<i64>, tensor<i64>,
        tensor<i64>, tensor<i64>, tensor<i64>, tensor<i64>, tensor<i64>,
        tensor<i64>, tensor<i64>, tensor<i64>, tensor<i64>, tensor<i64>,
        tensor<i32>, tensor<i1>,
        tensor<i1>, tensor<i1>, tensor<i1>, tensor<i1>, tensor<i1>,
        tensor<i1>, tensor<i1>, tensor<i1>, tensor<i1>, tensor<i1>,
        tensor<i1>, tensor<i1>, tensor<i1>, tensor<i1>, tensor<i1>,
        tensor<i1>, tensor<i1>, tensor<i1>,
        tensor<f32>, tensor<f32>, tensor<f32>, tensor<f32>, tensor<f32>,
        tensor<i1>, tensor<i1>, tensor<i1>) {
  %true = arith.constant true
  %c0 = arith.constant 0 : i64
  %c1 = arith.constant 1 : i64
  %cm1 = arith.constant -1 : i64
  %lowbit = arith.constant 2147483648 : i64
  %highbit = arith.constant 4294967296 : i64
  %a = tensor.extract %ta[] : tensor<i64>
  %b = tensor.extract %tb[] : tensor<i64>
  %x = tensor.extract %tx[] : tensor<f32>
  %y = tensor.extract %ty[] : tensor<f32>
  %add = arith.addi %a, %b : i64
  %sub = arith.subi %a, %b : i64
  %minsi = arith.minsi %a, %b : i64
  %maxsi = arith.maxsi %a, %b : i64
  %minui = arith.minui %a, %b : i64
  %maxui = arith.maxui %a, %b : i64
  %and = arith.andi %a, %b : i64
  %or = arith.ori %a, %b : i64
  %xor = arith.xori %a, %b : i64
  %lt = arith.cmpf olt, %x, %y : f32
  %sel = arith.select %lt, %a, %b : i64
  %a32 = arith.trunci %a : i64 to i32
  %b32 = arith.trunci %b : i64 to i32
  %exts = arith.extsi %a32 : i32 to i64
  %extu = arith.extui %b32 : i32 to i64
  %extsb = arith.extsi %lt : i1 to i64
  %extub = arith.extui %lt : i1 to i64
  // flexblock-dynamic's streak update, on a drawn streak.
  %m = arith.minsi %a, %c0 : i64
  %m1 = arith.subi %m, %c1 : i64
  %down = arith.select %lt, %m1, %c0 : i64
  %n = arith.maxsi %a, %c0 : i64
  %n1 = arith.addi %n, %c1 : i64
  %gt = arith.cmpf ogt, %x, %y : f32
  %streak = arith.select %gt, %n1, %down : i64
  %neg = arith.subi %c0, %streak : i64
  %abs = arith.maxsi %streak, %neg : i64
  %sum32 = arith.addi %a32, %b32 : i32
  %odd = arith.trunci %b : i64 to i1
  // Compares: a and b; a and a with the low word's top bit flipped (high
  // words equal: the low words compare unsigned);
  // a and a with another high word (low words equal); a and itself.
  %al = arith.xori %a, %lowbit : i64
  %ah = arith.xori %a, %highbit : i64
  %a2 = arith.subi %add, %b : i64
  %p0 = arith.cmpi eq, %a, %b : i64
  %p1 = arith.cmpi ne, %a, %b : i64
  %p2 = arith.cmpi slt, %a, %b : i64
  %p3 = arith.cmpi sle, %a, %b : i64
  %p4 = arith.cmpi sgt, %a, %b : i64
  %p5 = arith.cmpi sge, %a, %b : i64
  %p6 = arith.cmpi ult, %a, %b : i64
  %p7 = arith.cmpi ule, %a, %b : i64
  %p8 = arith.cmpi ugt, %a, %b : i64
  %p9 = arith.cmpi uge, %a, %b : i64
  %q0 = arith.cmpi slt, %a, %al : i64
  %q1 = arith.cmpi uge, %a, %al : i64
  %q2 = arith.cmpi sle, %a, %ah : i64
  %q3 = arith.cmpi ugt, %a, %ah : i64
  %q4 = arith.cmpi eq, %a, %a2 : i64
  %q5 = arith.cmpi sge, %a, %a2 : i64
  %q6 = arith.cmpi ne, %a, %ah : i64
  %q7 = arith.cmpi ult, %a, %a2 : i64
  %fadd = arith.addf %x, %y : f32
  %fdiv = arith.divf %x, %y : f32
  %fsel = arith.select %gt, %x, %y : f32
  %fmax = arith.maximumf %x, %y : f32
  %fneg = arith.negf %x : f32
  %land = arith.andi %lt, %p2 : i1
  %lor = arith.ori %gt, %p6 : i1
  %lnot = arith.xori %lt, %true : i1
  %r0 = tensor.from_elements %add : tensor<i64>
  %r1 = tensor.from_elements %sub : tensor<i64>
  %r2 = tensor.from_elements %minsi : tensor<i64>
  %r3 = tensor.from_elements %maxsi : tensor<i64>
  %r4 = tensor.from_elements %minui : tensor<i64>
  %r5 = tensor.from_elements %maxui : tensor<i64>
  %r6 = tensor.from_elements %and : tensor<i64>
  %r7 = tensor.from_elements %or : tensor<i64>
  %r8 = tensor.from_elements %xor : tensor<i64>
  %r9 = tensor.from_elements %sel : tensor<i64>
  %r10 = tensor.from_elements %exts : tensor<i64>
  %r11 = tensor.from_elements %extu : tensor<i64>
  %r12 = tensor.from_elements %extsb : tensor<i64>
  %r13 = tensor.from_elements %extub : tensor<i64>
  %r14 = tensor.from_elements %abs : tensor<i64>
  %r15 = tensor.from_elements %sum32 : tensor<i32>
  %r16 = tensor.from_elements %odd : tensor<i1>
  %s0 = tensor.from_elements %p0 : tensor<i1>
  %s1 = tensor.from_elements %p1 : tensor<i1>
  %s2 = tensor.from_elements %p2 : tensor<i1>
  %s3 = tensor.from_elements %p3 : tensor<i1>
  %s4 = tensor.from_elements %p4 : tensor<i1>
  %s5 = tensor.from_elements %p5 : tensor<i1>
  %s6 = tensor.from_elements %p6 : tensor<i1>
  %s7 = tensor.from_elements %p7 : tensor<i1>
  %s8 = tensor.from_elements %p8 : tensor<i1>
  %s9 = tensor.from_elements %p9 : tensor<i1>
  %t0 = tensor.from_elements %q0 : tensor<i1>
  %t1 = tensor.from_elements %q1 : tensor<i1>
  %t2 = tensor.from_elements %q2 : tensor<i1>
  %t3 = tensor.from_elements %q3 : tensor<i1>
  %t4 = tensor.from_elements %q4 : tensor<i1>
  %t5 = tensor.from_elements %q5 : tensor<i1>
  %t6 = tensor.from_elements %q6 : tensor<i1>
  %t7 = tensor.from_elements %q7 : tensor<i1>
  %f0 = tensor.from_elements %fadd : tensor<f32>
  %f1 = tensor.from_elements %fdiv : tensor<f32>
  %f2 = tensor.from_elements %fsel : tensor<f32>
  %f3 = tensor.from_elements %fmax : tensor<f32>
  %f4 = tensor.from_elements %fneg : tensor<f32>
  %l0 = tensor.from_elements %land : tensor<i1>
  %l1 = tensor.from_elements %lor : tensor<i1>
  %l2 = tensor.from_elements %lnot : tensor<i1>
  return %r0, %r1, %r2, %r3, %r4, %r5, %r6, %r7, %r8, %r9, %r10, %r11, %r12,
         %r13, %r14, %r15, %r16, %s0, %s1, %s2, %s3, %s4, %s5, %s6, %s7, %s8,
         %s9, %t0, %t1, %t2, %t3, %t4, %t5, %t6, %t7, %f0, %f1, %f2, %f3, %f4,
         %l0, %l1, %l2
    : tensor<i64>, tensor<i64>, tensor<i64>, tensor<i64>, tensor<i64>,
      tensor<i64>, tensor<i64>, tensor<i64>, tensor<i64>, tensor<i64>,
      tensor<i64>, tensor<i64>, tensor<i64>, tensor<i64>, tensor<i64>,
      tensor<i32>, tensor<i1>,
      tensor<i1>, tensor<i1>, tensor<i1>, tensor<i1>, tensor<i1>,
      tensor<i1>, tensor<i1>, tensor<i1>, tensor<i1>, tensor<i1>,
      tensor<i1>, tensor<i1>, tensor<i1>, tensor<i1>, tensor<i1>,
      tensor<i1>, tensor<i1>, tensor<i1>,
      tensor<f32>, tensor<f32>, tensor<f32>, tensor<f32>, tensor<f32>,
      tensor<i1>, tensor<i1>, tensor<i1>
}
)mlir";

/// qtrain.median on the statistics registers' median selections: exact
/// (radix selection) and approximate (three passes of `bins` bins), of all
/// and of the non-zero values, over inputs with NaN, infinities, signed
/// zeros and subnormals; an all-equal tensor (the approximation done after
/// its first pass); concatenations along dimension 0 and along a dimension
/// after extents of 1.
const char *kMedians = R"mlir(
func.func @step(%x: tensor<37x29xf32>, %y: tensor<1x300xf32>, %z: tensor<1x77xf32>)
    -> (tensor<f32>, tensor<f32>, tensor<f32>, tensor<f32>, tensor<f32>,
        tensor<f32>, tensor<f32>, tensor<1x377xf32>) {
  %m0 = qtrain.median %x : tensor<37x29xf32> -> tensor<f32>
  %m1 = qtrain.median %x {nonzero} : tensor<37x29xf32> -> tensor<f32>
  %m2 = qtrain.median %x {approx} : tensor<37x29xf32> -> tensor<f32>
  %m3 = qtrain.median %x {approx, bins = 7 : i32, nonzero} : tensor<37x29xf32> -> tensor<f32>
  %two = arith.constant dense<2.0> : tensor<16xf32>
  %m4 = qtrain.median %two {approx} : tensor<16xf32> -> tensor<f32>
  %flat = tensor.collapse_shape %x [[0, 1]] : tensor<37x29xf32> into tensor<1073xf32>
  %yz = tensor.concat dim(1) %y, %z : (tensor<1x300xf32>, tensor<1x77xf32>) -> tensor<1x377xf32>
  %yf = tensor.collapse_shape %yz [[0, 1]] : tensor<1x377xf32> into tensor<377xf32>
  %all = tensor.concat dim(0) %flat, %yf : (tensor<1073xf32>, tensor<377xf32>) -> tensor<1450xf32>
  %m5 = qtrain.median %all : tensor<1450xf32> -> tensor<f32>
  %m6 = qtrain.median %all {approx, bins = 20 : i32} : tensor<1450xf32> -> tensor<f32>
  return %m0, %m1, %m2, %m3, %m4, %m5, %m6, %yz
      : tensor<f32>, tensor<f32>, tensor<f32>, tensor<f32>, tensor<f32>,
        tensor<f32>, tensor<f32>, tensor<1x377xf32>
}
)mlir";

/// Whole-tensor levels in storage form: the scale's f32 value stored beside
/// the codes (and block scale codes), and read back by the decodes.
const char *kTensorScaleCodes = R"mlir(
func.func @step(%x: tensor<4x16x4x4xf32>, %y: tensor<24x40xf32>)
    -> (tensor<4x16x4x4xi7>, tensor<1x1x1x1xf32>, tensor<4x1x4x4xi3>,
        tensor<4x16x4x4xf32>, tensor<24x40xf8E4M3FN>, tensor<1x1xf32>,
        tensor<24x40xf32>) {
  %c, %ts, %gs = qtrain.encode %x {format = #qtrain.scaled<mls_e2m4>}
      : tensor<4x16x4x4xf32> -> tensor<4x16x4x4xi7>, tensor<1x1x1x1xf32>, tensor<4x1x4x4xi3>
  %dx = qtrain.decode %c, %ts, %gs {format = #qtrain.scaled<mls_e2m4>}
      : tensor<4x16x4x4xi7>, tensor<1x1x1x1xf32>, tensor<4x1x4x4xi3> -> tensor<4x16x4x4xf32>
  %cy, %sy = qtrain.encode %y {format = #qtrain.scaled<#qtrain.fp<e4m3fn>, [#qtrain.scale_level<tensor, f32, amax_to_max>]>}
      : tensor<24x40xf32> -> tensor<24x40xf8E4M3FN>, tensor<1x1xf32>
  %dy = qtrain.decode %cy, %sy {format = #qtrain.scaled<#qtrain.fp<e4m3fn>, [#qtrain.scale_level<tensor, f32, amax_to_max>]>}
      : tensor<24x40xf8E4M3FN>, tensor<1x1xf32> -> tensor<24x40xf32>
  return %c, %ts, %gs, %dx, %cy, %sy, %dy
      : tensor<4x16x4x4xi7>, tensor<1x1x1x1xf32>, tensor<4x1x4x4xi3>,
        tensor<4x16x4x4xf32>, tensor<24x40xf8E4M3FN>, tensor<1x1xf32>,
        tensor<24x40xf32>
}
)mlir";

/// FlexBlock blocks of 24 of 48 channels by a 3 x 3 run: a quantize through
/// the ACC and an encode/decode round trip on the [96, 9] view.
const char *kFlexBlockRuns = R"mlir(
func.func @step(%w: tensor<2x48x3x3xf32>)
    -> (tensor<2x48x3x3xf32>, tensor<2x48x3x3xi5>, tensor<2x2x1x1xf8E8M0FNU>,
        tensor<2x48x3x3xf32>) {
  %q = qtrain.quantize %w {format = #qtrain.scaled<fb16>} : tensor<2x48x3x3xf32>
  %c, %s = qtrain.encode %w {format = #qtrain.scaled<fb12>, rounding = #qtrain.rounding<toward_zero>}
      : tensor<2x48x3x3xf32> -> tensor<2x48x3x3xi5>, tensor<2x2x1x1xf8E8M0FNU>
  %d = qtrain.decode %c, %s {format = #qtrain.scaled<fb12>}
      : tensor<2x48x3x3xi5>, tensor<2x2x1x1xf8E8M0FNU> -> tensor<2x48x3x3xf32>
  return %q, %c, %s, %d : tensor<2x48x3x3xf32>, tensor<2x48x3x3xi5>,
      tensor<2x2x1x1xf8E8M0FNU>, tensor<2x48x3x3xf32>
}
)mlir";

/// FlexBlock blocks over 3 x 3 windows of activations, which do not merge
/// into a matrix: volumes of (c, h, w) with partial blocks at the ends,
/// merged with the batch where the blocks cover the channels ([1, 24, 3, 3]
/// of 24 channels), one volume per image where they do not ([1, 12, 3, 3]
/// of 16); stochastic rounding (stream indices along z) and the
/// zero-setting error over the same tiles.
const char *kFlexBlockVolumes = R"mlir(
func.func @step(%x: tensor<2x24x7x5xf32>, %e: tensor<3x16x4x7xf32>, %seed: i64)
    -> (tensor<2x24x7x5xf32>, tensor<3x16x4x7xf32>, tensor<f32>, tensor<f32>) {
  %a = qtrain.quantize %x {format = #qtrain.scaled<fb12>, rounding = #qtrain.rounding<toward_zero>}
      : tensor<2x24x7x5xf32>
  %b = qtrain.quantize %e seed(%seed) {format = #qtrain.scaled<fb16>,
                                       rounding = #qtrain.rounding<stochastic, bits = 4>}
      : tensor<3x16x4x7xf32>
  %za = qtrain.zero_setting_error %x {format = #qtrain.scaled<fb12>, rounding = #qtrain.rounding<toward_zero>}
      : tensor<2x24x7x5xf32> -> tensor<f32>
  %zb = qtrain.zero_setting_error %e {format = #qtrain.scaled<fb16>}
      : tensor<3x16x4x7xf32> -> tensor<f32>
  return %a, %b, %za, %zb : tensor<2x24x7x5xf32>, tensor<3x16x4x7xf32>, tensor<f32>, tensor<f32>
}
)mlir";

/// Generics the vector unit's 3-D views reach after rewriting: a bias added
/// over NCHW (four loops, the spatial pair merged), rows longer than an ACC
/// half (tiles split the second loop, then the third), a column sum over
/// NCHW (reduction loops merged), and a fill of rank 4.
const char *kWideGenerics = R"mlir(
#nchw = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#chan = affine_map<(d0, d1, d2, d3) -> (d1)>
#id2 = affine_map<(d0, d1) -> (d0, d1)>
#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
func.func @step(%x: tensor<3x5x12x11xf32>, %b: tensor<5xf32>, %w: tensor<2x3000xf32>,
                %v: tensor<2x3x2500xf32>)
    -> (tensor<3x5x12x11xf32>, tensor<5xf32>, tensor<2x3000xf32>, tensor<2x3x2500xf32>,
        tensor<2x3x4x5xf32>) {
  %e = tensor.empty() : tensor<3x5x12x11xf32>
  %y = linalg.generic {indexing_maps = [#nchw, #chan, #nchw], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x, %b : tensor<3x5x12x11xf32>, tensor<5xf32>) outs(%e : tensor<3x5x12x11xf32>) {
  ^bb0(%a: f32, %c: f32, %o: f32):
    %s = arith.addf %a, %c : f32
    linalg.yield %s : f32
  } -> tensor<3x5x12x11xf32>
  %zero = arith.constant 0.0 : f32
  %e1 = tensor.empty() : tensor<5xf32>
  %z1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<5xf32>) -> tensor<5xf32>
  %g = linalg.generic {indexing_maps = [#nchw, #chan], iterator_types = ["reduction", "parallel", "reduction", "reduction"]}
      ins(%x : tensor<3x5x12x11xf32>) outs(%z1 : tensor<5xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.addf %o, %a : f32
    linalg.yield %s : f32
  } -> tensor<5xf32>
  %e2 = tensor.empty() : tensor<2x3000xf32>
  %n = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%w : tensor<2x3000xf32>) outs(%e2 : tensor<2x3000xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.mulf %a, %a : f32
    linalg.yield %m : f32
  } -> tensor<2x3000xf32>
  %e3 = tensor.empty() : tensor<2x3x2500xf32>
  %r = linalg.generic {indexing_maps = [#id3, #id3], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%v : tensor<2x3x2500xf32>) outs(%e3 : tensor<2x3x2500xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.negf %a : f32
    linalg.yield %m : f32
  } -> tensor<2x3x2500xf32>
  %half = arith.constant 0.5 : f32
  %e4 = tensor.empty() : tensor<2x3x4x5xf32>
  %f = linalg.fill ins(%half : f32) outs(%e4 : tensor<2x3x4x5xf32>) -> tensor<2x3x4x5xf32>
  return %y, %g, %n, %r, %f : tensor<3x5x12x11xf32>, tensor<5xf32>, tensor<2x3000xf32>,
      tensor<2x3x2500xf32>, tensor<2x3x4x5xf32>
}
)mlir";

/// Max pooling (LeNet's 2 x 2, stride 2, from a fill of -inf; a 3 x 3
/// window with stride 1 and dilation 2 over an initial tensor).
const char *kPooling = R"mlir(
func.func @step(%x: tensor<2x3x8x6xf32>, %init: tensor<2x3x4x2xf32>)
    -> (tensor<2x3x4x3xf32>, tensor<2x3x4x2xf32>) {
  %ninf = arith.constant 0xFF800000 : f32
  %e = tensor.empty() : tensor<2x3x4x3xf32>
  %f = linalg.fill ins(%ninf : f32) outs(%e : tensor<2x3x4x3xf32>) -> tensor<2x3x4x3xf32>
  %w2 = tensor.empty() : tensor<2x2xf32>
  %p = linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%x, %w2 : tensor<2x3x8x6xf32>, tensor<2x2xf32>) outs(%f : tensor<2x3x4x3xf32>) -> tensor<2x3x4x3xf32>
  %w3 = tensor.empty() : tensor<3x3xf32>
  %q = linalg.pooling_nchw_max {dilations = dense<2> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w3 : tensor<2x3x8x6xf32>, tensor<3x3xf32>) outs(%init : tensor<2x3x4x2xf32>) -> tensor<2x3x4x2xf32>
  return %p, %q : tensor<2x3x4x3xf32>, tensor<2x3x4x2xf32>
}
)mlir";

/// A max-pool gradient (the model's: the window's gradient to its first
/// maximum), whose maps divide the spatial loops: one generic per residue
/// of (h, w) modulo 2 over reshaped operands.
const char *kMaxPoolGradient = R"mlir(
#map = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#map7 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2 floordiv 2, d3 floordiv 2)>
#map8 = affine_map<(d0, d1, d2, d3) -> (d0, d1, (d2 floordiv 2) * 2, (d3 floordiv 2) * 2)>
#map9 = affine_map<(d0, d1, d2, d3) -> (d0, d1, (d2 floordiv 2) * 2, (d3 floordiv 2) * 2 + 1)>
#map10 = affine_map<(d0, d1, d2, d3) -> (d0, d1, (d2 floordiv 2) * 2 + 1, (d3 floordiv 2) * 2)>
func.func @step(%x0: tensor<2x3x4x6xf32>, %g: tensor<2x3x2x3xf32>) -> tensor<2x3x4x6xf32> {
  // ReLU first, as the model does: windows of zeros tie, and the gradient
  // goes to the first (row-major) of them.
  %z = arith.constant 0.0 : f32
  %xe = tensor.empty() : tensor<2x3x4x6xf32>
  %x = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x0 : tensor<2x3x4x6xf32>) outs(%xe : tensor<2x3x4x6xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.maximumf %a, %z : f32
    linalg.yield %r : f32
  } -> tensor<2x3x4x6xf32>
  %ninf = arith.constant 0xFF800000 : f32
  %pe = tensor.empty() : tensor<2x3x2x3xf32>
  %pf = linalg.fill ins(%ninf : f32) outs(%pe : tensor<2x3x2x3xf32>) -> tensor<2x3x2x3xf32>
  %win = tensor.empty() : tensor<2x2xf32>
  %m = linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%x, %win : tensor<2x3x4x6xf32>, tensor<2x2xf32>) outs(%pf : tensor<2x3x2x3xf32>) -> tensor<2x3x2x3xf32>
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %true = arith.constant true
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x3x4x6xf32>
  %r = linalg.generic {indexing_maps = [#map, #map7, #map7, #map8, #map9, #map10, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x, %m, %g, %x, %x, %x : tensor<2x3x4x6xf32>, tensor<2x3x2x3xf32>, tensor<2x3x2x3xf32>, tensor<2x3x4x6xf32>, tensor<2x3x4x6xf32>, tensor<2x3x4x6xf32>)
      outs(%e : tensor<2x3x4x6xf32>) {
  ^bb0(%in: f32, %in_4: f32, %in_5: f32, %in_6: f32, %in_7: f32, %in_8: f32, %out: f32):
    %74 = linalg.index 3 : index
    %75 = arith.remui %74, %c2 : index
    %76 = linalg.index 2 : index
    %77 = arith.remui %76, %c2 : index
    %78 = arith.muli %77, %c2 : index
    %79 = arith.addi %78, %75 : index
    %80 = arith.cmpi ugt, %79, %c0 : index
    %81 = arith.cmpf oeq, %in_6, %in_4 : f32
    %82 = arith.andi %80, %81 : i1
    %83 = arith.cmpi ugt, %79, %c1 : index
    %84 = arith.cmpf oeq, %in_7, %in_4 : f32
    %85 = arith.andi %83, %84 : i1
    %86 = arith.ori %82, %85 : i1
    %87 = arith.cmpi ugt, %79, %c2 : index
    %88 = arith.cmpf oeq, %in_8, %in_4 : f32
    %89 = arith.andi %87, %88 : i1
    %90 = arith.ori %86, %89 : i1
    %91 = arith.xori %90, %true : i1
    %92 = arith.cmpf oeq, %in, %in_4 : f32
    %93 = arith.andi %92, %91 : i1
    %94 = arith.select %93, %in_5, %zero : f32
    linalg.yield %94 : f32
  } -> tensor<2x3x4x6xf32>
  return %r : tensor<2x3x4x6xf32>
}
)mlir";

/// A reduction too large for one tile along its first (reduced) loop: tiles
/// split the next (parallel) loop and accumulate across the reduced one
/// into an output tile kept per parallel range.
const char *kSplitReduction = R"mlir(
#in3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#mid = affine_map<(d0, d1, d2) -> (d1)>
func.func @step(%x: tensor<5x6x900xf32>, %init: tensor<6xf32>) -> tensor<6xf32> {
  %s = linalg.generic {indexing_maps = [#in3, #mid], iterator_types = ["reduction", "parallel", "reduction"]}
      ins(%x : tensor<5x6x900xf32>) outs(%init : tensor<6xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.mulf %a, %a : f32
    %r = arith.addf %o, %m : f32
    linalg.yield %r : f32
  } -> tensor<6xf32>
  return %s : tensor<6xf32>
}
)mlir";

/// FlexBlock volumes of mostly zero activations (blocks of zeros, as ReLU
/// outputs and image backgrounds have; +inf where x > 2, so every block
/// holding one is NaN), computed by generics whose loops were merged: the
/// quantize's blocks are relative to its own shape, not to the merged
/// shape of the buffer it reads.
const char *kFlexBlockZeros = R"mlir(
func.func @step(%x: tensor<2x6x9x7xf32>, %y: tensor<1x6x3x3xf32>)
    -> (tensor<2x6x9x7xf32>, tensor<2x6x9x7xf32>, tensor<1x6x3x3xf32>) {
  %two = arith.constant dense<2.0> : tensor<2x6x9x7xf32>
  %zero = arith.constant dense<0.0> : tensor<2x6x9x7xf32>
  %big = arith.cmpf ogt, %x, %two : tensor<2x6x9x7xf32>
  %inf = arith.divf %x, %zero : tensor<2x6x9x7xf32>
  %s = arith.select %big, %inf, %zero : tensor<2x6x9x7xi1>, tensor<2x6x9x7xf32>
  %a = qtrain.quantize %s {format = #qtrain.scaled<fb12>} : tensor<2x6x9x7xf32>
  %b = qtrain.quantize %s {format = #qtrain.scaled<fb16>} : tensor<2x6x9x7xf32>
  %two1 = arith.constant dense<2.0> : tensor<1x6x3x3xf32>
  %zero1 = arith.constant dense<0.0> : tensor<1x6x3x3xf32>
  %big1 = arith.cmpf ogt, %y, %two1 : tensor<1x6x3x3xf32>
  %inf1 = arith.divf %y, %zero1 : tensor<1x6x3x3xf32>
  %t = arith.select %big1, %inf1, %zero1 : tensor<1x6x3x3xi1>, tensor<1x6x3x3xf32>
  %c = qtrain.quantize %t {format = #qtrain.scaled<fb12>} : tensor<1x6x3x3xf32>
  return %a, %b, %c : tensor<2x6x9x7xf32>, tensor<2x6x9x7xf32>, tensor<1x6x3x3xf32>
}
)mlir";

/// Static slices: the crop of a padded backward-data result (ResNet's
/// skip connection), a strided 2-D slice, a 4-D slice that fits one tile.
const char *kExtractSlices = R"mlir(
func.func @step(%x: tensor<3x4x16x16xf32>, %y: tensor<40x30xf32>, %z: tensor<2x3x4x5xf32>)
    -> (tensor<3x4x14x14xf32>, tensor<13x8xf32>, tensor<2x2x3x2xf32>) {
  %a = tensor.extract_slice %x[0, 0, 1, 1] [3, 4, 14, 14] [1, 1, 1, 1]
      : tensor<3x4x16x16xf32> to tensor<3x4x14x14xf32>
  %b = tensor.extract_slice %y[2, 3] [13, 8] [3, 3] : tensor<40x30xf32> to tensor<13x8xf32>
  %c = tensor.extract_slice %z[0, 1, 1, 0] [2, 2, 3, 2] [1, 1, 1, 2]
      : tensor<2x3x4x5xf32> to tensor<2x2x3x2xf32>
  return %a, %b, %c : tensor<3x4x14x14xf32>, tensor<13x8xf32>, tensor<2x2x3x2xf32>
}
)mlir";

/// The zero-setting error gathered by the statistics unit: a plain element
/// format, MX blocks (with all_elements), FlexBlock runs, toward zero.
const char *kZeroSettingError = R"mlir(
func.func @step(%x: tensor<64x96xf32>, %w: tensor<4x48x3x3xf32>)
    -> (tensor<f32>, tensor<f32>, tensor<f32>, tensor<f32>) {
  %a = qtrain.zero_setting_error %x {format = #qtrain.fp<e4m3fn>}
      : tensor<64x96xf32> -> tensor<f32>
  %b = qtrain.zero_setting_error %x {format = #qtrain.scaled<mxfp4_e2m1>}
      : tensor<64x96xf32> -> tensor<f32>
  %c = qtrain.zero_setting_error %x {format = #qtrain.scaled<mxfp4_e2m1>, all_elements}
      : tensor<64x96xf32> -> tensor<f32>
  %d = qtrain.zero_setting_error %w {format = #qtrain.scaled<fb12>, rounding = #qtrain.rounding<toward_zero>}
      : tensor<4x48x3x3xf32> -> tensor<f32>
  return %a, %b, %c, %d : tensor<f32>, tensor<f32>, tensor<f32>, tensor<f32>
}
)mlir";

/// Convolutions of every kind through the im2col gathers: strides,
/// asymmetric padding and dilations (backward_data with stride 2 leaves
/// every other position to the zero fill), E4M3 operands, FP12 static
/// groups; and a 3x3 stride-1 layer whose taps are the LOADs' pads.
const char *kConvolutions = R"mlir(
func.func @step(%x: tensor<2x3x9x8xf32>, %w: tensor<4x3x3x2xf32>,
                %dy: tensor<2x4x4x5xf32>, %x2: tensor<3x2x6x5xf32>,
                %w2: tensor<4x2x3x3xf32>, %dy2: tensor<3x4x6x5xf32>)
    -> (tensor<2x4x4x5xf32>, tensor<2x3x9x8xf32>, tensor<4x3x3x2xf32>,
        tensor<3x4x6x5xf32>, tensor<3x2x6x5xf32>, tensor<4x2x3x3xf32>) {
  %qx = qtrain.quantize %x {format = #qtrain.fp<e4m3fn, overflow = saturate>} : tensor<2x3x9x8xf32>
  %qw = qtrain.quantize %w {format = #qtrain.fp<e4m3fn, overflow = saturate>} : tensor<4x3x3x2xf32>
  %y = qtrain.conv2d %qx, %qw {strides = array<i64: 2, 2>, padding = array<i64: 1, 0, 2, 1>,
                               dilations = array<i64: 1, 2>}
      : tensor<2x3x9x8xf32>, tensor<4x3x3x2xf32> -> tensor<2x4x4x5xf32>
  %ex = qtrain.conv2d %dy, %qw {kind = #qtrain.conv_kind<backward_data>,
                                strides = array<i64: 2, 2>, padding = array<i64: 1, 0, 2, 1>,
                                dilations = array<i64: 1, 2>}
      : tensor<2x4x4x5xf32>, tensor<4x3x3x2xf32> -> tensor<2x3x9x8xf32>
  %gw = qtrain.conv2d %qx, %dy {kind = #qtrain.conv_kind<backward_weight>,
                                strides = array<i64: 2, 2>, padding = array<i64: 1, 0, 2, 1>,
                                dilations = array<i64: 1, 2>,
                                accumulation = #qtrain.accum<#qtrain.fp<fp12_dga>, static, group = 16>}
      : tensor<2x3x9x8xf32>, tensor<2x4x4x5xf32> -> tensor<4x3x3x2xf32>
  %y2 = qtrain.conv2d %x2, %w2 {padding = array<i64: 1, 1, 1, 1>}
      : tensor<3x2x6x5xf32>, tensor<4x2x3x3xf32> -> tensor<3x4x6x5xf32>
  %ex2 = qtrain.conv2d %dy2, %w2 {kind = #qtrain.conv_kind<backward_data>, padding = array<i64: 1, 1, 1, 1>}
      : tensor<3x4x6x5xf32>, tensor<4x2x3x3xf32> -> tensor<3x2x6x5xf32>
  %gw2 = qtrain.conv2d %x2, %dy2 {kind = #qtrain.conv_kind<backward_weight>, padding = array<i64: 1, 1, 1, 1>}
      : tensor<3x2x6x5xf32>, tensor<3x4x6x5xf32> -> tensor<4x2x3x3xf32>
  return %y, %ex, %gw, %y2, %ex2, %gw2
      : tensor<2x4x4x5xf32>, tensor<2x3x9x8xf32>, tensor<4x3x3x2xf32>,
        tensor<3x4x6x5xf32>, tensor<3x2x6x5xf32>, tensor<4x2x3x3xf32>
}
)mlir";

/// Convolutions whose block-scaled operands are gathered straight into the
/// scratchpads from their paired form (GEMMs in the operands' modes): MX
/// blocks along W and FlexBlock [c, 3, 3] blocks, strides, asymmetric
/// padding and dilations, stochastic MXFP4 errors (each pair stored as the
/// CPU rounds it); backward_data with stride 2 keeps the gather in DRAM.
const char *kBlockConvolutions = R"mlir(
func.func @step(%x: tensor<2x5x9x40xf32>, %w: tensor<4x5x3x2xf32>,
                %dy: tensor<2x4x4x21xf32>, %x2: tensor<3x30x6x5xf32>,
                %w2: tensor<4x30x3x3xf32>, %dy2: tensor<3x4x6x5xf32>,
                %seed: i64)
    -> (tensor<2x4x4x21xf32>, tensor<2x5x9x40xf32>, tensor<4x5x3x2xf32>,
        tensor<3x4x6x5xf32>, tensor<3x30x6x5xf32>, tensor<4x30x3x3xf32>) {
  %qx = qtrain.quantize %x {format = #qtrain.scaled<mxfp8_e4m3>} : tensor<2x5x9x40xf32>
  %qw = qtrain.quantize %w {format = #qtrain.scaled<mxfp8_e4m3>} : tensor<4x5x3x2xf32>
  %qdy = qtrain.quantize %dy seed(%seed) {format = #qtrain.scaled<mxfp4_e2m1>,
                                          rounding = #qtrain.rounding<stochastic, bits = 4>}
      : tensor<2x4x4x21xf32>
  %y = qtrain.conv2d %qx, %qw {strides = array<i64: 2, 2>, padding = array<i64: 1, 0, 2, 1>,
                               dilations = array<i64: 1, 2>}
      : tensor<2x5x9x40xf32>, tensor<4x5x3x2xf32> -> tensor<2x4x4x21xf32>
  %ex = qtrain.conv2d %qdy, %qw {kind = #qtrain.conv_kind<backward_data>,
                                 strides = array<i64: 2, 2>, padding = array<i64: 1, 0, 2, 1>,
                                 dilations = array<i64: 1, 2>}
      : tensor<2x4x4x21xf32>, tensor<4x5x3x2xf32> -> tensor<2x5x9x40xf32>
  %gw = qtrain.conv2d %qx, %qdy {kind = #qtrain.conv_kind<backward_weight>,
                                 strides = array<i64: 2, 2>, padding = array<i64: 1, 0, 2, 1>,
                                 dilations = array<i64: 1, 2>,
                                 accumulation = #qtrain.accum<#qtrain.fp<fp12_dga>, static, group = 16>}
      : tensor<2x5x9x40xf32>, tensor<2x4x4x21xf32> -> tensor<4x5x3x2xf32>
  %x12 = qtrain.quantize %x2 {format = #qtrain.scaled<fb12>} : tensor<3x30x6x5xf32>
  %w12 = qtrain.quantize %w2 {format = #qtrain.scaled<fb12>} : tensor<4x30x3x3xf32>
  %w16 = qtrain.quantize %w2 {format = #qtrain.scaled<fb16>} : tensor<4x30x3x3xf32>
  %e16 = qtrain.quantize %dy2 {format = #qtrain.scaled<fb16>} : tensor<3x4x6x5xf32>
  %e24 = qtrain.quantize %dy2 {format = #qtrain.scaled<fb24>} : tensor<3x4x6x5xf32>
  %y2 = qtrain.conv2d %x12, %w12 {padding = array<i64: 1, 1, 1, 1>}
      : tensor<3x30x6x5xf32>, tensor<4x30x3x3xf32> -> tensor<3x4x6x5xf32>
  %ex2 = qtrain.conv2d %e16, %w16 {kind = #qtrain.conv_kind<backward_data>, padding = array<i64: 1, 1, 1, 1>}
      : tensor<3x4x6x5xf32>, tensor<4x30x3x3xf32> -> tensor<3x30x6x5xf32>
  %gw2 = qtrain.conv2d %x12, %e24 {kind = #qtrain.conv_kind<backward_weight>, padding = array<i64: 1, 1, 1, 1>}
      : tensor<3x30x6x5xf32>, tensor<3x4x6x5xf32> -> tensor<4x30x3x3xf32>
  return %y, %ex, %gw, %y2, %ex2, %gw2
      : tensor<2x4x4x21xf32>, tensor<2x5x9x40xf32>, tensor<4x5x3x2xf32>,
        tensor<3x4x6x5xf32>, tensor<3x30x6x5xf32>, tensor<4x30x3x3xf32>
}
)mlir";

/// Convolutions whose operands have no block level, gathered straight into
/// the scratchpads from their codes (GEMMs in the operands' modes):
/// per-tensor scaled E4M3 (the tensor scale stored beside the codes and
/// loaded back), plain saturating E4M3, stochastic per-tensor E5M2 errors
/// (each code stored as the CPU rounds it), 8-bit integers and bf16 (16-bit
/// codes); E2M1's 4-bit codes share bytes and keep the gather in DRAM, as
/// does backward_data with stride 2.
const char *kCodeConvolutions = R"mlir(
func.func @step(%x: tensor<2x5x9x8xf32>, %w: tensor<4x5x3x2xf32>,
                %dy: tensor<2x4x4x5xf32>, %x2: tensor<3x6x6x5xf32>,
                %w2: tensor<4x6x3x3xf32>, %dy2: tensor<3x4x6x5xf32>,
                %seed: i64)
    -> (tensor<2x4x4x5xf32>, tensor<2x5x9x8xf32>, tensor<3x4x6x5xf32>,
        tensor<3x6x6x5xf32>, tensor<4x6x3x3xf32>, tensor<2x4x4x5xf32>,
        tensor<2x4x4x5xf32>, tensor<2x4x4x5xf32>) {
  %qx = qtrain.quantize %x {format = #qtrain.scaled<fp8_e4m3_tensor>} : tensor<2x5x9x8xf32>
  %qw = qtrain.quantize %w {format = #qtrain.fp<e4m3fn, overflow = saturate>} : tensor<4x5x3x2xf32>
  %qdy = qtrain.quantize %dy {format = #qtrain.fp<e5m2, overflow = saturate>} : tensor<2x4x4x5xf32>
  %y = qtrain.conv2d %qx, %qw {strides = array<i64: 2, 2>, padding = array<i64: 1, 0, 2, 1>,
                               dilations = array<i64: 1, 2>}
      : tensor<2x5x9x8xf32>, tensor<4x5x3x2xf32> -> tensor<2x4x4x5xf32>
  %ex = qtrain.conv2d %qdy, %qw {kind = #qtrain.conv_kind<backward_data>,
                                 strides = array<i64: 2, 2>, padding = array<i64: 1, 0, 2, 1>,
                                 dilations = array<i64: 1, 2>}
      : tensor<2x4x4x5xf32>, tensor<4x5x3x2xf32> -> tensor<2x5x9x8xf32>
  %x8 = qtrain.quantize %x2 {format = #qtrain.scaled<fp8_e4m3_tensor>} : tensor<3x6x6x5xf32>
  %w8 = qtrain.quantize %w2 {format = #qtrain.fp<e4m3fn, overflow = saturate>} : tensor<4x6x3x3xf32>
  %e8 = qtrain.quantize %dy2 seed(%seed) {format = #qtrain.scaled<fp8_e5m2_tensor>,
                                          rounding = #qtrain.rounding<stochastic, bits = 3>}
      : tensor<3x4x6x5xf32>
  %y2 = qtrain.conv2d %x8, %w8 {padding = array<i64: 1, 1, 1, 1>,
                                accumulation = #qtrain.accum<#qtrain.fp<fp12_dga>, static, group = 16>}
      : tensor<3x6x6x5xf32>, tensor<4x6x3x3xf32> -> tensor<3x4x6x5xf32>
  %ex2 = qtrain.conv2d %e8, %w8 {kind = #qtrain.conv_kind<backward_data>, padding = array<i64: 1, 1, 1, 1>}
      : tensor<3x4x6x5xf32>, tensor<4x6x3x3xf32> -> tensor<3x6x6x5xf32>
  %gw2 = qtrain.conv2d %x8, %e8 {kind = #qtrain.conv_kind<backward_weight>, padding = array<i64: 1, 1, 1, 1>}
      : tensor<3x6x6x5xf32>, tensor<3x4x6x5xf32> -> tensor<4x6x3x3xf32>
  %xi = qtrain.quantize %x {format = #qtrain.int<s8, frac = 6>} : tensor<2x5x9x8xf32>
  %wi = qtrain.quantize %w {format = #qtrain.int<s8, frac = 6>} : tensor<4x5x3x2xf32>
  %yi = qtrain.conv2d %xi, %wi {strides = array<i64: 2, 2>, padding = array<i64: 1, 0, 2, 1>,
                                dilations = array<i64: 1, 2>}
      : tensor<2x5x9x8xf32>, tensor<4x5x3x2xf32> -> tensor<2x4x4x5xf32>
  %xb = qtrain.quantize %x {format = #qtrain.fp<bf16>} : tensor<2x5x9x8xf32>
  %wb = qtrain.quantize %w {format = #qtrain.fp<bf16>} : tensor<4x5x3x2xf32>
  %yb = qtrain.conv2d %xb, %wb {strides = array<i64: 2, 2>, padding = array<i64: 1, 0, 2, 1>,
                                dilations = array<i64: 1, 2>}
      : tensor<2x5x9x8xf32>, tensor<4x5x3x2xf32> -> tensor<2x4x4x5xf32>
  %x4 = qtrain.quantize %x {format = #qtrain.fp<e2m1fn>} : tensor<2x5x9x8xf32>
  %w4 = qtrain.quantize %w {format = #qtrain.fp<e2m1fn>} : tensor<4x5x3x2xf32>
  %y4 = qtrain.conv2d %x4, %w4 {strides = array<i64: 2, 2>, padding = array<i64: 1, 0, 2, 1>,
                                dilations = array<i64: 1, 2>}
      : tensor<2x5x9x8xf32>, tensor<4x5x3x2xf32> -> tensor<2x4x4x5xf32>
  return %y, %ex, %y2, %ex2, %gw2, %yi, %yb, %y4
      : tensor<2x4x4x5xf32>, tensor<2x5x9x8xf32>, tensor<3x4x6x5xf32>,
        tensor<3x6x6x5xf32>, tensor<4x6x3x3xf32>, tensor<2x4x4x5xf32>,
        tensor<2x4x4x5xf32>, tensor<2x4x4x5xf32>
}
)mlir";

/// Shared E-DGA convolutions whose operands are read from an encoded form:
/// on the bundled machine the first two (4 x 2112 outputs) exceed the ACC
/// and run one k step at a time, one element per K-vector from the codes
/// (per-tensor E4M3) or the pairs (MXFP8, each carrying its block's scale);
/// the FB12 one fits and runs in parts only on the small machine.
const char *kSharedEdgaConvolutions = R"mlir(
func.func @step(%x: tensor<2x3x32x33xf32>, %w: tensor<4x3x3x3xf32>,
                %x2: tensor<2x24x16x16xf32>, %w2: tensor<4x24x3x3xf32>)
    -> (tensor<2x4x32x33xf32>, tensor<2x4x32x33xf32>, tensor<2x4x16x16xf32>) {
  %qx = qtrain.quantize %x {format = #qtrain.scaled<fp8_e4m3_tensor>} : tensor<2x3x32x33xf32>
  %qw = qtrain.quantize %w {format = #qtrain.fp<e4m3fn, overflow = saturate>} : tensor<4x3x3x3xf32>
  %y = qtrain.conv2d %qx, %qw {padding = array<i64: 1, 1, 1, 1>,
                               accumulation = #qtrain.accum<#qtrain.fp<fp12_dga>, efficient_dga, shared>}
      : tensor<2x3x32x33xf32>, tensor<4x3x3x3xf32> -> tensor<2x4x32x33xf32>
  %mx = qtrain.quantize %x {format = #qtrain.scaled<mxfp8_e4m3>} : tensor<2x3x32x33xf32>
  %mw = qtrain.quantize %w {format = #qtrain.scaled<mxfp8_e4m3>} : tensor<4x3x3x3xf32>
  %y2 = qtrain.conv2d %mx, %mw {padding = array<i64: 1, 1, 1, 1>,
                                accumulation = #qtrain.accum<#qtrain.fp<fp12_dga>, efficient_dga, shared>}
      : tensor<2x3x32x33xf32>, tensor<4x3x3x3xf32> -> tensor<2x4x32x33xf32>
  %fx = qtrain.quantize %x2 {format = #qtrain.scaled<fb12>} : tensor<2x24x16x16xf32>
  %fw = qtrain.quantize %w2 {format = #qtrain.scaled<fb12>} : tensor<4x24x3x3xf32>
  %y3 = qtrain.conv2d %fx, %fw {padding = array<i64: 1, 1, 1, 1>,
                                accumulation = #qtrain.accum<#qtrain.fp<fp12_dga>, efficient_dga, shared>}
      : tensor<2x24x16x16xf32>, tensor<4x24x3x3xf32> -> tensor<2x4x16x16xf32>
  return %y, %y2, %y3 : tensor<2x4x32x33xf32>, tensor<2x4x32x33xf32>, tensor<2x4x16x16xf32>
}
)mlir";

/// Quantized operands that keep the f32 path although a gather or view
/// reads them: 32-bit integers, whose significands no GEMM mode multiplies,
/// and a view of an E4M3 tensor that is also returned (its view op is
/// mapped, so no encoded form is written).
const char *kEncodedFormFallbacks = R"mlir(
func.func @step(%x: tensor<1x8x4x4xf32>, %w: tensor<2x8x3x3xf32>,
                %v: tensor<2x3x4xf32>, %b: tensor<12x5xf32>)
    -> (tensor<1x2x4x4xf32>, tensor<2x5xf32>, tensor<2x12xf32>) {
  %qx = qtrain.quantize %x {format = #qtrain.int<s32, frac = 16>} : tensor<1x8x4x4xf32>
  %qw = qtrain.quantize %w {format = #qtrain.int<s32, frac = 16>} : tensor<2x8x3x3xf32>
  %y = qtrain.conv2d %qx, %qw {padding = array<i64: 1, 1, 1, 1>}
      : tensor<1x8x4x4xf32>, tensor<2x8x3x3xf32> -> tensor<1x2x4x4xf32>
  %q = qtrain.quantize %v {format = #qtrain.fp<e4m3fn, overflow = saturate>} : tensor<2x3x4xf32>
  %c = tensor.collapse_shape %q [[0], [1, 2]] : tensor<2x3x4xf32> into tensor<2x12xf32>
  %z = qtrain.matmul %c, %b : tensor<2x12xf32>, tensor<12x5xf32> -> tensor<2x5xf32>
  return %y, %z, %c : tensor<1x2x4x4xf32>, tensor<2x5xf32>, tensor<2x12xf32>
}
)mlir";

const char *kGenerics = R"mlir(
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d1)>
#red = affine_map<(d0, d1) -> (d0)>
func.func @generics(%x: tensor<64x40xf32>, %b: tensor<40xf32>, %l: tensor<64xi32>) -> (tensor<64x40xf32>, tensor<64xf32>, tensor<64xf32>, tensor<40xf32>) {
  %c0 = arith.constant 0.0 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %e = tensor.empty() : tensor<64x40xf32>
  %y = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]} ins(%x, %b : tensor<64x40xf32>, tensor<40xf32>) outs(%e : tensor<64x40xf32>) {
  ^bb0(%in: f32, %bias: f32, %out: f32):
    %s = arith.addf %in, %bias : f32
    %r = arith.maximumf %s, %c0 : f32
    %q = arith.divf %r, %bias : f32
    %x2 = math.exp %q : f32
    %lg = math.log %x2 : f32
    %sq = math.sqrt %lg : f32
    linalg.yield %sq : f32
  } -> tensor<64x40xf32>
  %e6 = tensor.empty() : tensor<64xf32>
  %f = linalg.fill ins(%ninf : f32) outs(%e6 : tensor<64xf32>) -> tensor<64xf32>
  %m = linalg.generic {indexing_maps = [#id, #red], iterator_types = ["parallel", "reduction"]} ins(%x : tensor<64x40xf32>) outs(%f : tensor<64xf32>) {
  ^bb0(%in: f32, %out: f32):
    %mx = arith.maximumf %out, %in : f32
    linalg.yield %mx : f32
  } -> tensor<64xf32>
  %z = linalg.fill ins(%c0 : f32) outs(%e6 : tensor<64xf32>) -> tensor<64xf32>
  %p = linalg.generic {indexing_maps = [#id, #red, #red], iterator_types = ["parallel", "reduction"]} ins(%y, %l : tensor<64x40xf32>, tensor<64xi32>) outs(%z : tensor<64xf32>) {
  ^bb0(%in: f32, %lab: i32, %out: f32):
    %i = linalg.index 1 : index
    %ii = arith.index_cast %i : index to i32
    %eq = arith.cmpi eq, %ii, %lab : i32
    %a = arith.addf %out, %in : f32
    %r = arith.select %eq, %a, %out : f32
    linalg.yield %r : f32
  } -> tensor<64xf32>
  %e40 = tensor.empty() : tensor<40xf32>
  %z40 = linalg.fill ins(%c0 : f32) outs(%e40 : tensor<40xf32>) -> tensor<40xf32>
  %cs = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["reduction", "parallel"]} ins(%x : tensor<64x40xf32>) outs(%z40 : tensor<40xf32>) {
  ^bb0(%in: f32, %out: f32):
    %a = arith.addf %in, %out : f32
    linalg.yield %a : f32
  } -> tensor<40xf32>
  return %y, %m, %p, %cs : tensor<64x40xf32>, tensor<64xf32>, tensor<64xf32>, tensor<40xf32>
}
)mlir";

/// qtrain-model's MLP step under `recipe`, its accelerator program
/// specialized for step counter value `step`.
AccelCase mlpStepAt(std::string name, std::string recipe, int64_t step) {
  AccelCase c{std::move(name), "", "train_step", 10, std::move(recipe)};
  c.state = {{kStepArg, step}};
  return c;
}

/// The same for LeNet's step.
AccelCase lenetStepAt(std::string name, std::string recipe, int64_t step) {
  AccelCase c = mlpStepAt(std::move(name), std::move(recipe), step);
  c.model = "lenet";
  return c;
}

/// An example function on a machine of its own: a shared E-DGA
/// contraction keeps all its outputs in one GEMM when the ACC holds them
/// (layer_efficient_dga's 256 x 128 weight gradient in a 65,536-entry ACC;
/// the bundled machine's halves of 2040 run it in parts).
AccelCase exampleOn(std::string name, std::string function, std::string file,
                    std::string machine) {
  AccelCase c{std::move(name), "", std::move(function), 10, "",
              std::move(file)};
  c.machine = std::move(machine);
  return c;
}

AccelCase flexblockDynamicAt(std::string name, int64_t step) {
  AccelCase c = mlpStepAt(std::move(name), "flexblock-dynamic", step);
  c.stateDraws = {{"precision_mode", {-1, 1}}, {"zse_streak", {-2, 2}}};
  c.scalarDraws = {{"zse_sum", {0.05f, 40.0f}}};
  return c;
}

std::vector<AccelCase> accelCases() {
  std::string fp12Static = std::string("accumulation = #qtrain.accum<") +
                           kFp12 + ", static, group = 16>";
  return {
      {"Generics", kGenerics, "generics"},
      {"WideGenerics", kWideGenerics},
      {"Pooling", kPooling},
      {"MaxPoolGradient", kMaxPoolGradient},
      {"SplitReduction", kSplitReduction},
      {"ExtractSlices", kExtractSlices},
      // The examples of examples/ that map (the others use what the
      // conversion does not map yet: FlexBlock blocks over 3 x 3 windows,
      // whole-tensor levels of encode, run-time control flow; see
      // docs/Accelerator.md).
      {"Example_mxfp8_step", "", "mxfp8_step", 10, "", "mx.mlir"},
      {"Example_mx_narrow_forward", "", "mx_narrow_forward", 10, "", "mx.mlir"},
      {"Example_fp8_current_presets", "", "fp8_current_presets", 10, "",
       "per_tensor_fp8.mlir"},
      {"Example_sr_variants", "", "sr_variants", 10, "",
       "stochastic_rounding.mlir"},
      {"Example_fp8_current_explicit", "", "fp8_current_explicit", 10, "",
       "per_tensor_fp8.mlir"},
      {"Example_fp8_delayed_step", "", "fp8_delayed_step", 10, "",
       "per_tensor_fp8.mlir"},
      {"Example_fp8_operands", "", "fp8_operands", 10, "", "dga.mlir"},
      {"Example_abfp8_dynamic", "", "abfp8_dynamic", 10, "",
       "adaptive_bias_fp8.mlir"},
      {"Example_abfp8_step", "", "abfp8_step", 10, "",
       "adaptive_bias_fp8.mlir"},
      // Calls, inlined by the pipeline.
      {"Example_layer_fp32_accumulation", "", "layer_fp32_accumulation", 10, "",
       "dga.mlir"},
      {"Example_layer_sga16", "", "layer_sga16", 10, "", "dga.mlir"},
      {"Example_layer_ideal_dga", "", "layer_ideal_dga", 10, "", "dga.mlir"},
      {"Example_fp8_two_steps", "", "fp8_two_steps", 10, "",
       "per_tensor_fp8.mlir"},
      // Splat tensor constants and elementwise arith on tensors.
      {"Example_esru_backward_step", "", "esru_backward_step", 10, "",
       "stochastic_rounding.mlir"},
      {"LinalgMatmul", kLinalgMatmul},
      {"Example_precision_decision", "", "precision_decision", 10, "",
       "flexblock.mlir"},
      {"Example_layer", "", "layer", 10, "", "linalg_matmul_relu.mlir", "mlp",
       /*upstreamNaNs=*/true},
      // Codes and block scales in DRAM (encode, decode).
      {"EncodeOutputs", kEncodeOutputs},
      {"Example_mx_storage", "", "mx_storage", 10, "", "mx.mlir"},
      {"TensorScaleCodes", kTensorScaleCodes},
      {"Histograms", kHistograms},
      {"Counters", kCounters},
      {"Medians", kMedians},
      exampleOn("Example_layer_efficient_dga_large_acc", "layer_efficient_dga",
                "dga.mlir", R"({"acc": {"entries": 65536}})"),
      // The same on the bundled machine, and the shared E-DGA convolution
      // (8192 x 32 outputs): partial GEMMs, one k step at a time, states
      // through DRAM.
      {"Example_layer_efficient_dga", "", "layer_efficient_dga", 10, "",
       "dga.mlir"},
      {"Example_conv_efficient_dga", "", "conv_efficient_dga", 10, "",
       "dga.mlir"},
      {"Example_abfp8_calibrate", "", "abfp8_calibrate", 10, "",
       "adaptive_bias_fp8.mlir"},
      {"Scalars", kScalars, "step", 10, "", "", "mlp", /*upstreamNaNs=*/true},
      {"Example_mls_storage", "", "mls_storage", 10, "", "mls.mlir"},
      {"Example_mx_partial_block", "", "mx_partial_block", 10, "", "mx.mlir"},
      {"Example_sr_storage", "", "sr_storage", 10, "",
       "stochastic_rounding.mlir"},
      // The data source: random bits from a companion tensor in DRAM.
      {"Example_sr_sources", "", "sr_sources", 10, "",
       "stochastic_rounding.mlir"},
      {"Example_abfp8_static_bias", "", "abfp8_static_bias", 10, "",
       "adaptive_bias_fp8.mlir"},
      // FlexBlock blocks over the trailing dimensions (runs).
      {"Example_fb_storage", "", "fb_storage", 10, "", "flexblock.mlir"},
      {"FlexBlockRuns", kFlexBlockRuns},
      {"ZeroSettingError", kZeroSettingError},
      {"Example_fb12_zse", "", "fb12_zse", 10, "", "flexblock.mlir"},
      // MLS channel groups: a [N C, H W] matrix with blocks down C.
      {"Example_mls_spelled_out", "", "mls_spelled_out", 10, "", "mls.mlir"},
      // Convolutions: im2col gathers with pads and strides.
      {"Convolutions", kConvolutions},
      {"BlockConvolutions", kBlockConvolutions},
      {"CodeConvolutions", kCodeConvolutions},
      {"SharedEdgaConvolutions", kSharedEdgaConvolutions},
      {"EncodedFormFallbacks", kEncodedFormFallbacks},
      {"Example_mls_conv_step", "", "mls_conv_step", 10, "", "mls.mlir"},
      {"Example_mls_channel_groups", "", "mls_channel_groups", 10, "",
       "mls.mlir"},
      // FlexBlock blocks over 3 x 3 windows: volumes.
      {"FlexBlockVolumes", kFlexBlockVolumes},
      {"FlexBlockZeros", kFlexBlockZeros},
      {"Example_fb12lg16_step", "", "fb12lg16_step", 10, "", "flexblock.mlir"},
      {"Example_fb16_step", "", "fb16_step", 10, "", "flexblock.mlir"},
      {"Example_fb16_zse", "", "fb16_zse", 10, "", "flexblock.mlir"},
      {"MlpStep_fp32", "", "train_step", 10, "fp32"},
      {"MlpStep_fp8_hybrid", "", "train_step", 10, "fp8-hybrid"},
      {"MlpStep_mxfp8", "", "train_step", 10, "mxfp8"},
      {"MlpStep_mxfp4", "", "train_step", 10, "mxfp4"},
      {"MlpStep_flexblock", "", "train_step", 10, "flexblock"},
      {"MlpStep_fp12_edga", "", "train_step", 10, "fp12-edga"},
      {"MlpStep_sr3", "", "train_step", 10, "sr3"},
      {"MlpStep_mls_121", "", "train_step", 10, "mls-121"},
      {"MlpStep_mls_124", "", "train_step", 10, "mls-124"},
      // Adaptive-bias FP8: the warm-up program (median histograms) and the
      // frozen one (given scales).
      mlpStepAt("MlpStep_abfp8_warmup", "abfp8", 3),
      mlpStepAt("MlpStep_abfp8_frozen", "abfp8", 150),
      // flexblock-dynamic: modes and streaks drawn (the program specialized
      // for them), at a step inside a period (the sums accumulate) and at
      // the end of one (the averages move modes along the ladder); the
      // sums drawn so that the averages fall below, between and above the
      // thresholds.
      flexblockDynamicAt("MlpStep_flexblock_dynamic_inside", 41),
      flexblockDynamicAt("MlpStep_flexblock_dynamic_period_end", 99),
      {"LeNetStep_fp32", "", "train_step", 10, "fp32", "", "lenet"},
      {"LeNetStep_flexblock", "", "train_step", 10, "flexblock", "", "lenet"},
      {"LeNetStep_mls_124", "", "train_step", 10, "mls-124", "", "lenet"},
      {"LeNetStep_fp12_edga", "", "train_step", 10, "fp12-edga", "", "lenet"},
      // Per-tensor FP8 convolutions gathered from codes: E5M2 errors
      // rounded to nearest (fp8-hybrid) and stochastically from an LFSR
      // (sr3), each code stored as the CPU rounds it.
      {"LeNetStep_fp8_hybrid", "", "train_step", 10, "fp8-hybrid", "", "lenet"},
      {"LeNetStep_sr3", "", "train_step", 10, "sr3", "", "lenet"},
      // abfp8 on LeNet, both programs (checked by hand before convolutions
      // could read encoded forms; the frozen biases are given scales, which
      // keep the f32 gather).
      lenetStepAt("LeNetStep_abfp8_warmup", "abfp8", 3),
      lenetStepAt("LeNetStep_abfp8_frozen", "abfp8", 150),
      // fc1's weight gradient: MX blocks along both output sides (400 x 120
      // outputs in tiles of whole 32 x 32 blocks).
      {"LeNetStep_mxfp8", "", "train_step", 10, "mxfp8", "", "lenet"},
      {"ResNetStep_fp32", "", "train_step", 10, "fp32", "", "resnet"},
      {"ResNetStep_flexblock", "", "train_step", 10, "flexblock", "", "resnet"},
      {"F32", matmulStep("", "", "", 37, 70, 21)},
      {"E4M3_Fp12Static", matmulStep(kE4M3, kE4M3, fp12Static, 37, 70, 21)},
      {"Mxfp8_Transposed",
       matmulStep("format = #qtrain.scaled<mxfp8_e4m3>",
                  "format = #qtrain.scaled<mxfp8_e5m2>", "", 19, 96, 33,
                  /*ta=*/true, /*tb=*/true)},
      // Blocks of 32 along both output sides and 70 x 66 outputs: no tile
      // of whole blocks keeps either side whole within an ACC half.
      {"Mxfp8_BlocksAlongOutputs",
       matmulStep("format = #qtrain.scaled<mxfp8_e4m3>",
                  "format = #qtrain.scaled<mxfp8_e5m2>", "", 70, 8, 66,
                  /*ta=*/true)},
      {"Mxfp8_PairedB", matmulStep("format = #qtrain.scaled<mxfp8_e4m3>",
                                   "format = #qtrain.scaled<mxfp8_e4m3>",
                                   fp12Static, 20, 64, 40)},
      {"Stochastic_Fp12EDga",
       matmulStep("format = #qtrain.fp<e5m2>, rounding = "
                  "#qtrain.rounding<stochastic, bits = 3>",
                  "format = #qtrain.fp<e4m3fn, overflow = saturate>, "
                  "rounding = #qtrain.rounding<stochastic, bits = 4, "
                  "source = lfsr, width = 16, lanes = 8>",
                  std::string("accumulation = #qtrain.accum<") + kFp12 +
                      ", efficient_dga>",
                  24, 80, 17)},
      {"Fp12IdealDga", matmulStep(kE4M3, kE4M3,
                                  std::string("accumulation = #qtrain.accum<") +
                                      kFp12 + ", ideal_dga>",
                                  16, 64, 16)},
      {"Fp12SharedEDga",
       matmulStep(kE4M3, kE4M3,
                  std::string("accumulation = #qtrain.accum<") + kFp12 +
                      ", efficient_dga, shared>",
                  20, 96, 12)},
      {"Batched_Mxfp8",
       "func.func @step(%a: tensor<3x10x64xf32>, %b: tensor<3x64x7xf32>) -> "
       "tensor<3x10x7xf32> {\n"
       "  %qa = qtrain.quantize %a {format = #qtrain.scaled<mxfp8_e4m3>} : "
       "tensor<3x10x64xf32>\n"
       "  %y = qtrain.matmul %qa, %b : tensor<3x10x64xf32>, "
       "tensor<3x64x7xf32> -> tensor<3x10x7xf32>\n"
       "  return %y : tensor<3x10x7xf32>\n}\n"},
      {"Fb12", matmulStep("format = #qtrain.scaled<fb12>",
                          "format = #qtrain.scaled<fb12>", "", 8, 216, 9)},
  };
}

void PrintTo(const AccelCase &c, std::ostream *os) { *os << c.name; }

class AccelDiff : public ::testing::TestWithParam<AccelCase> {};

TEST_P(AccelDiff, MatchesTheCpuLoweringBitForBit) {
  AccelCase c = GetParam();
  if (!c.mlpRecipe.empty())
    c.module = modelStep(c.model, c.mlpRecipe);
  if (!c.example.empty()) {
    auto file = llvm::MemoryBuffer::getFile(std::string(QTRAIN_EXAMPLES_DIR) +
                                            "/" + c.example);
    ASSERT_TRUE(!!file) << c.example << ": " << file.getError().message();
    c.module = (*file)->getBuffer().str();
  }
  ASSERT_FALSE(c.module.empty());
  uint64_t seed = masterSeed();
  SCOPED_TRACE(llvm::formatv("{0}, replay with QTRAIN_DIFF_SEED={1}\n{2}",
                             c.name, seed, c.module)
                   .str());
  auto ctx = createJitContext();
  auto module = mlir::parseSourceString<mlir::ModuleOp>(c.module, ctx.get());
  ASSERT_TRUE(!!module);
  auto function = module->lookupSymbol<mlir::func::FuncOp>(c.function);
  ASSERT_TRUE(!!function);
  Signature sig = signatureOf(function);
  if (auto it = c.state.find(kStepArg); it != c.state.end()) {
    int64_t value = it->second;
    c.state.erase(it);
    for (unsigned i = 0; i < function.getNumArguments(); ++i)
      if (auto role =
              function.getArgAttrOfType<mlir::StringAttr>(i, "qtrain.role");
          role && role.getValue() == "step")
        c.state[i] = value;
  }
  std::mt19937_64 rng(seed);
  auto roleOf = [&](unsigned i) -> std::string {
    auto role = function.getArgAttrOfType<mlir::StringAttr>(i, "qtrain.role");
    return role ? role.getValue().str() : "";
  };
  for (unsigned i = 0; i < function.getNumArguments(); ++i)
    if (auto it = c.stateDraws.find(roleOf(i)); it != c.stateDraws.end())
      c.state[i] = it->second.first +
                   static_cast<int64_t>(
                       rng() % (it->second.second - it->second.first + 1));
  for (auto [i, value] : c.state)
    ASSERT_TRUE(i < sig.args.size() && sig.wideArg[i] && sig.args[i].empty())
        << "state argument " << i << " is not a 0-d i64 tensor";
  int64_t totalOut = totalResultWords(sig);
  // Which output words are f32 values (the others integers or codes).
  std::vector<bool> f32Word;
  for (size_t j = 0; j < sig.results.size(); ++j)
    f32Word.insert(f32Word.end(), resultWords(sig, j),
                   sig.resultElements[j] == "f32");
  // The tensor arguments' words, concatenated: f32 values (with NaN and
  // infinities or without), i32 labels.
  auto draw = [&](bool specials) {
    std::vector<float> in;
    for (auto [i, shape] : llvm::enumerate(sig.args)) {
      if (static_cast<int>(i) == sig.seedArg)
        continue;
      int64_t n = product(shape);
      if (auto it = c.state.find(i); it != c.state.end()) {
        uint64_t v = static_cast<uint64_t>(it->second);
        in.push_back(llvm::bit_cast<float>(static_cast<uint32_t>(v)));
        in.push_back(llvm::bit_cast<float>(static_cast<uint32_t>(v >> 32)));
        continue;
      }
      if (sig.wideArg[i] && shape.empty()) {
        // A scalar: signed, small or at the 2^32 boundaries or the ends of
        // the range.
        static const int64_t kEdges[] = {0,
                                         -1,
                                         0xffffffffLL,
                                         0x100000000LL,
                                         -0x100000000LL,
                                         -0xffffffffLL,
                                         INT64_MIN,
                                         INT64_MAX};
        uint64_t pick = rng() % 16;
        int64_t v = pick < 8
                        ? kEdges[pick] + static_cast<int64_t>(rng() % 3) - 1
                    : pick < 14 ? static_cast<int64_t>(rng() % 2001) - 1000
                                : static_cast<int64_t>(rng());
        in.push_back(llvm::bit_cast<float>(static_cast<uint32_t>(v)));
        in.push_back(llvm::bit_cast<float>(
            static_cast<uint32_t>(static_cast<uint64_t>(v) >> 32)));
        continue;
      }
      if (sig.wideArg[i]) {
        // Counts: mostly below 1000, one in 16 above 2^32.
        for (int64_t j = 0; j < n; ++j) {
          in.push_back(
              llvm::bit_cast<float>(static_cast<uint32_t>(rng() % 1000)));
          in.push_back(
              llvm::bit_cast<float>(static_cast<uint32_t>(rng() % 16 == 0)));
        }
        continue;
      }
      if (auto it = c.scalarDraws.find(roleOf(i));
          it != c.scalarDraws.end() && n == 1 && !sig.integer[i]) {
        std::uniform_real_distribution<float> exponent(
            std::log(it->second.first), std::log(it->second.second));
        in.push_back(std::exp(exponent(rng)));
        continue;
      }
      if (!sig.integer[i]) {
        std::vector<float> values = inputs(n, rng, specials);
        in.insert(in.end(), values.begin(), values.end());
        continue;
      }
      for (int64_t j = 0; j < n; ++j)
        in.push_back(llvm::bit_cast<float>(
            static_cast<uint32_t>(rng() % static_cast<uint64_t>(c.labels))));
    }
    return in;
  };
  std::vector<float> withSpecials = draw(true), finite = draw(false);
  uint64_t stepSeed = rng();

  std::vector<std::vector<float>> wants =
      runCpu(c, sig, {withSpecials, finite}, stepSeed, totalOut);
  ASSERT_EQ(wants.size(), 2u);
  const std::vector<float> &wantWithSpecials = wants[0], &wantFinite = wants[1];
  ASSERT_EQ(static_cast<int64_t>(wantWithSpecials.size()), totalOut);
  ASSERT_EQ(static_cast<int64_t>(wantFinite.size()), totalOut);
  // The default machine with its own tiles and with 8 x 8 x 32 GEMM tiles,
  // and a machine with small memories: ACC halves of 1032 entries (one
  // 32 x 32 output tile of MX blocks along both sides, generics tiled by
  // rows) and 128-row scratchpads (GEMMs tiled along K).
  ConvertQTrainToAccelOptions whole, small, tiny;
  small.tileM = 8;
  small.tileN = 8;
  small.tileK = 32;
  // A machine description as the conversion reads it (a file) and as the
  // model runs it.
  std::vector<std::string> machinePaths;
  auto machineFile =
      [&](llvm::StringRef json,
          llvm::StringRef name) -> std::optional<accel::MachineDescription> {
    auto desc = accel::parseMachineDescription(json, name);
    EXPECT_TRUE(!!desc) << llvm::toString(desc.takeError());
    llvm::SmallString<128> path;
    if (!desc || llvm::sys::fs::createTemporaryFile(name, "json", path))
      return std::nullopt;
    std::error_code ec;
    llvm::raw_fd_ostream os(path, ec);
    if (ec)
      return std::nullopt;
    os << json;
    machinePaths.push_back(path.str().str());
    return std::move(*desc);
  };
  const char *tinyJson = R"({"acc": {"entries": 2080},
    "input_sp": {"rows": 128}, "weight_sp": {"rows": 128}})";
  std::optional<accel::MachineDescription> tinyMachine =
      machineFile(tinyJson, "tiny-machine");
  ASSERT_TRUE(tinyMachine.has_value());
  tiny.machine = machinePaths.back();
  // The machine of the first two runs: the default or the case's own.
  std::optional<accel::MachineDescription> caseMachine;
  if (!c.machine.empty()) {
    caseMachine = machineFile(c.machine, "case-machine");
    ASSERT_TRUE(caseMachine.has_value());
    whole.machine = small.machine = machinePaths.back();
  }
  const accel::MachineDescription *mainMachine =
      caseMachine ? &*caseMachine : &accel::getDefaultMachine();
  // Inputs with NaN and infinities test their propagation; finite ones test
  // the values of whole-tensor scales and of contractions.
  struct Run {
    const char *name;
    ConvertQTrainToAccelOptions options;
    const accel::MachineDescription *machine;
    bool specials;
  };
  for (const Run &run :
       {Run{"machine tiles, NaN and infinities", whole, mainMachine, true},
        Run{"small tiles, finite inputs", small, mainMachine, false},
        Run{"small memories, NaN and infinities", tiny, &*tinyMachine, true}}) {
    SCOPED_TRACE(run.name);
    const std::vector<float> &in = run.specials ? withSpecials : finite;
    const std::vector<float> &want =
        run.specials ? wantWithSpecials : wantFinite;
    // Only the small machine may lack room for a program's blocks.
    std::string capacityError;
    bool small = run.machine == &*tinyMachine;
    std::vector<float> got =
        runAccel(c, sig, in, stepSeed, totalOut, run.options, *run.machine,
                 small ? &capacityError : nullptr);
    if (!capacityError.empty()) {
      std::cout << "[ note ] " << c.name
                << " does not fit the small machine: " << capacityError;
      continue;
    }
    ASSERT_EQ(got.size(), want.size());
    int bad = 0;
    for (size_t i = 0; i < want.size(); ++i)
      if (llvm::bit_cast<uint32_t>(got[i]) !=
              llvm::bit_cast<uint32_t>(want[i]) &&
          !(c.upstreamNaNs && f32Word[i] && std::isnan(got[i]) &&
            std::isnan(want[i])) &&
          ++bad <= 5)
        ADD_FAILURE()
            << "output " << i << " = " << got[i] << " ("
            << llvm::formatv("{0:x8}", llvm::bit_cast<uint32_t>(got[i])).str()
            << "), CPU " << want[i] << " ("
            << llvm::formatv("{0:x8}", llvm::bit_cast<uint32_t>(want[i])).str()
            << ")";
    EXPECT_EQ(bad, 0);
  }
  for (const std::string &path : machinePaths)
    llvm::sys::fs::remove(path);
}

INSTANTIATE_TEST_SUITE_P(Programs, AccelDiff, ::testing::ValuesIn(accelCases()),
                         [](const ::testing::TestParamInfo<AccelCase> &info) {
                           return info.param.name;
                         });

/// Random programs: a matmul of random shape (some batched), transposes,
/// operand formats (f32, minifloats with nearest-even or stochastic
/// rounding, MX, FlexBlock, MXINT8, per-tensor scaled) and accumulation,
/// followed by a random elementwise epilogue, from a fixed seed
/// (QTRAIN_DIFF_SEED replays another draw).
std::vector<AccelCase> randomCases() {
  std::mt19937_64 rng(masterSeed() ^ 0x5eed);
  auto pick = [&](auto &list) { return list[rng() % std::size(list)]; };
  const char *formats[] = {
      "",
      "format = #qtrain.fp<e4m3fn, overflow = saturate>",
      "format = #qtrain.fp<e5m2>",
      "format = #qtrain.fp<e5m2>, rounding = #qtrain.rounding<stochastic, "
      "bits = 3>",
      "format = #qtrain.scaled<mxfp8_e4m3>",
      "format = #qtrain.scaled<mxfp8_e5m2>",
      "format = #qtrain.scaled<mxint8>",
      "format = #qtrain.scaled<fb12>",
      "format = #qtrain.scaled<fp8_e4m3_tensor>",
  };
  const char *accumulations[] = {
      "",
      "accumulation = #qtrain.accum<#qtrain.fp<fp12_dga>, static, group = 7>",
      "accumulation = #qtrain.accum<#qtrain.fp<fp12_dga>, static, group = 16>",
      "accumulation = #qtrain.accum<#qtrain.fp<fp12_dga>, efficient_dga>",
      "accumulation = #qtrain.accum<#qtrain.fp<fp12_dga>, ideal_dga>",
      "accumulation = #qtrain.accum<#qtrain.fp<fp16_dga>, static, group = 32>",
      "accumulation = #qtrain.accum<#qtrain.fp<fp12_dga>, efficient_dga, "
      "shared>",
  };
  const char *epilogues[] = {
      "", "%r = arith.maximumf %in, %zero : f32",
      "%s = arith.mulf %in, %in : f32\n    %r = arith.subf %s, %in : f32",
      "%r = math.absf %in : f32"};
  std::vector<AccelCase> cases;
  for (int i = 0; i < 10; ++i) {
    int64_t m = 1 + rng() % 40, k = 1 + rng() % 100, n = 1 + rng() % 40;
    bool ta = rng() % 2, tb = rng() % 2;
    std::string accumulation = pick(accumulations);
    std::string step =
        matmulStep(pick(formats), pick(formats), accumulation, m, k, n, ta, tb);
    std::string epilogue = pick(epilogues);
    if (!epilogue.empty()) {
      // y -> elementwise(y): replace the return with a generic.
      std::string cType = tensorType({m, n});
      size_t ret = step.find("  return %y");
      step = step.substr(0, ret) +
             llvm::formatv(
                 "  %zero = arith.constant 0.0 : f32\n"
                 "  %e = tensor.empty() : {0}\n"
                 "  %z = linalg.generic {{indexing_maps = [affine_map<(d0, "
                 "d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], "
                 "iterator_types = [\"parallel\", \"parallel\"]} ins(%y : "
                 "{0}) outs(%e : {0}) {{\n  ^bb0(%in: f32, %out: f32):\n"
                 "    {1}\n    linalg.yield %r : f32\n  } -> {0}\n"
                 "  return %z : {0}\n}\n",
                 cType, epilogue)
                 .str();
    }
    cases.push_back({"Random" + std::to_string(i), step});
  }
  return cases;
}

INSTANTIATE_TEST_SUITE_P(Random, AccelDiff, ::testing::ValuesIn(randomCases()),
                         [](const ::testing::TestParamInfo<AccelCase> &info) {
                           return info.param.name;
                         });

} // namespace
