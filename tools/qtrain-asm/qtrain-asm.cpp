//===- qtrain-asm.cpp - The accelerator's assembler and disassembler ------===//
//
//   qtrain-asm IN.s -o OUT.bin           assemble (docs/Accelerator.md,
//                                        "Assembly") into 16-byte words
//   qtrain-asm --disassemble IN.bin      decode a program (every error of
//                                        "Words and decoding"), print its
//                                        canonical text
//   qtrain-asm --gen-encoding-docs       the generated block of the
//                                        "Encoding" section
//
// `-` (the default input and output) is stdin / stdout. Errors go to stderr
// with exit status 1.
//
//===----------------------------------------------------------------------===//

#include "qtrain/Accel/ISA.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;
using namespace qtrain::accel;

static cl::OptionCategory category("qtrain-asm options");
static cl::opt<std::string> inputFilename(cl::Positional,
                                          cl::desc("<input file>"),
                                          cl::init("-"), cl::cat(category));
static cl::opt<std::string> outputFilename("o", cl::desc("Output file"),
                                           cl::value_desc("filename"),
                                           cl::init("-"), cl::cat(category));
static cl::opt<bool> disassemble("disassemble",
                                 cl::desc("Decode a binary program and print "
                                          "its canonical assembly"),
                                 cl::cat(category));
static cl::opt<bool> genEncodingDocs(
    "gen-encoding-docs",
    cl::desc("Print the generated encoding tables of docs/Accelerator.md"),
    cl::cat(category));

static int fail(const Twine &message) {
  WithColor::error(errs(), "qtrain-asm") << message << "\n";
  return 1;
}

static int writeOutput(StringRef bytes, bool text) {
  std::error_code ec;
  ToolOutputFile out(outputFilename, ec,
                     text ? sys::fs::OF_Text : sys::fs::OF_None);
  if (ec)
    return fail(outputFilename + ": " + ec.message());
  out.os() << bytes;
  out.os().flush();
  if (out.os().has_error()) {
    out.os().clear_error();
    return fail(outputFilename + ": write error");
  }
  out.keep();
  return 0;
}

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(argc, argv,
                              "qtrain accelerator assembler / disassembler\n");

  if (genEncodingDocs)
    return writeOutput(generateEncodingDocs(), /*text=*/true);

  ErrorOr<std::unique_ptr<MemoryBuffer>> input =
      MemoryBuffer::getFileOrSTDIN(inputFilename, /*IsText=*/!disassemble);
  if (std::error_code ec = input.getError())
    return fail(inputFilename + ": " + ec.message());
  StringRef name =
      inputFilename == "-" ? StringRef("<stdin>") : StringRef(inputFilename);

  if (disassemble) {
    StringRef buffer = (*input)->getBuffer();
    Expected<std::vector<Instruction>> insts = decodeStream(ArrayRef<uint8_t>(
        reinterpret_cast<const uint8_t *>(buffer.data()), buffer.size()));
    if (!insts)
      return fail(name + ": " + toString(insts.takeError()));
    std::string text;
    raw_string_ostream os(text);
    for (const Instruction &inst : *insts) {
      printInstruction(os, inst);
      os << "\n";
    }
    return writeOutput(text, /*text=*/true);
  }

  Expected<std::vector<Instruction>> insts =
      parseAssembly((*input)->getBuffer(), name);
  if (!insts) {
    // The message already names the file, line and column.
    errs() << toString(insts.takeError()) << "\n";
    return 1;
  }
  std::vector<uint8_t> bytes = encodeStream(*insts);
  return writeOutput(
      StringRef(reinterpret_cast<const char *>(bytes.data()), bytes.size()),
      /*text=*/false);
}
