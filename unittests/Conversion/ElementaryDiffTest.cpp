//===- ElementaryDiffTest.cpp - math.exp / math.log vs the library --------===//
//
// The CPU lowering's math.exp and math.log on f32 (scalar loops, 8- and
// 16-lane vectors, and linalg.generic bodies as the training steps' softmax
// has them) against numerics::expF32 and logF32, bit for bit, for every
// target of diffTargets(), on special values, range boundaries, subnormals
// and random bit patterns.
//
//===----------------------------------------------------------------------===//

#include "DiffTestUtil.h"

#include "qtrain/ExecutionEngine/Jit.h"
#include "qtrain/Numerics/Elementary.h"

#include "llvm/Support/FormatVariadic.h"

#include "gtest/gtest.h"

#include <cstdio>
#include <limits>
#include <random>

using namespace qtrain;
using namespace qtrain::difftest;
namespace nx = qtrain::numerics;

namespace {

using UnaryFn = void(Memref1D *in, Memref1D *out);

std::string hex(float x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%a", static_cast<double>(x));
  return buf;
}

/// @<op>_scalar, @<op>_v8, @<op>_v16 (n a multiple of 16) and @<op>_generic.
std::string moduleText() {
  std::string s;
  for (const char *op : {"exp", "log"}) {
    s += llvm::formatv(R"(
func.func @{0}_scalar(%in: memref<?xf32>, %out: memref<?xf32>)
    attributes {{llvm.emit_c_interface} {{
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = memref.dim %in, %c0 : memref<?xf32>
  scf.for %i = %c0 to %n step %c1 {{
    %x = memref.load %in[%i] : memref<?xf32>
    %y = math.{0} %x : f32
    memref.store %y, %out[%i] : memref<?xf32>
  }
  return
}
)",
                       op)
             .str();
    for (int lanes : {8, 16})
      s += llvm::formatv(R"(
func.func @{0}_v{1}(%in: memref<?xf32>, %out: memref<?xf32>)
    attributes {{llvm.emit_c_interface} {{
  %c0 = arith.constant 0 : index
  %step = arith.constant {1} : index
  %n = memref.dim %in, %c0 : memref<?xf32>
  scf.for %i = %c0 to %n step %step {{
    %x = vector.load %in[%i] : memref<?xf32>, vector<{1}xf32>
    %y = math.{0} %x : vector<{1}xf32>
    vector.store %y, %out[%i] : memref<?xf32>, vector<{1}xf32>
  }
  return
}
)",
                         op, lanes)
               .str();
    s += llvm::formatv(R"(
#map{0} = affine_map<(d0) -> (d0)>
func.func @{0}_generic(%in: memref<?xf32>, %out: memref<?xf32>)
    attributes {{llvm.emit_c_interface} {{
  %x = bufferization.to_tensor %in restrict : memref<?xf32> to tensor<?xf32>
  %c0 = arith.constant 0 : index
  %n = memref.dim %in, %c0 : memref<?xf32>
  %e = tensor.empty(%n) : tensor<?xf32>
  %y = linalg.generic {{indexing_maps = [#map{0}, #map{0}],
                       iterator_types = ["parallel"]}
      ins(%x : tensor<?xf32>) outs(%e : tensor<?xf32>) {{
  ^bb0(%a: f32, %b: f32):
    %r = math.{0} %a : f32
    linalg.yield %r : f32
  } -> tensor<?xf32>
  bufferization.materialize_in_destination %y in restrict writable %out
      : (tensor<?xf32>, memref<?xf32>) -> ()
  return
}
)",
                       op)
             .str();
  }
  return s;
}

/// Special values, both functions' range boundaries and their neighbours,
/// subnormals, and random bit patterns; a multiple of 16 elements.
std::vector<float> inputs(uint64_t seed) {
  const float inf = std::numeric_limits<float>::infinity();
  std::vector<float> in = {0.0f,
                           -0.0f,
                           inf,
                           -inf,
                           std::numeric_limits<float>::quiet_NaN(),
                           llvm::bit_cast<float>(0xffc00123u),
                           1.0f,
                           2.0f,
                           0.5f,
                           std::numeric_limits<float>::max(),
                           std::numeric_limits<float>::min(),
                           std::numeric_limits<float>::denorm_min(),
                           -std::numeric_limits<float>::denorm_min(),
                           0x1.6a09e6p+0f,
                           0x1.6a09e8p+0f,
                           88.72283f,
                           88.72284f,
                           89.0f,
                           -103.97f,
                           -104.0f,
                           -104.1f,
                           -87.33655f};
  std::mt19937_64 rng(seed);
  while (in.size() < 4096) {
    uint32_t u = static_cast<uint32_t>(rng());
    // Half the draws in exp's interesting range, half anywhere.
    in.push_back(in.size() % 2 ? llvm::bit_cast<float>(u)
                               : std::ldexp(static_cast<float>(u) / 0x1p32f,
                                            static_cast<int>(rng() % 8)) *
                                         (rng() % 2 ? 1.0f : -1.0f) -
                                     (rng() % 4 == 0 ? 90.0f : 0.0f));
  }
  return in;
}

TEST(ElementaryDiff, ExpAndLogMatchTheLibrary) {
  uint64_t seed = masterSeed();
  SCOPED_TRACE("replay with QTRAIN_DIFF_SEED=" + std::to_string(seed));
  std::vector<float> in = inputs(seed);
  int64_t n = static_cast<int64_t>(in.size());
  for (const std::string &target : diffTargets()) {
    SCOPED_TRACE("target " + target);
    auto ctx = createJitContext();
    JitOptions options;
    options.lowering.targetCpu = target;
    auto engine = jitCompile(*ctx, moduleText(), options);
    ASSERT_TRUE(!!engine) << llvm::toString(engine.takeError());
    for (const char *op : {"exp", "log"}) {
      for (const char *form : {"scalar", "v8", "v16", "generic"}) {
        std::string name = std::string(op) + "_" + form;
        auto fn = lookupCInterface<UnaryFn>(**engine, name);
        ASSERT_TRUE(!!fn) << llvm::toString(fn.takeError());
        std::vector<float> out(n);
        Memref1D i = view(in, n), o = view(out, n);
        (*fn)(&i, &o);
        int mismatches = 0;
        for (int64_t j = 0; j < n && mismatches < 5; ++j) {
          float want = op[0] == 'e' ? nx::expF32(in[j]) : nx::logF32(in[j]);
          if (llvm::bit_cast<uint32_t>(out[j]) !=
              llvm::bit_cast<uint32_t>(want)) {
            ++mismatches;
            ADD_FAILURE() << name << "(" << hex(in[j]) << "): " << hex(out[j])
                          << ", library " << hex(want);
          }
        }
      }
    }
  }
}

} // namespace
