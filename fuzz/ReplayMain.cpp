//===- ReplayMain.cpp - Runs a fuzz target on kept inputs -----------------===//
//
// The normal build links each fuzz target's LLVMFuzzerTestOneInput with this
// main instead of libFuzzer, so ctest replays the kept corpus (fuzz/corpus)
// with any compiler: `qtrain-replay-decoder DIR_OR_FILE...` runs the target
// on every file given and every regular file of every directory given (in
// name order), and exits 0 when none of them crashed. A crash (a trap, an
// assertion, a sanitizer report in a sanitized build) ends the process with
// the file's name on stderr.
//
//===----------------------------------------------------------------------===//

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

namespace fs = std::filesystem;

int main(int argc, char **argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s DIR_OR_FILE...\n", argv[0]);
    return 2;
  }
  std::vector<fs::path> files;
  for (int i = 1; i < argc; ++i) {
    fs::path arg(argv[i]);
    std::error_code ec;
    if (fs::is_directory(arg, ec)) {
      std::vector<fs::path> inDir;
      for (const fs::directory_entry &e : fs::directory_iterator(arg, ec))
        if (e.is_regular_file())
          inDir.push_back(e.path());
      std::sort(inDir.begin(), inDir.end());
      files.insert(files.end(), inDir.begin(), inDir.end());
    } else if (fs::is_regular_file(arg, ec)) {
      files.push_back(arg);
    } else {
      std::fprintf(stderr, "%s: no file or directory '%s'\n", argv[0], argv[i]);
      return 2;
    }
  }
  for (const fs::path &file : files) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "%s: cannot read '%s'\n", argv[0], file.c_str());
      return 2;
    }
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                               std::istreambuf_iterator<char>());
    // Named before the run, so a crash is attributed to its input.
    std::fprintf(stderr, "%s\n", file.c_str());
    // A copy of exactly the file's size: reads past it are caught by ASan.
    std::unique_ptr<uint8_t[]> copy(new uint8_t[bytes.size()]);
    std::copy(bytes.begin(), bytes.end(), copy.get());
    LLVMFuzzerTestOneInput(copy.get(), bytes.size());
  }
  std::printf("%zu inputs replayed\n", files.size());
  return 0;
}
