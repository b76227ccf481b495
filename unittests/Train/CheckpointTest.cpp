//===- CheckpointTest.cpp - Checkpoints round-trip and refuse damage
//--------===//

#include "qtrain/Train/Checkpoint.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"

#include "gtest/gtest.h"

#include <cmath>
#include <fstream>

using namespace qtrain::train;

namespace {

Checkpoint sample() {
  Checkpoint c;
  c.config = llvm::json::Object{{"recipe", "sr3"}, {"seed", 4}};
  c.position = {2, 17, 1891, 0.1 + 0.2, 3.5};
  EpochRecord r;
  r.epoch = 1;
  r.steps = 937;
  r.learningRate = 0.05;
  r.trainLoss = 1.0 / 3.0;
  r.testLoss = std::nextafter(0.5, 1.0);
  r.testAccuracy = 83.85;
  r.modes = {0, 2};
  r.angles = {1.25, 0.0};
  c.history.push_back(r);
  HostTensor w;
  w.shape = {2, 3};
  w.f32 = {1.5f, -0.0f, 3e-39f, INFINITY, -2.0f, 7.0f};
  HostTensor step;
  step.isI64 = true;
  step.i64 = {123456789012345};
  HostTensor seed;
  seed.isScalar = true;
  seed.scalar = -5;
  HostTensor ext; // an adopted buffer
  ext.shape = {2};
  ext.isInt = true;
  ext.external = std::shared_ptr<void>(new int32_t[2]{7, -8}, [](void *p) {
    delete[] static_cast<int32_t *>(p);
  });
  c.tensors = {{3, "weight", "fc1", w},
               {11, "step", "", step},
               {12, "seed", "", seed},
               {13, "mode", "fc2", ext}};
  return c;
}

std::string temporary(llvm::StringRef name) {
  llvm::SmallString<128> p;
  llvm::sys::fs::createTemporaryFile(name, "ckpt", p);
  return p.str().str();
}

TEST(Checkpoint, RoundTripsBitForBit) {
  std::string path = temporary("round");
  Checkpoint c = sample();
  ASSERT_FALSE(bool(writeCheckpoint(path, c)));
  auto back = readCheckpoint(path);
  ASSERT_TRUE(bool(back)) << llvm::toString(back.takeError());
  EXPECT_EQ(back->config, c.config);
  EXPECT_EQ(back->position.epochLossSum, c.position.epochLossSum);
  EXPECT_EQ(back->position.globalStep, 1891);
  ASSERT_EQ(back->history.size(), 1u);
  EXPECT_EQ(back->history[0].trainLoss, 1.0 / 3.0);
  EXPECT_EQ(back->history[0].testLoss, std::nextafter(0.5, 1.0));
  EXPECT_EQ(back->history[0].modes, (std::vector<int64_t>{0, 2}));
  EXPECT_EQ(back->history[0].angles, (std::vector<double>{1.25, 0.0}));
  ASSERT_EQ(back->tensors.size(), 4u);
  for (size_t k = 0; k < 4; ++k) {
    const HostTensor &a = c.tensors[k].value, &b = back->tensors[k].value;
    EXPECT_EQ(back->tensors[k].argument, c.tensors[k].argument);
    EXPECT_EQ(a.shape, b.shape);
    ASSERT_EQ(a.bytes(), b.bytes());
    EXPECT_EQ(std::memcmp(a.data(), b.data(), a.bytes()), 0) << "tensor " << k;
  }
  llvm::sys::fs::remove(path);
}

// Every truncation of the file is refused (gzip's length and CRC, then the
// checkpoint's own sizes), never read as a shorter checkpoint.
TEST(Checkpoint, EveryTruncationIsRefused) {
  std::string path = temporary("whole");
  ASSERT_FALSE(bool(writeCheckpoint(path, sample())));
  auto whole = llvm::MemoryBuffer::getFile(path);
  ASSERT_TRUE(bool(whole));
  std::string bytes = (*whole)->getBuffer().str();
  std::string cut = temporary("cut");
  for (size_t n = 0; n < bytes.size(); ++n) {
    std::ofstream(cut, std::ios::binary).write(bytes.data(), n);
    EXPECT_FALSE(bool(readCheckpoint(cut))) << "cut at " << n;
  }
  llvm::sys::fs::remove(path);
  llvm::sys::fs::remove(cut);
}
} // namespace
