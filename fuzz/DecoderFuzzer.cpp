//===- DecoderFuzzer.cpp - libFuzzer target of the instruction decoder ----===//
//
// docs/Accelerator.md, "Words and decoding", "Assembly" and "Fuzzing". On any
// byte string:
//
//  - decodeStream never crashes; when it succeeds, the canonical text of
//    every instruction assembles (parseAssembly) to the same instructions
//    and encodeStream gives back the input bytes: the decoder, the printer,
//    the assembler and the encoder agree;
//  - parseAssembly of the bytes as text never crashes; when it succeeds, the
//    canonical text of what it parsed assembles to the same instructions,
//    and their words decode to them (when they form a stream).
//
// A disagreement is a bug: __builtin_trap, which libFuzzer reports as a
// crash with the input. Errors are fine; every other outcome is checked by
// the sanitizers.
//
//===----------------------------------------------------------------------===//

#include "qtrain/Accel/ISA.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

using namespace llvm;
using namespace qtrain::accel;

namespace {

/// Stops on a broken property, with a line on stderr saying which.
[[noreturn]] void fail(const char *what, const std::string &detail = "") {
  errs() << "DecoderFuzzer: " << what << "\n" << detail << "\n";
  errs().flush();
  __builtin_trap();
}

/// The canonical text of `insts`, one line each.
std::string printAll(ArrayRef<Instruction> insts) {
  std::string text;
  raw_string_ostream os(text);
  for (const Instruction &inst : insts) {
    printInstruction(os, inst);
    os << '\n';
  }
  return text;
}

/// `text` (printed from `insts`) assembles back to `insts`, and printing
/// those gives `text` again.
void checkReassembles(ArrayRef<Instruction> insts, const std::string &text) {
  Expected<std::vector<Instruction>> again = parseAssembly(text, "printed");
  if (!again)
    fail("the canonical text does not assemble",
         text + toString(again.takeError()));
  if (again->size() != insts.size())
    fail("the canonical text assembles to another number of instructions",
         text);
  for (size_t i = 0; i < insts.size(); ++i)
    if ((*again)[i] != insts[i])
      fail("the canonical text assembles to another instruction",
           printInstruction(insts[i]) + "\n" + printInstruction((*again)[i]));
  if (printAll(*again) != text)
    fail("the canonical text is not a fixed point", text);
}

void fuzzWords(ArrayRef<uint8_t> bytes) {
  Expected<std::vector<Instruction>> insts = decodeStream(bytes);
  if (!insts) {
    consumeError(insts.takeError());
    return;
  }
  checkReassembles(*insts, printAll(*insts));
  std::vector<uint8_t> words = encodeStream(*insts);
  if (words.size() != bytes.size() ||
      !std::equal(words.begin(), words.end(), bytes.begin()))
    fail("encodeStream(decodeStream(bytes)) is not bytes");
}

void fuzzText(ArrayRef<uint8_t> bytes) {
  StringRef text(reinterpret_cast<const char *>(bytes.data()), bytes.size());
  std::vector<unsigned> lines;
  Expected<std::vector<Instruction>> insts =
      parseAssembly(text, "input", &lines);
  if (!insts) {
    consumeError(insts.takeError());
    return;
  }
  if (lines.size() != insts->size())
    fail("parseAssembly gives another number of lines than instructions");
  // What the parser accepts verifies: each field is in its legal range.
  for (const Instruction &inst : *insts)
    if (Error e = verifyFields(inst))
      fail("parseAssembly accepts an instruction that does not verify",
           printInstruction(inst) + "\n" + toString(std::move(e)));
  checkReassembles(*insts, printAll(*insts));
  // The assembler does not require a stream: decode it when it is one.
  std::vector<uint8_t> words = encodeStream(*insts);
  Expected<std::vector<Instruction>> decoded = decodeStream(words);
  if (!decoded) {
    consumeError(decoded.takeError());
    return;
  }
  if (*decoded != *insts)
    fail("the words of assembled instructions decode to others");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  ArrayRef<uint8_t> bytes(data, size);
  fuzzWords(bytes);
  fuzzText(bytes);
  return 0;
}
