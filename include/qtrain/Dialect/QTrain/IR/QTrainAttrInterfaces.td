//===- QTrainAttrInterfaces.td - Attribute interfaces ------*- tablegen -*-===//

#ifndef QTRAIN_ATTRINTERFACES_TD
#define QTRAIN_ATTRINTERFACES_TD

include "mlir/IR/OpBase.td"

def QTrain_FormatAttrInterface : AttrInterface<"FormatAttrInterface"> {
  let cppNamespace = "::qtrain";
  let description = [{
    A number format a tensor can be quantized to. Every format is viewed as
    a scaled format; element formats have no scale levels.
  }];
  let methods = [
    InterfaceMethod<"The format as a numerics-library scaled format.",
      "::qtrain::numerics::ScaledFormat", "getScaledFormat">,
    InterfaceMethod<[{
        The rounding of an op on this format that names none: the one a
        scaled preset was written with (FlexBlock truncates), else
        nearest-even.
      }],
      "::qtrain::numerics::Rounding", "getDefaultRounding", (ins), [{}],
      [{ return ::qtrain::numerics::Rounding(); }]>,
  ];
}

#endif // QTRAIN_ATTRINTERFACES_TD
