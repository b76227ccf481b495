//===- SrStudy.h - The stochastic-rounding study of qtrain-numerics -*- C++
//-*-===//
//
// ESRU's question, measured: how k-bit stochastic rounding behaves per random
// source and per number of discarded bits read (docs/Numerics.md, "Bias of
// k-bit stochastic rounding per source").
//
//===----------------------------------------------------------------------===//

#ifndef QTRAIN_TOOLS_SRSTUDY_H
#define QTRAIN_TOOLS_SRSTUDY_H

#include "llvm/Support/raw_ostream.h"

namespace qtrain::tools {

/// Prints the random numbers' distributions and the bias / spread table;
/// returns the exit code.
int runSrStudy(llvm::raw_ostream &os);

} // namespace qtrain::tools

#endif // QTRAIN_TOOLS_SRSTUDY_H
