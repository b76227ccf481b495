//===- qtrain-sim.cpp - The accelerator's functional model ----------------===//
//
//   qtrain-sim PROGRAM [--asm] [--machine=FILE] [--dram=ADDR:FILE ...]
//              [--dump=ADDR:BYTES:FILE ...] [--counters=text|json|none]
//
// Runs a program (16-byte instruction words as qtrain-asm writes them, or
// assembly text with --asm or a `.s` name) on the functional model of
// docs/Accelerator.md: DRAM starts as the --dram images (raw bytes placed at
// ADDR) and zeros, the program runs to its `finish`, then each --dump writes
// BYTES bytes of DRAM from ADDR to FILE and the counters go to stdout.
// Addresses and sizes are decimal or 0x hexadecimal. Any error (a bad
// program, an address out of bounds, a token that never arrives, ...) is
// printed with the instruction index and the exit status is 1; no dump is
// written then.
//
//===----------------------------------------------------------------------===//

#include "qtrain/Accel/ISA.h"
#include "qtrain/Accel/Machine.h"
#include "qtrain/Accel/Sim/Simulator.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;
using namespace qtrain::accel;
using namespace qtrain::accel::sim;

static cl::OptionCategory category("qtrain-sim options");
static cl::opt<std::string> inputFilename(cl::Positional, cl::desc("<program>"),
                                          cl::init("-"), cl::cat(category));
static cl::opt<bool>
    assembly("asm", cl::desc("The program is assembly text (default for *.s)"),
             cl::cat(category));
static cl::opt<std::string>
    machineFile("machine",
                cl::desc("Machine description (JSON; default: the bundled "
                         "lib/Accel/Machine/DefaultMachine.json)"),
                cl::value_desc("file"), cl::cat(category));
static cl::list<std::string>
    dramImages("dram", cl::desc("Place FILE's bytes in DRAM at ADDR"),
               cl::value_desc("addr:file"), cl::cat(category));
static cl::list<std::string>
    dumps("dump",
          cl::desc("After the run, write BYTES bytes of DRAM at ADDR "
                   "to FILE"),
          cl::value_desc("addr:bytes:file"), cl::cat(category));
enum class CountersFormat { Text, Json, None };
static cl::opt<std::string>
    manifestFile("manifest",
                 cl::desc("The program's buffers (qtrain-translate "
                          "--accel-to-manifest), for --input and --output"),
                 cl::value_desc("file"), cl::cat(category));
static cl::list<std::string>
    inputs("input",
           cl::desc("Place FILE's bytes in the manifest's buffer NAME (the "
                    "file's size must be the buffer's)"),
           cl::value_desc("name=file"), cl::cat(category));
static cl::list<std::string>
    outputs("output",
            cl::desc("After the run, write the manifest's buffer NAME to FILE"),
            cl::value_desc("name=file"), cl::cat(category));
static cl::opt<CountersFormat> countersFormat(
    "counters", cl::desc("How to print the counters on stdout"),
    cl::values(clEnumValN(CountersFormat::Text, "text", "key: value lines"),
               clEnumValN(CountersFormat::Json, "json", "one JSON object"),
               clEnumValN(CountersFormat::None, "none", "not at all")),
    cl::init(CountersFormat::Text), cl::cat(category));
static cl::opt<bool>
    printMachine("print-machine",
                 cl::desc("Print the machine description in use as JSON and "
                          "exit"),
                 cl::cat(category));

/// The buffers of a manifest, by name: address and bytes.
static Expected<StringMap<std::pair<uint64_t, uint64_t>>>
readManifest(StringRef path) {
  ErrorOr<std::unique_ptr<MemoryBuffer>> text = MemoryBuffer::getFile(path);
  if (std::error_code ec = text.getError())
    return createStringError(path + ": " + ec.message());
  Expected<json::Value> value = json::parse((*text)->getBuffer());
  if (!value)
    return createStringError(path + ": " + toString(value.takeError()));
  const json::Object *root = value->getAsObject();
  const json::Array *buffers = root ? root->getArray("buffers") : nullptr;
  if (!buffers)
    return createStringError(path + ": expected an object with a "
                                    "\"buffers\" array");
  StringMap<std::pair<uint64_t, uint64_t>> result;
  for (const json::Value &b : *buffers) {
    const json::Object *o = b.getAsObject();
    std::optional<StringRef> name = o ? o->getString("name") : std::nullopt;
    std::optional<int64_t> address =
        o ? o->getInteger("address") : std::nullopt;
    std::optional<int64_t> bytes = o ? o->getInteger("bytes") : std::nullopt;
    if (!name || !address || !bytes || *address < 0 || *bytes < 0)
      return createStringError(path + ": a buffer needs \"name\", "
                                      "\"address\" and \"bytes\"");
    result[*name] = {uint64_t(*address), uint64_t(*bytes)};
  }
  return result;
}

static int fail(const Twine &message) {
  WithColor::error(errs(), "qtrain-sim") << message << "\n";
  return 1;
}

