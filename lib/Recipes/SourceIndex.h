//===- SourceIndex.h - Where each JSON value is in its text -----*- C++ -*-===//
//
// llvm::json::Value keeps no source positions, so a semantic error found
// after parsing cannot point at a line by itself. SourceIndex walks the
// text once more (after llvm::json::parse accepted it) and records, for
// every value, its key path ("roles.W.format", "layers[0].match") and the
// offset where it starts in the text: the key of an object member, the
// first character of an array element or of the root. An error at a path
// is then reported at that offset; a path that is not in the text (a
// missing key) is reported at its closest enclosing value that is.
//
// The same walk finds duplicate keys, which llvm::json::parse accepts
// silently (the last one wins) and which a recipe rejects.
//
//===----------------------------------------------------------------------===//

#ifndef QTRAIN_LIB_RECIPES_SOURCEINDEX_H
#define QTRAIN_LIB_RECIPES_SOURCEINDEX_H

#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"

#include <cstddef>
#include <optional>
#include <string>
#include <utility>

namespace qtrain::recipes::detail {

/// The path of member `key` of the value at `parent` ("" is the root):
/// "key" at the root, else "parent.key".
std::string fieldPath(llvm::StringRef parent, llvm::StringRef key);
/// The path of element `index` of the array at `parent`: "parent[index]".
std::string indexPath(llvm::StringRef parent, size_t index);
/// The enclosing path: "a.b[2]" -> "a.b" -> "a" -> "".
llvm::StringRef parentPath(llvm::StringRef path);

/// 1-based line and column of byte `offset` of `text`.
std::pair<unsigned, unsigned> lineColumn(llvm::StringRef text, size_t offset);

/// The deepest nesting of arrays and objects in `text` exceeds `limit`:
/// returns the offset of the bracket that does. llvm::json::parse recurses
/// once per level, so this is checked first.
std::optional<size_t> findExcessiveNesting(llvm::StringRef text,
                                           unsigned limit);

class SourceIndex {
public:
  /// Indexes `text`, which must be JSON that llvm::json::parse accepted.
  explicit SourceIndex(llvm::StringRef text);

  /// The offset of the value at `path`, or of its closest enclosing value
  /// in the text.
  size_t offsetOf(llvm::StringRef path) const;

  struct Duplicate {
    std::string path;   ///< The path of the repeated key.
    size_t offset;      ///< The second occurrence.
    size_t firstOffset; ///< The first occurrence.
  };
  /// The first repeated key in the text, if any.
  const std::optional<Duplicate> &duplicate() const { return dup; }

private:
  void value(const std::string &path);
  void skipString(std::string *out);
  void skipWhitespace();
  char peek() const { return pos < text.size() ? text[pos] : '\0'; }

  llvm::StringRef text;
  size_t pos = 0;
  llvm::StringMap<size_t> offsets;
  std::optional<Duplicate> dup;
};

} // namespace qtrain::recipes::detail

#endif // QTRAIN_LIB_RECIPES_SOURCEINDEX_H
