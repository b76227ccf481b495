//===- EncodingDocsTest.cpp - The docs' encoding tables are generated -----===//
//
// docs/Accelerator.md holds the encoding tables generated from
// Instructions.def between its markers; this test regenerates them and
// compares byte for byte (`qtrain-asm --gen-encoding-docs` prints the block
// to paste after a change of the .def).
//
//===----------------------------------------------------------------------===//

#include "qtrain/Accel/ISA.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/MemoryBuffer.h"

#include "gtest/gtest.h"

using namespace llvm;
using namespace qtrain::accel;

namespace {

TEST(AccelEncodingDocs, PageHoldsTheGeneratedBlock) {
  ErrorOr<std::unique_ptr<MemoryBuffer>> page =
      MemoryBuffer::getFile(QTRAIN_ACCELERATOR_DOC, /*IsText=*/true);
  ASSERT_TRUE(bool(page)) << QTRAIN_ACCELERATOR_DOC;
  StringRef text = (*page)->getBuffer();
  size_t begin = text.find(getEncodingDocsBeginMarker());
  ASSERT_NE(begin, StringRef::npos) << "no begin marker";
  size_t end = text.find(getEncodingDocsEndMarker(), begin);
  ASSERT_NE(end, StringRef::npos) << "no end marker";
  end += getEncodingDocsEndMarker().size();
  ASSERT_LT(end, text.size());
  ASSERT_EQ(text[end], '\n');
  StringRef block = text.slice(begin, end + 1);
  std::string generated = generateEncodingDocs();
  if (block != generated) {
    // Name the first line that differs rather than print both blocks.
    SmallVector<StringRef> have, want;
    block.split(have, '\n');
    StringRef(generated).split(want, '\n');
    size_t line = 0;
    while (line < have.size() && line < want.size() && have[line] == want[line])
      ++line;
    size_t pageLine = text.take_front(begin).count('\n') + line + 1;
    ADD_FAILURE() << "docs/Accelerator.md's encoding tables differ from "
                     "Instructions.def (replace the block with the output of "
                     "`qtrain-asm --gen-encoding-docs`); first difference at "
                     "line "
                  << pageLine << ":\n  page:      "
                  << (line < have.size() ? have[line].str() : "(end)")
                  << "\n  generated: "
                  << (line < want.size() ? want[line].str() : "(end)");
  }
  // The markers occur once.
  EXPECT_EQ(text.find(getEncodingDocsBeginMarker(), begin + 1),
            StringRef::npos);
}

TEST(AccelEncodingDocs, GeneratorRules) {
  std::string docs = generateEncodingDocs();
  EXPECT_NE(docs.find("| `0xF` | `Finish` | dispatch | end of the stream"),
            std::string::npos);
  EXPECT_NE(docs.find("#### `gemm` (Gemm): opcode `0x5`, compute queue\n\n"
                      "Accumulate A x B^T products of scratchpad tiles into "
                      "ACC.\n"),
            std::string::npos);
  EXPECT_NE(docs.find("#### `cfg.view` (ConfigView): opcode `0x2`, form 2, "
                      "dispatch\n"),
            std::string::npos);
  EXPECT_NE(docs.find("| [4, 128) | 124 | `reserved0` | reserved | 0 |  |"),
            std::string::npos);
}

} // namespace
