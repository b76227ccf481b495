//===- qtrain-numerics.cpp - The numerics library from the command line ---===//
//
//   qtrain-numerics formats                 list every named format
//   qtrain-numerics quantize --format=NAME [--rounding=MODE] [--bits=K]
//                            [--seed=S] X...
//                                           quantize numbers, print codes
//   qtrain-numerics demo                    a tour of rounding and scaling
//   qtrain-numerics sr                      stochastic rounding per source
//   qtrain-numerics dga [--lengths=K,...] [--trials=T] [--outputs=N]
//                       [--angle-lengths=K,...] [--angles=A,...]
//                                           the DGA accuracy study
//
//===----------------------------------------------------------------------===//

#include "DgaStudy.h"
#include "SrStudy.h"

#include "qtrain/Numerics/Accumulation.h"
#include "qtrain/Numerics/Presets.h"
#include "qtrain/Numerics/Statistics.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;
using namespace qtrain::numerics;

static cl::SubCommand formatsCmd("formats", "List every named format");
static cl::SubCommand quantizeCmd("quantize", "Quantize numbers");
static cl::SubCommand demoCmd("demo", "A tour of rounding and scaling");
static cl::SubCommand srCmd("sr", "Stochastic rounding per random source "
                                  "and width");
static cl::SubCommand dgaCmd("dga", "Accuracy of grouped FP12 accumulation");

static cl::opt<std::string> formatName("format", cl::desc("Minifloat preset"),
                                       cl::init("e4m3fn"),
                                       cl::sub(quantizeCmd));
static cl::opt<std::string>
    roundingName("rounding",
                 cl::desc("nearest_even|toward_zero|nearest_away|up|down|"
                          "stochastic"),
                 cl::init("nearest_even"), cl::sub(quantizeCmd));
static cl::opt<unsigned> randomBits("bits", cl::desc("Stochastic: k"),
                                    cl::init(8), cl::sub(quantizeCmd));
static cl::opt<uint64_t> seed("seed", cl::desc("Stochastic: seed"), cl::init(0),
                              cl::sub(quantizeCmd));
static cl::list<std::string> values(cl::Positional, cl::desc("<x>..."),
                                    cl::sub(quantizeCmd));
static cl::list<int> dgaLengths("lengths",
                                cl::desc("Dot-product lengths K of the error "
                                         "table (default 256,1024,4096,16384)"),
                                cl::CommaSeparated, cl::sub(dgaCmd));
static cl::opt<int> dgaTrials("trials", cl::desc("Dot products per figure"),
                              cl::init(20), cl::sub(dgaCmd));
static cl::opt<int> dgaOutputs("outputs",
                               cl::desc("Outputs of the angle study"),
                               cl::init(16), cl::sub(dgaCmd));
static cl::list<int> dgaAngleLengths("angle-lengths",
                                     cl::desc("Lengths K of the angle study "
                                              "(default 4096,65536)"),
                                     cl::CommaSeparated, cl::sub(dgaCmd));
static cl::list<double> dgaAngles("angles",
                                  cl::desc("Target angles in radians "
                                           "(default 1e-2,1e-3,1e-4)"),
                                  cl::CommaSeparated, cl::sub(dgaCmd));

static int fail(const Twine &message) {
  WithColor::error(errs(), "qtrain-numerics") << message << "\n";
  return 1;
}

static void describe(raw_ostream &os, const MinifloatFormat &f) {
  os << format("e%um%u bias %-4d %-4s %-5s %-8s max %-12g min normal %-12g "
               "min %g",
               f.exponentBits, f.mantissaBits, f.bias,
               stringifySpecialValues(f.specials).data(),
               f.subnormals ? "sub" : "flush",
               stringifyOverflowPolicy(f.overflow).data(), f.maxFinite(),
               f.minNormal(), f.minPositive());
}

static int listFormats() {
  outs() << "Minifloats:\n";
  for (const MinifloatPreset &p : minifloatPresets()) {
    outs() << format("  %-12s ", p.name.data());
    describe(outs(), p.format);
    outs() << "  (" << p.description << ")\n";
  }
  ScaleFormat e8m0 = ScaleFormat::e8m0();
  outs() << "Scale formats:\n"
         << format("  %-12s power of two 2^(code - %d), codes 0..%u, NaN at "
                   "0x%x (OCP E8M0, APFloat Float8E8M0FNU)\n",
                   "e8m0fnu", e8m0.bias, e8m0.nanCode() - 1, e8m0.nanCode())
         << format("  %-12s IEEE binary32\n", "f32");
  outs() << "Scaled formats:\n";
  for (const ScaledPreset &p : scaledPresets()) {
    outs() << format("  %-16s %-10s %u-bit elements, %zu scale level(s)  (",
                     p.name.data(),
                     stringifyRoundingMode(p.rounding.mode).data(),
                     p.format.element.bitWidth(), p.format.levels.size())
           << p.description << ")\n";
  }
  return 0;
}

