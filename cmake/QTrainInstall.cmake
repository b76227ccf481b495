# `cmake --install build [--prefix P]`: headers, libraries, tools, the
# mlir-opt plugin and a CMake package,
#
#   find_package(QTrain CONFIG REQUIRED)   # QTrain_DIR=P/lib/cmake/qtrain
#   target_link_libraries(app PRIVATE QTrain::QTrainPipelines)
#
# The imported targets carry their dependencies: qtrain's libraries are
# static, upstream MLIR/LLVM come through the same libMLIR.so / libLLVM.so
# as in this build (QTrainConfig.cmake finds Debian's MLIR). LLVM's helpers
# would put qtrain's libraries in LLVM's and MLIR's own export sets; the top
# level turns that off (LLVM_INSTALL_TOOLCHAIN_ONLY) and every install rule
# is here, in the one export set QTrainTargets.
include(CMakePackageConfigHelpers)

set(QTRAIN_INSTALL_LIBDIR lib${LLVM_LIBDIR_SUFFIX})
set(QTRAIN_INSTALL_PACKAGE_DIR ${QTRAIN_INSTALL_LIBDIR}/cmake/qtrain)

set(QTRAIN_INSTALLED_LIBRARIES
  QTrainNumerics
  QTrainAccelISA
  QTrainAccelConfig
  QTrainAccelMachine
  QTrainAccelSim
  QTrainAccelDialect
  QTrainAccelTranslation
  QTrainDialect
  QTrainRecipes
  QTrainTransforms
  QTrainToVector
  QTrainToAccel
  QTrainPipelines
  QTrainModels
  QTrainExecutionEngine
)
set(QTRAIN_INSTALLED_TOOLS qtrain-opt qtrain-model qtrain-numerics qtrain-asm
  qtrain-translate qtrain-sim)

install(TARGETS ${QTRAIN_INSTALLED_LIBRARIES}
  EXPORT QTrainTargets
  ARCHIVE DESTINATION ${QTRAIN_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${QTRAIN_INSTALL_LIBDIR}
  INCLUDES DESTINATION include)

# The tools and the plugin find libMLIR.so / libLLVM.so where this build did
# (not on the loader's default path on Debian).
foreach(tool ${QTRAIN_INSTALLED_TOOLS})
  set_property(TARGET ${tool} APPEND PROPERTY INSTALL_RPATH
    "${LLVM_LIBRARY_DIR}")
endforeach()
install(TARGETS ${QTRAIN_INSTALLED_TOOLS} EXPORT QTrainTargets
  RUNTIME DESTINATION bin)
install(TARGETS QTrainPlugin EXPORT QTrainTargets
  LIBRARY DESTINATION ${QTRAIN_INSTALL_LIBDIR})

# Public headers, ODS sources and the generated declarations.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/qtrain
  DESTINATION include
  FILES_MATCHING PATTERN "*.h" PATTERN "*.td" PATTERN "*.def")
install(DIRECTORY ${PROJECT_BINARY_DIR}/include/qtrain
  DESTINATION include
  FILES_MATCHING PATTERN "*.h.inc"
  PATTERN "CMakeFiles" EXCLUDE)

install(EXPORT QTrainTargets
  NAMESPACE QTrain::
  DESTINATION ${QTRAIN_INSTALL_PACKAGE_DIR})
configure_package_config_file(
  ${CMAKE_CURRENT_LIST_DIR}/QTrainConfig.cmake.in
  ${PROJECT_BINARY_DIR}/cmake/QTrainConfig.cmake
  INSTALL_DESTINATION ${QTRAIN_INSTALL_PACKAGE_DIR})
install(FILES ${PROJECT_BINARY_DIR}/cmake/QTrainConfig.cmake
  DESTINATION ${QTRAIN_INSTALL_PACKAGE_DIR})
