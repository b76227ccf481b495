//===- AccelOps.td - The accel dialect ---------------------*- tablegen -*-===//
//
// The dialect, the program container and the base class of the instruction
// ops. The instruction ops themselves (one per encoding) and the enum
// attributes of their fields are generated at build time from
// include/qtrain/Accel/Instructions.def by qtrain-accel-ods-gen
// (lib/Dialect/Accel/ODSGen/AccelODSGen.cpp) into
// build/include/qtrain/Dialect/Accel/IR/AccelInstructionOps.td, included at
// the end of this file: nothing here restates a field.
//
//===----------------------------------------------------------------------===//

#ifndef QTRAIN_ACCEL_OPS_TD
#define QTRAIN_ACCEL_OPS_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/EnumAttr.td"

def Accel_Dialect : Dialect {
  let name = "accel";
  let cppNamespace = "::qtrain::accel::ir";
  let summary = "The instruction stream of qtrain's accelerator";
  let description = [{
    One op per instruction encoding of the qtrain accelerator
    (docs/Accelerator.md), inside an `accel.program` in program order. An
    op's properties are the instruction's fields by name (not `opcode`,
    `form` or reserved fields): integer attributes for `uint`, `sint` and
    `bits` fields, enum attributes for enumerated fields, unit attributes
    for flags. The ops and their verifiers are generated from
    include/qtrain/Accel/Instructions.def, the one table of the encoding.
  }];
}

class Accel_Op<string mnemonic, list<Trait> traits = []>
    : Op<Accel_Dialect, mnemonic, traits>;

def Accel_ProgramOp : Accel_Op<"program",
    [IsolatedFromAbove, NoTerminator, SingleBlock, NoRegionArguments]> {
  let summary = "An instruction stream, in program order";
  let description = [{
    Holds the instructions of one program, one op per instruction word, in
    program order; `qtrain-translate --accel-to-binary` emits its words.
    Nothing may follow an `accel.finish`. When the program or its module
    has an `accel.machine` attribute (a machine description's JSON,
    docs/Accelerator.md; convert-qtrain-to-accel writes it), the verifier
    also checks the memory bounds each instruction's own fields determine:
    a GEMM's outputs within the ACC and its K-vectors within the
    scratchpads, and the entries, rows and DRAM addresses of the other
    instructions. Bounds that depend on the configuration in force are the
    functional model's.

    ```mlir
    accel.program {
      accel.cfg.view view = 0, size_z = 1, stride_z = 0, size_y = 1, stride_y = 0, size_x = 16, stride_x = 1
      accel.finish
    }
    ```
  }];
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = "attr-dict-with-keyword $body";
  let hasRegionVerifier = 1;
  let skipDefaultBuilders = 1;
  let builders = [OpBuilder<(ins)>];
}

/// An instruction op: `kind` is its qtrain::accel::InstructionKind. Parsing,
/// printing and verification are generic, driven by the encoding tables
/// (AccelOps.cpp).
class Accel_InstructionOp<string mnemonic, string kind>
    : Accel_Op<mnemonic, [HasParent<"::qtrain::accel::ir::ProgramOp">]> {
  let hasCustomAssemblyFormat = 1;
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The encoding this op stands for.
    static constexpr ::qtrain::accel::InstructionKind getInstructionKind() {
      return ::qtrain::accel::InstructionKind::}] # kind # [{;
    }
  }];
  let extraClassDefinition = [{
    ::mlir::ParseResult $cppClass::parse(::mlir::OpAsmParser &parser,
                                         ::mlir::OperationState &result) {
      return ::qtrain::accel::ir::parseInstructionOp(parser, result,
                                                 getInstructionKind());
    }
    void $cppClass::print(::mlir::OpAsmPrinter &printer) {
      ::qtrain::accel::ir::printInstructionOp(printer, getOperation());
    }
    ::llvm::LogicalResult $cppClass::verify() {
      return ::qtrain::accel::ir::verifyInstructionOp(getOperation());
    }
  }];
}

include "qtrain/Dialect/Accel/IR/AccelInstructionOps.td"

#endif // QTRAIN_ACCEL_OPS_TD