static int quantizeValues() {
  std::optional<MinifloatFormat> f = lookupMinifloat(formatName);
  if (!f)
    return fail("unknown format '" + formatName + "' (see 'formats')");
  std::optional<RoundingMode> mode = parseRoundingMode(roundingName);
  if (!mode)
    return fail("unknown rounding mode '" + roundingName + "'");
  Rounding r = Rounding::deterministic(*mode);
  if (*mode == RoundingMode::Stochastic) {
    RandomSource src;
    src.seed = seed;
    r = Rounding::stochastic(randomBits, src);
  }
  if (Error e = r.verify())
    return fail(toString(std::move(e)));
  std::vector<float> in;
  for (const std::string &v : values) {
    float x;
    if (!to_float(v, x))
      return fail("'" + v + "' is not a number");
    in.push_back(x);
  }
  std::vector<uint32_t> codes(in.size());
  encode(*f, in, codes, r);
  for (size_t i = 0; i < in.size(); ++i)
    outs() << format("%-14g -> 0x%0*x = %g\n", in[i],
                     int((f->bitWidth() + 3) / 4), codes[i],
                     decode(*f, codes[i]));
  return 0;
}

static int demo() {
  MinifloatFormat fp8 = *lookupMinifloat("e4m3fn");
  outs() << "1.3 in e4m3fn under each rounding mode:\n";
  for (RoundingMode m :
       {RoundingMode::NearestEven, RoundingMode::TowardZero,
        RoundingMode::NearestAway, RoundingMode::Up, RoundingMode::Down})
    outs() << format("  %-13s %g\n", stringifyRoundingMode(m).data(),
                     quantize(fp8, 1.3f, Rounding::deterministic(m)));
  outs() << "Stochastic rounding of 1.3 (k = 3, counter source), mean of "
            "100000 draws:\n";
  std::vector<float> in(100000, 1.3f), out(in.size());
  quantize(fp8, in, out, Rounding::stochastic(3));
  double mean = 0;
  for (float v : out)
    mean += v / out.size();
  outs() << format("  %.5f (exact 1.3; 3-bit SR keeps the top 3 discarded "
                   "bits)\n",
                   mean);
  outs() << "MXFP4 of 32 values 1..32 (one block):\n";
  std::vector<float> x(32), q(32);
  for (int i = 0; i < 32; ++i)
    x[i] = i + 1;
  const ScaledPreset *mx = lookupScaled("mxfp4_e2m1");
  if (Error e = quantizeScaled(mx->format, {32}, x, q, mx->rounding))
    return fail(toString(std::move(e)));
  outs() << " ";
  for (float v : q)
    outs() << " " << v;
  outs() << "\n";
  return 0;
}

static int dgaStudy() {
  qtrain::tools::DgaStudyOptions opt;
  opt.lengths.assign(dgaLengths.begin(), dgaLengths.end());
  if (opt.lengths.empty())
    opt.lengths = {256, 1024, 4096, 16384};
  opt.angles.assign(dgaAngles.begin(), dgaAngles.end());
  if (opt.angles.empty())
    opt.angles = {1e-2, 1e-3, 1e-4};
  opt.trials = dgaTrials;
  opt.outputs = dgaOutputs;
  opt.angleLengths.assign(dgaAngleLengths.begin(), dgaAngleLengths.end());
  if (opt.angleLengths.empty())
    opt.angleLengths = {4096, 65536};
  auto positive = [](ArrayRef<int> ks) {
    return llvm::all_of(ks, [](int k) { return k > 0; });
  };
  if (opt.trials < 1 || opt.outputs < 1 || !positive(opt.lengths) ||
      !positive(opt.angleLengths))
    return fail("--lengths, --trials, --outputs and --angle-lengths must be "
                "positive");
  if (llvm::any_of(opt.angles, [](double a) { return !(a > 0); }))
    return fail("--angles must be positive");
  return qtrain::tools::runDgaStudy(opt, outs());
}

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  cl::ParseCommandLineOptions(argc, argv, "qtrain numerics library tool\n");
  if (formatsCmd)
    return listFormats();
  if (quantizeCmd)
    return quantizeValues();
  if (demoCmd)
    return demo();
  if (dgaCmd)
    return dgaStudy();
  if (srCmd)
    return qtrain::tools::runSrStudy(outs());
  return fail("give a subcommand: formats, quantize, demo, sr or dga "
              "(--help)");
}