/// "123" or "0x7b".
static bool parseNumber(StringRef s, uint64_t &v) {
  return !s.trim().getAsInteger(0, v);
}

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(argc, argv,
                              "qtrain accelerator functional model\n");

  MachineDescription machine = getDefaultMachine();
  if (!machineFile.empty()) {
    Expected<MachineDescription> m = loadMachineDescription(machineFile);
    if (!m)
      return fail(toString(m.takeError()));
    machine = *m;
  }
  if (printMachine) {
    printMachineDescription(outs(), machine);
    outs() << "\n";
    return 0;
  }

  // The program.
  ErrorOr<std::unique_ptr<MemoryBuffer>> input =
      MemoryBuffer::getFileOrSTDIN(inputFilename, /*IsText=*/false);
  if (std::error_code ec = input.getError())
    return fail(inputFilename + ": " + ec.message());
  StringRef name =
      inputFilename == "-" ? StringRef("<stdin>") : StringRef(inputFilename);
  std::vector<uint8_t> words;
  StringRef buffer = (*input)->getBuffer();
  if (assembly || name.ends_with(".s")) {
    Expected<std::vector<Instruction>> parsed = parseAssembly(buffer, name);
    if (!parsed) {
      errs() << toString(parsed.takeError()) << "\n";
      return 1;
    }
    words = encodeStream(*parsed);
  } else {
    words.assign(buffer.bytes_begin(), buffer.bytes_end());
  }
  Expected<std::vector<Instruction>> program = decodeStream(words);
  if (!program)
    return fail(name + ": " + toString(program.takeError()));

  Expected<std::unique_ptr<Simulator>> sim = Simulator::create(machine);
  if (!sim)
    return fail(toString(sim.takeError()));

  // DRAM images.
  for (StringRef image : dramImages) {
    auto [addrText, file] = image.split(':');
    uint64_t addr;
    if (file.empty() || !parseNumber(addrText, addr))
      return fail("--dram=" + image + ": expected ADDR:FILE");
    ErrorOr<std::unique_ptr<MemoryBuffer>> bytes =
        MemoryBuffer::getFile(file, /*IsText=*/false);
    if (std::error_code ec = bytes.getError())
      return fail(file + ": " + ec.message());
    if (Error e = (*sim)->writeDram(
            addr, arrayRefFromStringRef((*bytes)->getBuffer())))
      return fail("--dram=" + image + ": " + toString(std::move(e)));
  }
  // The dumps are checked before the run, so a typo does not waste it.
  struct Dump {
    uint64_t addr, size;
    std::string file;
  };
  std::vector<Dump> dumpList;
  // Named buffers of the compiler's manifest.
  if ((!inputs.empty() || !outputs.empty()) && manifestFile.empty())
    return fail("--input and --output name buffers of a --manifest");
  if (!manifestFile.empty()) {
    auto manifest = readManifest(manifestFile);
    if (!manifest)
      return fail(toString(manifest.takeError()));
    auto lookup =
        [&](StringRef option, StringRef spec,
            StringRef &file) -> std::optional<std::pair<uint64_t, uint64_t>> {
      auto [bufferName, path] = spec.split('=');
      file = path;
      auto it = manifest->find(bufferName);
      if (path.empty() || it == manifest->end())
        return std::nullopt;
      return it->second;
    };
    for (StringRef in : inputs) {
      StringRef file;
      auto buffer = lookup("--input", in, file);
      if (!buffer)
        return fail("--input=" + in + ": expected NAME=FILE with NAME a " +
                    "buffer of " + manifestFile);
      ErrorOr<std::unique_ptr<MemoryBuffer>> bytes =
          MemoryBuffer::getFile(file, /*IsText=*/false);
      if (std::error_code ec = bytes.getError())
        return fail(file + ": " + ec.message());
      if ((*bytes)->getBufferSize() != buffer->second)
        return fail("--input=" + in + ": the file has " +
                    Twine((*bytes)->getBufferSize()) + " bytes, the buffer " +
                    Twine(buffer->second));
      if (Error e = (*sim)->writeDram(
              buffer->first, arrayRefFromStringRef((*bytes)->getBuffer())))
        return fail("--input=" + in + ": " + toString(std::move(e)));
    }
    for (StringRef out : outputs) {
      StringRef file;
      auto buffer = lookup("--output", out, file);
      if (!buffer)
        return fail("--output=" + out + ": expected NAME=FILE with NAME a " +
                    "buffer of " + manifestFile);
      if (buffer->first > machine.dram.bytes ||
          buffer->second > machine.dram.bytes - buffer->first)
        return fail("--output=" + out + ": outside DRAM (" +
                    Twine(machine.dram.bytes) + " bytes)");
      dumpList.push_back({buffer->first, buffer->second, file.str()});
    }
  }
  for (StringRef d : dumps) {
    SmallVector<StringRef, 3> parts;
    d.split(parts, ':', 2);
    Dump dump;
    if (parts.size() != 3 || parts[2].empty() ||
        !parseNumber(parts[0], dump.addr) || !parseNumber(parts[1], dump.size))
      return fail("--dump=" + d + ": expected ADDR:BYTES:FILE");
    if (dump.addr > machine.dram.bytes ||
        dump.size > machine.dram.bytes - dump.addr)
      return fail("--dump=" + d + ": outside DRAM (" +
                  Twine(machine.dram.bytes) + " bytes)");
    dump.file = parts[2].str();
    dumpList.push_back(std::move(dump));
  }

  if (Error e = (*sim)->run(*program))
    return fail(name + ": " + toString(std::move(e)));

  for (const Dump &d : dumpList) {
    std::vector<uint8_t> bytes(d.size);
    cantFail((*sim)->readDram(d.addr, bytes));
    std::error_code ec;
    ToolOutputFile out(d.file, ec, sys::fs::OF_None);
    if (ec)
      return fail(d.file + ": " + ec.message());
    out.os().write(reinterpret_cast<const char *>(bytes.data()), bytes.size());
    out.os().flush();
    if (out.os().has_error()) {
      out.os().clear_error();
      return fail(d.file + ": write error");
    }
    out.keep();
  }
  switch (countersFormat) {
  case CountersFormat::Text:
    printCounters(outs(), (*sim)->getCounters(), machine);
    break;
  case CountersFormat::Json:
    outs() << formatv("{0:2}", countersToJSON((*sim)->getCounters(), machine))
           << "\n";
    break;
  case CountersFormat::None:
    break;
  }
  return 0;
}
