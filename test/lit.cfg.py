# -*- Python -*-
import os

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "QTRAIN"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.qtrain_obj_root, "test")
config.excludes = ["CMakeLists.txt", "README.md", "lit.cfg.py", "lit.site.cfg.py"]

config.substitutions.append(("%PATH%", config.environment["PATH"]))
config.substitutions.append(("%qtrain_src_root", config.qtrain_src_root))
config.substitutions.append(("%examples", os.path.join(config.qtrain_src_root, "examples")))

llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)

tool_dirs = [config.qtrain_tools_dir, config.llvm_tools_dir]
tools = ["qtrain-opt", "qtrain-numerics", "qtrain-model", "qtrain-train", "qtrain-asm", "qtrain-translate",
         "qtrain-sim"]
llvm_config.add_tool_substitutions(tools, tool_dirs)

# test/Plugin: libQTrainPlugin.so in Debian's upstream mlir-opt.
llvm_config.add_tool_substitutions(["mlir-opt"], [config.llvm_tools_dir])
config.substitutions.append(
    ("%qtrain_plugin", os.path.join(config.qtrain_obj_root, "lib", "libQTrainPlugin.so")))
# Instrumented builds (scripts/sanitize.sh): their libraries cannot load into
# uninstrumented upstream tools.
if "-fsanitize=" in config.qtrain_cxx_flags:
    config.available_features.add("sanitizer")

# JIT integration tests run the lowered module with mlir-runner, the runner
# utilities (printMemrefF32, ...) and the OpenMP runtime (parallel tiles),
# at mlir-runner's default optimisation level.
runner_libs = ",".join(
    os.path.join(config.llvm_lib_dir, lib)
    for lib in ["libmlir_runner_utils.so", "libmlir_c_runner_utils.so",
                "libomp.so"])
config.substitutions.append(
    ("%jit", "mlir-runner -e main -entry-point-result=void -shared-libs=" + runner_libs))

# test/qtrain-train: Fashion-MNIST as Debian's dataset-fashion-mnist
# installs it (./scripts/setup.sh does).
config.substitutions.append(("%fmnist", "/usr/share/datasets/fashion-mnist"))
