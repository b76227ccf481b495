//===- SourceIndex.cpp - Where each JSON value is in its text -------------===//

#include "SourceIndex.h"

#include "llvm/ADT/Twine.h"
#include "llvm/Support/ConvertUTF.h"

using namespace llvm;

namespace qtrain::recipes::detail {

std::string fieldPath(StringRef parent, StringRef key) {
  if (parent.empty())
    return key.str();
  return (parent + "." + key).str();
}

std::string indexPath(StringRef parent, size_t index) {
  return (parent + "[" + Twine(index) + "]").str();
}

StringRef parentPath(StringRef path) {
  // Keys may contain '.' or '['; only the last separator matters here, and
  // the result is only used to find a line, so a key with such characters
  // at worst points at an enclosing value.
  size_t cut = path.find_last_of(".[");
  return cut == StringRef::npos ? StringRef() : path.take_front(cut);
}

std::pair<unsigned, unsigned> lineColumn(StringRef text, size_t offset) {
  offset = std::min(offset, text.size());
  StringRef before = text.take_front(offset);
  unsigned line = 1 + before.count('\n');
  size_t lineStart = before.rfind('\n');
  lineStart = lineStart == StringRef::npos ? 0 : lineStart + 1;
  return {line, static_cast<unsigned>(offset - lineStart + 1)};
}

std::optional<size_t> findExcessiveNesting(StringRef text, unsigned limit) {
  unsigned depth = 0;
  bool inString = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (inString) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        inString = false;
      continue;
    }
    if (c == '"') {
      inString = true;
    } else if (c == '[' || c == '{') {
      if (++depth > limit)
        return i;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return std::nullopt;
}

SourceIndex::SourceIndex(StringRef text) : text(text) {
  skipWhitespace();
  value("");
}

size_t SourceIndex::offsetOf(StringRef path) const {
  for (;;) {
    auto it = offsets.find(path);
    if (it != offsets.end())
      return it->second;
    if (path.empty())
      return 0;
    path = parentPath(path);
  }
}

void SourceIndex::skipWhitespace() {
  while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t' ||
                               text[pos] == '\n' || text[pos] == '\r'))
    ++pos;
}

// Called with pos at the opening quote; leaves pos after the closing one.
// Decodes escapes into `out` when given (keys are compared decoded, as
// llvm::json stores them).
void SourceIndex::skipString(std::string *out) {
  ++pos;
  while (pos < text.size() && text[pos] != '"') {
    char c = text[pos++];
    if (c != '\\') {
      if (out)
        out->push_back(c);
      continue;
    }
    if (pos >= text.size())
      return;
    char e = text[pos++];
    if (!out)
      continue;
    switch (e) {
    case 'b':
      out->push_back('\b');
      break;
    case 'f':
      out->push_back('\f');
      break;
    case 'n':
      out->push_back('\n');
      break;
    case 'r':
      out->push_back('\r');
      break;
    case 't':
      out->push_back('\t');
      break;
    case 'u': {
      // A BMP code point (surrogate pairs only matter for keys no recipe
      // has; they decode to U+FFFD here, which at worst misplaces a line).
      unsigned cp = 0;
      if (pos + 4 > text.size() || text.substr(pos, 4).getAsInteger(16, cp))
        return;
      pos += 4;
      if (cp >= 0xD800 && cp < 0xE000)
        cp = 0xFFFD;
      char buf[UNI_MAX_UTF8_BYTES_PER_CODE_POINT];
      char *p = buf;
      if (ConvertCodePointToUTF8(cp, p))
        out->append(buf, p);
      break;
    }
    default: // '"', '\\', '/'
      out->push_back(e);
    }
  }
  if (pos < text.size())
    ++pos;
}

void SourceIndex::value(const std::string &path) {
  if (!offsets.count(path))
    offsets[path] = pos;
  char c = peek();
  if (c == '{') {
    ++pos;
    StringMap<size_t> seen;
    for (;;) {
      skipWhitespace();
      if (peek() != '"')
        break; // '}' of an empty object (or malformed text: stop)
      size_t keyOffset = pos;
      std::string key;
      skipString(&key);
      std::string child = fieldPath(path, key);
      auto [it, inserted] = seen.try_emplace(key, keyOffset);
      if (!inserted && !dup)
        dup = Duplicate{child, keyOffset, it->second};
      else if (inserted)
        offsets[child] = keyOffset;
      skipWhitespace();
      if (peek() != ':')
        return;
      ++pos;
      skipWhitespace();
      // The member's path already points at its key, which value() keeps
      // (as a repeated key keeps its first position).
      value(child);
      skipWhitespace();
      if (peek() != ',')
        break;
      ++pos;
    }
    if (peek() == '}')
      ++pos;
    return;
  }
  if (c == '[') {
    ++pos;
    for (size_t i = 0;; ++i) {
      skipWhitespace();
      if (peek() == ']' || pos >= text.size())
        break;
      value(indexPath(path, i));
      skipWhitespace();
      if (peek() != ',')
        break;
      ++pos;
    }
    if (peek() == ']')
      ++pos;
    return;
  }
  if (c == '"') {
    skipString(nullptr);
    return;
  }
  // A number, true, false or null.
  while (pos < text.size() && !StringRef(",]} \t\r\n").contains(text[pos]))
    ++pos;
}

} // namespace qtrain::recipes::detail
