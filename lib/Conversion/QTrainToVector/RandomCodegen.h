//===- RandomCodegen.h - Random streams as arith code -----------*- C++ -*-===//
//
// The k random bits of stochastic rounding, emitted for a chunk of
// consecutive stream indices so that element i gets exactly the numbers of
// the library's RandomStream at index i (docs/Numerics.md, Random streams).
//
//===----------------------------------------------------------------------===//

#ifndef QTRAIN_LIB_CONVERSION_QTRAINTOVECTOR_RANDOMCODEGEN_H
#define QTRAIN_LIB_CONVERSION_QTRAINTOVECTOR_RANDOMCODEGEN_H

#include "ElementBuilder.h"

#include "qtrain/Numerics/Rounding.h"

namespace qtrain::lowering {

class RandomCodegen {
public:
  /// Emits the set-up that precedes the element loop: the counter hash's
  /// keys, or the LFSR lane states (a stack buffer of `lanes` i32 seeded by
  /// lfsrLaneSeed). `seed` is an i64; `data` is the flat memref<?xf32> of a
  /// data source (null otherwise), which must not be empty (checked at run
  /// time with cf.assert). `count` (an index) bounds the stream indices the
  /// chunks read; when it is a constant below 2^32 minus a vector, every
  /// index's high half is zero and the counter hash skips it.
  RandomCodegen(mlir::OpBuilder &b, mlir::Location loc,
                const numerics::Rounding &r, mlir::Value seed, mlir::Value data,
                mlir::Value count);

  /// LFSR sources visit the stream in rows of `lfsrLanes` indices (one step
  /// of every lane per row, rows in order); 0 for the other sources.
  int64_t rowLength() const;

  /// The k bits (i32) for stream indices `first + j` of the chunk's lanes.
  /// For LFSR sources the chunk lies inside row `row` (an index), and its
  /// lane states advance one step; `mask` marks the active lanes (null: all).
  mlir::Value emit(const ElementBuilder &eb, mlir::Value first, mlir::Value row,
                   mlir::Value mask);

private:
  numerics::RandomSource source;
  unsigned k;
  bool indicesFit32 = false; // every stream index (and lane) is below 2^32
  mlir::Value key0, key1;    // counter hash keys (i32)
  mlir::Value seed;          // i64
  mlir::Value lanes;         // LFSR lane states, memref<Lxi32>
  mlir::Value data;          // data source, memref<?xf32>
  mlir::Value dataSize;      // i64
};

} // namespace qtrain::lowering

#endif // QTRAIN_LIB_CONVERSION_QTRAINTOVECTOR_RANDOMCODEGEN_H
